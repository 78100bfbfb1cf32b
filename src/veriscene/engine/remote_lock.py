"""One writer per URL, across machines: a lease object at the run's URL.

`engine.run_lock` locks a URL on this machine only (an flock on a local file): two machines
writing one URL, or two runs on one machine with different `VERISCENE_STAGING`, would replace each
other's shards. So a run at a URL also holds a *lease*: the object `LEASE` under the URL, made
before the run writes anything there, with a write that fails when the object exists already
(S3's ``PutObject`` with ``If-None-Match: *``, through s3fs's ``pipe_file(mode="create")``).
It records the holder (host, pid, start time, command, staging folder) and how long it lives
without being refreshed (`seconds`, `LEASE_ENV`, default `DEFAULT_SECONDS`).

- **Refreshed** by a daemon thread every `seconds / 4`, not at each shard upload: a run may go
  far longer than its lease between two uploads (its scan of the input, a shard of large scenes,
  merging the shards at the end). On S3 each refresh is a compare-and-swap (``If-Match`` on the
  ETag of the lease this run wrote), so a run whose lease was taken over learns it instead of
  writing over the new holder's; it then stops at its next upload (`check`) with RunLockedError.
- **Refused**: a run finding a live lease raises `run_lock.RunLockedError` naming the holder;
  `--overwrite` does not override it (it replaces a finished or interrupted run, not a running one).
- **Stale**: a lease not refreshed for longer than its `seconds` (a run killed by ``kill -9``, a
  machine lost: nothing released it) is taken over with a warning. Its age is measured on the
  store's clock (the modification time of the lease against that of an object written just
  then), so machines whose clocks differ do not disagree. A lease of this machine (same host
  name and boot) whose process is gone is taken over at once: a ``--resume`` after ``kill -9``
  does not wait.
- **Released** as the run ends, done or failed or interrupted (Ctrl-C): removed if it is still
  this run's (on S3 a delete with ``If-Match``).

The lease is not a run file: `engine.remote` leaves it out of the URL's listing (so it is never
downloaded, cleared, verified or resumed from), and it is never written in the staging folder.

An output written whole to a URL (an export: a file, or the folder of an hf export) is leased
*beside* it, as `engine.run_lock.lock_file` locks a local one (`Lease(..., beside=True)`): the
object `lease_name(its name)` in the folder holding it (``s3://b/exports/.veriscene-lease.hf.json``
for ``s3://b/exports/hf``), so that the lease is never part of what is exported, and two exports
to two files of one folder do not stop each other. (An export folder at a bucket's root, which
has no folder beside it, holds its lease in it while it is written.)

Stores: S3 through s3fs (AWS S3, and S3-like stores that honour ``If-None-Match`` and ``If-Match``;
one that answers them 501 gets no lease, warned; one that ignores them cannot be told apart)
with compare-and-swap; ``memory://`` (one process) with exclusive create, refreshed by comparing
its bytes. Any other store (gs://, az://, http, ...) has no lease: the run goes on as before,
locked on this machine only, with a warning once per process.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import warnings
from datetime import datetime
from typing import Any

import orjson

from veriscene.engine.run_lock import RunKind, RunLockedError, _locked_message
from veriscene.engine.url_paths import STAGING_ENV, RemoteError
from veriscene.option_names import option

__all__ = ["DEFAULT_SECONDS", "LEASE", "LEASE_ENV", "Lease", "is_lease", "lease_name", "lease_seconds",
           "supports_lease"]

LEASE = ".veriscene-lease.json"
LEASE_ENV = "VERISCENE_LEASE_SECONDS"
DEFAULT_SECONDS = 120.0  # a killed run's URL is free again 2 minutes after its last refresh
_ATTEMPTS = 8  # tries to make or take over the lease while others race for it
_WARNED: set[str] = set()  # stores warned of (no lease there), once per process


def lease_name(output: str) -> str:
    """The name of the lease of the output named `output`, beside it: `.veriscene-lease.<output>.json`."""
    return f"{LEASE.removesuffix('.json')}.{output}.json"


def is_lease(name: str) -> bool:
    """Whether the object name `name` (its last part) is a lease's: `LEASE`, or `lease_name(...)`."""
    stem = LEASE.removesuffix(".json")
    return name == LEASE or (name.startswith(stem + ".") and name.endswith(".json"))


def lease_seconds() -> float:
    """How long a lease lives unrefreshed: `LEASE_ENV` (seconds, > 0), else `DEFAULT_SECONDS`."""
    raw = os.environ.get(LEASE_ENV)
    if not raw:
        return DEFAULT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{LEASE_ENV}={raw!r}: give a number of seconds above 0 (default {DEFAULT_SECONDS:g})")
    return seconds


def _protocols(fs: Any) -> set[str]:
    protocol = fs.protocol
    return set(protocol) if isinstance(protocol, (tuple, list)) else {protocol}


def supports_lease(fs: Any) -> str | None:
    """How the store of `fs` makes the lease: "s3" (exclusive create and compare-and-swap),
    "memory" (exclusive create within one process), or None (no exclusive create known)."""
    protocols = _protocols(fs)
    if {"s3", "s3a"} & protocols:
        return "s3"
    if "memory" in protocols:
        return "memory"
    return None


def _store_error(exc: BaseException) -> tuple[str, Any] | None:
    """(error code, HTTP status) of the store's response behind `exc` (botocore's, which s3fs
    raises from or wraps), or None when `exc` comes from no response."""
    seen: BaseException | None = exc
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return str(response.get("Error", {}).get("Code", "")), status
        seen = seen.__cause__ or seen.__context__
    return None


def _precondition_failed(exc: BaseException) -> bool:
    """Whether `exc` (as s3fs raises it) is a conditional write refused: the object exists
    (If-None-Match), is not the one expected (If-Match: 412), or another conditional write to it
    was under way (409 ConditionalRequestConflict). s3fs says FileExistsError only when the
    store names the condition (AWS and moto do)."""
    if isinstance(exc, FileExistsError):
        return True
    said = _store_error(exc)
    return said is not None and (said[0] in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")
                                 or said[1] in (412, 409))


def _not_implemented(exc: BaseException) -> bool:
    """Whether `exc` is a store's 501 NotImplemented (S3-like stores without conditional writes)."""
    said = _store_error(exc)
    return said is not None and (said[0] in ("NotImplemented", "501") or said[1] == 501)


def _timestamp(info: dict[str, Any]) -> float | None:
    """The modification time (seconds since the epoch) in an fsspec `info`, on the store's clock."""
    for key in ("LastModified", "mtime", "updated", "modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _boot() -> str:
    """This machine's boot id (Linux), to tell it from another of the same host name."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # another user's: alive
        return True
    return True


class Lease:
    """The lease of the run at `url` (`fs`, `root`: its file system and path), for the run staged
    in `staging`. `acquire` before writing, `check` before each upload, `release` at the end.
    `beside`: of the output `url` itself (a file or a folder an export writes whole), the object
    `lease_name` beside it rather than `LEASE` in it."""

    def __init__(self, fs: Any, root: str, url: str, staging: str, seconds: float | None = None, *,
                 beside: bool = False) -> None:
        self.fs, self.url, self.staging = fs, url, staging
        folder, name = root.rsplit("/", 1) if beside and "/" in root.strip("/") else (root, None)
        self.path = f"{folder}/{LEASE if name is None else lease_name(name)}"  # in fs
        self.at = f"{url}/{LEASE}" if name is None else f"{url.rsplit('/', 1)[0]}/{lease_name(name)}"  # its URL
        self.seconds = lease_seconds() if seconds is None else seconds
        self.how = supports_lease(fs)
        self.held = False
        self.lost: str | None = None  # why this run no longer holds the lease (its message)
        self._kind: RunKind | None = None
        self._body = b""  # the lease as this run last wrote it
        self._etag: str | None = None  # its ETag (S3)
        self._started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        self._refreshed = 0.0  # time.monotonic() of the last refresh that succeeded
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the record ---------------------------------------------------------------------------

    def _record(self) -> bytes:
        kind = self._kind.name if self._kind is not None else "generate"
        return orjson.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "boot": _boot(), "started": self._started,
            "command": " ".join(sys.argv), "kind": kind, "staging": self.staging, "seconds": self.seconds,
            "refreshed": time.time()})

    def _read(self) -> tuple[bytes, dict[str, Any]] | None:
        """The lease at the URL (its bytes and fsspec info), or None when there is none."""
        self.fs.invalidate_cache(self.path)
        try:
            info = self.fs.info(self.path)
            data = bytes(self.fs.cat_file(self.path))
        except FileNotFoundError:
            return None
        return data, info

    def _store_now(self) -> float:
        """The store's time now: the modification time of an object written for it (the local
        clock where the store gives none)."""
        probe = self.path.rsplit("/", 1)[0] + f"/.veriscene-write-check-{os.getpid()}"
        self.fs.pipe_file(probe, b"")
        try:
            stamp = _timestamp(self.fs.info(probe))
        finally:
            self.fs.rm_file(probe)
        return time.time() if stamp is None else stamp

    # ---- taking it -----------------------------------------------------------------------------

    def acquire(self, kind: RunKind) -> None:
        """Make the lease, or take over a stale one (warned); RunLockedError when another run
        holds it. On a store without exclusive create, warn once and go on without one."""
        self._kind = kind
        if self.how is None:
            self._unleased("offers no exclusive create that veriscene uses")
            return
        for _ in range(_ATTEMPTS):
            made = self._create()
            if made is None:  # an S3-like store without conditional writes
                self._unleased("refused a conditional write (If-None-Match)")
                return
            if made:
                self._hold()
                return
            found = self._read()
            if found is None:  # released in between: try again
                continue
            data, info = found
            holder = _parse(data)
            stale, age = self._stale(holder, info)
            if stale is None:
                raise RunLockedError(self._refusal(holder, age))
            if self._take_over(data, info):
                warnings.warn(f"{self.url}: took over the lease of a run that is gone ({stale}): "
                              f"{_who(holder)}", stacklevel=4)
                self._hold()
                return
        raise RunLockedError(f"{self.url}: other runs keep making and taking its lease ({self.at}); "
                             "run this command again once they have ended. Nothing was written.")

    def _unleased(self, why: str) -> None:
        """Go on without a lease, as before leases: warned once per store and process."""
        protocol = min(_protocols(self.fs))
        if protocol in _WARNED:
            return
        _WARNED.add(protocol)
        warnings.warn(f"{self.url}: the store {why}, so the URL is locked on this machine only: make sure no "
                      f"other machine (or run with another {STAGING_ENV}) writes it at the same time", stacklevel=5)

    def _create(self) -> bool | None:
        """Write the lease if there is none; False if there is one, None if the store cannot say."""
        body = self._record()
        try:
            out = self.fs.pipe_file(self.path, body, mode="create")
        except Exception as exc:  # noqa: BLE001 - a store's error, said with the URL
            if _precondition_failed(exc):
                return False
            if _not_implemented(exc):
                return None
            raise RemoteError(f"cannot write the lease of {self.url}: {type(exc).__name__}: {exc}") from exc
        self._wrote(body, out)
        return True

    def _take_over(self, data: bytes, info: dict[str, Any]) -> bool:
        """Replace the stale lease read as `data` (`info`) by this run's, if it is still that one."""
        body = self._record()
        try:
            if self.how == "s3":
                out = self.fs.pipe_file(self.path, body, IfMatch=info["ETag"])
            else:
                found = self._read()
                if found is None or found[0] != data:
                    return False
                out = self.fs.pipe_file(self.path, body)
        except Exception as exc:  # noqa: BLE001
            if _precondition_failed(exc) or isinstance(exc, FileNotFoundError):
                return False
            raise RemoteError(f"cannot write the lease of {self.url}: {type(exc).__name__}: {exc}") from exc
        self._wrote(body, out)
        return True

    def _wrote(self, body: bytes, out: Any) -> None:
        self._body = body
        self._etag = out.get("ETag") if isinstance(out, dict) else None
        if self.how == "s3" and self._etag is None:  # (a store that does not send it back)
            self._etag = self.fs.info(self.path).get("ETag")
        self._refreshed = time.monotonic()

    def _stale(self, holder: dict[str, Any], info: dict[str, Any]) -> tuple[str | None, float]:
        """Why the lease of `holder` is stale (None: its run is alive, as far as can be told), and
        its age in seconds (`_age`; not measured, nan, when its process is known to have ended)."""
        if (holder.get("host") == socket.gethostname() and holder.get("boot") == _boot()
                and isinstance(holder.get("pid"), int) and not _alive(holder["pid"])):
            return f"its process {holder['pid']} on this machine has ended", float("nan")
        age = self._age(holder, info)
        limit = _limit(holder, self.seconds)
        if age > limit:
            return f"not refreshed for {age:.0f} s, longer than its {limit:g} s", age
        return None, age

    def _age(self, holder: dict[str, Any], info: dict[str, Any]) -> float:
        """Seconds since the lease was last written, on the store's clock where it has one."""
        stamp = _timestamp(info)
        if stamp is not None:
            return self._store_now() - stamp
        refreshed = holder.get("refreshed")
        return time.time() - refreshed if isinstance(refreshed, (int, float)) else float("inf")

    def _refusal(self, holder: dict[str, Any], age: float) -> str:
        assert self._kind is not None
        message = _locked_message(self.url, holder, self._kind).removesuffix(" Nothing was written.")
        limit = _limit(holder, self.seconds)
        overwrite = f"; {option('overwrite=True', '--overwrite')} does not override it" if self._kind.name == "generate" else ""  # (export: none)
        return (f"{message} Its lease, {self.at}, was refreshed {max(age, 0):.0f} s "
                f"ago{overwrite}. The lease of a run that ended without removing it "
                f"(killed by kill -9, its machine lost) is taken over {limit:g} s after its last refresh; if you "
                f"know that run has ended, delete {self.at} and run this command again. Nothing was written.")

    # ---- holding it ----------------------------------------------------------------------------

    def _hold(self) -> None:
        self.held = True
        self._thread = threading.Thread(target=self._refresh_loop, name="veriscene-lease", daemon=True)
        self._thread.start()

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self.seconds / 4):
            self.refresh()
            if self.lost is not None:
                return

    def refresh(self) -> None:
        """Write the lease again if it is still this run's (else note it `lost`); an error of the
        store is tried again at the next refresh, until the lease has expired."""
        body = self._record()
        try:
            if self.how == "s3":
                out = self.fs.pipe_file(self.path, body, IfMatch=self._etag)
            else:
                found = self._read()
                if found is None or found[0] != self._body:
                    self._lose(found)
                    return
                out = self.fs.pipe_file(self.path, body)
        except Exception as exc:  # noqa: BLE001 - a store's error: lost, or tried again
            if _precondition_failed(exc) or isinstance(exc, FileNotFoundError):
                self._lose(self._read_quietly())
            elif time.monotonic() - self._refreshed > self.seconds:
                self.lost = (f"{self.url}: this run could not refresh its lease for {self.seconds:g} s "
                             f"({type(exc).__name__}: {exc}), so another run may have taken the URL over")
            return
        self._wrote(body, out)

    def _read_quietly(self) -> tuple[bytes, dict[str, Any]] | None:
        try:
            return self._read()
        except Exception:  # noqa: BLE001 - only for the message
            return None

    def _lose(self, found: tuple[bytes, dict[str, Any]] | None) -> None:
        who = "none holds it now" if found is None else f"now held by {_who(_parse(found[0]))}"
        again = self._kind.again_text() if self._kind is not None else ""  # generate's: "(with --resume ...)"
        self.lost = (f"{self.url}: this run's lease was taken over ({who}; it was not refreshed in time, the "
                     "machine or the network stalled), so it stopped before writing over another run's files; "
                     f"run this command again{again} once that run has ended")

    def check(self) -> None:
        """RunLockedError if this run lost its lease: it must not write to the URL any more."""
        if self.lost is not None:
            raise RunLockedError(self.lost)

    def release(self) -> None:
        """Stop refreshing and remove the lease if it is still this run's (a failure to remove it
        is warned of: it then expires)."""
        if not self.held:
            return
        self.held = False
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.lost is not None:
            return
        try:
            if self.how == "s3":
                bucket, key, _ = self.fs.split_path(self.path)
                self.fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=self._etag)
                self.fs.invalidate_cache(self.path)
            else:
                found = self._read()
                if found is not None and found[0] == self._body:
                    self.fs.rm_file(self.path)
        except Exception as exc:  # noqa: BLE001 - the run is over: its lease expires
            if _precondition_failed(exc) or isinstance(exc, FileNotFoundError):
                return
            warnings.warn(f"{self.url}: could not remove this run's lease ({type(exc).__name__}: {exc}); "
                          f"another run takes it over {self.seconds:g} s from now", stacklevel=2)


def _parse(data: bytes) -> dict[str, Any]:
    try:
        record = orjson.loads(data)
    except orjson.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


def _limit(holder: dict[str, Any], default: float) -> float:
    """How long the lease of `holder` lives unrefreshed: the seconds it records (it refreshes by them)."""
    seconds = holder.get("seconds")
    return float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else default


def _who(holder: dict[str, Any]) -> str:
    if not holder:
        return "an unreadable lease"
    return f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('started')}: {holder.get('command')}"
