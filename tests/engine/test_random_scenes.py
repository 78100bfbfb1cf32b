"""The engine on random scene graphs (`tests.scene_strategies`): the same samples in one process
and on two workers, every one of them verified, whatever the scenes hold."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scene_strategies import scenes
from veriscene import generate, verify
from veriscene.scene import write_scenes


@st.composite
def scene_files(draw: st.DrawFn) -> list:
    return [draw(scenes(image_id=f"im{k}")) for k in range(draw(st.integers(20, 40)))]


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scene_files())
def test_random_scenes_one_process_and_two_workers(graphs: list) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_scenes(graphs, root / "scenes.jsonl")
        alone = generate(root / "scenes.jsonl", root / "alone", seed=3, shard_size=7)
        pooled = generate(root / "scenes.jsonl", root / "pooled", seed=3, shard_size=11, workers=2)
        written = (root / "alone" / "samples.jsonl").read_bytes()
        assert (root / "pooled" / "samples.jsonl").read_bytes() == written
        assert alone.samples == pooled.samples == written.count(b"\n")
        report = verify(root / "alone" / "samples.jsonl", root / "scenes.jsonl")
        assert report.problems == [] and report.verified == alone.samples
