"""The client against a real server: exact bytes, exact errors, runs and lineage."""

from __future__ import annotations

import hashlib
import io
import os
import uuid

import pytest

import strata


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_a_request_without_a_valid_token_does_nothing(server):
    endpoint, _ = server
    with strata.Client(endpoint, "st_0000000000000000_" + "x" * 43) as bad:
        with pytest.raises(strata.StrataError) as caught:
            bad.create_repository(fresh("nope"))
        assert (caught.value.code, caught.value.status) == ("Unauthorized", 401)
    with strata.Client(endpoint, server[1]) as good:
        assert all(not r["name"].startswith("nope-") for r in good.repositories())


def test_endpoint_and_token_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("STRATA_ENDPOINT", server[0])
    monkeypatch.setenv("STRATA_TOKEN", server[1])
    with strata.Client() as c, strata.Client(server[0], server[1]) as explicit:
        assert c.whoami()["id"] == explicit.whoami()["id"] != ""
    monkeypatch.delenv("STRATA_ENDPOINT")
    with pytest.raises(strata.StrataError) as caught:
        strata.Client()
    assert caught.value.code == "InvalidArgument"


def test_objects_round_trip_exactly_with_ranges_streams_and_files(client, tmp_path):
    repo = fresh("corpus")
    client.create_repository(repo)
    payload = os.urandom(3 * 1024 * 1024 + 17)
    info = client.put(f"{repo}@main:data/blob.bin", payload, content_type="application/octet-stream", metadata={"origin": "pytest"})
    assert info["sha256"] == hashlib.sha256(payload).hexdigest()
    assert info["size"] == len(payload)
    local = tmp_path / "notes.txt"
    local.write_bytes(b"line one\nline two\n")
    client.put(f"{repo}@main:docs/notes.txt", str(local), content_type="text/plain")
    client.put(f"{repo}@main:docs/stream.txt", io.BytesIO(b"from a stream"))
    commit = client.commit(repo, "main", "add data", metadata={"source": "pytest"})
    assert client.resolve(repo, "main") == commit["id"]
    assert client.get(f"{repo}@main:data/blob.bin") == payload
    assert client.get(f"{repo}@{commit['id']}:data/blob.bin", range=(5, 1029)) == payload[5:1029]
    assert b"".join(client.open(f"{repo}@main:data/blob.bin", chunk_size=65536)) == payload
    assert client.get(f"{repo}@main:docs/notes.txt") == b"line one\nline two\n"
    assert client.get(f"{repo}@main:docs/stream.txt") == b"from a stream"
    assert client.stat(f"{repo}@main:data/blob.bin")["metadata"] == {"origin": "pytest"}
    assert [o["path"] for o in client.list(repo, "main", prefix="docs/")] == ["docs/notes.txt", "docs/stream.txt"]
    assert [o.get("prefix") for o in client.list(repo, "main", delimiter="/")] == ["data/", "docs/"]
    with pytest.raises(strata.StrataError) as caught:
        client.get(f"{repo}@main:docs/missing.txt")
    assert (caught.value.code, caught.value.status) == ("NotFound", 404)
    with pytest.raises(strata.StrataError) as bad:
        client.get("no-at-sign")
    assert bad.value.code == "InvalidArgument"


def test_branches_tags_diff_merge_and_log(client):
    repo = fresh("versions")
    client.create_repository(repo)
    client.put(f"{repo}@main:a.txt", b"one")
    first = client.commit(repo, "main", "one")
    client.create_branch(repo, "exp", source="main")
    client.put(f"{repo}@exp:b.txt", b"two")
    client.commit(repo, "exp", "two")
    changes = client.diff(repo, "main", "exp")
    assert [(c["path"], c["type"]) for c in changes["changes"]] == [("b.txt", "added")]
    merged = client.merge(repo, "main", "exp", message="merge exp")
    assert merged["merged"] is True
    client.create_tag(repo, "v1", "main")
    assert [t["name"] for t in client.tags(repo)] == ["v1"]
    assert [c["message"] for c in client.log(repo, "main")] == ["merge exp", "two", "one", "Repository created"]
    assert client.get(f"{repo}@{first['id']}:a.txt") == b"one"
    assert sorted(b["name"] for b in client.branches(repo)) == ["exp", "main"]


def test_a_run_records_code_environment_inputs_and_failure(client):
    repo = fresh("train")
    client.create_repository(repo)
    client.put(f"{repo}@main:data/x.txt", b"x")
    client.commit(repo, "main", "data")
    with client.run(job="fit", params={"lr": 0.001}, inputs=[f"{repo}@main:data/"]) as run:
        run.log_metric("loss", 0.5, step=1)
        run.log_metric("loss", 0.25, step=2)
        client.put(f"{repo}@main:ckpt/model.bin", b"weights")
        client.commit(repo, "main", "checkpoint")
        run.add_outputs(f"{repo}@main:ckpt/")
    shown = client.get_run(run.id)
    assert shown["status"] == "completed"
    assert shown["params"] == {"lr": "0.001"}
    assert shown["metrics"]["loss"] == {"value": 0.25, "step": 2, "points": 2}
    assert shown["env"]["python"]
    assert [i["key"].split("@")[0] for i in shown["inputs"]] == [f"dataset:{repo}"]
    version = client.register_model(fresh("m"), f"{repo}@main:ckpt/model.bin", run_id=run.id, alias="prod")
    resolved = client.resolve_model(f"model:{version['model']}@prod")
    assert resolved["version"]["version"] == 1
    provenance = client.provenance(f"model:{version['model']}@prod")
    assert [n["data"]["path"] for n in provenance["sources"]] == ["data/x.txt"]
    with pytest.raises(RuntimeError):
        with client.run(job="broken") as failing:
            raise RuntimeError("boom")
    assert client.get_run(failing.id)["status"] == "failed"


def test_inference_records_are_logged_one_result_each(client):
    results = client.log_inference([{"application": "pytest", "model": "gpt-4o", "input": "hi", "output": "hello"}, {"application": "", "model": "gpt-4o"}])
    assert results[0]["status"] == 201 and len(results[0]["id"]) == 36
    assert results[1]["status"] == 400 and results[1]["error"]["code"] == "InvalidArgument"


class _Pipe(io.RawIOBase):
    """A stream that cannot tell its size or seek, as a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = min(len(buffer), len(self._data) - self._at, 1 << 20)
        buffer[:n] = self._data[self._at:self._at + n]
        self._at += n
        return n


def test_large_objects_go_up_in_parallel_parts_from_bytes_files_and_streams(client, tmp_path):
    repo = fresh("big")
    client.create_repository(repo)
    mib = 1024 * 1024
    payload = os.urandom(13 * mib + 5)
    local = tmp_path / "weights.bin"
    local.write_bytes(payload)
    expected = hashlib.sha256(payload).hexdigest()
    parts = hashlib.md5(b"".join(hashlib.md5(payload[i:i + 5 * mib]).digest() for i in range(0, len(payload), 5 * mib))).hexdigest()
    for name, source in [("bytes", payload), ("file", str(local)), ("stream", io.BufferedReader(_Pipe(payload)))]:
        info = client.put(f"{repo}@main:{name}.bin", source, metadata={"kind": name}, part_size=5 * mib, workers=3, multipart_threshold=6 * mib)
        assert (info["sha256"], info["size"], info["etag"], info["metadata"]) == (expected, len(payload), f"{parts}-3", {"kind": name})
        assert client.get(f"{repo}@main:{name}.bin") == payload
    with pytest.raises(strata.StrataError) as caught:
        client.put(f"{repo}@main:tiny-parts.bin", payload, part_size=1024, multipart_threshold=6 * mib)
    assert caught.value.code == "InvalidArgument"
    with pytest.raises(strata.StrataError) as caught:
        client.put(f"{repo}@no-such-branch:x.bin", payload, part_size=5 * mib, multipart_threshold=6 * mib)
    assert caught.value.code == "NotFound"
    assert sorted(o["path"] for o in client.list(repo, "main")) == ["bytes.bin", "file.bin", "stream.bin"]


def test_the_server_ingests_a_source_it_can_reach_with_provenance_in_one_commit(client, inbox):
    repo = fresh("ingested")
    client.create_repository(repo)
    folder = inbox / repo
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "a.md").write_text("# A\n\nFirst note.\n")
    (folder / "notes" / "b.txt").write_text("second note\n")
    (folder / "skip.log").write_text("not wanted\n")
    summary = client.ingest(str(folder), f"{repo}@main:raw", exclude=["*.log"])
    assert (summary["items"], summary["stored"], summary["unchanged"], summary["failed"]) == (2, 2, 0, [])
    assert summary["commit"]["id"] == client.resolve(repo, "main")
    assert client.get(f"{repo}@main:raw/notes/a.md") == b"# A\n\nFirst note.\n"
    assert client.stat(f"{repo}@main:raw/notes/b.txt")["provenance"]["source"].endswith("/notes/b.txt")
    again = client.ingest(str(folder), f"{repo}@main:raw", exclude=["*.log"])
    assert (again["stored"], again["unchanged"], again.get("commit")) == (0, 2, None)
    with pytest.raises(strata.StrataError) as caught:
        client.ingest("/etc", f"{repo}@main")
    assert caught.value.code in ("Forbidden", "InvalidArgument")
