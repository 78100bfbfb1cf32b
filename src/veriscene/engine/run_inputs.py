"""A run's input files: counted, described for the manifest and for the workers (by URL for a
file read from one), and the notes a run gives about what it did not read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from veriscene.engine import fetch, remote
from veriscene.engine.manifest import file_sha256
from veriscene.engine.shards import InputFile
from veriscene.scene.inputs import input_errors, open_scenes, scene_paths


def count_lines(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> int:
    """Scenes (non-blank lines) in a scene file, compressed or not, or in the files of an input
    (`veriscene.scene.inputs.scene_paths`)."""
    paths = scene_paths(path)
    with input_errors(paths), open_scenes(paths) as fh:
        return sum(1 for line in fh if line.strip())


def _folder_notes(given: Sequence[str | os.PathLike[str]], paths: list[Path]) -> list[str]:
    """A note for each folder given whose other files were not read (annotation files, say)."""
    notes = []
    read = set(paths)
    for item in given:
        folder = Path(item)
        if not folder.is_dir():
            continue
        others = sorted(p.name for p in folder.iterdir() if p.is_file() and p not in read and not p.name.startswith("."))
        if others:
            notes.append(f"{folder}: read its scene files (*.jsonl, compressed or not), not its {len(others)} other "
                         f"file(s) ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); to convert annotation "
                         "files from it, pass --from auto")
    return notes


def _format_notes(paths: list[Path]) -> list[str]:
    """For a run that read no scene from its input: a note for each file (of the first few) that
    looks like annotations of another format, saying to convert it (`--from auto`)."""
    from veriscene.io.readers.detect import FormatDetectionError, detect

    notes = []
    for path in paths[:5]:
        try:
            fmt, reason = detect(path)
        except (FormatDetectionError, OSError, ValueError):
            continue
        if fmt != "veriscene_jsonl":
            notes.append(f"{path}: no scene was read from it as veriscene JSONL; it looks like {fmt} annotations "
                         f"({reason}): pass --from auto (or --from {fmt}) to convert it")
    return notes


def _inputs_config(paths: list[Path], out_dir: Path, absolute: bool = False,
                   sources: dict[Path, str] | None = None) -> dict[str, str] | list[dict[str, str]]:
    """The manifest's record of the input: path (relative to the run folder; with `absolute`,
    absolute unless it lies in the run folder, as a converted input does; the URL of a file read
    from one, `sources`) and sha256 of its file, or a list of them for several files
    (`manifest.scene_inputs` reads either)."""
    def where(path: Path) -> str:
        path, run = path.resolve(), out_dir.resolve()
        if sources and path in sources:
            return sources[path]
        return str(path) if absolute and not path.is_relative_to(run) else os.path.relpath(path, run)

    files = [{"path": where(p), "sha256": file_sha256(p)} for p in paths]
    return files[0] if len(files) == 1 else files


def _said_with_urls(exc: Exception, paths: list[Path], sources: dict[Path, str]) -> Exception:
    """`exc` with the local copies of inputs given by URL named by their URLs (itself if none is named)."""
    text = str(exc)
    for path in paths:
        url = sources.get(path.resolve())
        if url is not None:
            text = text.replace(str(path.resolve()), url).replace(str(path), url)
    if text == str(exc):
        return exc
    try:
        return type(exc)(text)
    except TypeError:  # an error type built from other arguments: said as a ValueError
        return ValueError(text)


def _input_file(path: Path, first_line: int, sources: dict[Path, str]) -> InputFile:
    """What the workers need of an input file: its name in reports and the folder its image
    paths are relative to (the URL's folder for a file read from a URL)."""
    url = sources.get(path.resolve())
    if url is not None:
        return InputFile(url, fetch.url_folder(url), first_line)
    return InputFile(str(path), str(path.parent.resolve()), first_line)


def _urls(scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The inputs given by URL."""
    items = [scenes] if isinstance(scenes, (str, os.PathLike)) else list(scenes)
    return [str(item) for item in items if remote.is_url(item)]
