"""The dataset card's Markdown, rendered from `veriscene.card.CardFacts`.

Sections: YAML front matter for the Hugging Face Hub; a summary; how the data was made (from the
manifest, with the command that makes it again); verification; contents (per family and per
task, balance, question lengths); the fields of a sample record; limitations; citation. Every figure comes
from the facts; what is not known is said to be unknown.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Mapping

import yaml

from veriscene.card import CardFacts
from veriscene.card_cite import citation_section
from veriscene.card_provenance import made, verification, verify_command, version  # noqa: F401 (made: importable from here)
from veriscene.card_splits import splits_section, total_samples
from veriscene.card_data import (ANSWER_FORMS, FIELDS, TABLE_SUFFIXES, DataFiles, columns_table, configs_block,
                                 default_data_files, licence_lines, matched_files, saved_splits, splits_text)
from veriscene.sample import MODES, SAMPLE_FIELDS
from veriscene.stats import CATEGORICAL, percentile
from veriscene.stats_options import options_tell, telling_text

TAGS = ("veriscene", "scene-graph", "synthetic", "verifiable")
TELLING_POINTS = 10  # text only above majority by more than this is named (as `veriscene stats` does)

# the Hub's size_categories buckets: (exclusive upper bound, label)
SIZE_BUCKETS = ((10**3, "n<1K"), (10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M"),
                (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
                (10**11, "10B<n<100B"), (10**12, "100B<n<1T"))


def size_category(n: int) -> str:
    for bound, label in SIZE_BUCKETS:
        if n < bound:
            return label
    return "n>1T"


def cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def share(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


# ---- front matter and summary ------------------------------------------------------------------

def front_matter(facts: CardFacts, name: str, license: str, data_files: DataFiles | None, samples: int) -> str:
    tags = list(TAGS) + [f for f in sorted(facts.report.per_family) if f not in TAGS]
    data: dict[str, Any] = {
        "license": license,
        "pretty_name": name,
        "task_categories": ["visual-question-answering"],
        "language": ["en"],
        "size_categories": [size_category(samples)],  # every split's
        "tags": tags,
    }
    if data_files:
        data["configs"] = configs_block(data_files)
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000) + "---"


def summary(facts: CardFacts, name: str) -> str:
    r = facts.report
    families = ", ".join(f"`{f}`" for f in sorted(r.per_family))
    modes = ", ".join(f"{m} {r.per_mode[m]:,}" for m in (*MODES, *sorted(set(r.per_mode) - set(MODES)))
                      if r.per_mode[m])
    text = (f"# {name}\n\n**{name}** holds {r.samples:,} samples (by mode: {modes or 'none'}) about "
            f"{len(facts.tally.images):,} images, from {len(r.per_task)} tasks in {len(r.per_family)} families "
            f"({families}), generated with {version(facts)} from scene graphs. Each sample carries the program "
            f"that computes its answer from the scene graph of its image(s): {verify_command(facts)} runs "
            "every program again and compares its result with the stored answer "
            "(it needs the scenes file the run was made from).")
    if facts.manifest is None:
        text += ("\n\n*This card was written without the run's `manifest.json`: "
                 "the release, the input and its checksum, the seed, the configuration and the scene counts "
                 "are unknown and left out.*")
        if facts.run.is_file() and (facts.run.parent / "manifest.json").is_file():
            text += (" A `manifest.json` lies beside the file: a card written from the run folder "
                     "states them.")
    return text


# ---- contents -------------------------------------------------------------------------------------

def family_table(facts: CardFacts) -> str:
    r = facts.report
    tasks = Counter(r.task_family.values())
    rows = [[f, f"{r.per_family[f]:,}", tasks[f]] for f in sorted(r.per_family)]
    return table(["family", "samples", "tasks"], rows)


def _joined(counts: Counter[str], order: tuple[str, ...] = ()) -> str:
    known = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    return ", ".join(known)


def task_table(facts: CardFacts) -> str:
    rows = []
    for row in facts.report.task_rows():
        task = row["task"]
        top = row["top_answers"][0] if row["top_answers"] else None
        commonest = "–" if top is None else f"{str(top[0])[:24]} ({share(row['max_share'])})"
        text_only = "–" if row["text_only"] is None else f"{share(row['text_only'])} ({share(row['majority'])})"
        options = "–" if row["options_alone"] is None else f"{share(row['options_alone'])} ({share(row['options_chance'])})"
        rows.append([f"`{task}`", row["family"], f"{row['samples']:,}",
                     _joined(facts.tally.answer_types.get(task, Counter())),
                     _joined(facts.tally.modes.get(task, Counter()), MODES),
                     row["distinct_answers"] if row["max_share"] is not None else "–", commonest,
                     share(row["yes_share"]), text_only, options])
    header = ["task", "family", "samples", "answer type", "modes", "distinct answers", "commonest answer (share)",
              "yes", "text only (majority)", "options alone (chance)"]
    return table(header, rows)


def balance(facts: CardFacts) -> list[str]:
    r = facts.report
    lines = []
    if r.yes_share is not None:
        lines.append(f"- Yes/no questions: {r.yes_share:.1%} yes.")
    for n, counts in sorted(r.letters.items()):
        listed = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
        lines.append(f"- Multiple choice with {n} options, the correct letter: {listed} (largest deviation from "
                     f"uniform {r.letter_deviation(n):.1f} percentage points).")
    words = r.question_words
    lines.append(f"- Question length (words of the question, options left out): median {percentile(words, 50):.0f}, "
                 f"5th-95th percentile {percentile(words, 5):.0f}-{percentile(words, 95):.0f}, longest "
                 f"{max(words, default=0)}; vocabulary {len(r.vocabulary):,} distinct lower-cased words.")
    lines.append(f"- {len(facts.tally.templates):,} question templates (distinct template ids per task).")
    return lines


def contents(facts: CardFacts) -> str:
    r = facts.report
    parts = ["## Contents", f"{r.samples:,} samples by family:", family_table(facts),
             "By task (answer distributions are tallied for answers of type "
             f"{', '.join(CATEGORICAL)}; others show –):", task_table(facts),
             "*Commonest answer* is the share of the task's samples with its most frequent answer. *Text only* is "
             "the share of a task's question-answer samples whose answer is the commonest answer among the other "
             "samples asking exactly the same question text, beside *majority*, the share a constant guess of the "
             "task's commonest answer gets: text only well above majority means the question alone gives the "
             "answer away. *Options alone* is the share of a task's multiple-choice samples a guess from the "
             "option texts alone gets right (the offered option most often right when offered, its rate taken "
             "from the other half of the samples), beside *chance*, the mean of 1/k over k options: well above "
             "chance means the options give the answer away.",
             "\n".join(balance(facts))]
    if r.unreadable:
        parts.append(f"{r.unreadable:,} sample lines could not be read; they are counted here and left out of "
                     "the figures above.")
    return "\n\n".join(parts)


def fields(facts: CardFacts, published: dict[str, list[Path]] | None = None, split: str | None = None) -> str:
    """The sample record's fields, or the columns of the exported tables the card is published with
    (`published`: split -> files, the first Parquet or Arrow file's columns are described)."""
    tables = [p for files in (published or {}).values() for p in files if p.suffix in TABLE_SUFFIXES]
    if tables:
        head = (f"The data files are a `veriscene export` of the samples, one row per sample (per "
                f"conversation with --turns), with these columns (read from `{tables[0].name}`):\n\n"
                + table(["column", "type", "meaning"], columns_table(tables[0])))
    else:
        head = ("Each line of the samples is one JSON record:\n\n"
                + table(["field", "meaning"], [[f"`{name}`", FIELDS[name]] for name in SAMPLE_FIELDS]))
    present: Counter[str] = Counter()
    for types in facts.tally.answer_types.values():
        present.update(types)
    forms = [[f"`{t}`", f"{present[t]:,}", ANSWER_FORMS.get(t, "(not a veriscene answer type)")]
             for t in sorted(present)]
    if published:
        head = splits_text(published, facts.report.samples, split) + "\n\n" + head
    return ("## Fields\n\n" + head
            + "\n\nAnswer types in this data:\n\n" + table(["answer_type", "samples", "answer in JSON"], forms))


# ---- limitations ----------------------------------------------------------------------------------

def scene_lines(facts: CardFacts) -> list[str]:
    s = facts.scenes
    if s is None:
        return [f"- Facts about the scene graphs are left out: {facts.scenes_note}."]
    lines = licence_lines(s.sources, s.scenes)
    for kind in ("attributes", "relations"):
        if s.sparse[kind]:
            lines.append(f"- {s.sparse[kind]:,} of {s.scenes:,} scenes record their {kind} only in part "
                         f"(`meta.sparse`): what is annotated holds, but more may hold; programs there refuse "
                         f"any question whose answer would take an unannotated one for absent.")
    if not s.sparse:
        lines.append(f"- None of the {s.scenes:,} scenes is marked as annotated only in part (`meta.sparse`): "
                     "attributes and relations are taken as annotated in full.")
    if s.exhaustive:
        lines.append(f"- {s.exhaustive:,} scenes list the names annotated in full (`meta.exhaustive`); the count, "
                     "absence and extremes of other names are unknown there, and programs refuse them.")
    for kind, n in sorted(s.regions.items()):
        lines.append(f"- {n:,} scenes hold {kind} regions, never counted or singled out.")
    if s.radiological:
        lines.append(f"- {s.radiological:,} scenes are in radiological orientation; questions about left and "
                     "right say they mean the image's sides.")
    if s.unreadable:
        lines.append(f"- {s.unreadable:,} lines of the scenes file could not be read.")
    return lines


def telling(facts: CardFacts) -> list[str]:
    rows = facts.report.task_rows()
    found = [f"`{r['task']}` {share(r['text_only'])} against {share(r['majority'])}" for r in rows
             if r["text_only"] is not None and r["text_only"] - r["majority"] > TELLING_POINTS / 100]
    lines = [f"- In these tasks the question text alone gives the answer more than {TELLING_POINTS} points above "
             f"a constant guess: {'; '.join(found)}."] if found else []
    by_options = [f"`{r['task']}` {share(r['options_alone'])} against {share(r['options_chance'])}"
                  + "".join(f" ({telling_text(t)})" for t in r["options_telling"][:1])
                  for r in rows
                  if options_tell(r, TELLING_POINTS)]
    if by_options:
        lines.append(f"- In these tasks the options alone give the answer more than {TELLING_POINTS} points above "
                     f"chance (over at least 20 samples): {'; '.join(by_options)}.")
    return lines


def limitations(facts: CardFacts) -> str:
    r = facts.report
    images = len(facts.tally.images)
    lines = ["- Answers are as right as the scene graphs: each is computed from the annotation, not from the "
             "pixels. A wrong or missing annotation gives a wrong answer that verification cannot catch "
             "(it checks answers against the scene graphs, not the images).",
             "- Questions are worded from templates (see the count above), not written by people.",
             *scene_lines(facts), *telling(facts)]
    if images:
        lines.append(f"- The {r.samples:,} samples ask about {images:,} images ({r.samples / images:.1f} per image): "
                     "questions about one image are not independent; split by image, not by sample.")
    return "## Limitations\n\n" + "\n".join(lines)


def card_data_files(facts: CardFacts, data_files: DataFiles | None, card_dir: Path | None) -> DataFiles | None:
    """`data_files`, else the splits of an `export --to hf` folder holding the card, else for a card in the
    run's folder the run's samples files (`veriscene.card_data`)."""
    if data_files:
        return data_files
    if card_dir is not None and card_dir.resolve() != facts.run_dir.resolve():
        return saved_splits(card_dir)
    return facts.run.name if facts.run.is_file() else default_data_files(facts.manifest)


def render_card(facts: CardFacts, *, name: str | None = None, license: str = "unknown",
                data_files: DataFiles | None = None, card_dir: Path | None = None, split: str = "train",
                splits: Mapping[str, CardFacts] | None = None) -> str:
    """The card's Markdown (see the module notes). `data_files` are relative to `card_dir` (the
    card's folder; default the run folder, where no `data_files` means the run's samples files).
    `splits`: the facts of the other splits' runs (`veriscene.card_splits`); `split`: this run's."""
    title = name or (facts.run_dir.resolve().name or "veriscene data")
    data_files = card_data_files(facts, data_files, card_dir)
    published = matched_files(card_dir or facts.run_dir, data_files) if data_files else None
    samples = total_samples(facts, splits or {})
    sections = [front_matter(facts, title, license, data_files, samples), summary(facts, title), made(facts),
                verification(facts), contents(facts), fields(facts, published, split if splits else None),
                limitations(facts)]
    if splits:
        sections.append(splits_section(facts, split, splits))
    sections.append(citation_section(facts, splits))
    return "\n\n".join(sections) + "\n"
