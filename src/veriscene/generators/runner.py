"""Run generators on one scene: execute, reject, balance answers, render questions.

Determinism: each (scene, generator) pair gets its own random generator derived from
(run seed, image id, generator name) with a cryptographic hash, so a scene's samples do not depend
on the worker count, the scene order, which other generators run, or PYTHONHASHSEED.

Answer balancing: candidates are grouped by answer; each pick draws an answer group uniformly
(without replacement while groups remain), then a candidate within it. A yes/no generator that
proposes both kinds therefore answers yes and no equally often, and no count dominates.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict
from typing import Any, Sequence

import numpy as np
import orjson

from veriscene.errors import ExecutionFailure
from veriscene.generators.base import Candidate, GenContext, Generator
from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.program.executor import execute
from veriscene.sample import OPTION_LETTERS, Sample, sample_id
from veriscene.scene.model import Scene

MC_INSTRUCTION = "Answer with the option's letter from the given choices."


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts, stable across processes and Python hash seeds."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def _key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def balanced_pick(candidates: list[Candidate], answers: list[Any], k: int, rng: np.random.Generator) -> list[int]:
    """Indices of up to k candidates, drawing answer groups uniformly without replacement."""
    groups: dict[bytes, list[int]] = {}
    for i, answer in enumerate(answers):
        groups.setdefault(_key(answer), []).append(i)
    keys = sorted(groups)
    picked: list[int] = []
    while len(picked) < k and keys:
        key = keys.pop(int(rng.integers(len(keys))))
        members = groups[key]
        picked.append(members[int(rng.integers(len(members)))])
    return picked


class SceneRunner:
    """Runs a fixed list of generators; keeps counters of what was skipped or rejected."""

    def __init__(self, generators: Sequence[Generator], vocab: Vocabulary, *, seed: int = 0,
                 modes: Sequence[str] = ("qa", "mc")) -> None:
        self.generators = list(generators)
        self.vocab = vocab
        self.seed = seed
        self.modes = tuple(modes)
        self.stats: Counter[str] = Counter()

    def run(self, scene: Scene, image_path: str | None = None) -> list[Sample]:
        index = SceneIndex(scene)
        exec_ctx = ExecutionContext(scene)
        scene_seed = derive_seed(self.seed, scene.image_id)
        samples: list[Sample] = []
        seen: set[str] = set()
        for gen in self.generators:
            if gen.missing_requirements(scene):
                self.stats[f"skipped_requirements:{gen.name}"] += 1
                continue
            rng = np.random.default_rng(derive_seed(scene_seed, gen.name))
            ctx = GenContext(scene, index, exec_ctx, rng, self.vocab)
            candidates, answers = self._execute(gen, ctx)
            modes = [m for m in self.modes if m in gen.modes] or [m for m in gen.modes if m == "caption"]
            for mode in modes:
                for i in balanced_pick(candidates, answers, gen.config.per_scene, rng):
                    sample = self._render(gen, ctx, candidates[i], answers[i], mode, scene_seed, image_path)
                    if sample is not None and sample.id not in seen:
                        seen.add(sample.id)
                        samples.append(sample)
        return samples

    def _execute(self, gen: Generator, ctx: GenContext) -> tuple[list[Candidate], list[Any]]:
        kept: list[Candidate] = []
        answers: list[Any] = []
        for cand in gen.propose(ctx):
            try:
                answer = execute(cand.program, ctx.exec_ctx)
            except ExecutionFailure:
                self.stats[f"rejected_program:{gen.name}"] += 1
                continue
            if cand.expected is not None and _key(answer) != _key(cand.expected):
                # The generator's wording assumed another answer: never emit such a question.
                self.stats[f"rejected_inconsistent:{gen.name}"] += 1
                continue
            kept.append(cand)
            answers.append(answer)
        if not kept:
            self.stats[f"no_candidates:{gen.name}"] += 1
        return kept, answers

    def _render(self, gen: Generator, ctx: GenContext, cand: Candidate, answer: Any, mode: str,
                scene_seed: int, image_path: str | None) -> Sample | None:
        templates = gen.templates[cand.group]
        t = int(ctx.rng.integers(len(templates)))
        question = templates[t].format(**cand.slots)
        question = question[:1].upper() + question[1:]
        choices = None
        meta: dict[str, Any] = {"mode": mode, "config": asdict(gen.config)}
        if gen.answer_type in ("box", "point"):
            meta["box_format"] = gen.config.box_format
            meta["image_size"] = [ctx.scene.width, ctx.scene.height]
        meta.update(cand.meta)
        if mode == "mc":
            options = self._choices(gen, ctx, cand, answer)
            if options is None:
                self.stats[f"no_choices:{gen.name}"] += 1
                return None
            choices, letter = options
            meta["answer_letter"] = letter
            listed = "\n".join(f"{OPTION_LETTERS[i]}. {c}" for i, c in enumerate(choices))
            question = f"{question}\nOptions:\n{listed}\n{MC_INSTRUCTION}"
        template_id = f"{cand.group}.{t}"
        images = [{"id": ctx.scene.image_id, "path": image_path if image_path is not None else ctx.scene.image}]
        return Sample(
            id=sample_id(gen.name, [ctx.scene.image_id], cand.program, template_id, question),
            task=gen.name,
            family=gen.family,
            images=images,
            question=question,
            answer=answer,
            answer_type=gen.answer_type,
            choices=choices,
            program=cand.program,
            template_id=template_id,
            generator_version=gen.version,
            seed=scene_seed,
            meta=meta,
        )

    def _choices(self, gen: Generator, ctx: GenContext, cand: Candidate, answer: Any) -> tuple[list[str], str] | None:
        correct = gen.choice_text(answer, ctx.scene)
        wrong: list[str] = []
        for d in cand.distractors:
            text = gen.choice_text(d, ctx.scene)
            if text != correct and text not in wrong:
                wrong.append(text)
        if not wrong:
            return None
        n_wrong = min(len(wrong), gen.config.num_choices - 1)
        chosen = [wrong[i] for i in sorted(ctx.rng.choice(len(wrong), size=n_wrong, replace=False))]
        chosen = [chosen[i] for i in ctx.rng.permutation(n_wrong)]
        position = int(ctx.rng.integers(n_wrong + 1))  # correct option position: uniform
        chosen.insert(position, correct)
        return chosen, OPTION_LETTERS[position]
