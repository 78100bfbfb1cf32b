"""Files at URLs read many at a time, `IMAGE_THREADS` requests at once: images that samples
name by URL (samples made from scenes read from a URL), their bytes to embed in an export
(`read_urls`), whether they exist (`check_urls`), or their local copies to send to a model or show
(`fetch_files`, cached as `fetch_file` caches). A file that cannot be had maps to its error; the
others are still read.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from veriscene.engine import remote
from veriscene.engine.downloads import IMAGE_THREADS, _call, fetch_file
from veriscene.engine.url_paths import RemoteError, is_url

T = TypeVar("T")


def _each(urls: Iterable[str], read: Callable[[str], T], threads: int,
          progress: Callable[[int, int], None] | None = None) -> dict[str, T | Exception]:
    """`read(url)` for each distinct URL, `threads` at a time; a URL that cannot be read maps to
    its error (FileNotFoundError when it does not exist, RemoteError otherwise). `progress(done,
    total)` is called as each URL is done."""
    distinct = list(dict.fromkeys(urls))
    done, lock = [0], threading.Lock()

    def one(url: str) -> T | Exception:
        try:
            return read(url)
        except (FileNotFoundError, IsADirectoryError, RemoteError) as exc:
            return exc
        finally:
            if progress is not None:
                with lock:
                    done[0] += 1
                    progress(done[0], len(distinct))

    if len(distinct) <= 1:
        return {url: one(url) for url in distinct}
    with ThreadPoolExecutor(max_workers=min(threads, len(distinct)), thread_name_prefix="veriscene-fetch") as pool:
        return dict(zip(distinct, pool.map(one, distinct)))


def image_urls(records: Iterable[Any]) -> list[str]:
    """The images sample records name by URL, each once, in order (records that are not objects,
    and images without a path, are passed over: their readers report them)."""
    urls = []
    for record in records:
        images = record.get("images") if isinstance(record, dict) else None
        for image in images if isinstance(images, list) else ():
            if isinstance(image, dict) and is_url(str(image.get("path") or "")):
                urls.append(str(image["path"]))
    return list(dict.fromkeys(urls))


def read_url(url: str, storage_options: dict[str, Any] | None = None) -> bytes:
    """The bytes of the file at `url` (read whole, not kept on disk)."""
    fs, path = remote.filesystem(url, storage_options, "reading")
    return bytes(_call(url, "cannot read", fs.cat_file, path))


def read_urls(urls: Iterable[str], storage_options: dict[str, Any] | None = None,
              threads: int = IMAGE_THREADS) -> dict[str, bytes | Exception]:
    """The bytes of the files at `urls` (images to embed), `threads` requests at a time; a file
    that cannot be read maps to its error."""
    return _each(urls, partial(read_url, storage_options=storage_options), threads)


HEAD_BYTES = 65536  # read of an image at a URL to see its header (EXIF orientation, colour profile)


def read_head(url: str, storage_options: dict[str, Any] | None = None, size: int = HEAD_BYTES) -> bytes:
    """The first `size` bytes of the file at `url` (all of it when shorter: one ranged request),
    where an image's header is (its EXIF orientation and colour profile come before its pixels)."""
    fs, path = remote.filesystem(url, storage_options, "reading")
    try:
        return bytes(_call(url, "cannot read", partial(fs.cat_file, start=0, end=size), path))
    except RemoteError as exc:
        if isinstance(exc.__cause__, IsADirectoryError):  # (as `url_exists` says it)
            raise FileNotFoundError(f"{url} is a folder, not a file") from None
        raise


def read_heads(urls: Iterable[str], storage_options: dict[str, Any] | None = None,
               threads: int = IMAGE_THREADS) -> dict[str, bytes | Exception]:
    """The first `HEAD_BYTES` of the files at `urls` (`read_head` each: images an export names by
    URL, to check that they exist and what their headers say), `threads` requests at a time; a
    file that cannot be read maps to its error (FileNotFoundError when it does not exist)."""
    return _each(urls, partial(read_head, storage_options=storage_options), threads)


def url_exists(url: str, storage_options: dict[str, Any] | None = None) -> bool:
    """True when the file at `url` exists (one request, its metadata: nothing is downloaded);
    FileNotFoundError when it does not, RemoteError when the store cannot be asked."""
    fs, path = remote.filesystem(url, storage_options, "reading")
    info = _call(url, "cannot read", fs.info, path)
    if info.get("type") == "directory":
        raise FileNotFoundError(f"{url} is a folder, not a file")
    return True


def check_urls(urls: Iterable[str], storage_options: dict[str, Any] | None = None,
               threads: int = IMAGE_THREADS) -> dict[str, bool | Exception]:
    """Whether the files at `urls` exist (`url_exists` each: images an export names by URL),
    `threads` requests at a time; a file that does not maps to FileNotFoundError."""
    return _each(urls, partial(url_exists, storage_options=storage_options), threads)


def fetch_files(urls: Iterable[str], storage_options: dict[str, Any] | None = None,
                threads: int = IMAGE_THREADS, progress: Callable[[int, int], None] | None = None,
                ) -> dict[str, Path | Exception]:
    """The local copies of the files at `urls` (`fetch_file` each: images to show or send to a
    model), `threads` at a time; a file that cannot be had maps to its error. `progress(done,
    total)` is called as each file is had (or not)."""
    return _each(urls, partial(fetch_file, storage_options=storage_options), threads, progress)
