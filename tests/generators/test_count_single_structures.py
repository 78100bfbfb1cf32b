"""Counting questions on medical slices ask only about names whose count the image decides: a
structure read as one object ("How many livers?", always 1 or 0 by construction, ``meta["single"]``)
is asked about by presence questions only, lesions counted by their 3D pieces stay counted."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.generators.helpers import qa
from tests.generators.test_multi_ops import made
from tests.io.readers.reader_helpers import read_all, write_json
from veriscene.engine.pool import ScenePool
from veriscene.generators import Vocabulary, get_generator
from veriscene.generators.base import GroupContext
from veriscene.generators.multi_image.common import countable_names
from veriscene.program import ExecutionContext, SceneIndex
from veriscene.scene import Scene

nib = pytest.importorskip("nibabel")
pytest.importorskip("scipy")

SHAPE = (30, 24, 6)  # x, y, z voxels of 0.8 mm
# label values: the liver, the left kidney, a spleen no slice shows, liver tumours, kidney cysts
TABLE = {"1": "liver", "2": "kidney_left", "3": "spleen", "5": "liver_tumour", "6": "kidney_cyst"}


def _volume() -> np.ndarray:
    """A liver holding two tumours (5) on slices 1-4, a left kidney holding three cysts (6) on
    slices 1-4 (one ends at slice 2): slice 2 shows two tumours and three cysts."""
    labels = np.zeros(SHAPE, np.uint8)
    labels[1:14, 1:22, 1:5] = 1
    labels[3:6, 3:7, 1:5] = 5
    labels[8:12, 12:16, 1:5] = 5
    labels[16:29, 1:22, 1:5] = 2
    labels[18:22, 3:6, 1:5] = 6
    labels[23:27, 3:6, 1:3] = 6
    labels[18:22, 14:18, 1:5] = 6
    return labels


def _slices(tmp_path: Path, table: dict[str, str] = TABLE, **options: object) -> list[Scene]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(_volume(), np.diag([0.8, 0.8, 0.8, 1.0])), tmp_path / "case.nii.gz")
    scenes, _ = read_all(tmp_path / "case.nii.gz", "label_map", labels=write_json(tmp_path / "t.json", table),
                         **options)
    return scenes


def _slice(scenes: list[Scene], k: int) -> Scene:
    (scene,) = [s for s in scenes if s.meta["slice"] == k]
    return scene


def test_the_reader_lists_the_structures_held_once(tmp_path: Path) -> None:
    z2 = _slice(_slices(tmp_path), 2)
    assert Counter(z2.names) == {"liver": 1, "left kidney": 1, "liver tumour": 2, "kidney cyst": 3}
    # every unsplit structure of the table, the spleen (annotated, absent) too; lesions not
    assert z2.meta["single"] == ["left kidney", "liver", "spleen"]
    # every structure split: none held once by construction
    assert _slice(_slices(tmp_path / "all", components="all"), 2).meta["single"] == []


def test_object_count_asks_lesions_never_single_structures(tmp_path: Path) -> None:
    z2 = _slice(_slices(tmp_path), 2)
    vocab = Vocabulary.from_scenes([z2])
    asked: dict[str, object] = {}
    for seed in range(6):  # the absent names drawn (the spleen) are never counted either
        asked.update(qa(z2, "object.count.v1", vocab, seed=seed))
    assert asked == {"How many liver tumours are there?": 2, "How many kidney cysts are there?": 3}
    # presence is still asked of the organs
    exists = qa(z2, "object.exists.v1", vocab)
    assert exists["Is there a liver in the image?"] is True


def test_counts_compare_lesions_only(tmp_path: Path) -> None:
    z2 = _slice(_slices(tmp_path), 2)
    compared = qa(z2, "counting.compare.v1", Vocabulary.from_scenes([z2]))
    assert compared and all("livers" not in q and "kidneys" not in q for q in compared), compared
    assert compared["Are there more kidney cysts than liver tumours?"] is True


def test_a_name_two_structures_bear_is_counted(tmp_path: Path) -> None:
    """Two label values named "liver" (two liver segments): two objects, a real count."""
    table = {**TABLE, "2": "liver"}
    z2 = _slice(_slices(tmp_path, table), 2)
    assert "liver" not in z2.meta["single"]
    asked = qa(z2, "object.count.v1", Vocabulary.from_scenes([z2]))
    assert asked["How many livers are there?"] == 2


def test_multi_image_counts_skip_single_structures(tmp_path: Path) -> None:
    anchor = _slice(_slices(tmp_path / "a"), 2)
    assert countable_names(SceneIndex(anchor)) == ["kidney cyst", "liver tumour"]
    others = _slices(tmp_path / "b")  # partners: another volume's slices (`engine.pool` groups a volume's)
    pool = ScenePool.from_scenes(others)
    vocab = Vocabulary.from_scenes([anchor, *others])
    gen = get_generator("multi.count_total.v1")()
    gen.group_sizes = (2,)  # type: ignore[misc]
    asked = []
    for seed in range(6):
        ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(seed),
                           vocab, pool)
        asked += [cand.slots["objs"] for cand in made(gen.propose(ctx))]
    assert asked and set(asked) <= {"kidney cysts", "liver tumours"}, asked


def test_frequency_compares_lesions_with_countable_names_only(tmp_path: Path) -> None:
    """"Which are there fewer of: liver tumours or livers?" is answered "liver" without the image
    wherever a slice shows two tumours: a structure held once is never compared (nor counted)."""
    z2 = _slice(_slices(tmp_path), 2)
    asked = qa(z2, "object.frequency.v1", Vocabulary.from_scenes([z2]))
    assert asked == {
        "Which kind of object appears more often in the image: kidney cysts or liver tumours?": "kidney cyst",
        "Which kind of object appears less often in the image: kidney cysts or liver tumours?": "liver tumour",
    }


def test_extreme_among_says_a_structure_held_once_in_the_singular(tmp_path: Path) -> None:
    """"Among the livers and left kidneys, ...": a slice holds one liver; said "the liver"."""
    z2 = _slice(_slices(tmp_path), 2)
    asked = qa(z2, "object.extreme_among.v1", Vocabulary.from_scenes([z2]))
    assert asked and not any(w in q for q in asked for w in ("livers", "kidneys")), asked
    assert asked["Among the liver and left kidney, what is the leftmost object?"] == "left kidney"
    # lesions, several on the slice, stay plural beside a structure said in the singular
    assert asked["Among the kidney cysts and liver, what is the rightmost object?"] == "liver"
    assert asked["Among the liver tumours and left kidney, what is the rightmost object?"] == "liver tumour"


def _touching_slice() -> Scene:
    """A slice as the label-map reader makes it: 'touching' both ways between structures whose
    pixels meet, and 'surrounded by' (beside 'touching') for a lesion inside the liver."""
    objects = [("liver", [60, 50, 110, 100]), ("lesion", [80, 70, 90, 80]), ("spleen", [10, 60, 30, 90]),
               ("stomach", [30, 70, 55, 95]), ("aorta", [45, 40, 52, 47])]
    meeting = [(0, 1), (2, 3)]
    relations = [(a, "touching", b) for x, y in meeting for a, b in ((x, y), (y, x))] + [(1, "surrounded by", 0)]
    return Scene.from_objects("case_z7", 128, 128, [{"name": n, "box": b} for n, b in objects], sorted(relations),
                              meta={"single": ["aorta", "liver", "spleen", "stomach"],
                                    "exhaustive": ["aorta", "lesion", "liver", "spleen", "stomach"]})


def test_relation_exists_asks_touching_both_ways() -> None:
    """'Is the spleen touching the stomach?' was answered "yes" wherever asked (a pair touching is
    the only kind with a relation, and 'touching' has no converse to ask "no"): pairs whose
    pixels do not meet are asked too, and answered "no"."""
    scene = _touching_slice()
    asked = qa(scene, "relation.exists.v1", Vocabulary.from_scenes([scene]))
    touching = {q: a for q, a in asked.items() if "touching" in q}
    assert touching["Is the spleen touching the stomach?"] is True
    assert touching["Is the spleen touching the aorta?"] is False
    assert touching["Is the lesion touching the stomach?"] is False
    assert "Is the lesion touching the liver?" in touching  # held: never a "no"
    assert sorted(Counter(touching.values()).items()) == [(False, 16), (True, 4)]


def test_relation_query_never_asks_a_forced_touching() -> None:
    """'How is the spleen related to the stomach?' had one answer, 'touching', on every pair asked
    ('surrounded by' never holds alone: a lesion inside the liver touches it too): not asked."""
    scene = _touching_slice()
    vocab = Vocabulary.from_scenes([scene])
    assert qa(scene, "relation.query.v1", vocab) == {}
    assert qa(scene, "relation.region.v1", vocab) == {}


def test_caption_says_each_contact_once() -> None:
    """It said "The spleen is touching the stomach. The stomach is touching the spleen." and "The
    lesion is surrounded by the liver. The lesion is touching the liver.\""""
    from veriscene.scene.caption import scene_caption

    assert scene_caption(_touching_slice()) == (
        "The image shows a spleen, a stomach, an aorta, a liver and a lesion. "
        "The spleen is touching the stomach. The lesion is surrounded by the liver.")
