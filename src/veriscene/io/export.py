"""Export a generation run (a folder with samples.jsonl) to a trainer's format.

    summary = export("runs/demo", "out/llava.json", to="llava")
    summary = export("runs/demo", "out/hf", to="hf", embed_images=True)

Image paths in samples.jsonl are relative to the run folder (or absolute). In the export they are
written relative to `image_root`, by default the folder receiving the export (the parent of an
output file such as out/llava.json, or the output directory itself, e.g. out/hf):

    written = os.path.relpath(run_dir / sample_path, image_root)     (POSIX separators, ".." kept)

so a trainer that joins its image folder with each path finds the files when that folder is
`image_root`. `absolute_paths=True` writes absolute paths instead. Every referenced image is
checked; missing ones are counted and listed (first few) in the summary and never stop the export.
Lines of samples.jsonl that are not valid JSON objects are skipped and reported the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from veriscene.io.writers import write
from veriscene.io.writers.common import MAX_LISTED, ExportSummary

SAMPLES_FILE = "samples.jsonl"


def samples_path(run_dir: str | Path) -> Path:
    """run_dir/samples.jsonl, or run_dir itself when it is a .jsonl file."""
    run_dir = Path(run_dir)
    path = run_dir if run_dir.is_file() else run_dir / SAMPLES_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no samples file; expected a generation run folder holding {SAMPLES_FILE}"
        )
    return path


def read_samples(path: Path, errors: list[str]) -> Iterator[dict[str, Any]]:
    """Stream sample records from a JSONL file; bad lines go to `errors` ("file:line: reason")."""
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                errors.append(f"{path}:{number}: not valid JSON ({exc})")
                continue
            if not isinstance(record, dict):
                errors.append(
                    f"{path}:{number}: expected a JSON object, got {type(record).__name__}"
                )
                continue
            yield record


def export(
    run_dir: str | Path,
    out: str | Path,
    to: str,
    *,
    image_root: str | Path | None = None,
    embed_images: bool = False,
    **options: Any,
) -> ExportSummary:
    """Export `run_dir/samples.jsonl` to `out` in format `to` (see veriscene.io.writers.WRITERS).

    `options` go to the writer (e.g. absolute_paths, mc_style, dataset_name, split, file_format).
    """
    source = samples_path(run_dir)
    bad_lines: list[str] = []
    summary = write(
        read_samples(source, bad_lines),
        out,
        to,
        image_root=image_root,
        sample_root=source.parent,
        embed_images=embed_images,
        **options,
    )
    if bad_lines:
        summary.samples_skipped += len(bad_lines)
        summary.errors = (bad_lines + summary.errors)[:MAX_LISTED]
    return summary
