"""Every multi-image generator on random demo scenes: every sample verifies, yes/no is balanced,
the correct option is uniformly placed, and drawing a group does not cost more in a larger pool."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import veriscene
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.runfiles import iter_sample_lines
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import PoolEntry
from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.sample import OPTION_LETTERS

MULTI = [g.name for g in select_generators("multi*")]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("multi")
    scenes = root / "scenes.jsonl"
    veriscene.write_scenes(iter_scene_graphs(80, seed=3), scenes)
    # multi.marked_point.v1 asks nothing without marks: true (its own tests): on here, so every one asks
    veriscene.generate(scenes, root / "run", seed=1, generators="multi*", mode="both",
                       generator_options={"multi.marked_point.v1": {"marks": True}})
    return root / "run", [json.loads(line) for line in iter_sample_lines(root / "run")]


def test_registered() -> None:
    assert len(MULTI) >= 14
    assert all(name.startswith("multi.") and name.endswith(".v1") for name in MULTI)


def test_every_sample_verifies(run) -> None:
    out, samples = run
    report = veriscene.verify(out)
    assert report.ok, report.problems[:3]
    assert report.verified == len(samples)


def test_every_generator_produces_multi_image_samples(run) -> None:
    _, samples = run
    counts = Counter(s["task"] for s in samples)
    assert {name for name in MULTI if counts[name] < 30} == set(), counts
    for s in samples:
        ids = [img["id"] for img in s["images"]]
        assert 2 <= len(ids) <= 4 and len(set(ids)) == len(ids), s
        if s["answer_type"] == "image_index":
            assert 0 <= s["answer"] < len(ids)
        question = s["question"].split("\nOptions:")[0]
        for k in range(len(ids) + 1, 6):
            assert f"Image {k}" not in question, s["question"]


def test_yes_no_balanced(run) -> None:
    bools = [s["answer"] for s in run[1] if s["answer_type"] == "bool"]
    assert len(bools) > 300
    assert 0.45 <= sum(bools) / len(bools) <= 0.55


def test_multiple_choice_positions_uniform(run) -> None:
    positions = Counter((len(s["choices"]), s["meta"]["answer_letter"]) for s in run[1] if s["choices"])
    checked = 0
    for n in {k for k, _ in positions}:
        counts = [positions[(n, OPTION_LETTERS[i])] for i in range(n)]
        if sum(counts) >= 300:  # fewer samples cannot resolve 5 points
            checked += 1
            assert max(abs(c / sum(counts) - 1 / n) for c in counts) <= 0.05, (n, counts)
    assert checked >= 2


def test_image_options_and_set_options_are_rendered(run) -> None:
    for s in run[1]:
        if s["choices"] is None:
            continue
        assert len(set(s["choices"])) == len(s["choices"])
        correct = s["choices"][OPTION_LETTERS.index(s["meta"]["answer_letter"])]
        if s["answer_type"] == "image_index":
            assert correct == f"Image {s['answer'] + 1}"
        elif s["answer_type"] == "str_set":
            assert correct == ", ".join(s["answer"])


# ---- cost of drawing a group does not depend on the pool size ------------------------------------


def _pool(base: list[PoolEntry], size: int) -> ScenePool:
    """A pool of `size` entries: copies of the base scenes under new image ids (same content
    distribution at every size, so access counts are comparable)."""
    entries = []
    for k in range(size):
        e = base[k % len(base)]
        new_id = f"{e.image_id}-{k}"
        line = e.line.replace(f'"{e.image_id}"'.encode(), f'"{new_id}"'.encode(), 1)
        entries.append(PoolEntry(line, new_id, e.names, e.attributes, e.predicates))
    return ScenePool(entries)


def test_group_draw_cost_does_not_grow_with_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    scenes = list(iter_scene_graphs(40, seed=11))
    base = ScenePool.from_scenes(scenes).entries
    calls = Counter()
    original_draw = ScenePool.draw

    def counted_draw(self, rng, k, *, accept=None, **kw):
        def counted_accept(entry):
            calls["accept"] += 1
            return accept is None or accept(entry)

        drawn = original_draw(self, rng, k, accept=counted_accept, **kw)
        calls["scene"] += len(drawn)  # scenes read from the pool (parsed, or from its cache)
        return drawn

    monkeypatch.setattr(ScenePool, "draw", counted_draw)
    generators = [g() for g in select_generators("multi*")]
    vocab = Vocabulary.from_scenes(scenes)
    per_anchor = {}
    for size in (100, 5000):
        runner = SceneRunner(generators, vocab, seed=0, pool=_pool(base, size))
        calls.clear()
        for scene in scenes:
            runner.run(scene)
        per_anchor[size] = {key: value / len(scenes) for key, value in calls.items()}
    small, large = per_anchor[100], per_anchor[5000]
    for key in ("scene", "accept"):
        assert large[key] <= 1.25 * small[key] + 5, per_anchor  # same distribution: same cost
        assert large[key] < 1000, per_anchor  # bounded per anchor, nowhere near 5000
    assert np.isfinite(small["scene"]) and small["scene"] > 0
