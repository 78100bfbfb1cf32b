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
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import orjson

from veriscene.errors import ExecutionFailure
from veriscene.generators.base import Candidate, GenContext, Generator, GroupContext, MultiImageGenerator
from veriscene.generators.vocabulary import Vocabulary
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.program.executor import execute
from veriscene.sample import OPTION_LETTERS, Sample, sample_id
from veriscene.scene.model import Scene

if TYPE_CHECKING:
    from veriscene.engine.pool import ScenePool
    from veriscene.generators.mixture import Mixture

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


_PENDING = object()  # answer not computed yet (or the program failed)


class _CandidatePool:
    """A generator's candidates on one scene, grouped by answer, executed lazily.

    A candidate that states its `expected` answer is grouped by it and its program is executed
    only when picked (the program's result must equal `expected`, else the candidate is dropped
    and counted); other candidates are executed up front to learn their answer. Each pick draws an
    answer group uniformly among those not used yet, then a candidate within it.
    """

    def __init__(self, runner: "SceneRunner", gen: Generator, ctx: GenContext, candidates: list[Candidate]) -> None:
        self.runner, self.gen, self.ctx = runner, gen, ctx
        self.candidates = candidates
        self.answers: list[Any] = []
        self.groups: dict[bytes, list[int]] = {}
        self.any_valid = False
        for i, cand in enumerate(candidates):
            answer: Any = _PENDING
            if cand.expected is not None:
                key = _key(cand.expected)
            else:
                answer = self._run(cand)
                if answer is _PENDING:
                    self.answers.append(answer)
                    continue
                key = _key(answer)
                self.any_valid = True
            self.answers.append(answer)
            self.groups.setdefault(key, []).append(i)

    def _run(self, cand: Candidate) -> Any:
        """The program's answer, or _PENDING when it fails or contradicts `expected` (counted)."""
        try:
            exec_ctx = self.ctx.exec_ctx if cand.scenes is None else ExecutionContext(cand.scenes)
            answer = execute(cand.get_program(), exec_ctx, check=False)
        except ExecutionFailure:
            self.runner.stats[f"rejected_program:{self.gen.name}"] += 1
            return _PENDING
        if cand.expected is not None and _key(answer) != _key(cand.expected):
            # The generator's wording assumed another answer: never emit such a question.
            self.runner.stats[f"rejected_inconsistent:{self.gen.name}"] += 1
            return _PENDING
        return answer

    def pick(self, k: int) -> list[tuple[Candidate, Any]]:
        """Up to k (candidate, answer) pairs with distinct answers, answer groups drawn uniformly."""
        rng = self.ctx.rng
        keys = sorted(self.groups)
        picked: list[tuple[Candidate, Any]] = []
        while len(picked) < k and keys:
            slot = int(rng.integers(len(keys)))
            members = self.groups[keys[slot]]
            j = int(rng.integers(len(members)))
            i = members[j]
            if self.answers[i] is _PENDING:
                self.answers[i] = self._run(self.candidates[i])
                if self.answers[i] is _PENDING:  # failed: drop it and draw again
                    members.pop(j)
                    if not members:
                        del self.groups[keys.pop(slot)]
                    continue
                self.any_valid = True
            keys.pop(slot)
            picked.append((self.candidates[i], self.answers[i]))
        return picked


class SceneRunner:
    """Runs a fixed list of generators; keeps counters of what was skipped or rejected."""

    def __init__(self, generators: Sequence[Generator], vocab: Vocabulary, *, seed: int = 0,
                 modes: Sequence[str] = ("qa", "mc"), pool: "ScenePool | None" = None,
                 image_path: Callable[[Scene], str | None] | None = None,
                 mixture: "Mixture | None" = None) -> None:
        self.generators = list(generators)
        self.vocab = vocab
        self.seed = seed
        self.modes = tuple(modes)
        self.pool = pool  # partner images for multi-image generators (skipped without a pool)
        self.image_path = image_path  # where a scene's image is, as written in samples
        self.mixture = mixture  # per-scene budget split by weights (else each generator's per_scene)
        self.stats: Counter[str] = Counter()
        self._configs: dict[str, dict[str, Any]] = {}

    def run(self, scene: Scene, image_path: str | None = None) -> list[Sample]:
        index = SceneIndex(scene)
        exec_ctx = ExecutionContext(scene)
        scene_seed = derive_seed(self.seed, scene.image_id)
        samples: list[Sample] = []
        seen: set[str] = set()
        runnable = []
        for gen in self.generators:
            if gen.missing_requirements(scene):
                self.stats[f"skipped_requirements:{gen.name}"] += 1
            elif isinstance(gen, MultiImageGenerator) and (self.pool is None or len(self.pool) == 0):
                self.stats[f"skipped_no_pool:{gen.name}"] += 1
            else:
                runnable.append(gen)
        if self.mixture is not None:
            plan = self.mixture.plan(np.random.default_rng(derive_seed(scene_seed, "mixture")), runnable)
        else:
            plan = {gen.name: gen.config.per_scene for gen in runnable}
        for gen in runnable:
            if plan[gen.name] == 0:
                continue
            rng = np.random.default_rng(derive_seed(scene_seed, gen.name))
            if isinstance(gen, MultiImageGenerator):
                assert self.pool is not None
                ctx: GenContext = GroupContext(scene, index, exec_ctx, rng, self.vocab, self.pool)
            else:
                ctx = GenContext(scene, index, exec_ctx, rng, self.vocab)
            pool = _CandidatePool(self, gen, ctx, list(gen.propose(ctx)))
            modes = [m for m in self.modes if m in gen.modes] or [m for m in gen.modes if m == "caption"]
            for mode in modes:
                for cand, answer in pool.pick(plan[gen.name]):
                    sample = self._render(gen, ctx, cand, answer, mode, scene_seed, image_path)
                    if sample is not None and sample.id not in seen:
                        seen.add(sample.id)
                        samples.append(sample)
            if not pool.any_valid:
                self.stats[f"no_candidates:{gen.name}"] += 1
        return samples

    def _path(self, scene: Scene) -> str | None:
        return self.image_path(scene) if self.image_path is not None else scene.image

    def _config_dict(self, gen: Generator) -> dict[str, Any]:
        cached = self._configs.get(gen.name)
        if cached is None:
            cached = self._configs[gen.name] = asdict(gen.config)
        return dict(cached)

    def _render(self, gen: Generator, ctx: GenContext, cand: Candidate, answer: Any, mode: str,
                scene_seed: int, image_path: str | None) -> Sample | None:
        templates = gen.templates[cand.group]
        t = int(ctx.rng.integers(len(templates)))
        question = templates[t].format(**cand.slots)
        question = question[:1].upper() + question[1:]
        choices = None
        meta: dict[str, Any] = {"mode": mode, "config": self._config_dict(gen)}
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
        images = [{"id": ctx.scene.image_id, "path": image_path if image_path is not None else self._path(ctx.scene)}]
        if cand.scenes is not None:
            images = [
                {"id": s.image_id, "path": image_path if s is ctx.scene and image_path is not None else self._path(s)}
                for s in cand.scenes
            ]
        return Sample(
            id=sample_id(gen.name, [img["id"] for img in images], cand.get_program(), template_id, question),
            task=gen.name,
            family=gen.family,
            images=images,
            question=question,
            answer=answer,
            answer_type=gen.answer_type,
            choices=choices,
            program=cand.get_program(),
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
