"""Absent names drawn by how often the data set's scenes hold them (`absent_sample`), and the
hallucination probe's "yes" names chosen as its "no" names are."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from veriscene import generate
from veriscene.generators import Vocabulary
from veriscene.generators.vocabulary import absent_sample
from veriscene.program import SceneIndex
from veriscene.scene import Scene, write_scenes


def _scene(image_id: str, *names: str, meta: dict | None = None) -> Scene:
    objects = [{"name": n, "box": [4 * k, 10, 4 * k + 3, 20]} for k, n in enumerate(names)]
    return Scene.from_objects(image_id, 200, 100, objects, meta=meta or {})


def _vocabulary(holding: dict[str, int], scenes: int) -> Vocabulary:
    """A vocabulary of `scenes` scenes, `holding[name]` of which hold one object of that name."""
    vocab = Vocabulary()
    for k in range(scenes):
        vocab.add_names([n for n, held in holding.items() if k < held], [], [])
    return vocab


def test_absent_names_are_drawn_by_how_often_scenes_hold_them() -> None:
    vocab = _vocabulary({"person": 60, "car": 30, "dog": 10, "kite": 10, "yak": 1}, 100)
    assert (vocab.scenes, vocab.images["person"], vocab.names["yak"]) == (100, 60, 1)
    index = SceneIndex(_scene("a", "car"))
    rng = np.random.default_rng(0)
    drawn = Counter()
    for _ in range(20_000):
        names = absent_sample(rng, vocab, index, 1)
        assert len(names) == 1 and names[0] != "car"
        drawn[names[0]] += 1
    weights = {"person": 60 / 41, "dog": 10 / 91, "kite": 10 / 91, "yak": 1 / 100}  # f / (1 - f), as counts
    total = sum(weights.values())
    for name, weight in weights.items():
        assert drawn[name] / 20_000 == pytest.approx(weight / total, abs=0.01), name
    # without replacement, every absent name at most once, the present one never
    for seed in range(50):
        names = absent_sample(np.random.default_rng(seed), vocab, index, 10)
        assert sorted(names) == ["dog", "kite", "person", "yak"]


def test_absent_names_skip_present_ones_anywhere_in_the_list() -> None:
    words = [f"w{k:03d}" for k in range(300)]
    rnd = random.Random(0)
    vocab = _vocabulary({w: rnd.randint(1, 50) for w in words}, 100)
    for seed in range(200):
        present = rnd.sample(words, rnd.randint(0, 40))
        index = SceneIndex(_scene("a", *present))
        names = absent_sample(np.random.default_rng(seed), vocab, index, 8)
        assert len(names) == len(set(names)) == 8 and not set(names) & set(present)


def test_absent_names_on_a_scene_that_annotates_some_names_in_full() -> None:
    vocab = _vocabulary({"person": 60, "car": 30, "dog": 10, "kite": 10}, 100)
    index = SceneIndex(_scene("a", "car", meta={"exhaustive": ["car", "dog", "kite", "zebra"]}))
    for seed in range(20):
        # only names known absent (zebra is not in the data set's vocabulary)
        assert sorted(absent_sample(np.random.default_rng(seed), vocab, index, 5)) == ["dog", "kite"]
    assert absent_sample(np.random.default_rng(0), vocab, SceneIndex(_scene("b", meta={"exhaustive": []})), 3) == []


def test_a_common_name_is_asked_absent_more_often_than_uniform_draws_would(tmp_path) -> None:
    """"Is there a person?" on a data set where 80% of scenes have people: absent names drawn
    uniformly from 41 made "person" the absent name of 3 questions against 81 present ones.
    Weighted, it is asked absent 5 times as often. (Not half the time: scenes without people are
    a fifth of the data set, and a scene asks one of its four drawn absent names.)"""
    import orjson

    rnd = random.Random(1)
    others = [f"thing{k}" for k in range(40)]
    scenes = [_scene(f"s{k}", *(["person"] if rnd.random() < 0.8 else []), *rnd.sample(others, 2))
              for k in range(600)]
    write_scenes(scenes, tmp_path / "scenes.jsonl")
    generate(tmp_path / "scenes.jsonl", tmp_path / "run", generators="object.exists.v1", mode="qa")
    answers = Counter()
    for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines():
        row = orjson.loads(line)
        if "person" in row["question"]:
            answers[row["answer"]] += 1
    assert answers[True] > 60 and answers[False] / sum(answers.values()) > 0.12, answers


def test_cooccurring_present_ranks_by_the_other_present_names_counts() -> None:
    # the definition: a name's score is the sum of its counts in the other present names' rows
    r = random.Random(0)
    for trial in range(300):
        vocab = Vocabulary()
        names = [f"n{i}" for i in range(r.randrange(3, 90))]  # rows of over 64 names are cut
        for _ in range(r.randrange(1, 80)):
            vocab.add_names(r.sample(names, r.randrange(1, len(names))), [], [])
        present = r.sample(names, r.randrange(1, len(names))) + (["unseen"] if r.random() < 0.2 else [])
        limit = r.randrange(1, 5)
        rows = vocab.cooccurrence

        def score(name: str) -> int:
            return sum(rows[other].get(name, 0) for other in present if other != name and other in rows)

        expected = (sorted(present) if len(present) <= limit
                    else sorted(present, key=lambda n: (-score(n), -vocab.names[n], n))[:limit])
        assert vocab.cooccurring_present(present, limit) == expected, trial


@pytest.mark.parametrize("seed", range(4))
def test_cooccurrence_of_scenes_of_many_names_is_its_plain_definition(seed: int) -> None:
    """A scene of more than 2 x COOCCURRING_KEPT distinct names fills its rows from their first
    names alone (not every name into every row, D x D work): the rows, their counts and their
    order are those of counting every name in and cutting, after scenes of few names and many."""
    from veriscene.generators.vocabulary import COOCCURRING_KEPT, _trim

    def plain(rows: dict[str, Counter[str]], names: list[str]) -> None:
        distinct = sorted(set(names))
        for a in distinct:
            row = rows.setdefault(a, Counter())
            row.update(distinct)
            del row[a]
            _trim(row)

    r = random.Random(seed)
    words = [f"w{k:03d}" for k in range(r.randrange(3 * COOCCURRING_KEPT, 12 * COOCCURRING_KEPT))]
    vocab, expected = Vocabulary(), {}
    crowded = 0
    for _ in range(8):
        names = r.choices(words, k=r.choice([3, 40, 2 * COOCCURRING_KEPT + 1, 300, 700]))
        crowded += len(set(names)) > 2 * COOCCURRING_KEPT
        vocab.add_names(names, [], [])
        plain(expected, names)
        assert list(vocab.cooccurrence) == list(expected)
        assert all(list(vocab.cooccurrence[a].items()) == list(row.items()) for a, row in expected.items())
    assert crowded


def test_from_scenes_counts_each_image_once_as_the_scan_does(tmp_path) -> None:
    """A later scene of an image id given before (a scene repeated, two annotation files) is not
    counted: the vocabulary is that of the engine's scan of the same scenes (`engine.scan`),
    which counts each image from its first record, as generation reads it."""
    from veriscene.engine.scan import scan_scenes

    first = _scene("a", "dog", "kite", meta={"category_set": "toys"})
    other = _scene("b", "car", "dog")
    again = _scene("a", "zebra", "dog", meta={"category_set": "toys"})  # (a set's names are kept: knowledge)
    scenes = [first, other, again, other]
    vocab = Vocabulary.from_scenes(scenes)
    assert (vocab.scenes, vocab.names["dog"], vocab.names["zebra"]) == (2, 2, 0)
    path = tmp_path / "scenes.jsonl"
    write_scenes(scenes, path)
    assert vocab.to_dict() == scan_scenes(str(path), pool_size=0).vocab.to_dict()
