"""Downloading a file at a URL into the local cache (`VERISCENE_DOWNLOADS`, default
``~/.cache/veriscene/downloads``), again only when the object changes: its size and ETag (or
modification time), as the store reports them, are kept beside the copy.

`fetch_file` is the one download; `engine.fetch` (folders, scene files, runs) and
`engine.fetch_many` (many files at once) are built on it.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import orjson

from veriscene.engine import remote
from veriscene.engine.url_paths import RemoteError, default_staging

DOWNLOADS_ENV = "VERISCENE_DOWNLOADS"
IMAGE_THREADS = 16  # files at URLs read at once (each is a request to the store)
# what the store says of an object that changes when it is replaced (S3, GCS, Azure, local, memory)
_VERSION_KEYS = ("ETag", "etag", "md5Hash", "content_settings", "LastModified", "mtime", "last_modified", "created")


def download_folder(url: str) -> Path:
    """Where a file at `url` is kept: a folder of `VERISCENE_DOWNLOADS` (default
    ``~/.cache/veriscene/downloads``) named after the URL, holding the file under its own name."""
    base = os.environ.get(DOWNLOADS_ENV) or str(Path.home() / ".cache" / "veriscene" / "downloads")
    return Path(base) / default_staging(url).name


def _version(info: dict[str, Any]) -> list[Any]:
    """The size and the version marks of an object, as the store reports them (JSON-safe)."""
    marks = [str(info[key]) for key in _VERSION_KEYS if info.get(key) is not None]
    return [int(info.get("size") or 0), *marks]


# progress(url, bytes done, bytes in all) as a file is downloaded
Progress = Callable[[str, int, int], None]


def _callback(url: str, progress: Progress | None) -> Any:
    """An fsspec callback calling `progress` as the download goes (None: fsspec's default)."""
    from fsspec.callbacks import Callback

    if progress is None:
        return Callback.as_callback(None)
    report: Progress = progress

    class Shown(Callback):
        def call(self, *args: Any, **kwargs: Any) -> None:
            report(url, int(self.value), int(self.size or 0))

    return Shown()


def fetch_file(url: str, storage_options: dict[str, Any] | None = None, folder: str | os.PathLike[str] | None = None,
               progress: Progress | None = None) -> Path:
    """The local copy of the file at `url`, downloaded unless the copy in `folder` (default
    `download_folder(url)`) is of the same object (same size and ETag or modification time).
    `progress(url, done, total)` is called with bytes as it downloads."""
    fs, path = remote.filesystem(url, storage_options, "reading")
    fs.invalidate_cache(path)  # s3fs keeps what it listed: the object may have been replaced since
    info = _call(url, "cannot read", fs.info, path)
    if info.get("type") == "directory":
        raise IsADirectoryError(f"{url} is a folder, not a file")
    target = Path(folder) if folder is not None else download_folder(url)
    local = target / PurePosixPath(path).name
    stamp = local.with_name(local.name + ".source.json")
    version = _version(info)
    if local.is_file() and stamp.is_file() and local.stat().st_size == version[0]:
        try:
            if orjson.loads(stamp.read_bytes()) == {"url": url, "version": version}:
                return local
        except orjson.JSONDecodeError:
            pass  # cut short: downloaded again
    _download(fs, url, path, local, _callback(url, progress))
    stamp.write_bytes(orjson.dumps({"url": url, "version": version}))
    return local


def source_url(local: str | os.PathLike[str]) -> str | None:
    """The URL a local file is the copy of (`fetch_file`'s stamp beside it), else None: a scene
    file's copy reads the paths in it (depth maps) relative to its folder at the URL."""
    stamp = Path(local).with_name(Path(local).name + ".source.json")
    try:
        url = orjson.loads(stamp.read_bytes()).get("url")
    except (OSError, orjson.JSONDecodeError, AttributeError):
        return None
    return url if isinstance(url, str) else None


def _download(fs: Any, url: str, path: str, local: Path, callback: Any | None = None) -> None:
    """The object at `path` (`url`) into `local`, through a temporary file renamed at the end."""
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f"{local.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        _call(url, "cannot download", partial(fs.get_file, callback=callback or _callback(url, None)), path, str(tmp))
        os.replace(tmp, local)
    finally:
        tmp.unlink(missing_ok=True)


def _call(url: str, what: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except FileNotFoundError:
        raise FileNotFoundError(f"{url} does not exist") from None
    except Exception as exc:  # noqa: BLE001 - any store's error, said with the URL
        raise RemoteError(f"{what} {url}: {type(exc).__name__}: {exc}") from exc
