"""`evaluate` chooses its samples on a `SampleIndex` of the run (a few bytes a sample), and parses
only those it chose: the same choice, rejected lines and repeated ids as reading every record
(`load_samples` then `select`), in memory that grows with the samples evaluated, not the run."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.evaluate.conftest import samples
from veriscene.evaluate import evaluate, inputs
from veriscene.evaluate.inputs import index_samples, load_samples, select


@pytest.fixture
def messy(demo_run: Path, other_demo_run: Path, tmp_path: Path) -> Path:
    """The demo run's samples with a line not JSON, a blank line, a sample missing its question,
    repeats of some samples (same answer), a second run's samples (ids of other answers), and a
    line not an object after them."""
    lines = (demo_run / "samples.jsonl").read_bytes().splitlines()
    broken = orjson.loads(lines[3])
    del broken["question"]
    mixed = [*lines[:5], b"{not json", *lines[5:9], b"", orjson.dumps(broken), *lines[9:], *lines[20:40],
             *(other_demo_run / "samples.jsonl").read_bytes().splitlines(), b"[1, 2]"]
    path = tmp_path / "run" / "samples.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"\n".join(mixed) + b"\n")
    (path.parent / "images").symlink_to(demo_run / "images")
    return path


CHOICES: list[dict[str, Any]] = [
    {},
    {"limit": 7},
    {"limit": 7, "seed": 0},
    {"limit": 40, "seed": 12345},
    {"limit": 10**6, "seed": 3},
    {"families": "counting"},
    {"families": "counting,relation.*", "limit": 9, "seed": 1},
    {"families": ["attribute"], "limit": 5},
    {"limit": 0},
]


@pytest.mark.parametrize("choice", CHOICES, ids=[str(c) for c in CHOICES])
def test_the_index_chooses_and_rejects_as_the_records_do(messy: Path, choice: dict[str, Any]) -> None:
    whole = load_samples(messy)
    index = index_samples(messy)
    assert index.kept is None and len(index) == len(whole.records)
    assert index.rejected == whole.rejected and len(index.rejected) > 20  # the repeats, the bad lines, in file order
    assert index.conflicts == whole.conflicts and index.conflicts  # the first line and answer of each named
    chosen = index.read(index.choose(**choice))
    assert chosen == select(whole.records, **choice)
    kept = index_samples(messy, keep=True)  # (every sample held: what evaluating them all reads)
    assert kept.read(kept.choose(**choice)) == chosen


@pytest.mark.parametrize(("families", "limit", "seed"),
                         [(None, 25, 0), ("counting", 6, 4), ("relation.*,depth", 11, 99)])
def test_a_seeded_limit_draws_as_it_always_drew(demo_run: Path, families: str | None, limit: int, seed: int) -> None:
    """The rule stated apart from the code: of the samples of those families, in file order,
    `random.Random(seed).sample(range(len(them)), limit)`, taken in file order."""
    wanted = families.split(",") if families else []
    them = [s for s in samples(demo_run)
            if not wanted or any(s["family"] == w or (w.endswith("*") and s["task"].startswith(w[:-1]))
                                 for w in wanted)]
    assert len(them) > limit
    drawn = [them[i]["id"] for i in sorted(random.Random(seed).sample(range(len(them)), limit))]
    index = index_samples(demo_run)
    assert [s["id"] for s in index.read(index.choose(limit=limit, families=families, seed=seed))] == drawn


def test_an_unknown_family_is_refused_as_before(messy: Path) -> None:
    whole, index = load_samples(messy), index_samples(messy)
    with pytest.raises(KeyError) as before:
        select(whole.records, families="counting,zzz")
    with pytest.raises(KeyError) as now:
        index.choose(families="counting,zzz")
    assert str(now.value) == str(before.value) and "families here: " in str(now.value)


def test_ids_of_one_hash_are_told_apart(messy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ids of one 64-bit hash are two samples: every id hashed alike, the index still rejects
    only the true repeats (each sample's id read again), as reading every record does."""
    whole = load_samples(messy)
    monkeypatch.setattr(inputs, "_id_hash", lambda sample_id: 7)
    index = index_samples(messy)
    assert (index.rejected, index.conflicts) == (whole.rejected, whole.conflicts)
    assert index.read(index.choose()) == whole.records


def many_samples(demo_run: Path, path: Path, copies: int) -> int:
    """`copies` of the demo run's samples, each copy's ids made its own; how many were written."""
    lines = []
    for k in range(copies):
        for sample in samples(demo_run):
            lines.append(orjson.dumps({**sample, "id": f"{sample['id']}-{k}"}))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
    (path.parent / "images").symlink_to(demo_run / "images")
    return len(lines)


def traced_peak(call: Any) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("seed", [None, 0])
def test_a_limited_evaluation_holds_the_samples_it_evaluates_not_the_run(demo_run: Path, tmp_path: Path,
                                                                         seed: int | None) -> None:
    """Peak traced memory of `evaluate(limit=20)` of a file of thousands of samples stays well
    below what the file's samples take parsed (before, every sample was held parsed)."""
    path = tmp_path / "big" / "samples.jsonl"
    n = many_samples(demo_run, path, copies=12)
    assert n > 5000
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": orjson.loads(line)["id"], "reply": "2"}) + b"\n"
                                 for line in path.read_bytes().splitlines()[:200]))
    every = traced_peak(lambda: load_samples(path))
    out = tmp_path / "out"
    peak = traced_peak(lambda: evaluate(path, f"replay:{replies}", out, limit=20, seed=seed, freeform="off",
                                        reports=False, cache=False))
    results = [orjson.loads(line) for line in (out / "results.jsonl").read_bytes().splitlines()]
    assert len(results) == 20
    assert [r["id"] for r in results] == [s["id"] for s in select(load_samples(path).records, limit=20, seed=seed)]
    assert peak < every / 4, (peak, every)


def test_a_file_cut_between_its_two_readings_is_said_to_have_changed(messy: Path) -> None:
    index = index_samples(messy)
    chosen = index.choose(limit=5, seed=0)
    messy.write_bytes(b"\n".join(messy.read_bytes().splitlines()[:30]) + b"\n")  # (rewritten, cut short)
    with pytest.raises(ValueError, match=r"samples\.jsonl changed while it was read: \d+ of the samples chosen"):
        index.read(chosen)
