"""Words for the values a program computes, as a rationale says them (`veriscene.rationale`):
a set of objects by its name, attributes and relation clause (`_Set`), an object by what it is
and where (its box in the sample's box convention), points, the boxes of a set, counts of a
named set in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from veriscene.answers import format_box, format_point
from veriscene.program import ExecutionContext, Obj, Objs
from veriscene.scene.describe import noun_phrase
from veriscene.scene.model import Scene
from veriscene.text import counted, counted_plural, join_words, number_word

MAX_BOXES = 10  # boxes listed for a set; more are counted ("and 4 more")


@dataclass(frozen=True)
class _Set:
    """What a set of objects is, in words: its name, attributes and a relation clause."""

    name: str | None = None
    attributes: tuple[str, ...] = ()
    clause: str = ""  # " to the left of the red cube"
    members: tuple[str, ...] = ()  # a union's sets, in plural: ("squares", "red circles")

    @property
    def bare(self) -> bool:
        return self.name is None and not self.attributes and not self.clause and not self.members

    def noun(self) -> str:
        return noun_phrase(self.name or "object", self.attributes)


def unit(words: _Set) -> str:
    """One object of a set, as asked for: "square above the star", "square or circle"."""
    return join_words(list(words.members), "or") if words.members else words.noun() + words.clause


class _Words:
    """The words for the values of one program run; `rationale._Sayer` fills in the run."""

    program: Sequence[Mapping[str, Any]]
    ctx: ExecutionContext
    box_format: str  # the sample's (`rewards.process.sample_box_format`)
    values: list[Any]  # each node's value (`program.run_nodes`)
    multi: bool  # several images: sentences say which
    sets: dict[int, _Set]  # OBJECTS node -> what it is in words

    def _scene(self, image: int) -> Scene:
        return self.ctx.scene(image)

    def box(self, image: int, pixels: Sequence[float]) -> str:
        scene = self._scene(image)
        return format_box([float(v) for v in pixels], (scene.width, scene.height), self.box_format)

    def point(self, image: int, pixels: Sequence[float]) -> str:
        label = getattr(pixels, "label", None)  # a point drawn on the image: named as the question names it
        if label is not None:
            return str(label)
        scene = self._scene(image)
        return format_point([float(v) for v in pixels], (scene.width, scene.height), self.box_format)

    def the(self, obj: Obj) -> str:
        """The object by all it is: "the small shiny red square"."""
        scene = self._scene(obj.image)
        return "the " + noun_phrase(scene.names[obj.index], sorted(scene.attributes[obj.index]))

    def the_at(self, obj: Obj) -> str:
        return f"{self.the(obj)} at {self.box(obj.image, self._scene(obj.image).boxes[obj.index])}"

    def ref(self, obj: Obj) -> str:
        """An object said before: "the square at [...]"."""
        scene = self._scene(obj.image)
        return f"the {scene.names[obj.index]} at {self.box(obj.image, scene.boxes[obj.index])}"

    def where(self, image: int) -> str:
        return f"in Image {image + 1}, " if self.multi else ""

    def number(self, node: int) -> str:
        """An int node in words: "three squares" for a count of a named set, else its digits."""
        value = int(self.values[node])
        op = self.program[node]
        if op["op"] == "count" and not self.sets.get(op["inputs"][0], _Set()).bare:
            noun = self.sets[op["inputs"][0]].noun()
            return f"one {noun}" if value == 1 else counted(value, noun) if value else f"no {counted_plural(noun)}"
        return str(value)

    def _boxes(self, objs: Objs) -> str:
        scene, n = self._scene(objs.image), len(objs.idx)
        boxes = [self.box(objs.image, scene.boxes[k]) for k in objs.idx[:MAX_BOXES]]
        return join_words(boxes + ([f"{number_word(n - len(boxes))} more"] if n > len(boxes) else []))

    def _said(self, value: Any) -> str:
        if isinstance(value, Obj):
            return self.the(value)
        return str(value)
