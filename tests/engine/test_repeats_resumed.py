"""A run killed after it dropped a repeated multi-image sample, resumed, ends as the uninterrupted
run: the same samples and the same manifest, its count of repeats dropped included."""

import importlib

import orjson
import pytest

from veriscene import generate
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.runfiles import iter_sample_lines
from veriscene.scene import write_scenes

from .same_pair import registered_same_pair


class _Killed(BaseException):
    """Stands for kill -9 between the repeats' rewrite and the merge (nothing after it runs)."""


@pytest.fixture
def same_pair():
    """Each anchor draws its one partner and asks about the pair in image-id order with one
    template: both anchors of a pair make the same sample (one is dropped as a repeat)."""
    yield from registered_same_pair("test.same_pair_resumed.v1")


def _manifest(out):
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    return manifest["counts"], manifest["shards"], manifest["summary"]


@pytest.mark.parametrize("shard_format", ["jsonl", "zstd"])
def test_resumed_after_the_repeats_were_dropped(tmp_path, monkeypatch, same_pair, shard_format) -> None:
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(2, seed=4), scenes)
    options = dict(generators=same_pair, mode="qa", shard_size=1, shard_format=shard_format, workers=1)
    whole = generate(scenes, tmp_path / "whole", **options)
    assert whole.repeats_dropped == 1 and whole.samples == 1

    out = tmp_path / "killed"

    def killed(*args, **kwargs):
        raise _Killed

    with monkeypatch.context() as patched:
        patched.setattr(importlib.import_module("veriscene.engine.generate"), "_merge", killed)  # after drop_repeats rewrote shard 1
        with pytest.raises(_Killed):
            generate(scenes, out, **options)
    resumed = generate(scenes, out, resume=True, **options)
    assert list(iter_sample_lines(out)) == list(iter_sample_lines(tmp_path / "whole"))
    assert resumed.repeats_dropped == 1 and resumed.samples == 1
    assert _manifest(out) == _manifest(tmp_path / "whole")
