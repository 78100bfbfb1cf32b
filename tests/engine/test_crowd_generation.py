"""COCO crowd regions end to end: read, generate with every generator, verify. No sample counts
people on an image whose people include a crowd region, or singles one of them out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson

from veriscene import generate, verify

W, H = 320, 240
_COUNTING = re.compile(r"\b(how many|number of|count|more|fewer|fewest|most|least|largest|smallest|"
                       r"bigger|larger|tinier|leftmost|rightmost|topmost|bottommost|closest to)\b", re.I)


def _rect(x: float, y: float, w: float, h: float) -> list[list[float]]:
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def _coco_file(path: Path) -> set[str]:
    """12 images: people, a dog, a kite; images 0, 3, 6, 9 also hold a crowd region of people."""
    images, anns = [], []
    crowded = set()
    for k in range(12):
        images.append({"id": k + 1, "file_name": f"{k}.jpg", "width": W, "height": H})
        boxes = [(1, 10 + 7 * k, 20, 30, 60), (1, 60 + 5 * k, 30, 25, 70), (18, 150, 150, 60, 40),
                 (38, 250, 20 + 3 * k, 30, 20)]
        if k % 3 == 0:
            boxes.append((1, 120, 10, 110, 90))
            crowded.add(str(k + 1))
        for cat, x, y, w, h in boxes:
            anns.append({"id": len(anns) + 1, "image_id": k + 1, "category_id": cat, "bbox": [x, y, w, h],
                         "segmentation": _rect(x, y, w, h), "area": float(w * h),
                         "iscrowd": int(cat == 1 and w == 110)})
    cats = [{"id": 1, "name": "person"}, {"id": 18, "name": "dog"}, {"id": 38, "name": "kite"}]
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return crowded


def _counted_sets(program: list[dict]) -> list[tuple[int, set[str]]]:
    """(image, names filtered on the way) of every set a `count` or `extreme` node takes."""
    found = []
    for node in program:
        if node["op"] in ("count", "extreme", "frequent_name"):
            names, at = set(), program[node["inputs"][0]]
            while at["op"] != "scene":
                if at["op"] == "filter_name":
                    names.add(at["args"][0])
                at = program[at["inputs"][0]]
            found.append((at["args"][0], names))
    return found


def test_no_sample_counts_or_singles_out_a_crowd(tmp_path: Path) -> None:
    crowded = _coco_file(tmp_path / "instances.json")
    out = tmp_path / "run"
    summary = generate(tmp_path / "instances.json", out, from_format="coco", per_scene=3)
    assert summary.samples > 0
    report = verify(out)
    assert report.ok and report.verified == summary.samples

    rows = [orjson.loads(line) for line in (out / "samples.jsonl").read_bytes().splitlines()]
    captions = {r["images"][0]["id"]: r["answer"] for r in rows if r["task"] == "scene_graph.caption.v1"}
    assert captions and all(("many people" in text) == (image in crowded) for image, text in captions.items())
    about_people = 0
    for r in rows:
        ids = [img["id"] for img in r["images"]]
        for image, names in _counted_sets(r["program"]):
            assert ids[image] not in crowded or names - {"person"}, (r["task"], r["question"])
        question = r["question"].split("\n")[0]
        if len(ids) > 1 or ids[0] not in crowded or not re.search(r"\b(people|person)\b", question):
            continue
        about_people += 1
        # people may be said to be there, never counted, compared or singled out as "the person"
        assert not _COUNTING.search(question), (r["task"], question)
        assert "the person" not in question, (r["task"], question)
    assert about_people > 0
    compared = [r for r in rows if r["task"] == "multi.compare_caption.v1"
                and any(img["id"] in crowded for img in r["images"])]
    assert compared and all("many" in r["answer"] for r in compared)
    # on images without a crowd region, people are still counted
    counted = [r for r in rows if r["task"] == "object.count.v1" and "people" in r["question"]
               and not {img["id"] for img in r["images"]} & crowded]
    assert counted and all(r["answer"] == 2 for r in counted)
    # the questions refused on crowd images are counted as rejects, not dropped silently;
    # object.count does not ask them (its options are the counts it asks: `count_options`)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "rejected_program:counting.compare.v1" in json.dumps(manifest)
    assert "rejected_program:object.count.v1" not in json.dumps(manifest)


def test_summary_says_what_was_skipped_and_dropped(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    _coco_file(tmp_path / "instances.json")
    summary = generate(tmp_path / "instances.json", tmp_path / "run", from_format="coco")
    rows = summary.per_generator()
    # every generator that ran has a row, with the samples of `per_task` and its scenes
    assert set(summary.per_task) < set(rows)
    assert rows["attribute.query.v1"] == {"samples": 0, "skipped": 12, "no_question": 0, "dropped": 0, "failed": 0}
    assert rows["object.count.v1"]["samples"] == summary.per_task["object.count.v1"]
    # on a crowd image, people are not counted: one dog and one kite leave one count, so no
    # options for a multiple choice (`count_options`), dropped and counted as such
    assert rows["object.count.v1"]["dropped"] == summary.generator_stats["no_choices:object.count.v1"] > 0
    assert all(sum(r.values()) > 0 for r in rows.values())

    result = CliRunner().invoke(app, ["generate", str(tmp_path / "instances.json"), "--from", "coco",
                                      "--out", str(tmp_path / "cli")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Skipped and dropped" in result.output
    stats = result.output[result.output.index("Skipped and dropped"):]
    line = next(ln for ln in stats.splitlines() if "│ object.count.v1" in ln)
    assert [c.strip() for c in line.split("│")[2:7]] == [str(rows["object.count.v1"][k]) for k in
                                                         ("samples", "skipped", "no_question", "dropped", "failed")]
    flat = " ".join(result.output.split())
    idle = flat[flat.index("21 generator(s)"):]
    assert idle.startswith("21 generator(s) made no samples, as no scene has what they need.")
    assert "relations: grounding.refexp.v1," in idle
    assert "relations, annotated in full (not in meta.sparse): multi.relation_diff.v1, relation.subject.v1," in idle
    assert "depth and masks: depth.points.v1" in idle and "depth_map: depth.map_points.v1" in idle
