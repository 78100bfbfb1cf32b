"""Generator base class and the candidate it proposes.

A generator looks at one scene and proposes candidates: a program, the template slots that phrase
it, and for multiple choice the wrong options. The runner executes each program (the answer is
always what the program computes, never what the generator believes), drops failures, balances
answers and renders the question (see `veriscene.generators.runner`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator, Sequence

import numpy as np

from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.scene.model import Scene

if TYPE_CHECKING:
    from veriscene.engine.pool import ScenePool


@dataclass(frozen=True)
class GeneratorConfig:
    """Default configuration shared by generators; subclasses add fields."""

    per_scene: int = 1  # samples per scene and mode
    num_choices: int = 4  # options in multiple choice (fewer when the scene cannot fill them)
    box_format: str = "norm1"  # coordinates in questions: "norm1" (0-1, 3 decimals), "norm1000", "pixel"


@dataclass
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

    def get_program(self) -> list[dict[str, Any]]:
        if self.program is None:
            if self.build is None:
                raise ValueError("a candidate needs a program or a build function")
            self.program = self.build()
        return self.program


@dataclass
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
    make: Callable[[], "Candidate | None"]


@dataclass
class Batch:
    """Many deferred candidates at once, for generators that propose hundreds per scene (every
    pair of 16 names, ...) and use one or two: candidate i of the batch has the grouping key
    `keys[i]` (as `Deferred.key`) and is made by `make(i)` only if picked. A batch stands for
    `len(keys)` deferred candidates in a row, with the same answer balancing and the same draws,
    without an object per candidate."""

    keys: Sequence[Any]
    make: Callable[[int], "Candidate | None"]

    @classmethod
    def of(cls, keys: Sequence[Any], args: Sequence[tuple[Any, ...]],
           make: Callable[..., "Candidate | None"]) -> "Batch":
        """The batch whose candidate i has key `keys[i]` and is made by `make(*args[i])`."""
        if len(keys) != len(args):
            raise ValueError(f"a batch needs one argument tuple per key ({len(keys)} keys, {len(args)} tuples)")
        return cls(keys, lambda i: make(*args[i]))


def one_by_one(proposed: Iterable["Candidate | Deferred | Batch"]) -> Iterator["Candidate | Deferred"]:
    """A generator's proposals with each batch's candidates as `Deferred` ones (to look at every
    candidate, as tests do; the runner does not make these objects)."""
    for cand in proposed:
        if isinstance(cand, Batch):
            for i, key in enumerate(cand.keys):
                yield Deferred(key, partial(cand.make, i))
        else:
            yield cand


@dataclass
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

    def group_context(self, scenes: Sequence[Scene]) -> ExecutionContext:
        """An execution context over a candidate's own scenes (multi-image groups)."""
        return ExecutionContext(scenes, categories=self.vocab.category_sets)

    def count(self, kind: str, n: int = 1) -> None:
        """Count `n` candidates of `kind` the generator refused for a reason of its own, in the run's
        counts as ``kind:<generator>`` (`SceneRunner.stats`: the summary's generator_stats), as the
        runner counts what it refuses (``rejected_unmade:...``); nothing outside a runner."""
        if self.counts is not None and n:
            self.counts[f"{kind}:{self.task}"] += n


@dataclass
class GroupContext(GenContext):
    """What a multi-image generator sees: the anchor scene (as `scene`) and the partner pool."""

    pool: "ScenePool"

    def index_of(self, scene: Scene) -> SceneIndex:
        """Lookup tables of the anchor or a pooled partner, built once and shared."""
        return self.index if scene is self.scene else self.pool.index(scene)

    def group_context(self, scenes: Sequence[Scene]) -> ExecutionContext:
        """An execution context over a group that reuses the anchor's and partners' lookup tables
        (as `index_of` finds them, for each program run)."""
        anchor, pool = self.scene, self.pool
        return ExecutionContext.of_indexes([self.index if s is anchor else pool.index(s) for s in scenes])


def capabilities(scene: Scene) -> dict[str, bool]:
    """Which generator requirements a scene meets. ``*_in_full``: the scene records that kind in
    full (not in ``meta["sparse"]``), for generators whose every question takes an unannotated
    attribute or relation for absent ("How many red cars?", "What is on the table?")."""
    sparse = scene.meta.get("sparse") or ()
    return {
        "relations": bool(scene.relations),
        "attributes": any(scene.attributes),
        "attributes_in_full": "attributes" not in sparse,
        "relations_in_full": "relations" not in sparse,
        "depth": scene.depth is not None,
        "masks": scene.masks is not None,
        "depth_map": scene.depth_map is not None,  # a dense map's path (read by the generator that asks)
        "objects": len(scene) > 0,
    }


class Generator(ABC):
    # Set by @register:
    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    version: ClassVar[int] = 0
    # Declared by each generator:
    # "relations", "attributes", "depth", "masks", "depth_map", "objects", "attributes_in_full",
    # "relations_in_full"
    requires: ClassVar[tuple[str, ...]] = ()
    modes: ClassVar[tuple[str, ...]] = ("qa", "mc")
    answer_type: ClassVar[str] = ""
    templates: ClassVar[dict[str, Sequence[str]]] = {}
    Config: ClassVar[type[GeneratorConfig]] = GeneratorConfig
    description: ClassVar[str] = ""
    # True when the answers are balanced by construction (e.g. "which image" questions whose
    # group is shuffled, so the answer position is uniform): the runner then takes candidates
    # from `propose` in order, only as many as it needs, instead of collecting them all to
    # balance answers. `propose` must then yield candidates in a random order.
    in_order: ClassVar[bool] = False

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or self.Config()

    def missing_requirements(self, scene: Scene, have: dict[str, bool] | None = None) -> list[str]:
        """Requirements this scene lacks (the scene is then skipped and counted); pass the
        scene's `capabilities` when checking many generators."""
        have = capabilities(scene) if have is None else have
        return [r for r in self.requires if not have.get(r, False)]

    @abstractmethod
    def propose(self, ctx: GenContext) -> Iterable[Candidate | Deferred | Batch]:
        """Candidate questions for this scene (may be empty): candidates, deferred candidates
        made only if picked, or batches of many deferred ones."""

    def mode_slots(self, slots: dict[str, Any], mode: str) -> dict[str, Any]:
        """The slots a question of `mode` ("qa", "mc", ...) is written with: as proposed, unless a
        generator says something otherwise where options follow (`grounding.BoxFormatNote`,
        `OpenAnswerNotes`)."""
        return slots

    def choice_text(self, value: Any, scene: Scene) -> str:
        """How an answer value is written as a multiple-choice option."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


class OpenAnswerNotes:
    """For a generator whose questions say how to answer in slots of `open_notes` (" Name the
    object.", " in a few words"): said in open questions, left out in multiple choice, where
    "Answer with the option's letter" follows and a second instruction would contradict it."""

    open_notes: ClassVar[tuple[str, ...]] = ()  # each generator's own (a class constant)

    def mode_slots(self, slots: dict[str, Any], mode: str) -> dict[str, Any]:
        if mode == "mc":
            return {**slots, **{note: "" for note in self.open_notes if note in slots}}
        return slots


class MultiImageGenerator(Generator):
    """A generator over groups of 2-4 images. `propose` receives a GroupContext: the anchor scene
    and a pool to draw partner scenes from; each candidate sets `scenes` (the group, in question
    order) and a program whose `scene` ops name image indices. A sample is emitted only by its
    anchor; when two anchors of one group ask the very same question, the engine writes it once
    (`veriscene.engine.repeats`)."""

    group_sizes: ClassVar[tuple[int, ...]] = (2, 3, 4)

    @abstractmethod
    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        """Candidate questions over groups that include the anchor scene."""
