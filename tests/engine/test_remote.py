"""Runs written to a URL: made in a staging folder, uploaded as they go, resumed from the URL.

`memory://` (fsspec's in-process store) stands for object storage in most tests; the S3 tests run
s3fs against a local S3 server (moto's), which a killed `veriscene generate` process writes to.
"""

import logging
import os
import signal
import subprocess
import sys
import time

import fsspec
import orjson
import pytest
from typer.testing import CliRunner

from veriscene import generate, verify
from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine import remote
from veriscene.engine.manifest import RunExistsError
from veriscene.scene import write_scenes


def _files(fs, root: str) -> dict[str, bytes]:
    root = root.rstrip("/") + "/"
    return {p[len(root):]: fs.cat_file(p) for p in fs.find(root)}


def _local(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != remote.LEDGER}


OPTIONS = dict(seed=5, shard_size=3, generators="counting,attribute.*,multi.has_object.v1")


def test_a_run_at_a_url_has_the_files_of_the_same_run_made_locally(tmp_path, scenes_file, memory) -> None:
    local = tmp_path / "local"
    reference = generate(scenes_file, local, shard_format="zstd", absolute_paths=True, **OPTIONS)
    summary = generate(scenes_file, "memory://bucket/run", staging=tmp_path / "stage", shard_format="zstd",
                       workers=2, **OPTIONS)
    assert summary.samples == reference.samples > 0 and summary.out_dir == "memory://bucket/run"
    assert summary.run_dir == str(tmp_path / "stage")  # the local folder holding it
    assert summary.rejects["report"] == "memory://bucket/run/rejects.jsonl"
    assert any("uploaded to memory://bucket/run" in note for note in summary.notes)
    uploaded = _files(memory, "/bucket/run")
    assert uploaded == _local(local)  # byte for byte: shards, sidecars, manifest, vocabulary, rejects
    # each file counted once, though the manifest goes up at every shard and at the end
    assert any(note.endswith(f": {len(uploaded)} file(s) uploaded") for note in summary.notes), summary.notes
    assert orjson.loads(uploaded["manifest.json"])["status"] == "complete"
    manifest = orjson.loads(uploaded["manifest.json"])
    assert manifest["config"]["scenes"]["path"] == str(scenes_file.resolve())
    assert verify(tmp_path / "stage").ok  # the staging folder is a whole run


def test_sample_image_paths_of_a_run_at_a_url_are_absolute(tmp_path, scenes_file, memory) -> None:
    generate(scenes_file, "memory://b/jsonl", staging=tmp_path / "stage", **OPTIONS)
    uploaded = _files(memory, "/b/jsonl")
    assert sorted(uploaded) == ["manifest.json", "rejects.jsonl", "samples.jsonl", "vocabulary.json"]  # shards merged
    first = orjson.loads(uploaded["samples.jsonl"].splitlines()[0])
    assert first["images"][0]["path"] == str(scenes_file.parent.resolve() / "images" / "demo-000000.png")
    # the same samples as a local run but for the paths
    local = tmp_path / "local"
    generate(scenes_file, local, **OPTIONS)
    assert uploaded["samples.jsonl"].replace(str(scenes_file.parent.resolve()).encode(), b"../in") == \
        (local / "samples.jsonl").read_bytes()


class Stop(Exception):
    pass


def test_an_interrupted_run_is_resumed_from_the_url_alone(tmp_path, scenes_file, memory) -> None:
    reference = tmp_path / "reference"
    generate(scenes_file, reference, absolute_paths=True, **OPTIONS)
    seen = []

    def stop_after_two(sidecar):
        seen.append(sidecar["index"])
        if len(seen) == 2:
            raise Stop

    with pytest.raises(Stop):
        generate(scenes_file, "memory://bucket/run", staging=tmp_path / "first", on_shard=stop_after_two, **OPTIONS)
    left = _files(memory, "/bucket/run")
    assert orjson.loads(left["manifest.json"])["status"] == "running"
    assert {f"shards/shard-{i:05d}.json" for i in seen} <= set(left)  # the shards done were uploaded, sidecars last
    # another machine: a new staging folder, the run downloaded from the URL and completed
    summary = generate(scenes_file, "memory://bucket/run", staging=tmp_path / "second", resume=True, **OPTIONS)
    assert any("downloaded from memory://bucket/run" in note for note in summary.notes)
    done = _files(memory, "/bucket/run")
    assert done == _local(reference)
    # and on the first machine, from its own staging folder: nothing left to do but the same files
    generate(scenes_file, "memory://bucket/run", staging=tmp_path / "first", resume=True, **OPTIONS)
    assert _files(memory, "/bucket/run") == _local(reference)


def test_a_failed_upload_stops_the_run_and_resume_completes_it(tmp_path, scenes_file, memory, monkeypatch) -> None:
    reference = tmp_path / "reference"
    generate(scenes_file, reference, absolute_paths=True, shard_format="zstd", **OPTIONS)
    calls = []
    put = type(memory).put_file

    def flaky(self, local, target, *args, **kwargs):
        # the first shard's upload fails (not the n-th call: shards are uploaded on several
        # threads, and the n-th call could be the manifest's own)
        if str(target).endswith(".zst"):
            calls.append(target)
            if len(calls) == 1:
                raise ConnectionError("connection reset by peer")
        return put(self, local, target, *args, **kwargs)

    monkeypatch.setattr(type(memory), "put_file", flaky)
    with pytest.raises(remote.RemoteError, match="cannot upload to memory://b/run: ConnectionError: connection reset"):
        generate(scenes_file, "memory://b/run", staging=tmp_path / "stage", shard_format="zstd", **OPTIONS)
    assert orjson.loads(_files(memory, "/b/run")["manifest.json"])["status"] == "running"
    monkeypatch.setattr(type(memory), "put_file", put)
    generate(scenes_file, "memory://b/run", staging=tmp_path / "stage", shard_format="zstd", resume=True, **OPTIONS)
    assert _files(memory, "/b/run") == _local(reference)


def test_a_run_on_ray_is_uploaded_by_the_driver(tmp_path, scenes_file, memory, local_ray) -> None:
    reference = tmp_path / "reference"
    generate(scenes_file, reference, absolute_paths=True, shard_format="zstd", **OPTIONS)
    summary = generate(scenes_file, "memory://b/ray", staging=tmp_path / "stage", shard_format="zstd", backend="ray",
                       workers=2, **OPTIONS)
    assert summary.samples > 0 and _files(memory, "/b/ray") == _local(reference)


def test_a_converted_input_is_resumed_from_the_url_without_converting_again(tmp_path, memory, monkeypatch) -> None:
    from tests.io.test_convert import _coco

    src = _coco(tmp_path / "instances.json")
    options = dict(from_format="coco", generators="object.*", reader_options={"masks": False}, shard_size=1)
    reference = tmp_path / "reference"
    generate(src, reference, absolute_paths=True, **options)

    def stop(sidecar):
        raise Stop

    with pytest.raises(Stop):
        generate(src, "memory://b/coco", staging=tmp_path / "one", on_shard=stop, **options)
    left = _files(memory, "/b/coco")
    assert {"scenes.jsonl", "scenes.source.json", "manifest.json"} <= set(left)
    # the converted input is recorded by its place in the run, so another staging folder resumes it
    assert orjson.loads(left["manifest.json"])["config"]["scenes"]["path"] == "scenes.jsonl"
    import veriscene.io.convert

    monkeypatch.setattr(veriscene.io.convert, "convert", lambda *a, **k: pytest.fail("converted again"))
    generate(src, "memory://b/coco", staging=tmp_path / "two", resume=True, **options)
    done, expected = _files(memory, "/b/coco"), _local(reference)
    stamps = orjson.loads(done.pop("scenes.source.json")), orjson.loads(expected.pop("scenes.source.json"))
    assert stamps[0]["key"] == stamps[1]["key"]  # its note names the folder it was converted in
    # the converted scenes lie in the run: their images are named at the run's URL, as a local
    # run's at its folder, never in a staging folder (which differs between a run and its resume:
    # the samples named "one/1.jpg" and "two/2.jpg")
    assert b"/one/" not in done["samples.jsonl"] and b"/two/" not in done["samples.jsonl"]
    expected["samples.jsonl"] = expected["samples.jsonl"].replace(f'"{reference}/'.encode(), b'"memory://b/coco/')
    assert done["samples.jsonl"].count(b'"memory://b/coco/') == expected["samples.jsonl"].count(b'"memory://') > 0
    manifests = [orjson.loads(files.pop("manifest.json")) for files in (done, expected)]
    for manifest in manifests:  # the shards' checksums: of the samples, whose image paths differ
        for shard in manifest["shards"]:
            shard.pop("sha256")
    assert manifests[0] == manifests[1]
    assert done == expected


def test_a_url_holding_a_run_is_refused_unless_resumed_or_overwritten(tmp_path, scenes_file, memory) -> None:
    generate(scenes_file, "memory://b/run", staging=tmp_path / "s1", **OPTIONS)
    memory.pipe_file("/b/run/notes.txt", b"mine")  # not a file of the run: kept by overwrite
    with pytest.raises(RunExistsError, match="memory://b/run already holds a run"):
        generate(scenes_file, "memory://b/run", staging=tmp_path / "s2", **OPTIONS)
    with pytest.raises(ValueError, match="holds the run of memory://b/run, not of memory://b/other"):
        generate(scenes_file, "memory://b/other", staging=tmp_path / "s1", **OPTIONS)
    summary = generate(scenes_file, "memory://b/run", staging=tmp_path / "s2", overwrite=True, shard_format="zstd",
                       **OPTIONS)
    after = _files(memory, "/b/run")
    assert "samples.jsonl" not in after and after["notes.txt"] == b"mine"
    assert orjson.loads(after["manifest.json"])["counts"]["samples"] == summary.samples


def test_staging_is_only_for_a_url_and_an_unknown_protocol_is_named(tmp_path, scenes_file) -> None:
    with pytest.raises(ValueError, match="for an output at a URL"):
        generate(scenes_file, tmp_path / "run", staging=tmp_path / "s")
    with pytest.raises(remote.RemoteError, match="nosuchstore://x/run"):
        generate(scenes_file, "nosuchstore://x/run", staging=tmp_path / "s")


def test_is_url_and_default_staging(monkeypatch, tmp_path) -> None:
    assert remote.is_url("s3://b/run") and remote.is_url("gs://b/x") and remote.is_url("memory://x")
    assert not remote.is_url("run") and not remote.is_url("file:///tmp/run") and not remote.is_url(tmp_path)
    assert remote.local_path("file:///tmp/run") == remote.local_path("/tmp/run")
    monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path))
    staging = remote.default_staging("s3://bucket/runs/a")
    assert staging.parent == tmp_path and staging.name.startswith("bucket_runs_a-")
    assert staging == remote.default_staging("s3://bucket/runs/a/") != remote.default_staging("s3://bucket/runs/b")


def test_cli_generates_to_a_url_and_exports_there(tmp_path, scenes_file, memory) -> None:
    result = CliRunner().invoke(app, [
        "generate", str(scenes_file), "--out", "memory://bucket/cli", "--staging", str(tmp_path / "stage"),
        "-g", "counting", "--to", "llava"])
    assert result.exit_code == 0, result.output
    uploaded = _files(memory, "/bucket/cli")
    assert {"manifest.json", "samples.jsonl", "export/llava/llava.json"} <= set(uploaded)
    assert "memory://bucket/cli/export/llava" in result.output
    result = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", str(tmp_path / "r"),
                                      "--staging", str(tmp_path / "s")])
    assert result.exit_code == 2 and "for an output at a URL" in result.output


def test_cli_without_staging_uses_the_default_folder(tmp_path, scenes_file, memory, monkeypatch) -> None:
    monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["generate", str(scenes_file), "--out", "memory://bucket/d/", "-g", "counting",
                                      "--to", "sharegpt"])
    assert result.exit_code == 0, result.output
    staging = remote.default_staging("memory://bucket/d")
    assert staging.parent == tmp_path / "cache" and (staging / "export" / "sharegpt").is_dir()
    assert any(name.startswith("export/sharegpt/") for name in _files(memory, "/bucket/d"))


def test_upload_run_uploads_a_local_run_once(tmp_path, scenes_file, memory) -> None:
    run = tmp_path / "run"
    generate(scenes_file, run, **OPTIONS)
    assert remote.upload_run(run, "memory://b/copy") == 4
    assert _files(memory, "/b/copy") == _local(run)
    assert remote.upload_run(run, "memory://b/copy") == 0  # nothing changed since
    # the ledger: the URL, then a line per file; a line cut short by a kill is ignored
    ledger = run / remote.LEDGER
    assert len(ledger.read_bytes().splitlines()) == 1 + 4
    with open(ledger, "ab") as fh:
        fh.write(b'["samples.jsonl", 12')
    (run / "rejects.jsonl").write_bytes(b"")  # rewritten: its modification time changes
    os.utime(run / "rejects.jsonl", ns=(1, 1))
    assert remote.upload_run(run, "memory://b/copy") == 1
    with pytest.raises(FileNotFoundError, match="holds no run"):
        remote.upload_run(tmp_path / "in", "memory://b/none")


# ---- S3, through s3fs, against a local S3 server ---------------------------------------------


@pytest.fixture(scope="module")
def s3_server():
    import boto3  # the test extra's: s3fs, and moto's S3 server
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL": endpoint,
           "AWS_DEFAULT_REGION": "us-east-1"}
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    client.create_bucket(Bucket="runs")
    yield env, client
    server.stop()


@pytest.fixture
def s3(s3_server, monkeypatch):
    env, client = s3_server
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    fsspec.filesystem("s3").clear_instance_cache()
    return env, client


def _bucket(client, prefix: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket="runs", Prefix=prefix + "/").get("Contents", [])
    return {o["Key"][len(prefix) + 1:]: client.get_object(Bucket="runs", Key=o["Key"])["Body"].read() for o in listed}


def test_a_run_killed_mid_upload_to_s3_is_resumed_elsewhere(tmp_path, s3) -> None:
    env, client = s3
    scenes = tmp_path / "in" / "scenes.jsonl"
    scenes.parent.mkdir()
    write_scenes(iter_scene_graphs(60, seed=2), scenes)
    options = ["--seed", "5", "--shard-size", "2", "--shard-format", "zstd", "-g", "counting,attribute.*,spatial.*"]
    reference = tmp_path / "reference"
    generate(scenes, reference, seed=5, shard_size=2, shard_format="zstd", generators="counting,attribute.*,spatial.*",
             absolute_paths=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "veriscene", "generate", str(scenes), "--out", "s3://runs/killed",
         "--staging", str(tmp_path / "machine-1"), *options],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = client.list_objects_v2(Bucket="runs", Prefix="killed/shards/").get("Contents", [])
        if any(o["Key"].endswith(".json") for o in listed) or proc.poll() is not None:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = _bucket(client, "killed")
    assert orjson.loads(left["manifest.json"])["status"] == "running"  # killed before the end
    assert sum(k.startswith("shards/") and k.endswith(".json") for k in left) < 30
    # two local workers, forked after s3fs started its thread; the killed run's lease (this
    # machine's, its process gone) is taken over at once, said
    with pytest.warns(UserWarning, match=rf"took over the lease of a run that is gone \(its process {proc.pid} "):
        summary = generate(scenes, "s3://runs/killed", staging=tmp_path / "machine-2", resume=True, seed=5,
                           shard_size=2, shard_format="zstd", generators="counting,attribute.*,spatial.*", workers=2)
    assert any("downloaded from s3://runs/killed" in note for note in summary.notes)
    assert _bucket(client, "killed") == _local(reference)


def test_a_bucket_that_cannot_be_written_is_refused_before_the_run(tmp_path, s3) -> None:
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(2, seed=2), scenes)
    with pytest.raises(remote.RemoteError, match="cannot write to s3://no-such-bucket/run: .*bucket does not exist"):
        generate(scenes, "s3://no-such-bucket/run", staging=tmp_path / "stage")
    assert not (tmp_path / "stage").exists()  # nothing made


def test_scenes_read_from_s3_and_the_run_read_back_from_it(tmp_path, s3, monkeypatch) -> None:
    from veriscene.engine import fetch
    from veriscene.stats import stats

    env, client = s3
    monkeypatch.setenv(fetch.DOWNLOADS_ENV, str(tmp_path / "downloads"))
    monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path / "staging"))
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(8, seed=2), scenes)
    lines = scenes.read_bytes().splitlines(keepends=True)
    client.put_object(Bucket="runs", Key="data/a.jsonl", Body=b"".join(lines[:5]))
    client.put_object(Bucket="runs", Key="data/b.jsonl", Body=b"".join(lines[5:]))
    reference = generate(scenes, tmp_path / "local", seed=1, generators="counting")
    summary = generate("s3://runs/data/", "s3://runs/out", staging=tmp_path / "made", seed=1, generators="counting",
                       shard_format="zstd")
    assert summary.samples == reference.samples > 0
    manifest = orjson.loads(_bucket(client, "out")["manifest.json"])
    assert [f["path"] for f in manifest["config"]["scenes"]] == ["s3://runs/data/a.jsonl", "s3://runs/data/b.jsonl"]
    # read back as on another machine: downloaded into the URL's staging folder, inputs from the bucket
    report = verify("s3://runs/out")
    assert report.ok and report.samples == summary.samples
    assert (remote.default_staging("s3://runs/out") / "manifest.json").is_file()
    # an input object replaced (a new ETag): downloaded again
    copy = fetch.fetch_file("s3://runs/data/a.jsonl")
    client.put_object(Bucket="runs", Key="data/a.jsonl", Body=b"".join(lines[:4]))
    assert fetch.fetch_file("s3://runs/data/a.jsonl") == copy and copy.read_bytes() == b"".join(lines[:4])
    assert stats("s3://runs/out").samples == summary.samples


def test_images_read_from_s3_embedded_in_an_export_written_to_s3(tmp_path, s3, monkeypatch) -> None:
    import io

    import pyarrow.parquet as pq
    from PIL import Image

    from veriscene.engine import fetch
    from veriscene.io.export import export

    env, client = s3
    monkeypatch.setenv(fetch.DOWNLOADS_ENV, str(tmp_path / "downloads"))
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(4, seed=3), scenes)
    client.put_object(Bucket="runs", Key="pics/scenes.jsonl", Body=scenes.read_bytes())
    pngs = {}
    for k, line in enumerate(scenes.read_bytes().splitlines()):
        buffer = io.BytesIO()
        Image.new("RGB", (5, 4), (0, k * 40, 0)).save(buffer, format="PNG")
        key = f"pics/{orjson.loads(line)['image']}"
        client.put_object(Bucket="runs", Key=key, Body=buffer.getvalue())
        pngs[f"s3://runs/{key}"] = buffer.getvalue()
    generate("s3://runs/pics/scenes.jsonl", tmp_path / "run", seed=1, generators="counting")
    summary = export(tmp_path / "run", "s3://runs/exports/train.parquet", to="parquet", embed_images=True)
    assert summary.files == ["s3://runs/exports/train.parquet"] and summary.images_missing == 0
    assert summary.images_embedded == summary.images_at_urls == summary.samples_written > 0
    table = pq.read_table(io.BytesIO(_bucket(client, "exports")["train.parquet"]))
    images = [im for row in table.to_pylist() for im in row["images"]]
    assert len(images) == summary.samples_written and all(im["bytes"] == pngs[im["path"]] for im in images)


def test_a_folder_on_s3_is_copied_and_then_only_what_changed(tmp_path, s3, monkeypatch) -> None:
    from veriscene.engine import fetch

    env, client = s3
    monkeypatch.setenv(fetch.DOWNLOADS_ENV, str(tmp_path / "downloads"))
    files = {"maps/a.png": b"a" * 10, "maps/sub/b.png": b"b" * 20, "maps/c.csv": b"value,name\n"}
    for key, body in files.items():
        client.put_object(Bucket="runs", Key=f"med/{key}", Body=body)
    shown: list[int] = []
    copy = fetch.fetch_folder("s3://runs/med/maps", progress=lambda url, done, total: shown.append(done))
    assert {f"maps/{p.relative_to(copy).as_posix()}": p.read_bytes() for p in copy.rglob("*") if p.is_file()} == files
    assert max(shown) == 10 + 20 + len(files["maps/c.csv"])
    client.put_object(Bucket="runs", Key="med/maps/sub/b.png", Body=b"B" * 5)
    client.delete_object(Bucket="runs", Key="med/maps/a.png")
    shown.clear()
    assert fetch.fetch_folder("s3://runs/med/maps/", progress=lambda url, done, total: shown.append(total)) == copy
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()) == ["c.csv", "sub/b.png"]
    assert (copy / "sub" / "b.png").read_bytes() == b"B" * 5 and shown == [5 + len(files["maps/c.csv"])]


def test_a_file_removed_while_it_is_sent_is_skipped(tmp_path, memory, monkeypatch) -> None:
    """jsonl shards are merged and removed at the end of a run, maybe while a thread sends one."""
    run = remote.RemoteRun("memory://b/race", tmp_path)
    (tmp_path / "shards").mkdir()
    shard = tmp_path / "shards" / "shard-00000.jsonl"
    shard.write_bytes(b"{}\n")

    def removed_meanwhile(local, target, **kwargs):
        shard.unlink()
        raise FileNotFoundError(local)

    monkeypatch.setattr(run.fs, "put_file", removed_meanwhile)
    run._put("shards/shard-00000.jsonl")  # no error: the file is no longer wanted
    (tmp_path / "kept.json").write_bytes(b"{}")
    monkeypatch.setattr(run.fs, "put_file", lambda *a, **k: (_ for _ in ()).throw(ConnectionError("reset")))
    with pytest.raises(remote.RemoteError, match="cannot upload to memory://b/race: ConnectionError: reset"):
        run._put("kept.json")  # a file still there: its failure is said
    run.close()
