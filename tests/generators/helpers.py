"""Shared helpers for generator tests: run a generator's candidates, build masked scenes."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from veriscene.errors import ExecutionFailure
from veriscene.generators import GenContext, Vocabulary, get_generator
from veriscene.generators.agreement import agree
from veriscene.generators.base import Deferred, one_by_one
from veriscene.program import ExecutionContext, SceneIndex, execute
from veriscene.scene import Scene
from veriscene.scene.masks import encode_mask
from veriscene.text import display_case

VOCAB = Vocabulary(
    names=Counter({"circle": 5, "square": 3, "triangle": 2, "star": 1}),
    attributes=Counter({"red": 3, "blue": 2, "green": 1, "yellow": 1, "small": 3, "large": 3, "shiny": 2, "matte": 2}),
    predicates=Counter({"left of": 2, "right of": 2, "above": 1, "below": 1, "near": 2, "in front of": 1,
                        "behind": 1}),
)


def candidates(scene: Scene, name: str, vocab: Vocabulary = VOCAB, seed: int = 0, **config: Any) -> list[tuple[Any, Any]]:
    """(candidate, answer) for every candidate whose program runs (deferred ones made in turn);
    a candidate's `expected` must equal its program's answer (the runner would drop it
    otherwise: a generator bug)."""
    cls = get_generator(name)
    gen = cls(cls.Config(**config))
    ctx = GenContext(scene, SceneIndex(scene), ExecutionContext(scene), np.random.default_rng(seed), vocab)
    out = []
    for cand in one_by_one(gen.propose(ctx)):
        if isinstance(cand, Deferred):  # made here as if picked
            cand = cand.make()
            if cand is None:
                continue
        try:
            answer = execute(cand.get_program(), ctx.exec_ctx)
        except ExecutionFailure:
            continue
        if cand.expected is not None:
            assert answer == cand.expected, (cand.slots, answer, cand.expected)
        out.append((cand, answer))
    return out


def offered(scene: Scene, name: str, vocab: Vocabulary = VOCAB, seeds: range = range(40),
            keep: Callable[[Any], bool] = lambda cand: True, **config: Any) -> tuple[set[Any], set[Any]]:
    """(answers, wrong options) of the candidates passing `keep`, over draws of `seeds`: the
    values a generator may offer where each question offers few of them (`relation_options`)."""
    answers: set[Any] = set()
    wrong: set[Any] = set()
    for seed in seeds:
        for cand, answer in candidates(scene, name, vocab, seed=seed, **config):
            if keep(cand):
                answers.add(answer)
                wrong.update(cand.distractors)
    return answers, wrong


def qa(scene: Scene, name: str, vocab: Vocabulary = VOCAB, seed: int = 0, template: int = 0,
       **config: Any) -> dict[str, Any]:
    """{question rendered with template `template` of its group: answer} over all candidates."""
    gen = get_generator(name)
    out = {}
    for cand, answer in candidates(scene, name, vocab, seed, **config):
        templates = gen.templates[cand.group]
        # as the runner renders it
        text = display_case(agree(templates[min(template, len(templates) - 1)], cand.plural).format(**cand.slots))
        out[text[:1].upper() + text[1:]] = answer
    return out


def rect_mask(width: int, height: int, boxes: Sequence[Sequence[int]]) -> dict[str, Any]:
    """COCO RLE of the union of integer pixel rectangles [x0, y0, x1, y1) (x1, y1 exclusive)."""
    m = np.zeros((height, width), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        m[y0:y1, x0:x1] = True
    return encode_mask(m)


def right_ratios(samples: Sequence[dict[str, Any]], min_offered: int) -> dict[str, float]:
    """For each option value offered in at least `min_offered` multiple choices: how often it is
    the answer, over how often a guess among the options it is offered with would pick it (1.0:
    its being offered tells nothing; 0: never right where offered)."""
    times: Counter[str] = Counter()
    right: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for s in samples:
        right[s["choices"][ord(s["meta"]["answer_letter"]) - ord("A")]] += 1
        for value in s["choices"]:
            times[value] += 1
            expected[value] += 1 / len(s["choices"])
    return {v: round(right[v] / expected[v], 2) for v in times if times[v] >= min_offered}


def multiple_choices_by_task(scenes: Iterable[Scene], root: Path, tasks: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Task -> its multiple-choice samples, from a run of `tasks` (seed 1, one worker) over
    `scenes`, written under `root`."""
    import veriscene
    from veriscene.engine.runfiles import iter_sample_lines

    veriscene.write_scenes(iter(scenes), root / "scenes.jsonl")
    veriscene.generate(root / "scenes.jsonl", root / "run", seed=1, generators=",".join(tasks), mode="mc", workers=1)
    found: dict[str, list[dict[str, Any]]] = {}
    for line in iter_sample_lines(root / "run"):
        sample = json.loads(line)
        found.setdefault(sample["task"], []).append(sample)
    return found
