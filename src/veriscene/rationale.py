"""The reasoning behind a sample's answer, in sentences computed from its program.

    rationale(sample, scenes)   -> "There are three squares: at [...], [...] and [...]. ..."
    reasoning_target(text, answer) -> "<think>\\n...\\n</think>\\n<answer>3</answer>"

A sample's program is the reasoning that answers it; `rationale` runs it on the sample's scenes
and says, node by node, what a careful reader of the image finds on the way: the objects each
search finds (with their boxes, in the sample's box convention), the one a reference picks out,
the values read off it, the counts, comparisons and totals. Each sentence is a value the executor
computed, so it is as true as the answer; nothing is paraphrased by a model. `veriscene export
--reasoning` makes such grounded chain-of-thought targets for SFT (`reasoning_target`, in the
think / answer tags that `format_reward` and `process_reward` read: a reasoning trace of the
export scores 1.0 with `score_trace` on the program's steps).

Inputs of a search (the whole scene, a plain filter whose result is filtered again) are not said;
a set is said where a count, a test, a reference or a list uses it. Captions of whole images
(`describe_scene`, `describe_images`) have no steps: their rationale lists the objects they are
built from, with their boxes (`veriscene.rationale_captions`). An object described
(`describe_object`: "What is in the box [...]?") has the steps that find it, which
`process_reward` checks like any other. The words for the values a program computes (objects,
boxes, sets, counts) are in `veriscene.rationale_words`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from veriscene.program import ExecutionContext, Obj, Objs, check_program, run_nodes
from veriscene.program.ops_masks import object_index_at
from veriscene.program.types import OBJECTS
from veriscene.rationale_captions import caption_rationale, is_caption
from veriscene.rationale_words import _Set, _Words, unit  # MAX_BOXES: importable from here, as before
from veriscene.scene.masks import BACKGROUND
from veriscene.scene.model import Scene
from veriscene.text import capitalise, counted, counted_plural, join_words, number_word, relation_modifier, relation_phrase

THINK_TAG, ANSWER_TAG = "think", "answer"  # as `rewards.format_reward` reads them
# ops whose OBJECTS input is said: they count it, test it, pick from it or list what it holds
_SAID_FOR = frozenset({"count", "exists", "unique", "names_in", "names_among", "attribute_values"})
_PLACES = {"left": "to the left of", "right": "to the right of", "above": "above", "below": "below"}
_COMPARED = {"greater": "more than", "less": "fewer than", "equal": "as many as"}


def reasoning_target(rationale_text: str, answer: str, *, think_tag: str = THINK_TAG,
                     answer_tag: str = ANSWER_TAG) -> str:
    """The target of a reasoning sample: the rationale in the think block, then the answer."""
    return f"<{think_tag}>\n{rationale_text}\n</{think_tag}>\n<{answer_tag}>{answer}</{answer_tag}>"


def rationale(sample: Mapping[str, Any], scenes: Scene | Sequence[Scene] | ExecutionContext) -> str:
    """The sentences that lead from the scenes to `sample`'s answer (for a caption, the objects it
    is built from: `rationale_captions`). Raises ProgramError for an ill-formed program,
    ExecutionFailure when it has no answer on `scenes`."""
    from veriscene.rewards.process import sample_box_format  # imported here: rewards load gymnasium

    program = sample["program"]
    ctx = scenes if isinstance(scenes, ExecutionContext) else ExecutionContext(scenes)
    if is_caption(program):
        check_program(program)
        run_nodes(list(program), ctx)  # a caption the scenes cannot give (partial annotations) fails
        return caption_rationale(program, ctx, sample_box_format(sample))
    return " ".join(_Sayer(program, ctx, sample_box_format(sample)).sentences().values())


def node_sentences(sample: Mapping[str, Any], ctx: ExecutionContext) -> dict[int, str]:
    """The sentences of `sample`'s rationale by the program node that says each (in program order;
    nodes that say nothing are absent; a caption has none): what `rationale_leaks` reads to tell
    which earlier text states a value on the way to the answer. Raises as `rationale` does."""
    from veriscene.rewards.process import sample_box_format  # imported here: rewards load gymnasium

    program = sample["program"]
    if is_caption(program):
        return {}
    return _Sayer(program, ctx, sample_box_format(sample)).sentences()


class _Sayer(_Words):
    """The sentences of one program run.

    Where the program has intermediate steps (`rewards.process`, select "key"), a sentence gives
    boxes only of objects that are steps and numbers only of counts that are steps, the claims
    `process_reward` checks; the search spaces a step is drawn from are named, not listed. A
    program without steps (a count, a test of one search) lists the boxes of what it searches."""

    def __init__(self, program: Sequence[Mapping[str, Any]], ctx: ExecutionContext, box_format: str) -> None:
        from veriscene.rewards.process import program_steps  # imported here: rewards load gymnasium

        self.program, self.ctx, self.box_format = program, ctx, box_format
        self.types = check_program(program, answerable=False)  # a program not a list is refused here
        self.values = run_nodes(list(program), ctx)
        self.multi = len(ctx.scenes) > 1
        self.steps = {s.node for s in program_steps(program, ctx, box_format=box_format, select="key")}
        self.grounded = not self.steps  # no steps to keep to: list what is searched
        self.sets: dict[int, _Set] = {}
        self.users: dict[int, list[str]] = {}
        for node in program:
            for i in node.get("inputs", ()):
                self.users.setdefault(i, []).append(str(node["op"]))
        self.said: set[int] = set()  # OBJECTS nodes said as sets

    # ---- the walk -----------------------------------------------------------------------------

    def sentences(self) -> dict[int, str]:
        """Each node's sentence (once per run: saying a set records it as said), in program order."""
        said: dict[int, str] = {}
        for i, node in enumerate(self.program):
            text = self._say(i, str(node["op"]), [int(k) for k in node.get("inputs", ())], list(node.get("args", ())))
            if text:
                said[i] = capitalise(text) + ("" if text.endswith(("?", ".")) else ".")
        return said

    def _say(self, i: int, op: str, inputs: list[int], args: list[Any]) -> str | None:
        value = self.values[i]
        if self.types[i] == OBJECTS:
            self.sets[i] = self._set_of(op, inputs, args)
            users = set(self.users.get(i, ()))
            if op == "union" and all(k in self.said for k in inputs):
                return None  # its parts were said: "of these" follows
            if not users & ({"count", "exists", "unique"} if not self.grounded else _SAID_FOR):
                return None  # a search space: named where an object is picked from it, or its values listed
            if self.sets[i].bare and not users & {"count", "exists"}:
                return None
            self.said.add(i)
            if "exists" in users and not self.grounded:
                return self._asked(i, value, self.sets[i])
            return self._set_sentence(i, value, self.sets[i])
        said = getattr(self, "_" + op, None)
        return said(i, value, inputs, args) if said is not None else None

    def _set_of(self, op: str, inputs: list[int], args: list[Any]) -> _Set:
        parent = self.sets.get(inputs[0], _Set()) if inputs and self.types[inputs[0]] == OBJECTS else _Set()
        if op == "filter_name":
            return _Set(str(args[0]), parent.attributes, parent.clause)
        if op == "filter_attribute":
            return _Set(parent.name, parent.attributes + (str(args[0]),), parent.clause)
        if op == "filter_relation":
            return _Set(parent.name, parent.attributes, self._clause(inputs[1], str(args[0]), str(args[1])))
        if op == "relate":
            return _Set(clause=self._clause(inputs[0], str(args[0]), "object" if args[1] == "subject" else "subject"))
        if op == "filter_overlap":
            return _Set(parent.name, parent.attributes, f" overlapping {self._anchor(inputs[1])}")
        if op == "filter_depth":
            towards = "closer to" if args[0] == "closer" else "farther from"
            return _Set(parent.name, parent.attributes, f" {towards} the camera than {self._anchor(inputs[1])}")
        if op == "as_set":
            obj = self.values[inputs[0]]
            return _Set(self._scene(obj.image).names[obj.index])
        if op == "union":
            parts = [self.sets.get(k, _Set()) for k in inputs]
            if any(part.bare for part in parts):
                return _Set()
            return _Set(members=tuple(dict.fromkeys(m for part in parts for m in (  # "stars", not "stars and stars"
                part.members or (counted_plural(part.noun()) + part.clause,)))))
        return _Set() if op in ("scene", "intersect", "difference") else parent

    def _anchor(self, node: int) -> str:
        """The object(s) of node a relation is to: with its box where it is a step."""
        value = self.values[node]
        obj = value if isinstance(value, Obj) else Obj(value.image, value.idx[0]) if len(value.idx) == 1 else None
        if obj is None:
            return f"the {counted_plural(self.sets.get(node, _Set()).noun())}"
        return self.the_at(obj) if node in self.steps or self.grounded else self.the(obj)

    def _clause(self, other: int, predicate: str, side: str) -> str:
        """The clause of objects x related to the `other` node's object(s) y: (x, predicate, y)
        when x is the subject, (y, predicate, x) when it is the object."""
        them = self._anchor(other)
        if side == "subject":
            return f" {relation_modifier(predicate)} {them}"
        return f" that {them} {relation_phrase(predicate)}"

    def _set_sentence(self, i: int, objs: Objs, words: _Set) -> str:
        """A set counted or listed: its objects' boxes where they are what the sample asks about
        (grounded) or a step; its count alone otherwise."""
        n, where = len(objs.idx), self.where(objs.image)
        noun = join_words(list(words.members), "or" if n == 0 else "and") if words.members else \
            counted_plural(words.noun()) + words.clause
        if n == 0:
            return f"{where}there are no {noun}"
        least = "" if objs.complete else "at least "
        boxed = self.grounded or i in self.steps or "unique" in self.users.get(i, ())  # the unique one is a step
        if n == 1 and not words.members:
            one = Obj(objs.image, objs.idx[0])
            return f"{where}there is {least}one {words.noun()}{words.clause}" + (f": {self.the_at(one)}" if boxed else "")
        amount = f"{number_word(n)} {noun}" if words.members else counted(n, words.noun()) + words.clause
        return f"{where}there are {least}{amount}" + (f", at {self._boxes(objs)}" if boxed else "")

    def _asked(self, i: int, objs: Objs, words: _Set) -> str:
        """A set tested for existence on the way (a step "yes" or "no"): asked, then answered."""
        where, n = self.where(objs.image), len(objs.idx)
        if n == 0:
            none = join_words(list(words.members), "or") if words.members else counted_plural(words.noun())
            return f"{where}is there any {unit(words)}? No, there are no {none} there."
        found = ""
        if i in self.steps:
            found = f" It is {self.the_at(Obj(objs.image, objs.idx[0]))}." if n == 1 else \
                f" They are at {self._boxes(objs)}."
        return f"{where}is there any {unit(words)}? Yes.{found}"

    # ---- one method per op that says something (the others: nothing) -------------------------

    def _unique(self, i: int, value: Obj, inputs: list[int], args: list[Any]) -> str | None:
        return None if inputs[0] in self.said else f"{self.where(value.image)}the only object is {self.the_at(value)}"

    def _extreme(self, i: int, value: Obj, inputs: list[int], args: list[Any]) -> str:
        if inputs[0] in self.said or (self.program[inputs[0]]["op"] == "union" and self.sets[inputs[0]].bare):
            among = "of these"
        else:
            words = self.sets.get(inputs[0], _Set())
            among = "of all objects" if words.bare else f"of the objects ({join_words(list(words.members))})" \
                if len(words.members) > 1 else f"among the {words.members[0]}" if words.members \
                else "among the " + counted_plural(words.noun()) + words.clause
        return f"{self.where(value.image)}{among}, the {args[0]} is {self.the_at(value)}"

    def _object_in_region(self, i: int, value: Obj, inputs: list[int], args: list[Any]) -> str:
        region = self.box(value.image, self.values[inputs[1]])
        return f"{self.where(value.image)}the object in the region {region} is {self.the(value)}"

    def _object_at_point(self, i: int, value: Obj, inputs: list[int], args: list[Any]) -> str:
        point = self.point(value.image, self.values[inputs[1]])
        return f"{self.where(value.image)}the point {point} lies on {self.the_at(value)}"

    def _query_name(self, i: int, value: str, inputs: list[int], args: list[Any]) -> str:
        return f"{self.ref(self.values[inputs[0]])} is {counted(1, value)}"

    def _query_attribute(self, i: int, value: str, inputs: list[int], args: list[Any]) -> str:
        return f"the {args[0]} of {self.ref(self.values[inputs[0]])} is {value}"

    def _query_attributes(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        return f"{self.ref(self.values[inputs[0]])} is {', '.join(sorted(value))}"

    def _query_relation(self, i: int, value: str, inputs: list[int], args: list[Any]) -> str:
        a, b = self.values[inputs[0]], self.values[inputs[1]]
        return f"{self.ref(a)} {relation_phrase(value)} {self.ref(b)}"

    def _query_relations(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        a, b = self.values[inputs[0]], self.values[inputs[1]]
        return f"{self.ref(a)} {', '.join(relation_phrase(v) for v in sorted(value))} {self.ref(b)}"

    def _has_relation(self, i: int, value: bool, inputs: list[int], args: list[Any]) -> str:
        a, b = self.values[inputs[0]], self.values[inputs[1]]
        said = f"{self.ref(a)} {relation_phrase(str(args[0]))} {self.ref(b)}"
        return said if value else f"it is not so that {said}"

    def _relative_position(self, i: int, value: str, inputs: list[int], args: list[Any]) -> str:
        a, b = self.values[inputs[0]], self.values[inputs[1]]
        return f"{self.ref(a)} is {_PLACES[value]} {self.ref(b)}"

    def _same_object(self, i: int, value: bool, inputs: list[int], args: list[Any]) -> str:
        return f"that is {'' if value else 'not '}{self.ref(self.values[inputs[1]])}"

    def _point_on(self, i: int, value: Sequence[float], inputs: list[int], args: list[Any]) -> str:
        obj = self.values[inputs[0]]
        said = []
        for k in inputs[1:3]:
            under = object_index_at(self.ctx, obj.image, self.values[k])
            on = "on it" if under == obj.index else "on another object" if under >= 0 else \
                "on no object" if under == BACKGROUND else "where objects overlap"
            said.append(f"the point {self.point(obj.image, self.values[k])} lies {on}")
        return "; ".join(said)

    def _differing_attribute_type(self, i: int, value: str, inputs: list[int], args: list[Any]) -> str:
        a, b = self.values[inputs[0]], self.values[inputs[1]]
        return f"{self.the(a)} and {self.the(b)} differ in {value}"

    def _compare_int(self, i: int, value: bool, inputs: list[int], args: list[Any]) -> str:
        left, right = self.number(inputs[0]), self.number(inputs[1])
        verb = "is" if int(self.values[inputs[0]]) == 1 else "are"
        return f"{left} {verb}{'' if value else ' not'} {_COMPARED[str(args[0])]} {right}"

    def _equal(self, i: int, value: bool, inputs: list[int], args: list[Any]) -> str:
        a, b = self.values[inputs[0]], self.values[inputs[1]]
        if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
            return self._compare_int(i, value, inputs, ["equal"])
        return f"{self._said(a)} and {self._said(b)} are {'the same' if value else 'not the same'}"

    def _same_attribute(self, i: int, value: bool, inputs: list[int], args: list[Any]) -> str:
        return self._equal(i, value, inputs, args)

    def _add_int(self, i: int, value: int, inputs: list[int], args: list[Any]) -> str:
        """Each sum of a running total: "2 + 3 = 5", then "altogether 5 + 1 = six squares"."""
        left, right = (int(self.values[k]) for k in inputs)
        if "add_int" in self.users.get(i, ()):
            return f"{left} + {right} = {int(value)}"
        noun = next((self.sets[self.program[k]["inputs"][0]].noun() for k in self._leaves(i)
                     if self.program[k]["op"] == "count" and not self.sets[self.program[k]["inputs"][0]].bare), None)
        if noun is None:
            return f"altogether {left} + {right} = {int(value)}"
        total = counted(int(value), noun) if value else f"no {counted_plural(noun)}"
        return f"altogether {left} + {right} = {int(value)}: {total}"

    def _leaves(self, i: int) -> list[int]:
        node = self.program[i]
        if node["op"] == "add_int":
            return [leaf for k in node["inputs"] for leaf in self._leaves(int(k))]
        return [i]

    def _names_in(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        objs, words = self.values[inputs[0]], self.sets.get(inputs[0], _Set())
        of = "objects" if words.bare else counted_plural(words.noun()) + words.clause
        return f"{self.where(objs.image)}the kinds of {of} are: {', '.join(sorted(value)) or 'none'}"

    def _names_among(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        objs, words = self.values[inputs[0]], self.sets.get(inputs[0], _Set())
        of = "objects" if words.bare else counted_plural(words.noun()) + words.clause
        # the list is the question's: "In Image 2, the listed kinds of objects present are: cat, kite"
        return f"{self.where(objs.image)}the listed kinds of {of} present are: {', '.join(sorted(value)) or 'none'}"

    def _attribute_values(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        objs, words = self.values[inputs[0]], self.sets.get(inputs[0], _Set())
        of = "objects" if words.bare else counted_plural(words.noun()) + words.clause
        return f"{self.where(objs.image)}the {args[0]} values of the {of} are: {', '.join(sorted(value)) or 'none'}"

    def _set_intersect(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        return f"common to these: {', '.join(sorted(value)) or 'none'}"

    def _set_union(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        return f"together: {', '.join(sorted(value)) or 'none'}"

    def _set_difference(self, i: int, value: Sequence[str], inputs: list[int], args: list[Any]) -> str:
        listed = ", ".join(sorted(value)) or "none"
        first = self.program[inputs[0]]
        if self.multi and first["op"] in ("names_in", "names_among"):  # only_in: one image's names less the others'
            image = self.values[int(first["inputs"][0])].image
            return f"of these, only Image {image + 1} has: {listed}"
        return f"of the first, not in the second: {listed}"

    def _frequent_name(self, i: int, value: str, inputs: list[int], args: list[Any]) -> str:
        objs = self.values[inputs[0]]
        names = Counter(self._scene(objs.image).names[k] for k in objs.idx)
        counts = join_words([counted(n, name) for name, n in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))])
        return f"{self.where(objs.image)}there are {counts}, so the {args[0]} frequent is the {value}"

    def _closer_point(self, i: int, value: Sequence[float], inputs: list[int], args: list[Any]) -> str:
        return f"the point {self.point(0, value)} is the {args[0]} of the two"
