"""lmms-eval task folder: a run's samples as a benchmark lmms-eval runs and scores by program.

    OUT/
      veriscene.yaml              group task: every subtask, accuracy weighted by size
      veriscene_counting.yaml     one subtask per family (or per generator, split_by="task")
      ...
      _default_template_yaml      what the subtasks share (prompt, scoring, metrics)
      utils.py                    doc_to_visual / doc_to_text / process_results (lmms_eval_utils.py)
      data/counting.parquet       the subtask's samples, images embedded

    lmms-eval --model qwen2_5_vl --model_args pretrained=... --include_path OUT --tasks veriscene

Rows are the parquet writer's (`parquet.py`) plus `prompt`, the text `veriscene eval` sends (the
question and its answer-format instruction, `evaluate.prompts`), so both harnesses ask the same
thing and score the reply with the same `veriscene.answers.score_sample`. Metrics: `accuracy`
(exact answers; boxes at IoU >= 0.5), `score` (partial credit: IoU, set credit) and `parse_failure`.
Free-form `text` samples without options are not scored by program and are left out, counted as
skipped. The subtasks' `data_files` are absolute paths (lmms-eval hands them to
`datasets.load_dataset`, which opens a relative one from its working directory, not the YAML's
folder); move the folder and export again, or edit them. For the same reason a task folder is
written on the machine that runs it, never to a URL (`io.export` refuses one). Images are always
embedded (an image that cannot be is a null cell), so the folder runs where the run's image files
are not.

Exporting again into a folder replaces the files an earlier export wrote there: the YAML files
starting with `HEADER` that this export does not write again are removed, with the data files under
`data/` they named. Other files are left alone.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from veriscene.io.writers.arrow import BatchedArrowWriter, require_pyarrow, with_hf_features
from veriscene.io.writers.common import ExportSummary, ImageResolver, OutputError, convert_all, output_dir
from veriscene.io.writers.parquet import embedded_bytes, sample_row, sample_schema

UTILS_SOURCE = Path(__file__).with_name("lmms_eval_utils.py")
TEMPLATE_FILE = "_default_template_yaml"
SPLIT_KEYS = ("family", "task")
TASK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # a task name lmms-eval's --tasks takes (fullmatch)
METRICS = (("accuracy", True), ("score", True), ("parse_failure", False))
SHORT_REPLY_TOKENS = 128  # generation limit of a task asking for the answer alone
LONG_REPLY_TOKENS = 512  # ... of one asking for reasoning too: `veriscene eval --max-tokens`' default
HEADER = "# written by `veriscene export --to lmms_eval`"  # the first line of every YAML file it writes


def task_schema() -> Any:
    """The parquet writer's columns plus `prompt`, images declared as `datasets` Image features."""
    pa = require_pyarrow()
    schema = sample_schema().remove_metadata().append(pa.field("prompt", pa.string()))
    return with_hf_features(schema, image_lists=["images"])


def safe_name(key: str) -> str:
    """`key` with anything but letters, digits and underscores made an underscore."""
    return re.sub(r"[^A-Za-z0-9_]", "_", key)


def subtask_name(task_name: str, key: str) -> str:
    return f"{task_name}_{safe_name(key)}"


def _function(name: str) -> "_Function":
    return _Function(f"utils.{name}")


class _Function(str):
    """A `!function utils.name` reference in the YAML lmms-eval reads."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Function, lambda dumper, value: dumper.represent_scalar("!function", str(value), style=""))


class _Loader(yaml.SafeLoader):
    """Reads back what `_Dumper` wrote (a `!function` reference as its text)."""


_Loader.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def _dump(data: dict[str, Any], path: Path, header: str = "") -> None:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    path.write_text(header + text, encoding="utf-8")


def write_lmms_eval(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    task_name: str = "veriscene",
    split_by: str = "family",
    max_new_tokens: int | None = None,
    prompts: Any = None,
    batch_rows: int = 256,
    compression: str = "zstd",
) -> None:
    """Write the task folder `out` (see the module docstring). `prompts`: a PromptSet, a dict or
    the path of a JSON file, as `veriscene eval --prompts` takes (default: veriscene's).
    `max_new_tokens`: the tasks' generation limit; default `SHORT_REPLY_TOKENS`, or, for prompts
    that ask for more than the answer (a `request`: "reasoning"'s think block), `LONG_REPLY_TOKENS`,
    `veriscene eval --max-tokens`' default (a think block cut at 128 tokens leaves no answer)."""
    from veriscene.evaluate.prompts import load_prompts

    if split_by not in SPLIT_KEYS:
        raise ValueError(f"split_by must be one of {SPLIT_KEYS}, got {split_by!r}")
    if not TASK_NAME.fullmatch(task_name):
        raise ValueError(f"task_name must be letters, digits and underscores, starting with a letter: {task_name!r}")
    prompt_set = load_prompts(prompts)
    if max_new_tokens is None:
        max_new_tokens = LONG_REPLY_TOKENS if prompt_set.request else SHORT_REPLY_TOKENS
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a whole number of at least 1, got {max_new_tokens!r}")
    if prompt_set.system:  # a task has no place for one: lmms-eval takes one system message per run
        summary.warnings.append(
            f"the prompts' system message {prompt_set.system!r} (sent by `veriscene eval --prompts`) is in no task: "
            f"lmms-eval sends one for a whole run, given as `--system_instruction {shlex.quote(prompt_set.system)}`; "
            "without it the two harnesses ask differently")
    out = Path(out)
    if out.suffix in (".yaml", ".yml", ".json", ".parquet"):
        raise OutputError(f"{out}: lmms_eval writes a task folder; give a folder, not a file")
    output_dir(out, "a folder (lmms_eval writes a task folder)")
    data_dir = output_dir(out / "data")
    schema = task_schema()
    writers: dict[str, BatchedArrowWriter] = {}
    counts: dict[str, int] = {}

    def convert(_index: int, sample: dict[str, Any]) -> tuple[str, dict[str, Any], int]:
        if sample["answer_type"] == "text" and not sample.get("choices"):
            raise ValueError(f"sample {sample.get('id', '?')}: a free-form description is not scored by program "
                             "(only its multiple-choice form goes to lmms-eval)")
        refs = images.resolve_all(sample)
        row = sample_row(sample, refs, embedded=True)
        row["prompt"] = prompt_set.text(sample)
        return str(sample.get(split_by) or "other"), row, embedded_bytes(refs)

    names: dict[str, str] = {}  # key -> its file and subtask name, distinct even where keys differ only in
    # characters made underscores ("a.b" and "a_b")
    try:
        for key, row, nbytes in convert_all(samples, summary, convert):
            if key not in writers:
                name, n = safe_name(key), 1
                while name in names.values():
                    n += 1
                    name = f"{safe_name(key)}_{n}"
                names[key] = name
                writers[key] = BatchedArrowWriter(data_dir / f"{name}.parquet", schema,
                                                  batch_rows=batch_rows, compression=compression)
                counts[key] = 0
            writers[key].add(row, nbytes)
            counts[key] += 1
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    for writer in writers.values():
        writer.close()

    template = {
        "dataset_path": "parquet",
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_visual": _function("doc_to_visual"),
        "doc_to_text": _function("doc_to_text"),
        "doc_to_target": _function("doc_to_target"),
        "generation_kwargs": {"max_new_tokens": max_new_tokens, "temperature": 0, "do_sample": False},
        "process_results": _function("process_results"),
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": hib} for m, hib in METRICS],
        "lmms_eval_specific_kwargs": {"default": {"pre_prompt": "", "post_prompt": ""}},
        "metadata": {"version": 1.0, "exported_by": "veriscene"},
    }
    earlier = earlier_files(out)
    header = f"{HEADER}; run with: lmms-eval --include_path <this folder>\n"
    _dump(template, out / TEMPLATE_FILE, header)
    subtasks = []
    for key in sorted(writers):
        name = f"{task_name}_{names[key]}"
        subtasks.append(name)
        _dump({"include": TEMPLATE_FILE, "task": name,
               "dataset_kwargs": {"data_files": {"test": str(writers[key].path.resolve())}},
               "metadata": {"version": 1.0, "samples": counts[key], split_by: key}},
              out / f"{name}.yaml", header)
    _dump({"group": task_name, "task": subtasks,
           "aggregate_metric_list": [{"metric": m, "aggregation": "mean", "weight_by_size": True} for m, _ in METRICS],
           "metadata": {"version": 1.0, "samples": sum(counts.values())}},
          out / f"{task_name}.yaml", header)
    shutil.copyfile(UTILS_SOURCE, out / "utils.py")
    summary.files += [out / f"{task_name}.yaml", out / TEMPLATE_FILE, out / "utils.py"]
    summary.files += [out / f"{n}.yaml" for n in subtasks] + [writers[k].path for k in sorted(writers)]
    remove_stale(earlier, [Path(f) for f in summary.files])


def earlier_files(out: Path) -> list[Path]:
    """The files an earlier lmms_eval export wrote in `out`, as far as they can be told: its YAML
    files (first line `HEADER`) and the data files under `out/data` they name."""
    found: list[Path] = []
    for path in sorted(out.glob("*.yaml")) + [out / TEMPLATE_FILE]:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if text.startswith(HEADER):
            found += [path, *_data_files(text, out / "data")]
    return found


def _data_files(text: str, data_dir: Path) -> list[Path]:
    """The data files under `data_dir` a subtask's YAML `text` names (`dataset_kwargs.data_files`)."""
    try:
        task = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return []
    kwargs = task.get("dataset_kwargs") if isinstance(task, dict) else None
    files = kwargs.get("data_files") if isinstance(kwargs, dict) else None
    if not isinstance(files, dict):
        return []
    paths = [Path(f) for f in files.values() if isinstance(f, str)]
    return [p for p in paths if p.suffix == ".parquet" and p.resolve().parent == data_dir.resolve()]


def remove_stale(earlier: list[Path], written: list[Path]) -> None:
    """Remove the files of an earlier export that this one did not write again."""
    kept = {f.resolve() for f in written}
    for path in earlier:
        if path.resolve() not in kept:
            path.unlink(missing_ok=True)
