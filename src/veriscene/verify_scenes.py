"""Where `verify` finds a run's scene graphs: the scene files a run reads, and each image's scene.

`resolve_inputs` names the files (the run's manifest, or files given); `SceneIndex` finds an
image's scene line by seeking into them; `SceneLookup` turns image ids into an execution context
over their parsed scenes, keeping the scenes parsed last (`ParsedScenes`). The viewer's catalog
uses the same lookup. Re-exported by `veriscene.verify`.
"""

from __future__ import annotations

import bisect
import os
import tempfile
from array import array
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import orjson

from veriscene.category_sets import record_set_names
from veriscene.engine import fetch
from veriscene.engine.manifest import input_file, scene_inputs
from veriscene.engine.scan import stable_hash
from veriscene.errors import DataError, SceneValidationError
from veriscene.program.context import ExecutionContext
from veriscene.scene.compressed import compression
from veriscene.scene.depth_maps import anchored
from veriscene.scene.inputs import input_errors, open_scenes, scene_items, scene_paths
from veriscene.scene.jsonl import scene_from_dict
from veriscene.scene.model import Scene
from veriscene.option_names import option

SCENE_CACHE = 5120  # parsed scenes kept (ParsedScenes): generate's default pool of 4,096, and more


def _scenes_from_manifest(run_dir: Path) -> list[Path]:
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{run_dir} has no manifest.json to name its scenes: give the scene file "
                                f"with {option('scenes=', '--scenes FILE')}")
    try:
        return [input_file(run_dir, entry["path"])
                for entry in scene_inputs(orjson.loads(manifest_path.read_bytes())["config"])]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        what = f"not valid JSON ({exc})" if isinstance(exc, orjson.JSONDecodeError) else f"not a run manifest ({exc!r})"
        raise DataError(f"{manifest_path} is {what}, so it names no scenes: give the scene file with "
                        f"{option('scenes=', '--scenes FILE')}") from None


def _scene_file_folder(path: str | os.PathLike[str]) -> str:
    """The folder a scene file's relative paths are read from: its own, or for the local copy of a
    file at a URL (`engine.downloads.source_url`), the URL's folder."""
    from veriscene.engine.downloads import source_url
    from veriscene.engine.url_paths import url_folder

    url = source_url(path)
    return url_folder(url) if url is not None else os.path.dirname(os.path.abspath(path))


def run_version(samples_path: Path) -> str | None:
    """The veriscene version recorded in the manifest of the run holding `samples_path` (a run
    folder or a samples file beside its manifest); None without a readable one."""
    run_dir = samples_path if samples_path.is_dir() else samples_path.parent
    try:
        version = orjson.loads((run_dir / "manifest.json").read_bytes())["config"]["veriscene_version"]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return version if isinstance(version, str) else None


def resolve_inputs(path: str | os.PathLike[str],
                   scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None) -> tuple[Path, list[Path]]:
    """(run folder or samples file, scene files) from a run folder or a samples file; `scenes`
    overrides the files the run's manifest names (a file, or several: `veriscene.scene.inputs`).
    Runs, samples and scene files at a URL are read through local copies (`engine.fetch`)."""
    path = fetch.readable(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    run_dir = path if path.is_dir() else path.parent
    if scenes is None:
        files = _scenes_from_manifest(run_dir)
        for file in files:
            if not file.exists():
                raise FileNotFoundError(f"scenes file {file} does not exist")
        return path, files
    return path, scene_paths(fetch.fetch_scenes(scene_items(scenes))[0])  # TypeError for a number


def merged_categories(*parts: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """set id -> the union of the names the parts give it."""
    found: dict[str, set[str]] = {}
    for part in parts:
        for set_id, names in part.items():
            found.setdefault(set_id, set()).update(names)
    return {k: frozenset(v) for k, v in found.items()}


def run_categories(samples_path: Path) -> dict[str, list[str]]:
    """The closed category lists of the run holding `samples_path` (a run folder, or a samples
    file beside its files): the ``category_sets`` of its vocabulary.json, which `generate`
    gave its programs; none without a readable one. Any name there is a category of its set (a
    name of one of its scenes, or of the list a scene carried), so adding them to what the
    scene files give can only let a program answer what it answered when the run was made."""
    run_dir = samples_path if samples_path.is_dir() else samples_path.parent
    try:
        sets = orjson.loads((run_dir / "vocabulary.json").read_bytes()).get("category_sets")
    except (OSError, orjson.JSONDecodeError, AttributeError):
        return {}
    if not isinstance(sets, dict):
        return {}
    return {k: [n for n in v if isinstance(n, str)] for k, v in sets.items() if isinstance(k, str) and isinstance(v, list)}


def no_scenes_message(paths: Sequence[str | os.PathLike[str]]) -> str:
    """Why scene files that hold lines but no scene (no JSON object with an image_id) are refused,
    naming them, and, for one file of annotations in another format (the COCO file a run was
    converted from, given as --scenes), how to convert it. Every sample would otherwise be
    reported "no scene of ID in the scene files", the file's fault unsaid."""
    from veriscene.io.readers.detect import FormatDetectionError, detect

    named = ", ".join(str(p) for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    text = f"{named}: no scene in the scene file{'s' * (len(paths) > 1)} given (no JSON line with an image_id)"
    if len(paths) == 1:
        try:
            fmt, reason = detect(paths[0])
        except (FormatDetectionError, OSError, ValueError):
            fmt, reason = "veriscene_jsonl", ""
        if fmt != "veriscene_jsonl":
            return (f"{text}: not veriscene scene JSONL; it looks like {fmt} annotations ({reason}): give the scene "
                    f"file converted from it (veriscene convert {paths[0]} --out scenes.jsonl), as generate read it")
    return f"{text}: give the veriscene scene JSONL the samples were made from"


class SceneIndex:
    """image id -> the lines of its scene, by seeking into the scene files.

    One pass records a 64-bit hash of every image id with its line offset (16 bytes per scene), so
    scenes are found without the data set held in memory. The same pass collects the names of
    closed category lists (`categories`: set id -> names, as the scan of `generate` records them,
    `category_sets.record_set_names`), which programs read on scenes of one (COCO).
    """

    def __init__(self, path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> None:
        paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        self._paths = paths
        hashes, offsets = array("Q"), array("q")
        offset = 0
        # set id -> the names of its scenes and the list a scene carries (``meta["category_set"]``)
        self.categories: dict[str, set[str]] = {}
        # a compressed file cannot be seeked in, nor several read as one: their lines are copied
        # to a temporary file as read
        copy = tempfile.TemporaryFile() if len(paths) > 1 or compression(paths[0]) is not None else None
        content = False  # a line other than blank read: a file of no scene is then the wrong file
        with input_errors(paths), open_scenes(paths) as fh:
            for line in fh:  # (`fh.raw` of several files learns where each starts: `spans`)
                start, offset = offset, offset + len(line)
                if copy is not None:
                    copy.write(line)
                content = content or bool(line.strip())
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(record, dict) and "image_id" in record:
                    hashes.append(stable_hash(str(record["image_id"])))
                    offsets.append(start)
                    meta = record.get("meta")
                    if isinstance(meta, dict) and meta.get("category_set") is not None:
                        objects = record.get("objects")
                        names = [o.get("name") for o in objects if isinstance(o, dict)] if isinstance(objects, list) else []
                        record_set_names(self.categories, meta, [n for n in names if isinstance(n, str)])
            spans = fh.raw.spans if len(paths) > 1 else []  # type: ignore[attr-defined]  # (a SceneStream)
        if content and not hashes:
            if copy is not None:
                copy.close()
            raise DataError(no_scenes_message(paths))
        # where each file starts in the lines read, and its folder: a scene's depth map path is
        # relative to the folder of its own file (`scene.depth_maps.anchored`), as its image; that
        # of a file read from a URL is the URL's folder (its copy's is the downloads cache)
        self._starts = [span.start for span in spans] or [0]
        self._folders = [_scene_file_folder(p) for p in paths]
        order = np.argsort(np.frombuffer(hashes, dtype=np.uint64), kind="stable") if hashes else np.empty(0, np.int64)
        self._hashes = np.frombuffer(hashes, dtype=np.uint64)[order] if hashes else np.empty(0, np.uint64)
        self._offsets = np.frombuffer(offsets, dtype=np.int64)[order] if offsets else np.empty(0, np.int64)
        if copy is not None:
            copy.flush()
        self._fh = copy if copy is not None else open(paths[0], "rb")

    def lines(self, image_id: str) -> list[bytes]:
        """The lines whose image id hashes as `image_id`'s: its scene's (one, but for a collision
        of 64-bit hashes, or an id given twice), or none."""
        h = np.uint64(stable_hash(image_id))
        k = int(np.searchsorted(self._hashes, h))
        found = []
        while k < len(self._hashes) and self._hashes[k] == h:
            self._fh.seek(int(self._offsets[k]))
            found.append(self._fh.readline())
            k += 1
        return found

    def folder(self, image_id: str) -> str | None:
        """The folder of the scene file holding `image_id`'s scene (None: no scene of it)."""
        h = np.uint64(stable_hash(image_id))
        k = int(np.searchsorted(self._hashes, h))
        if k == len(self._hashes) or self._hashes[k] != h:
            return None
        return self._folders[max(bisect.bisect_right(self._starts, int(self._offsets[k])) - 1, 0)]

    def place(self, image_id: str, line: bytes) -> tuple[str, int] | None:
        """(file, line number) of `line`, one `lines(image_id)` returned, for a message; None when
        several files are read as one (their lines are numbered together). It counts the lines
        before it: for errors only."""
        if len(self._paths) > 1:
            return None
        h = np.uint64(stable_hash(image_id))
        k = int(np.searchsorted(self._hashes, h))
        while k < len(self._hashes) and self._hashes[k] == h:
            offset = int(self._offsets[k])
            self._fh.seek(offset)
            if self._fh.readline() == line:
                self._fh.seek(0)
                return str(self._paths[0]), self._fh.read(offset).count(b"\n") + 1
            k += 1
        return None

    def close(self) -> None:
        self._fh.close()


class ParsedScenes:
    """The scenes parsed last, by their line (so a line changed is parsed anew): multi-image samples
    draw their other images from the run's pool of a few thousand scenes (`pool_size`), so each
    would otherwise parse one to three scenes again. At most `size` are kept."""

    def __init__(self, size: int = SCENE_CACHE) -> None:
        self._scenes: OrderedDict[bytes, Scene | None] = OrderedDict()
        self.size = size

    def find(self, image_id: str, lines: list[bytes]) -> Scene | None:
        """The scene of `image_id` among its candidate lines (None: none is a valid scene of it)."""
        for line in lines:
            if line in self._scenes:
                self._scenes.move_to_end(line)
                scene = self._scenes[line]
            else:
                scene = _parse(line)
                self._scenes[line] = scene
                if len(self._scenes) > self.size:
                    self._scenes.popitem(last=False)
            if scene is not None and scene.image_id == image_id:
                return scene
        return None


def _parse(line: bytes) -> Scene | None:
    try:
        return scene_from_dict(orjson.loads(line))
    except (SceneValidationError, orjson.JSONDecodeError):
        return None


def _fault(line: bytes) -> SceneValidationError | None:
    """Why a scene line (one that has an image id: `SceneIndex` holds no other) is no valid scene;
    None when it is one."""
    try:
        scene_from_dict(orjson.loads(line))
    except SceneValidationError as exc:
        return exc
    return None


class SceneLookup:
    """image ids -> an execution context over their scenes, parsed from the lines of a
    `SceneIndex` (the scene files), or from lines given (`of_lines`: a chunk's scenes, sent to a
    worker with it); the last `cache_size` contexts are kept (a scene's samples are together), and
    the scenes parsed last (`parsed`). `categories`: names of closed category lists (set id ->
    names) for the contexts (`ExecutionContext`), besides those the scene files give
    (`SceneIndex.categories`): a run's vocabulary.json (`run_categories`), or a worker's share."""

    def __init__(self, path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
                 cache_size: int = 64, *, lines: Callable[[str], list[bytes]] | None = None,
                 parsed: ParsedScenes | None = None, categories: Mapping[str, Iterable[str]] | None = None,
                 folders: Callable[[str], str | None] | None = None) -> None:
        self._index = SceneIndex(path) if path is not None else None
        # image id -> the folder of its scene file, which a relative depth map path is read from
        self._folder = self._index.folder if self._index is not None else (folders or (lambda image_id: None))
        # set id -> names, for the scenes of a closed category list (`SceneIndex.in_full` of programs)
        self.categories: dict[str, frozenset[str]] = merged_categories(
            self._index.categories if self._index is not None else {}, categories or {})
        self._lines = self._index.lines if self._index is not None else (lines or (lambda image_id: []))
        self._cache: OrderedDict[str, ExecutionContext | None] = OrderedDict()
        self._cache_size = cache_size
        self._parsed = parsed if parsed is not None else ParsedScenes()

    @classmethod
    def of_lines(cls, scenes: dict[str, list[bytes]], cache_size: int = 64,
                 parsed: ParsedScenes | None = None,
                 categories: Mapping[str, Iterable[str]] | None = None,
                 folders: Mapping[str, str | None] | None = None) -> "SceneLookup":
        """`folders`: image id -> the folder of its scene file (`SceneIndex.folder`)."""
        return cls(cache_size=cache_size, lines=lambda image_id: scenes.get(image_id, []), parsed=parsed,
                   categories=categories, folders=(folders or {}).get)

    def context(self, image_ids: list[str]) -> ExecutionContext | None:
        """An execution context over these images (None if one is missing or invalid)."""
        key = "\x00".join(image_ids)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        scenes = [self._parsed.find(i, self._lines(i)) for i in image_ids]
        scenes = [anchored(s, self._folder(i)) if s is not None and s.depth_map is not None else s
                  for s, i in zip(scenes, image_ids)]
        ctx = (ExecutionContext([s for s in scenes if s is not None], categories=self.categories)
               if all(s is not None for s in scenes) else None)
        self._cache[key] = ctx
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return ctx

    def why_missing(self, image_ids: Sequence[str]) -> str:
        """Why `context(image_ids)` is None, for a message: the first image without a scene in the
        scene files, or whose scene line is no valid scene ("FILE, line N, field F: reason")."""
        for image_id in image_ids:
            lines = self._lines(image_id)
            if not lines:
                return f"no scene of {image_id} in the scene files"
            if self._parsed.find(image_id, lines) is None:
                fault = next((f for f in map(_fault, lines) if f is not None), None)
                if fault is None:  # a line of another id (a hash collision) or a scene of other id
                    return f"no scene of {image_id} in the scene files"
                where = self._index.place(image_id, lines[0]) if self._index is not None else None
                return f"the scene of {image_id} is not valid: {fault.located(*where) if where else fault}"
        return f"no valid scene for {list(image_ids)}"

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
