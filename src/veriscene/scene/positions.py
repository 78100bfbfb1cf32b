"""Telling apart objects described alike by where they are: "the left red circle", "the upper
one", "the middle one", "the second from the left".

A dense caption lists "two large red circles" and then says what each does; without a way to tell
them apart, its sentences read "A large red circle is below the star. A large red circle is below
the star." A person says which one by its place. `placed_phrases` gives such a phrase to every
object of a group described alike, when the group's objects lie clearly apart along one axis of
the image (their box centres at least `SEPARATION` of the wider box apart, and `MIN_GAP` of the
image), left to right first, else top to bottom; a group whose objects overlap in both is left
without (its objects stay "a large red circle").
"""

from __future__ import annotations

from typing import Sequence

from veriscene.program.context import SceneIndex

SEPARATION = 0.5  # consecutive centres apart by at least this share of the wider box's extent
MIN_GAP = 0.03  # ... and by at least this share of the image's width (height)

# position words by group size along x and along y; larger groups are said by ordinal
_TWO = {0: ("left", "right"), 1: ("upper", "lower")}
_THREE = {0: ("leftmost", "middle", "rightmost"), 1: ("topmost", "middle", "bottommost")}
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_FROM = {0: "from the left", 1: "from the top"}


def placed_phrases(index: SceneIndex, phrases: Sequence[str]) -> dict[int, str]:
    """Object index -> a phrase without article that tells it apart from the other objects of
    the same phrase (`phrases[i]`: its attributes and name) by its place ("left large red circle",
    "second large red circle from the left"), for the objects of every group of two or more alike
    whose members lie clearly apart along x, else along y. None where attributes, or the
    instances of the object's name, are annotated in part (an unannotated one may lie further
    left), nor for crowd and stuff regions."""
    if index.sparse_attributes:
        return {}
    left_out = set(index.crowd) | set(index.stuff)
    names = index.scene.names
    groups: dict[str, list[int]] = {}
    for i, phrase in enumerate(phrases):
        if i not in left_out and index.complete(names[i]):
            groups.setdefault(phrase, []).append(i)
    placed: dict[int, str] = {}
    for phrase, members in groups.items():
        if len(members) < 2 or len(members) > len(_ORDINALS):
            continue
        for axis in (0, 1):
            order = _apart(index, members, axis)
            if order is not None:
                placed.update(zip(order, _said(phrase, len(order), axis)))
                break
    return placed


def _apart(index: SceneIndex, members: list[int], axis: int) -> list[int] | None:
    """The members in order along `axis` (0: x, 1: y), or None when two neighbours are not
    clearly apart."""
    boxes = index.box_list
    centres = index.center_list
    extent = index.scene.width if axis == 0 else index.scene.height
    order = sorted(members, key=lambda i: (centres[i][axis], i))
    for a, b in zip(order, order[1:]):
        wider = max(boxes[a][axis + 2] - boxes[a][axis], boxes[b][axis + 2] - boxes[b][axis])
        gap = centres[b][axis] - centres[a][axis]
        if gap < SEPARATION * wider or gap < MIN_GAP * extent:
            return None
    return order


def _said(phrase: str, n: int, axis: int) -> list[str]:
    if n == 2:
        return [f"{word} {phrase}" for word in _TWO[axis]]
    if n == 3:
        return [f"{word} {phrase}" for word in _THREE[axis]]
    first, last = _THREE[axis][0], _THREE[axis][2]
    return ([f"{first} {phrase}"] + [f"{_ORDINALS[k]} {phrase} {_FROM[axis]}" for k in range(1, n - 1)]
            + [f"{last} {phrase}"])
