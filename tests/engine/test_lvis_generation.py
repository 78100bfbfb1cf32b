"""LVIS end to end: each image annotates only some categories in full. Read, generate with every
generator, verify: no sample says that a name is absent, counts it or singles one out unless the
image annotates that name in full."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson

from tests.engine.test_crowd_generation import _COUNTING, _counted_sets
from veriscene import generate, verify

W, H = 320, 240
CATEGORIES = ["dog", "cup", "fork", "giraffe", "table", "kite", "umbrella", "bench"]


def _lvis(path: Path) -> dict[str, set[str]]:
    """12 images of dogs, cups and a table, a fork on odd ones; forks and giraffes verified absent
    on even images;
    cups not annotated in full on every third. Returns the names each image annotates in full."""
    images, anns, full = [], [], {}
    cid = {name: k + 1 for k, name in enumerate(CATEGORIES)}
    for k in range(12):
        boxes = [("dog", 10 + 5 * k, 20, 40, 40), ("dog", 150, 30, 50, 50), ("cup", 60, 120 + k, 20, 20),
                 ("table", 100, 150, 150, 60), ("kite", 250, 10 + 3 * k, 30, 20)]
        neg = ["fork", "giraffe"] if k % 2 == 0 else []
        if k % 2:  # forks are in the data set's vocabulary: some images have one
            boxes.append(("fork", 200, 200, 10, 30))
        not_exhaustive = ["cup"] if k % 3 == 0 else []
        images.append({"id": k + 1, "file_name": f"{k}.jpg", "width": W, "height": H,
                       "neg_category_ids": [cid[n] for n in neg],
                       "not_exhaustive_category_ids": [cid[n] for n in not_exhaustive]})
        for name, x, y, w, h in boxes:
            anns.append({"id": len(anns) + 1, "image_id": k + 1, "category_id": cid[name], "bbox": [x, y, w, h],
                         "area": float(w * h)})
        full[str(k + 1)] = ({n for n, *_ in boxes} - set(not_exhaustive)) | set(neg)
    path.write_text(json.dumps({"images": images, "annotations": anns,
                                "categories": [{"id": cid[n], "name": n} for n in CATEGORIES]}))
    return full


def _names_asked(program: list[dict]) -> set[str]:
    return {node["args"][0] for node in program if node["op"] == "filter_name"}


def test_no_sample_states_what_lvis_leaves_open(tmp_path: Path) -> None:
    full = _lvis(tmp_path / "lvis_v1_val.json")
    out = tmp_path / "run"
    summary = generate(tmp_path / "lvis_v1_val.json", out, from_format="coco", per_scene=3)
    assert summary.samples > 0
    report = verify(out)
    assert report.ok and report.verified == summary.samples

    rows = [orjson.loads(line) for line in (out / "samples.jsonl").read_bytes().splitlines()]
    negatives = 0
    for r in rows:
        ids = [img["id"] for img in r["images"]]
        for image, names in _counted_sets(r["program"]):
            # a counted or compared set is narrowed by a name the image annotates in full
            assert names & full[ids[image]], (r["task"], r["question"])
        if r["answer"] is False or r["answer"] == 0 and r["answer_type"] == "int":
            negatives += 1
            # "no" and "0" only about names annotated in full
            assert _names_asked(r["program"]) <= set.intersection(*(full[i] for i in ids)), (r["task"], r["question"])
        if len(ids) == 1 and "cup" not in full[ids[0]]:
            question = r["question"].split("\n")[0]
            if re.search(r"\bcups?\b", question):
                assert not _COUNTING.search(question) and "the cup" not in question, (r["task"], question)
    assert negatives > 0
    # questions about forks and giraffes are asked where LVIS verified their absence
    absent = [r for r in rows if r["task"] == "object.exists.v1" and r["answer"] is False]
    assert absent and all(int(r["images"][0]["id"]) % 2 == 1 for r in absent)  # ids 1, 3, ...: even k
    captions = [r["answer"] for r in rows if r["task"] == "scene_graph.caption.v1"]
    assert captions and all("objects:" not in c for c in captions)
    # object.count does not ask a count LVIS leaves open (its options are the counts it asks)
    assert summary.generator_stats.get("rejected_program:object.count.v1", 0) == 0
