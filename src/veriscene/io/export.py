"""Export a generation run (a folder with samples.jsonl) to a trainer's format.

    summary = export("runs/demo", "out/llava.json", to="llava")
    summary = export("runs/demo", "out/hf", to="hf", embed_images=True)

Image paths in samples.jsonl are relative to the run folder (or absolute). In the export they are
written relative to `image_root`, by default the folder receiving the export (the parent of an
output file such as out/llava.json, or the output directory itself, e.g. out/hf):

    written = os.path.relpath(run_dir / sample_path, image_root)     (POSIX separators, ".." kept)

so a trainer that joins its image folder with each path finds the files when that folder is
`image_root`. `absolute_paths=True` writes absolute paths instead. Parquet, TRL and verl readers
(`datasets`, verl) open a relative path against the folder they run in, not the export's: such an
export warns (`summary.warnings`) unless it embeds the images or writes absolute paths. Every referenced image is
checked; missing ones are counted and listed (first few) in the summary and never stop the export.
Lines of samples.jsonl that are not valid JSON objects, miss a field every format needs, or whose
`choices` is not a list of strings (or null), are skipped and reported the same way, by file and
line.

A finished run's manifest records how many samples it holds. An export that reads another number
(samples.jsonl cut short, or added to) stops with `IncompleteRunError` after the last line, before
its output is put in place, so nothing is written; `allow_incomplete=True` writes it anyway, with
a warning in the summary (`samples_expected`, `warnings`). An export never writes over a file of
the run it reads (its samples, manifest, scenes, shards): `RunFileError`.

What an export writes (the file `out` names, the default file names in the folder `out`, or the
folder of an hf or lmms_eval export) is locked while it runs (`engine.run_lock`): another export
to it meanwhile is refused, before it reads a sample. Before, two exports to one file wrote into
one temporary file: one ended with a traceback, the other exited 0 leaving a file that was the
first's, or no valid JSON. An export to a URL is locked on this machine by the URL's name
(`run_lock.lock_url`), and across machines by a lease beside it (`engine.remote_lock`,
``s3://b/exports/.veriscene-lease.hf.json`` for ``--out s3://b/exports/hf``), taken before a
sample is read and removed as the export ends; beside, not in it, so that no export folder holds
or lists it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from veriscene.answers.rivals import VOCABULARY_FILE, load_rivals
from veriscene.engine.fetch import readable
from veriscene.engine.options import check_callback, check_flags, check_path
from veriscene.engine.remote import is_url, local_path
from veriscene.engine.run_lock import RunKind, holding_locks, lock_file, lock_url
from veriscene.engine.runfiles import (
    SAMPLES_FILE,
    finished_manifest,
    recorded_samples,
    reported,
    sample_lines,
    samples_root,
)
from veriscene.errors import DataError
from veriscene.io.reasoning import ReasoningCounts, check_reasoning_format, reasoning_scenes, with_reasoning
from veriscene.io.writers import LAYOUTS, WRITERS, get_writer, names_file, planned_outputs, write
from veriscene.io.writers.common import MAX_LISTED, ExportSummary, OutputError
from veriscene.io.writers.records import GENERATED_QUESTION, check_sample
from veriscene.option_names import option

PROGRESS_EVERY = 1000  # samples read between calls of an export's `progress`
# a run's files an export never writes over, besides those its manifest names
RUN_FILES = (SAMPLES_FILE, "manifest.json", "scenes.jsonl", "rejects.jsonl", "vocabulary.json")
EXPORT = RunKind("export", "two exports to one output would write over each other's files")


class IncompleteRunError(ValueError):
    """A finished run's sample files hold another number of samples than its manifest records."""

    def __init__(self, path: Path, read: int, expected: int) -> None:
        self.read, self.expected = read, expected
        super().__init__(
            f"{path}: {read} samples read, but the run's manifest records {expected}: its sample files were cut "
            f"short or changed since the run was made (`veriscene verify {samples_root(path)}` tells where); "
            f"nothing was written. Export them anyway with {option('allow_incomplete=True', '--allow-incomplete')}"
        )


class RunFileError(OutputError):
    """An export would write over a file of the run it reads."""


def malformed_choices(choices: Any) -> str | None:
    """What is wrong with a record's `choices` (a list of option strings, or null), else None."""
    if choices is None:
        return None
    if not isinstance(choices, list):
        return f"{type(choices).__name__} {orjson.dumps(choices).decode()[:60]}"
    for k, choice in enumerate(choices):
        if not isinstance(choice, str):
            return f"{type(choice).__name__} {orjson.dumps(choice).decode()[:60]} at index {k}"
    return None


def read_samples(path: Path, errors: list[str], progress: Callable[[int], None] | None = None,
                 expected: int | None = None) -> Iterator[dict[str, Any]]:
    """Stream sample records of a run folder or samples file; bad lines go to `errors`
    ("file:line: reason"); `progress(n)` is called with the lines read, 1,000 at a time. With
    `expected` (the manifest's count), reading another number of lines raises IncompleteRunError
    after the last one (a writer consuming this then puts nothing in place)."""
    read = 0
    if path.is_dir() and (path / "samples.jsonl").is_file():
        path = path / "samples.jsonl"  # a bad line named by its file (a run's shards: by the folder)
    for number, line in reported(sample_lines(path), progress, PROGRESS_EVERY):
        read += 1
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            errors.append(f"{path}:{number}: not valid JSON ({exc})")
            continue
        if not isinstance(record, dict):
            errors.append(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
            continue
        wrong = malformed_choices(record.get("choices"))
        if wrong:  # a string would be written as a list of its characters (`list("abc")`)
            errors.append(f"{path}:{number}, field 'choices': expected a list of strings or null, got {wrong}")
            continue
        try:
            check_sample(record)
        except (ValueError, TypeError) as exc:  # named by file and line here, not only by id
            errors.append(f"{path}:{number}: {exc}")
            continue
        yield record
    if expected is not None and read != expected:
        raise IncompleteRunError(path, read, expected)


def run_files(source: Path) -> tuple[Path, set[Path]]:
    """(run folder, its files an export must not write over, resolved): the samples file read,
    the run's samples, manifest, scenes, rejects and vocabulary, and the files its manifest names.
    Its shards (under `shards/`) are kept by `check_not_run_files`."""
    root = samples_root(source)
    names = set(RUN_FILES)
    found = finished_manifest(source)
    if found is not None and isinstance(found[1].get("files"), dict):
        names |= {str(name) for name in found[1]["files"].values()}
    files = {(root / name).resolve() for name in names}
    if source.is_file():
        files.add(source.resolve())
    return root.resolve(), files


# suffixes of data files: an --out ending in one that is not the format's own is a mistake
# ('--to parquet --out e.json' wrote the folder e.json/ holding samples.parquet), not a folder's
# name; another dot ('out/v1.0') still names a folder
DATA_SUFFIXES = (".json", ".jsonl", ".parquet", ".yaml", ".yml", ".csv", ".tsv", ".arrow", ".txt", ".zip")


def check_out_suffix(out: str | os.PathLike[str], to: str) -> None:
    """OutputError when `out` ends in a data file's suffix (`DATA_SUFFIXES`) that a `to` export
    does not write, and is no folder already: every format treats `out` alike, the file it names
    with one of its own suffixes (`writers.names_file`), else a folder it writes into; the
    message says both."""
    name = str(out).rstrip("/").rsplit("/", 1)[-1]
    suffix = Path(name).suffix.lower()
    if suffix not in DATA_SUFFIXES or names_file(name, to) or (not is_url(out) and Path(out).is_dir()):
        return
    stem = str(out).rstrip("/")[:-len(suffix)]
    own, article = LAYOUTS[to].suffixes, "an" if to in ("hf", "lmms_eval") else "a"
    if not own:  # hf, lmms_eval
        raise OutputError(f"{out}: {article} {to} export writes a folder of its own, not a {suffix} file: give a "
                          f"folder (e.g. {_out(stem)})")
    raise OutputError(f"{out}: {article} {to} export writes a {' or '.join(own)} file or a folder, not a {suffix} "
                      f"file: give {_out(stem + own[0])} (the file) or {_out(stem)} (a folder, which receives "
                      f"{' or '.join(LAYOUTS[to].names)})")


def _out(path: str) -> str:
    """An export's output as its caller gives it (`option_names`): out='x.json', or --out x.json."""
    return option(f"out={path!r}", f"--out {path}")


def check_not_run_files(source: Path, out: Path, to: str) -> None:
    """RunFileError when exporting `source` to `out` would write over one of the run's files (a
    folder format: into the run folder itself, or a folder holding it)."""
    root, files = run_files(source)
    hint = f"give another {option('out', '--out')} (default: {root / 'export' / to})"
    for target in (p.resolve() for p in planned_outputs(out, to)):
        if not LAYOUTS[to].names and root.is_relative_to(target):  # hf, lmms_eval: a folder of their own
            raise RunFileError(f"{target}: a {to} export writes a folder of its own, and this one holds the run "
                               f"being exported ({root}); {hint}")
        if target in files or target.is_relative_to(root / "shards"):
            raise RunFileError(f"{target} is a file of the run being exported ({root}); the export would write "
                               f"over it: {hint}")


def default_out(run_dir: str | Path, to: str) -> str | Path:
    """Where an export goes when no `out` is given, as the CLI's `export` and `generate --to` write
    it: RUN_DIR/export/<to>, a folder that receives the format's default file name; beside a
    samples file given instead of a run folder (a URL's too: its last part ending .jsonl)."""
    if is_url(run_dir):
        base = str(run_dir).rstrip("/")
        if base.rsplit("/", 1)[-1].endswith(".jsonl"):
            base = base.rsplit("/", 1)[0]
        return f"{base}/export/{to}"
    run = Path(run_dir)
    return (run.parent if run.is_file() else run) / "export" / to


@holding_locks  # what it writes, locked until it returns (`engine.run_lock`)
def export(
    run_dir: str | Path,
    out: str | Path | None = None,
    to: str | None = None,
    *,
    image_root: str | Path | None = None,
    embed_images: bool = False,
    check_urls: bool = False,
    storage_options: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    allow_incomplete: bool = False,
    instructions: bool = False,
    reasoning: bool = False,
    scenes: str | Path | Sequence[str | Path] | None = None,
    **options: Any,
) -> ExportSummary:
    """Export a run's samples (`run_dir/samples.jsonl`, its zstd shards, or a samples file) to
    `out` in format `to` (see veriscene.io.writers.WRITERS). `out` None: RUN_DIR/export/<to>, as
    the CLI writes (`default_out`); `export(run, to="llava")`, and `export(run, out, "llava")` as before.

    `run_dir` and `out` may be URLs (``s3://bucket/run``, ``s3://bucket/exports/train.parquet``):
    a run is read through its local copy (`engine.fetch.readable`); an export to a URL is written
    in a temporary folder (under ``$TMPDIR``), then uploaded, with absolute image paths unless
    `image_root` is given. `storage_options` are fsspec's, for both.

    Images named by URL are written as they are; `embed_images` reads their bytes from the store,
    `check_urls` (without embedding) asks it whether each exists, a missing one counted in
    `images_missing` as a missing file is.

    `progress(n)` is called as samples are read, with how many more (for a progress bar; the
    run's count is `engine.runfiles.sample_count`). `options` go to the writer (e.g.
    absolute_paths, mc_style, dataset_name, split, file_format).

    `instructions`: each question with the answer-format instruction `veriscene eval` sends with
    it ("Answer with a single number.", see `evaluate.prompts`), so that a model trained on short
    answers learns when to give one, and is trained on the prompts it is evaluated with;
    `options["prompts"]` (a JSON file, dict or PromptSet, as `eval --prompts` takes) sets them,
    and their `system` (which eval sends) opens every record when `options["system"]` is not
    given (ValueError when it is another; a warning for a format without a place for one).
    Not for jsonl (its records must stay the samples their ids hash) nor lmms_eval (whose task
    always sends them).

    `reasoning`: each target is the sample's rationale in a think block, then the answer
    (`veriscene.io.reasoning`, `veriscene.rationale`), computed from the run's scenes (those its
    manifest names, or `scenes`); for llava, sharegpt, parquet, hf and trl.

    `options["system"]`: a system message that opens every record, for sharegpt, trl and verl
    (`io.writers.SYSTEM_FORMATS`; llava takes it from its conversation template: ValueError).

    A finished run whose files hold another number of samples than its manifest records raises
    IncompleteRunError and writes nothing, unless `allow_incomplete` (then the summary warns).
    An `out` that would replace a file of the run raises RunFileError; an lmms_eval task folder
    cannot go to a URL (its YAML files name their data files by local path): ValueError. Another
    export writing `out` meanwhile: `engine.run_lock.RunLockedError`, nothing read nor written.
    A `to` that is not a format's name (None: TypeError; a misspelt one: KeyError), a flag given
    anything but True or False, or a `progress` that is no function is refused before anything is read.
    """
    if not isinstance(to, str):
        raise TypeError(f"to must be the name of an export format (one of {', '.join(sorted(WRITERS))}), got {to!r}")
    get_writer(to)  # KeyError, with close matches
    check_path("run_dir", run_dir, "a run folder or a samples file or its URL")
    if out is None:
        out = default_out(run_dir, to)
    check_path("out", out, "the file or folder to write or its URL")
    check_out_suffix(out, to)  # '--to parquet --out e.json': refused, not a folder e.json/
    check_flags(embed_images=embed_images, check_urls=check_urls, allow_incomplete=allow_incomplete,
                instructions=instructions, reasoning=reasoning)
    check_callback("progress(n)", progress)
    if is_url(out) and to == "lmms_eval":
        raise ValueError("lmms_eval writes a task folder whose YAML files name its data files by absolute local "
                         "path, which would mean nothing once uploaded: export it to a local folder on the machine "
                         "that runs lmms-eval")
    prompt_set = instruction_prompts(to, instructions, options)
    unsent = system_from_prompts(to, prompt_set, options)
    if scenes is not None and not reasoning:
        raise ValueError("scenes are read for reasoning targets: give them with "
                         f"{option('reasoning=True', '--reasoning')}")
    if reasoning:
        check_reasoning_format(to)
    source = readable(run_dir, storage_options)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such run folder or samples file")
    if is_url(out):
        lock_url(str(out), EXPORT)  # on this machine; across machines, the lease `_export_to_url` holds
        return _export_to_url(source, str(out), to, image_root=image_root, embed_images=embed_images,
                              storage_options=storage_options, progress=progress, check_urls=check_urls,
                              allow_incomplete=allow_incomplete, instructions=instructions, reasoning=reasoning,
                              scenes=scenes, **options)
    out = local_path(out)
    if to != "lmms_eval":
        options.pop("prompts", None)  # read above: the instructions' prompts, no writer option
    check_not_run_files(source, out, to)
    check_vocabulary(source, to)
    for target in planned_outputs(out, to):  # RunLockedError while another run writes one, before any reading
        lock_file(target, EXPORT)
    expected = recorded_samples(source)
    bad_lines: list[str] = []
    samples = read_samples(source, bad_lines, progress, expected=None if allow_incomplete else expected)
    counts = ReasoningCounts()
    if reasoning:  # the scenes found before anything is written
        samples = with_reasoning(samples, reasoning_scenes(source, scenes), counts)
    summary = write(
        samples if prompt_set is None else with_instructions(samples, prompt_set),
        out,
        to,
        image_root=image_root,
        sample_root=samples_root(source),
        embed_images=embed_images,
        check_urls=check_urls,
        **options,
    )
    ship_vocabulary(source, out, to, summary)
    if unsent:
        summary.warnings.append(unsent)
    bad_lines += counts.skipped
    if bad_lines:
        summary.samples_skipped += len(bad_lines)
        summary.errors = (bad_lines + summary.errors)[:MAX_LISTED]
    summary.samples_expected = expected
    read = summary.samples_written + summary.samples_skipped
    if expected is not None and read != expected:  # allow_incomplete: written, and said
        summary.warnings.append(f"{read} samples read, but the run's manifest records {expected}: its sample files "
                                f"were cut short or changed since the run was made (`veriscene verify` tells where)")
    return summary


SCORED_FORMATS = ("trl", "verl", "lmms_eval")  # exports whose replies are scored by veriscene's matcher
NO_INSTRUCTIONS = ("jsonl", "lmms_eval")  # exports whose questions stay as generated


def instruction_prompts(to: str, instructions: bool, options: dict[str, Any]) -> Any:
    """The PromptSet whose instructions an export adds to its questions (None: none added), from
    `options["prompts"]` (for lmms_eval, its writer's option). ValueError for instructions asked
    of a format that keeps its questions, or prompts given without them."""
    if to == "lmms_eval":
        if instructions:
            raise ValueError("an lmms_eval task always sends each question with its instruction (its prompts: "
                             f"{option('prompts=', '--prompts FILE')}); {option('instructions=True', '--instructions')} "
                             "is for the training formats")
        return None
    prompts = options.get("prompts")
    if not instructions:
        if prompts is not None:
            raise ValueError("prompts set the instructions an export adds: give them with "
                             f"{option('instructions=True', '--instructions')}, or export to lmms_eval")
        return None
    if to in NO_INSTRUCTIONS:
        raise ValueError(f"a {to} export keeps the questions as generated (each sample's id hashes its question): "
                         "instructions are for llava, sharegpt, parquet, hf, trl and verl")
    from veriscene.evaluate.prompts import load_prompts

    try:
        return load_prompts(prompts)
    except OSError as exc:  # checked before any sample is read
        raise ValueError(f"prompts file {prompts}: {exc.strerror or exc}") from None


def system_from_prompts(to: str, prompts: Any, options: dict[str, Any]) -> str | None:
    """Put the system message of an export's prompts (a prompts file's "system", which `veriscene
    eval` sends) in `options["system"]` when none is given, so a model is trained with the system
    message it is evaluated with. ValueError when `options["system"]` is another; for a format
    without a place for one (`writers.SYSTEM_FORMATS`), the warning its summary carries instead."""
    if prompts is None or prompts.system is None:
        return None
    from veriscene.evaluate.prompts import check_one_system
    from veriscene.io.writers import SYSTEM_FORMATS

    check_one_system(prompts.system, options.get("system"))
    if to not in SYSTEM_FORMATS:
        return (f"the prompts' system message {prompts.system!r} (sent by `veriscene eval --prompts`) is in no "
                f"record: a {to} export has no place for one (sharegpt, trl and verl have); train with it as "
                "the trainer sets one (LLaVA: its conversation template)")
    options["system"] = prompts.system
    return None


def with_instructions(samples: Iterator[dict[str, Any]], prompts: Any) -> Iterator[dict[str, Any]]:
    """Each sample record with its question as `veriscene eval` asks it: with the instruction of
    its answer type and mode, in the prompts' template (`PromptSet.text`), and the question as
    generated in `GENERATED_QUESTION`, which the rewards' ground truth keeps. A record without a
    question string is passed on as it is, for the writer to skip and report."""
    for record in samples:
        if isinstance(record.get("question"), str):
            record = {**record, "question": prompts.text(record), GENERATED_QUESTION: record["question"]}
        yield record


def vocabulary_target(out: Path, to: str) -> Path:
    """Where a scored export keeps the run's vocabulary: `vocabulary.json` in a folder the export
    writes (lmms_eval's task folder, or a folder receiving default file names), else
    `<stem>.vocabulary.json` beside the file named (`train.parquet` -> `train.vocabulary.json`)."""
    if to != "lmms_eval" and names_file(out, to):
        return out.with_name(f"{out.stem}.{VOCABULARY_FILE}")
    return out / VOCABULARY_FILE


def check_vocabulary(source: Path, to: str) -> None:
    """DataError, before anything is written, when a scored export would ship a run's
    `vocabulary.json` that cannot be read (cut short, not JSON, fields of other types): the
    rewards reading it would fail, far from the export that shipped it without a word."""
    found = samples_root(source) / VOCABULARY_FILE
    if to not in SCORED_FORMATS or not found.is_file():
        return
    try:
        load_rivals(found)
    except ValueError as exc:  # (its message names the file)
        raise DataError(f"{exc}; a {to} export ships the run's vocabulary for its rewards to read: write it "
                        f"again (`veriscene generate` makes it) or remove it to export without one") from None


def ship_vocabulary(source: Path, out: Path, to: str, summary: ExportSummary) -> None:
    """Copy the run's `vocabulary.json` beside a trl, verl or lmms_eval export: the rewards
    (`make_accuracy_reward(vocabulary_file=)`, verl's `reward_kwargs.vocabulary_file`) and the
    lmms-eval task's scoring read the data set's words from it, as `veriscene eval` reads the
    run's, so that a reply naming another of the data set's words beside the gold scores 0. A run
    without one (a samples file alone) ships none."""
    found = samples_root(source) / VOCABULARY_FILE
    if to not in SCORED_FORMATS or not found.is_file():
        return
    target = vocabulary_target(out, to)
    if not (target.exists() and target.resolve() == found.resolve()):  # exported into the run folder itself
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(found, tmp)
        os.replace(tmp, target)
    summary.vocabulary_file = target
    summary.files.append(target)


def _export_to_url(source: Path, url: str, to: str, *, image_root: str | Path | None, embed_images: bool,
                   storage_options: dict[str, Any] | None, progress: Callable[[int], None] | None,
                   allow_incomplete: bool, **options: Any) -> ExportSummary:
    """Export into a temporary local folder, then upload its files under `url` (a file's URL, or
    a folder's, as for a local `out`), holding the lease beside `url` from before the first sample
    is read until the upload has ended (`remote_lock.Lease`, released however the export ends).
    Image paths are absolute unless `image_root` is given."""
    from veriscene.engine.fetch import join_url, url_folder
    from veriscene.engine.remote import RemoteRun, filesystem, upload_folder
    from veriscene.engine.remote_lock import Lease

    url = url.rstrip("/")
    fs, root = filesystem(url, storage_options, "exporting to")  # a store fsspec cannot write: said with the URL
    name = url.split("://", 1)[1].rsplit("/", 1)[-1]
    into_folder = not names_file(name, to)
    base = url if into_folder else url_folder(url)
    with RemoteRun(base, None, storage_options) as target:  # no bucket, no right to write: said before the work
        target.check_writable()
    if image_root is None:  # paths relative to a temporary folder would mean nothing
        options["absolute_paths"] = True
    with tempfile.TemporaryDirectory(prefix="veriscene-export-") as tmp:
        lease = Lease(fs, root, url, tmp, beside=True)
        lease.acquire(EXPORT)  # RunLockedError while another export writes `url`
        try:
            summary = export(source, Path(tmp) if into_folder else Path(tmp) / name, to, image_root=image_root,
                             embed_images=embed_images, progress=progress, allow_incomplete=allow_incomplete,
                             **options)
            lease.check()  # taken over meanwhile (this machine stalled): the URL is another export's now
            upload_folder(tmp, base, storage_options)
        finally:
            lease.release()
        summary.files = [join_url(base, Path(f).relative_to(tmp).as_posix()) for f in summary.files]
        if summary.vocabulary_file is not None:
            summary.vocabulary_file = join_url(base, Path(summary.vocabulary_file).relative_to(tmp).as_posix())
    summary.out = url
    if image_root is None:
        summary.image_root = None
    return summary
