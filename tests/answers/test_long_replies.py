"""Long, repetitive replies (what a policy under RL may write): scored without raising, by readers
that give what the plain definitions give. Their time is measured by
`benchmarks/long_replies.py` (linear in the reply's length), never asserted here."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.answers import score_sample
from veriscene.answers.candidates import (
    _COMPARED,
    FUNCTION_WORDS,
    GENERIC_HEADS,
    compared_with,
    listed_names,
)
from veriscene.answers.numbers import find_numbers, words_to_numbers
from veriscene.answers.rivals import NAME
from veriscene.answers.yes_no import (
    _BOOL_WORD_RE,
    _CLAUSE_END_RE,
    _DETERMINER_NO_RE,
    _HEDGE_BEFORE_RE,
    _NOT_BEFORE_RE,
    _THAT_CLAUSE_RE,
    _window_start,
    read_bool,
)

COUNT = {"answer": 2, "answer_type": "int", "question": "How many circles are there?", "choices": None,
         "meta": {"mode": "qa"}}


def test_number_words_past_any_float_are_out_of_range() -> None:
    """"dozen dozen ..." multiplied past the largest float: OverflowError ended the scoring."""
    result = score_sample("dozen " * 400, COUNT)
    assert result.score == 0.0 and result.parse_failed and "out of range" in (result.reason or "")


@pytest.mark.parametrize("reply", ["a million " * 200 + "dozen " * 300, "million " * 400, "twelve dozen " * 500])
def test_long_runs_of_number_words_are_scored(reply: str) -> None:
    assert score_sample(reply, COUNT).score == 0.0


def test_number_words_keep_their_values() -> None:
    assert words_to_numbers(["dozen"] * 400) == [math.inf]
    # scales multiply as "dozen" does ("a million million" is 10**12), held at the bound as well
    assert words_to_numbers(["a"] + ["million"] * 51) == [1e306]
    assert words_to_numbers(["a"] + ["million"] * 52) == [math.inf]
    assert words_to_numbers(["million"] * 400 + ["and", "two"]) == [math.inf]
    assert words_to_numbers(["two", "dozen"]) == [24.0]
    assert words_to_numbers(["one", "hundred", "and", "five"]) == [105.0]
    assert words_to_numbers(["twenty", "one", "thousand"]) == [21000.0]
    assert [n.value for n in find_numbers("two and a half circles")] == [2.5]
    assert [n.value for n in find_numbers("twenty-two thousand three hundred forty-five and a half")] == [22345.5]
    # a whole part of more than ten words is no fraction's: not "2 2 ... 2 and a half" read as one
    assert [n.value for n in find_numbers("two " * 30 + "and a half")] == [2.0] * 30


def test_a_long_run_of_yes_and_no_says_both() -> None:
    assert not read_bool("yes no " * 3000).ok
    assert read_bool("I think" + " " * 60 + "yes").value is True  # a hedge and its whitespace
    assert read_bool("well it's not correct, " * 50 + "it is not correct").value is False


_FRAGMENTS = st.sampled_from(["yes", "no", "not", "true", "correct", "false", "incorrect", "that", "there is", "a",
                              "dog", "other", "I think", "answer is", "well", "isn't", "n't", ",", ".", "!", "\n",
                              "  ", "*", "(", "\"", "so", "probably", "more", "then", "it's"])
_TEXTS = st.lists(_FRAGMENTS, max_size=30).map(" ".join) | st.lists(_FRAGMENTS, max_size=30).map("".join)


@settings(max_examples=400, derandomize=True)
@given(_TEXTS)
def test_words_around_a_yes_or_no_read_in_place_as_in_slices(text: str) -> None:
    """What `_read_words` reads before and after each yes/no word, at its position (in a window
    before it), is what the patterns read in the text cut there."""
    for m in _BOOL_WORD_RE.finditer(text):
        start, end = m.start(), m.end()
        before, after = text[:start], text[end:]
        lo = _window_start(text, start)
        assert bool(_HEDGE_BEFORE_RE.search(text, lo, start)) == bool(_HEDGE_BEFORE_RE.search(before))
        assert bool(_NOT_BEFORE_RE.search(text, lo, start)) == bool(_NOT_BEFORE_RE.search(before))
        for pattern in (_CLAUSE_END_RE, _DETERMINER_NO_RE, _THAT_CLAUSE_RE):
            in_place, cut = pattern.match(text, end), re.match(pattern.pattern, after, pattern.flags)
            assert (in_place and in_place.groups()) == (cut and cut.groups()) and bool(in_place) == bool(cut)


def _listed_by_definition(text_norm: str, gold: str, table: dict[str, frozenset[str]]) -> bool:
    """`listed_names` as its docstring says it, reading each mention's run of nouns again."""
    words, target = text_norm.split(), gold.split()
    starts = [k for k in range(len(words) - len(target) + 1) if words[k:k + len(target)] == target]
    if not starts:
        return False
    for k in starts:
        a, b = k, k + len(target)
        while a > 0 and words[a - 1] not in FUNCTION_WORDS:
            a -= 1
        while b < len(words) and words[b] not in FUNCTION_WORDS:
            b += 1
        unknown = [w for w in words[a:k] if w not in table or NAME in table[w]]
        if not [w for w in words[k + len(target):b] if w not in GENERIC_HEADS] and len(unknown) <= 1:
            return False
    return True


def _compared_by_definition(text_norm: str, phrase: str) -> bool:
    """`compared_with` as its docstring says it, walking back from each mention."""
    words, target = text_norm.split(), phrase.split()
    starts = [k for k in range(len(words) - len(target) + 1) if words[k:k + len(target)] == target]
    if not starts or not _COMPARED.search(text_norm):
        return False
    for k in starts:
        j = k - 1
        while j >= 0 and words[j] not in FUNCTION_WORDS and words[j] not in ("compared", "unlike"):
            j -= 1
        head = " ".join(words[max(j - 1, 0):j + 1])
        if j < 0 or not (words[j] in ("than", "unlike") or head in ("compared to", "compared with")):
            return False
    return True


_WORDS = st.lists(st.sampled_from(["dog", "cat", "red", "fluffy", "object", "shape", "the", "of", "than", "and",
                                   "compared", "to", "with", "unlike", "is", "hexagon", "big dog"]), max_size=25)
_TABLE = {"dog": frozenset({NAME}), "cat": frozenset({NAME}), "red": frozenset({"attribute_type"}),
          "object": frozenset({NAME})}


@settings(max_examples=400, derandomize=True)
@given(_WORDS, st.sampled_from(["dog", "cat", "red", "big dog", "object"]))
def test_names_and_comparisons_read_as_defined(words: list[str], gold: str) -> None:
    text = " ".join(words)
    assert listed_names(text, gold, _TABLE) == _listed_by_definition(text, gold, _TABLE)
    assert compared_with(text, gold) == _compared_by_definition(text, gold)
