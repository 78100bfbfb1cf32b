"""The dataset card's Markdown, rendered from `veriscene.card.CardFacts`.

Sections: YAML front matter for the Hugging Face Hub; a summary; how the data was made (from the
manifest, with the command that makes it again); verification; contents (per family and per
task, balance, question lengths); the fields of a sample record; limitations; citation. Every figure comes
from the facts; what is not known is said to be unknown.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

import yaml

from veriscene import __version__
from veriscene.card import CardFacts
from veriscene.card_cite import citation_section
from veriscene.card_splits import splits_section, total_samples
from veriscene.card_data import (ANSWER_FORMS, FIELDS, TABLE_SUFFIXES, DataFiles, columns_table, configs_block,
                                 default_data_files, licence_lines, matched_files, saved_splits, splits_text)
from veriscene.engine.manifest import scene_inputs, wording_said
from veriscene.engine.remote import is_url
from veriscene.engine.reproduce import generate_command, read_stamp
from veriscene.sample import MODES, SAMPLE_FIELDS
from veriscene.stats import CATEGORICAL, percentile

TAGS = ("veriscene", "scene-graph", "synthetic", "verifiable")
TELLING_POINTS = 10  # text only above majority by more than this is named (as `veriscene stats` does)
_LISTED_FILES = 20  # input files listed one by one in a card (the manifest lists all)
# the Hub's size_categories buckets: (exclusive upper bound, label)
SIZE_BUCKETS = ((10**3, "n<1K"), (10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M"),
                (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
                (10**11, "10B<n<100B"), (10**12, "100B<n<1T"))
SHARD_LAYOUT = {  # shard format -> where a sample record is (veriscene.engine.codecs)
    "zstd": " (zstandard-compressed JSON lines)",
    "parquet": " (the `record` column of each row holds the sample record; `id`, `task`, `family`, `mode`, "
               "`answer_type`, `question`, `image_ids` are columns for filtering)",
}


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


def run_label(facts: CardFacts) -> str:
    """How commands in the card name the run: the folder's (or samples file's) name."""
    return facts.run.resolve().name


def verify_command(facts: CardFacts) -> str:
    command = f"veriscene verify {run_label(facts)}"
    if len(facts.scene_files) == 1:  # the file verified against, by name (no local path)
        command += f" --scenes {facts.scene_files[0].name}"
    elif facts.scene_files or not (facts.run_dir / "manifest.json").is_file():
        command += " --scenes SCENES.jsonl"  # no manifest names the scene graphs
    return f"`{command}`"


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


def version(facts: CardFacts) -> str:
    if facts.manifest is None:
        return "veriscene (release unknown: no manifest.json)"
    return f"veriscene {facts.manifest['config'].get('veriscene_version', '(release not recorded)')}"


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


# ---- how it was made ------------------------------------------------------------------------------

def _weights(weights: dict[str, float] | None) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in (weights or {}).items()) or "none"


def selection(config: dict[str, Any], made_samples: set[str]) -> str:
    mixture = config.get("mixture")
    generators = config.get("generators") or {}
    idle = sorted(set(generators) - made_samples)
    idle_text = f"; {len(idle)} made no sample: {', '.join(f'`{g}`' for g in idle)}" if idle else ""
    if not mixture:
        return f"{len(generators)} generators (those with samples are listed per task below{idle_text})"
    budget = mixture.get("budget")
    return (f"a mixture of {len(generators)} generators ("
            + (f"at most {budget} samples per scene" if budget else "no per-scene budget")
            + f"; family weights: {_weights(mixture.get('families'))}; generator weights: "
            f"{_weights(mixture.get('weights'))}; default weight {mixture.get('default_weight', 1.0):g}{idle_text})")


def _relative(path: str) -> bool:
    return not is_url(path) and not os.path.isabs(path)


def made(facts: CardFacts) -> str:
    if facts.manifest is None:
        return "## How it was made\n\nUnknown: no `manifest.json` was given with the samples."
    manifest, config = facts.manifest, facts.manifest["config"]
    counts = manifest.get("counts") or {}
    inputs = scene_inputs(config)
    lines = [f"- Made with {version(facts)}; run key `{manifest.get('key', 'unknown')}`, status "
             f"`{manifest.get('status', 'unknown')}`."]
    # paths are relative to the run folder, but absolute ones (a run at a URL) and URLs (an input read from one)
    relative = " (relative to the run folder)" if any(_relative(str(e["path"])) for e in inputs) else ""
    if len(inputs) == 1:
        lines.append(f"- Input scene graphs: `{inputs[0]['path']}`{relative}, "
                     f"sha256 `{inputs[0].get('sha256')}`.")
    else:
        lines.append(f"- Input scene graphs: {len(inputs)} files read as one input, in this order{relative}:")
        lines += [f"  - `{entry['path']}`, sha256 `{entry.get('sha256')}`" for entry in inputs[:_LISTED_FILES]]
        if len(inputs) > _LISTED_FILES:
            lines.append(f"  - and {len(inputs) - _LISTED_FILES} more, to `{inputs[-1]['path']}` "
                         "(`manifest.json` lists every file with its sha256)")
    stamp = read_stamp(facts.run_dir)
    if stamp is not None:
        key = stamp["key"]
        source = os.path.relpath(str(key.get("input")), facts.run_dir.resolve())
        lines.append(f"- Converted into that file from `{source}` (relative to the run folder), read as "
                     f"`{key.get('format')}`, fingerprint `{key.get('fingerprint')}` (`scenes.source.json`).")
    if any(str(entry["path"]).startswith("..") for entry in inputs):
        lines.append(f"- The scenes file{'s lie' if len(inputs) > 1 else ' lies'} outside the run folder: publish "
                     f"{'them' if len(inputs) > 1 else 'it'} too, at that place, for `veriscene verify` to work.")
    samples_at = (manifest.get("files") or {}).get("samples")
    if samples_at:
        lines.append(f"- Samples: `{samples_at}`{SHARD_LAYOUT.get(config.get('shard_format', 'jsonl'), '')}.")
    if counts:
        lines.append(f"- Scenes: {counts.get('lines', 0):,} input lines, {counts.get('scenes', 0):,} scenes read, "
                     f"{counts.get('rejected_scenes', 0):,} rejected (listed in `rejects.jsonl`), "
                     f"{counts.get('repeats_dropped', 0):,} repeated multi-image samples dropped.")
    modes = ", ".join(config.get("modes") or [])
    captions = " (and captions, which captioning generators always make)" if facts.report.per_mode["caption"] else ""
    lines += [f"- Seed: {config.get('seed')}. Modes: {modes}{captions}.",
              f"- Selection: {selection(config, set(facts.report.per_task))}; each generator's filled config "
              "is in `manifest.json` "
              "(`config.generators`) and in every sample's `meta.config`.",
              f"- Shards: {config.get('shard_size')} scenes each, format `{config.get('shard_format')}`; "
              f"multi-image pool of {config.get('pool_size')} scenes."]
    return "## How it was made\n\n" + "\n".join(lines) + "\n\n" + reproduce(facts)


def reproduce(facts: CardFacts) -> str:
    assert facts.manifest is not None
    again = generate_command(facts.manifest, facts.run_dir)
    text = (f"To make it again, from the folder holding `{run_label(facts)}` (generation is deterministic "
            f"given the input, the configuration and the release, {version(facts)}):\n\n"
            f"```bash\n{again.command}\n```")
    if again.mixture is not None:
        text += ("\n\nwith `MIXTURE.yaml`:\n\n```yaml\n" + yaml.safe_dump(again.mixture, sort_keys=False).rstrip()
                 + "\n```")
    release = again.release_text()
    if release is not None:
        text += "\n\n" + release
    if again.notes:
        text += ("\n\nThe command line cannot give everything the run used:\n\n"
                 + "\n".join(f"- {n}" for n in again.notes))
    return text


# ---- verification ---------------------------------------------------------------------------------

def verification(facts: CardFacts) -> str:
    command = verify_command(facts)
    v = facts.verification
    if v is None and facts.verify_error:
        body = f"Verification could not run when this card was written: {facts.verify_error}. To check: {command}."
    elif v is None:
        body = f"Not checked when this card was written. To check every answer: {command}."
    elif not v.problems:
        body = (f"Checked when this card was written: {v.verified:,} of {v.samples:,} samples' programs "
                f"recompute the stored answer ({command}).")
    else:
        kinds = Counter(p.kind for p in v.problems)
        listed = ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items()))
        body = (f"Checked when this card was written: {v.verified:,} of {v.samples:,} samples' programs "
                f"recompute the stored answer; {len(v.problems):,} do not ({listed}). {command} lists them.")
        if v.made_by is not None and v.made_by != __version__:
            body += (f" The run was made by veriscene {v.made_by} and checked with {__version__}: where an operation "
                     f"or phrasing changed between them the programs compute other answers (to check the data as "
                     f"made, verify with veriscene {v.made_by}).")
    files = v.files if v is not None else None
    if files is not None and files.ok:
        there = ("its one shard is there, with" if files.shards == 1 else
                 f"the {files.shards:,} shards' samples are all there, each with")
        body += f" The sample files are the run that was made: {there} the SHA-256 the manifest records."
    elif files is not None:
        body += (f" The sample files differ from the manifest ({files.intact:,} of {files.shards:,} shards as "
                 f"recorded): {files.problems[0]}" + (f", and {len(files.problems) - 1:,} more." if len(files.problems) > 1
                                                     else "."))
    if v is not None and v.wording_changed:
        body += (f" Note: {wording_said(v.wording_changed)}, so their questions may be worded otherwise than veriscene "
                 f"{__version__} as installed words them (the answers are checked by program all the same).")
    return "## Verification\n\n" + body


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
        rows.append([f"`{task}`", row["family"], f"{row['samples']:,}",
                     _joined(facts.tally.answer_types.get(task, Counter())),
                     _joined(facts.tally.modes.get(task, Counter()), MODES),
                     row["distinct_answers"] if row["max_share"] is not None else "–", commonest,
                     share(row["yes_share"]), text_only])
    header = ["task", "family", "samples", "answer type", "modes", "distinct answers", "commonest answer (share)",
              "yes", "text only (majority)"]
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
             "answer away.",
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
    found = [f"`{r['task']}` {share(r['text_only'])} against {share(r['majority'])}" for r in facts.report.task_rows()
             if r["text_only"] is not None and r["text_only"] - r["majority"] > TELLING_POINTS / 100]
    if not found:
        return []
    return [f"- In these tasks the question text alone gives the answer more than {TELLING_POINTS} points above "
            f"a constant guess: {'; '.join(found)}."]


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
