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

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.runfiles import reported, sample_lines, samples_root
from veriscene.engine.fetch import readable
from veriscene.engine.remote import is_url, local_path
from veriscene.io.writers import output_folder, write
from veriscene.io.writers.common import MAX_LISTED, ExportSummary

PROGRESS_EVERY = 1000  # samples read between calls of an export's `progress`


def read_samples(path: Path, errors: list[str],
                 progress: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
    """Stream sample records of a run folder or samples file; bad lines go to `errors`
    ("file:line: reason"); `progress(n)` is called with the lines read, 1,000 at a time."""
    for number, line in reported(sample_lines(path), progress, PROGRESS_EVERY):
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
    check_urls: bool = False,
    storage_options: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    **options: Any,
) -> ExportSummary:
    """Export a run's samples (`run_dir/samples.jsonl`, its zstd shards, or a samples file) to
    `out` in format `to` (see veriscene.io.writers.WRITERS).

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
    """
    source = readable(run_dir, storage_options)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such run folder or samples file")
    if is_url(out):
        return _export_to_url(source, str(out), to, image_root=image_root, embed_images=embed_images,
                              storage_options=storage_options, progress=progress, check_urls=check_urls, **options)
    out = local_path(out)
    bad_lines: list[str] = []
    summary = write(
        read_samples(source, bad_lines, progress),
        out,
        to,
        image_root=image_root,
        sample_root=samples_root(source),
        embed_images=embed_images,
        check_urls=check_urls,
        **options,
    )
    if bad_lines:
        summary.samples_skipped += len(bad_lines)
        summary.errors = (bad_lines + summary.errors)[:MAX_LISTED]
    return summary


def _export_to_url(source: Path, url: str, to: str, *, image_root: str | Path | None, embed_images: bool,
                   storage_options: dict[str, Any] | None, progress: Callable[[int], None] | None,
                   **options: Any) -> ExportSummary:
    """Export into a temporary local folder, then upload its files under `url` (a file's URL, or
    a folder's, as for a local `out`). Image paths are absolute unless `image_root` is given."""
    from veriscene.engine.fetch import join_url, url_folder
    from veriscene.engine.remote import RemoteRun, filesystem, upload_folder

    url = url.rstrip("/")
    filesystem(url, storage_options, "exporting to")  # a store fsspec cannot write: said with the URL
    name = url.split("://", 1)[1].rsplit("/", 1)[-1]
    into_folder = output_folder(Path(name), to) == Path(name)
    base = url if into_folder else url_folder(url)
    with RemoteRun(base, None, storage_options) as target:  # no bucket, no right to write: said before the work
        target.check_writable()
    if image_root is None:  # paths relative to a temporary folder would mean nothing
        options["absolute_paths"] = True
    with tempfile.TemporaryDirectory(prefix="veriscene-export-") as tmp:
        summary = export(source, Path(tmp) if into_folder else Path(tmp) / name, to, image_root=image_root,
                         embed_images=embed_images, progress=progress, **options)
        upload_folder(tmp, base, storage_options)
        summary.files = [join_url(base, Path(f).relative_to(tmp).as_posix()) for f in summary.files]
    summary.out = url
    if image_root is None:
        summary.image_root = None
    return summary
