"""multi_aggregate and multi_caption generators on the hand-built world of test_multi_ops."""

from tests.generators.test_multi_ops import group_candidates, group_qa


def test_count_total() -> None:
    assert group_qa("multi.count_total.v1", "A", "BD", sizes=(3,)) == {
        "How many circles are there in the three images altogether?": 4,  # A 1, B 2, D 1
        "How many squares are there in the three images altogether?": 2,  # A 1, D 1
        "How many triangles are there in the three images altogether?": 1,  # absent from the anchor
    }


def test_count_attributed_total() -> None:
    assert group_qa("multi.count_attributed_total.v1", "A", "BD", sizes=(3,)) == {
        "How many red circles are there in the three images altogether?": 2,
        "How many large circles are there in the three images altogether?": 2,
        "How many shiny circles are there in the three images altogether?": 3,
        "How many matte squares are there in the three images altogether?": 2,
        "How many small squares are there in the three images altogether?": 1,
    }


def test_count_images() -> None:
    # Every count a group of A and two of B, C, D can have, and only those: B and D have
    # circles (C lacks one, so never 1 circle in three images), C and D squares, B and C
    # triangles (A none), C a star.
    found: dict[str, set[int]] = {}
    for seed in range(12):
        for question, answer in group_qa("multi.count_images.v1", "A", "BCD", sizes=(3,), seed=seed).items():
            found.setdefault(question, set()).add(answer)
    assert found == {
        "In how many of the three images is there a circle?": {2, 3},
        "In how many of the three images is there a square?": {2, 3},
        "In how many of the three images is there a triangle?": {1, 2},
        "In how many of the three images is there a star?": {0, 1},
    }


def test_common_objects() -> None:
    assert group_qa("multi.common_objects.v1", "A", "D") == {
        "Which kinds of objects appear in every image?": ["circle", "square"]}
    assert group_qa("multi.common_objects.v1", "B", "AD", sizes=(3,)) == {
        "Which kinds of objects appear in every image?": ["circle"]}
    (cand, answer), = group_candidates("multi.common_objects.v1", "B", "AD", sizes=(3,))
    assert answer not in [sorted(d) for d in cand.distractors] and ["circle", "square"] in cand.distractors


def test_common_attributes() -> None:
    assert group_qa("multi.common_attributes.v1", "B", "A", seed=1) == {
        "Which sizes do the circles have in every image?": ["large"],  # B: large and small, A: large
        "Which finishes do the circles have in every image?": ["shiny"],
        "Which colors appear in every image?": ["red"],  # B: green, red; A: red, blue
    }
    # sizes and finishes over A, B, D: every value of the type everywhere - degenerate, not asked
    assert group_qa("multi.common_attributes.v1", "A", "BD", sizes=(3,)) == {}


def test_only_in() -> None:
    assert group_qa("multi.only_in.v1", "C", "AB", sizes=(3,)) == {
        "Which kinds of objects appear in [C] but in none of the other images?": ["star"]}
    assert group_qa("multi.only_in.v1", "B", "D") == {
        "Which kinds of objects appear in [B] but in none of the other images?": ["triangle"]}


def test_exists_all_proposes_yes_and_no_groups() -> None:
    got = {(c.slots["obj"], "".join(sorted(s.image_id for s in c.scenes))): a
           for c, a in group_candidates("multi.exists_all.v1", "A", "BCD", sizes=(3,))}
    assert got == {("circle", "ABD"): True, ("circle", "ACD"): False,
                   ("square", "ACD"): True, ("square", "ABC"): False}


def test_compare_caption() -> None:
    assert group_qa("multi.compare_caption.v1", "A", "D") == {
        "Compare these two images: which kinds of objects do they have in common, and how do they differ?":
            "Every image contains a circle. Every image contains a square."}


def test_vocabulary_extra_is_every_other_word_or_a_few_of_a_large_vocabulary() -> None:
    import numpy as np

    from veriscene.generators.multi_image.sets import MAX_VOCABULARY_EXTRA, vocabulary_extra

    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert vocabulary_extra(rng, ["ant", "bee", "cat"], ["bee"]) == ["ant", "cat"]
    assert rng.bit_generator.state == state  # a small vocabulary costs no draw
    words = [f"w{k:05d}" for k in range(20_000)]
    extra = vocabulary_extra(rng, words, ["w00001", "w00002"])
    assert len(set(extra)) == MAX_VOCABULARY_EXTRA and not {"w00001", "w00002"} & set(extra)
    assert set(extra) <= set(words)


def test_set_distractors_are_the_set_operations_they_describe() -> None:
    import random

    import numpy as np

    from veriscene.generators.common import shuffled
    from veriscene.generators.multi_image.sets import set_distractors

    def by_sets(rng: np.random.Generator, answer: list[str], extra: list[str]) -> list[list[str]]:
        have = set(answer)
        out = [sorted(have | {y}) for y in extra]
        if len(have) > 1:
            out += [sorted(have - {x}) for x in answer]
        out += [sorted((have - {x}) | {y}) for x in answer for y in extra]
        return shuffled(rng, out)

    r = random.Random(0)
    words = [f"w{i:02d}" for i in range(40)]
    for trial in range(500):
        answer = sorted(r.sample(words, r.randrange(0, 12)))
        extra = r.sample(words, r.randrange(0, 9))
        if r.random() < 0.7:  # as callers pass them; the rest also overlap the answer
            extra = [w for w in extra if w not in answer]
        expected = by_sets(np.random.default_rng(trial), answer, extra)
        assert set_distractors(np.random.default_rng(trial), answer, extra) == expected
