"""Run summaries: counts per generator and family, answer distributions, rejects, timing."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from veriscene.sample import Sample

# Answer types whose values repeat (a distribution is meaningful); boxes and captions do not.
_DISCRETE = ("bool", "int", "str", "image_index", "str_set")


@dataclass
class RunSummary:
    out_dir: str = ""
    scenes: int = 0
    samples: int = 0
    per_task: Counter[str] = field(default_factory=Counter)
    per_family: Counter[str] = field(default_factory=Counter)
    per_mode: Counter[str] = field(default_factory=Counter)
    answers: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    mc_positions: Counter[str] = field(default_factory=Counter)
    generator_stats: Counter[str] = field(default_factory=Counter)
    rejects: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    peak_memory_mb: float = 0.0

    def add(self, sample: Sample) -> None:
        self.samples += 1
        self.per_task[sample.task] += 1
        self.per_family[sample.family] += 1
        mode = sample.mode
        self.per_mode[mode] += 1
        if mode == "mc":
            self.mc_positions[str(sample.meta.get("answer_letter"))] += 1
        elif sample.answer_type in _DISCRETE:
            self.answers[sample.task][_answer_label(sample.answer)] += 1

    def top_answers(self, task: str, k: int = 3) -> list[tuple[str, float]]:
        counts = self.answers.get(task, Counter())
        total = sum(counts.values()) or 1
        return [(a, n / total) for a, n in counts.most_common(k)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "scenes": self.scenes,
            "samples": self.samples,
            "per_task": dict(sorted(self.per_task.items())),
            "per_family": dict(sorted(self.per_family.items())),
            "per_mode": dict(sorted(self.per_mode.items())),
            "answers": {t: dict(c.most_common()) for t, c in sorted(self.answers.items())},
            "mc_positions": dict(sorted(self.mc_positions.items())),
            "generator_stats": dict(sorted(self.generator_stats.items())),
            "rejects": self.rejects,
            "seconds": round(self.seconds, 3),
            "peak_memory_mb": round(self.peak_memory_mb, 1),
        }


def _answer_label(answer: Any) -> str:
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, str):
        return answer
    return orjson.dumps(answer).decode()


def peak_memory_mb() -> float:
    """Peak resident memory of this process in MiB (Linux/macOS)."""
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
    except (ImportError, OSError):  # pragma: no cover - Windows
        return 0.0
