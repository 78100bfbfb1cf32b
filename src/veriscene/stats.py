"""Statistics of a generation run: what a data set holds, streamed over `samples.jsonl`.

`stats(run_dir)` reads one sample at a time (memory grows with the number of distinct tasks,
answers and words, not with the number of samples) and reports:

- counts per task, family and mode;
- per task, the answer distribution of categorical answers (bool, int, str, str_set): the top
  answers, the share of the most common one and the entropy in bits (0 = one answer only);
- question length in words (question stem, without multiple-choice options): percentiles;
- vocabulary: distinct lower-cased words of the question stems;
- yes/no balance of bool answers, overall and per task;
- multiple-choice balance: the correct option's letter, per number of options, and the largest
  deviation of a letter's share from uniform (in percentage points);
- per task, how much the question text alone tells of the answer: the share of question-answer
  samples whose answer is the most common one among the *other* samples with the same question
  text (`text_only`; the task's most common answer when no other sample has that text), beside
  the share a constant guess of that answer gets (`majority`). A task whose `text_only` is
  well above `majority` can be answered without the image ("Is there a person?" nearly always
  yes). Exact repeats only: a lower bound on what a model could learn from the text. Each task
  keeps at most `MAX_QUESTIONS` distinct question texts (memory stays bounded): those of the
  smallest hashes (a bottom-k sample, `veriscene.stats_bottomk`, the same whatever order the
  samples come in, so partial reports merge exactly), as their hashes and answer counts, not
  their text (nothing prints it); samples of the other texts are left out (`text_only_samples`
  says how many are in it);
- per task, how much the offered options alone tell of a multiple-choice answer: the share a guess
  from the option texts only gets right, cross-fitted, beside chance, and the options right far
  more often than chance when offered (`veriscene.stats_options`, bounded alike).

`stats(run, workers=N)` reads on N local processes, each a part of the samples file (32 MiB) or a
shard file, and merges their reports in order: the same report as one process.

`write_chart(report, path)` draws the same in one PNG (matplotlib, imported lazily, Agg backend).
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import orjson

from veriscene.engine.options import check_callback, check_int, check_path
from veriscene.engine.runfiles import Part, part_lines, reported, sample_parts
from veriscene.engine.fetch import readable
from veriscene.stats_bottomk import CountsByKey
from veriscene.stats_options import OptionGuess

CATEGORICAL = ("bool", "int", "str", "str_set", "image_index")  # answers that repeat: distributions
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
TOP_ANSWERS = 5
MAX_QUESTIONS = 20_000  # distinct question texts kept per task for the text-only guess
PART_BYTES = 32 << 20  # of a JSONL file a process reads at a time, when several do


def _answer_key(answer: Any, answer_type: str) -> str:
    if answer_type == "bool":
        return "yes" if answer else "no"
    if answer_type == "str_set":
        return ", ".join(sorted(str(a) for a in answer))
    if answer_type == "image_index" and isinstance(answer, int) and not isinstance(answer, bool):
        return f"Image {answer + 1}"  # as questions and exports say it (the stored index is 0-based)
    return str(answer)


def entropy_bits(counts: Counter[str]) -> float:
    """Shannon entropy of the counts in bits; 0.0 (never -0.0, which printed as '-0.00') for one answer."""
    total = sum(counts.values())
    return 0.0 - sum(c / total * math.log2(c / total) for c in counts.values() if c) if total else 0.0


def percentile(histogram: Counter[int], q: float) -> float:
    """The q-th percentile (0-100, nearest rank) of values given as value -> count."""
    total = sum(histogram.values())
    if not total:
        return 0.0
    rank = max(1, math.ceil(q / 100 * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return float(value)
    return float(max(histogram))


@dataclass
class StatsReport:
    samples: int = 0
    unreadable: int = 0
    first_unreadable: str = ""  # "FILE, line N: reason" of the first unreadable line (not in `to_dict`)
    per_task: Counter[str] = field(default_factory=Counter)
    per_family: Counter[str] = field(default_factory=Counter)
    per_mode: Counter[str] = field(default_factory=Counter)
    task_family: dict[str, str] = field(default_factory=dict)
    answers: dict[str, Counter[str]] = field(default_factory=dict)  # task -> categorical answers
    question_words: Counter[int] = field(default_factory=Counter)  # length in words -> samples
    vocabulary: set[str] = field(default_factory=set)
    yes_no: dict[str, Counter[str]] = field(default_factory=dict)  # task -> {"yes": n, "no": m}
    letters: dict[int, Counter[str]] = field(default_factory=dict)  # number of options -> letters
    # task -> question text -> categorical answers, question-answer samples only (`text_only`)
    by_question: dict[str, CountsByKey] = field(default_factory=dict)
    options: OptionGuess = field(default_factory=OptionGuess)  # multiple choice: the options-alone guess

    def add(self, record: dict[str, Any]) -> None:
        task, family = str(record["task"]), str(record["family"])
        mode = str((record.get("meta") or {}).get("mode", "qa"))
        self.samples += 1
        self.per_task[task] += 1
        self.per_family[family] += 1
        self.per_mode[mode] += 1
        self.task_family[task] = family
        answer_type = record["answer_type"]
        if answer_type in CATEGORICAL:
            key = _answer_key(record["answer"], answer_type)
            self.answers.setdefault(task, Counter())[key] += 1
            if answer_type == "bool":
                self.yes_no.setdefault(task, Counter())[key] += 1
        stem = str(record["question"]).split("\nOptions:", 1)[0]
        if answer_type in CATEGORICAL and mode == "qa":
            texts = self.by_question.get(task)
            if texts is None:
                texts = self.by_question[task] = CountsByKey(MAX_QUESTIONS)
            found = texts.counts(stem)
            if found is not None:
                found[key] += 1
        words = _WORD.findall(stem.lower())
        self.question_words[len(words)] += 1
        self.vocabulary.update(words)
        choices = record.get("choices")
        letter = (record.get("meta") or {}).get("answer_letter")
        if choices and isinstance(letter, str):
            self.letters.setdefault(len(choices), Counter())[letter] += 1
            self.options.add(task, str(record.get("id", "")), choices, letter)

    def merge(self, other: "StatsReport") -> None:
        """Add the report of the samples that follow (a worker's part): the report of all."""
        self.samples += other.samples
        self.unreadable += other.unreadable
        self.first_unreadable = self.first_unreadable or other.first_unreadable
        self.per_task.update(other.per_task)
        self.per_family.update(other.per_family)
        self.per_mode.update(other.per_mode)
        self.task_family.update(other.task_family)
        for mine, theirs in ((self.answers, other.answers), (self.yes_no, other.yes_no)):
            for task, counts in theirs.items():
                mine.setdefault(task, Counter()).update(counts)
        for n, counts in other.letters.items():
            self.letters.setdefault(n, Counter()).update(counts)
        self.question_words.update(other.question_words)
        self.vocabulary |= other.vocabulary
        for task, texts in other.by_question.items():
            self.by_question.setdefault(task, CountsByKey(MAX_QUESTIONS)).merge(texts)
        self.options.merge(other.options)

    def done(self) -> "StatsReport":
        """Cut each task's bounded tallies back to their limits (at the end of the reading)."""
        for texts in self.by_question.values():
            texts.cut()
        self.options.done()
        return self

    # ---- derived figures -----------------------------------------------------------------------

    @property
    def yes_share(self) -> float | None:
        yes = sum(c["yes"] for c in self.yes_no.values())
        total = sum(sum(c.values()) for c in self.yes_no.values())
        return yes / total if total else None

    def letter_deviation(self, n_options: int) -> float:
        """Largest |share - 1/n| over the letters, in percentage points."""
        counts = self.letters.get(n_options, Counter())
        total = sum(counts.values())
        if not total:
            return 0.0
        letters = "ABCDEFGH"[:n_options]
        return 100 * max(abs(counts[x] / total - 1 / n_options) for x in letters)

    def text_only(self, task: str) -> tuple[float, float, int] | None:
        """(text-only share right, constant-guess share right, samples counted) of a task's
        question-answer samples (see the module notes); None without any."""
        tally = self.by_question.get(task)
        texts = [answers for _, answers in tally.by_key()] if tally is not None else []
        if not texts:
            return None
        overall: Counter[str] = Counter()
        for answers in texts:
            overall.update(answers)
        ranked = sorted(overall.items(), key=lambda an: (-an[1], an[0]))
        order = {a: k for k, (a, _) in enumerate(ranked)}
        constant = ranked[0][0]  # the commonest answer (ties: the first in sorted order)

        def guess(counts: Counter[str], left_out: str) -> str:
            """The commonest answer among the other samples of a text (ties by `order`); the
            constant guess when the text has no other sample."""
            best, best_key = constant, None
            for a, n in counts.items():
                n -= a == left_out
                if n > 0 and (best_key is None or (-n, order[a]) < best_key):
                    best, best_key = a, (-n, order[a])
            return best

        total = sum(overall.values())
        right = sum(n for answers in texts for a, n in answers.items() if guess(answers, a) == a)
        return right / total, overall[constant] / total, total

    def task_rows(self) -> list[dict[str, Any]]:
        rows = []
        for task in sorted(self.per_task):
            answers = self.answers.get(task, Counter())
            total = sum(answers.values())
            rows.append({
                "task": task,
                "family": self.task_family[task],
                "samples": self.per_task[task],
                "distinct_answers": len(answers),
                "top_answers": [[a, n] for a, n in answers.most_common(TOP_ANSWERS)],
                "max_share": round(answers.most_common(1)[0][1] / total, 4) if total else None,
                "entropy_bits": round(entropy_bits(answers), 4) if total else None,
                "yes_share": round(self.yes_no[task]["yes"] / sum(self.yes_no[task].values()), 4)
                if task in self.yes_no else None,
            } | _text_only_fields(self.text_only(task)) | self.options.fields(task))
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "unreadable": self.unreadable,
            "tasks": self.task_rows(),
            "families": dict(sorted(self.per_family.items())),
            "modes": dict(sorted(self.per_mode.items())),
            "question_words": {f"p{q}": percentile(self.question_words, q) for q in (5, 25, 50, 75, 95)}
            | {"max": float(max(self.question_words, default=0))},
            "vocabulary_size": len(self.vocabulary),
            "yes_share": None if self.yes_share is None else round(self.yes_share, 4),
            "mc_letters": {
                str(n): {"counts": dict(sorted(c.items())), "max_deviation_points": round(self.letter_deviation(n), 2)}
                for n, c in sorted(self.letters.items())
            },
        }


def _text_only_fields(found: tuple[float, float, int] | None) -> dict[str, Any]:
    if found is None:
        return {"text_only": None, "majority": None, "text_only_samples": 0}
    by_text, constant, n = found
    return {"text_only": round(by_text, 4), "majority": round(constant, 4), "text_only_samples": n}


def stats(run: str | os.PathLike[str], progress: Callable[[int], None] | None = None,
          workers: int = 1) -> StatsReport:
    """Statistics of a run folder (or a samples.jsonl file), streaming over its samples.
    Unreadable lines are counted in `unreadable`, never fatal. `progress(n)` is called as lines
    are read, 1,000 at a time. `workers` > 1: the samples are read in parts (`PART_BYTES` of a
    JSONL file, or a shard file) on that many local processes, each reading its own, their
    reports merged in order: the same report."""
    check_int("workers", workers, 1, sys.maxsize)  # a TypeError for None, not "'<' not supported"
    check_callback("progress(n)", progress)
    check_path("run", run, "a run folder or a samples file")
    source = readable(run)
    if workers == 1:
        report = StatsReport()
        for part in sample_parts(source, size=None):  # whole files: lines numbered as a worker's part numbers them
            report.merge(stats_of(reported(_numbered(part), progress), part))
        return report.done()
    from veriscene.engine.backends import ordered_map

    report = StatsReport()
    for part_report in ordered_map(part_stats, [(p,) for p in sample_parts(source, PART_BYTES)], workers=workers):
        report.merge(part_report)
        if progress is not None:
            progress(part_report.samples + part_report.unreadable)
    return report.done()


def part_stats(part: Part) -> StatsReport:
    """The report of one part of a run's samples (what a worker of `stats(workers=N)` does)."""
    return stats_of(_numbered(part), part)


def _numbered(part: Part) -> Iterator[tuple[int, bytes]]:
    """(index in the part, line) of its lines that are not blank."""
    return ((k, line) for k, line in enumerate(part_lines(part)) if line.strip())


def stats_of(lines: Iterable[tuple[int, bytes]], part: Part | None = None) -> StatsReport:
    """The report of these sample lines, each with its index in `part` (what a worker of
    `stats(workers=N)` does); with `part`, the first unreadable one is named by file and line."""
    report = StatsReport()
    for k, line in lines:
        try:
            report.add(orjson.loads(line))
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            report.unreadable += 1
            if part is not None and not report.first_unreadable:
                why = (f"not JSON ({exc})" if isinstance(exc, orjson.JSONDecodeError) else
                       f"field {exc} missing" if isinstance(exc, KeyError) else f"not a sample record ({exc})")
                report.first_unreadable = f"{_line_of(part, k)}: {why}"
    return report


def _line_of(part: Part, k: int) -> str:
    """"FILE, line N" of the `k`-th line of a part (0-based): it counts the lines before the part."""
    with open(part.file, "rb") as fh:
        before = fh.read(part.start).count(b"\n")
    return f"{part.file}, line {before + k + 1}"


def write_chart(report: StatsReport, path: str | os.PathLike[str]) -> Path:
    """Draw samples per task and family, question lengths, answer balance and the options-alone
    guess into one PNG.
    Needs matplotlib (`pip install 'veriscene[stats]'`): `errors.MissingExtra` (an ImportError)
    saying so without it. A `report` that is no StatsReport (a run's path: give `stats(run)`), or a
    `path` that is a folder or below a file, is refused before anything is drawn; missing folders
    above `path` are made."""
    from veriscene.io.writers.files import check_file, new_folders, written_whole

    if not isinstance(report, StatsReport):
        hint = f"stats({os.fspath(report)!r})" if isinstance(report, (str, os.PathLike)) else "stats(run)"
        raise TypeError(f"report must be a StatsReport, as veriscene.stats.stats returns, got {report!r}: "
                        f"write_chart({hint}, path)")
    check_path("path", path, "the PNG file to write")
    check_file("path", path, "stats.png")  # IsADirectoryError (`charts/` too), or OutputError below a file
    try:
        import matplotlib
    except ImportError:
        from veriscene.errors import MissingExtra

        raise MissingExtra("the stats chart", "stats", "matplotlib") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted(report.per_task)
    fig, axes = plt.subplots(2, 2, figsize=(14, max(8.0, 0.28 * len(tasks) + 4)),
                             gridspec_kw={"height_ratios": [max(len(tasks), 4), 6]})
    ax = axes[0, 0]
    ax.barh(tasks[::-1], [report.per_task[t] for t in tasks[::-1]], color="#4c72b0")
    ax.set_title(f"samples per task ({report.samples} total)")
    ax.tick_params(axis="y", labelsize=8)
    ax = axes[0, 1]
    rows = report.task_rows()[::-1]
    ax.barh(tasks[::-1], [r["max_share"] or 0.0 for r in rows], color="#dd8452", label="most common answer")
    mc = [r for r in rows if r["options_alone"] is not None]  # multiple choice: options alone, chance
    ax.scatter([r["options_alone"] for r in mc], [r["task"] for r in mc], color="black", s=12, label="options alone")
    ax.scatter([r["options_chance"] for r in mc], [r["task"] for r in mc], color="black", marker="|", label="chance")
    ax.set_xlim(0, 1)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("most common answer's share; multiple choice: options alone, chance")
    ax.set_yticks([])
    ax = axes[1, 0]
    lengths = sorted(report.question_words)
    ax.bar(lengths, [report.question_words[n] for n in lengths], color="#55a868")
    ax.set_title(f"question length (words); vocabulary {len(report.vocabulary)} words")
    ax = axes[1, 1]
    labels, values = [], []
    if report.yes_share is not None:
        labels += ["yes", "no"]
        values += [report.yes_share, 1 - report.yes_share]
    for n, counts in sorted(report.letters.items()):
        total = sum(counts.values())
        for letter in "ABCDEFGH"[:n]:
            labels.append(f"{n}:{letter}")
            values.append(counts[letter] / total)
    ax.bar(range(len(values)), values, color="#8172b3")
    ax.set_xticks(range(len(values)), labels, rotation=90, fontsize=8)
    ax.set_title("yes/no share and correct MC letter share (options:letter)")
    fig.tight_layout()
    out = Path(path)
    try:
        # whole or not at all (`written_whole`): an earlier chart stays as it was when the drawing
        # fails or is stopped. The format by the name's suffix, as savefig infers it from a name
        # (the temporary one has none of its own); a name without one: PNG, and named as given
        with new_folders(out), written_whole(out) as tmp:
            fig.savefig(tmp, dpi=100, format=out.suffix[1:] or "png")
    finally:
        plt.close(fig)
    return out
