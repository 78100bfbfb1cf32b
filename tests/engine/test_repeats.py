"""A multi-image sample that two anchors both produce is written once."""

import orjson
import pytest

from veriscene import generate, verify
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.runfiles import iter_sample_lines
from veriscene.scene import write_scenes

from .same_pair import registered_same_pair


@pytest.fixture
def same_question_generator(monkeypatch):
    """Each anchor draws its one partner and asks about the pair in image-id order with one
    template, so both anchors of a pair produce the identical sample. Registered here, it exists
    only in workers forked from this process."""
    monkeypatch.setenv("VERISCENE_START_METHOD", "fork")

    yield from registered_same_pair("test.same_pair.v1")


@pytest.mark.parametrize("shard_size,shard_format,workers", [(1, "jsonl", 1), (2, "jsonl", 1), (1, "zstd", 2), (2, "parquet", 1)])
def test_repeat_written_once(tmp_path, same_question_generator, shard_size, shard_format, workers) -> None:
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(2, seed=4), scenes)
    out = tmp_path / "out"
    summary = generate(scenes, out, generators=same_question_generator, mode="qa", shard_size=shard_size,
                       shard_format=shard_format, workers=workers)
    lines = list(iter_sample_lines(out))
    assert len(lines) == 1 and summary.samples == 1 and summary.repeats_dropped == 1
    assert summary.per_task == {same_question_generator: 1}
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["counts"]["samples"] == 1 and manifest["counts"]["repeats_dropped"] == 1
    assert sum(s["samples"] for s in manifest["shards"]) == 1
    assert verify(out).ok
    # resuming the finished run changes nothing
    again = generate(scenes, out, generators=same_question_generator, mode="qa", shard_size=shard_size,
                     shard_format=shard_format, workers=workers, resume=True)
    assert list(iter_sample_lines(out)) == lines and again.samples == 1


def test_shared_rows_round_trip_and_repeats_in_shard_order() -> None:
    from veriscene.engine.repeats import SharedIds
    from veriscene.engine.shards import SharedRows

    first, second = SharedRows(), SharedRows()
    for line, sid in [(0, "aa" * 12), (5, "bb" * 12)]:
        first.add(line, sid)
    for line, sid in [(1, "cc" * 12), (3, "bb" * 12), (4, "aa" * 12)]:
        second.add(line, sid)
    back = SharedRows.from_json(orjson.loads(orjson.dumps(second.to_json())))
    assert list(back.lines) == [1, 3, 4] and list(back.hashes) == list(second.hashes)
    ids = SharedIds()
    ids.add(7, back)
    ids.add(2, first)  # added out of order: shard order decides which occurrence is first
    assert ids.repeated_lines() == {7: {3, 4}}
