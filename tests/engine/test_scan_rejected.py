"""The scan's vocabulary and pool hold only scenes the shard pass keeps: the names of a scene record
it rejects (a bad box, an unknown relation index) are in neither (helper-253)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.scan import scan_scenes
from veriscene.scene.jsonl import dumps_scene, scene_from_dict
from veriscene.errors import SceneValidationError


def _bad(record: dict, how: str) -> dict:
    record = {**record, "image_id": f"bad_{how}", "objects": [dict(o) for o in record["objects"]]}
    record["objects"][0]["name"] = "zebra"
    record["objects"][0]["attributes"] = ["plaid"]
    if how == "box":
        record["objects"][0]["box"] = [10.0, 10.0, 5.0, 5.0]  # x1 < x0
    else:
        record["relations"] = [[0, "chasing", 999]]  # no object 999
    return record


@pytest.mark.parametrize("how", ["box", "relation"])
def test_a_rejected_scene_adds_no_name(tmp_path: Path, how: str) -> None:
    scenes = [orjson.loads(dumps_scene(s)) for s in iter_scene_graphs(3, seed=1)]
    bad = _bad(scenes[1], how)
    with pytest.raises(SceneValidationError):
        scene_from_dict(bad)
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in [scenes[0], bad, scenes[2]]) + b"\n")
    scan = scan_scenes([str(path)], seed=0, pool_size=10)
    vocab = scan.vocab.to_dict()
    assert "zebra" not in vocab["names"] and "plaid" not in vocab["attributes"]
    assert "chasing" not in vocab["predicates"]
    assert scan.scenes == 3 and scan.invalid == 1
    assert all(entry.image_id != bad["image_id"] for entry in scan.pool)


def test_a_run_rejecting_a_scene_has_none_of_its_words(tmp_path: Path) -> None:
    import json

    from veriscene import generate

    scenes = [orjson.loads(dumps_scene(s)) for s in iter_scene_graphs(3, seed=1)]
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in [scenes[0], _bad(scenes[1], "box"), scenes[2]]) + b"\n")
    summary = generate(str(path), tmp_path / "run", seed=0)
    vocabulary = json.loads((tmp_path / "run" / "vocabulary.json").read_text())
    assert summary.rejects["rejected"] == 1
    assert "zebra" not in vocabulary["names"] and "plaid" not in vocabulary["attributes"]
