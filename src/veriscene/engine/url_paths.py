"""Places named by URL: telling a URL (``s3://...``, ``gs://...``, ``memory://...``) from a local
path, fsspec's file system for a URL, where a run at a URL is staged on this machine, and URLs of
files relative to a folder's.

Used by writing runs to a URL (`engine.remote`) and reading from one (`engine.fetch`), which
import these names too (they were defined there first).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from veriscene.errors import MissingExtra

STAGING_ENV = "VERISCENE_STAGING"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class RemoteError(RuntimeError):
    """The URL cannot be reached or written: missing package, bucket, credentials or network."""


class RemotePackageMissing(RemoteError, MissingExtra):
    """fsspec, or the package of the URL's storage (s3fs, gcsfs, adlfs), is not installed: a
    RemoteError and a missing extra (`errors.MissingExtra`), so the commands exit 2 on it, before
    any work, as on every other optional package. `note`: what else the message says (the packages
    of other stores); with no `extra` (a store no extra of ours installs: gs://, az://), the message
    is `what` and `note` alone."""

    def __init__(self, what: str, extra: str = "s3", packages: str = "fsspec, s3fs", note: str = "") -> None:
        MissingExtra.__init__(self, what, extra, packages)
        self.note = note
        self.msg = f"{self.msg if extra else what}{note}"  # ImportError's str is its msg
        self.args = (self.msg,)

    def __reduce__(self) -> tuple[Any, ...]:
        return RemotePackageMissing, (self.what, self.extra, self.packages, self.note)


def is_url(out: str | os.PathLike[str]) -> bool:
    """Whether `out` names a place by URL (``s3://...``, ``gs://...``, ``memory://...``) rather than a
    local folder. ``file://`` URLs are local folders (`local_path`)."""
    if not isinstance(out, str):
        return False
    match = _SCHEME.match(out)
    return match is not None and match.group(1).lower() != "file"


def local_path(out: str | os.PathLike[str]) -> Path:
    """The local folder `out` names: a path, or a ``file://`` URL."""
    if isinstance(out, str) and out.lower().startswith("file://"):
        return Path(out[len("file://"):])
    return Path(out)


def default_staging(url: str) -> Path:
    """Where a run at `url` is made unless told: a folder of `VERISCENE_STAGING` (default
    ``~/.cache/veriscene/staging``) named after the URL, the same on every machine."""
    url = url.rstrip("/")
    base = os.environ.get(STAGING_ENV) or str(Path.home() / ".cache" / "veriscene" / "staging")
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", url.split("://", 1)[1].strip("/"))[-60:].strip("_")
    return Path(base) / f"{readable}-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def filesystem(url: str, storage_options: dict[str, Any] | None, doing: str = "writing a run to") -> tuple[Any, str]:
    """fsspec's file system for `url` and the path in it; a RemoteError saying what to install
    when fsspec or the store's package is missing. `doing` names the use, for messages."""
    try:
        import fsspec
    except ImportError:
        raise RemotePackageMissing(f"{doing} {url}", note="; for gs:// or az://, fsspec with gcsfs or adlfs") from None
    try:
        fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    except ImportError as exc:  # fsspec knows the protocol, its package is not installed
        if url.startswith("s3://"):
            raise RemotePackageMissing(f"{doing} {url}", note=f" ({exc})") from None
        raise RemotePackageMissing(f"{doing} {url}", extra="", packages="", note=f": {exc}") from None
    except ValueError as exc:  # an unknown protocol
        raise RemoteError(f"{doing} {url}: {exc}") from None
    return fs, root.rstrip("/")


def url_folder(url: str) -> str:
    """The URL of the folder holding the file at `url` (paths in its scenes are relative to it)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{posixpath.dirname(rest)}"


def join_url(folder: str, path: str) -> str:
    """`path` (relative, or a URL itself) under the folder URL `folder`."""
    if is_url(path):
        return path
    scheme, rest = folder.split("://", 1)
    return f"{scheme}://{posixpath.normpath(posixpath.join(rest, path))}"
