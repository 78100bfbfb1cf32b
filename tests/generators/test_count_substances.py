"""Counting generators never count a substance (`text.is_uncountable`): "How many patches of
sky?" counts how the annotator drew its boxes, which the image does not show."""

from __future__ import annotations

from collections import Counter

import numpy as np

from tests.conftest import make_scene
from tests.generators.helpers import qa
from tests.generators.test_multi_ops import made
from veriscene.engine.pool import ScenePool
from veriscene.generators import Vocabulary, get_generator
from veriscene.generators.base import GroupContext
from veriscene.generators.multi_image.common import countable_names
from veriscene.program import ExecutionContext, SceneIndex
from veriscene.scene import Scene

VOCAB = Vocabulary(names=Counter({"sky": 3, "grass": 2, "cup": 2, "water": 5}), attributes=Counter({"blue": 1}),
                   predicates=Counter({"near": 1}))


def _scene(image_id: str = "s0"):
    rows = [{"name": n, "box": [10 * k, 10, 10 * k + 8, 18], "attributes": ["blue"] if n == "sky" else []}
            for k, n in enumerate(["sky", "grass", "cup", "cup"])]
    return make_scene(rows, image_id=image_id)


def test_object_count_and_compare_skip_substances() -> None:
    scene = _scene()
    for seed in range(4):  # the absent name drawn ("water" most often) is not asked either
        counts = qa(scene, "object.count.v1", VOCAB, seed=seed)
        assert counts["How many cups are there?"] == 2
        assert not any(w in q for q in counts for w in ("sky", "grass", "water", "patch")), counts
    compared = qa(scene, "counting.compare.v1", VOCAB)
    assert compared == {}  # one countable name: nothing to compare


def test_multi_image_counts_skip_substances() -> None:
    anchor = _scene("A")
    assert countable_names(SceneIndex(anchor)) == ["cup"]
    pool = ScenePool.from_scenes([_scene("B"), _scene("C")])
    for name in ("multi.count_total.v1", "multi.count_attributed_total.v1"):
        gen = get_generator(name)()
        gen.group_sizes = (2,)  # type: ignore[misc]
        asked = []
        for seed in range(4):
            ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(seed),
                               VOCAB, pool)
            asked += [str(cand.slots) for cand in made(gen.propose(ctx))]
        assert not any(w in q for q in asked for w in ("sky", "grass", "water", "patch")), asked
    # the cups are still counted over the images
    assert _asked_total(anchor, pool)


def _asked_total(anchor: Scene, pool: ScenePool) -> list[str]:
    gen = get_generator("multi.count_total.v1")()
    gen.group_sizes = (2,)  # type: ignore[misc]
    ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(0), VOCAB, pool)
    return [c.slots["objs"] for c in made(gen.propose(ctx))]


# a brain MRI slice as a tissue segmentation labels it, with an MSD pancreas beside it
BRAIN = Vocabulary(names=Counter({"white matter": 4, "grey matter": 4, "cerebrospinal fluid": 4, "edema": 2,
                                  "pancreas": 1}),
                   attributes=Counter(), predicates=Counter({"touching": 1}))


def _brain_slice():
    rows = [{"name": n, "box": [20 * k, 10, 20 * k + 15, 60], "attributes": []}
            for k, n in enumerate(["white matter", "grey matter", "cerebrospinal fluid", "edema", "pancreas"])]
    return make_scene(rows, image_id="brain")


def test_tissues_are_never_counted_nor_given_an_article() -> None:
    """The words of medical label tables: "How many white matters?", "Are there fewer edemas than
    grey matters?", "a cerebrospinal fluid" were asked of brain MRI slices."""
    scene = _brain_slice()
    asked = {}
    for seed in range(6):
        for name in ("object.count.v1", "counting.compare.v1", "object.exists.v1", "scene_graph.caption.v1"):
            asked.update(qa(scene, name, BRAIN, seed=seed))
    questions = " ".join([*asked, *(str(a) for a in asked.values())])
    for wrong in ("matters", "fluids", "edemas", "a white", "a grey", "a cerebrospinal", "an edema", "pancrea ",
                  "pancreass"):
        assert wrong not in questions, (wrong, asked)
    assert asked["How many pancreases are there?"] == 1  # one organ is still counted
    assert "Is there white matter in the image?" in asked
    (caption,) = qa(scene, "scene_graph.caption.v1", BRAIN).values()
    assert caption == "The image shows five objects: white matter, grey matter, cerebrospinal fluid, edema and a pancreas."
