"""Reading from object storage: scene files given to `generate` by URL, and runs (or samples
files) at a URL read by verify, stats, export, card, eval, view and the RL environment.

- **A file at a URL** (``s3://bucket/scenes.jsonl.zst``, a samples file) is downloaded once into a
  local cache, `VERISCENE_DOWNLOADS` (default ``~/.cache/veriscene/downloads``), and again only
  when the object changes: the store's size and ETag (or modification time) are kept beside the
  copy. Readers then read the local copy, which is what a run's workers need anyway (the input is
  read twice, and by byte ranges).
- **A folder or a pattern at a URL** (``s3://bucket/scenes/``, ``s3://bucket/part-*.jsonl.zst``)
  gives its scene files by name, as a local folder or pattern does.
- **An annotation input at a URL** (`generate --from FORMAT`, `convert`): one file, or a folder
  (label maps, DICOM series, a ProVision folder) copied whole (`fetch_folder`) and again only
  for the files that changed; files and folders reader options name by URL (`labels=`,
  `image_data=`, `panoptic_root=`, ...) the same way (`fetch_options`).
- **A run at a URL** (a folder holding ``manifest.json``) is read from its staging folder,
  `remote.default_staging(url)`, the folder ``generate --out URL`` makes it in: a run made on
  this machine is read where it is, with nothing downloaded; a run made elsewhere is downloaded
  there once, and again only when the URL's manifest changes. Only a finished run is read from a
  URL (a run still going has no final files there yet).
- **Images at a URL** (samples made from scenes read from a URL name their images by URL) are
  read many at a time where a command needs them: their bytes to embed in an export
  (`read_urls`), their local copies to send to a model or show (`fetch_files`, cached as files
  are).

Credentials are fsspec's, as for writing (`veriscene.engine.remote`).

Downloading one file into the cache is in `engine.downloads`, reading many files at URLs at once
in `engine.fetch_many`, URL names in `engine.url_paths`; their names are imported here too, so
they stay importable from this module.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path, PurePosixPath
from functools import partial
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Sequence

import orjson

from veriscene.engine import remote
from veriscene.engine.downloads import (
    DOWNLOADS_ENV, IMAGE_THREADS, Progress, _call, _callback, _download, _version, download_folder, fetch_file,
)
from veriscene.engine.fetch_many import _each, check_urls, fetch_files, image_urls, read_url, read_urls, url_exists
from veriscene.engine.run_lock import is_lock_file
from veriscene.engine.url_paths import RemoteError, default_staging, is_url, join_url, local_path, url_folder

__all__ = [
    # defined here
    "KEPT_OPTIONS", "WRITTEN_OPTIONS", "fetch_folder", "fetch_input", "fetch_options", "fetch_run", "fetch_scenes",
    "readable", "scene_urls",
    # moved to `downloads`
    "DOWNLOADS_ENV", "IMAGE_THREADS", "Progress", "_call", "_callback", "_download", "_version", "download_folder",
    "fetch_file",
    # moved to `fetch_many`
    "_each", "check_urls", "fetch_files", "image_urls", "read_url", "read_urls", "url_exists",
    # moved to `url_paths`
    "join_url", "url_folder",
    # imported here before the split, kept importable for callers that took them from here
    "RemoteError", "default_staging", "is_url", "local_path",
]

_SCENE_FILE = re.compile(r"\.jsonl(\.(gz|zst|bz2|xz))?$")


def fetch_folder(url: str, storage_options: dict[str, Any] | None = None, progress: Progress | None = None,
                 threads: int = IMAGE_THREADS) -> Path:
    """The local copy of the folder at `url` with all it holds (an annotation set kept as a folder:
    label maps, DICOM series, a ProVision folder, COCO's panoptic PNGs), in `download_folder(url)`
    under the folder's own name. A file is downloaded, `threads` at a time, unless its copy is of
    the same object (the folder's record beside the copy, `<name>.source.json`, keeps each file's
    size and ETag or modification time); files the folder no longer holds are removed from the
    copy. `progress(url, bytes done, bytes in all)` is called as files arrive."""
    fs, path = remote.filesystem(url, storage_options, "reading")
    fs.invalidate_cache()  # s3fs keeps listings: the folder may have changed since
    url = url.rstrip("/")
    found = _call(url, "cannot list", partial(fs.find, detail=True), path)
    files = {_relative(name, path): info for name, info in found.items() if info.get("type") != "directory"}
    unsafe = sorted(rel for rel in files if ".." in PurePosixPath(rel).parts or rel.startswith("/"))
    if unsafe:  # an object named ../x would be written outside the copy
        raise ValueError(f"{url} holds files named outside it ({', '.join(unsafe[:3])}): not copied")
    if not files:
        if not _call(url, "cannot read", fs.isdir, path):
            raise FileNotFoundError(f"{url} does not exist")
        raise FileNotFoundError(f"{url} is an empty folder")
    target = download_folder(url) / PurePosixPath(path).name
    record = target.with_name(target.name + ".source.json")
    try:
        earlier = orjson.loads(record.read_bytes()) if record.is_file() else {}
    except orjson.JSONDecodeError:
        earlier = {}  # cut short: every file checked again
    known = earlier.get("files", {}) if isinstance(earlier, dict) and earlier.get("url") == url else {}
    versions = {rel: _version(info) for rel, info in files.items()}
    wanted = [rel for rel in sorted(files) if not (known.get(rel) == versions[rel]
                                                    and _has(target / PurePosixPath(rel), versions[rel][0]))]
    if target.is_dir():
        _clear(target, set(files), ledger=None)
    have = {rel: versions[rel] for rel in set(files) - set(wanted)}  # what the copy holds, recorded
    total, lock = sum(v[0] for v in versions.values()), threading.Lock()
    done = [sum(v[0] for v in have.values())]

    def one(rel: str) -> None:
        _download(fs, join_url(url, rel), f"{path}/{rel}", target / PurePosixPath(rel))
        with lock:
            have[rel] = versions[rel]
            done[0] += versions[rel][0]
            if progress is not None:
                progress(url, done[0], total)

    try:
        if wanted:
            with ThreadPoolExecutor(max_workers=max(1, min(threads, len(wanted))),
                                    thread_name_prefix="veriscene-fetch") as pool:
                list(pool.map(one, wanted))
    finally:  # a download that failed: the files done are not downloaded again
        target.mkdir(parents=True, exist_ok=True)
        record.write_bytes(orjson.dumps({"url": url, "files": dict(sorted(have.items()))}))
    return target


def _relative(found: str, folder: str) -> str:
    """The path of `found`, a file the listing of `folder` gave, inside that folder."""
    found, folder = found.split("://", 1)[-1].strip("/"), folder.split("://", 1)[-1].strip("/")
    return found[len(folder):].lstrip("/") if found.startswith(folder + "/") else PurePosixPath(found).name


def fetch_input(url: str, storage_options: dict[str, Any] | None = None, progress: Progress | None = None) -> Path:
    """The local copy of a file (`fetch_file`) or a folder (`fetch_folder`) at `url`: an annotation
    input, or a file or folder a reader option names."""
    fs, path = remote.filesystem(url, storage_options, "reading")
    fs.invalidate_cache()
    if _call(url, "cannot read", fs.isdir, path):
        return fetch_folder(url, storage_options, progress)
    return fetch_file(url, storage_options, progress=progress)


# reader options naming a file or folder that is not read but kept (image_root: the images are
# named by URL) or written (slice_images)
KEPT_OPTIONS = ("image_root",)
WRITTEN_OPTIONS = ("slice_images",)


def fetch_options(options: dict[str, Any], storage_options: dict[str, Any] | None = None,
                  progress: Progress | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Reader options with each file or folder given by URL (labels=s3://..., image_data=...,
    panoptic_root=...) replaced by its local copy (`fetch_input`), and for each option replaced,
    its URL. `image_root` stays a URL (the scenes then name their images by URL); an option the
    reader writes to (`slice_images`) cannot be a URL (ValueError)."""
    local, urls = dict(options), {}
    for key, value in options.items():
        if not isinstance(value, (str, os.PathLike)) or not is_url(value) or key in KEPT_OPTIONS:
            continue
        if key in WRITTEN_OPTIONS:
            raise ValueError(f"{key} is a folder the reader writes to: give a local folder, not {value}")
        local[key] = fetch_input(str(value), storage_options, progress)
        urls[key] = str(value)
    return local, urls


def scene_urls(url: str, storage_options: dict[str, Any] | None = None) -> list[str]:
    """The scene files a URL names: itself (a file), a folder's JSONL files (compressed or not)
    by name, or a pattern's matches by name."""
    fs, path = remote.filesystem(url, storage_options, "reading")
    fs.invalidate_cache()  # s3fs keeps listings (a pattern's folder too): objects may have changed since
    protocol = url.split("://", 1)[0]

    def full(found: str) -> str:
        found = found.split("://", 1)[-1]
        return f"{protocol}://{found}" if protocol != "memory" else f"memory://{found.lstrip('/')}"

    if any(c in path for c in "*?["):
        matches = sorted(p for p in _call(url, "cannot list", fs.glob, path) if _call(url, "cannot read", fs.isfile, p))
        if not matches:
            raise FileNotFoundError(f"no file matches {url}")
        return [full(p) for p in matches]
    if not _call(url, "cannot read", fs.exists, path):
        raise FileNotFoundError(f"scene file {url} does not exist")
    if _call(url, "cannot read", fs.isdir, path):
        files = sorted(p for p in _call(url, "cannot list", fs.ls, path, False) if _SCENE_FILE.search(p))
        if not files:
            raise FileNotFoundError(f"{url} is a folder without scene files (*.jsonl, compressed or not)")
        return [full(p) for p in files]
    return [url]


def fetch_scenes(given: Sequence[str | os.PathLike[str]], storage_options: dict[str, Any] | None = None,
                 progress: Progress | None = None) -> tuple[list[str | os.PathLike[str]], dict[Path, str]]:
    """`given` with each URL replaced by the local copies of the scene files it names
    (`scene_urls`, `fetch_file`, which calls `progress`), and for each copy the URL it is of."""
    items: list[str | os.PathLike[str]] = []
    sources: dict[Path, str] = {}
    for item in given:
        if not is_url(item):
            items.append(local_path(item))
            continue
        for url in scene_urls(str(item), storage_options):
            copy = fetch_file(url, storage_options, progress=progress)
            sources[copy.resolve()] = url
            items.append(copy)
    return items, sources


# ---- runs at a URL ---------------------------------------------------------------------------

def fetch_run(url: str, storage_options: dict[str, Any] | None = None,
              staging: str | os.PathLike[str] | None = None) -> Path:
    """The local folder holding the finished run at `url`: its staging folder (`staging`, default
    `remote.default_staging(url)`), brought up to date with the URL first. Nothing is downloaded
    when the folder's manifest is the URL's and it has every file; when the URL holds another run
    (its manifest differs), the folder is made a copy of it."""
    run = remote.RemoteRun(url, staging, storage_options)
    with run:
        raw = run.manifest_bytes()
        if raw is None and not run.listing():
            raise FileNotFoundError(f"{run.url} does not exist")
        if raw is None:
            raise FileNotFoundError(f"{run.url} holds no run (no manifest.json); give a run folder's URL, or a "
                                    "samples or scenes file's")
        manifest = orjson.loads(raw)
        if manifest.get("status") != "complete":
            raise ValueError(f"the run at {run.url} has not finished (its manifest says {manifest.get('status')!r}); "
                             "a run is read from a URL once it is finished: complete it with generate --resume")
        run.staging.mkdir(parents=True, exist_ok=True)
        run.load_ledger()
        files = run.listing()
        local_manifest = run.staging / remote.MANIFEST
        same = local_manifest.is_file() and local_manifest.read_bytes() == raw
        if not same:
            _clear(run.staging, set(files))
        run.download([rel for rel, size in files.items()
                      if rel != remote.MANIFEST and not _has(run.staging / PurePosixPath(rel), size)])
        if not same:
            run.download([remote.MANIFEST])  # last: a folder with the URL's manifest has all its files
    return run.staging


def _has(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _clear(folder: Path, keep: set[str], ledger: str | None = remote.LEDGER) -> None:
    """Remove what `folder` holds that the URL does not (another run's files), but the `ledger`."""
    for path in sorted(folder.rglob("*"), reverse=True):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel not in keep and path.name != ledger and not is_lock_file(path.name):  # (locks stay)
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def readable(path: str | os.PathLike[str], storage_options: dict[str, Any] | None = None) -> Path:
    """A run folder or samples file to read, as a local path: `path` itself, or for a URL, the
    run it names (`fetch_run`) or the file (`fetch_file`)."""
    if not is_url(path):
        return local_path(path)
    url = str(path).rstrip("/")
    fs, root = remote.filesystem(url, storage_options, "reading")
    if _call(url, "cannot read", fs.isfile, root):
        return fetch_file(url, storage_options)
    return fetch_run(url, storage_options)
