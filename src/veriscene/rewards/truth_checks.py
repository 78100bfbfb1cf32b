"""Checks of ground-truth fields (`truth.GroundTruth`), each failure a ValueError naming the field.

A bad ground truth is a data error, not a bad reply: before these checks a gold box that was no
box, an `answer_letter` outside the options or an unknown `box_format` raised inside scoring,
where `truth.safe_score` turned it into reward 0 for every reply (training on a constant
reward), and a bool gold "no" (text) was read as true. Others raised TypeError, IndexError or
AttributeError with no field named ("'int' object is not iterable").

    field            expected
    answer           bool: true / false;  int, image_index: a whole number (image_index >= 0);
                     float: a finite number;  str, text: text;  str_set: a list of texts;
                     box: [x0, y0, x1, y1], point: [x, y] (finite pixel values)
    choices          a list of option texts, or null
    answer_letter    one of the options' letters (A, B, ...), or null
    box_format       a box convention (`veriscene.answers.coords.BOX_FORMATS`), or null
    image_size       [width, height], positive
    vocabulary       a list of words;   synonyms: an object {word: word}
    point_options    a list of [x, y];  num_images: a whole number >= 1
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from veriscene.answers import parse_box_format
from veriscene.sample import OPTION_LETTERS

T = TypeVar("T")


def shown(value: Any) -> str:
    """A value as an error message quotes it (short)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_list(value: Any) -> bool:
    """A list of values: a Sequence or a numpy array, not text or a mapping."""
    if isinstance(value, (str, bytes, Mapping)):
        return False
    return isinstance(value, Sequence) or (hasattr(value, "__len__") and hasattr(value, "dtype"))


def field(name: str, value: Any, convert: Callable[[Any], T], expected: str) -> T:
    """`convert(value)`, or a ValueError naming the ground truth field and what it must be."""
    try:
        return convert(value)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        raise ValueError(f"ground truth field {name!r} must be {expected}, got {shown(value)}") from exc


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError("not a finite number")
    return float(value)


def texts(value: Any) -> tuple[str, ...]:
    if not _is_list(value) or not all(isinstance(x, str) for x in value):
        raise TypeError("not a list of texts")
    return tuple(value)


def listed(value: Any) -> list[Any]:
    if not _is_list(value):
        raise TypeError("not a list")
    return list(value)


def size(value: Any) -> tuple[int, int]:
    if not _is_list(value) or len(value) != 2:
        raise TypeError("not [width, height]")
    w, h = (int(_number(v)) for v in value)
    if w <= 0 or h <= 0:
        raise ValueError("not positive")
    return w, h


def points(value: Any) -> tuple[tuple[float, float], ...]:
    if not _is_list(value) or not all(_is_list(p) and len(p) == 2 for p in value):
        raise TypeError("not a list of [x, y]")
    return tuple((_number(p[0]), _number(p[1])) for p in value)


def word_map(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise TypeError("not an object of words")
    return value


def _coordinates(n: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not _is_list(value) or len(value) != n:
            raise TypeError(f"not {n} values")
        for v in value:
            _number(v)
        return value
    return check


def _bool(value: Any) -> bool:
    if isinstance(value, str) or value not in (True, False):
        raise TypeError("not true or false")
    return bool(value)


def _integer(value: Any) -> int:
    number = _number(value)
    if number != int(number):
        raise ValueError("not a whole number")
    return int(number)


def whole(value: Any, least: int = 0) -> int:
    number = _integer(value)
    if number < least:
        raise ValueError(f"not a whole number >= {least}")
    return number


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


# answer_type -> (check of the gold answer, what it must be)
_ANSWERS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "bool": (_bool, "true or false"),
    "int": (_integer, "a whole number"),
    "image_index": (whole, "a whole number >= 0 (the 0-based image)"),
    "float": (_number, "a finite number"),
    "str": (_text, "text"),
    "text": (_text, "text"),
    "str_set": (texts, "a list of texts"),
    "box": (_coordinates(4), "[x0, y0, x1, y1] in pixels"),
    "point": (_coordinates(2), "[x, y] in pixels"),
}


def check_answer(answer: Any, answer_type: str) -> None:
    """A ValueError naming the field when the gold `answer` is not of `answer_type`'s form."""
    check, expected = _ANSWERS[answer_type]
    field("answer", answer, check, f"{expected} (answer_type {answer_type!r})")


def check_letter(letter: Any, choices: Sequence[str] | None) -> None:
    """A ValueError when `answer_letter` is not one of the letters of `choices`."""
    if letter is None or letter == "" or not choices:
        return
    allowed = OPTION_LETTERS[:len(choices)]

    def one_of(value: Any) -> str:
        if not isinstance(value, str) or value.strip().upper() not in set(allowed):
            raise ValueError("not an option letter")
        return value

    field("answer_letter", letter, one_of, f"one of {list(allowed)} (the {len(choices)} options)")


def check_box_format(value: Any) -> None:
    """A ValueError naming `box_format` when it is no known convention."""
    if value is not None:
        field("box_format", value, parse_box_format, "a box convention ('norm1', 'norm1000' or 'pixel') or null")


def model_size(value: Any, where: str) -> tuple[int, int] | None:
    """`model_image_size` ([width, height] of the image the model saw) or None; a ValueError
    naming `where` it was given otherwise. Read inside scoring, a bad one scored every reply 0."""
    if value is None:
        return None
    try:
        return size(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{where} must be [width, height] of the image the model saw (positive), "
                         f"got {shown(value)}") from exc
