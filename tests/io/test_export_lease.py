"""An export to a URL holds a lease beside what it writes (`engine.remote_lock`, `beside=True`):
another export to that URL, from another machine, is refused while it runs.

Before, `export --out s3://...` was locked on this machine only (the URL's name under
`VERISCENE_STAGING`): two machines exporting to one URL uploaded over each other's files. Another
machine is stood for by a lease written by hand with another host, or by a second export called
from inside the first (the same thread shares the first's local locks, so only the lease can
refuse it). The store is moto's local S3 server, through s3fs (`tests/engine/test_remote.py`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.engine import test_remote
from tests.engine.test_remote import _bucket
from tests.typer_app import invoke
from veriscene.commands.export import register
from veriscene.engine import remote
from veriscene.engine.remote_lock import lease_name
from veriscene.engine.run_lock import RunLockedError
from veriscene.io import export as export_module
from veriscene.io.export import export

s3_server, s3 = test_remote.s3_server, test_remote.s3  # the local S3 server's fixtures


class Stop(Exception):
    pass


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`machine("b")`: the next export's lock on this machine in another folder (as on another
    machine, where only the lease is seen)."""
    def set_machine(name: str) -> None:
        monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path / f"machine-{name}"))

    set_machine("a")
    return set_machine


def _lease(client: Any, key: str) -> dict[str, Any] | None:
    try:
        return orjson.loads(client.get_object(Bucket="runs", Key=key)["Body"].read())
    except client.exceptions.NoSuchKey:
        return None


def _write_lease(client: Any, key: str, **fields: Any) -> None:
    record = {"pid": 4242, "host": "machine-b", "boot": "another-boot", "started": "2026-12-06 08:00:00 UTC",
              "command": "veriscene export run --to hf --out s3://runs/...", "kind": "export",
              "staging": "/elsewhere", "seconds": 120, "refreshed": time.time(), **fields}
    client.put_object(Bucket="runs", Key=key, Body=orjson.dumps(record))


def _local_export(run_dir: Path, tmp_path: Path, to: str, name: str) -> dict[str, bytes]:
    """The files of the same export written to a local folder (absolute paths, as to a URL)."""
    folder = tmp_path / "local-export"
    export(run_dir, folder if name == "" else folder / name, to=to, absolute_paths=True)
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".veriscene-lock")}


@pytest.mark.parametrize("to, out, lease", [
    ("hf", "held-hf/hf", "held-hf/.veriscene-lease.hf.json"),  # a folder written whole: leased beside it
    ("parquet", "held-pq/train.parquet", "held-pq/.veriscene-lease.train.parquet.json"),  # a file
    ("llava", "held-llava/into", "held-llava/.veriscene-lease.into.json"),  # default file names in a folder
])
def test_an_export_to_a_url_another_machine_exports_to_is_refused_naming_it(run_dir, s3, machine, to, out,
                                                                          lease) -> None:
    _, client = s3
    _write_lease(client, lease)
    prefix = out.split("/")[0]
    before = _bucket(client, prefix)
    read: list[int] = []
    with pytest.raises(RunLockedError) as info:
        export(run_dir, f"s3://runs/{out}", to=to, progress=read.append)
    message = str(info.value)
    assert message.startswith(f"s3://runs/{out} is being written by another veriscene export run (pid 4242 on "
                              "machine-b, since 2026-12-06 08:00:00 UTC")
    assert f"Its lease, s3://runs/{lease}, was refreshed" in message and message.endswith("Nothing was written.")
    assert "--overwrite" not in message  # (an export has none)
    assert _bucket(client, prefix) == before  # the other's lease, as it was; nothing else
    assert read == []  # refused before a sample was read


def test_the_command_line_refuses_it_with_exit_2(run_dir, s3, machine) -> None:
    _, client = s3
    _write_lease(client, "held-cli/.veriscene-lease.hf.json")
    result = invoke(register, "export", str(run_dir), "--to", "hf", "--out", "s3://runs/held-cli/hf")
    assert result.exit_code == 2, result.output
    assert "pid 4242 on machine-b" in result.output and "Nothing was written" in result.output
    assert set(_bucket(client, "held-cli")) == {".veriscene-lease.hf.json"}


def test_an_export_holds_its_lease_beside_the_folder_until_uploaded(run_dir, tmp_path, s3, machine,
                                                                   monkeypatch) -> None:
    _, client = s3
    expected = _local_export(run_dir, tmp_path, "hf", "")
    upload = remote.upload_folder
    seen: dict[str, Any] = {}

    def upload_then_race(folder, url, storage_options=None):
        seen["lease"] = _lease(client, "busy/.veriscene-lease.hf.json")
        seen["in-folder"] = set(_bucket(client, "busy/hf"))  # nothing in the export folder: not even a lease
        machine("b")
        with pytest.raises(RunLockedError) as refused:
            export(run_dir, "s3://runs/busy/hf", to="hf")  # another machine's export, meanwhile
        seen["refusal"] = str(refused.value)
        return upload(folder, url, storage_options)

    monkeypatch.setattr(remote, "upload_folder", upload_then_race)
    summary = export(run_dir, "s3://runs/busy/hf", to="hf")
    assert seen["lease"] is not None and seen["lease"]["kind"] == "export"
    assert seen["lease"]["command"] and seen["in-folder"] == set()
    assert "is being written by another veriscene export run (pid" in seen["refusal"]
    assert _bucket(client, "busy") == {f"hf/{rel}": data for rel, data in expected.items()}  # lease removed
    assert _bucket(client, "busy/hf") == expected  # byte-identical to the export written locally
    assert summary.files == ["s3://runs/busy/hf"]  # the folder, which lists no lease


@pytest.mark.parametrize("error", [Stop, KeyboardInterrupt])
@pytest.mark.parametrize("where", ["writing", "uploading"])
def test_an_export_that_fails_or_is_stopped_removes_its_lease(run_dir, tmp_path, s3, machine, monkeypatch,
                                                            error, where) -> None:
    _, client = s3
    prefix = f"failed-{where}-{error.__name__}"
    key = f"{prefix}/.veriscene-lease.train.parquet.json"
    held: list[dict[str, Any] | None] = []

    def fail(*args: Any, **kwargs: Any) -> None:
        held.append(_lease(client, key))
        raise error

    monkeypatch.setattr(export_module if where == "writing" else remote,
                        "write" if where == "writing" else "upload_folder", fail)
    with pytest.raises(error):
        export(run_dir, f"s3://runs/{prefix}/train.parquet", to="parquet")
    assert held[0] is not None and held[0]["kind"] == "export"  # held while it ran
    assert _lease(client, key) is None and _bucket(client, prefix) == {}  # removed as it ended; nothing else
    monkeypatch.undo()
    machine("b")
    export(run_dir, f"s3://runs/{prefix}/train.parquet", to="parquet")  # the URL is free again
    assert set(_bucket(client, prefix)) == {"train.parquet"}


def test_a_stale_export_lease_is_taken_over_with_a_warning(run_dir, tmp_path, s3, machine) -> None:
    _, client = s3
    expected = _local_export(run_dir, tmp_path, "parquet", "train.parquet")
    _write_lease(client, "stale/" + lease_name("train.parquet"), seconds=1)  # a machine lost mid-export
    time.sleep(2.2)  # the store's clock counts whole seconds
    with pytest.warns(UserWarning, match=r"s3://runs/stale/train.parquet: took over the lease of a run that is gone "
                                         r"\(not refreshed for \d+ s, longer than its 1 s\): pid 4242 on machine-b"):
        export(run_dir, "s3://runs/stale/train.parquet", to="parquet")
    assert _bucket(client, "stale") == expected  # the stale lease replaced, then removed
