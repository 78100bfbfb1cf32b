"""Visual Genome end to end: annotators recorded some attributes and relations of each object, not
all that hold (``meta["sparse"]``). Read, generate with every generator, verify; then fill in
attributes and relations the annotators could have left out, and check that no sample's answer
changes: no sample takes an unannotated attribute or relation for absent."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import orjson

from veriscene import generate, verify
from veriscene.errors import ExecutionFailure
from veriscene.program import execute
from veriscene.scene.geometry import READABLE, could_read
from veriscene.scene.jsonl import read_scenes
from veriscene.scene.model import Scene
from veriscene.verify import answers_equal
from veriscene.vocab import CONVERSE_PREDICATES

COLOURS = ("red", "blue", "white", "black", "green")
PREDICATES = ("on", "near", "holding", "wearing", "left of", "right of", "behind")


def _vg(path: Path, images: int = 10) -> None:
    """Images of men, cars, cups and a table with some colours and relations annotated."""
    rng = np.random.default_rng(7)
    records = []
    for k in range(images):
        objects = []
        for j, name in enumerate(["man", "man", "car", "car", "car", "cup", "cup", "table", "shirt"]):
            x, y = int(rng.integers(0, 250)), int(rng.integers(0, 180))
            attrs = [str(rng.choice(COLOURS))] if rng.random() < 0.4 else []
            if rng.random() < 0.2:
                attrs.append("large")
            objects.append({"object_id": 100 * k + j, "names": [name], "x": x, "y": y, "w": 40 + 3 * j,
                            "h": 30 + 2 * j, "attributes": attrs})
        relations, used = [], set()
        for _ in range(8):
            s, o = (int(v) for v in rng.choice(len(objects), 2, replace=False))
            if (s, o) in used or (o, s) in used:
                continue
            used.add((s, o))
            relations.append({"predicate": str(rng.choice(PREDICATES)), "subject_id": 100 * k + s,
                              "object_id": 100 * k + o})
        # the table and the shirt (one of each) in the direction their boxes show, if they do
        # (a "yes" of a direction stands only where the boxes show it: `visual.direction_shown`)
        table, shirt = objects[7], objects[8]
        box_t, box_s = [table["x"], 0, table["x"] + table["w"], 1], [shirt["x"], 0, shirt["x"] + shirt["w"], 1]
        for p in ("left of", "right of"):
            if (7, 8) not in used and (8, 7) not in used and could_read(box_t, box_s, p, 320, slack=0.0):
                relations.append({"predicate": p, "subject_id": 100 * k + 7, "object_id": 100 * k + 8})
        records.append({"image_id": k + 1, "width": 320, "height": 240, "objects": objects,
                        "relationships": relations})
    path.write_text(json.dumps(records))


def _filled(scene: Scene, rng: np.random.Generator) -> Scene:
    """The scene with many attributes and relations added that its annotation leaves open (never
    one that contradicts an annotated spatial relation or that no viewer would read into the
    boxes), read as annotated in full."""
    attributes = [set(a) for a in scene.attributes]
    for attrs in attributes:
        attrs.update(str(c) for c in COLOURS if rng.random() < 0.3)
        if rng.random() < 0.3:
            attrs.add("large")
    relations = set(scene.relations)
    n, boxes, longer = len(scene), scene.boxes.tolist(), max(scene.width, scene.height)
    for s in range(n):
        for o in range(n):
            for p in PREDICATES:
                if s == o or rng.random() < 0.5:
                    continue
                if p in READABLE and not could_read(boxes[s], boxes[o], p, longer):
                    continue  # no viewer would say it of these boxes
                opposite = CONVERSE_PREDICATES.get(p, p)
                if opposite == p or ((s, opposite, o) not in relations and (o, p, s) not in relations):
                    relations.add((s, p, o))
    meta = {k: v for k, v in scene.meta.items() if k != "sparse"}
    return replace(scene, attributes=tuple(tuple(sorted(a)) for a in attributes),
                   relations=tuple(sorted(relations)), meta=meta)


def test_no_sample_takes_an_unannotated_attribute_or_relation_for_absent(tmp_path: Path) -> None:
    # (14 images: in 10, each relational referring expression had a second object shifted that
    # way, which a viewer may read so too: `visual.may_read`)
    _vg(tmp_path / "scene_graphs.json", 14)
    out, full = tmp_path / "run", tmp_path / "full"
    summary = generate(tmp_path / "scene_graphs.json", out, from_format="visual_genome", per_scene=2)
    report = verify(out)
    assert summary.samples > 0 and report.ok and report.verified == summary.samples
    # the same annotations taken as complete make questions these scenes cannot answer
    baseline = generate(tmp_path / "scene_graphs.json", full, from_format="visual_genome", per_scene=2,
                        reader_options={"sparse": False, "objects": "complete"})
    rows = [orjson.loads(line) for line in (out / "samples.jsonl").read_bytes().splitlines()]
    full_rows = [orjson.loads(line) for line in (full / "samples.jsonl").read_bytes().splitlines()]
    tasks, full_tasks = {r["task"] for r in rows}, {r["task"] for r in full_rows}
    assert {"attribute.exists.v1", "attribute.count.v1", "scene_graph.multihop.v1"} <= full_tasks - tasks
    assert baseline.samples > summary.samples
    assert {"relation.exists.v1", "object.count.v1", "attribute.query.v1"} <= tasks

    scenes = {s.image_id: s for s in read_scenes(out / "scenes.jsonl")}
    assert all(s.meta["sparse"] == ["attributes", "relations"] for s in scenes.values())
    checked = 0
    for seed in range(3):
        rng = np.random.default_rng(seed)
        filled = {k: _filled(s, rng) for k, s in scenes.items()}
        for r in rows:
            if r["answer_type"] == "text":  # captions describe what is annotated, in words
                continue
            group = [filled[img["id"]] for img in r["images"]]
            try:
                found = execute(r["program"], group)
            except ExecutionFailure as exc:
                # "what colour is it?" with a second colour added, and the like: the stored
                # answer is still one of its values
                assert "attributes of type" in str(exc) or "relations hold from" in str(exc), (r["task"], str(exc))
                continue
            assert answers_equal(r["answer"], found, r["answer_type"]), (r["task"], r["question"], found)
            checked += 1
    assert checked > summary.samples  # most samples are checked on each filling-in
    # relational referring expressions remain where the boxes make them sure ("the man left of the car")
    refexps = [r for r in rows if r["task"] == "grounding.refexp.v1"]
    assert refexps and all(n["args"][0] in READABLE for r in refexps for n in r["program"] if n["op"] == "filter_relation")
    # wrong relation options are only predicates the boxes (or an annotated opposite) rule out
    options = [r for r in rows if r["task"] in ("relation.query.v1", "relation.region.v1") and r["choices"]]
    assert options
    for r in options:
        assert all(c in READABLE for c in r["choices"] if c != r["answer"]), r["question"]
    # generators whose every question would take an unannotated attribute or relation for absent
    # are not run on such scenes
    for name in ("attribute.exists.v1", "attribute.count.v1", "scene_graph.multihop.v1", "multi.has_attributed.v1"):
        assert summary.generator_stats.get(f"skipped_requirements:{name}", 0) == 14, name
