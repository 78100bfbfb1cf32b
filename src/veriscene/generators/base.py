"""Generator base class and the candidate it proposes.

The candidates and the context (`Candidate`, `Deferred`, `Batch`, `GenContext`, `one_by_one`) are
defined in `veriscene.generators.candidates`, which the compiled build compiles (the generator
classes here are subclassed two at once by compiled generators, which a compiled class cannot
be), and imported from here by generators and plugins; `GroupContext` is defined here (see
`veriscene.generators.candidates`).

A generator looks at one scene and proposes candidates: a program, the template slots that phrase
it, and for multiple choice the wrong options. The runner executes each program (the answer is
always what the program computes, never what the generator believes), drops failures, balances
answers and renders the question (see `veriscene.generators.runner`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Sequence

from veriscene.generators.candidates import Batch as Batch
from veriscene.generators.candidates import Candidate as Candidate
from veriscene.generators.candidates import Deferred as Deferred
from veriscene.generators.candidates import GenContext as GenContext
from veriscene.generators.candidates import one_by_one as one_by_one
from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.scene.model import Scene

if TYPE_CHECKING:
    import numpy as np

    from veriscene.engine.pool import ScenePool


@dataclass(frozen=True)
class GeneratorConfig:
    """Default configuration shared by generators; subclasses add fields."""

    per_scene: int = 1  # samples per scene and mode
    num_choices: int = 4  # options in multiple choice (fewer when the scene cannot fill them)
    box_format: str = "norm1"  # coordinates in questions: "norm1" (0-1, 3 decimals), "norm1000", "pixel"


@dataclass(init=False)
class GroupContext(GenContext):
    """What a multi-image generator sees: the anchor scene (as `scene`) and the partner pool."""

    pool: ScenePool

    def __init__(self, scene: Scene, index: SceneIndex, exec_ctx: ExecutionContext, rng: np.random.Generator,
                 vocab: Vocabulary, pool: ScenePool) -> None:
        super().__init__(scene, index, exec_ctx, rng, vocab)
        self.pool = pool

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
