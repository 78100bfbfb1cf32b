"""One writer per URL across machines: the lease a run at a URL holds (`engine.remote_lock`).

Another machine is stood for by another staging folder (the local lock is per URL and
`VERISCENE_STAGING`, so each run here gets its own) or by a lease written by hand with another
host. The S3 tests run s3fs against a local S3 server (moto's, as `test_remote`'s do).
"""

import os
import socket
import subprocess
import sys
import time
import warnings

import fsspec
import orjson
import pytest
from fsspec.implementations.memory import MemoryFileSystem
from typer.testing import CliRunner

from tests.engine import test_remote
from tests.engine.test_remote import _bucket, _local
from veriscene import generate, verify
from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine import remote, remote_lock
from veriscene.engine.manifest import RunExistsError
from veriscene.engine.remote_lock import LEASE, LEASE_ENV
from veriscene.engine.run_lock import RunLockedError
from veriscene.scene import write_scenes

s3_server, s3 = test_remote.s3_server, test_remote.s3  # the local S3 server's fixtures
OPTIONS = dict(seed=5, shard_size=3, shard_format="zstd", generators="counting,attribute.*,multi.has_object.v1")


class Stop(Exception):
    pass


@pytest.fixture
def staging_env(tmp_path, monkeypatch):
    """Each run's local lock in a folder of its own: `set_machine("b")` makes the next run another
    machine's as far as the local lock is concerned."""
    def set_machine(name: str) -> None:
        monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path / f"machine-{name}"))

    set_machine("a")
    return set_machine


@pytest.fixture(scope="module")
def scenes_file(tmp_path_factory):
    """tests/engine/conftest.py's 12 demo scene graphs, written once for this module: its runs
    read them and never change them, and `reference` is made of them once."""
    path = tmp_path_factory.mktemp("in") / "scenes.jsonl"
    write_scenes(iter_scene_graphs(12, seed=4), path)
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory, scenes_file):
    """The files of the run of `scenes_file` made locally, which each run at a URL here must
    equal: made once for the module's seven tests comparing with it (one run each before)."""
    out = tmp_path_factory.mktemp("reference")
    generate(scenes_file, out, absolute_paths=True, **OPTIONS)
    return _local(out)


def _lease(client, prefix: str) -> dict | None:
    try:
        body = client.get_object(Bucket="runs", Key=f"{prefix}/{LEASE}")["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    return orjson.loads(body)


def _write_lease(client, prefix: str, **fields) -> None:
    record = {"pid": 4242, "host": "machine-b", "boot": "another-boot", "started": "2026-12-06 08:00:00 UTC",
              "command": "veriscene generate scenes.jsonl --out s3://runs/" + prefix, "kind": "generate",
              "staging": "/elsewhere", "seconds": 120, "refreshed": time.time(), **fields}
    client.put_object(Bucket="runs", Key=f"{prefix}/{LEASE}", Body=orjson.dumps(record))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ---- refused while held ----------------------------------------------------------------------


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_live_lease_of_another_machine_refuses_the_run_before_it_writes(tmp_path, scenes_file, s3, staging_env,
                                                                         overwrite) -> None:
    _, client = s3
    _write_lease(client, "lease-held")
    before = _bucket(client, "lease-held")
    with pytest.raises(RunLockedError, match=r"s3://runs/lease-held is being written by another veriscene run "
                                             r"\(pid 4242 on machine-b.*overwrite=True does not override it.*taken over 120 s "
                                             r"after its last refresh; if you know that run has ended, delete "
                                             r"s3://runs/lease-held/\.veriscene-lease\.json and run this command "
                                             r"again\. Nothing was written"):
        generate(scenes_file, "s3://runs/lease-held", staging=tmp_path / "stage", overwrite=overwrite, **OPTIONS)
    assert _bucket(client, "lease-held") == before  # the lease, not replaced; nothing else
    assert not (tmp_path / "stage").exists()


def test_the_command_line_says_who_holds_the_url(tmp_path, scenes_file, s3, staging_env) -> None:
    _, client = s3
    _write_lease(client, "lease-cli")
    result = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", "s3://runs/lease-cli", "--staging",
                                      str(tmp_path / "stage"), "--seed", "5"])
    assert result.exit_code == 2
    assert "pid 4242 on machine-b" in result.output and "Nothing was written" in result.output
    assert set(_bucket(client, "lease-cli")) == {LEASE}


def test_a_run_with_another_staging_folder_is_refused_while_the_first_writes(tmp_path, scenes_file, s3,
                                                                            staging_env, reference) -> None:
    _, client = s3
    refusals: list[str] = []
    leases: list[dict | None] = []

    def second_run(sidecar):
        if sidecar["index"] == 0:
            leases.append(_lease(client, "lease-busy"))
            staging_env("b")  # another VERISCENE_STAGING: the local lock does not see the first run
            with pytest.raises(RunLockedError) as refused:
                generate(scenes_file, "s3://runs/lease-busy", staging=tmp_path / "second", overwrite=True, **OPTIONS)
            refusals.append(str(refused.value))

    generate(scenes_file, "s3://runs/lease-busy", staging=tmp_path / "first", on_shard=second_run, **OPTIONS)
    assert leases[0] is not None and leases[0]["pid"] == os.getpid() and leases[0]["host"] == socket.gethostname()
    assert leases[0]["staging"] == str(tmp_path / "first")
    assert f"(pid {os.getpid()}, since" in refusals[0]
    assert _bucket(client, "lease-busy") == reference  # byte-identical; the lease removed at the end
    assert not (tmp_path / "second").exists()


# ---- released, or taken over -----------------------------------------------------------------


@pytest.mark.parametrize("error", [Stop, KeyboardInterrupt])
def test_a_failed_or_interrupted_run_removes_its_lease(tmp_path, scenes_file, s3, staging_env, reference,
                                                       error) -> None:
    _, client = s3
    prefix = f"lease-failed-{error.__name__}"
    url = f"s3://runs/{prefix}"
    seen = []

    def stop(sidecar):
        seen.append(_lease(client, prefix))
        if len(seen) == 2:
            raise error

    with pytest.raises(error):
        generate(scenes_file, url, staging=tmp_path / "first", on_shard=stop, **OPTIONS)
    assert seen[1]["pid"] == os.getpid()  # held while it ran
    assert _lease(client, prefix) is None  # removed as it failed
    staging_env("b")
    summary = generate(scenes_file, url, staging=tmp_path / "second", resume=True, **OPTIONS)
    assert any(f"downloaded from {url}" in note for note in summary.notes)
    assert _bucket(client, prefix) == reference


def test_a_stale_lease_of_another_machine_is_taken_over_with_a_warning(tmp_path, scenes_file, s3, staging_env,
                                                                       reference) -> None:
    _, client = s3
    with pytest.raises(Stop):
        generate(scenes_file, "s3://runs/lease-stale", staging=tmp_path / "first",
                 on_shard=lambda sidecar: (_ for _ in ()).throw(Stop()), **OPTIONS)
    _write_lease(client, "lease-stale", seconds=1)  # a machine lost: its lease, never refreshed again
    time.sleep(2.2)  # the store's clock counts whole seconds
    staging_env("b")
    with pytest.warns(UserWarning, match=r"took over the lease of a run that is gone \(not refreshed for \d+ s, "
                                         r"longer than its 1 s\): pid 4242 on machine-b"):
        generate(scenes_file, "s3://runs/lease-stale", staging=tmp_path / "second", resume=True, **OPTIONS)
    assert not (tmp_path / "second" / LEASE).exists()  # never downloaded as a run file
    assert _bucket(client, "lease-stale") == reference


def test_the_lease_of_a_killed_run_on_this_machine_is_taken_over_at_once(tmp_path, scenes_file, s3, staging_env,
                                                                         reference) -> None:
    _, client = s3
    with open("/proc/sys/kernel/random/boot_id") as fh:
        boot = fh.read().strip()
    # as `kill -9` leaves it: this host, a process that is gone, refreshed just now, for a long while
    _write_lease(client, "lease-killed", host=socket.gethostname(), boot=boot, pid=_dead_pid(), seconds=3600)
    with pytest.warns(UserWarning, match=r"took over the lease of a run that is gone \(its process \d+ on this "
                                         r"machine has ended\)"):
        generate(scenes_file, "s3://runs/lease-killed", staging=tmp_path / "stage", **OPTIONS)
    assert _bucket(client, "lease-killed") == reference


def test_a_run_that_lost_its_lease_stops_before_writing_more(tmp_path, scenes_file, s3, staging_env,
                                                             monkeypatch) -> None:
    _, client = s3
    monkeypatch.setenv(LEASE_ENV, "0.4")  # refreshed every 0.1 s
    shards = []

    def taken_over(sidecar):
        shards.append(sidecar["index"])
        if len(shards) == 1:  # the run stalled, another machine found its lease stale and took it
            _write_lease(client, "lease-lost", host="machine-c", pid=777)
            time.sleep(0.6)

    with pytest.raises(RunLockedError, match=r"this run's lease was taken over \(now held by pid 777 on machine-c"):
        generate(scenes_file, "s3://runs/lease-lost", staging=tmp_path / "stage", on_shard=taken_over, **OPTIONS)
    assert shards == [0]  # stopped at the next shard's upload
    left = _bucket(client, "lease-lost")
    assert not any(rel.startswith("shards/shard-00001") for rel in left)
    assert orjson.loads(left[LEASE])["host"] == "machine-c"  # the new holder's, not removed
    assert orjson.loads(left["manifest.json"])["status"] == "running"


# ---- not a run file --------------------------------------------------------------------------


def test_a_run_read_from_the_url_ignores_a_lease_there(tmp_path, scenes_file, s3, staging_env,
                                                       monkeypatch) -> None:
    _, client = s3
    generate(scenes_file, "s3://runs/lease-read", staging=tmp_path / "stage", **OPTIONS)
    _write_lease(client, "lease-read")  # another run starting there (an --overwrite, say)
    monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path / "reader"))
    assert verify("s3://runs/lease-read").ok
    copied = next((tmp_path / "reader").iterdir())
    assert not (copied / LEASE).exists()
    assert LEASE not in remote.RemoteRun("s3://runs/lease-read", tmp_path / "x").listing()


# ---- stores without exclusive create ---------------------------------------------------------


class PlainMemory(MemoryFileSystem):
    """A store veriscene knows no exclusive create of (as http, or a store not tried yet)."""

    protocol = ("plainmem",)


def test_a_store_without_exclusive_create_is_warned_of_once_and_the_run_goes_on(tmp_path, scenes_file, reference,
                                                                                staging_env, monkeypatch) -> None:
    fsspec.register_implementation("plainmem", PlainMemory, clobber=True)
    monkeypatch.setattr(remote_lock, "_WARNED", set())
    fs, root = fsspec.core.url_to_fs("plainmem://b/one")
    try:
        with pytest.warns(UserWarning, match="plainmem://b/one: the store offers no exclusive create .* locked on this machine only"):
            generate(scenes_file, "plainmem://b/one", staging=tmp_path / "one", **OPTIONS)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            generate(scenes_file, "plainmem://b/two", staging=tmp_path / "two", **OPTIONS)
        assert not [w for w in seen if "exclusive create" in str(w.message)]  # once per process
        assert {p[len(root) + 1:]: fs.cat_file(p) for p in fs.find(root)} == reference
    finally:
        for url in ("plainmem://b/one", "plainmem://b/two"):
            fs.rm(fsspec.core.url_to_fs(url)[1], recursive=True)


def test_a_memory_url_is_leased_too(tmp_path, scenes_file, staging_env) -> None:
    fs = fsspec.filesystem("memory")
    fs.pipe_file("/m/held/" + LEASE, orjson.dumps({"pid": 1, "host": "machine-b", "seconds": 120,
                                                   "started": "today", "command": "veriscene generate"}))
    try:
        with pytest.raises(RunLockedError, match="pid 1 on machine-b"):
            generate(scenes_file, "memory://m/held", staging=tmp_path / "stage", **OPTIONS)
        generate(scenes_file, "memory://m/free", staging=tmp_path / "free", **OPTIONS)
        assert not fs.exists("/m/free/" + LEASE)
    finally:
        fs.rm("/m", recursive=True)


@pytest.mark.parametrize("raw", ["0", "-3", "soon", "inf"])
def test_a_bad_lease_time_is_refused(monkeypatch, raw) -> None:
    monkeypatch.setenv(LEASE_ENV, raw)
    with pytest.raises(ValueError, match=f"{LEASE_ENV}=.*give a number of seconds above 0"):
        remote_lock.lease_seconds()


def test_a_store_refusing_conditional_writes_is_warned_of_and_the_run_goes_on(tmp_path, scenes_file, staging_env,
                                                                              monkeypatch) -> None:
    from botocore.exceptions import ClientError

    monkeypatch.setattr(remote_lock, "_WARNED", set())
    pipe = MemoryFileSystem.pipe_file

    def no_conditions(self, path, value, mode="overwrite", **kwargs):
        if mode == "create":  # as an S3-like store without If-None-Match answers, through s3fs
            raise OSError(38, "not implemented") from ClientError(
                {"Error": {"Code": "NotImplemented"}, "ResponseMetadata": {"HTTPStatusCode": 501}}, "PutObject")
        return pipe(self, path, value, mode=mode, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "pipe_file", no_conditions)
    fs = fsspec.filesystem("memory")
    try:
        with pytest.warns(UserWarning, match="memory://m/plain: the store refused a conditional write"):
            generate(scenes_file, "memory://m/plain", staging=tmp_path / "stage", **OPTIONS)
        assert fs.exists("/m/plain/manifest.json") and not fs.exists("/m/plain/" + LEASE)
    finally:
        fs.rm("/m", recursive=True)


# ---- the upload of a run made first (generate --to FORMAT --out URL), an export's lease ---------


def _run_with_export(tmp_path, scenes_file, url: str, staging_name: str = "stage"):
    """A run at `url` and its llava export in its staging folder, not uploaded yet: as
    `generate --to llava --out URL` has them when it calls `upload_run` (after the run)."""
    from veriscene.io.export import export

    staging = tmp_path / staging_name
    generate(scenes_file, url, staging=staging, **OPTIONS)
    export(staging, staging / "export" / "llava", to="llava")
    return staging


def test_upload_run_is_refused_while_another_machine_holds_the_url(tmp_path, scenes_file, s3, staging_env) -> None:
    _, client = s3
    staging = _run_with_export(tmp_path, scenes_file, "s3://runs/up-held")
    _write_lease(client, "up-held")  # another machine's run started there after this one ended
    before = _bucket(client, "up-held")
    with pytest.raises(RunLockedError, match=r"s3://runs/up-held is being written by another veriscene run \(pid "
                                             r"4242 on machine-b.*Nothing was written"):
        remote.upload_run(staging, "s3://runs/up-held")
    assert _bucket(client, "up-held") == before  # no export uploaded; the other's lease kept


@pytest.mark.parametrize("error", [None, Stop, KeyboardInterrupt])
def test_upload_run_holds_the_lease_while_it_uploads_the_export(tmp_path, scenes_file, s3, staging_env, monkeypatch,
                                                                error) -> None:
    _, client = s3
    prefix = f"up-busy-{error.__name__ if error else 'done'}"
    url = f"s3://runs/{prefix}"
    staging = _run_with_export(tmp_path, scenes_file, url)
    put = remote.RemoteRun._put
    seen: list[dict | None] = []
    refusals: list[str] = []

    def put_then_race(self, rel):
        if rel.startswith("export/") and not seen:
            seen.append(_lease(client, prefix))
            staging_env("b")
            with pytest.raises(RunLockedError) as refused:  # another machine's run, meanwhile
                generate(scenes_file, url, staging=tmp_path / "second", overwrite=True, **OPTIONS)
            refusals.append(str(refused.value))
            if error is not None:
                raise error
        return put(self, rel)

    monkeypatch.setattr(remote.RemoteRun, "_put", put_then_race)
    if error is None:
        assert remote.upload_run(staging, url) == 1
    else:
        with pytest.raises(error):
            remote.upload_run(staging, url)
    assert seen[0] is not None and seen[0]["kind"] == "upload" and seen[0]["pid"] == os.getpid()
    assert "is being written by another veriscene upload run (pid" in refusals[0]
    assert _lease(client, prefix) is None  # removed as it ended, done or not
    if error is None:
        assert _bucket(client, prefix) == _local(staging)  # the run and its export, byte for byte
    assert not (tmp_path / "second").exists()


def test_upload_run_refuses_a_url_another_run_replaced_since(tmp_path, scenes_file, s3, staging_env) -> None:
    _, client = s3
    staging = _run_with_export(tmp_path, scenes_file, "s3://runs/up-replaced")
    staging_env("b")  # between the run and the upload of its export, another machine replaced it
    generate(scenes_file, "s3://runs/up-replaced", staging=tmp_path / "other", overwrite=True,
             **{**OPTIONS, "seed": 6})
    theirs = _bucket(client, "up-replaced")
    staging_env("a")
    with pytest.raises(RunExistsError, match=r"s3://runs/up-replaced holds another run since the run of .* was "
                                             r"uploaded there.*Nothing was uploaded"):
        remote.upload_run(staging, "s3://runs/up-replaced")
    assert _bucket(client, "up-replaced") == theirs


def test_a_run_read_from_the_url_ignores_an_export_lease_in_it(tmp_path, scenes_file, s3, staging_env,
                                                               monkeypatch) -> None:
    _, client = s3
    generate(scenes_file, "s3://runs/exp-lease-read", staging=tmp_path / "stage", **OPTIONS)
    key = "exp-lease-read/export/" + remote_lock.lease_name("hf")  # an export to URL/export/hf under way
    client.put_object(Bucket="runs", Key=key, Body=b"{}")
    monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path / "reader"))
    assert verify("s3://runs/exp-lease-read").ok
    copied = next((tmp_path / "reader").iterdir())
    assert not (copied / "export").exists()
    assert not any("lease" in rel for rel in remote.RemoteRun("s3://runs/exp-lease-read", tmp_path / "x").listing())
