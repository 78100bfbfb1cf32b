"""Which text would give a sample's answer away, when it stands before the question in a conversation.

In a conversation of several questions about one image (`export --turns N`), every target comes
before the questions that follow it. A reasoning target says much more than its answer: the
objects it finds with their boxes and all their attributes ("the large shiny red star at [...]"),
the counts on the way. Said before a later question, that can answer it from the text: "What color
is the star at [...]?" after "... the large shiny red star at [...]". A model trained on such a
conversation learns to copy from the context instead of looking at the image.

`answer_markers(sample, ctx)` says, for the sample as a later question, what text answers it: a
list of markers, any one of which gives the answer away. A marker is a tuple of clauses the text
must all state; a clause is a tuple of regular expressions that match one sentence together:

    query_attribute   the object's box and the value       "red" ... "at [0.1, ...]"
    query_attributes  the object's box and every value
    query_name        "<name> at <box>", "<box> is the ... <name>"
    describe_object   "<all it is> at <box>", "<box> is the <all it is>"   "large shiny red star at [...]"
    query_box         the answer box
    query_relation, has_relation, relative_position   the boxes of both objects
    count, exists     the sentence its own rationale says of the counted or tested set
                      ("There are two circles", "In Image 2, is there any star")
    compare_int, add_int, equal, argmax_image, set_intersect / union / difference
                      every input stated: both counts compared, every count summed, both values
                      compared, every image's kinds or values ("In Image 1, the kinds of
                      objects are: circle, star"; of a question's listed names, "In Image 1,
                      the listed kinds of objects present are: kite")
    and, or           the inputs that decide it: one "no" gives a false "and", one "yes" a true
                      "or"; otherwise all of them
    select_image      the test of the image selected ("In Image 2, is there any star? Yes")
    frequent_name     the count of every kind compared ("There are three circles", "There is one
                      hexagon"), when they are counted over the whole image
    same_object       the extreme picked, with its box ("the smallest is ... at [...]"); of two
                      objects, the other extreme of the other one too
    point_on          where the reference point and a candidate point lie, or where a candidate
                      lies relative to it ("the point [...] lies on another object")
    closer_point      either point said to be the closer or farther "of the two"

Captions and descriptions of whole images have none: they are dealt last in their conversation
(`writers.turns`), and a few facts said before do not say them. Said before a later turn, a
caption's target is read like any other ("a small red circle at [...]" in its think block answers
"What is in the box [...]?"); its answer names every object, so it is dealt after descriptions of
one object too (`benchmarks/reasoning_leaks.py` counts what an earlier caption gives away). `leaks(markers, text)` tells whether
`text` states one. Multi-image samples are checked the same way (a box alone names no image: a
conservative test there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

from veriscene.answers import format_box, format_point
from veriscene.program import ExecutionContext, Obj, Objs, run_nodes
from veriscene.rationale import node_sentences
from veriscene.scene.describe import noun_phrase
from veriscene.text import counted, counted_plural

Clause = tuple[str, ...]  # regular expressions that must all match one sentence
Marker = tuple[Clause, ...]  # clauses that must all be stated (each in a sentence of the text)
_SENTENCE_RE = re.compile(r"(?<=[.?!;])\s+|\n+")  # a colon goes on: "There is one circle: the ..."
_RELATIONS = ("query_relation", "query_relations", "has_relation", "relative_position")
_EVERY_INPUT = ("compare_int", "add_int", "equal", "same_attribute", "set_intersect", "set_union", "set_difference")
_OPPOSITE = {"leftmost": "rightmost", "topmost": "bottommost", "largest": "smallest", "closest": "farthest"}
_OPPOSITE.update({v: k for k, v in _OPPOSITE.items()})
_LIES = r"\blies (?:on|where)\b"


def _word(text: str) -> str:
    return r"\b" + re.escape(text) + r"\b"


def _statement(sentence: str) -> str:
    """A regex for what a sentence of a counted or tested set states, up to its first colon, comma,
    full stop or question mark ("There are two circles", "In Image 2, is there any star"): the rest
    (boxes, "Yes.") follows from it on the same scene."""
    where = re.match(r"In Image \d+, ", sentence)
    head = where.group(0) if where else ""
    said = head + re.split(r"[:,.?]", sentence[len(head):], maxsplit=1)[0].strip()
    return r"(?i)(?:^|\b)" + re.escape(said) + r"(?=[:,.?])"


def _all_of(alternatives: Sequence[list[Marker]]) -> list[Marker]:
    """Markers that state every input (one way each): [] when an input has no way to be stated."""
    return [tuple(clause for marker in chosen for clause in marker) for chosen in product(*alternatives)]


class _Markers:
    """What states each node's value on one program run (see the module docstring)."""

    def __init__(self, program: Sequence[Mapping[str, Any]], ctx: ExecutionContext, box_format: str,
                 said: Mapping[int, str]) -> None:
        self.program, self.ctx, self.box_format, self.said = program, ctx, box_format, said
        self.values = run_nodes(list(program), ctx)

    def box(self, obj: Obj) -> str:
        scene = self.ctx.scene(obj.image)
        return re.escape(format_box([float(v) for v in scene.boxes[obj.index]], (scene.width, scene.height),
                                    self.box_format))

    def point(self, image: int, pixels: Sequence[float]) -> str:
        scene = self.ctx.scene(image)
        return re.escape(format_point([float(v) for v in pixels], (scene.width, scene.height), self.box_format))

    def states(self, k: int) -> list[Marker]:
        """The ways text can state node k's value; [] when none is checked."""
        node = self.program[k]
        op, inputs, args = str(node["op"]), [int(i) for i in node.get("inputs", ())], list(node.get("args", ()))
        value, ins = self.values[k], [self.values[i] for i in inputs]
        first = ins[0] if ins and isinstance(ins[0], Obj) else None
        if op == "query_attribute" and first is not None:
            return [((self.box(first), _word(str(value))),)]
        if op == "query_attributes" and first is not None:
            return [((self.box(first), *(_word(str(v)) for v in value)),)]
        if op in ("query_name", "describe_object") and first is not None:
            scene = self.ctx.scene(first.image)
            name = scene.names[first.index]
            words = name if op == "query_name" else noun_phrase(name, sorted(scene.attributes[first.index]))
            # "the small red circle at [...]", "The object in the region [...] is the small red circle."
            return [((_word(words) + r" at " + self.box(first),),),
                    ((self.box(first) + r" is (?:the|an?) (?:[\w-]+ )*?" + re.escape(words) + r"\b",),)]
        if op == "query_box" and first is not None:
            return [((self.box(first),),)]
        if op in _RELATIONS and first is not None and len(ins) > 1 and isinstance(ins[1], Obj):
            return [((self.box(first), self.box(ins[1])),)]
        if op in ("count", "exists"):
            return [((_statement(self.said[inputs[0]]),),)] if inputs[0] in self.said else []
        if op in ("names_in", "names_among", "attribute_values") and k in self.said:
            return [((re.escape(self.said[k].rstrip(".")),),)]
        if op in ("not", "bool_to_int"):
            return self.states(inputs[0])
        if op in _EVERY_INPUT or op.startswith(("argmax_image", "argmin_image")):
            return _all_of([self.states(i) for i in inputs])
        if op in ("and", "or"):
            deciding = [i for i, v in zip(inputs, ins) if bool(v) == (op == "or")]  # a true "or", a false "and"
            if bool(value) == (op == "or") and deciding:
                return [m for i in deciding for m in self.states(i)]
            return _all_of([self.states(i) for i in inputs])
        if op.startswith("select_image"):
            return self.states(inputs[int(value)])
        if op == "frequent_name":
            return self._frequent(inputs[0], ins[0])
        if op == "same_object":
            return self._same(inputs[0], ins[1])
        if op == "point_on":
            return self._point_on(inputs, args)
        if op == "closer_point":
            return [((self.point(0, p), r"\bof the two\b"),) for p in ins]
        return []

    def _frequent(self, node: int, objs: Objs) -> list[Marker]:
        """The count of each kind, when the set compared is a union of whole kinds of one image."""
        leaves, stack = [], [node]
        while stack:
            k = stack.pop()
            if self.program[k]["op"] == "union":
                stack.extend(int(i) for i in self.program[k]["inputs"])
            elif self.program[k]["op"] == "filter_name" and self.program[int(self.program[k]["inputs"][0])]["op"] == "scene":
                leaves.append(str(self.program[k]["args"][0]))
            else:
                return []  # a filtered set: its counts are not those of the whole image
        where = f"In Image {objs.image + 1}, " if len(self.ctx.scenes) > 1 else ""
        names = self.ctx.scene(objs.image).names
        clauses = []
        for name in sorted(set(leaves)):
            n = sum(1 for i in objs.idx if names[i] == name)
            amount = f"is one {name}" if n == 1 else f"are {counted(n, name)}" if n else f"are no {counted_plural(name)}"
            clauses.append((r"(?i)(?:^|\b)" + re.escape(f"{where}there {amount}") + r"(?=[:,.?])",))
        return [tuple(clauses)]

    def _same(self, node: int, other: Any) -> list[Marker]:
        """same_object(extreme(set), y): the extreme said with its box; of two objects, the other
        extreme said of the other one gives it too."""
        picked = self.program[node]
        if picked["op"] != "extreme" or not isinstance(other, Obj):
            return []
        extreme, chosen = str(picked["args"][0]), self.values[node]
        among = self.values[int(picked["inputs"][0])]
        markers: list[Marker] = [((_word(extreme), self.box(chosen)),)]
        if len(among.idx) == 2 and extreme in _OPPOSITE:
            rest = Obj(among.image, next(i for i in among.idx if i != chosen.index))
            markers.append(((_word(_OPPOSITE[extreme]), self.box(rest)),))
        return markers

    def _point_on(self, inputs: list[int], args: list[Any]) -> list[Marker]:
        """point_on(object_at_point(p0), p1, p2): where p0 and a candidate lie, or where a candidate
        lies relative to p0's object."""
        at = self.program[inputs[0]]
        if at["op"] != "object_at_point":
            return []
        image = self.values[inputs[0]].image
        p0, p1, p2 = (self.point(image, self.values[int(k)]) for k in (at["inputs"][1], inputs[1], inputs[2]))
        relative = r"\blies on (?:it|another object)\b"
        return [((p0, _LIES), (p1, _LIES)), ((p0, _LIES), (p2, _LIES)), ((p1, relative),), ((p2, relative),)]


def answer_markers(sample: Mapping[str, Any], ctx: ExecutionContext, box_format: str) -> list[Marker]:
    """What, said before `sample`'s question, would answer it (see the module docstring)."""
    program = list(sample["program"])
    return _Markers(program, ctx, box_format, node_sentences(sample, ctx)).states(len(program) - 1)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_RE.split(text) if s]


def leaks(markers: Sequence[Marker], text: str) -> bool:
    """Whether `text` states one of `markers`: each of its clauses matched by one sentence."""
    if not markers or not text:
        return False
    said = sentences(text)
    return any(all(any(all(re.search(p, s) for p in clause) for s in said) for clause in marker)
               for marker in markers)
