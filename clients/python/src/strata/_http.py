"""HTTP transport: pooled keep-alive connections, JSON and streaming bodies, retries on idempotent calls only."""

from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
import urllib.parse
from typing import Any, BinaryIO, Dict, Iterator, Mapping, Optional, Tuple, Union

from .errors import StrataError

Body = Union[bytes, BinaryIO, None]

#: Methods a retry cannot apply twice with a different outcome.
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
#: Answers worth retrying an idempotent call on (the server or a proxy is busy or restarting).
RETRY_STATUS = frozenset({502, 503, 504})


class Transport:
    """One keep-alive connection per thread to the server's REST API (``<endpoint>/api/v1``)."""

    def __init__(self, endpoint: str, token: Optional[str], timeout: float = 300.0, retries: int = 3) -> None:
        parsed = urllib.parse.urlsplit(endpoint.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise StrataError("InvalidArgument", f"endpoint must be http(s)://host[:port], not {endpoint!r}")
        self._https = parsed.scheme == "https"
        self._host = parsed.hostname
        self._port = parsed.port
        self._base = f"{parsed.path}/api/v1"
        self._token = token
        self._timeout = timeout
        self._retries = retries
        self._local = threading.local()
        self._pid = os.getpid()

    def _connection(self) -> http.client.HTTPConnection:
        if os.getpid() != self._pid:
            # A forked process (a DataLoader worker) must not share the parent's sockets.
            self._local = threading.local()
            self._pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def close(self) -> None:
        self._drop()

    def url(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        q = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in (query or {}).items() if v is not None}
        return self._base + path + (("?" + urllib.parse.urlencode(q)) if q else "")

    def request(self, method: str, path: str, *, query: Optional[Mapping[str, Any]] = None, body: Body = None, headers: Optional[Dict[str, str]] = None, length: Optional[int] = None) -> http.client.HTTPResponse:
        """Sends the request and returns the open response (2xx); raises StrataError otherwise."""
        all_headers = {"accept": "application/json", **(headers or {})}
        if self._token:
            all_headers["authorization"] = f"Bearer {self._token}"
        if length is not None:
            all_headers["content-length"] = str(length)
        attempts = self._retries + 1 if method in IDEMPOTENT and not _is_stream(body) else 1
        target = self.url(path, query)
        for attempt in range(attempts):
            if attempt > 0:
                time.sleep(min(2.0, 0.1 * 2 ** attempt) * (0.5 + random.random()))
            conn = self._connection()
            try:
                conn.request(method, target, body=body, headers=all_headers)
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as error:
                self._drop()
                if attempt + 1 < attempts:
                    continue
                raise StrataError("Unavailable", f"cannot reach {self._host}: {error}") from error
            if response.status in RETRY_STATUS and attempt + 1 < attempts:
                response.read()
                continue
            if response.status >= 400:
                raise _error_of(response)
            return response
        raise StrataError("Unavailable", f"{method} {path}: no answer after {attempts} attempts")

    def json(self, method: str, path: str, *, query: Optional[Mapping[str, Any]] = None, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        response = self.request(method, path, query=query, body=data, headers={"content-type": "application/json"} if data is not None else None)
        raw = response.read()
        return json.loads(raw) if raw else None


def _is_stream(body: Body) -> bool:
    return body is not None and not isinstance(body, (bytes, bytearray))


def _error_of(response: http.client.HTTPResponse) -> StrataError:
    raw = response.read()
    try:
        payload = json.loads(raw)
        return StrataError(str(payload.get("code", "Internal")), str(payload.get("message", "")), response.status, payload.get("details"))
    except (ValueError, AttributeError):
        return StrataError("Internal", raw.decode("utf-8", "replace")[:500] or response.reason, response.status)


def iter_body(response: http.client.HTTPResponse, chunk: int = 1 << 20) -> Iterator[bytes]:
    """The body in chunks; the connection is reusable once it is exhausted."""
    while True:
        data = response.read(chunk)
        if not data:
            return
        yield data


def parse_address(address: str) -> Tuple[str, str, str]:
    """``repo@ref:path`` → (repo, ref, path)."""
    at = address.find("@")
    colon = address.find(":", at + 1)
    if at <= 0 or colon < 0:
        raise StrataError("InvalidArgument", f"expected repo@ref:path, not {address!r}")
    return address[:at], address[at + 1:colon], address[colon + 1:]
