"""PyTorch datasets over exact Strata versions, and checkpoints saved into Strata.

``StrataDataset("repo@ref:prefix/")`` or ``StrataDataset("dataset:name@version")`` resolves the
ref to a commit once, at construction, and reads only that commit. A recipe's output (a folder
with ``manifest.json``) is read record by record from its JSON Lines or WebDataset shards (token
ids from the token files on request); any other folder gives one sample per object.

Order: for a seed and an epoch there is one global order of samples (shards shuffled, then the
records inside each shard), whatever the number of ranks and DataLoader workers. The order is cut
into steps of ``batch_size × world size`` samples; rank r takes the r-th ``batch_size`` of each
step, and DataLoader worker w of a rank takes every ``num_workers``-th of its batches, which is
the order the DataLoader consumes them in. So after n batches per rank, exactly the first
``n × batch_size × world size`` samples of the global order were read, and
``state_dict(samples)`` / ``load_state_dict`` resume exactly, also with other numbers of ranks or
workers.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import tarfile
import tempfile
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from .client import Client, current_run
from .errors import StrataError

Sample = Any
_SHA256 = re.compile(r"[0-9a-f]{64}")


def pin(client: Client, source: str) -> Tuple[str, str, str]:
    """``repo@ref:prefix`` or ``dataset:name[@ref]`` → (repository, commit id, prefix)."""
    if source.startswith("dataset:"):
        name, _, ref = source[len("dataset:"):].partition("@")
        dataset = client.dataset(name)
        repo, prefix = dataset["repository"], dataset["prefix"]
        ref = ref or client.repository(repo)["defaultBranch"]
    else:
        at = source.find("@")
        colon = source.find(":", at + 1)
        if at <= 0 or colon < 0:
            raise StrataError("InvalidArgument", f"expected repo@ref:prefix/ or dataset:name@version, not {source!r}")
        repo, ref, prefix = source[:at], source[at + 1:colon], source[colon + 1:]
    return repo, client.resolve(repo, ref), prefix


class _ShardCache:
    """Shards on local disk, checked against their sha256, evicted oldest-used first past ``limit`` bytes; large ones read in parallel ranges."""

    def __init__(self, root: Optional[str], limit: int, range_bytes: int = 16 << 20, range_threads: int = 4) -> None:
        self.root = root or os.path.join(tempfile.gettempdir(), "strata-shards")
        self.limit = limit
        #: Shards of at least twice this size are read in ranges of it, in parallel.
        self.range_bytes = range_bytes
        self.range_threads = range_threads
        os.makedirs(self.root, exist_ok=True)

    def path(self, client: Client, repo: str, commit: str, shard: Dict[str, Any]) -> str:
        sha = shard.get("sha256")
        # The manifest is data anyone who may write the repository wrote: its hash names a local
        # file, so it must be a hash and nothing else (no path, no '..').
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise StrataError("InvalidArgument", f"shard {shard.get('path')!r} has no valid sha256 in its manifest")
        local = os.path.join(self.root, sha)
        if os.path.exists(local):
            os.utime(local)
            return local
        # One process downloads a shard; the others (DataLoader workers) wait for it.
        lock = f"{local}.lock"
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            deadline = time.time() + 600
            while not os.path.exists(local) and os.path.exists(lock) and time.time() < deadline:
                time.sleep(0.01)
            if os.path.exists(local):
                return local
        try:
            return self._download(client, repo, commit, shard, local)
        finally:
            if os.path.exists(lock):
                os.unlink(lock)

    def _download(self, client: Client, repo: str, commit: str, shard: Dict[str, Any], local: str) -> str:
        sha = shard["sha256"]
        address = f"{repo}@{commit}:{shard['path']}"
        size = int(shard.get("size", 0))
        partial = f"{local}.{os.getpid()}.part"
        if size >= self.range_bytes * 2:
            self._ranged(client, address, size, partial)
            with open(partial, "rb") as f:
                digest = hashlib.sha256()
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
        else:
            digest = hashlib.sha256()
            with open(partial, "wb") as out:
                for chunk in client.open(address):
                    digest.update(chunk)
                    out.write(chunk)
        if digest.hexdigest() != sha:
            os.unlink(partial)
            raise StrataError("Internal", f"shard {shard['path']} does not match its manifest's sha256 {sha}")
        os.replace(partial, local)
        self._evict(keep=local)
        return local

    def _ranged(self, client: Client, address: str, size: int, partial: str) -> None:
        """A large shard in ``range_bytes`` pieces read by ``range_threads`` threads, each written at its offset."""
        with open(partial, "wb") as out:
            out.truncate(size)
        ranges = [(start, min(size, start + self.range_bytes)) for start in range(0, size, self.range_bytes)]
        failures: List[BaseException] = []
        lock = threading.Lock()

        def work() -> None:
            with open(partial, "r+b") as out:
                while True:
                    with lock:
                        if not ranges or failures:
                            return
                        start, end = ranges.pop()
                    try:
                        data = client.get(address, range=(start, end))
                        if len(data) != end - start:
                            raise StrataError("Internal", f"{address}: range {start}-{end} came back with {len(data)} bytes")
                        out.seek(start)
                        out.write(data)
                    except BaseException as error:  # noqa: BLE001 - re-raised in the caller's thread
                        with lock:
                            failures.append(error)
                        return

        threads = [threading.Thread(target=work, daemon=True) for _ in range(self.range_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            os.unlink(partial)
            raise failures[0]

    def _evict(self, keep: str) -> None:
        # Other workers evict and download in the same folder: a file may vanish at any moment.
        sized = []
        for name in os.listdir(self.root):
            if name.endswith((".part", ".lock")):
                continue
            try:
                st = os.stat(os.path.join(self.root, name))
            except FileNotFoundError:
                continue
            sized.append((st.st_mtime, st.st_size, os.path.join(self.root, name)))
        sized.sort()
        total = sum(size for _, size, _ in sized)
        for _, size, f in sized:
            if total <= self.limit:
                return
            if f == keep:
                continue
            total -= size
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass

    def read(self, client: Client, repo: str, commit: str, shard: Dict[str, Any]) -> bytes:
        """A shard's bytes; fetched again if another worker evicted it between caching and opening."""
        for attempt in range(3):
            try:
                with open(self.path(client, repo, commit, shard), "rb") as f:
                    return f.read()
            except FileNotFoundError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class _Source:
    """The pinned listing: recipe shards with cumulative record counts, or plain objects."""

    def __init__(self, client: Client, source: str, tokens: bool, cache_dir: Optional[str], cache_limit: int) -> None:
        self.client = client
        self.repo, self.commit, self.prefix = pin(client, source)
        self.tokens = tokens
        self.cache = _ShardCache(cache_dir, cache_limit)
        self.manifest: Optional[Dict[str, Any]] = None
        try:
            self.manifest = json.loads(client.get(f"{self.repo}@{self.commit}:{self.prefix}manifest.json"))
        except StrataError as error:
            if error.code != "NotFound":
                raise
        if self.manifest is not None:
            self.shards: List[Dict[str, Any]] = self.manifest["shards"]
            self.format = self.manifest.get("format", "jsonl")
            if self.format not in ("jsonl", "jsonl.zst", "webdataset"):
                raise StrataError("InvalidArgument", f"shards in {self.format!r} are not read by this client yet (jsonl, jsonl.zst and webdataset are)")
            self.starts = []
            total = 0
            for shard in self.shards:
                self.starts.append(total)
                total += int(shard["records"])
            self.count = total
        else:
            self.objects = [o["path"] for o in client.list(self.repo, self.commit, prefix=self.prefix) if "path" in o]
            self.count = len(self.objects)
        self._loaded: "OrderedDict[int, Tuple[List[Any], Optional[torch.Tensor]]]" = OrderedDict()

    def address(self) -> str:
        return f"{self.repo}@{self.commit}:{self.prefix}"

    def groups(self) -> List[Tuple[int, int]]:
        """(first sample, count) per shard, or one group of all objects."""
        if self.manifest is None:
            return [(0, self.count)]
        return [(start, int(shard["records"])) for start, shard in zip(self.starts, self.shards)]

    def shard_of(self, index: int) -> int:
        return bisect_right(self.starts, index) - 1

    def shard_sequence(self, indices: List[int]) -> List[int]:
        """The shards ``indices`` touch, in first-touch order."""
        seen: Dict[int, None] = {}
        for index in indices:
            seen.setdefault(self.shard_of(index), None)
        return list(seen)

    def fetch(self, shard: int) -> None:
        """Puts a shard (and its token file when read) in the local cache."""
        info = self.shards[shard]
        self.cache.path(self.client, self.repo, self.commit, info)
        if self.tokens and info.get("tokens"):
            self.cache.path(self.client, self.repo, self.commit, info["tokens"])

    def sample(self, index: int) -> Sample:
        if self.manifest is None:
            return self.client.get(f"{self.repo}@{self.commit}:{self.objects[index]}")
        shard = bisect_right(self.starts, index) - 1
        records, ids = self._records(shard)
        record = records[index - self.starts[shard]]
        if self.format not in ("jsonl", "jsonl.zst"):
            return record
        # Parsed on access: each DataLoader worker reads every shard but decodes only its own records.
        parsed = json.loads(record)
        if ids is not None:
            offset, count = parsed.get("tokens", [0, 0])
            parsed["token_ids"] = ids[offset:offset + count].clone()
        return parsed

    def _records(self, shard: int) -> Tuple[List[Any], Optional[torch.Tensor]]:
        """A shard's records (JSON Lines: the raw lines) and its token ids, the last two shards kept in memory."""
        if shard in self._loaded:
            self._loaded.move_to_end(shard)
            return self._loaded[shard]
        info = self.shards[shard]
        data = self.cache.read(self.client, self.repo, self.commit, info)
        ids: Optional[torch.Tensor] = None
        if self.format in ("jsonl", "jsonl.zst"):
            # The cache holds the shard as stored (its sha256 is the manifest's); zstd is undone here.
            text = _zstd_decompress(data) if self.format == "jsonl.zst" else data
            records: List[Any] = [line for line in text.split(b"\n") if line.strip()]
            if self.tokens and info.get("tokens"):
                ids = torch.frombuffer(bytearray(self.cache.read(self.client, self.repo, self.commit, info["tokens"])), dtype=torch.int32)
        else:
            records = _webdataset(data)
        self._loaded[shard] = (records, ids)
        while len(self._loaded) > 2:
            self._loaded.popitem(last=False)
        return records, ids


def _zstd_decompress(data: bytes) -> bytes:
    """All frames of a zstd stream (the writer may leave the content size out of the frame header)."""
    try:
        import zstandard
    except ImportError:
        try:
            from compression import zstd  # type: ignore[import-not-found]  # Python 3.14's own
        except ImportError:
            raise StrataError("InvalidArgument", "shards in 'jsonl.zst' need zstd: pip install zstandard (or Debian's python3-zstandard)") from None
        return zstd.decompress(data)
    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as reader:
        return reader.read()


class _Prefetch(threading.Thread):
    """Downloads the shards a worker will read next, at most ``ahead`` shards before the one it is on."""

    def __init__(self, source: _Source, shards: List[int], ahead: int) -> None:
        super().__init__(daemon=True)
        self.source = source
        self.shards = shards
        self.slots = threading.Semaphore(ahead)
        self.closed = False
        self.start()

    def run(self) -> None:
        for shard in self.shards:
            self.slots.acquire()
            if self.closed:
                return
            try:
                self.source.fetch(shard)
            except Exception:  # noqa: BLE001 - the reader fetches it again and raises there
                return

    def advance(self) -> None:
        """The reader moved on to its next shard: one more may be fetched ahead."""
        self.slots.release()

    def close(self) -> None:
        """Stops fetching ahead and waits for a fetch under way (the cache is left as the limit says)."""
        self.closed = True
        self.slots.release()
        self.join(timeout=120)


def _webdataset(data: bytes) -> List[Dict[str, bytes]]:
    """A WebDataset tar: members grouped by key (the name up to its first dot) into {extension: bytes}."""
    samples: "OrderedDict[str, Dict[str, bytes]]" = OrderedDict()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if not member.isfile():
                continue
            base = os.path.basename(member.name)
            key, _, ext = base.partition(".")
            f = tar.extractfile(member)
            samples.setdefault(key, {"__key__": key.encode()})[ext] = f.read() if f else b""
    return list(samples.values())


def global_order(groups: List[Tuple[int, int]], shuffle: bool, seed: int, epoch: int) -> List[int]:
    """Every sample index once: shards in a seeded order, then the records of each in a seeded order."""
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(groups)))
    if shuffle:
        rng.shuffle(order)
    out: List[int] = []
    for g in order:
        start, count = groups[g]
        inside = list(range(start, start + count))
        if shuffle:
            rng.shuffle(inside)
        out.extend(inside)
    return out


def partition(order: List[int], *, batch_size: int, rank: int, world: int, worker: int, workers: int) -> Iterator[int]:
    """The samples of one (rank, worker), in the order the DataLoader will consume them."""
    step = batch_size * world
    batch = 0
    for start in range(rank * batch_size, len(order), step):
        if batch % workers == worker:
            yield from order[start:start + batch_size]
        batch += 1


def _rank() -> Tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


class StrataDataset(IterableDataset):
    """An iterable dataset over one exact version; see the module's documentation for the order."""

    def __init__(
        self,
        source: str,
        *,
        client: Optional[Client] = None,
        shuffle: bool = False,
        seed: int = 0,
        batch_size: int = 1,
        decode: Optional[Callable[[Sample], Any]] = None,
        tokens: bool = False,
        cache_dir: Optional[str] = None,
        cache_limit: int = 8 << 30,
        rank: Optional[int] = None,
        world_size: Optional[int] = None,
        prefetch: int = 2,
    ) -> None:
        super().__init__()
        if batch_size < 1:
            raise StrataError("InvalidArgument", "batch_size must be at least 1")
        self.source = _Source(client or Client(), source, tokens, cache_dir, cache_limit)
        self.shuffle = shuffle
        self.seed = seed
        self.batch_size = batch_size
        self.decode = decode
        self.epoch = 0
        self._skip = 0
        self._rank = rank
        self._world = world_size
        self.prefetch = prefetch
        run = current_run()
        if run is not None:
            run.add_inputs(self.source.address())

    @property
    def commit(self) -> str:
        return self.source.commit

    def __len__(self) -> int:
        return self.source.count

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self._skip = 0

    def __iter__(self) -> Iterator[Any]:
        rank, world = _rank()
        rank = self._rank if self._rank is not None else rank
        world = self._world if self._world is not None else world
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        order = global_order(self.source.groups(), self.shuffle, self.seed, self.epoch)[self._skip:]
        mine = list(partition(order, batch_size=self.batch_size, rank=rank, world=world, worker=worker, workers=workers))
        prefetch = _Prefetch(self.source, self.source.shard_sequence(mine), self.prefetch) if self.prefetch > 0 and self.source.manifest is not None else None
        current = -1
        try:
            for index in mine:
                if prefetch is not None:
                    shard = self.source.shard_of(index)
                    if shard != current:
                        prefetch.advance()
                        current = shard
                sample = self.source.sample(index)
                yield self.decode(sample) if self.decode else sample
        finally:
            if prefetch is not None:
                prefetch.close()

    def state_dict(self, samples: int) -> Dict[str, Any]:
        """Where to resume: ``samples`` read so far this epoch by all ranks together (batches per rank × batch size × world size)."""
        return {"source": self.source.address(), "epoch": self.epoch, "seed": self.seed, "shuffle": self.shuffle, "samples": self._skip + samples}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if state["source"] != self.source.address():
            raise StrataError("InvalidArgument", f"the state is of {state['source']}, this dataset reads {self.source.address()}")
        self.epoch, self.seed, self.shuffle, self._skip = int(state["epoch"]), int(state["seed"]), bool(state["shuffle"]), int(state["samples"])


class StrataMapDataset(Dataset):
    """A map-style dataset over one exact version: sample i in listing order (use a sampler to shuffle)."""

    def __init__(self, source: str, *, client: Optional[Client] = None, decode: Optional[Callable[[Sample], Any]] = None, tokens: bool = False, cache_dir: Optional[str] = None, cache_limit: int = 8 << 30) -> None:
        self.source = _Source(client or Client(), source, tokens, cache_dir, cache_limit)
        self.decode = decode
        run = current_run()
        if run is not None:
            run.add_inputs(self.source.address())

    def __len__(self) -> int:
        return self.source.count

    def __getitem__(self, index: int) -> Any:
        if index < 0 or index >= self.source.count:
            raise IndexError(index)
        sample = self.source.sample(index)
        return self.decode(sample) if self.decode else sample


def save(obj: Any, address: str, *, client: Optional[Client] = None, commit: Optional[str] = None, register: Optional[str] = None) -> Dict[str, Any]:
    """``torch.save`` into ``repo@branch:path``; with ``commit``, commits it with that message; with ``register``, also registers it as a version of that model, produced by the current run."""
    client = client or (current_run().client if current_run() else Client())
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    info = client.put(address, buffer.getvalue(), content_type="application/octet-stream")
    out: Dict[str, Any] = {"object": info}
    if commit is not None or register is not None:
        repo, _, rest = address.partition("@")
        branch = rest.split(":", 1)[0]
        out["commit"] = client.commit(repo, branch, commit or f"checkpoint {rest.split(':', 1)[1]}")
        run = current_run()
        if run is not None:
            run.add_outputs(address)
        if register is not None:
            out["model"] = client.register_model(register, address, run_id=run.id if run else None)
    return out


def load(address: str, *, client: Optional[Client] = None, **kwargs: Any) -> Any:
    """``torch.load`` from a Strata address (``repo@ref:path`` or ``model:name@alias``)."""
    client = client or (current_run().client if current_run() else Client())
    if address.startswith("model:"):
        obj = client.resolve_model(address)["object"]
        address = f"{obj['repository']}@{obj['ref']}:{obj['path']}"
    return torch.load(io.BytesIO(client.get(address)), **kwargs)
