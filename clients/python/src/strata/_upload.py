"""Multipart upload of one large object: parts read and sent in parallel, each on its own connection."""

from __future__ import annotations

import json
import os
import threading
import urllib.parse
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Union

from ._http import Transport
from .errors import StrataError

#: Objects at least this large go up in parts (smaller ones in one PUT).
MULTIPART_THRESHOLD = 64 * 1024 * 1024
#: Bytes per part; the server takes 5 MiB to 5 GiB (but the last), and at most 10,000 parts.
PART_SIZE = 16 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PARTS = 10_000

Source = Union[bytes, bytearray, memoryview, str, BinaryIO]
_enc = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731 - path segments


def part_size_for(size: Optional[int], wanted: int) -> int:
    """``wanted``, raised so that an object of ``size`` bytes fits in 10,000 parts."""
    if wanted < MIN_PART_SIZE:
        raise StrataError("InvalidArgument", f"part_size must be at least {MIN_PART_SIZE} bytes (5 MiB)")
    if size is None:
        return wanted
    return max(wanted, -(-size // MAX_PARTS))


def upload(http: Transport, *, repo: str, branch: str, path: str, source: Source, size: Optional[int], headers: Dict[str, str], part_size: int, workers: int) -> Any:
    """Starts an upload, sends the parts with ``workers`` threads (at most ``workers`` parts in memory), completes it; aborts it on any failure."""
    base = f"/repositories/{_enc(repo)}/branches/{_enc(branch)}/uploads"
    metadata = {k[len("x-strata-meta-"):]: v for k, v in headers.items() if k.startswith("x-strata-meta-")}
    started = http.json("POST", base, body={"path": path, "contentType": headers.get("content-type"), "metadata": metadata})
    upload_id = started["uploadId"]
    try:
        etags = _send_parts(http, f"{base}/{_enc(upload_id)}/parts", path, _parts(source, size, part_size), workers)
        return http.json("POST", f"{base}/{_enc(upload_id)}/complete", query={"path": path}, body={"parts": etags})
    except BaseException:
        try:
            http.request("DELETE", f"{base}/{_enc(upload_id)}", query={"path": path}).read()
        except StrataError:
            pass  # the upload is left to expire; the original failure is what the caller needs
        raise


def _parts(source: Source, size: Optional[int], part_size: int) -> "PartReader":
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        return PartReader(lambda offset: bytes(view[offset:offset + part_size]), len(view), part_size)
    if isinstance(source, str):
        return _file_parts(source, part_size)
    lock = threading.Lock()
    # A stream is read in order, one part at a time; the parts then travel in parallel.
    def read_next(_offset: int) -> bytes:
        with lock:
            return _read_full(source, part_size)
    return PartReader(read_next, size, part_size, sequential=True)


def _file_parts(path: str, part_size: int) -> "PartReader":
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    if hasattr(os, "pread"):
        return PartReader(lambda offset: os.pread(fd, part_size, offset), size, part_size, close=lambda: os.close(fd))
    os.close(fd)

    def read_at(offset: int) -> bytes:  # no pread (Windows): a handle per part
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(part_size)
    return PartReader(read_at, size, part_size)


class PartReader:
    """Numbered parts of a source: ``read(offset)`` gives the part starting there."""

    def __init__(self, read: Callable[[int], bytes], size: Optional[int], part_size: int, *, sequential: bool = False, close: Optional[Callable[[], None]] = None) -> None:
        self.read, self.size, self.part_size, self.sequential, self.close = read, size, part_size, sequential, close or (lambda: None)


def _read_full(f: BinaryIO, n: int) -> bytes:
    chunks: List[bytes] = []
    left = n
    while left > 0:
        data = f.read(left)
        if not data:
            break
        chunks.append(data)
        left -= len(data)
    return b"".join(chunks)


def _send_parts(http: Transport, url: str, path: str, parts: PartReader, workers: int) -> List[Dict[str, Any]]:
    done: Dict[int, str] = {}
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="strata-upload") as pool:
            running: Dict[Future, int] = {}
            number, offset = 1, 0
            while True:
                if parts.size is not None and offset >= parts.size and number > 1:
                    break
                if number > MAX_PARTS:
                    raise StrataError("InvalidArgument", f"more than {MAX_PARTS} parts: pass a larger part_size")
                data = parts.read(offset)
                if not data and number > 1:
                    break
                running[pool.submit(_send_one, http, url, path, number, data)] = number
                number, offset = number + 1, offset + len(data)
                if len(data) < parts.part_size and parts.sequential:
                    break
                # Bounded memory: at most `workers` parts read and not yet sent.
                if len(running) >= workers:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        done[running.pop(future)] = future.result()
            for future in list(running):
                done[running.pop(future)] = future.result()
    finally:
        parts.close()
    return [{"partNumber": n, "etag": done[n]} for n in sorted(done)]


def _send_one(http: Transport, url: str, path: str, number: int, data: bytes) -> str:
    # A part is bytes in memory, so a failed send is retried (PUT of a part is idempotent).
    response = http.request("PUT", f"{url}/{number}", query={"path": path}, body=data, headers={"content-type": "application/octet-stream"}, length=len(data))
    return json.loads(response.read())["etag"]
