"""Writers: sample records out to the formats trainers read.

    write(samples, out, "llava")          LLaVA conversation JSON            (llava.py)
    write(samples, out, "sharegpt")       ShareGPT + dataset_info.json entry (sharegpt.py)
    write(samples, out, "parquet")        Parquet, images as paths or bytes  (parquet.py)
    write(samples, out, "hf")             datasets.save_to_disk folder       (hf_datasets.py)
    write(samples, out, "trl")            TRL prompt/completion JSONL/parquet (trl.py)
    write(samples, out, "verl")           verl RL parquet                    (verl.py)
    write(samples, out, "jsonl")          veriscene samples, paths rebased   (jsonl.py)
    write(samples, out, "lmms_eval")      lmms-eval task folder, scored by program (lmms_eval.py)

`out` naming a file with the format's suffix (".json", ".parquet", ".jsonl") writes that file;
any other `out` is a directory that receives the format's default file name ("hf" always writes a
directory). Image paths: see `veriscene.io.writers.common`. Every writer streams: samples are
consumed one at a time and written in batches. Format-specific keyword options (e.g. `mc_style`,
`dataset_name`, `split`, `file_format`, `batch_rows`) are passed through `**options`.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from veriscene.io.writers.common import ExportSummary, ImageResolver
from veriscene.io.writers.hf_datasets import write_hf
from veriscene.io.writers.jsonl import write_jsonl
from veriscene.io.writers.llava import write_llava
from veriscene.io.writers.lmms_eval import write_lmms_eval
from veriscene.io.writers.parquet import write_parquet
from veriscene.io.writers.sharegpt import write_sharegpt
from veriscene.io.writers.text import answer_text
from veriscene.io.writers.trl import write_trl
from veriscene.io.writers.verl import write_verl

# writer(samples, out, summary, images, **options) -> None; fills `summary`
Writer = Callable[..., None]

WRITERS: dict[str, Writer] = {}
EMBEDDING_FORMATS = ("parquet", "hf", "trl", "verl", "lmms_eval")  # formats that can hold image bytes
ALWAYS_EMBED = ("hf", "lmms_eval")  # a saved `datasets` folder stores image bytes (see hf_datasets.py)


def register_writer(name: str, writer: Writer) -> None:
    if name in WRITERS:
        raise ValueError(f"a writer named {name!r} is already registered")
    WRITERS[name] = writer


for _name, _writer in (
    ("llava", write_llava),
    ("sharegpt", write_sharegpt),
    ("parquet", write_parquet),
    ("hf", write_hf),
    ("trl", write_trl),
    ("verl", write_verl),
    ("jsonl", write_jsonl),
    ("lmms_eval", write_lmms_eval),
):
    register_writer(_name, _writer)


def get_writer(fmt: str) -> Writer:
    try:
        return WRITERS[fmt]
    except KeyError:
        close = difflib.get_close_matches(str(fmt), WRITERS, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise KeyError(
            f"unknown export format {fmt!r}{hint} (known: {', '.join(sorted(WRITERS))})"
        ) from None


def writer_options(fmt: str) -> tuple[str, ...]:
    """The keyword options a format accepts through `write(..., **options)`."""
    params = inspect.signature(get_writer(fmt)).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


def output_folder(out: Path, fmt: str) -> Path:
    """The folder an export writes into (the default image_root)."""
    out = Path(out)
    return out if fmt in ("hf", "lmms_eval") or not out.suffix else out.parent


def write(
    samples: Iterable[dict[str, Any]],
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
    """Write `samples` (sample record dicts) to `out` in format `fmt`.

    image_root      paths are written relative to it (default: the output folder)
    sample_root     what relative paths in the records are relative to (default: current dir)
    embed_images    store image bytes (formats in EMBEDDING_FORMATS only; "hf" always does);
                    images named by URL (s3://...) are read from the store, many at a time
    absolute_paths  write absolute paths instead of paths relative to image_root
    check_urls      without embedding, ask the store whether each image named by URL exists
                    (one metadata request per image, many at a time; missing ones are counted)
    Bad records are skipped and missing images reported in the returned summary, never raised.
    """
    writer = get_writer(fmt)
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
    root = Path(image_root) if image_root is not None else output_folder(out, fmt)
    summary = ExportSummary(format=fmt, out=out, image_root=root)
    images = ImageResolver(
        summary,
        sample_root=Path(sample_root) if sample_root is not None else None,
        embed=embed_images or fmt in ALWAYS_EMBED,
        absolute_paths=absolute_paths,
        check_urls=check_urls,
    )
    writer(images.prefetch(samples) if images.embed or check_urls else samples, out, summary, images, **options)
    return summary


__all__ = [
    "EMBEDDING_FORMATS",
    "WRITERS",
    "ExportSummary",
    "answer_text",
    "get_writer",
    "register_writer",
    "write",
    "writer_options",
]
