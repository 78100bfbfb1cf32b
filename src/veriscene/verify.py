"""`verify`: re-run every sample's program on its scene graph and compare with the stored answer.

Works on a run folder (its manifest says where the scenes are) or on a samples file with an
explicit scenes file. Nothing is assumed about the samples: each record is validated, its program
type-checked and executed; multiple-choice letters are checked against the options.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from veriscene.errors import ExecutionFailure, ProgramError, SceneValidationError
from veriscene.generators.registry import get_generator
from veriscene.program.context import ExecutionContext
from veriscene.program.executor import execute
from veriscene.sample import OPTION_LETTERS, Sample
from veriscene.scene.jsonl import read_scenes
from veriscene.scene.model import Scene

_COORD_TOLERANCE = 0.01  # pixels: stored boxes are rounded to 2 decimals


@dataclass
class Problem:
    line: int
    sample_id: str | None
    kind: str  # "mismatch", "unreadable", "missing_scene", "program_error", "choice_mismatch"
    stored: Any = None  # the answer in the samples file
    computed: Any = None  # what the program computes on the scene graph
    detail: str = ""


@dataclass
class VerifyReport:
    samples: int = 0
    verified: int = 0
    problems: list[Problem] = field(default_factory=list)
    per_task: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.problems and self.samples > 0

    @property
    def mismatches(self) -> int:
        return sum(p.kind in ("mismatch", "choice_mismatch") for p in self.problems)

    @property
    def unreadable(self) -> int:
        return sum(p.kind not in ("mismatch", "choice_mismatch") for p in self.problems)


def answers_equal(stored: Any, found: Any, answer_type: str) -> bool:
    if answer_type in ("box", "point"):
        return (
            isinstance(stored, list) and len(stored) == len(found)
            and all(isinstance(v, (int, float)) and abs(v - w) <= _COORD_TOLERANCE for v, w in zip(stored, found))
        )
    if answer_type == "float":
        return isinstance(stored, (int, float)) and abs(stored - found) <= 1e-6 * max(1.0, abs(found))
    if answer_type == "str_set":
        return isinstance(stored, list) and sorted(stored) == found
    return type(stored) is type(found) and stored == found


def resolve_inputs(path: str | os.PathLike[str], scenes: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    """(samples file, scenes file) from a run folder or a samples file."""
    path = Path(path)
    if path.is_dir():
        samples = path / "samples.jsonl"
        manifest_path = path / "manifest.json"
        if scenes is None:
            if not manifest_path.exists():
                raise FileNotFoundError(f"{path} has no manifest.json; pass the scenes file explicitly")
            manifest = orjson.loads(manifest_path.read_bytes())
            scenes = path / manifest["scenes"]["path"]
    else:
        samples = path
        if scenes is None:
            manifest_path = path.parent / "manifest.json"
            if not manifest_path.exists():
                raise FileNotFoundError(f"no manifest.json beside {path}; pass the scenes file explicitly")
            scenes = path.parent / orjson.loads(manifest_path.read_bytes())["scenes"]["path"]
    if not samples.exists():
        raise FileNotFoundError(f"samples file {samples} does not exist")
    if not Path(scenes).exists():
        raise FileNotFoundError(f"scenes file {scenes} does not exist")
    return samples, Path(scenes)


class _LazyScenes:
    """image id -> Scene, reading the scene file only as far as needed (samples come in scene order)."""

    def __init__(self, path: Path) -> None:
        self._stream: Iterator[Scene] = read_scenes(path, on_error=lambda e: None)
        self._scenes: dict[str, Scene] = {}
        self._contexts: dict[str, ExecutionContext] = {}

    def context(self, image_id: str) -> ExecutionContext | None:
        while image_id not in self._scenes:
            scene = next(self._stream, None)
            if scene is None:
                return None
            self._scenes[scene.image_id] = scene
        if image_id not in self._contexts:
            self._contexts.clear()  # keep only the current scene's cached indexes
            self._contexts[image_id] = ExecutionContext(self._scenes[image_id])
        return self._contexts[image_id]


def _check_choice(sample: Sample, found: Any, scene: Scene) -> str | None:
    letter = sample.meta.get("answer_letter")
    if not isinstance(letter, str) or letter not in OPTION_LETTERS[: len(sample.choices or [])]:
        return f"answer_letter {letter!r} does not name one of {len(sample.choices or [])} options"
    try:
        gen = get_generator(sample.task)
        config = gen.Config(**sample.meta.get("config", {}))
        expected = gen(config).choice_text(found, scene)
    except (KeyError, TypeError):
        return None  # generator unknown to this version: the answer itself was verified
    chosen = (sample.choices or [])[OPTION_LETTERS.index(letter)]
    return None if chosen == expected else f"option {letter} is {chosen!r} but the answer is {expected!r}"


def verify(
    path: str | os.PathLike[str],
    scenes: str | os.PathLike[str] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Re-execute every sample's program; report mismatches and unreadable records."""
    samples_path, scenes_path = resolve_inputs(path, scenes)
    lookup = _LazyScenes(scenes_path)
    report = VerifyReport()
    with open(samples_path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            report.samples += 1
            if progress is not None:
                progress(1)
            try:
                sample = Sample.from_dict(orjson.loads(line))
            except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
                report.problems.append(Problem(line_no, None, "unreadable", detail=str(exc)[:200]))
                continue
            image_ids = [img.get("id") for img in sample.images] if isinstance(sample.images, list) else []
            if len(image_ids) != 1:
                report.problems.append(Problem(line_no, sample.id, "unreadable", detail="expected exactly one image"))
                continue
            ctx = lookup.context(str(image_ids[0]))
            if ctx is None:
                report.problems.append(Problem(line_no, sample.id, "missing_scene", detail=f"no scene {image_ids[0]!r}"))
                continue
            try:
                found = execute(sample.program, ctx)
            except (ProgramError, ExecutionFailure, SceneValidationError, TypeError) as exc:
                report.problems.append(Problem(line_no, sample.id, "program_error", detail=str(exc)[:200]))
                continue
            if not answers_equal(sample.answer, found, sample.answer_type):
                report.problems.append(Problem(line_no, sample.id, "mismatch", stored=sample.answer, computed=found))
                continue
            if sample.choices is not None:
                detail = _check_choice(sample, found, ctx.scene(0))
                if detail is not None:
                    report.problems.append(Problem(line_no, sample.id, "choice_mismatch", detail=detail))
                    continue
            report.verified += 1
            report.per_task[sample.task] += 1
    return report
