"""Runs written to object storage: `generate(..., out="s3://bucket/run")`, or any URL fsspec reads.

A run at a URL is made in a local *staging* folder, exactly as a run in a local folder, and
uploaded as it goes:

- each finished shard (its samples, its rejects, then its sidecar, which marks it done) as soon as
  it is written, by a few threads, so the driver does not wait on the network;
- the running manifest and the vocabulary before the first shard, so the run can be resumed from
  the URL alone;
- at the end every file the staging folder holds that the URL does not have in this form
  (`samples.jsonl`, `rejects.jsonl`, rewritten shards, an export), with `manifest.json` last: a
  run at a URL whose manifest says "complete" has all its files. For `--shard-format jsonl`, whose
  shards are merged into `samples.jsonl`, the shards are then removed from the URL, as from a
  local folder.

Object stores have no rename, but an object appears whole or not at all, so the order above
gives what the temporary names give on a disk: a reader of the URL never sees part of a file,
and a shard counts as done only when its sidecar is there (with the checksum of its samples).

Resume: with the staging folder of the interrupted run at hand, `--resume` goes on from it and
uploads what is missing. On another machine (a new staging folder), `--resume` first downloads
the run from the URL, then goes on. The staging folder remembers what was uploaded in
`.veriscene-upload.jsonl` (each file's size and modification time, a line appended per upload),
so a file is uploaded once. A run that fails before it uploaded anything (a damaged input found
in its scan, Ctrl-C before its first shard) takes back the ledger it began, as it takes back its
files (`engine.run_folder.taken_back_unless_sharded`): the staging folder holds no run of that URL
to refuse another URL's run there, and is removed when the run made it and nothing else is in it.

Sample image paths in a run at a URL are absolute (as resolved on the machine that made the run),
as are the input paths in its manifest: relative to the staging folder, they would mean nothing.

One writer per URL: `prepare` takes the URL's lease (`engine.remote_lock`: an object made only
if there is none, refreshed while the run lasts, removed as it ends), so a run on another machine,
or with another staging folder, is refused while this one writes; `shard_done` and `publish`
stop a run that lost it. `upload_run` (a run made first, or `generate --to FORMAT --out URL`'s
export, uploaded after the run) holds the lease too, and refuses a URL whose run was replaced
since. The lease is not a run file: `listing` leaves it out, and an export's lease beside its
output (``export/.veriscene-lease.hf.json``) too.

Credentials and endpoints are fsspec's: for S3 (`pip install 'veriscene[s3]'`, which brings
s3fs) the usual AWS variables and files (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, ...;
`AWS_ENDPOINT_URL` for MinIO, Ceph or R2), or `storage_options` in Python
(``{"endpoint_url": ..., "key": ..., "secret": ...}``). Google Cloud Storage (gs://) and Azure
(az://) work the same with gcsfs or adlfs installed.

Telling a URL from a local path, the file system of a URL and the default staging folder are in
`engine.url_paths` (imported here too, so their names stay importable from this module).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import orjson

from veriscene.engine import converted
from veriscene.engine.remote_lock import Lease, is_lease
from veriscene.engine.run_lock import GENERATE, RunKind, holding_locks, is_lock_file, lock_url
from veriscene.engine.url_paths import STAGING_ENV, RemoteError, default_staging, filesystem, is_url, local_path
from veriscene.option_names import option

__all__ = [
    # defined here
    "LEDGER", "MANIFEST", "UPLOAD", "RemoteRun", "upload_folder", "upload_run",
    # moved to `url_paths`
    "STAGING_ENV", "RemoteError", "default_staging", "filesystem", "is_url", "local_path",
]

LEDGER = ".veriscene-upload.jsonl"
MANIFEST = "manifest.json"
# Sent before the first shard, so that the run can be resumed from the URL alone (a conversion's
# stamp after the scenes it vouches for)
_RESUMABLE = (MANIFEST, "vocabulary.json", *converted.FILES)
# What a run leaves at its URL besides its shards and exports: removed by `overwrite`
_RUN_NAMES = (*_RESUMABLE, "samples.jsonl", "rejects.jsonl")
UPLOAD = RunKind("upload", "an upload and another run to one URL would write over each other's files")


def _fingerprint(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _upload_order(rel: str) -> tuple[int, str]:
    """Files before the sidecars that mark them done, everything before the manifest."""
    if rel == MANIFEST:
        return (3, rel)
    if rel.startswith("shards/") and rel.endswith(".json"):
        return (1, rel)
    return (2 if "/" not in rel else 0, rel)


class RemoteRun:
    """A run folder at `url`, made in the local folder `staging` and uploaded as it is done.

    Use it as a context manager around the run: `prepare` before, `shard_done` for each finished
    shard, `publish` at the end. Leaving the context waits for the uploads under way (a run that
    failed keeps what it uploaded, for `--resume`; one that uploaded nothing takes back the
    ledger it began, `_take_back_ledger`)."""

    def __init__(self, url: str, staging: str | os.PathLike[str] | None = None,
                 storage_options: dict[str, Any] | None = None, threads: int = 4,
                 lease_seconds: float | None = None) -> None:
        self.url = url.rstrip("/")
        self.staging = Path(staging) if staging is not None else default_staging(self.url)
        self.fs, self.root = filesystem(self.url, storage_options)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="veriscene-upload")
        self._pending: list[Future[None]] = []
        self._lock = threading.Lock()
        self._uploaded: dict[str, list[int]] = {}
        self._started = False
        self._ledger_begun = False  # this object wrote the ledger anew (no upload of an earlier run in it)
        self._sent: set[str] = set()  # the files this object uploaded, each once however often (the run's note)
        self.lease: Lease | None = None  # the URL's lease, once taken (`hold_lease`)
        self._lease_seconds = lease_seconds  # its life unrefreshed (None: `remote_lock.lease_seconds()`)

    # ---- the URL -----------------------------------------------------------------------------

    def _remote(self, rel: str) -> str:
        return f"{self.root}/{rel}"

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - any store's error (a missing bucket too), said with the URL
            raise RemoteError(f"{what} {self.url}: {type(exc).__name__}: {exc}") from exc

    def manifest_bytes(self) -> bytes | None:
        """The bytes of the manifest at the URL, or None when there is none."""
        path = self._remote(MANIFEST)
        self.fs.invalidate_cache(self.root)  # s3fs keeps listings: another process may have written since
        if not self._call("cannot read", self.fs.exists, path):
            return None
        return bytes(self._call("cannot read", self.fs.cat_file, path))

    def manifest(self) -> dict[str, Any] | None:
        """The manifest of the run at the URL, or None when there is none."""
        data = self.manifest_bytes()
        if data is None:
            return None
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{self.url}/{MANIFEST} is not valid JSON ({exc}); pass "
                             f"{option('overwrite=True', '--overwrite')} to replace the run") from None

    def listing(self) -> dict[str, int]:
        """The files under the URL (paths relative to it) and their sizes."""
        self.fs.invalidate_cache(self.root)
        if not self._call("cannot list", self.fs.exists, self.root):
            return {}
        found = self._call("cannot list", partial(self.fs.find, detail=True), self.root)
        root = self.root.rstrip("/") + "/"
        return {p[len(root):]: int(info.get("size") or 0) for p, info in sorted(found.items())
                if p.startswith(root) and not _not_run_file(p[len(root):])}

    def clear(self) -> None:
        """Remove the run's files from the URL (its manifest, samples, rejects, vocabulary,
        conversion and shards; nothing else under it)."""
        for rel in self.listing():
            if rel in _RUN_NAMES or rel.startswith(("shards/", "export/")):
                self._call("cannot remove files from", self.fs.rm_file, self._remote(rel))

    # ---- the staging folder ------------------------------------------------------------------

    def load_ledger(self, adopt: bool = False) -> None:
        """What was uploaded from the staging folder; `adopt`: a run folder made without a URL
        may be uploaded (else it is refused, as the run of another URL is).

        The ledger is a JSON line naming the URL, then one line per upload, appended as each
        file is sent (``[path, size, mtime_ns]``, or ``[path, null]`` once removed from the URL);
        a line cut short by a kill is ignored (that file is only sent again)."""
        path = self.staging / LEDGER
        if not path.exists():
            if (self.staging / MANIFEST).exists() and not adopt:
                raise ValueError(f"the staging folder {self.staging} holds a run that is not of {self.url} (no "
                                 f"{LEDGER}); give another staging folder, or remove it")
            self._save_ledger()
            self._ledger_begun = True
            return
        lines = path.read_bytes().splitlines()
        head = orjson.loads(lines[0]) if lines else {}
        if head.get("url") != self.url:
            raise ValueError(f"the staging folder {self.staging} holds the run of {head.get('url')}, not of "
                             f"{self.url}; give another staging folder, or remove it")
        uploaded: dict[str, list[int]] = {}
        for line in lines[1:]:
            try:
                rel, *mark = orjson.loads(line)
            except (orjson.JSONDecodeError, ValueError, TypeError):
                self._uploaded = uploaded
                self._save_ledger()  # the last line, cut short: written anew, so lines append after it
                return
            if mark and mark[0] is None:
                uploaded.pop(rel, None)
            else:
                uploaded[rel] = mark
        self._uploaded = uploaded

    def _record(self, rel: str, mark: list[int] | None) -> None:
        """Note an upload (or a removal, `mark` None) in the ledger, under the lock."""
        line: list[Any] = [rel, None]
        if mark is None:
            self._uploaded.pop(rel, None)
        else:
            self._uploaded[rel] = mark
            line = [rel, *mark]
        with open(self.staging / LEDGER, "ab") as fh:
            fh.write(orjson.dumps(line) + b"\n")

    def _save_ledger(self) -> None:
        """Write the ledger anew, one line per file the URL has from here."""
        lines = [orjson.dumps({"url": self.url})] + [orjson.dumps([rel, *mark]) for rel, mark in sorted(self._uploaded.items())]
        tmp = self.staging / (LEDGER + ".tmp")
        tmp.write_bytes(b"\n".join(lines) + b"\n")
        os.replace(tmp, self.staging / LEDGER)

    def prepare(self, *, resume: bool, overwrite: bool, kind: RunKind = GENERATE) -> str:
        """Check the URL and the staging folder before a run; returns a note for the run.

        Takes the URL's lease (`hold_lease`: RunLockedError while another run writes the URL, as
        `kind` says it, `--overwrite` or not). Refuses a URL that holds a run unless resuming or
        overwriting; `overwrite` removes the
        run from the URL (the local run then replaces the staging folder's); resuming with a
        staging folder that holds no run downloads the run from the URL first."""
        remote = self.manifest()
        self.check_writable()
        self.hold_lease(kind)  # before anything is written to the URL (or cleared from it)
        self.staging.mkdir(parents=True, exist_ok=True)
        if overwrite:
            self.clear()
            self._uploaded = {}
            self._save_ledger()  # whatever run the folder held, `generate` replaces it
            self._ledger_begun = True
            return f"the run is made in {self.staging} and uploaded to {self.url}"
        if remote is not None and not resume:
            from veriscene.engine.manifest import RunExistsError

            raise RunExistsError(f"{self.url} already holds a run (manifest.json); pass "
                                 f"{option('resume=True', '--resume')} to complete it or "
                                 f"{option('overwrite=True', '--overwrite')} to replace it")
        self.load_ledger()
        if resume and remote is not None and not (self.staging / MANIFEST).exists():
            fetched = self.fetch()
            return (f"the run was downloaded from {self.url} into {self.staging} ({fetched} files) to be resumed, "
                    "and is uploaded back as it goes")
        return f"the run is made in {self.staging} and uploaded to {self.url}"

    def hold_lease(self, kind: RunKind = GENERATE) -> None:
        """Take the URL's lease for this run (`remote_lock.Lease.acquire`), held until the
        context ends; RunLockedError if another run holds it."""
        if self.lease is None:
            self.lease = Lease(self.fs, self.root, self.url, str(self.staging), self._lease_seconds)
            self.lease.acquire(kind)

    def check_lease(self) -> None:
        """RunLockedError if this run lost its lease to another: it must not write any more."""
        if self.lease is not None:
            self.lease.check()

    def check_writable(self) -> None:
        """Write and remove a small object under the URL: no bucket, or no right to write, is said
        before any work is done (a RemoteError)."""
        probe = self._remote(f".veriscene-write-check-{os.getpid()}")
        self._call("cannot write to", self.fs.pipe_file, probe, b"")
        self._call("cannot write to", self.fs.rm_file, probe)

    def upload(self, files: list[str]) -> None:
        """Upload these files of the staging folder, a few at a time (large ones in parts, in
        bounded memory); raises the first upload that failed."""
        for future in [self._pool.submit(self._put, rel) for rel in files]:
            future.result()

    def fetch(self) -> int:
        """Download the run at the URL into the staging folder; returns the number of files."""
        files = list(self.listing())
        self.download(files)
        return len(files)

    def download(self, files: list[str]) -> None:
        """Download these files of the URL into the staging folder, a few at a time, each under a
        temporary name first; the ledger notes them as the URL's (not to be sent back)."""
        for future in [self._pool.submit(self._get, rel) for rel in files]:
            future.result()

    def _get(self, rel: str) -> None:
        target = self.staging / PurePosixPath(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            self._call("cannot download", self.fs.get_file, self._remote(rel), str(tmp))
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        with self._lock:
            self._record(rel, _fingerprint(target))

    # ---- uploads -----------------------------------------------------------------------------

    def _put(self, rel: str) -> None:
        """Upload one staging file unless the URL has it in this form already."""
        path = self.staging / PurePosixPath(rel)
        try:
            mark = _fingerprint(path)
        except FileNotFoundError:  # gone since (a jsonl shard merged and removed): nothing to send
            return
        with self._lock:
            if self._uploaded.get(rel) == mark:
                return
        try:
            self._call("cannot upload to", partial(self.fs.put_file, **self._put_options(mark[0])), str(path),
                       self._remote(rel))
        except RemoteError:
            if not path.exists():  # removed while it was sent (jsonl shards, merged at the end): not needed
                return
            raise
        with self._lock:
            self._record(rel, mark)
            self._sent.add(rel)

    def _put_options(self, size: int) -> dict[str, int]:
        """Upload options bounding memory: s3fs sends a large file in parts of 50 MiB, ten at a
        time, which held 1.1 GB in the driver for an 800 MB samples.jsonl; parts of 8 MiB (more
        for files above 70 GB: S3 takes 10,000 parts) four at a time hold about 32 MiB."""
        protocols = self.fs.protocol if isinstance(self.fs.protocol, (tuple, list)) else (self.fs.protocol,)
        if not {"s3", "s3a"} & set(protocols):
            return {}
        return {"chunksize": max(8 << 20, -(-size // 9000)), "max_concurrency": 4}

    def _put_shard(self, names: list[str]) -> None:
        for rel in names:
            self._put(rel)

    def _check_failed(self) -> None:
        """Raise the first failed upload (and forget the finished ones)."""
        still = []
        for future in self._pending:
            if future.done():
                future.result()  # raises the upload's error
            else:
                still.append(future)
        self._pending = still

    def shard_done(self, sidecar: dict[str, Any], fmt: str) -> None:
        """Upload a finished shard's files (then its sidecar) in the background; before the first,
        the running manifest and the vocabulary. Raises the error of an earlier upload that
        failed, which stops the run (resume it to go on)."""
        from veriscene.engine.shards import shard_files

        self._check_failed()
        self.check_lease()
        if not self._started:
            self._started = True
            self._pending.append(self._pool.submit(self._put_shard, [
                rel for rel in _RESUMABLE if (self.staging / rel).exists()]))
        self._pending.append(self._pool.submit(self._put_shard, [
            f"shards/{name}" for name in shard_files(sidecar["index"], fmt)]))

    def wait(self) -> None:
        """Wait for the uploads under way; raises the first that failed."""
        for future in self._pending:
            future.result()
        self._pending = []

    def publish(self) -> int:
        """Upload every staging file the URL does not have in this form, the manifest last, and
        remove from the URL the shards the staging folder no longer has (merged into
        samples.jsonl); returns the files uploaded in all."""
        self.wait()
        self.check_lease()
        local = sorted((p.relative_to(self.staging).as_posix() for p in self.staging.rglob("*")
                        if p.is_file() and p.name != LEDGER and not is_lock_file(p.name)
                        and not p.name.endswith(".tmp")),
                       key=_upload_order)
        for rel in local:
            if rel == MANIFEST:
                self.check_lease()  # the manifest says the run complete: only while the URL is this run's
            self._put(rel)
        kept = set(local)
        for rel in self.listing():
            if rel.startswith("shards/") and rel not in kept:
                self._call("cannot remove files from", self.fs.rm_file, self._remote(rel))
                with self._lock:
                    self._record(rel, None)
        self._save_ledger()  # compacted
        return self.uploads

    @property
    def uploads(self) -> int:
        """How many files this object uploaded: a file sent again once changed (the manifest, at
        each shard and at the end) counts once."""
        return len(self._sent)

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)
            if self.lease is not None:  # after the uploads: none is under way once another run may start
                self.lease.release()

    def __enter__(self) -> "RemoteRun":
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
            return
        try:  # the run failed: keep what was uploaded, but do not hide the run's own error
            self.close()
        except Exception:  # noqa: BLE001
            pass
        self._take_back_ledger()

    def _take_back_ledger(self) -> None:
        """After a failed run: remove the ledger this object began if nothing was uploaded and the
        staging folder holds no run (its manifest taken back, or never written). Left, it would
        name this URL's run where there is none: a run to another URL with the same staging
        folder would be refused ("holds the run of ..."), and the folder made for it not removed."""
        if self._ledger_begun and not self._uploaded and not (self.staging / MANIFEST).exists():
            (self.staging / LEDGER).unlink(missing_ok=True)


def _not_run_file(rel: str) -> bool:
    """Objects of the URL that are not the run's: the leases and write checks of a run or an
    export under way (the run's, at its root; an export's, beside it: ``export/.veriscene-lease.hf.json``)."""
    name = rel.rsplit("/", 1)[-1]
    return is_lease(name) or name.startswith(".veriscene-write-check-")


@holding_locks  # the URL's lock on this machine, let go as it returns
def upload_run(run_dir: str | os.PathLike[str], url: str, storage_options: dict[str, Any] | None = None) -> int:
    """Upload a finished local run folder to `url` (its manifest last); files the URL already has
    from an earlier upload from this folder are skipped. Returns the files uploaded.

    Holds the URL's lease (and its lock on this machine) while it uploads, as a run there does:
    RunLockedError while another run or upload writes the URL. RunExistsError, nothing uploaded,
    when the URL no longer holds the run this folder uploaded there (another run replaced or
    removed it since: `generate --to FORMAT --out URL` uploads its export after the run)."""
    run = RemoteRun(url, run_dir, storage_options)
    with run:
        if not (run.staging / MANIFEST).is_file():
            raise FileNotFoundError(f"{run.staging} holds no run (manifest.json)")
        lock_url(run.url, UPLOAD)
        run.hold_lease(UPLOAD)
        run.load_ledger(adopt=True)
        _check_same_run(run)
        return run.publish()


def _check_same_run(run: RemoteRun) -> None:
    """RunExistsError when the ledger says the staging folder's manifest, as it is, was uploaded
    to the URL, and the URL's manifest is now another (or none): the files the ledger says are
    there are another run's, or gone."""
    uploaded = run._uploaded.get(MANIFEST)
    local = run.staging / MANIFEST
    if uploaded is None or uploaded != _fingerprint(local):
        return  # never uploaded from here in this form: sent whole (a run adopted, or made anew)
    there = run.manifest_bytes()
    if there == local.read_bytes():
        return
    from veriscene.engine.manifest import RunExistsError

    what = "holds another run" if there is not None else "holds no run (manifest.json) any more"
    raise RunExistsError(f"{run.url} {what} since the run of {run.staging} was uploaded there: another run wrote "
                         "there since. Nothing was uploaded; to upload this run anyway, remove "
                         f"{run.staging / LEDGER} (every file is then sent) and upload it again")


def upload_folder(folder: str | os.PathLike[str], url: str, storage_options: dict[str, Any] | None = None) -> list[str]:
    """Upload every file under the local `folder` to the same names under the folder URL `url`
    (an export written locally first); returns their URLs."""
    folder = Path(folder)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name != LEDGER and not is_lock_file(p.name))
    with RemoteRun(url, folder, storage_options) as run:
        run.upload(files)
    return [f"{run.url}/{rel}" for rel in files]
