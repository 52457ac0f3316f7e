"""The training feed: samples/s and MB/s through StrataDataset (2 DataLoader workers, shard cache
cold and warm) against the same shards read from a local folder by the same decode code, and a
naive boto3 loop over the S3 gateway. Starts its own `strata serve`; prints one JSON line.

    python3 bench/python/feed.py [records]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "clients" / "python" / "src"))

import torch  # noqa: E402
from torch.utils.data import DataLoader, IterableDataset, get_worker_info  # noqa: E402

import strata  # noqa: E402
from strata.torch import StrataDataset  # noqa: E402

RECIPE = "name: feed\nsteps:\n  - normalize\nshard: { target_bytes: 4194304 }\n"


def serve(data: str):
    proc = subprocess.Popen(["node", str(ROOT / "bin" / "strata.js"), "serve", "--port", "0", "--s3-port", "0"], cwd=data, env={**os.environ, "STRATA_DATA_DIR": os.path.join(data, "data")}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found = {}

    def read():
        for line in proc.stdout:
            if m := re.search(r"serving at (http://127\.0\.0\.1:\d+).*S3 gateway at (http://127\.0\.0\.1:\d+)", line):
                found["api"], found["s3"] = m.group(1), m.group(2)
            if m := re.search(r"its API token, shown once: (st_[a-z0-9]{16}_[\w-]{43})", line):
                found["token"] = m.group(1)

    threading.Thread(target=read, daemon=True).start()
    while len(found) < 3:
        if proc.poll() is not None:
            raise RuntimeError("strata serve exited")
        time.sleep(0.05)
    return proc, found


class LocalShards(IterableDataset):
    """The baseline: the same JSON Lines files from a local folder, split over workers by file."""

    def __init__(self, files):
        self.files = files

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        for i, path in enumerate(self.files):
            if i % workers != worker:
                continue
            with open(path, "rb") as f:
                for line in f.read().splitlines():
                    if line.strip():
                        yield json.loads(line)["text"]


def drain(dataset) -> float:
    start = time.perf_counter()
    n = 0
    for batch in DataLoader(dataset, batch_size=64, num_workers=2, collate_fn=lambda b: b):
        n += len(batch)
    return n, time.perf_counter() - start


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    work = tempfile.mkdtemp(prefix="strata-feed-bench-")
    proc, found = serve(work)
    try:
        client = strata.Client(found["api"], found["token"])
        client.create_repository("feed")
        words = "the of and to in data model training set river quality report water north committee annual results".split()
        # JSON Lines sources of 1,000 records each: the recipe makes one record per line.
        for i in range(0, records, 1000):
            lines = [json.dumps({"text": " ".join(words[(j * 7 + k) % len(words)] for k in range(60)) + f" {j}"}) for j in range(i, min(records, i + 1000))]
            client.put(f"feed@main:docs/{i:07d}.jsonl", ("\n".join(lines) + "\n").encode(), content_type="application/x-ndjson")
        client.commit("feed", "main", "docs")
        summary = client.run_recipe("feed@main:docs/", "feed@main:prepared/", recipe=RECIPE)
        shards = [s for s in summary["shards"]]
        total_bytes = sum(s["size"] for s in shards)
        cache = os.path.join(work, "cache")
        decode = lambda r: r["text"]  # noqa: E731
        cold = drain(StrataDataset("feed@main:prepared/", client=client, batch_size=64, decode=decode, cache_dir=cache))
        warm = drain(StrataDataset("feed@main:prepared/", client=client, batch_size=64, decode=decode, cache_dir=cache))
        local_dir = os.path.join(work, "local")
        os.makedirs(local_dir)
        files = []
        for s in shards:
            path = os.path.join(local_dir, os.path.basename(s["path"]))
            with open(path, "wb") as f:
                f.write(client.get(f"feed@main:{s['path']}"))
            files.append(path)
        local = drain(LocalShards(files))
        naive = None
        try:
            import boto3

            key = client._http.json("POST", "/access-keys", body={})
            s3 = boto3.client("s3", endpoint_url=found["s3"], aws_access_key_id=key["id"], aws_secret_access_key=key["secret"], region_name="us-east-1")
            start = time.perf_counter()
            n = 0
            for s in shards:
                # Buckets made over REST use the ref layout: keys are <branch>/<path>.
                body = s3.get_object(Bucket="feed", Key=f"main/{s['path']}")["Body"].read()
                n += sum(1 for line in body.splitlines() if line.strip() and json.loads(line)["text"])
            naive = (n, time.perf_counter() - start)
        except ImportError:
            pass
        print(json.dumps({"records": records, "shards": len(shards), "bytes": total_bytes, "cold": cold, "warm": warm, "local": local, "boto3": naive}))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
