"""`relation.query`'s option masks read the words-alone part of each value's test from one table
per question form (`relations._wrong_spellings`, `_wrong_entry`), shared by the predicates of
that form: the same as `_wrong_spelling` as it was (one table per predicate), for every
(predicate, value) of a vocabulary of many spellings, and the same masks as each pair's
`wrong_option_test` on dense scenes of many predicates (Visual Genome's shape; the demo's are
checked in test_scene_option_masks.py)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from veriscene.generators import GenContext, Vocabulary
from veriscene.generators.common import wording
from veriscene.generators.single_image.relations import (
    _kind,
    _same_question,
    _SceneOptions,
    _wrong_entry,
    _wrong_spelling,
    _wrong_spellings,
    distinct_options_like,
    wrong_option_test,
)
from veriscene.program import ExecutionContext, SceneIndex
from veriscene.scene import Scene
from veriscene.vocab import predicate_class

# spellings of one relation ("holding", "holds", "hold"), synonyms of one class ("near", "next
# to", "beside"), places, actions, states, verbs: every question form and class overlap
PREDICATES = ("on", "on top of", "has", "have", "with", "wearing", "wears", "holding", "holds", "hold", "near",
              "next to", "beside", "by", "left of", "to the left of", "right of", "above", "below", "under",
              "in front of", "behind", "in", "inside", "riding", "sitting on", "standing on", "parked on",
              "made of", "eating", "playing with", "belonging to", "hanging on", "covering", "looking at",
              "walking on", "of", "attached to", "part of", "carrying", "verb0003ing", "rel0004", "rel0005")


def _vocab() -> Vocabulary:
    return Vocabulary(names=Counter({"man": 9, "shirt": 7, "table": 5, "cup": 4, "horse": 3, "sign": 2}),
                      attributes=Counter({"red": 3}),
                      predicates=Counter({p: 1 + (7 * k) % 11 for k, p in enumerate(PREDICATES)}))


def _old_wrong_spelling(vocab: Vocabulary, predicate: str, value: str) -> str:
    """`_wrong_spelling` as it was before the tables by question form."""
    kept = distinct_options_like(vocab, predicate)[1]
    klass = predicate_class(value)
    if klass == predicate_class(predicate) or not _same_question(value, predicate, True):
        return ""
    return kept.get(klass, "")


def test_every_pair_of_predicates_spells_as_before() -> None:
    vocab = _vocab()
    spelled = 0
    for predicate in PREDICATES:
        table = _wrong_spellings(vocab, predicate)
        for value in PREDICATES:
            expected = _old_wrong_spelling(vocab, predicate, value)
            assert _wrong_spelling(vocab, predicate, value) == expected, (predicate, value)
            # what the masks read: the table's entry, less the answer's own class
            entry = table.get(value)
            if entry is None:
                entry = table[value] = _wrong_entry(vocab, predicate, value)
            klass, word = entry
            assert (word if klass != predicate_class(predicate) else "") == expected, (predicate, value)
            spelled += bool(expected)
    assert spelled > 100  # values that pass as well as values that do not


def test_predicates_of_one_question_form_share_one_table() -> None:
    vocab = _vocab()
    forms = {(_kind(p), wording(p)) for p in PREDICATES}
    assert len(forms) >= 3  # "is" places, actions, verbs
    for p in PREDICATES:
        for q in PREDICATES:
            same_form = (_kind(p), wording(p)) == (_kind(q), wording(q))
            assert (_wrong_spellings(vocab, p) is _wrong_spellings(vocab, q)) == same_form, (p, q)


def _dense_scene(seed: int) -> Scene:
    """16 objects of 6 names (repeated names), 40 relations of random predicates: most pairs of one
    predicate, some of two, converses among them."""
    rng = np.random.default_rng(seed)
    names = ["man", "shirt", "table", "cup", "horse", "sign"]
    rows = []
    for k in range(16):
        x, y = rng.integers(0, 700), rng.integers(0, 500)
        w, h = rng.integers(10, 200), rng.integers(10, 200)
        rows.append({"name": names[k % len(names)], "box": [int(x), int(y), int(x + w), int(y + h)]})
    relations: set[tuple[int, str, int]] = set()
    while len(relations) < 40:
        s, o = (int(v) for v in rng.choice(16, 2, replace=False))
        relations.add((s, PREDICATES[int(rng.integers(len(PREDICATES)))], o))
    return Scene.from_objects(f"dense{seed}", 900, 700, rows, sorted(relations))


@pytest.mark.parametrize("seed", range(6))
def test_masks_of_dense_scenes_are_those_of_the_wrong_option_test(seed: int) -> None:
    vocab = _vocab()  # (one vocabulary for the scenes of a test: tables filled by earlier scenes)
    checked = 0
    for scene in (_dense_scene(seed * 10 + k) for k in range(5)):
        index = SceneIndex(scene)
        ctx = GenContext(scene, index, ExecutionContext(scene), np.random.default_rng(0), vocab)
        pairs = [(s, o, held[0]) for (s, o), held in sorted(index.predicates_between.items()) if len(held) == 1]
        values, where, safe = _SceneOptions(ctx, pairs, 4).masks()
        for (s, o, predicate), (x, j) in zip(pairs, where):
            fits = wrong_option_test(vocab, index, s, o, predicate)
            expected = sum(1 << y for y, v in enumerate(values) if fits(v)) if len(values) > 1 else 0
            assert safe[x][j] == expected, (scene.image_id, s, o, predicate)
            checked += bin(expected).count("1")
    assert checked > 50  # wrong options found, not only empty masks
