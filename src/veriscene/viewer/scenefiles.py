"""Scene files browsed alone (before any sample is generated from them): which paths are scene
files, and one `SceneRow` per scene of them to list.

Re-exported by `veriscene.viewer.catalog`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

import orjson

from veriscene.scene.compressed import READ_ERRORS, jsonl_files, open_scene_file, read_errors
from veriscene.viewer.entries import Problem, SceneRow


def is_scene_file(path: Path) -> bool:
    """Whether `path` is a veriscene scenes file (its first record has `image_id` and `objects`,
    and no `task`)."""
    if not path.is_file():
        return False
    try:
        with open_scene_file(path) as fh:  # compressed or not
            first = next((line for line in fh if line.strip()), None)
        record = orjson.loads(first) if first is not None else None
    except (*READ_ERRORS, orjson.JSONDecodeError):
        return False
    return isinstance(record, dict) and "image_id" in record and "objects" in record and "task" not in record


def scene_files_alone(path: Path) -> list[Path] | None:
    """The scene files to browse alone (before generating) at `path`: a scenes file, or a folder
    of them that holds no run (no manifest.json); None if it is neither."""
    if path.is_dir():
        if (path / "manifest.json").exists():
            return None
        files = jsonl_files(path)
        return files if files and is_scene_file(files[0]) else None
    return [path] if is_scene_file(path) else None


def read_scene_rows(files: Sequence[Path], limit: int) -> tuple[list[SceneRow], list[Problem], bool]:
    """One row per scene of `files` (the first `limit`; 0: all), the lines that are not scene
    records, and whether `limit` cut the list short."""
    rows: list[SceneRow] = []
    problems: list[Problem] = []
    several = len(files) > 1
    for file in files:
        name = file.name if several else ""
        with read_errors(file), open_scene_file(file) as fh:  # a file cut short: named, not "Aborted."
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                if limit and len(rows) >= limit:
                    return rows, problems, True
                try:
                    record = orjson.loads(line)
                    objects = record["objects"]
                    names = Counter(str(o.get("name", "?")) for o in objects)
                    rows.append(SceneRow(number, str(record["image_id"]), len(objects),
                                         len(record.get("relations") or []),
                                         ", ".join(f"{n} {name}" for name, n in sorted(names.items())), name))
                except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    where = f"{name}: " if several else ""
                    problems.append(Problem(number, f"{where}not a scene record: {exc!r}"[:200]))
    return rows, problems, False
