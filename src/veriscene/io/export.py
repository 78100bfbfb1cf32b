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

from veriscene.engine.runfiles import sample_lines, samples_root
from veriscene.engine.fetch import readable
from veriscene.io.writers import write
from veriscene.io.writers.common import MAX_LISTED, ExportSummary

def read_samples(path: Path, errors: list[str]) -> Iterator[dict[str, Any]]:
    """Stream sample records of a run folder or samples file; bad lines go to `errors`
    ("file:line: reason")."""
    for number, line in sample_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            errors.append(f"{path}:{number}: not valid JSON ({exc})")
            continue
        if not isinstance(record, dict):
            errors.append(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
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
    """Export a run's samples (`run_dir/samples.jsonl`, its zstd shards, or a samples file) to
    `out` in format `to` (see veriscene.io.writers.WRITERS).

    `options` go to the writer (e.g. absolute_paths, mc_style, dataset_name, split, file_format).
    """
    source = readable(run_dir)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such run folder or samples file")
    bad_lines: list[str] = []
    summary = write(
        read_samples(source, bad_lines),
        out,
        to,
        image_root=image_root,
        sample_root=samples_root(source),
        embed_images=embed_images,
        **options,
    )
    if bad_lines:
        summary.samples_skipped += len(bad_lines)
        summary.errors = (bad_lines + summary.errors)[:MAX_LISTED]
    return summary
