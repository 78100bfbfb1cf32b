"""Parquet of sample records (pyarrow), images as paths or embedded bytes.

One row per sample, every record field kept under its own name; fields whose JSON shape varies
between samples are stored as JSON text:

    id, task, family, question, answer_type, template_id   string
    answer, program, meta                                  string (JSON text; json.loads it)
    answer_text                                            string (the assistant target, text.py)
    choices, image_ids                                     list<string> (choices null unless mc)
    images                                                 list<struct<bytes: binary, path: string>>
    generator_version, seed                                int64

`images` uses the Hugging Face Image layout (bytes null unless embedded; path relative to
image_root, see `common`; a null cell for an image that could not be embedded or has no path),
and the file's schema metadata declares it as a list of `Image` features, so
`datasets.load_dataset("parquet", data_files=...)` decodes embedded images directly.
Rows are written in row groups of `batch_rows` (smaller when embedded images are large).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from veriscene.io.writers.arrow import (
    image_cell,
    image_struct_type,
    require_pyarrow,
    with_hf_features,
    write_rows,
)
from veriscene.io.writers.common import (
    ExportSummary,
    ImageRef,
    ImageResolver,
    convert_all,
    dumps,
    int64,
    output_file,
)
from veriscene.io.writers.text import answer_text

DEFAULT_NAME = "samples.parquet"
SUFFIXES = (".parquet",)


def sample_schema() -> Any:
    pa = require_pyarrow()
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("task", pa.string()),
            ("family", pa.string()),
            ("images", pa.list_(image_struct_type())),
            ("image_ids", pa.list_(pa.string())),
            ("question", pa.string()),
            ("answer", pa.string()),
            ("answer_text", pa.string()),
            ("answer_type", pa.string()),
            ("choices", pa.list_(pa.string())),
            ("program", pa.string()),
            ("template_id", pa.string()),
            ("generator_version", pa.int64()),
            ("seed", pa.int64()),
            ("meta", pa.string()),
        ]
    )
    return with_hf_features(schema, image_lists=["images"])


def sample_row(
    sample: dict[str, Any], refs: list[ImageRef], *, embedded: bool, mc_style: str = "letter"
) -> dict[str, Any]:
    """The row of one sample whose images are already resolved (`embedded`: with their bytes)."""
    choices = sample.get("choices")
    row = {
        "id": str(sample["id"]),
        "task": str(sample["task"]),
        "family": str(sample.get("family", "")),
        "images": [image_cell(r, embedded) for r in refs],
        "image_ids": [r.id for r in refs],
        "question": str(sample["question"]),
        "answer": dumps(sample["answer"]),
        "answer_text": answer_text(sample, mc_style=mc_style),
        "answer_type": str(sample["answer_type"]),
        "choices": [str(c) for c in choices] if choices is not None else None,
        "program": dumps(sample.get("program", [])),
        "template_id": str(sample.get("template_id", "")),
        "generator_version": int64(sample, "generator_version"),
        "seed": int64(sample, "seed"),
        "meta": dumps(sample.get("meta") or {}),
    }
    return row


def embedded_bytes(refs: list[ImageRef]) -> int:
    return sum(len(r.data) for r in refs if r.data)


def write_parquet(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    mc_style: str = "letter",
    batch_rows: int = 1000,
    compression: str = "zstd",
) -> None:
    path = output_file(out, DEFAULT_NAME, SUFFIXES)

    def convert(_index: int, sample: dict[str, Any]) -> tuple[dict[str, Any], int]:
        refs = images.resolve_all(sample)
        return sample_row(sample, refs, embedded=images.embed, mc_style=mc_style), embedded_bytes(refs)

    rows = convert_all(samples, summary, convert)
    write_rows(path, sample_schema(), rows, batch_rows=batch_rows, compression=compression)
    summary.files.append(path)
