"""A real `strata serve` on free loopback ports, started once for the session and stopped after."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import strata  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
BIN = ROOT / "bin" / "strata.js"


#: The folder the server may ingest from (STRATA_INGEST_ROOTS), made with the server.
INBOX = {}


@pytest.fixture(scope="session")
def server() -> Iterator[Tuple[str, str]]:
    """(endpoint, administrator token) of a fresh server."""
    data = tempfile.mkdtemp(prefix="strata-pytest-")
    INBOX["path"] = os.path.join(data, "inbox")
    os.makedirs(INBOX["path"])
    env = {**os.environ, "STRATA_DATA_DIR": os.path.join(data, "data"), "STRATA_ENDPOINT": "", "STRATA_TOKEN": "", "STRATA_INGEST_ROOTS": INBOX["path"]}
    proc = subprocess.Popen(["node", str(BIN), "serve", "--port", "0", "--s3-port", "0"], cwd=data, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    found = {}

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            seen.append(line)
            if m := re.search(r"serving at (http://127\.0\.0\.1:\d+)", line):
                found["endpoint"] = m.group(1)
            if m := re.search(r"its API token, shown once: (st_[a-z0-9]{16}_[\w-]{43})", line):
                found["token"] = m.group(1)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.time() + 120
    while ("endpoint" not in found or "token" not in found) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if "endpoint" not in found or "token" not in found:
        proc.kill()
        raise RuntimeError("strata serve did not start: " + "".join(seen))
    try:
        yield found["endpoint"], found["token"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture()
def client(server: Tuple[str, str]) -> Iterator[strata.Client]:
    with strata.Client(server[0], server[1]) as c:
        yield c


@pytest.fixture()
def inbox(server: Tuple[str, str]) -> Path:
    """A folder the test server ingests from (its STRATA_INGEST_ROOTS)."""
    return Path(INBOX["path"])
