"""The Strata client: repositories, refs, commits, objects, datasets, runs, models, lineage, inference."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import urllib.parse
from typing import Any, BinaryIO, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from . import _upload
from ._http import Transport, iter_body, parse_address
from .errors import StrataError

Json = Dict[str, Any]
_enc = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731 - path segments


class Client:
    """A connection to a Strata server.

    ``endpoint`` and ``token`` default to ``STRATA_ENDPOINT`` and ``STRATA_TOKEN``, as the CLI
    takes them. Calls that a retry cannot repeat with another outcome (GET, PUT, DELETE) are
    retried with backoff when the server is unreachable or busy; others never are.
    """

    def __init__(self, endpoint: Optional[str] = None, token: Optional[str] = None, *, timeout: float = 300.0, retries: int = 3) -> None:
        endpoint = endpoint or os.environ.get("STRATA_ENDPOINT")
        if not endpoint:
            raise StrataError("InvalidArgument", "no endpoint: pass endpoint= or set STRATA_ENDPOINT (e.g. http://127.0.0.1:8420)")
        self._http = Transport(endpoint, token if token is not None else os.environ.get("STRATA_TOKEN"), timeout=timeout, retries=retries)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Identity -----------------------------------------------------------------
    def whoami(self) -> Json:
        return self._http.json("GET", "/whoami")

    # Repositories and refs ------------------------------------------------------
    def repositories(self) -> List[Json]:
        return self._http.json("GET", "/repositories")["repositories"]

    def create_repository(self, name: str, default_branch: Optional[str] = None) -> Json:
        return self._http.json("POST", "/repositories", body={"name": name, **({"defaultBranch": default_branch} if default_branch else {})})

    def repository(self, name: str) -> Json:
        return self._http.json("GET", f"/repositories/{_enc(name)}")

    def branches(self, repo: str) -> List[Json]:
        return self._http.json("GET", f"/repositories/{_enc(repo)}/branches")["branches"]

    def create_branch(self, repo: str, name: str, source: Optional[str] = None) -> Json:
        return self._http.json("POST", f"/repositories/{_enc(repo)}/branches", body={"name": name, **({"from": source} if source else {})})

    def tags(self, repo: str) -> List[Json]:
        return self._http.json("GET", f"/repositories/{_enc(repo)}/tags")["tags"]

    def create_tag(self, repo: str, name: str, ref: str) -> Json:
        return self._http.json("POST", f"/repositories/{_enc(repo)}/tags", body={"name": name, "ref": ref})

    def commit(self, repo: str, branch: str, message: str, metadata: Optional[Mapping[str, str]] = None, only: Optional[Sequence[str]] = None) -> Json:
        body: Json = {"message": message}
        if metadata:
            body["metadata"] = dict(metadata)
        if only:
            body["only"] = list(only)
        return self._http.json("POST", f"/repositories/{_enc(repo)}/branches/{_enc(branch)}/commits", body=body)

    def log(self, repo: str, ref: str, limit: Optional[int] = None) -> List[Json]:
        return self._http.json("GET", f"/repositories/{_enc(repo)}/refs/{_enc(ref)}/log", query={"limit": limit})["commits"]

    def resolve(self, repo: str, ref: str) -> str:
        """The commit id a ref names now."""
        return self._http.json("GET", f"/repositories/{_enc(repo)}/refs/{_enc(ref)}/commit")["id"]

    def diff(self, repo: str, left: str, right: str, prefix: Optional[str] = None) -> Json:
        return self._http.json("GET", f"/repositories/{_enc(repo)}/diff", query={"left": left, "right": right, "prefix": prefix})

    def merge(self, repo: str, branch: str, source: str, message: Optional[str] = None, strategy: Optional[str] = None) -> Json:
        body: Json = {"source": source}
        if message:
            body["message"] = message
        if strategy:
            body["strategy"] = strategy
        return self._http.json("POST", f"/repositories/{_enc(repo)}/branches/{_enc(branch)}/merge", body=body)

    # Objects ---------------------------------------------------------------------
    def list(self, repo: str, ref: str, prefix: str = "", delimiter: Optional[str] = None) -> Iterator[Json]:
        """Every object under ``prefix`` at ``ref``, page by page (with ``delimiter``, common prefixes come as ``{"prefix": …}``)."""
        after: Optional[str] = None
        while True:
            page = self._http.json("GET", f"/repositories/{_enc(repo)}/refs/{_enc(ref)}/list", query={"prefix": prefix, "delimiter": delimiter, "after": after, "limit": 1000})
            for obj in page["objects"]:
                yield obj
            for common in page.get("commonPrefixes", []):
                yield {"prefix": common}
            if not page.get("truncated"):
                return
            after = page.get("nextAfter")

    def stat(self, address: str) -> Json:
        repo, ref, path = parse_address(address)
        return self._http.json("GET", f"/repositories/{_enc(repo)}/refs/{_enc(ref)}/stat", query={"path": path})

    def open(self, address: str, range: Optional[Tuple[int, int]] = None, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """The object's bytes as a stream of chunks; ``range=(start, end)`` reads bytes start…end-1."""
        repo, ref, path = parse_address(address)
        headers = {} if range is None else {"range": f"bytes={range[0]}-{range[1] - 1}"}
        response = self._http.request("GET", f"/repositories/{_enc(repo)}/refs/{_enc(ref)}/objects", query={"path": path}, headers=headers)
        return iter_body(response, chunk_size)

    def get(self, address: str, range: Optional[Tuple[int, int]] = None) -> bytes:
        """The object's bytes (or a range of them) in memory."""
        return b"".join(self.open(address, range))

    def put(
        self,
        address: str,
        data: Union[bytes, BinaryIO, str],
        content_type: Optional[str] = None,
        metadata: Optional[Mapping[str, str]] = None,
        *,
        part_size: int = _upload.PART_SIZE,
        workers: int = 4,
        multipart_threshold: int = _upload.MULTIPART_THRESHOLD,
    ) -> Json:
        """Uploads bytes, a file object or a local path to a branch (staged until committed).

        Objects of ``multipart_threshold`` bytes or more (and streams of unknown size) go up as a
        multipart upload: parts of ``part_size`` bytes sent by ``workers`` threads at once, each
        retried on its own, the upload aborted if one fails for good.
        """
        repo, branch, path = parse_address(address)
        headers = {"content-type": content_type or "application/octet-stream"}
        for key, value in (metadata or {}).items():
            headers[f"x-strata-meta-{key}"] = value
        if isinstance(data, str):
            size: Optional[int] = os.stat(data).st_size
        elif isinstance(data, (bytes, bytearray)):
            size = len(data)
        else:
            size = _size_of(data)
        if size is None or size >= multipart_threshold:
            chosen = _upload.part_size_for(size, part_size)
            return _upload.upload(self._http, repo=repo, branch=branch, path=path, source=data, size=size, headers=headers, part_size=chosen, workers=max(1, workers))
        if isinstance(data, str):
            with open(data, "rb") as f:
                return self._put(repo, branch, path, f, headers, size)
        if isinstance(data, (bytes, bytearray)):
            return self._put(repo, branch, path, bytes(data), headers, size)
        return self._put(repo, branch, path, data, headers, size)

    def _put(self, repo: str, branch: str, path: str, body: Any, headers: Dict[str, str], length: Optional[int]) -> Json:
        response = self._http.request("PUT", f"/repositories/{_enc(repo)}/branches/{_enc(branch)}/objects", query={"path": path}, body=body, headers=headers, length=length)
        return json.loads(response.read())

    def delete(self, address: str) -> None:
        repo, branch, path = parse_address(address)
        self._http.request("DELETE", f"/repositories/{_enc(repo)}/branches/{_enc(branch)}/objects", query={"path": path}).read()

    # Ingest ------------------------------------------------------------------------
    def ingest(self, source: str, target: str, *, include: Optional[Sequence[str]] = None, exclude: Optional[Sequence[str]] = None, concurrency: Optional[int] = None) -> Json:
        """Has the server ingest ``source`` into ``repo@branch[:prefix]`` in one commit, with provenance and extracted metadata.

        ``source`` is what the server can reach: an http(s) URL, ``s3://bucket/prefix`` (when the
        server allows it), or a path under the server's ``STRATA_INGEST_ROOTS``. Files on this
        machine go up with ``put`` instead. Returns the summary: items, bytes, stored, unchanged,
        failed, and the commit (none when nothing changed).
        """
        repo, branch, prefix = parse_address(target if ":" in target.partition("@")[2] else target + ":")
        body: Json = {"source": source, "branch": branch, "prefix": prefix}
        if include is not None:
            body["include"] = list(include)
        if exclude is not None:
            body["exclude"] = list(exclude)
        if concurrency is not None:
            body["concurrency"] = concurrency
        return self._http.json("POST", f"/repositories/{_enc(repo)}/ingest", body=body)

    # Catalog -----------------------------------------------------------------------
    def datasets(self) -> List[Json]:
        return self._http.json("GET", "/datasets")["datasets"]

    def dataset(self, name: str) -> Json:
        return self._http.json("GET", f"/datasets/{_enc(name)}")

    def search(self, q: str, **filters: str) -> Json:
        return self._http.json("GET", "/search", query={"q": q, **filters})

    # Recipes -----------------------------------------------------------------------------
    def run_recipe(self, input: str, output: str, recipe: Optional[str] = None, address: Optional[str] = None) -> Json:
        """Runs a recipe (its YAML, or ``address`` of one kept in Strata) over ``repo@ref:prefix`` into ``repo@branch[:prefix]``."""
        if (recipe is None) == (address is None):
            raise StrataError("InvalidArgument", "give the recipe's YAML or its address, not both or neither")
        body: Json = {"input": input, "output": output, **({"recipe": recipe} if recipe is not None else {"address": address})}
        return self._http.json("POST", "/recipes/run", body=body)

    # Runs ------------------------------------------------------------------------------
    def start_run(self, job: str, kind: Optional[str] = None, params: Optional[Mapping[str, str]] = None, inputs: Optional[Sequence[str]] = None, **fields: Any) -> Json:
        body: Json = {"job": job, **{k: v for k, v in fields.items() if v is not None}}
        if kind:
            body["kind"] = kind
        if params:
            body["params"] = {k: str(v) for k, v in params.items()}
        if inputs:
            body["inputs"] = list(inputs)
        return self._http.json("POST", "/runs", body=body)

    def get_run(self, run_id: str) -> Json:
        return self._http.json("GET", f"/runs/{_enc(run_id)}")

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> Json:
        return self._http.json("POST", f"/runs/{_enc(run_id)}/params", body={"params": {k: str(v) for k, v in params.items()}})

    def log_metrics(self, run_id: str, metrics: Iterable[Mapping[str, Any]]) -> Json:
        return self._http.json("POST", f"/runs/{_enc(run_id)}/metrics", body={"metrics": [dict(m) for m in metrics]})

    def add_inputs(self, run_id: str, addresses: Sequence[str]) -> Json:
        return self._http.json("POST", f"/runs/{_enc(run_id)}/inputs", body={"addresses": list(addresses)})

    def add_outputs(self, run_id: str, addresses: Sequence[str]) -> Json:
        return self._http.json("POST", f"/runs/{_enc(run_id)}/outputs", body={"addresses": list(addresses)})

    def finish_run(self, run_id: str, status: str = "completed", outputs: Optional[Sequence[str]] = None, exit_code: Optional[int] = None) -> Json:
        body: Json = {"status": status}
        if outputs:
            body["outputs"] = list(outputs)
        if exit_code is not None:
            body["exitCode"] = exit_code
        return self._http.json("POST", f"/runs/{_enc(run_id)}/finish", body=body)

    def run(self, job: str, kind: str = "training", params: Optional[Mapping[str, Any]] = None, inputs: Optional[Sequence[str]] = None) -> "Run":
        """``with client.run(job="train") as run:`` records code version and environment, and marks the run failed on an exception."""
        return Run(self, job, kind, params, inputs)

    # Models --------------------------------------------------------------------------------
    def register_model(self, model: str, source: str, run_id: Optional[str] = None, alias: Optional[str] = None, description: Optional[str] = None) -> Json:
        body: Json = {"source": source}
        if run_id:
            body["runId"] = run_id
        if description:
            body["description"] = description
        version = self._http.json("POST", f"/models/{_enc(model)}/versions", body=body)
        if alias:
            self.set_alias(model, alias, version["version"])
        return version

    def set_alias(self, model: str, alias: str, version: int) -> Json:
        return self._http.json("PUT", f"/models/{_enc(model)}/aliases/{_enc(alias)}", body={"version": version})

    def resolve_model(self, address: str) -> Json:
        """``model:name@alias`` or ``model:name/3`` → the version and the exact object address."""
        return self._http.json("GET", "/models/resolve", query={"address": address})

    def model_report(self, name: str, version: int, format: str = "json") -> Union[Json, str]:
        response = self._http.request("GET", f"/models/{_enc(name)}/versions/{version}/report", query={"format": format})
        raw = response.read()
        return json.loads(raw) if format == "json" else raw.decode("utf-8")

    # Lineage ---------------------------------------------------------------------------------
    def provenance(self, node: str) -> Json:
        return self._http.json("GET", "/lineage/provenance", query={"node": node})

    def impact(self, node: str, types: Optional[Sequence[str]] = None) -> Json:
        return self._http.json("GET", "/lineage/impact", query={"node": node, "types": ",".join(types) if types else None})

    def labels(self, node: str) -> Json:
        return self._http.json("GET", "/lineage/labels", query={"node": node})

    # Inference ---------------------------------------------------------------------------------
    def log_inference(self, records: Sequence[Mapping[str, Any]]) -> List[Json]:
        """Logs model calls; one result per record (an id and cost, or the reason it was refused)."""
        return self._http.json("POST", "/inference", body={"records": [dict(r) for r in records]})["results"]


def _size_of(f: BinaryIO) -> Optional[int]:
    """Bytes left to read in ``f``, or None for a stream that cannot tell (a pipe, a socket)."""
    try:
        return os.fstat(f.fileno()).st_size - f.tell()
    except (AttributeError, OSError, ValueError):
        pass
    try:
        if f.seekable():
            here = f.tell()
            end = f.seek(0, os.SEEK_END)
            f.seek(here)
            return end - here
    except (AttributeError, OSError, ValueError):
        pass
    return None


#: Runs open in this process (``with client.run(...)``), innermost last: datasets and checkpoints record themselves there.
_RUNS: List["Run"] = []


def current_run() -> Optional["Run"]:
    """The innermost open run, if any."""
    return _RUNS[-1] if _RUNS else None


class Run:
    """A run as a context manager; see :meth:`Client.run`."""

    def __init__(self, client: Client, job: str, kind: str, params: Optional[Mapping[str, Any]], inputs: Optional[Sequence[str]]) -> None:
        self._client = client
        self._job = job
        self._kind = kind
        self._params = {k: str(v) for k, v in (params or {}).items()}
        self._inputs = list(inputs or [])
        self.id = ""
        self.client = client
        self._outputs: List[str] = []

    def __enter__(self) -> "Run":
        code = _code_version()
        env = {"python": platform.python_version(), "platform": platform.platform(), "executable": sys.executable}
        started = self._client.start_run(self._job, kind=self._kind, params=self._params, inputs=self._inputs, env=env, host=platform.node(), code=code)
        self.id = started["id"]
        _RUNS.append(self)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if _RUNS and _RUNS[-1] is self:
            _RUNS.pop()
        self._client.finish_run(self.id, status="failed" if exc_type is not None else "completed", outputs=self._outputs or None)

    def log_params(self, **params: Any) -> None:
        self._client.log_params(self.id, params)

    def log_metric(self, key: str, value: float, step: Optional[int] = None) -> None:
        self._client.log_metrics(self.id, [{"key": key, "value": float(value), **({} if step is None else {"step": step})}])

    def add_inputs(self, *addresses: str) -> None:
        self._client.add_inputs(self.id, addresses)

    def add_outputs(self, *addresses: str) -> None:
        """Declared when the run finishes (the outputs are resolved then)."""
        self._outputs.extend(addresses)


def _code_version() -> Optional[Dict[str, Any]]:
    """The git commit of the working directory, and whether it has uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=True, timeout=5).stdout.strip() != ""
        branch = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": dirty, **({"branch": branch} if branch and branch != "HEAD" else {})}
