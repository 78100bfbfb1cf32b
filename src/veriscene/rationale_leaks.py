"""Which text would give a sample's answer away, when it stands before the question in a conversation.

In a conversation of several questions about one image (`export --turns N`), every target comes
before the questions that follow it. A reasoning target says much more than its answer: the
objects it finds with their boxes and all their attributes ("the large shiny red star at [...]"),
the counts on the way. Said before a later question, that can answer it from the text: "What color
is the star at [...]?" after "... the large shiny red star at [...]". A model trained on such a
conversation learns to copy from the context instead of looking at the image.

`answer_markers(sample, ctx)` says, for the sample as a later question, what text answers it: a
list of markers, each a tuple of regular expressions that together, in one sentence of the text
before it, state its answer about the same object(s):

    query_attribute   the object's box and the value       "red" ... "at [0.1, ...]"
    query_attributes  the object's box and every value
    query_name        "<name> at <box>"
    describe_object   "<all it is> at <box>"               "large shiny red star at [...]"
    query_box         the answer box
    count, exists     the sentence its own rationale says of the set ("There are two circles")
    query_relation, has_relation, relative_position   the boxes of both objects

Other answers (sums, comparisons, sets of names, points) have none: they are not checked.
`leaks(markers, text)` tells whether `text` states one. Multi-image samples are checked the same
way (a box alone names no image: a conservative test there).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from veriscene.answers import format_box
from veriscene.program import ExecutionContext, Obj, run_nodes
from veriscene.scene.describe import noun_phrase

Marker = tuple[str, ...]  # regular expressions that must all match one sentence
_SENTENCE_RE = re.compile(r"(?<=[.?!:;])\s+|\n+")
_RELATIONS = ("query_relation", "query_relations", "has_relation", "relative_position")


def _word(text: str) -> str:
    return r"\b" + re.escape(text) + r"\b"


def answer_markers(sample: Mapping[str, Any], ctx: ExecutionContext, box_format: str,
                   rationale_text: str = "") -> list[Marker]:
    """What, said before `sample`'s question, would answer it (see the module docstring)."""
    program = list(sample["program"])
    last = program[-1]
    op, inputs = str(last["op"]), [int(k) for k in last.get("inputs", ())]
    values = run_nodes(program, ctx)

    def box(obj: Obj) -> str:
        scene = ctx.scene(obj.image)
        return re.escape(format_box([float(v) for v in scene.boxes[obj.index]], (scene.width, scene.height),
                                    box_format))

    def obj(k: int) -> Obj | None:
        value = values[inputs[k]] if k < len(inputs) else None
        return value if isinstance(value, Obj) else None

    first = obj(0)
    if op == "query_attribute" and first is not None:
        return [(box(first), _word(str(values[-1])))]
    if op == "query_attributes" and first is not None:
        return [(box(first), *(_word(str(v)) for v in values[-1]))]
    if op in ("query_name", "describe_object") and first is not None:
        scene = ctx.scene(first.image)
        name = scene.names[first.index]
        said = name if op == "query_name" else noun_phrase(name, sorted(scene.attributes[first.index]))
        return [(_word(said) + r" at " + box(first),)]
    if op == "query_box" and first is not None:
        return [(box(first),)]
    if op in _RELATIONS and first is not None and obj(1) is not None:
        return [(box(first), box(obj(1)))]  # type: ignore[arg-type]
    if op in ("count", "exists") and rationale_text:
        said = re.split(r"[:,.?]", rationale_text, maxsplit=1)[0].strip()
        if said:
            return [(r"(?i)(?:^|\b)" + re.escape(said) + r"(?=[:,.?])",)]
    return []


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_RE.split(text) if s]


def leaks(markers: Sequence[Marker], text: str) -> bool:
    """Whether one sentence of `text` matches every expression of one of `markers`."""
    if not markers or not text:
        return False
    said = sentences(text)
    return any(any(all(re.search(p, s) for p in marker) for s in said) for marker in markers)
