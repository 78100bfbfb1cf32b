"""COCO panoptic stuff regions end to end: read with their PNG id maps, generate with every
generator, verify. Sky and a merged region of trees are named plainly, said to be there, and
never counted, compared or singled out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import orjson
from PIL import Image

from tests.engine.test_crowd_generation import _COUNTING, _counted_sets
from veriscene import generate, verify

W, H = 160, 120


def _regions(image_id: str) -> set[str]:
    """The stuff regions of an image of `_panoptic`: images 1, 5 and 9 have no trees."""
    return {"sky"} if int(image_id) % 4 == 1 else {"sky", "tree"}


def _panoptic(path: Path) -> None:
    """12 images: sky along the top, a merged region of trees on the right, two dogs and a person;
    images 0, 4, 8 have no trees."""
    images, annotations = [], []
    png_dir = path.with_suffix("")
    png_dir.mkdir()
    for k in range(12):
        ids = np.zeros((H, W), np.int64)
        segments = []

        def add(sid: int, cat: int, x0: int, y0: int, x1: int, y1: int) -> None:
            ids[y0:y1, x0:x1] = sid
            segments.append({"id": sid, "category_id": cat, "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0,
                             "area": (x1 - x0) * (y1 - y0)})

        add(1, 187, 0, 0, W, 30)
        if k % 4:
            add(2, 184, 110, 30, W, 90)
        add(3, 18, 10 + k, 60, 40 + k, 90)
        add(4, 18, 50, 70 + k % 5, 90, 100)
        add(5, 1, 95, 35, 105, 110 - k)
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
        Image.fromarray(rgb).save(png_dir / f"{k}.png")
        images.append({"id": k + 1, "file_name": f"{k}.jpg", "width": W, "height": H})
        annotations.append({"image_id": k + 1, "file_name": f"{k}.png", "segments_info": segments})
    cats = [{"id": 1, "name": "person", "isthing": 1}, {"id": 18, "name": "dog", "isthing": 1},
            {"id": 184, "name": "tree-merged", "isthing": 0}, {"id": 187, "name": "sky-other-merged", "isthing": 0}]
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": cats}))


def test_no_sample_counts_or_singles_out_a_stuff_region(tmp_path: Path) -> None:
    src = tmp_path / "panoptic_val2017.json"
    _panoptic(src)
    out = tmp_path / "run"
    summary = generate(src, out, from_format="coco", per_scene=3)
    assert summary.samples > 0
    report = verify(out)
    assert report.ok and report.verified == summary.samples

    rows = [orjson.loads(line) for line in (out / "samples.jsonl").read_bytes().splitlines()]
    text = " ".join(f"{r['question']} {r['answer']}" for r in rows)
    assert "merged" not in text and "skies" not in text
    captions = [r["answer"] for r in rows if r["task"] == "scene_graph.caption.v1"]
    assert captions and all(c.startswith("The image shows") and "objects:" not in c and "sky" in c for c in captions)
    about_stuff = 0
    for r in rows:
        ids = [img["id"] for img in r["images"]]
        for image, names in _counted_sets(r["program"]):
            assert names - _regions(ids[image]), (r["task"], r["question"])
        question = r["question"].split("\n")[0]
        regions = _regions(ids[0])
        if len(r["images"]) > 1 or not any(re.search(rf"\b{n}s?\b", question) for n in regions):
            continue
        about_stuff += 1
        assert not _COUNTING.search(question), (r["task"], question)
        assert "the sky" not in question and "the tree" not in question, (r["task"], question)
    assert about_stuff > 0
    # the dogs are still counted; object.count does not ask a stuff region's count (its options
    # are the counts it asks: `count_options`), so none of its questions is refused
    dogs = [r for r in rows if r["task"] == "object.count.v1" and "dogs" in r["question"]]
    assert dogs and all(r["answer"] == 2 for r in dogs)
    assert summary.generator_stats.get("rejected_program:object.count.v1", 0) == 0
