"""Run generators on one scene: execute, reject, balance answers, render questions.

Determinism: each (scene, generator) pair gets its own random generator derived from
(run seed, image id, generator name) with a cryptographic hash, so a scene's samples do not depend
on the worker count, the scene order, which other generators run, or PYTHONHASHSEED.

Answer balancing: candidates are grouped by answer; each pick draws an answer group uniformly
(without replacement while groups remain), then a candidate within it. A yes/no generator that
proposes both kinds therefore answers yes and no equally often, and no count dominates.

Generators whose answers are balanced by construction (`in_order`, e.g. "which image" questions
over a shuffled group) skip the grouping: their candidates are taken from `propose` as needed.

Laziness: a scene has many candidates and a generator emits one or two per mode, so work is
deferred to the candidates picked: programs with an `expected` answer run (and a `build` program
is built) only when picked, and `Deferred` candidates (points drawn on masks) are made only then
(`veriscene.generators.candidate_pool`).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from veriscene.generators.agreement import agree
from veriscene.generators.base import Candidate, GenContext, Generator, GroupContext, MultiImageGenerator, capabilities
from veriscene.generators.candidate_pool import NO, YES, CandidatePool, InOrder
from veriscene.generators.common import shuffled_indices
from veriscene.generators.draws import Draws, pcg64_state
from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.sample import OPTION_LETTERS, Sample, identified
from veriscene.scene.model import RADIOLOGICAL, Scene
from veriscene.text import display_case

if TYPE_CHECKING:
    from veriscene.engine.pool import ScenePool
    from veriscene.generators.mixture import Mixture

MC_INSTRUCTION = "Answer with the option's letter from the given choices."
_OPTION_PREFIXES = [f"{mark}. " for mark in OPTION_LETTERS]  # "A. ", "B. ", ... (options as listed)
# Said after a question about left and right (`Candidate.sides`) on a scene shown as radiologists
# read it (``meta["orientation"] == "radiological"``), where "the left kidney" is on the right;
# on a sagittal slice (``meta["plane"]``) the image's left is the patient's front instead. Said
# after a question about top and bottom (`Candidate.vertical`) on an axial slice, whose top is the
# patient's front: "above" there is not the anatomist's (toward the head).
IMAGE_SIDES_NOTE = "Left and right are as seen in the image, where the patient's right side is on the left."
SAGITTAL_SIDES_NOTE = "Left and right are as seen in the image, where the patient's front (anterior) is on the left."
AXIAL_TOP_NOTE = "Top and bottom are as seen in the image, where the patient's front (anterior) is at the top."


def direction_note(meta: dict[str, Any], sides: bool, vertical: bool) -> str | None:
    """The note said after a question about the image's directions on a scene of `meta` (above),
    None when the directions need none."""
    if meta.get("orientation") != RADIOLOGICAL:
        return None
    plane = meta.get("plane")
    if sides:
        return SAGITTAL_SIDES_NOTE if plane == "sagittal" else IMAGE_SIDES_NOTE
    if vertical and plane == "axial":
        return AXIAL_TOP_NOTE
    return None


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts, stable across processes and Python hash seeds."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def reseed(rng: np.random.Generator, *parts: object) -> np.random.Generator:
    """Put `rng` (PCG64) in a state derived from any parts with a cryptographic hash, stable
    across processes and Python hash seeds. Re-seeding the runner's generators (`Draws`) costs
    about 2 us, through the state dict about 4, making a new Generator per (scene, generator) 8."""
    return reseed_from(rng, repr(parts).encode("utf-8"))


_SEED_HASH = hashlib.blake2b(digest_size=32)  # copied per re-seed (46 per demo scene)


def reseed_from(rng: np.random.Generator, text: bytes) -> np.random.Generator:
    """`reseed(rng, *parts)` given `text`, the UTF-8 of ``repr(parts)`` (the runner puts it
    together from a scene's part and a generator's, each written once)."""
    hasher = _SEED_HASH.copy()  # (1,200 instructions less than a hasher made with its parameters)
    hasher.update(text)
    digest = hasher.digest()
    if isinstance(rng, Draws):
        rng.set_pcg64(digest)  # the same state, written directly
    else:
        rng.bit_generator.state = pcg64_state(digest)
    return rng


def describe_failure(exc: BaseException) -> str:
    """A generator's error in one line: its type, message and where it was raised."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"[:500]


def _image_number(option: str) -> tuple[int, str]:
    digits = "".join(ch for ch in option if ch.isdigit())
    return (int(digits) if digits else 0, option)


class _Settings:
    """What the runner reads of one generator for every scene and sample, worked out once."""

    __slots__ = ("config", "modes", "rng", "seed_end", "multi", "mode_slots", "coordinates", "templates",
                 "template_ids", "name", "family", "version", "answer_type", "box_format", "wrong_options",
                 "choice_text")

    def __init__(self, gen: Generator, modes: Sequence[str]) -> None:
        # the filled config, as written (copied) into each sample's meta
        self.config = asdict(gen.config)
        # its modes in this run (a captioning generator's own where it has none of them)
        self.modes = [m for m in modes if m in gen.modes] or [m for m in gen.modes if m == "caption"]
        # one random generator re-seeded per scene (`Draws`: numpy's Generator, with its small
        # draws made faster; the same values), by the end of ``repr((scene_seed, name))``
        self.rng = Draws(np.random.PCG64(0))
        self.seed_end = f"{gen.name!r})".encode("utf-8")
        # (an isinstance check against an abstract class costs a call of ABCMeta's)
        self.multi = isinstance(gen, MultiImageGenerator)
        # whether it says otherwise in multiple choice (`Generator.mode_slots`)
        self.mode_slots = type(gen).mode_slots is not Generator.mode_slots
        # whether its answers are coordinates (samples say their format and the image size)
        self.coordinates = gen.answer_type in ("box", "point")
        # What every sample of it reads of the generator, read once here: class attributes read
        # through an instance cost a lookup along the class's MRO each time (about a dozen a
        # sample). Its templates by group, and each template's id as written ("default.2").
        self.templates = gen.templates
        self.template_ids = {group: [f"{group}.{t}" for t in range(len(texts))] for group, texts in gen.templates.items()}
        self.name, self.family, self.version, self.answer_type = gen.name, gen.family, gen.version, gen.answer_type
        self.box_format = gen.config.box_format
        self.wrong_options = gen.config.num_choices - 1  # wrong options in multiple choice, at most
        self.choice_text = gen.choice_text  # (a bound method made once)


class SceneRunner:
    """Runs a fixed list of generators; keeps counters of what was skipped or rejected."""

    def __init__(self, generators: Sequence[Generator], vocab: Vocabulary, *, seed: int = 0,
                 modes: Sequence[str] = ("qa", "mc"), pool: "ScenePool | None" = None,
                 image_path: Callable[[Scene], str | None] | None = None,
                 mixture: "Mixture | None" = None, raise_errors: bool = True) -> None:
        self.generators = list(generators)
        # A generator raising on a scene (a bug, often in a user's own generator): raised, or, with
        # raise_errors=False (as the engine runs), its samples of that scene dropped, counted
        # (`failed:<name>`) and described in `failures` (for the last scene run).
        self.raise_errors = raise_errors
        self.failures: list[tuple[str, str]] = []
        self.vocab = vocab
        self.seed = seed
        self.modes = tuple(modes)
        self.pool = pool  # partner images for multi-image generators (skipped without a pool)
        if pool is not None and pool.categories is None:
            # its scenes' lookup tables read the run's closed category lists (`ScenePool.categories`)
            pool.categories = vocab.category_sets
        self.image_path = image_path  # where a scene's image is, as written in samples
        self.mixture = mixture  # per-scene budget split by weights (else each generator's per_scene)
        self.stats: Counter[str] = Counter()
        # what the runner reads of each generator per scene and per sample, worked out once
        self._settings = {g.name: _Settings(g, self.modes) for g in self.generators}
        # Which generators run on a scene, by its `capabilities` and whether the pool is empty:
        # (runnable, skip counters, per_scene plan), at most 2**8 entries. Not kept when a
        # generator checks its requirements its own way (the scene may matter then).
        self._sorted_out: dict[tuple[bool, ...], tuple[list[Generator], list[str], dict[str, int]]] | None = (
            {} if all(type(g).missing_requirements is Generator.missing_requirements for g in self.generators)
            else None)

    def run(self, scene: Scene, image_path: str | None = None) -> list[Sample]:
        # programs take a scene of a closed category list (COCO) to annotate its set's names in
        # full, as the run's vocabulary knows them (`SceneIndex.in_full`)
        exec_ctx = ExecutionContext(scene, categories=self.vocab.category_sets)
        index = exec_ctx.index(0)  # one set of lookup tables for generators and programs
        scene_seed = derive_seed(self.seed, scene.image_id)
        seed_start = f"({scene_seed!r}, ".encode("utf-8")  # of repr((scene_seed, name)), see `_ask`
        anchor_path = image_path if image_path is not None else self._path(scene)  # as written in its samples
        samples: list[Sample] = []
        seen: set[str] = set()
        have = capabilities(scene)
        no_pool = self.pool is None or len(self.pool) == 0
        if self._sorted_out is None:
            runnable, skipped, plan = self._sort_out(scene, have, no_pool)
        else:
            key = (*have.values(), no_pool)
            found = self._sorted_out.get(key)
            if found is None:
                found = self._sorted_out[key] = self._sort_out(scene, have, no_pool)
            runnable, skipped, plan = found
        for counter in skipped:
            self.stats[counter] += 1
        if self.mixture is not None:
            plan = self.mixture.plan(np.random.default_rng(derive_seed(scene_seed, "mixture")), runnable)
        self.failures = []
        for gen in runnable:
            if plan[gen.name] == 0:
                continue
            try:
                made = self._ask(gen, scene, index, exec_ctx, scene_seed, seed_start, plan[gen.name], anchor_path)
            except Exception as exc:  # noqa: BLE001 - any bug of a generator, contained as asked
                if self.raise_errors:
                    raise
                self.stats[f"failed:{gen.name}"] += 1
                self.failures.append((gen.name, describe_failure(exc)))
                continue
            for sample in made:
                if sample.id not in seen:
                    seen.add(sample.id)
                    samples.append(sample)
        return samples

    def _sort_out(self, scene: Scene, have: dict[str, bool],
                  no_pool: bool) -> tuple[list[Generator], list[str], dict[str, int]]:
        """The generators that run on a scene of capabilities `have`, the counters of those
        skipped, and each runnable generator's `per_scene`."""
        runnable: list[Generator] = []
        skipped: list[str] = []
        for gen in self.generators:
            if gen.missing_requirements(scene, have):
                skipped.append(f"skipped_requirements:{gen.name}")
            elif self._settings[gen.name].multi and no_pool:
                skipped.append(f"skipped_no_pool:{gen.name}")
            else:
                runnable.append(gen)
        return runnable, skipped, {gen.name: gen.config.per_scene for gen in runnable}

    def _ask(self, gen: Generator, scene: Scene, index: SceneIndex, exec_ctx: ExecutionContext, scene_seed: int,
             seed_start: bytes, per_mode: int, anchor_path: str | None) -> list[Sample]:
        """One generator's samples of a scene: up to `per_mode` in each of its modes."""
        made: list[Sample] = []
        settings = self._settings[gen.name]
        # reseed(rng, scene_seed, gen.name), from ``repr((scene_seed, gen.name))`` put together
        rng = reseed_from(settings.rng, seed_start + settings.seed_end)
        if settings.multi:
            assert self.pool is not None
            ctx: GenContext = GroupContext(scene, index, exec_ctx, rng, self.vocab, self.pool)
        else:
            ctx = GenContext(scene, index, exec_ctx, rng, self.vocab)
        ctx.counts, ctx.task = self.stats, gen.name  # (what the generator refuses itself: `GenContext.count`)
        if gen.in_order:
            pool: CandidatePool = InOrder(self, gen, ctx, gen.propose(ctx))
        else:
            pool = CandidatePool(self, gen, ctx, list(gen.propose(ctx)))
            if (index.exhaustive is not None or index.sparse) and gen.answer_type == "bool" and not (
                    pool.viable(YES) and pool.viable(NO)):
                # a scene that leaves absences open may allow only "yes": asked alone, the
                # generator's answers would all be yes (`SceneIndex.exhaustive`, `.sparse`)
                self.stats[f"one_sided:{gen.name}"] += 1
                return made
        for mode in settings.modes:
            for cand, answer in pool.pick(per_mode):
                sample = self._render(gen, settings, ctx, cand, answer, mode, scene_seed, anchor_path)
                if sample is not None:
                    made.append(sample)
        if not pool.any_valid:
            self.stats[f"no_candidates:{gen.name}"] += 1
        return made

    def _path(self, scene: Scene) -> str | None:
        return self.image_path(scene) if self.image_path is not None else scene.image

    def _render(self, gen: Generator, settings: _Settings, ctx: GenContext, cand: Candidate, answer: Any,
                mode: str, scene_seed: int, anchor_path: str | None) -> Sample | None:
        """The sample of a picked candidate in `mode` (None, counted, when multiple choice finds no
        wrong option); `anchor_path`: the path written for the context's scene."""
        group = cand.group
        templates = settings.templates[group]
        t = settings.rng.below(len(templates))  # (ctx.rng, the runner's own)
        template = agree(templates[t], cand.plural) if cand.plural else templates[t]
        slots = gen.mode_slots(cand.slots, mode) if settings.mode_slots else cand.slots
        # initialisms in capitals ("Is there a TV?"): slots hold names as annotated ('tv')
        question = display_case(template.format_map(slots))
        question = question[:1].upper() + question[1:]
        scene = ctx.scene
        if cand.sides or cand.vertical:
            note = direction_note(scene.meta, cand.sides, cand.vertical)
            if note is not None:
                question = f"{question} {note}"
        choices = None
        meta: dict[str, Any] = {"mode": mode, "config": dict(settings.config)}
        if settings.coordinates:
            meta["box_format"] = settings.box_format
            meta["image_size"] = [scene.width, scene.height]
        meta.update(cand.meta)
        if mode == "mc":
            options = self._choices(settings, ctx, cand, answer)
            if options is None:
                self.stats[f"no_choices:{settings.name}"] += 1
                return None
            choices, letter = options
            meta["answer_letter"] = letter
            listed = "\n".join([prefix + c for prefix, c in zip(_OPTION_PREFIXES, choices)])
            question = f"{question}\nOptions:\n{listed}\n{MC_INSTRUCTION}"
        template_id = settings.template_ids[group][t]
        if cand.scenes is None:
            ids = [scene.image_id]
            images: list[dict[str, Any]] = [{"id": ids[0], "path": anchor_path}]
            if cand.marks is not None:  # points drawn on the image (`scene.marks`)
                images[0]["marks"] = [dict(mark) for mark in cand.marks]
        else:
            ids = [s.image_id for s in cand.scenes]
            images = [{"id": s.image_id, "path": anchor_path if s is scene else self._path(s)} for s in cand.scenes]
            if cand.marks is not None:  # points drawn on the images, each on its ``image`` (`scene.marks`)
                for mark in cand.marks:
                    images[mark["image"]].setdefault("marks", []).append(
                        {k: v for k, v in mark.items() if k != "image"})
        program = cand.get_program()
        name = settings.name
        sid, program_json = identified(name, ids, program, template_id, question)  # (the JSON: written as it is)
        return Sample.of(
            id=sid,
            task=name,
            family=settings.family,
            images=images,
            question=question,
            answer=answer,
            answer_type=settings.answer_type,
            choices=choices,
            program=program,
            template_id=template_id,
            generator_version=settings.version,
            seed=scene_seed,
            meta=meta,
            program_json=program_json,
        )

    def _choices(self, settings: _Settings, ctx: GenContext, cand: Candidate,
                 answer: Any) -> tuple[list[str], str] | None:
        """Options (up to `num_choices`) and the correct letter. Wrong options are taken in a
        random order of the distractors, skipping texts already taken or equal to the correct
        one, so only the distractors used are formatted."""
        scene, distractors, choice_text = ctx.scene, cand.distractors, settings.choice_text
        correct = choice_text(answer, scene)
        wanted = settings.wrong_options
        chosen: list[str] = []
        for i in shuffled_indices(ctx.rng, len(distractors)):
            text = choice_text(distractors[i], scene)
            if text != correct and text not in chosen:
                chosen.append(text)
                if len(chosen) == wanted:
                    break
        if not chosen:
            return None
        position = settings.rng.below(len(chosen) + 1)  # correct option position: uniform (ctx.rng)
        chosen.insert(position, correct)
        if settings.answer_type == "image_index":
            # "A. Image 1, B. Image 2, ...": read in image order; groups are shuffled, so the
            # correct position stays uniform for a given group size.
            chosen.sort(key=_image_number)
            position = chosen.index(correct)
        elif cand.marks is not None and any(answer == mark["label"] for mark in cand.marks):
            # the answer is a mark's label: "A. point A, B. point B", in label order (the labels
            # follow the order the question lists the points in, asked both ways: the position
            # stays uniform)
            chosen.sort()
            position = chosen.index(correct)
        return chosen, OPTION_LETTERS[position]
