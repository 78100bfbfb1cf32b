"""The scan records the names of closed category lists (``meta["category_set"]``, COCO) and marks
pooled scenes of a set with the names they annotate in full (`PoolEntry.complete`) where a run
mixes them with other scenes (helper-183)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.generators.test_closed_categories import CATEGORIES, SET_ID, _scenes
from veriscene.engine.scan import scan_scenes
from veriscene.engine.scan_chunks import BAD_CATEGORY_LIST
from veriscene.scene.jsonl import scene_to_dict


def _write(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


@pytest.mark.parametrize("chunk_bytes", [1 << 20, 700])
def test_pooled_coco_scenes_annotate_their_categories_in_full(tmp_path: Path, chunk_bytes: int) -> None:
    scenes = _scenes(6, 6)
    scan = scan_scenes(_write(tmp_path / "mixed.jsonl", [scene_to_dict(s) for s in scenes]), chunk_bytes=chunk_bytes)
    assert scan.vocab.category_sets == {SET_ID: set(CATEGORIES)}
    complete = {e.image_id: e.complete for e in scan.pool}
    assert complete == {s.image_id: frozenset(CATEGORIES) if s.image_id.startswith("coco-") else None for s in scenes}
    # COCO alone: the set closes no name of the run, and the pool is as it was
    coco = [scene_to_dict(s) for s in scenes[:6]]
    alone = scan_scenes(_write(tmp_path / "coco.jsonl", coco), chunk_bytes=chunk_bytes)
    assert all(e.complete is None for e in alone.pool)


def test_a_list_that_is_not_its_set_s_is_counted_not_read(tmp_path: Path) -> None:
    records = [scene_to_dict(s) for s in _scenes(3, 3)]
    records[0]["meta"]["categories"] = [*CATEGORIES, "window"]  # not the list its id names
    scan = scan_scenes(_write(tmp_path / "edited.jsonl", records))
    assert scan.ignored[BAD_CATEGORY_LIST] == 1
    shown = {o["name"] for r in records[:3] for o in r["objects"]}
    assert scan.vocab.category_sets == {SET_ID: shown}  # the names its scenes show, no window
