"""Scenes of a closed category list (``meta["category_set"]``: COCO annotates every instance of
its categories and nothing else) in a run beside open-vocabulary scenes (Visual Genome): no
sample takes the absence or count of a name outside a scene's categories from it ("Is there a
window?" of a COCO image, a COCO partner of "Which image has no window?", a COCO image's windows
counted as none), and no names-set answer over a mixed group leaves such a name open. A run of
the COCO scenes alone makes the samples it made before the categories were read (helper-183)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.category_sets import category_set_id
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import scan_scenes
from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.sample import Sample
from veriscene.scene.jsonl import scene_from_dict, scene_to_dict
from veriscene.scene.model import Scene

CATEGORIES = ("bottle", "bus", "car", "cat", "chair", "cup", "dog", "person")
SET_ID = category_set_id(CATEGORIES)
# Visual Genome-like names: some of them COCO's categories too
OPEN = ("building", "car", "cup", "dog", "man", "shirt", "sign", "tree", "window")


def _scene(rng: np.random.Generator, image_id: str, names: tuple[str, ...], meta: dict[str, Any]) -> Scene:
    objects = []
    for name in rng.choice(names, size=int(rng.integers(2, 6))).tolist():
        x, y = float(rng.uniform(0, 500)), float(rng.uniform(0, 350))
        objects.append({"name": name, "box": [x, y, x + float(rng.uniform(20, 140)), y + float(rng.uniform(20, 120))]})
    return Scene.from_objects(image_id, 640, 480, objects, meta=meta)


def _scenes(coco: int, open_vocabulary: int) -> list[Scene]:
    rng = np.random.default_rng(11)
    made = []
    for k in range(coco):  # the first carries the list, as COCO's reader writes it
        meta: dict[str, Any] = {"crowd": [], "category_set": SET_ID}
        if k == 0:
            meta["categories"] = list(CATEGORIES)
        made.append(_scene(rng, f"coco-{k}", CATEGORIES, meta))
    made += [_scene(rng, f"vg-{k}", OPEN, {}) for k in range(open_vocabulary)]
    return made


def _run(tmp_path: Path, scenes: list[Scene]) -> list[Sample]:
    """Every generator over every scene, as the engine runs a shard (its scan's vocabulary and pool)."""
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"".join(orjson.dumps(scene_to_dict(s)) + b"\n" for s in scenes))
    scan = scan_scenes(path)
    runner = SceneRunner([cls() for cls in select_generators("*")], scan.vocab, seed=5, pool=ScenePool(scan.pool))
    with open(path, "rb") as fh:
        return [sample for line in fh for sample in runner.run(scene_from_dict(orjson.loads(line)))]


def _images(program: list[dict[str, Any]]) -> list[int | None]:
    """Per node, the image its objects come from (None: not objects of one image)."""
    found: list[int | None] = []
    for node in program:
        if node["op"] == "scene":
            found.append(int(node["args"][0]))
        elif node["inputs"] and node["op"].startswith(("filter", "union", "intersect", "subtract")):
            found.append(found[node["inputs"][0]])
        else:
            found.append(None)
    return found


def _asks_outside(sample: Sample, closed: dict[str, bool], names: dict[str, frozenset[str]]) -> bool:
    """Whether the sample takes a name outside the categories for absent from a COCO image: a
    `filter_name` of it over that image, or a names-set answer the image leaves open."""
    ids = [image["id"] for image in sample.images]
    for node, image in zip(sample.program, _images(sample.program)):
        if node["op"] == "filter_name" and image is not None and closed[ids[image]]:
            if node["args"][0] not in CATEGORIES:
                return True
    ops = {node["op"] for node in sample.program}
    if "names_in" not in ops or len({closed[i] for i in ids}) < 2:
        return False
    if "set_difference" in ops:  # in one image and no other: every name answered is absent elsewhere
        return any(w not in CATEGORIES for w in sample.answer)
    # in every image: a name every open image has, which the COCO image may show unannotated
    return bool(frozenset.intersection(*(names[i] for i in ids if not closed[i])) - set(CATEGORIES))


def _option_open(sample: Sample, closed: dict[str, bool], names: dict[str, frozenset[str]]) -> bool:
    """Whether a wrong names-set option over a group with a COCO image may be right: a name
    outside the categories that every other image has ("in every image"), or that no other image
    than a COCO Image k has ("in Image k and in none of the others")."""
    ids = [image["id"] for image in sample.images]
    ops = [node["op"] for node in sample.program]
    if "names_in" not in ops or not any(closed[i] for i in ids) or not sample.choices:
        return False
    k = int(sample.program[0]["args"][0])  # (the first image read: Image k of "only in")
    for option in sample.choices:
        for w in option.split(", "):
            if w in CATEGORIES or w in sample.answer or w == "none":
                continue
            if "set_difference" in ops:
                if closed[ids[k]] and not any(w in names[i] for j, i in enumerate(ids) if j != k):
                    return True
            elif all(w in names[i] for i in ids if not closed[i]):
                return True
    return False


def test_no_coco_scene_is_asked_about_a_name_outside_its_categories(tmp_path: Path) -> None:
    scenes = _scenes(16, 16)
    closed = {s.image_id: "category_set" in s.meta for s in scenes}
    names = {s.image_id: frozenset(s.names) for s in scenes}
    samples = _run(tmp_path, scenes)
    asking = sorted({(s.task, s.question) for s in samples if _asks_outside(s, closed, names)})
    assert asking == []  # before: 115 samples, 110 questions (object.absent, .exists, .count, 8 multi.*)
    assert [s.question for s in samples if _option_open(s, closed, names)] == []
    # the COCO scenes are still asked about absent categories, and the partners of open ones
    coco_absent = [s for s in samples if s.task in ("object.exists.v1", "object.absent.v1") and s.answer is False
                   and s.images[0]["id"].startswith("coco-")]
    assert coco_absent and all(_named(s) in CATEGORIES for s in coco_absent)
    assert any(s.task == "multi.lacks_object.v1" and s.images[s.answer]["id"].startswith("coco-")
               for s in samples if isinstance(s.answer, int))


def _named(sample: Sample) -> str:
    (name,) = [node["args"][0] for node in sample.program if node["op"] == "filter_name"]
    return name


# Questions over every object of an image, which a scene of a category set is not asked as a
# scene annotated in full is, whatever the run (its objects are not all it shows: see
# tests/generators/test_closed_name_options.py, helper-189)
OVER_EVERY_OBJECT = frozenset({"spatial.extreme.v1", "scene_graph.caption.v1", "multi.common_objects.v1",
                               "multi.only_in.v1"})


def test_a_run_of_coco_alone_makes_the_samples_it_made(tmp_path: Path) -> None:
    """The categories close nothing a run of the set's scenes alone may ask: the same samples as
    from the same scenes without a category set (every name taken as annotated in full, the
    assumption before), ids and answers, but for the questions over every object of an image."""
    coco = _scenes(24, 0)
    plain = [replace(s, meta={"crowd": []}) for s in coco]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_set = [(s.id, s.answer) for s in _run(tmp_path / "a", coco) if s.task not in OVER_EVERY_OBJECT]
    without = [(s.id, s.answer) for s in _run(tmp_path / "b", plain) if s.task not in OVER_EVERY_OBJECT]
    assert len(with_set) > 500 and with_set == without


def test_the_vocabulary_records_each_set_s_names() -> None:
    """`Vocabulary.category_sets`: the list a scene carries and the names of the set's scenes;
    `closed_names`, the set's names where they are not all of the vocabulary's (else None: they
    close nothing); kept through `to_dict` and `merge` (a union: any chunking gives the same)."""
    coco, open_scenes = _scenes(3, 0), _scenes(0, 2)
    shown = {n for s in coco for n in s.names}
    assert shown < set(CATEGORIES)  # (no scene shows every category: the list closes the others)
    vocab = Vocabulary.from_scenes([*coco, *open_scenes])
    assert vocab.category_sets == {SET_ID: set(CATEGORIES)}
    assert vocab.closed_names(SET_ID) == frozenset(CATEGORIES)
    assert vocab.closed_names("3:unknown") == frozenset()  # a set the scan never met: nothing is known
    assert Vocabulary.from_dict(orjson.loads(orjson.dumps(vocab.to_dict()))).category_sets == vocab.category_sets
    alone = Vocabulary.from_scenes(coco)
    assert alone.closed_names(SET_ID) is None  # COCO alone: every name of the run is a category
    # without the list: the names the set's scenes show
    unlisted = Vocabulary.from_scenes([replace(s, meta={"category_set": SET_ID}) for s in coco])
    assert unlisted.category_sets == {SET_ID: shown}
    merged = Vocabulary.from_scenes(open_scenes)
    merged.merge(unlisted)
    merged.merge(alone)
    assert merged.category_sets == {SET_ID: set(CATEGORIES)} and merged.closed_names(SET_ID) == frozenset(CATEGORIES)
    assert "category_sets" not in Vocabulary.from_scenes(open_scenes).to_dict()  # runs without sets: as before
