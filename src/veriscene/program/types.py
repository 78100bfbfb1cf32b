"""Value types of the program language and their JSON answer forms.

Objects and Object values carry the image they belong to, so the same ops serve single-image
(image 0) and multi-image programs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, Self

from mypy_extensions import mypyc_attr

# Type names used in op signatures and by the checker.
OBJECTS = "Objects"  # a set of objects of one image
OBJECT = "Object"  # exactly one object
BOOL = "Bool"
INT = "Int"
FLOAT = "Float"
STR = "Str"
STR_SET = "StrSet"
BOX = "Box"
POINT = "Point"
IMAGE = "Image"  # an image index (multi-image programs)
TEXT = "Text"  # free-form description
ANY = "Any"  # in a signature: any type, but all Any inputs of one node must agree

VALUE_TYPES = (OBJECTS, OBJECT, BOOL, INT, FLOAT, STR, STR_SET, BOX, POINT, IMAGE, TEXT)

# A POINT value as the ops take and return it: (x, y) in pixels, or a marked point
# (`veriscene.program.ops_marks.MarkedPoint`, a tuple carrying its label). Of any length to the
# type checker on purpose: compiled with mypyc, a tuple[float, float] argument is unpacked into
# two floats and a fresh tuple made when it is returned, so an op returning the point it was
# given (`point_on`, `closer_point`) would drop a marked point's label.
Point = tuple[float, ...]

# Program result type -> sample answer_type (see veriscene.sample.ANSWER_TYPES).
ANSWER_TYPE_OF = {
    BOOL: "bool",
    INT: "int",
    FLOAT: "float",
    STR: "str",
    STR_SET: "str_set",
    BOX: "box",
    POINT: "point",
    IMAGE: "image_index",
    TEXT: "text",
}


class Objs(NamedTuple):
    """A set of objects: image index and sorted, unique object indices. `complete` is False when
    objects the set describes may be missing from the annotation: the scene does not annotate
    every instance of some name (``scene.meta["exhaustive"]``), so the set's count, its absence
    and its extremes are unknown (see `veriscene.program.ops`)."""

    image: int
    idx: tuple[int, ...]
    complete: bool = True


@mypyc_attr(native_class=False)  # (mypyc's native classes may not subclass tuple)
class OpenNames(tuple):  # type: ignore[type-arg]
    """A set of words (STR_SET) some more of which may belong to it, unknown: `names_among` over an
    image of a closed category list (COCO) asked of a name outside it ("window"). The tuple
    holds the words known to belong (sorted), `open` those that may (disjoint from them).
    The set ops carry both (`ops_multi.set_union`, ...); a program whose answer is such a set
    with `open` words has no answer (`to_answer`: OpenAnswer; `execute` fails), and `equal` of one fails: only an answer
    that no open word can change is given ("Which of car, window are only in Image 2?" where
    Image 1, of Visual Genome, shows a window)."""

    open: frozenset[str]

    def __new__(cls, sure: Iterable[str], open_words: frozenset[str]) -> Self:
        made = tuple.__new__(cls, sure)  # (compiled, a class of Python's own has no super().__new__)
        made.open = open_words
        return made

    def __getnewargs__(self) -> tuple[tuple[str, ...], frozenset[str]]:
        return tuple(self), self.open  # (pickled as made)


class OpenAnswer(ValueError):
    """A program's answer is a set of words with words left open (`OpenNames`): unknown."""


def open_words(value: Any) -> frozenset[str]:
    """The words that may belong to a STR_SET value besides its own (`OpenNames.open`; none for a
    plain tuple)."""
    return value.open if value.__class__ is OpenNames else frozenset()


class Obj(NamedTuple):
    """One object: image index and object index."""

    image: int
    index: int  # type: ignore[assignment]  # a field named like tuple.index (NamedTuple allows it)


def to_answer(value: Any, type_name: str) -> Any:
    """Convert an executor value to its JSON answer form (the sample's `answer`). OpenAnswer (a
    ValueError; `execute` and `answer_of` raise it as ExecutionFailure) for a set of words that
    words left open may change (`OpenNames`)."""
    if type_name == BOOL:
        return bool(value)
    if type_name in (INT, IMAGE):
        return int(value)
    if type_name == FLOAT:
        return float(value)
    if type_name in (STR, TEXT):
        return str(value)
    if type_name == STR_SET:
        if value.__class__ is OpenNames:
            raise OpenAnswer("the answer is unknown: an image of a closed category list (meta.category_set) may "
                             f"show {sorted(value.open)[:3]}, unannotated")
        return sorted(value)
    if type_name in (BOX, POINT):
        return [round(float(v), 2) for v in value]
    raise TypeError(f"a program ending in {type_name} has no answer form; end it with a query op")
