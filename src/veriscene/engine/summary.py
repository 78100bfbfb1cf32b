"""Run summaries: counts per generator and family, answer distributions, rejects, timing (and what
a resumed run made now apart from what it kept)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Sequence

import orjson

from veriscene.sample import Sample

# Answer types whose values repeat (a distribution is meaningful); boxes and captions do not.
_DISCRETE = ("bool", "int", "str", "image_index", "str_set")
_TASK, _FAMILY, _META = attrgetter("task"), attrgetter("family"), attrgetter("meta")


@dataclass
class RunSummary:
    out_dir: str = ""  # where the run is: its folder, or its URL (s3://...)
    run_dir: str = ""  # the local folder holding it (for a run at a URL, its staging folder)
    scenes: int = 0
    samples: int = 0
    per_task: Counter[str] = field(default_factory=Counter)
    per_family: Counter[str] = field(default_factory=Counter)
    per_mode: Counter[str] = field(default_factory=Counter)
    answers: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    mc_positions: Counter[str] = field(default_factory=Counter)
    generator_stats: Counter[str] = field(default_factory=Counter)
    rejects: dict[str, Any] = field(default_factory=dict)
    repeats_dropped: int = 0  # multi-image samples another anchor had already written
    # scene records rejected for holding more objects than the run's `max_scene_objects` (among
    # the rejected ones)
    oversized: int = 0
    seconds: float = 0.0  # this call's wall time (a resumed run's: the resume's alone)
    # The run's shards, and those of them kept from an earlier call (a resume; all of them when the
    # run had finished); what the shards run by this call read and made: `scenes - scenes_now` and
    # `samples - samples_now` were kept. A rate is `samples_now / seconds`; `scenes` and `samples`
    # stay the whole run's.
    shards: int = 0
    shards_kept: int = 0
    scenes_now: int = 0
    samples_now: int = 0
    peak_memory_mb: float = 0.0  # this process, or the largest local worker when larger
    # the largest worker's peak as its shards reported it (Ray workers included, which are no
    # children of this process); 0.0 for a run in this process alone or a resumed run's done shards
    worker_peak_memory_mb: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. which input format was detected

    def add(self, sample: Sample) -> None:
        self.add_all((sample,))

    def add_all(self, samples: Sequence[Sample]) -> None:
        """Count samples, in order. A shard counts each scene's samples together, each tally by one
        `Counter.update`, which counts in C (`+= 1` on each counter for each sample cost about
        11.5 k instructions a sample under callgrind, this 7.6 k)."""
        if not samples:
            return
        self.samples += len(samples)
        self.per_task.update(map(_TASK, samples))
        self.per_family.update(map(_FAMILY, samples))
        modes = [str(meta.get("mode", "qa")) for meta in map(_META, samples)]  # `Sample.mode`
        self.per_mode.update(modes)
        mc: list[str] = []
        answered: list[tuple[str, str]] = []
        for sample, mode in zip(samples, modes):
            if mode == "mc":  # keyed by number of options: the correct letter is uniform among that many
                mc.append(f"{len(sample.choices or [])}:{sample.meta.get('answer_letter')}")
            elif sample.answer_type in _DISCRETE:
                answered.append((sample.task, _answer_label(sample.answer, sample.answer_type)))
        if mc:
            self.mc_positions.update(mc)
        for (task, label), n in Counter(answered).items():  # in order of first appearance, as `add` counts
            self.answers[task][label] += n

    def remove(self, sample: Sample) -> None:
        """Undo `add` for a sample dropped after it was counted (a repeat, see `engine.repeats`)."""
        self.samples -= 1
        mode = sample.mode
        counters: list[tuple[Counter[str], str]] = [
            (self.per_task, sample.task), (self.per_family, sample.family), (self.per_mode, mode)]
        if mode == "mc":
            counters.append((self.mc_positions, f"{len(sample.choices or [])}:{sample.meta.get('answer_letter')}"))
        elif sample.answer_type in _DISCRETE:
            counters.append((self.answers[sample.task], _answer_label(sample.answer, sample.answer_type)))
        for counter, key in counters:
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]

    def counts(self) -> dict[str, Any]:
        """The additive part of the summary (what shards report and the driver merges);
        `oversized` only when some scene was (shards and runs without one keep their counts)."""
        counts: dict[str, Any] = {
            "scenes": self.scenes,
            "samples": self.samples,
            "per_task": dict(self.per_task),
            "per_family": dict(self.per_family),
            "per_mode": dict(self.per_mode),
            "answers": {t: dict(c) for t, c in self.answers.items()},
            "mc_positions": dict(self.mc_positions),
            "generator_stats": dict(self.generator_stats),
        }
        if self.oversized:
            counts["oversized"] = self.oversized
        return counts

    def merge_counts(self, counts: dict[str, Any]) -> None:
        self.scenes += counts["scenes"]
        self.samples += counts["samples"]
        self.oversized += counts.get("oversized", 0)
        self.per_task.update(counts["per_task"])
        self.per_family.update(counts["per_family"])
        self.per_mode.update(counts["per_mode"])
        for task, answers in counts["answers"].items():
            self.answers[task].update(answers)
        self.mc_positions.update(counts["mc_positions"])
        self.generator_stats.update(counts["generator_stats"])

    def per_generator(self) -> dict[str, dict[str, int]]:
        """Per generator that ran: `samples`; `skipped` scenes (lacking what it requires, e.g.
        relations, or a partner pool); `no_question` scenes it could ask nothing about; `dropped`
        candidates (their program failed or contradicted the generator, a point could not be
        drawn, no wrong options were left for multiple choice); `failed` scenes on which it raised
        an error (its samples of the scene dropped; listed in rejects.jsonl). From `generator_stats`."""
        rows: dict[str, dict[str, int]] = {}
        for task, n in self.per_task.items():
            rows[task] = {"samples": n, "skipped": 0, "no_question": 0, "dropped": 0, "failed": 0}
        for key, n in self.generator_stats.items():
            kind, _, task = key.partition(":")
            column = _STAT_COLUMNS.get(kind)
            if column is not None and task:
                row = rows.setdefault(task, {"samples": 0, "skipped": 0, "no_question": 0, "dropped": 0, "failed": 0})
                row[column] += n
        return dict(sorted(rows.items()))

    def top_answers(self, task: str, k: int = 3) -> list[tuple[str, float]]:
        counts = self.answers.get(task, Counter())
        total = sum(counts.values()) or 1
        return [(a, n / total) for a, n in _ranked(counts)[:k]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "run_dir": self.run_dir,
            "scenes": self.scenes,
            "samples": self.samples,
            "per_task": dict(sorted(self.per_task.items())),
            "per_family": dict(sorted(self.per_family.items())),
            "per_mode": dict(sorted(self.per_mode.items())),
            "answers": {t: dict(_ranked(c)) for t, c in sorted(self.answers.items())},
            "mc_positions": dict(sorted(self.mc_positions.items())),
            "generator_stats": dict(sorted(self.generator_stats.items())),
            "rejects": self.rejects,
            "repeats_dropped": self.repeats_dropped,
            "oversized": self.oversized,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
            "shards": self.shards,
            "shards_kept": self.shards_kept,
            "scenes_now": self.scenes_now,
            "samples_now": self.samples_now,
            "peak_memory_mb": round(self.peak_memory_mb, 1),
            "worker_peak_memory_mb": round(self.worker_peak_memory_mb, 1),
        }


# generator_stats kinds (see `generators.runner`) -> the `per_generator` column they add to
_STAT_COLUMNS = {
    "skipped_requirements": "skipped", "skipped_no_pool": "skipped", "no_candidates": "no_question",
    "rejected_program": "dropped", "rejected_inconsistent": "dropped", "rejected_unmade": "dropped",
    "no_choices": "dropped", "one_sided": "no_question", "failed": "failed",
}


def _answer_label(answer: Any, answer_type: str) -> str:
    if type(answer) is int:  # most answers (counts): what orjson writes, without calling it
        return f"Image {answer + 1}" if answer_type == "image_index" else str(answer)
    if answer_type == "image_index" and isinstance(answer, int):
        return f"Image {answer + 1}"  # as questions and exports say it (the stored index is 0-based)
    if isinstance(answer, bool):
        return "yes" if answer else "no"
    if isinstance(answer, str):
        return answer
    return orjson.dumps(answer).decode()


def peak_memory_mb(include_children: bool = True) -> float:
    """Peak resident memory in MiB of this process, or of the largest finished child process when
    that is larger (process-pool workers). Linux and macOS; 0.0 elsewhere."""
    try:
        import resource
        import sys
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if include_children:
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return peak / scale


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most common first, ties by answer: shards arrive in any order on several workers, and the
    summary must not change with it (`Counter.most_common` keeps the order of arrival for ties)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
