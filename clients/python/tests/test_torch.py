"""StrataDataset and checkpoints against a real server: order, resumption, pinning, lineage, a training loop."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from typing import List

import pytest
import torch
from torch.utils.data import DataLoader

import strata
from strata.torch import StrataDataset, StrataMapDataset, load, save

RECIPE = """
name: feed
steps:
  - normalize
  - tokenize: { encoding: o200k_base }
shard: { target_bytes: 1024 }
"""


@pytest.fixture(scope="module")
def corpus(server):
    """60 short documents through a recipe into several JSON Lines shards with token files."""
    with strata.Client(*server) as c:
        repo = f"feed-{uuid.uuid4().hex[:8]}"
        c.create_repository(repo)
        for i in range(60):
            c.put(f"{repo}@main:docs/{i:03d}.txt", f"Document {i} talks about topic {i % 7} in a few plain words.".encode(), content_type="text/plain")
        c.commit(repo, "main", "docs")
        summary = c.run_recipe(f"{repo}@main:docs/", f"{repo}@main:prepared/", recipe=RECIPE)
        assert summary["written"] == 60 and len(summary["shards"]) > 3
        yield repo


def ids(dataset_kwargs, *, workers: int, rank: int = 0, world: int = 1, client=None) -> List[str]:
    ds = StrataDataset(decode=lambda r: r["id"], rank=rank, world_size=world, client=client, **dataset_kwargs)
    out: List[str] = []
    for batch in DataLoader(ds, batch_size=dataset_kwargs.get("batch_size", 1), num_workers=workers):
        out.extend(batch)
    return out


def interleave(per_rank: List[List[str]], batch: int) -> List[str]:
    """The global order DDP consumes: step by step, each rank's batch in rank order."""
    out: List[str] = []
    for step in range(max(len(r) for r in per_rank) // batch + 1):
        for r in per_rank:
            out.extend(r[step * batch:(step + 1) * batch])
    return out


def test_the_order_is_the_same_whatever_the_ranks_and_workers(client, corpus):
    kwargs = {"source": f"{corpus}@main:prepared/", "shuffle": True, "seed": 7, "batch_size": 4}
    reference = ids(kwargs, workers=0, client=client)
    assert len(reference) == 60 and len(set(reference)) == 60
    assert reference != sorted(reference)
    for world in (1, 2):
        for workers in (0, 1, 4):
            per_rank = [ids(kwargs, workers=workers, rank=r, world=world, client=client) for r in range(world)]
            assert sum(len(r) for r in per_rank) == 60
            if world == 2:
                assert not set(per_rank[0]) & set(per_rank[1])
            assert interleave(per_rank, 4) == reference, (world, workers)
    other_seed = ids({**kwargs, "seed": 8}, workers=0, client=client)
    assert sorted(other_seed) == sorted(reference) and other_seed != reference


def test_resumes_exactly_mid_epoch_with_another_number_of_workers(client, corpus):
    kwargs = {"source": f"{corpus}@main:prepared/", "shuffle": True, "seed": 3, "batch_size": 5}
    reference = ids(kwargs, workers=0, client=client)
    first = StrataDataset(decode=lambda r: r["id"], client=client, **kwargs)
    seen: List[str] = []
    for n, batch in enumerate(DataLoader(first, batch_size=5, num_workers=2)):
        seen.extend(batch)
        if n == 2:
            break
    state = first.state_dict(samples=len(seen))
    assert state["samples"] == 15
    resumed = StrataDataset(decode=lambda r: r["id"], client=client, **kwargs)
    resumed.load_state_dict(state)
    rest: List[str] = []
    for batch in DataLoader(resumed, batch_size=5, num_workers=4):
        rest.extend(batch)
    assert seen + rest == reference
    with pytest.raises(strata.StrataError):
        StrataDataset(f"{corpus}@main:docs/", client=client).load_state_dict(state)


def test_reads_only_the_commit_resolved_at_construction(client, corpus):
    ds = StrataMapDataset(f"{corpus}@main:docs/", client=client, decode=lambda b: b.decode())
    assert len(ds) == 60 and ds[0] == "Document 0 talks about topic 0 in a few plain words."
    client.put(f"{corpus}@main:docs/000.txt", b"changed after the dataset was made")
    client.put(f"{corpus}@main:docs/999.txt", b"new")
    client.commit(corpus, "main", "moved")
    assert len(ds) == 60 and ds[0] == "Document 0 talks about topic 0 in a few plain words."
    assert len(StrataMapDataset(f"{corpus}@main:docs/", client=client)) == 61


def test_a_training_loop_reads_checkpoints_resumes_and_shows_in_lineage(client, corpus):
    source = f"{corpus}@main:prepared/"
    models = f"ckpt-{uuid.uuid4().hex[:6]}"
    client.create_repository(models)
    torch.manual_seed(0)

    def batches(ds):
        for batch in DataLoader(ds, batch_size=None):
            yield batch

    model = torch.nn.EmbeddingBag(200_000, 8, mode="mean")
    head = torch.nn.Linear(8, 7)
    optim = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.5)

    def step(record) -> float:
        ids = record["token_ids"].long().unsqueeze(0)
        target = torch.tensor([int(record["id"].split("/")[-1].split(".")[0]) % 7])
        loss = torch.nn.functional.cross_entropy(head(model(ids)), target)
        optim.zero_grad()
        loss.backward()
        optim.step()
        return float(loss)

    with client.run(job="train-feed", params={"lr": 0.5}) as run:
        ds = StrataDataset(source, client=client, shuffle=True, seed=1, tokens=True)
        for n, record in enumerate(batches(ds)):
            run.log_metric("loss", step(record), step=n)
            if n == 29:
                break
        saved = save({"model": model.state_dict(), "head": head.state_dict(), "data": ds.state_dict(samples=30)}, f"{models}@main:run/ckpt.pt", client=client, commit="checkpoint at 30", register=models)
    assert saved["model"]["version"] == 1
    # Resume from the checkpoint: the rest of the epoch, exactly.
    state = load(f"model:{models}/1", client=client)
    model.load_state_dict(state["model"])
    head.load_state_dict(state["head"])
    resumed = StrataDataset(source, client=client, shuffle=True, seed=1, tokens=True)
    resumed.load_state_dict(state["data"])
    rest = [r["id"] for r in batches(resumed)]
    full = [r["id"] for r in batches(StrataDataset(source, client=client, shuffle=True, seed=1))]
    assert full[30:] == rest
    shown = client.get_run(run.id)
    assert shown["status"] == "completed"
    # The run's input is the exact commit the dataset pinned, recorded without being declared.
    assert [i["key"] for i in shown["inputs"]] == [f"dataset:{corpus}@{ds.commit}:prepared/"]
    assert [o["key"].split("@")[0] for o in shown["outputs"]] == [f"object:{models}:run/ckpt.pt"]
    # From the registered checkpoint back to exactly the 60 raw documents the recipe read.
    provenance = client.provenance(f"model:{models}/1")
    assert sorted(n["data"]["path"] for n in provenance["sources"]) == [f"docs/{i:03d}.txt" for i in range(60)]


def test_the_shard_cache_stays_within_its_limit_and_serves_a_second_epoch(client, corpus, tmp_path):
    cache = tmp_path / "cache"
    source = f"{corpus}@main:prepared/"
    small = StrataDataset(source, client=client, cache_dir=str(cache), cache_limit=1, decode=lambda r: r["id"])
    assert len(list(small)) == 60
    assert len([f for f in os.listdir(cache) if not f.endswith((".part", ".lock"))]) == 1
    roomy = StrataDataset(source, client=client, cache_dir=str(tmp_path / "roomy"), decode=lambda r: r["id"])
    first = list(roomy)
    # Every JSON Lines shard of the manifest is cached once, by its sha256 (no token files: tokens=False).
    manifest = json.loads(client.get(f"{corpus}@{roomy.commit}:prepared/manifest.json"))
    assert sorted(os.listdir(tmp_path / "roomy")) == sorted(s["sha256"] for s in manifest["shards"])
    assert list(roomy) == first


def test_large_shards_are_read_in_parallel_ranges_and_checked(client, corpus, tmp_path):
    source = f"{corpus}@main:prepared/"
    whole = [r["id"] for r in StrataDataset(source, client=client, cache_dir=str(tmp_path / "whole"))]
    ranged = StrataDataset(source, client=client, cache_dir=str(tmp_path / "ranged"))
    # Every shard (over 1 KiB) counts as large here: it is read as ~300-byte ranges by 4 threads.
    ranged.source.cache.range_bytes = 300
    assert [r["id"] for r in ranged] == whole
    manifest = json.loads(client.get(f"{corpus}@{ranged.commit}:prepared/manifest.json"))
    for shard in manifest["shards"]:
        with open(tmp_path / "ranged" / shard["sha256"], "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == shard["sha256"]
    # A manifest that does not match the bytes is refused, and nothing is left in the cache.
    bad = StrataDataset(source, client=client, cache_dir=str(tmp_path / "bad"))
    bad.source.cache.range_bytes = 300
    bad.source.shards[0] = {**bad.source.shards[0], "sha256": "0" * 64}
    with pytest.raises(strata.StrataError) as caught:
        bad.source.sample(0)
    assert caught.value.code == "Internal"
    assert os.listdir(tmp_path / "bad") == []
    # A manifest whose hash is a path cannot make the cache write outside its folder.
    evil = StrataDataset(source, client=client, cache_dir=str(tmp_path / "evil"))
    evil.source.shards[0] = {**evil.source.shards[0], "sha256": "../escaped"}
    with pytest.raises(strata.StrataError) as refused:
        evil.source.sample(0)
    assert refused.value.code == "InvalidArgument"
    assert not (tmp_path / "escaped").exists() and os.listdir(tmp_path / "evil") == []


def test_zstd_json_lines_shards_read_as_the_plain_ones(client):
    """The same documents through the same recipe into jsonl.zst shards: the same samples, token ids included."""
    repo = f"zstd-{uuid.uuid4().hex[:8]}"
    client.create_repository(repo)
    for i in range(24):
        client.put(f"{repo}@main:docs/{i:03d}.txt", f"Packed document {i} on topic {i % 5}.".encode(), content_type="text/plain")
    client.commit(repo, "main", "docs")
    client.run_recipe(f"{repo}@main:docs/", f"{repo}@main:plain/", recipe=RECIPE)
    summary = client.run_recipe(f"{repo}@main:docs/", f"{repo}@main:zstd/", recipe=RECIPE.replace("target_bytes: 1024", "format: jsonl.zst, target_bytes: 1024"))
    assert summary["written"] == 24 and len(summary["shards"]) > 1 and all(shard["path"].endswith(".jsonl.zst") for shard in summary["shards"])
    plain = StrataMapDataset(source=f"{repo}@main:plain/", client=client, tokens=True)
    packed = StrataMapDataset(source=f"{repo}@main:zstd/", client=client, tokens=True)
    assert len(plain) == len(packed) == 24
    by_id = {plain[i]["id"]: plain[i] for i in range(len(plain))}
    for i in range(len(packed)):
        sample = packed[i]
        assert sample["text"] == by_id[sample["id"]]["text"]
        assert torch.equal(sample["token_ids"], by_id[sample["id"]]["token_ids"])
