"""veriscene JSONL: the sample records themselves, with image paths rewritten for a new root.

Every field of the record is kept as is (field names are final); only `images[i]["path"]` changes,
following the path rule in `common`, and each record gains `meta["answer_text"]` when
`with_answer_text=True`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from veriscene.io.writers.common import (
    ExportSummary,
    ImageResolver,
    convert_all,
    output_file,
    write_json_lines,
)
from veriscene.io.writers.text import answer_text

DEFAULT_NAME = "samples.jsonl"
SUFFIXES = (".jsonl",)


def jsonl_record(
    sample: dict[str, Any],
    images: ImageResolver,
    *,
    with_answer_text: bool = False,
    mc_style: str = "letter",
) -> dict[str, Any]:
    refs = images.resolve_all(sample)
    record = dict(sample)
    record["images"] = [{**im, "path": ref.path} for im, ref in zip(sample["images"], refs)]
    if with_answer_text:
        record["meta"] = {
            **(sample.get("meta") or {}),
            "answer_text": answer_text(sample, mc_style=mc_style),
        }
    return record


def write_jsonl(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    with_answer_text: bool = False,
    mc_style: str = "letter",
) -> None:
    path = output_file(out, DEFAULT_NAME, SUFFIXES)
    rows = convert_all(
        samples,
        summary,
        lambda _i, s: jsonl_record(s, images, with_answer_text=with_answer_text, mc_style=mc_style),
    )
    write_json_lines(path, rows)
    summary.files.append(path)
