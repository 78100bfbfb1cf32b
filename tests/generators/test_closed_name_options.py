"""Wrong options naming objects on a scene of a closed category list (``meta["category_set"]``:
COCO) in a run beside open-vocabulary scenes: drawn from the set's names alone ("window" may be
the object in a COCO image's box, unannotated), from every name elsewhere, and as before in a
run of the set alone (`vocabulary_draws.option_names`; helper-189)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.generators.test_closed_categories import CATEGORIES, OPEN, SET_ID, _run, _scenes
from veriscene.generators import Vocabulary
from veriscene.generators.vocabulary_draws import likely_wrong_names, option_names
from veriscene.program.context import SceneIndex
from veriscene.sample import Sample


def _vocabulary(coco: int, open_vocabulary: int) -> tuple[Vocabulary, list[SceneIndex]]:
    scenes = _scenes(coco, open_vocabulary)
    vocab = Vocabulary()
    for scene in scenes:
        vocab.add_scene(scene)
    return vocab, [SceneIndex(s) for s in scenes]


def test_option_names_of_a_coco_scene_are_its_set_s() -> None:
    vocab, (coco, *_, vg) = _vocabulary(3, 3)
    names, key = option_names(vocab, coco)
    assert list(names) == sorted(n for n in CATEGORIES if n in vocab.names) and key == ("names", SET_ID)
    assert option_names(vocab, vg) == (vocab.name_list(), "names")
    assert option_names(vocab, None) == (vocab.name_list(), "names")


def test_a_run_of_the_set_alone_draws_from_every_name() -> None:
    vocab, (coco, *_) = _vocabulary(4, 0)
    assert option_names(vocab, coco) == (vocab.name_list(), "names")


def test_likely_wrong_names_on_a_coco_scene_name_only_its_categories() -> None:
    vocab, (coco, *_, vg) = _vocabulary(3, 3)
    outside = set(OPEN) - set(CATEGORIES)
    on_coco, on_vg = set(), set()
    for seed in range(60):
        on_coco.update(likely_wrong_names(np.random.default_rng(seed), vocab, "person", 3, coco))
        on_vg.update(likely_wrong_names(np.random.default_rng(seed), vocab, "person", 3, vg))
    assert on_coco and on_coco <= set(CATEGORIES) - {"person"}
    assert on_vg & outside  # elsewhere "window", "tree", ... stay wrong options


def test_no_option_of_a_coco_scene_s_name_question_is_outside_its_categories(tmp_path: Path) -> None:
    samples = _run(tmp_path, _scenes(12, 12))
    named = [s for s in samples if s.images[0]["id"].startswith("coco-") and s.choices
             and isinstance(s.answer, str) and s.answer.removeprefix("a ").removeprefix("an ") in CATEGORIES]
    assert {s.task for s in named} >= {"region.describe.v1"}
    offered = {c.removeprefix("a ").removeprefix("an ") for s in named for c in s.choices or ()}
    assert offered <= set(CATEGORIES), sorted(offered - set(CATEGORIES))


# ---- questions over every object of an image -----------------------------------------------
#
# A COCO image annotates its categories only: its objects are not all it shows, so it is not asked
# "What is the leftmost object in the image?", its caption gives no total ("The image shows five
# objects: ..."), and "which kinds of objects appear in every image (in Image k alone)?" of a
# group holding it lists the names asked about.


def _over_every_object(sample: Sample) -> bool:
    """Whether an op reads every object of one of the sample's images (a `scene` node's), or its
    caption counts them."""
    program = sample.program
    for node in program:
        if node["op"] in ("extreme", "count", "names_in", "exists") and node["inputs"]:
            if program[node["inputs"][0]]["op"] == "scene":
                return True
    return sample.task == "scene_graph.caption.v1" and " objects:" in str(sample.answer)


def test_no_coco_image_is_asked_about_every_object_it_shows(tmp_path: Path) -> None:
    samples = _run(tmp_path, _scenes(12, 12))
    over_coco = [s for s in samples if any(im["id"].startswith("coco-") for im in s.images)]
    assert not [(s.task, s.question) for s in over_coco if _over_every_object(s)]
    listed = {s.task for s in over_coco if s.template_id.startswith("listed")}
    assert listed == {"multi.common_objects.v1", "multi.only_in.v1"}
    assert any(s.task == "scene_graph.caption.v1" for s in over_coco)
    # the open-vocabulary scenes (complete here: no ``meta["exhaustive"]``) are asked as before
    alone = [s for s in samples if all(im["id"].startswith("vg-") for im in s.images)]
    assert {"spatial.extreme.v1", "multi.common_objects.v1"} <= {s.task for s in alone if _over_every_object(s)}


def test_no_group_description_says_a_coco_image_lacks_a_name_outside_its_categories(tmp_path: Path) -> None:
    """"Only Image 2 contains a window." beside a COCO Image 1 would say it has none: a group
    described holds no name outside the categories where it holds a COCO image."""
    scenes = _scenes(12, 12)
    names = {s.image_id: set(s.names) for s in scenes}
    described = [s for s in _run(tmp_path, scenes) if s.task == "multi.compare_caption.v1"]
    with_coco = [s for s in described if any(im["id"].startswith("coco-") for im in s.images)]
    assert with_coco and len(described) > len(with_coco)
    assert not [s.answer for s in with_coco if set().union(*(names[im["id"]] for im in s.images)) - set(CATEGORIES)]
