"""The candidates a generator proposes and the contexts it sees of a scene (`Candidate`,
`Deferred`, `Batch`, `GenContext`, `one_by_one`), imported by generators and plugins from
`veriscene.generators.base`, which re-exports them. `GroupContext` (a `GenContext` with the partner
pool) stays in base.py: compiled here, its `pool` field's class (`ScenePool`, of a module that
imports this one through `veriscene.generators`) would be read when this module is initialised,
before that class exists (a segmentation fault at import).

They are made and read for every candidate of every scene, and are kept here, apart from the
generator base classes, so that the compiled build compiles them (`veriscene.compiled`) as
native classes: compiled code reads and writes their fields directly, and makes them with their
compiled `__init__` (written out: the one `dataclass` writes is Python code, run interpreted).
They stay dataclasses (`dataclasses.replace`, `fields`, `==` and `repr` as before). Compiled, a
field checks the type of the value it is given, as declared: `plural` a tuple, `program` and
`marks` a list or None, `slots` and `meta` dicts, `task` a string (pure Python takes anything).
Generators and plugins may subclass them (`allow_interpreted_subclasses`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.scene.model import Scene


@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(init=False)
class Candidate:
    """A proposed question. Give `program` directly, or `program=None` and a `build` function that
    makes it: with `expected` set too, the program is then built only if the candidate is picked,
    which keeps generators with many candidates cheap (see also `Deferred`, which defers the
    whole candidate)."""

    program: list[dict[str, Any]] | None
    slots: dict[str, str]
    group: str = "default"  # which template group phrases it
    distractors: Sequence[Any] = ()  # wrong answers (JSON form) for multiple choice
    expected: Any = None  # what the generator meant the answer to be (checked against the program)
    meta: dict[str, Any] = field(default_factory=dict)
    build: Callable[[], list[dict[str, Any]]] | None = None
    # Multi-image candidates: the images the program's `scene` indices refer to, in question
    # order ("Image 1" is scenes[0]). None means the single scene of the context.
    scenes: tuple[Scene, ...] | None = None
    # Whether the question speaks of the image's left and right ("leftmost", "to the left of"):
    # on a scene shown as radiologists read it (``meta["orientation"]``), it then says so.
    sides: bool = False
    # Whether it speaks of the image's top and bottom ("above", "topmost"): on an axial slice
    # (``meta["plane"]``), where the top is the patient's front, it then says so.
    vertical: bool = False
    # Slots whose phrase takes a plural verb ("the jeans"): templates are written for singular
    # ones, and the verbs beside these slots are made plural when rendered (`text.agree`).
    plural: tuple[str, ...] = ()
    # Points drawn on image 0 as labelled marks (`veriscene.scene.marks`: [{"label": "A",
    # "point": [x, y]}, ...], pixels, the program's `marked_point` nodes): written to the sample's
    # images[0]["marks"]; its multiple-choice options are then listed in label order. On a
    # multi-image candidate each mark also names its image ({"image": k, ...}: written to
    # images[k]["marks"] without it; `image_marked_point` nodes).
    marks: list[dict[str, Any]] | None = None

    def __init__(self, program: list[dict[str, Any]] | None, slots: dict[str, str], group: str = "default",
                 distractors: Sequence[Any] = (), expected: Any = None, meta: dict[str, Any] | None = None,
                 build: Callable[[], list[dict[str, Any]]] | None = None, scenes: tuple[Scene, ...] | None = None,
                 sides: bool = False, vertical: bool = False, plural: tuple[str, ...] = (),
                 marks: list[dict[str, Any]] | None = None) -> None:
        # (written out, not made by `dataclass`: compiled, the one `dataclass` makes is Python code)
        self.program = program
        self.slots = slots
        self.group = group
        self.distractors = distractors
        self.expected = expected
        self.meta = {} if meta is None else meta
        self.build = build
        self.scenes = scenes
        self.sides = sides
        self.vertical = vertical
        self.plural = plural
        self.marks = marks

    def get_program(self) -> list[dict[str, Any]]:
        if self.program is None:
            if self.build is None:
                raise ValueError("a candidate needs a program or a build function")
            self.program = self.build()
        return self.program


@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(init=False)
class Deferred:
    """A candidate made only if it is picked, for candidates that are expensive to make (points
    sampled on masks) when a scene has many and one or two are used.

    `key` groups it for answer balancing and must be known up front (JSON form): its expected
    answer when that is known (it then shares a group with candidates of the same answer), else
    a value that stands for the answer (e.g. ``["on object", 3]`` for a point still to be drawn
    on object 3); deferred candidates with equal keys form one group. `make` may draw from the
    context's rng and returns the Candidate (with `expected`, checked against its program like
    any other), or None when it cannot be made after all (counted as `rejected_unmade`).
    """

    key: Any
    make: Callable[[], Candidate | None]

    def __init__(self, key: Any, make: Callable[[], Candidate | None]) -> None:
        self.key = key
        self.make = make


@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(init=False)
class Batch:
    """Many deferred candidates at once, for generators that propose hundreds per scene (every
    pair of 16 names, ...) and use one or two: candidate i of the batch has the grouping key
    `keys[i]` (as `Deferred.key`) and is made by `make(i)` only if picked. A batch stands for
    `len(keys)` deferred candidates in a row, with the same answer balancing and the same draws,
    without an object per candidate."""

    keys: Sequence[Any]
    make: Callable[[int], Candidate | None]

    def __init__(self, keys: Sequence[Any], make: Callable[[int], Candidate | None]) -> None:
        self.keys = keys
        self.make = make

    @classmethod
    def of(cls, keys: Sequence[Any], args: Sequence[tuple[Any, ...]],
           make: Callable[..., Candidate | None]) -> Batch:
        """The batch whose candidate i has key `keys[i]` and is made by `make(*args[i])`."""
        if len(keys) != len(args):
            raise ValueError(f"a batch needs one argument tuple per key ({len(keys)} keys, {len(args)} tuples)")
        return cls(keys, lambda i: make(*args[i]))


def one_by_one(proposed: Iterable[Candidate | Deferred | Batch]) -> Iterator[Candidate | Deferred]:
    """A generator's proposals with each batch's candidates as `Deferred` ones (to look at every
    candidate, as tests do; the runner does not make these objects)."""
    for cand in proposed:
        if isinstance(cand, Batch):
            for i, key in enumerate(cand.keys):
                yield Deferred(key, partial(cand.make, i))
        else:
            yield cand


@mypyc_attr(allow_interpreted_subclasses=True)
@dataclass(init=False)
class GenContext:
    """What a generator sees of one scene."""

    scene: Scene
    index: SceneIndex
    exec_ctx: ExecutionContext
    # the (scene, generator) pair's random generator; the runner's is a `draws.Draws` (numpy's
    # Generator with faster single draws: `integers(n)` returns a Python int, same values)
    rng: np.random.Generator
    vocab: Vocabulary
    # the run's counts and the generator's name, set by the runner (`count`)
    counts: Counter[str] | None = field(default=None, init=False, repr=False, compare=False)
    task: str = field(default="", init=False, repr=False, compare=False)

    def __init__(self, scene: Scene, index: SceneIndex, exec_ctx: ExecutionContext, rng: np.random.Generator,
                 vocab: Vocabulary) -> None:
        self.scene = scene
        self.index = index
        self.exec_ctx = exec_ctx
        self.rng = rng
        self.vocab = vocab
        self.counts = None
        self.task = ""

    def group_context(self, scenes: Sequence[Scene]) -> ExecutionContext:
        """An execution context over a candidate's own scenes (multi-image groups)."""
        return ExecutionContext(scenes, categories=self.vocab.category_sets)

    def count(self, kind: str, n: int = 1) -> None:
        """Count `n` candidates of `kind` the generator refused for a reason of its own, in the run's
        counts as ``kind:<generator>`` (`SceneRunner.stats`: the summary's generator_stats), as the
        runner counts what it refuses (``rejected_unmade:...``); nothing outside a runner."""
        if self.counts is not None and n:
            self.counts[f"{kind}:{self.task}"] += n
