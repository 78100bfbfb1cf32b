"""Writers: sample records out to the formats trainers read.

    write(samples, out, "llava")          LLaVA conversation JSON            (llava.py)
    write(samples, out, "sharegpt")       ShareGPT + dataset_info.json entry (sharegpt.py)
    write(samples, out, "parquet")        Parquet, images as paths or bytes  (parquet.py)
    write(samples, out, "hf")             DatasetDict save_to_disk folder, split=train (hf_datasets.py)
    write(samples, out, "trl")            TRL prompt/completion JSONL/parquet; with turns=N, SFT messages (trl.py)
    write(samples, out, "verl")           verl RL parquet                    (verl.py)
    write(samples, out, "jsonl")          veriscene samples, paths rebased   (jsonl.py)
    write(samples, out, "lmms_eval")      lmms-eval task folder, scored by program (lmms_eval.py)

`out` naming a file with the format's own suffix (`LAYOUTS`: ".json" for llava, ".parquet" for
parquet, ...) writes that file; any other `out` is a directory that receives the format's default
file name, even one with a dot in its name (`out/v1.0`). "hf" and "lmms_eval" always write a
directory. Image paths: see `veriscene.io.writers.common`. Every writer streams: samples are
consumed one at a time and written in batches. Format-specific keyword options (e.g. `mc_style`,
`dataset_name`, `split`, `file_format`, `batch_rows`) are passed through `**options`.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from veriscene.io.writers import jsonl, llava, parquet, sharegpt, trl, verl
from veriscene.io.writers.common import ExportSummary, ImageResolver
from veriscene.io.writers.files import check_folders
from veriscene.io.writers.marked import MARKED_FOLDER
from veriscene.io.writers.arrow import require_pyarrow
from veriscene.io.writers.hf_datasets import require_datasets, write_hf
from veriscene.io.writers.lmms_eval import write_lmms_eval
from veriscene.io.writers.records import GENERATED_QUESTION
from veriscene.io.writers.text import answer_text, check_mc_style, check_system, letter_text_question
from veriscene.sample import Sample
from veriscene.option_names import option

# writer(samples, out, summary, images, **options) -> None; fills `summary`
Writer = Callable[..., None]


@dataclass(frozen=True)
class OutputLayout:
    """Where a format writes: `out` ending in one of `suffixes` is the file written, any other
    `out` a folder receiving one of `names` (no names: the folder is the output, as for hf)."""

    suffixes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


WRITERS: dict[str, Writer] = {}
LAYOUTS: dict[str, OutputLayout] = {}
EMBEDDING_FORMATS = ("parquet", "hf", "trl", "verl", "lmms_eval")  # formats that can hold image bytes
ALWAYS_EMBED = ("hf", "lmms_eval")  # a saved `datasets` folder stores image bytes (see hf_datasets.py)
# formats whose readers open a path in their `images` column relative to the folder they run in
# (`datasets` decoding an Image feature, verl's loader), not to the file holding it
PATH_RELATIVE_TO_READER = ("parquet", "trl", "verl")
# formats whose records hold chat messages with a place for a system message (`system=`)
SYSTEM_FORMATS = ("sharegpt", "trl", "verl")
_NO_SYSTEM = {  # why the others have none
    "llava": "LLaVA's trainer takes the system message from its conversation template (--version); its "
             "conversations hold human and gpt turns only",
    "parquet": "its rows are a question and an answer, not chat messages",
    "hf": "its rows are a question and an answer, not chat messages",
    "jsonl": "its records must stay the samples their ids hash",
    "lmms_eval": "a benchmark's prompts are its task's (--prompts FILE with a 'system')",
}


def check_system_format(fmt: str, system: Any) -> None:
    """ValueError for a system message asked of a format without a place for one, or not text."""
    if system is None:
        return
    if fmt not in SYSTEM_FORMATS:
        raise ValueError(f"a system message is for {', '.join(SYSTEM_FORMATS)}, not {fmt} "
                         f"({_NO_SYSTEM.get(fmt, 'it has no system message')})")
    check_system(system)


def relative_paths_warning(root: Path, fmt: str) -> str:
    """What a `fmt` export writing image paths relative to `root` warns: its readers resolve them
    against their own working folder, so they open the images only when run from `root`."""
    return (f"image paths in this {fmt} export are relative to {root}, but `datasets` and verl open them "
            f"relative to the folder they run in: they find the images only when run from {root}. Store the "
            f"images in the file with {option('embed_images=True', '--embed-images')}, or write absolute paths with "
            f"{option('absolute_paths=True', '--absolute-paths')}")


# Formats whose rows are scored by veriscene's rewards: what their accuracy reward does with a
# free-form description, and how the free-form reward (`veriscene.rewards.freeform`) is given
UNREWARDED = {"trl": ("accuracy_reward gives them None (format_reward alone would score them)",
                      "add make_freeform_reward(RUN) from veriscene.rewards to the reward functions"),
              "verl": ("compute_score gives them score 0.0 with applicable False, whatever the reply",
                       "give compute_score the run: +custom_reward_function.reward_kwargs.run_dir=RUN")}


class FreeformCount:
    """Counts the free-form descriptions (`text` answers without options) of the records it passes on."""

    def __init__(self) -> None:
        self.n = 0

    def passed(self, records: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        for record in records:
            if record.get("answer_type") == "text" and not record.get("choices"):
                self.n += 1
            yield record

    def warning(self, fmt: str) -> str | None:
        """What an RL export of descriptions should know: the accuracy reward does not score them;
        the free-form reward does, given the run they were made from."""
        if not self.n or fmt not in UNREWARDED:
            return None
        accuracy, how = UNREWARDED[fmt]
        sft = " (SFT trains on them as on any other target)" if fmt == "trl" else ""
        return (f"{self.n} sample(s) are free-form descriptions (text answers without options){sft}: {accuracy}. "
                f"Reward them with the free-form reward, the combined score veriscene eval gives them against the "
                f"run's scene graphs ({how}, RUN being the run folder exported; docs/rewards.md), or leave them "
                "out of RL data (generate without the caption and description generators, or drop the rows whose "
                "answer_type is 'text' and choices null)")


def register_writer(name: str, writer: Writer, layout: OutputLayout = OutputLayout()) -> None:
    if name in WRITERS:
        raise ValueError(f"a writer named {name!r} is already registered")
    WRITERS[name] = writer
    LAYOUTS[name] = layout


for _name, _writer, _layout in (
    ("llava", llava.write_llava, OutputLayout(llava.SUFFIXES, (llava.DEFAULT_NAME,))),
    ("sharegpt", sharegpt.write_sharegpt, OutputLayout(sharegpt.SUFFIXES, (sharegpt.DEFAULT_NAME,))),
    ("parquet", parquet.write_parquet, OutputLayout(parquet.SUFFIXES, (parquet.DEFAULT_NAME,))),
    ("hf", write_hf, OutputLayout()),
    ("trl", trl.write_trl, OutputLayout(trl.SUFFIXES, trl.DEFAULT_NAMES)),
    ("verl", verl.write_verl, OutputLayout(verl.SUFFIXES, (verl.DEFAULT_NAME,))),
    ("jsonl", jsonl.write_jsonl, OutputLayout(jsonl.SUFFIXES, (jsonl.DEFAULT_NAME,))),
    ("lmms_eval", write_lmms_eval, OutputLayout()),
):
    register_writer(_name, _writer, _layout)


def get_writer(fmt: str) -> Writer:
    try:
        return WRITERS[fmt]
    except KeyError:
        close = difflib.get_close_matches(str(fmt), WRITERS, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise KeyError(
            f"unknown export format {fmt!r}{hint} (known: {', '.join(sorted(WRITERS))})"
        ) from None


# the optional libraries a format always writes with (trl needs pyarrow only for its parquet files)
_LIBRARIES: dict[str, tuple[Callable[[], Any], ...]] = {
    "parquet": (require_pyarrow,), "verl": (require_pyarrow,), "lmms_eval": (require_pyarrow,),
    "hf": (require_pyarrow, require_datasets),
}


def check_libraries(fmt: str) -> None:
    """Raise `errors.MissingExtra` when a library format `fmt` writes with is not installed: said
    before a run or an export starts, not when its writer opens."""
    for need in _LIBRARIES.get(fmt, ()):
        need()


def writer_options(fmt: str) -> tuple[str, ...]:
    """The keyword options a format accepts through `write(..., **options)`."""
    params = inspect.signature(get_writer(fmt)).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


def names_file(out: str | Path, fmt: str) -> bool:
    """Whether `out` is the file a `fmt` export writes (it ends in one of the format's own
    suffixes, the rule `common.output_file` follows), not the folder receiving it."""
    get_writer(fmt)
    return Path(out).suffix.lower() in LAYOUTS[fmt].suffixes


def output_folder(out: str | Path, fmt: str) -> Path:
    """The folder an export writes into (the default image_root)."""
    out = Path(out)
    return out.parent if names_file(out, fmt) else out


def planned_outputs(out: str | Path, fmt: str) -> list[Path]:
    """What a `fmt` export to `out` may write, nothing created: the file `out` names, the default
    file names in the folder `out`, or the folder itself for folder formats (hf, lmms_eval)."""
    out = Path(out)
    names = LAYOUTS[fmt].names if not names_file(out, fmt) else ()
    return [out / name for name in names] if names else [out]


def write(
    samples: Iterable[dict[str, Any] | Sample],
    out: str | Path,
    fmt: str,
    *,
    image_root: str | Path | None = None,
    sample_root: str | Path | None = None,
    embed_images: bool = False,
    absolute_paths: bool = False,
    check_urls: bool = False,
    **options: Any,
) -> ExportSummary:
    """Write `samples` (sample record dicts, or `veriscene.Sample`s) to `out` in format `fmt`.

    image_root      paths are written relative to it (default: the output folder)
    sample_root     what relative paths in the records are relative to (default: current dir)
    embed_images    store image bytes (formats in EMBEDDING_FORMATS only; "hf" always does);
                    images named by URL (s3://...) are read from the store, many at a time
    absolute_paths  write absolute paths instead of paths relative to image_root (parquet, trl and
                    verl exports that write relative paths warn: `datasets` and verl open them
                    relative to the folder they run in, not to the export's)
    check_urls      without embedding, ask the store whether each image named by URL exists
                    (one metadata request per image, many at a time; missing ones are counted)
    Bad records are skipped and missing images reported in the returned summary, never raised;
    bad options (an unknown `mc_style`, `absolute_paths` with an `image_root`) raise ValueError
    before anything is written, as does an `out` under an existing file (OutputError); a library
    the format needs and that is not installed raises `errors.MissingExtra` then too.
    """
    writer = get_writer(fmt)
    check_libraries(fmt)
    if absolute_paths and image_root is not None:
        raise ValueError("absolute_paths and image_root exclude each other: absolute paths are relative to nothing")
    if "mc_style" in options:
        check_mc_style(options["mc_style"])
    check_system_format(fmt, options.get("system"))
    if embed_images and fmt not in EMBEDDING_FORMATS:
        raise ValueError(
            f"format {fmt!r} references images by path and cannot embed them; "
            f"embed_images works with {', '.join(EMBEDDING_FORMATS)}"
        )
    allowed = writer_options(fmt)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(
            f"unknown option(s) {unknown} for format {fmt!r}; it accepts {list(allowed)}"
        )
    out = Path(out)
    check_folders(out)  # a file above `out`, where a folder must be: said before anything is written
    root = None if absolute_paths else Path(image_root) if image_root is not None else output_folder(out, fmt)
    summary = ExportSummary(format=fmt, out=out, image_root=root)
    images = ImageResolver(
        summary,
        sample_root=Path(sample_root) if sample_root is not None else None,
        embed=embed_images or fmt in ALWAYS_EMBED,
        absolute_paths=absolute_paths,
        check_urls=check_urls,
        marked_folder=output_folder(out, fmt) / MARKED_FOLDER,  # copies of images with marks drawn (by path)
    )
    records: Iterable[dict[str, Any]] = (s.to_dict() if isinstance(s, Sample) else s for s in samples)  # (from Python)
    if options.get("mc_style") == "letter_text":  # the question asks for what the target gives: "B. red"
        records = (letter_text_question(r, GENERATED_QUESTION) if isinstance(r, dict) else r for r in records)
    described = FreeformCount()
    if fmt in UNREWARDED and (options.get("turns") or 1) == 1:  # (a trl conversation of N > 1 turns is for SFT)
        records = described.passed(records)
    writer(images.prefetch(records) if images.embed or check_urls else records, out, summary, images, **options)
    if described.warning(fmt) is not None:
        summary.warnings.append(str(described.warning(fmt)))
    reencoded = images.reencoded_warning()
    if reencoded is not None:
        summary.warnings.append(reencoded)
    summary.warnings.extend(images.by_path_warnings())
    marked = images.marked.note()
    if marked is not None:
        summary.warnings.append(marked)
    # relative paths written: references that were neither embedded nor named by URL
    relative = summary.images_referenced - summary.images_embedded - summary.images_at_urls
    if fmt in PATH_RELATIVE_TO_READER and root is not None and not images.embed and relative > 0:
        summary.warnings.append(relative_paths_warning(root, fmt))
    return summary


__all__ = [
    "EMBEDDING_FORMATS",
    "LAYOUTS",
    "SYSTEM_FORMATS",
    "WRITERS",
    "ExportSummary",
    "OutputLayout",
    "answer_text",
    "check_libraries",
    "check_system_format",
    "get_writer",
    "names_file",
    "output_folder",
    "planned_outputs",
    "register_writer",
    "write",
    "writer_options",
]
