"""Step targets of samples over scenes of a closed category list (COCO): the program runs with the
lists of the scene files, as `verify` runs it (`process_column`), or of the context given."""

from __future__ import annotations

import orjson
import pytest

from tests.conftest import make_scene
from tests.test_verify_category_sets import CATEGORIES, SET_ID, sample
from veriscene.errors import ExecutionFailure
from veriscene.program import ExecutionContext
from veriscene.rewards import process_column, process_targets
from veriscene.scene import write_scenes


def test_targets_read_the_lists_of_the_context_or_of_the_scene_files(tmp_path) -> None:
    first = make_scene([{"name": "dog", "box": [0, 0, 10, 10]}], image_id="c0",
                       meta={"category_set": SET_ID, "categories": CATEGORIES})
    second = make_scene([{"name": "tv", "box": [0, 0, 10, 10]}], image_id="c1", meta={"category_set": SET_ID})
    cat = sample("cat", "c1", "count", "cat", 0, "int")  # "cat": one of the list the first scene carries
    window = sample("window", "c1", "count", "window", 0, "int")
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        process_targets(cat, [second])  # the scene alone: its own names only
    targets = process_targets(cat, ExecutionContext([second], categories={SET_ID: CATEGORIES}))
    assert targets.names == ("tv",)
    scenes = tmp_path / "scenes.jsonl"
    write_scenes([first, second], scenes)
    samples = tmp_path / "samples.jsonl"
    samples.write_bytes(orjson.dumps(cat) + b"\n" + orjson.dumps(window) + b"\n")
    column = process_column(samples, scenes=scenes)
    assert column.unscored == ["window"] and column["window"] is None
    assert "cat" in column and column["cat"] == (targets.to_json() if targets.steps else None)
