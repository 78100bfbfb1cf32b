"""Names that may name one object ("man" and "person": `vocabulary_draws.overlapping_kinds`;
"man" and "group of men": `name_kind`) are never listed together nor offered as each other's
wrong option: the leftmost man is a person, and men are counted among people."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from tests.generators.helpers import offered, qa
from veriscene.generators import Vocabulary
from veriscene.generators.vocabulary_draws import naming_same
from veriscene.scene import Scene

# "person" is the commonest name of the data set: drawn first as a wrong option by weight
PEOPLE_VOCAB = Vocabulary(
    names=Counter({"person": 500, "man": 40, "woman": 30, "window": 20, "cup": 10, "car": 10, "dog": 5}),
    attributes=Counter({"red": 3}),
    predicates=Counter({"holding": 5, "near": 2}),
)


def _rows() -> list[dict[str, Any]]:
    """Two men at the left, one person and three windows at the right; the left man holds a cup,
    the right man overlaps the car in front of it."""
    return [{"name": "man", "box": [10, 40, 40, 190], "depth": 0.3},
            {"name": "man", "box": [60, 40, 90, 190], "depth": 0.2},
            {"name": "person", "box": [300, 40, 330, 190], "depth": 0.4},
            {"name": "cup", "box": [30, 90, 45, 105], "depth": 0.25},
            {"name": "car", "box": [70, 120, 200, 190], "depth": 0.6},
            *({"name": "window", "box": [150 + 40 * k, 10, 180 + 40 * k, 30], "depth": 0.9} for k in range(3))]


def _street() -> Scene:
    return Scene.from_objects("street", 400, 200, _rows(), [(0, "holding", 3)])


def test_lists_never_name_people_or_men_where_both_are() -> None:
    """Not "Which are there fewer of: men or people?", nor "Among the cars and people, what is
    the leftmost object?" answered "car" beside a man further left (a man is a person)."""
    scene = _street()
    for task in ("object.frequency.v1", "object.extreme_among.v1"):
        asked = qa(scene, task, PEOPLE_VOCAB)
        assert asked, task  # windows, cups and cars: still asked
        assert not [q for q in asked if any(w in q for w in ("men", "people"))], asked
    frequency = qa(scene, "object.frequency.v1", PEOPLE_VOCAB)
    assert frequency["Which kind of object appears more often in the image: cars or windows?"] == "window"
    # a scene of men without people: men are listed
    alone = Scene.from_objects("men", 400, 200, [o for o in _rows() if o["name"] != "person"])
    assert "Which kind of object appears more often in the image: men or cups?" in qa(alone, "object.frequency.v1",
                                                                                      PEOPLE_VOCAB)


def test_a_man_is_never_offered_person_as_a_wrong_name() -> None:
    scene = _street()
    answers, wrong = offered(scene, "relation.subject.v1", PEOPLE_VOCAB)
    assert "man" in answers  # "Which object is holding the cup?"
    assert "person" not in wrong and wrong  # others are drawn
    answers, wrong = offered(scene, "depth.anchor.v1", PEOPLE_VOCAB, keep=lambda cand: cand.group.startswith("cover"))
    assert "man" in answers  # "Which object partly covers the car, nearer than it?"
    assert "person" not in wrong and "man" not in wrong and "woman" in wrong


def test_naming_same_lists_the_names_of_overlapping_kinds() -> None:
    assert naming_same(PEOPLE_VOCAB, "man") == ["man", "person"]
    assert set(naming_same(PEOPLE_VOCAB, "person")) == {"person", "man", "woman"}
    assert naming_same(PEOPLE_VOCAB, "cup") == ["cup"]


def test_counts_leave_out_names_that_may_name_each_others_objects() -> None:
    """"How many men are there?" beside a person (who may be a man), "How many trees?" beside a
    row of trees (a "trees" object): the image shows another count than the objects named."""
    scene = _street()
    asked: dict[str, object] = {}
    for seed in range(6):
        asked.update(qa(scene, "object.count.v1", PEOPLE_VOCAB, seed=seed))
    assert asked and not [q for q in asked if "men" in q or "people" in q], asked
    assert asked["How many windows are there?"] == 3
    compared = qa(scene, "counting.compare.v1", PEOPLE_VOCAB)
    assert compared and not [q for q in compared if "men" in q or "people" in q], compared
    rows = [{"name": "tree", "box": [10, 10, 30, 90]}, {"name": "tree", "box": [40, 10, 60, 90]},
            {"name": "trees", "box": [100, 10, 300, 90]}, {"name": "car", "box": [10, 100, 60, 130]}]
    park = Scene.from_objects("park", 400, 200, rows)
    vocab = Vocabulary.from_scenes([park])
    assert not [q for q in qa(park, "object.count.v1", vocab) if "tree" in q]


def test_an_absent_name_is_not_counted_beside_one_naming_its_objects() -> None:
    """Men and no object named "person": "How many people are there?" is not 0."""
    men = Scene.from_objects("men", 400, 200, [o for o in _rows() if o["name"] != "person"])
    asked: dict[str, object] = {}
    for seed in range(12):  # "person", the commonest name, is the absent name drawn most
        asked.update(qa(men, "object.count.v1", PEOPLE_VOCAB, seed=seed))
    assert "How many men are there?" in asked and not [q for q in asked if "people" in q], asked
    assert any(a == 0 for a in asked.values())  # other absent names are still counted


def test_a_name_that_may_name_a_present_object_is_never_asked_absent() -> None:
    """"Is there a person in the image?" answered "no" beside two men (POPE-style probes draw the
    commonest co-occurring absent name: "person")."""
    men = Scene.from_objects("men", 400, 200, [o for o in _rows() if o["name"] != "person"])
    cooccurring = Vocabulary(names=PEOPLE_VOCAB.names, attributes=PEOPLE_VOCAB.attributes,
                             predicates=PEOPLE_VOCAB.predicates,
                             cooccurrence={"man": Counter({"person": 90, "dog": 5, "woman": 3}),
                                           "cup": Counter({"person": 20, "dog": 2})})
    for task in ("object.absent.v1", "object.exists.v1"):
        asked: dict[str, object] = {}
        for seed in range(8):
            asked.update(qa(men, task, cooccurring, seed=seed))
        noes = sorted(q for q, a in asked.items() if a is False)
        assert noes and not [q for q in noes if "person" in q], (task, noes)
    assert qa(men, "object.absent.v1", cooccurring)["Is there a dog in the image?"] is False


def test_multi_image_partners_never_hold_a_name_naming_the_one_asked() -> None:
    """"Which image contains a man?" with a partner showing a person (maybe a man), "How many men
    in the two images?" over a partner with people: partners hold no name that may name it."""
    from tests.generators.test_multi_ops import made
    from veriscene.engine.pool import ScenePool
    from veriscene.generators import get_generator
    from veriscene.generators.base import GroupContext
    from veriscene.program import ExecutionContext, SceneIndex

    box = [0, 0, 10, 10]
    anchor = Scene.from_objects("anchor", 100, 100, [{"name": "man", "box": box}, {"name": "cup", "box": box}])
    others = [Scene.from_objects("people", 100, 100, [{"name": "person", "box": box}, {"name": "cup", "box": box}]),
              *(Scene.from_objects(f"plain{k}", 100, 100, [{"name": "cup", "box": box}, {"name": "dog", "box": box}])
                for k in range(3))]
    pool = ScenePool.from_scenes(others)
    vocab = Vocabulary.from_scenes([anchor, *others])
    seen: dict[str, set[str]] = {}
    for task in ("multi.has_object.v1", "multi.lacks_object.v1", "multi.count_total.v1", "multi.count_images.v1",
                 "multi.exists_all.v1", "multi.count_compare.v1"):
        gen = get_generator(task)()
        for seed in range(10):
            ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(seed),
                               vocab, pool)
            for cand in made(gen.propose(ctx)):
                asked = "man" if "man" in str(cand.slots) or " men" in str(cand.slots) else "other"
                seen.setdefault(f"{task}:{asked}", set()).update(s.image_id for s in cand.scenes)
    man_groups = {k: v for k, v in seen.items() if k.endswith(":man")}
    assert man_groups, seen  # men are asked about
    assert all("people" not in ids for ids in man_groups.values()), man_groups
    assert any("people" in ids for k, ids in seen.items() if k.endswith(":other")), seen  # drawn for cups


def test_people_named_by_what_they_do_are_people() -> None:
    """"Which object is riding the horse?" offered "person" beside the answer "rider"."""
    vocab = Vocabulary(names=Counter({"person": 50, "rider": 5, "horse": 5, "fence": 3}),
                       attributes=Counter(), predicates=Counter({"riding": 2}))
    assert naming_same(vocab, "rider") == ["rider", "person"]
    scene = Scene.from_objects("field", 300, 200, [{"name": "rider", "box": [90, 40, 140, 120]},
                                                    {"name": "horse", "box": [60, 80, 180, 200]},
                                                    {"name": "fence", "box": [0, 150, 300, 190]}],
                               [(0, "riding", 1)])
    answers, wrong = offered(scene, "relation.subject.v1", vocab, keep=lambda cand: cand.expected == "rider")
    assert answers == {"rider"} and "person" not in wrong and wrong
