"""object.frequency, object.extreme_among and object.absent on the hand-built `street` scene."""

from collections import Counter

import pytest

from tests.generators.helpers import VOCAB, candidates, qa
from veriscene.generators import Vocabulary


def test_frequency_needs_a_strict_winner(street) -> None:
    got = qa(street, "object.frequency.v1")
    assert got == {
        # of two kinds, the comparative ("more often"), of three the superlative
        "Which kind of object appears more often in the image: circles or squares?": "circle",
        "Which kind of object appears less often in the image: circles or squares?": "square",
        "Which kind of object appears more often in the image: circles or triangles?": "circle",
        "Which kind of object appears less often in the image: circles or triangles?": "triangle",
    }  # squares vs triangles (1 each) never asked; nor all three, whose "least" ties: a list is
    # asked both ways or not at all (asked "most" alone, a frequent name was the answer wherever listed)


def test_frequency_options_are_the_other_listed_names(street) -> None:
    for cand, answer in candidates(street, "object.frequency.v1"):
        assert answer not in cand.distractors and cand.distractors


def test_extreme_among_listed_names(street) -> None:
    got = qa(street, "object.extreme_among.v1")
    assert got["Among the circles and squares, what is the leftmost object?"] == "circle"
    assert got["Among the circles and squares, what is the rightmost object?"] == "circle"  # the small circle
    assert got["Among the squares and triangles, what is the topmost object?"] == "triangle"
    assert got["Among the squares, triangles and circles, what is the rightmost object?"] == "triangle"
    # circles vs triangles: the top circle (y 30) and the triangle (y 25) are too close to call
    assert "Among the circles and triangles, what is the topmost object?" not in got


def test_absent_probes_prefer_cooccurring_names(street) -> None:
    vocab = Vocabulary(
        names=Counter({"circle": 9, "square": 5, "triangle": 3, "star": 8, "dog": 1}),
        attributes=VOCAB.attributes, predicates=VOCAB.predicates,
        cooccurrence={"circle": Counter({"dog": 4, "star": 1}), "square": Counter({"dog": 2})},
    )
    got = qa(street, "object.absent.v1", vocab=vocab, adversarial=1)
    assert got == {
        # "yes" names are picked as "no" ones are: none co-occurs with the others, the commonest
        "Is there a circle in the image?": True,
        "Is there a dog in the image?": False,  # co-occurs with circles and squares: adversarial
    }
    assert vocab.cooccurring_absent(["circle", "square"]) == ["dog", "star", "triangle"]
    vocab.cooccurrence["circle"]["triangle"] = 2
    assert vocab.cooccurring_present(["circle", "square", "triangle"], 2) == ["triangle", "circle"]
    assert vocab.cooccurring_present(["square", "circle"], 2) == ["circle", "square"]  # all, sorted


def test_vocabulary_counts_cooccurrence_once_per_scene(street) -> None:
    vocab = Vocabulary()
    for _ in range(2):  # (two scenes: `from_scenes` would count an image id given twice once)
        vocab.add_scene(street)
    assert vocab.cooccurrence["circle"] == Counter({"square": 2, "triangle": 2})
    assert Vocabulary.from_dict(vocab.to_dict()).cooccurrence == vocab.cooccurrence


def test_cooccurring_absent_limit_is_a_prefix_of_the_whole_order() -> None:
    vocab = Vocabulary(names=Counter({f"n{i}": 1 + i % 3 for i in range(12)}))
    vocab.cooccurrence = {"n0": Counter({"n5": 2, "n7": 1}), "n5": Counter({"n0": 2})}
    whole = vocab.cooccurring_absent(["n0", "n1"])
    assert whole[:2] == ["n5", "n7"] and "n0" not in whole and len(whole) == 10
    for limit in (0, 1, 2, 5, 10, 20):
        assert vocab.cooccurring_absent(["n0", "n1"], limit=limit) == whole[:limit]


@pytest.mark.parametrize("few", [0, 256])  # summed in numpy; in plain Python
def test_cooccurring_absent_limit_matches_the_whole_order_on_random_vocabularies(monkeypatch, few: int) -> None:
    import random

    from veriscene.generators import vocabulary

    monkeypatch.setattr(vocabulary, "_FEW_COOCCURRING", few)
    r = random.Random(5)
    for trial in range(150):
        words = [f"w{k:02d}" for k in range(r.randrange(2, 40))]
        vocab = Vocabulary(names=Counter({w: r.randrange(0, 4) for w in words}))  # ties, and zero counts
        for w in r.sample(words, r.randrange(0, len(words))):
            vocab.cooccurrence[w] = Counter({o: r.randrange(1, 4) for o in r.sample(words, r.randrange(0, min(6, len(words)))) if o != w})
        vocab.cooccurrence.setdefault(words[0], Counter())["unknown"] = 9  # a name missing from `names`
        present = r.sample(words + ["elsewhere"], r.randrange(0, min(8, len(words))))
        whole = vocab.cooccurring_absent(present)
        for limit in (0, 1, 3, 7, len(words) + 1):
            assert vocab.cooccurring_absent(present, limit=limit) == whole[:limit], (trial, limit)


def test_cooccurrence_rows_keep_the_names_met_most_often() -> None:
    from veriscene.generators.vocabulary import COOCCURRING_KEPT

    vocab = Vocabulary()
    for k in range(400):  # "man" meets "shirt" every time and 400 other names once each
        vocab.add_names(["man", "shirt", f"thing{k:03d}"], [], [])
    row = vocab.cooccurrence["man"]
    assert len(row) < 2 * COOCCURRING_KEPT and row["shirt"] == 400
    assert vocab.cooccurrence["shirt"]["man"] == 400 and vocab.cooccurrence["thing007"] == {"man": 1, "shirt": 1}
    assert vocab.cooccurring_absent(["shirt"], limit=1) == ["man"]
    again = Vocabulary()
    for k in range(400):
        again.add_names(["man", "shirt", f"thing{k:03d}"], [], [])
    assert again.to_dict() == vocab.to_dict()  # the cut depends only on the scenes, in order


def test_cooccurrence_rows_are_exact_below_the_cut() -> None:
    from veriscene.generators.vocabulary import COOCCURRING_KEPT

    vocab = Vocabulary()
    names = [f"n{k:03d}" for k in range(2 * COOCCURRING_KEPT - 1)]
    for k in range(len(names)):
        vocab.add_names(names[: k + 1], [], [])
    assert vocab.cooccurrence["n000"] == {n: len(names) - k for k, n in enumerate(names) if k > 0}


def _context_with_names(count: int, seed: int = 0):
    import numpy as np

    from veriscene.generators.base import GenContext
    from veriscene.program.context import ExecutionContext
    from veriscene.scene.model import Scene

    scene = Scene.from_objects("many", 800, 600, [
        {"name": f"name{k:02d}", "box": [10.0 * k, 10.0, 10.0 * k + 8, 20.0]} for k in range(count)
    ])
    exec_ctx = ExecutionContext(scene)
    return GenContext(scene, exec_ctx.index(0), exec_ctx, np.random.default_rng(seed), VOCAB)


def test_name_lists_are_every_list_on_a_scene_with_few_names() -> None:
    from veriscene.generators.single_image.object_lists import name_lists

    lists = name_lists(_context_with_names(9), 3)
    assert len(lists) == 36 + 84 and len({frozenset(x) for x in lists}) == 120


def test_name_lists_are_drawn_on_a_scene_with_many_names() -> None:
    from math import comb

    from veriscene.generators.single_image.object_lists import MAX_NAME_LISTS, name_lists

    sizes: Counter[int] = Counter()
    for seed in range(20):
        ctx = _context_with_names(35, seed)
        lists = name_lists(ctx, 3)
        assert 0.9 * MAX_NAME_LISTS <= len(lists) <= MAX_NAME_LISTS
        assert len({frozenset(x) for x in lists}) == len(lists)  # a list drawn twice is kept once
        assert all(len(set(x)) == len(x) and set(x) <= set(ctx.index.by_name) for x in lists)
        sizes.update(len(x) for x in lists)
    share = comb(35, 3) / (comb(35, 2) + comb(35, 3))  # every list equally likely: 0.92 have 3 names
    assert abs(sizes[3] / (sizes[2] + sizes[3]) - share) < 0.03


def test_name_table_holds_the_lists_as_positions() -> None:
    from veriscene.generators.single_image.object_lists import name_lists, name_table

    for count, seed in ((4, 0), (9, 1), (35, 2), (60, 3)):
        lists, table = name_table(_context_with_names(count, seed), 3)
        present = sorted(_context_with_names(count).index.by_name)
        assert table.shape == (len(lists), 3)
        assert [tuple(present[i] for i in row if i < count) for row in table.tolist()] == lists
        assert name_lists(_context_with_names(count, seed), 3) == lists  # the same draws


@pytest.mark.parametrize("length", [3, 14, 15, 40])  # a sort below 5 * k per row, argmin passes above
@pytest.mark.parametrize("k", [1, 3])
def test_lowest_first_is_the_start_of_a_stable_argsort(length: int, k: int) -> None:
    import numpy as np

    from veriscene.generators.single_image.object_lists import _lowest_first

    rng = np.random.default_rng(length)
    for keys in (rng.random((50, length)), np.round(rng.random((50, length)), 1)):  # ties in the second
        expected = keys.argsort(axis=1, kind="stable")[:, :k]
        assert _lowest_first(keys, k).tolist() == expected.tolist()


def test_drawn_name_lists_are_in_a_random_order() -> None:
    from veriscene.generators.single_image.object_lists import name_lists

    first_is_smallest = total = 0
    for seed in range(10):
        for names in name_lists(_context_with_names(35, seed), 3):
            if len(names) == 3:
                total += 1
                first_is_smallest += names[0] == min(names)
    assert abs(first_is_smallest / total - 1 / 3) < 0.05  # the wording's order is not the sorted one


def test_cooccurrence_cut_keeps_the_highest_counts_ties_by_name() -> None:
    import random

    from veriscene.generators.vocabulary import _cut

    rng = random.Random(3)
    for trial in range(300):
        row = Counter({f"w{rng.randrange(500):03d}": rng.randrange(1, 4) for _ in range(rng.randrange(1, 90))})
        keep = rng.randrange(1, 40)
        expected = dict(sorted(row.items(), key=lambda item: (-item[1], item[0]))[:keep])
        _cut(row, keep)
        assert row == expected, trial


@pytest.mark.parametrize("few_lists", [0, 20])  # numpy over all lists; `clear_extremes` per list
def test_clear_extremes_among_names_match_the_members_sorted_per_list(monkeypatch, few_lists: int) -> None:
    import random

    import numpy as np

    from veriscene.generators import single_image
    from veriscene.generators.base import GenContext
    from veriscene.generators.single_image.spatial import (
        SpatialConfig, clear_extremes, clear_extremes_among, extreme_member,
    )
    from veriscene.program.context import ExecutionContext
    from veriscene.scene.model import Scene

    monkeypatch.setattr(single_image.spatial, "FEW_LISTS", few_lists)
    r = random.Random(1)
    whiches = ("leftmost", "rightmost", "topmost", "bottommost", "largest", "smallest")
    for trial in range(200):
        # coarse integer boxes and names: ties in position and area are common
        objects = []
        for _ in range(r.randrange(2, 25)):
            x0, y0 = r.randrange(0, 8) * 50, r.randrange(0, 6) * 50
            objects.append({"name": f"n{r.randrange(6)}", "box": [x0, y0, x0 + r.randrange(1, 4) * 50,
                                                                 y0 + r.randrange(1, 4) * 50]})
        scene = Scene.from_objects(f"s{trial}", 800, 600, objects)
        exec_ctx = ExecutionContext(scene)
        ctx = GenContext(scene, exec_ctx.index(0), exec_ctx, np.random.default_rng(0), VOCAB)
        config = SpatialConfig(position_margin=r.choice([0.0, 0.05, 0.08]), area_ratio=r.choice([1.0, 1.5]))
        present = sorted(ctx.index.by_name)
        lists = [r.sample(present, r.randrange(1, min(3, len(present)) + 1)) for _ in range(r.randrange(1, 8))]
        asked = r.sample(whiches, r.randrange(1, len(whiches) + 1))  # any subset, in any order
        expected = []
        for m, names in enumerate(lists):
            members = sorted(i for n in names for i in ctx.index.by_name[n])
            expected += [(m, w, extreme_member(ctx, members, w)) for w in clear_extremes(ctx, members, asked, config)]
        assert clear_extremes_among(ctx, lists, asked, config) == expected, trial


def test_frequency_of_a_few_lists_in_python_matches_numpy(monkeypatch) -> None:
    import random

    import numpy as np

    from veriscene.generators.base import GenContext
    from veriscene.generators.registry import get_generator
    from veriscene.generators.single_image import object_lists
    from veriscene.program.context import ExecutionContext
    from veriscene.scene.model import Scene

    r = random.Random(2)
    generator = get_generator("object.frequency.v1")()
    asked = 0
    for trial in range(100):
        # few names, counts that tie often
        objects = [{"name": f"n{r.randrange(5)}", "box": [0, 0, 10, 10]} for _ in range(r.randrange(1, 12))]
        scene = Scene.from_objects(f"s{trial}", 100, 100, objects)
        found = []
        for few in (20, 0):
            monkeypatch.setattr(object_lists, "FEW_LISTS", few)
            exec_ctx = ExecutionContext(scene)
            ctx = GenContext(scene, exec_ctx.index(0), exec_ctx, np.random.default_rng(trial), VOCAB)
            batch = next(iter(generator.propose(ctx)))
            found.append((list(batch.keys), [batch.make(i).slots for i in range(len(batch.keys))]))
        assert found[0] == found[1], trial
        asked += bool(found[0][0])
    assert asked > 30  # most scenes ask some

def test_frequency_never_lists_a_substance() -> None:
    """"Which are there fewer of: shoes or patches of sky?" counts how the sky's boxes were drawn
    (as object.count and counting.compare, a substance is never counted: `text.is_uncountable`)."""
    from veriscene.scene.model import Scene

    objects = [{"name": "sky", "box": [0, 0, 50, 20]}, {"name": "sky", "box": [50, 0, 100, 20]},
               {"name": "shoe", "box": [10, 80, 15, 85]}, {"name": "shoe", "box": [20, 80, 25, 85]},
               {"name": "shoe", "box": [30, 80, 35, 85]}, {"name": "man", "box": [10, 30, 40, 80]}]
    scene = Scene.from_objects("vg", 100, 100, objects)
    vocab = Vocabulary.from_scenes([scene])
    assert qa(scene, "object.frequency.v1", vocab) == {
        "Which kind of object appears more often in the image: men or shoes?": "shoe",
        "Which kind of object appears less often in the image: men or shoes?": "man",
    }
