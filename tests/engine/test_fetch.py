"""Reading from object storage: scene files given by URL, and runs read from a URL by the commands.

`memory://` (fsspec's in-process store) stands for object storage, as in test_remote.py.
"""

from contextlib import contextmanager

import fsspec
import orjson
import pytest
from typer.testing import CliRunner

from veriscene import generate, verify
from veriscene.cli import app
from veriscene.engine import fetch, remote
from veriscene.engine.manifest import ResumeMismatchError
from veriscene.io.export import export
from veriscene.scene.compressed import CompressedFileError
from veriscene.stats import stats

OPTIONS = dict(seed=5, shard_size=3, generators="counting,attribute.*,multi.has_object.v1")


@pytest.fixture
def memory(tmp_path, monkeypatch):
    monkeypatch.setenv(fetch.DOWNLOADS_ENV, str(tmp_path / "downloads"))
    monkeypatch.setenv(remote.STAGING_ENV, str(tmp_path / "staging"))
    fs = fsspec.filesystem("memory")
    yield fs
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")


@contextmanager
def _no_download(fs):
    def refuse(*args, **kwargs):
        raise AssertionError("downloaded again")

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(type(fs), "get_file", refuse)
        yield


def test_scenes_read_from_a_url_give_the_samples_of_the_same_file_read_locally(tmp_path, scenes_file, memory) -> None:
    memory.pipe_file("/data/scenes.jsonl", scenes_file.read_bytes())
    local = generate(scenes_file, tmp_path / "local", absolute_paths=True, **OPTIONS)
    summary = generate("memory://data/scenes.jsonl", tmp_path / "run", **OPTIONS)
    assert summary.samples == local.samples > 0
    assert any("read from memory://data/scenes.jsonl" in note for note in summary.notes)
    samples = (tmp_path / "run" / "samples.jsonl").read_bytes()
    # images are found relative to the file's folder, at the URL
    first = orjson.loads(samples.splitlines()[0])
    assert first["images"][0]["path"] == "memory://data/images/demo-000000.png"
    assert samples.replace(b"memory://data", str(scenes_file.parent.resolve()).encode()) == \
        (tmp_path / "local" / "samples.jsonl").read_bytes()
    manifest = orjson.loads((tmp_path / "run" / "manifest.json").read_bytes())
    assert manifest["config"]["scenes"]["path"] == "memory://data/scenes.jsonl"
    assert verify(tmp_path / "run").ok  # the manifest's input, read through the local copy
    exported = export(tmp_path / "run", tmp_path / "llava.json", to="llava")
    assert exported.images_at_urls == exported.images_referenced > 0 and exported.images_missing == 0
    assert orjson.loads((tmp_path / "llava.json").read_bytes())[0]["image"].startswith("memory://data/images/")
    # downloaded once: a resume, a verify and a second run read the copy
    with _no_download(memory):
        assert generate("memory://data/scenes.jsonl", tmp_path / "run", resume=True, **OPTIONS).samples == summary.samples
        assert generate("memory://data/scenes.jsonl", tmp_path / "again", **OPTIONS).samples == summary.samples
    # the object replaced: downloaded again, and a resume of the run made from the old one refused
    memory.pipe_file("/data/scenes.jsonl", scenes_file.read_bytes().split(b"\n", 1)[1])
    with pytest.raises(ResumeMismatchError, match="sha256"):
        generate("memory://data/scenes.jsonl", tmp_path / "run", resume=True, **OPTIONS)


def test_a_folder_or_a_pattern_at_a_url_gives_its_scene_files_by_name(tmp_path, scenes_file, memory) -> None:
    lines = scenes_file.read_bytes().splitlines(keepends=True)
    parts = [tmp_path / "in" / "part-2.jsonl", tmp_path / "in" / "part-1.jsonl"]
    parts[0].write_bytes(b"".join(lines[6:]))
    parts[1].write_bytes(b"".join(lines[:6]))
    for part in parts:
        memory.pipe_file(f"/data/parts/{part.name}", part.read_bytes())
    memory.pipe_file("/data/parts/README.md", b"not scenes")
    reference = generate([parts[1], parts[0]], tmp_path / "local", absolute_paths=True, **OPTIONS)
    for given in ("memory://data/parts", "memory://data/parts/part-*.jsonl"):
        out = tmp_path / given.rsplit("/", 1)[1].replace("*", "x")
        summary = generate(given, out, **OPTIONS)
        assert summary.samples == reference.samples
        manifest = orjson.loads((out / "manifest.json").read_bytes())
        assert [f["path"] for f in manifest["config"]["scenes"]] == [
            "memory://data/parts/part-1.jsonl", "memory://data/parts/part-2.jsonl"]
    with pytest.raises(FileNotFoundError, match="no file matches memory://data/parts/none-"):
        generate("memory://data/parts/none-*.jsonl", tmp_path / "none", **OPTIONS)
    with pytest.raises(FileNotFoundError, match="memory://data/missing.jsonl does not exist"):
        generate("memory://data/missing.jsonl", tmp_path / "none", **OPTIONS)
    with pytest.raises(IsADirectoryError, match="^memory://data/parts is a folder: the coco reader reads an "
                                                "annotation file"):
        generate("memory://data/parts", tmp_path / "none", from_format="coco")


def test_scenes_from_a_url_into_a_run_at_a_url(tmp_path, scenes_file, memory) -> None:
    memory.pipe_file("/data/scenes.jsonl", scenes_file.read_bytes())
    summary = generate("memory://data/scenes.jsonl", "memory://b/run", shard_format="zstd", **OPTIONS)
    assert summary.samples > 0
    assert orjson.loads(memory.cat_file("/b/run/manifest.json"))["config"]["scenes"]["path"] == \
        "memory://data/scenes.jsonl"


def _run_at_url(tmp_path, scenes_file, url: str, **options) -> int:
    return generate(scenes_file, url, staging=tmp_path / "made-here", **{**OPTIONS, **options}).samples


def test_a_run_at_a_url_is_read_through_its_staging_folder(tmp_path, scenes_file, memory) -> None:
    samples = _run_at_url(tmp_path, scenes_file, "memory://b/run", shard_format="zstd")
    # another machine: the run is downloaded into the URL's default staging folder
    report = verify("memory://b/run")
    assert report.ok and report.samples == samples
    folder = remote.default_staging("memory://b/run")
    assert folder.is_relative_to(tmp_path / "staging") and (folder / "manifest.json").is_file()
    assert stats("memory://b/run").samples == samples
    assert export("memory://b/run", tmp_path / "llava.json", to="llava").samples_written == samples
    # read again: nothing downloaded
    with _no_download(memory):
        assert fetch.fetch_run("memory://b/run") == folder
        assert stats("memory://b/run/").samples == samples
    # the URL's run replaced by another: the folder becomes a copy of it (no file of the old one left)
    generate(scenes_file, "memory://b/run", staging=tmp_path / "made-here", overwrite=True, **OPTIONS)  # jsonl
    assert stats("memory://b/run").samples == samples
    assert not (folder / "shards").exists() and (folder / "samples.jsonl").is_file()
    # a run made here is read where it is (its staging folder), with nothing downloaded
    with _no_download(memory):
        assert fetch.fetch_run("memory://b/run", staging=tmp_path / "made-here") == tmp_path / "made-here"


def test_what_cannot_be_read_from_a_url_is_said(tmp_path, scenes_file, memory) -> None:
    with pytest.raises(FileNotFoundError, match="memory://nothing/here does not exist"):
        verify("memory://nothing/here")
    memory.pipe_file("/b/empty/notes.txt", b"x")
    with pytest.raises(FileNotFoundError, match="memory://b/empty holds no run"):
        stats("memory://b/empty")
    manifest = {"status": "running", "config": {}}
    memory.pipe_file("/b/going/manifest.json", orjson.dumps(manifest))
    with pytest.raises(ValueError, match="has not finished"):
        stats("memory://b/going")
    # a folder holding another URL's run is not written over
    _run_at_url(tmp_path, scenes_file, "memory://b/run")
    memory.copy("/b/run", "/b/copy", recursive=True)
    with pytest.raises(ValueError, match="holds the run of memory://b/run, not of memory://b/copy"):
        fetch.fetch_run("memory://b/copy", staging=tmp_path / "made-here")
    # a broken input is named by its URL, not by its local copy
    import gzip

    packed = gzip.compress(scenes_file.read_bytes())
    memory.pipe_file("/data/cut.jsonl.gz", packed[: len(packed) // 2])
    with pytest.raises(CompressedFileError, match="^memory://data/cut.jsonl.gz: cannot read") as raised:
        generate("memory://data/cut.jsonl.gz", tmp_path / "cut", **OPTIONS)
    assert "downloads" not in str(raised.value)
    damage = raised.value.damage  # where, kept: the lines before the cut, the line it cuts off
    assert damage is not None and damage.truncated and damage.offset == damage.size == len(packed) // 2
    assert f"{damage.lines:,} complete lines, then line {damage.lines + 1:,} cut off" in str(raised.value)


def test_a_samples_file_at_a_url_is_read(tmp_path, scenes_file, memory) -> None:
    samples = generate(scenes_file, tmp_path / "run", absolute_paths=True, **OPTIONS).samples
    memory.pipe_file("/b/samples.jsonl", (tmp_path / "run" / "samples.jsonl").read_bytes())
    assert stats("memory://b/samples.jsonl").samples == samples
    memory.pipe_file("/b/scenes.jsonl", scenes_file.read_bytes())
    report = verify("memory://b/samples.jsonl", "memory://b/scenes.jsonl")
    assert report.ok and report.samples == samples


def test_the_commands_read_a_run_at_a_url(tmp_path, scenes_file, memory) -> None:
    memory.pipe_file("/data/scenes.jsonl", scenes_file.read_bytes())
    runner = CliRunner()
    made = runner.invoke(app, ["generate", "memory://data/scenes.jsonl", "--out", "memory://b/run",
                               "--shard-format", "zstd", "-g", "counting"])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(app, ["verify", "memory://b/run"])
    assert checked.exit_code == 0 and "verified" in checked.output, checked.output
    counted = runner.invoke(app, ["stats", "memory://b/run", "--json", "--no-chart"])
    assert counted.exit_code == 0 and orjson.loads(counted.output)["samples"] > 0, counted.output
    exported = runner.invoke(app, ["export", "memory://b/run", "--to", "llava"])
    assert exported.exit_code == 0, exported.output
    assert (remote.default_staging("memory://b/run") / "export" / "llava").is_dir()
    card = runner.invoke(app, ["card", "memory://b/run"])
    assert card.exit_code == 0, card.output
    text = (remote.default_staging("memory://b/run") / "README.md").read_text()
    assert "Input scene graphs: `memory://data/scenes.jsonl`, sha256" in text  # a URL: not relative to the run
    page = runner.invoke(app, ["view", "memory://b/run", "--html", str(tmp_path / "page.html"), "--count", "5"])
    assert page.exit_code == 0 and "wrote 5 of" in page.output, page.output
    from veriscene.engine.runfiles import sample_lines

    ids = [orjson.loads(line)["id"] for _, line in sample_lines(fetch.readable("memory://b/run"))]
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": i, "reply": "3"}) + b"\n" for i in ids))
    scored = runner.invoke(app, ["eval", "memory://b/run", "--model", f"replay:{replies}", "--out",
                                 str(tmp_path / "eval"), "--freeform", "off"])
    # every sample of the run at the URL read; their images (scenes read from a URL) are at URLs,
    # read from there, and not uploaded in this test: each sample says so
    assert scored.exit_code == 1 and "rerun" in scored.output, scored.output
    results = [orjson.loads(line) for line in (tmp_path / "eval" / "results.jsonl").read_bytes().splitlines()]
    assert len(results) == len(ids) > 0
    assert all("memory://data/images/" in r["error"] and r["error"].endswith("does not exist") for r in results)
    missing = runner.invoke(app, ["stats", "memory://b/nothing"])
    assert missing.exit_code == 2 and "memory://b/nothing does not exist" in missing.output


def test_urls_join_as_paths_do() -> None:
    assert fetch.url_folder("s3://bucket/a/scenes.jsonl") == "s3://bucket/a"
    assert fetch.join_url("s3://bucket/a", "images/x.png") == "s3://bucket/a/images/x.png"
    assert fetch.join_url("s3://bucket/a", "../img/x.png") == "s3://bucket/img/x.png"
    assert fetch.join_url("s3://bucket/a", "https://host/x.png") == "https://host/x.png"


def test_a_download_reports_its_progress(tmp_path, scenes_file, memory) -> None:
    data = scenes_file.read_bytes()
    memory.pipe_file("/data/scenes.jsonl", data)
    seen = []
    copy = fetch.fetch_file("memory://data/scenes.jsonl", progress=lambda url, done, total: seen.append((url, done, total)))
    assert copy.read_bytes() == data
    assert seen and seen[-1] == ("memory://data/scenes.jsonl", len(data), len(data))
    seen.clear()
    fetch.fetch_file("memory://data/scenes.jsonl", progress=lambda *a: seen.append(a))
    assert seen == []  # the copy is the object's: nothing downloaded


def _images_at(memory, scenes_file) -> dict[str, bytes]:
    """A small PNG for each scene's image, at memory://data/<its path>: {URL: bytes}."""
    import io

    from PIL import Image

    pngs = {}
    for k, line in enumerate(scenes_file.read_bytes().splitlines()):
        name = orjson.loads(line)["image"]
        buffer = io.BytesIO()
        Image.new("RGB", (8, 6), (k * 20, 0, 0)).save(buffer, format="PNG")
        memory.pipe_file(f"/data/{name}", buffer.getvalue())
        pngs[f"memory://data/{name}"] = buffer.getvalue()
    return pngs


def test_images_at_urls_are_read_where_a_command_needs_them(tmp_path, scenes_file, memory) -> None:
    import pyarrow.parquet as pq

    from veriscene.evaluate import evaluate
    from veriscene.viewer.catalog import Catalog

    memory.pipe_file("/data/scenes.jsonl", scenes_file.read_bytes())
    pngs = _images_at(memory, scenes_file)
    generate("memory://data/scenes.jsonl", tmp_path / "run", **OPTIONS)
    gone = sorted(pngs)[0]
    memory.rm_file(gone)
    # embedded: each image's bytes, read from the store; the one gone counted missing, once
    summary = export(tmp_path / "run", tmp_path / "train.parquet", to="parquet", embed_images=True)
    assert summary.images_missing == 1 and summary.missing_examples == [gone]
    rows = pq.read_table(tmp_path / "train.parquet").to_pylist()
    cells = [im for row in rows for im in row["images"]]
    embedded = [(im["path"], im["bytes"]) for im in cells if im is not None]
    assert summary.images_embedded == len(embedded) == summary.images_at_urls - cells.count(None) > 0
    assert all(data == pngs[path] for path, data in embedded)
    assert cells.count(None) >= 1  # the one gone: a null cell, not a path `datasets` would open
    # not embedded: written as they are, unchecked; or checked with check_urls, without reading them
    unchecked = export(tmp_path / "run", tmp_path / "a" / "llava.json", to="llava")
    assert unchecked.images_at_urls == summary.images_at_urls and unchecked.images_missing == 0
    with _no_download(memory):
        checked = export(tmp_path / "run", tmp_path / "b" / "llava.json", to="llava", check_urls=True)
    assert checked.images_missing == 1 and checked.missing_examples == [gone]
    assert checked.images_checked == summary.images_embedded and checked.images_embedded == 0
    assert (tmp_path / "a" / "llava.json").read_bytes() == (tmp_path / "b" / "llava.json").read_bytes()
    said = CliRunner().invoke(app, ["export", str(tmp_path / "run"), "--to", "llava", "--out",
                                    str(tmp_path / "cli.json"), "--check-urls"])
    assert said.exit_code == 0 and f"{summary.images_embedded} found in the store" in said.output, said.output
    assert gone in said.output
    # evaluation sends the local copies; the samples of the image gone get the error, the others are scored
    ids = [orjson.loads(line)["id"] for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()]
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": i, "reply": "3"}) + b"\n" for i in ids))
    downloaded: list[tuple[int, int]] = []
    evaluate(tmp_path / "run" / "samples.jsonl", f"replay:{replies}", tmp_path / "eval", freeform="off",
             download_progress=lambda done, total: downloaded.append((done, total)))
    assert sorted(downloaded) == [(k, len(pngs)) for k in range(1, len(pngs) + 1)]  # each image, the one gone too
    results = [orjson.loads(line) for line in (tmp_path / "eval" / "results.jsonl").read_bytes().splitlines()]
    failed = [r for r in results if r["error"]]
    assert 0 < len(failed) < len(results)
    assert all(r["error"].endswith(f"{gone} does not exist") for r in failed)
    assert all(r["correct"] is not None for r in results if not r["error"])
    # the viewer shows the local copy
    catalog = Catalog.open(tmp_path / "run")
    shown = next(url for url in sorted(pngs) if url != gone)
    image_id = shown.rsplit("/", 1)[1].rsplit(".", 1)[0]
    copy = catalog.image_file(image_id)
    assert copy is not None and copy.read_bytes() == pngs[shown]
    assert catalog.image_file(gone.rsplit("/", 1)[1].rsplit(".", 1)[0]) is None
    # the RL environment: the local copies, downloaded up front; the samples of the image gone unusable
    from veriscene.rewards.env import VQAEnv

    env = VQAEnv(tmp_path / "run")
    single = [r for r in (orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines())
              if len(r["images"]) == 1]
    assert 0 < len(env.samples) < len(single) and all(s["images"][0]["path"] != gone for s in env.samples)
    observation, _ = env.reset(seed=0)
    assert env.image_path(env._sample).read_bytes() == pngs[env._sample["images"][0]["path"]]
    assert observation["image"].shape[2] == 3


def test_an_export_is_written_to_a_url(tmp_path, scenes_file, memory) -> None:
    generate(scenes_file, tmp_path / "run", **OPTIONS)
    local = export(tmp_path / "run", tmp_path / "llava.json", to="llava", absolute_paths=True)
    # a file's URL: the file; image paths absolute (relative to a temporary folder they would mean nothing)
    summary = export(tmp_path / "run", "memory://out/v1/llava.json", to="llava")
    assert summary.files == ["memory://out/v1/llava.json"] and summary.out == "memory://out/v1/llava.json"
    assert summary.image_root is None and summary.samples_written == local.samples_written > 0
    assert memory.cat_file("/out/v1/llava.json") == (tmp_path / "llava.json").read_bytes()
    # a folder's URL: the format's files under it; an image root keeps paths relative to it
    summary = export(tmp_path / "run", "memory://out/v1/sharegpt", to="sharegpt", image_root=tmp_path)
    assert sorted(summary.files) == ["memory://out/v1/sharegpt/dataset_info.json", "memory://out/v1/sharegpt/sharegpt.json"]
    rows = orjson.loads(memory.cat_file("/out/v1/sharegpt/sharegpt.json"))
    assert rows[0]["images"][0].startswith("run/") or rows[0]["images"][0].startswith("in/")
    # the CLI says where it went; a store that cannot be reached is an error, before any work
    runner = CliRunner()
    done = runner.invoke(app, ["export", str(tmp_path / "run"), "--to", "jsonl", "--out", "memory://out/v1/all.jsonl"])
    assert done.exit_code == 0 and "memory://out/v1/all.jsonl" in done.output and "absolute paths" in done.output, done.output
    assert memory.exists("/out/v1/all.jsonl")
    refused = runner.invoke(app, ["export", str(tmp_path / "run"), "--to", "llava", "--out", "nosuchstore://b/x.json"])
    assert refused.exit_code == 1 and "nosuchstore://b/x.json" in refused.output, refused.output


def test_many_files_at_urls_are_read_at_once(tmp_path, memory) -> None:
    for k in range(20):
        memory.pipe_file(f"/imgs/{k}.png", bytes([k]) * 10)
    urls = [f"memory://imgs/{k}.png" for k in range(20)] + ["memory://imgs/none.png", "memory://imgs/3.png"]
    read = fetch.read_urls(urls, threads=4)
    assert list(read) == urls[:21]  # each once, in order
    assert all(read[f"memory://imgs/{k}.png"] == bytes([k]) * 10 for k in range(20))
    assert isinstance(read["memory://imgs/none.png"], FileNotFoundError)
    copies = fetch.fetch_files(urls, threads=4)
    assert all(copies[f"memory://imgs/{k}.png"].read_bytes() == bytes([k]) * 10 for k in range(20))
    assert "memory://imgs/none.png does not exist" in str(copies["memory://imgs/none.png"])


def test_annotations_at_a_url_are_converted_with_their_images_at_urls(tmp_path, memory) -> None:
    import io

    import pyarrow.parquet as pq
    from PIL import Image

    from tests.io.test_convert import _coco
    from veriscene.engine.reproduce import generate_command

    src = _coco(tmp_path / "instances.json")
    memory.pipe_file("/coco/annotations/instances.json", src.read_bytes())
    pngs = {}
    for name in ("1.jpg", "2.jpg"):
        buffer = io.BytesIO()
        Image.new("RGB", (50, 40), (len(pngs) * 90, 0, 0)).save(buffer, format="PNG")
        memory.pipe_file(f"/coco/val2017/{name}", buffer.getvalue())
        pngs[f"memory://coco/val2017/{name}"] = buffer.getvalue()
    options = dict(from_format="coco", reader_options={"masks": False, "image_root": "memory://coco/val2017"},
                   generators="object.*", seed=2)
    summary = generate("memory://coco/annotations/instances.json", tmp_path / "run", **options)
    assert summary.scenes == 2 and any("read memory://coco/annotations/instances.json as coco" in n
                                       for n in summary.notes)
    samples = [orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()]
    assert samples and {s["images"][0]["path"] for s in samples} == set(pngs)
    # the same samples as from the local file with a local image root, but for the image paths
    local = generate(src, tmp_path / "local", **{**options, "reader_options": {"masks": False,
                                                                               "image_root": str(tmp_path / "imgs")}})
    assert local.samples == summary.samples
    # resumed without converting again (the conversion is keyed by the URL), and made again by the card's command
    with _no_download(memory):
        again = generate("memory://coco/annotations/instances.json", tmp_path / "run", resume=True, **options)
    assert again.samples == summary.samples and any("reused" in note for note in again.notes)
    manifest = orjson.loads((tmp_path / "run" / "manifest.json").read_bytes())
    argv = generate_command(manifest, tmp_path / "run").argv
    assert argv[2:5] == ["memory://coco/annotations/instances.json", "--from", "coco"]
    assert "image_root=memory://coco/val2017" in argv
    # an export embeds the images, read from the store
    exported = export(tmp_path / "run", tmp_path / "t.parquet", to="parquet", embed_images=True)
    assert exported.images_embedded == len(samples) and exported.images_missing == 0
    rows = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert all(im["bytes"] == pngs[im["path"]] for row in rows for im in row["images"])
    # a bad record is named by the URL, in the rejects and in a strict run's error
    bad = orjson.loads(src.read_bytes())
    bad["annotations"][0]["bbox"] = [2, 2, -5, 10]
    memory.pipe_file("/coco/annotations/bad.json", orjson.dumps(bad))
    generate("memory://coco/annotations/bad.json", tmp_path / "bad", **options)
    rejects = [orjson.loads(line) for line in (tmp_path / "bad" / "convert_rejects.jsonl").read_bytes().splitlines()]
    assert rejects and all(r["file"] == "memory://coco/annotations/bad.json" for r in rejects)
    with pytest.raises(ValueError, match="^memory://coco/annotations/bad.json, "):
        generate("memory://coco/annotations/bad.json", tmp_path / "strict", strict=True, **options)
    # a folder given to a reader of one file is named by its URL
    with pytest.raises(IsADirectoryError, match="^memory://coco/val2017 is a folder: the coco reader reads an "):
        generate("memory://coco/val2017", tmp_path / "folder", from_format="coco")
    # the CLI: the format detected on the local copy, its reader options checked there
    runner = CliRunner()
    made = runner.invoke(app, ["generate", "memory://coco/annotations/instances.json", "--from", "auto", "-r",
                               "masks=false", "-r", "image_root=memory://coco/val2017", "--out", str(tmp_path / "cli"),
                               "-g", "object.*", "--seed", "2"])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "cli" / "samples.jsonl").read_bytes() == (tmp_path / "run" / "samples.jsonl").read_bytes()
    folder = runner.invoke(app, ["generate", "memory://coco/val2017", "--from", "coco", "--out", str(tmp_path / "f")])
    assert folder.exit_code == 2, folder.output
    assert "memory://coco/val2017 is a folder: the coco reader" in folder.output
    # convert reads it too, and names it by its URL
    converted = runner.invoke(app, ["convert", "memory://coco/annotations/instances.json", "--out",
                                    str(tmp_path / "scenes.jsonl"), "--image-root", "memory://coco/val2017"])
    assert converted.exit_code == 0 and "memory://coco/annotations/instances.json" in converted.output, converted.output
    from veriscene.scene import read_scenes

    assert [s.image for s in read_scenes(tmp_path / "scenes.jsonl")] == sorted(pngs)
    missing = runner.invoke(app, ["convert", "memory://coco/none.json", "--out", str(tmp_path / "n.jsonl")])
    assert missing.exit_code == 2 and "memory://coco/none.json does not exist" in missing.output, missing.output


def test_a_folder_is_copied_once_and_again_only_for_what_changed(tmp_path, memory) -> None:
    memory.pipe_file("/set/a/x.bin", b"one")
    memory.pipe_file("/set/b.bin", b"two!")
    shown: list[tuple[str, int, int]] = []
    copy = fetch.fetch_folder("memory://set/", progress=lambda url, done, total: shown.append((url, done, total)))
    assert copy.name == "set" and {p.relative_to(copy).as_posix(): p.read_bytes() for p in copy.rglob("*")
                                   if p.is_file()} == {"a/x.bin": b"one", "b.bin": b"two!"}
    assert sorted(shown)[-1] == ("memory://set", 7, 7)  # bytes done of all, as files arrive
    assert fetch.fetch_input("memory://set") == copy and fetch.fetch_input("memory://set/b.bin").read_bytes() == b"two!"
    with _no_download(memory):  # the same objects: nothing downloaded
        assert fetch.fetch_folder("memory://set") == copy
    memory.pipe_file("/set/b.bin", b"changed")
    memory.rm("/set/a/x.bin")
    fetched: list[str] = []
    real = type(memory).get_file

    def counted(fs, rpath, lpath, **kwargs):
        fetched.append(rpath)
        return real(fs, rpath, lpath, **kwargs)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(type(memory), "get_file", counted)
        assert fetch.fetch_folder("memory://set") == copy
    assert fetched == ["/set/b.bin"]  # the changed file alone; the removed one gone from the copy
    assert [p.relative_to(copy).as_posix() for p in copy.rglob("*")] == ["b.bin"]
    assert (copy / "b.bin").read_bytes() == b"changed"
    with pytest.raises(FileNotFoundError, match="memory://none does not exist"):
        fetch.fetch_folder("memory://none")
    with pytest.raises(ValueError, match="slice_images is a folder the reader writes to: give a local folder"):
        fetch.fetch_options({"slice_images": "memory://set/slices"})
    memory.pipe_file("/bad/a/../../escaped.bin", b"x")  # an object's name may hold ..: not written outside
    with pytest.raises(ValueError, match=r"memory://bad holds files named outside it \(a/../../escaped.bin\)"):
        fetch.fetch_folder("memory://bad")
    assert not list(tmp_path.rglob("escaped.bin"))


def test_a_label_map_folder_and_its_options_at_urls_are_converted(tmp_path, memory) -> None:
    """A folder of label maps, its label table and its images, all at URLs: the samples of the
    same files read locally, the images named by URL, rejects named by URL, a resume without
    downloading, and the card's command naming the URLs."""
    import numpy as np

    from tests.io.readers.test_read_label_map import organ_map, save_png
    from veriscene.engine.reproduce import generate_command
    from veriscene.scene import read_scenes

    local = tmp_path / "local"
    for k in range(3):
        save_png(local / "maps" / f"case{k}.png", np.roll(organ_map(), 3 * k, axis=1))
        save_png(local / "images" / f"case{k}.png", np.full((40, 60, 3), 40 * k, np.uint8))
    save_png(local / "maps" / "flat.png", np.zeros((40, 60, 3), np.uint8))  # RGB: rejected
    (local / "labels.csv").write_text("value,name\n1,Liver\n2,spleen\n3,kidney_right\n5,liver_tumour\n")
    for path in local.rglob("*"):
        if path.is_file():
            memory.pipe_file(f"/med/{path.relative_to(local).as_posix()}", path.read_bytes())
    options = dict(from_format="label_map", generators="object.*,counting.*", seed=3)
    reference = generate(local / "maps", tmp_path / "ref", reader_options={
        "labels": str(local / "labels.csv"), "images": str(local / "images")}, **options)
    urls = {"labels": "memory://med/labels.csv", "images": "memory://med/images"}
    summary = generate("memory://med/maps", tmp_path / "run", reader_options=urls, **options)
    assert summary.scenes == reference.scenes == 3 and summary.samples == reference.samples > 0
    scenes = list(read_scenes(tmp_path / "run" / "scenes.jsonl"))
    assert [s.image for s in scenes] == [f"memory://med/images/case{k}.png" for k in range(3)]
    assert [s.names for s in scenes] == [s.names for s in read_scenes(tmp_path / "ref" / "scenes.jsonl")]
    rejects = [orjson.loads(line) for line in (tmp_path / "run" / "convert_rejects.jsonl").read_bytes().splitlines()]
    assert [r["file"] for r in rejects] == ["memory://med/maps/flat.png"]
    with _no_download(memory):  # resumed from the copies, the conversion reused
        again = generate("memory://med/maps", tmp_path / "run", reader_options=urls, resume=True, **options)
    assert any("reused" in note for note in again.notes)
    argv = generate_command(orjson.loads((tmp_path / "run" / "manifest.json").read_bytes()), tmp_path / "run").argv
    assert argv[2] == "memory://med/maps"
    assert {"labels=memory://med/labels.csv", "images=memory://med/images"} <= set(argv)
    # a label table changed in the store: copied again, and the run's resume refused
    memory.pipe_file("/med/labels.csv", b"value,name\n1,liver\n2,spleen\n3,kidney\n5,tumour\n")
    with pytest.raises(ResumeMismatchError, match="memory://med/maps, its format or the reader options changed"):
        generate("memory://med/maps", tmp_path / "run", reader_options=urls, resume=True, **options)
    # the CLI, convert and generate: downloaded with a bar, the same scenes
    runner = CliRunner()
    converted = runner.invoke(app, ["convert", "memory://med/maps", "--from", "label_map", "-r",
                                    "labels=memory://med/labels.csv", "-r", "images=memory://med/images",
                                    "--out", str(tmp_path / "scenes.jsonl")])
    assert converted.exit_code == 0, converted.output
    assert [s.image for s in read_scenes(tmp_path / "scenes.jsonl")] == [s.image for s in scenes]
    made = runner.invoke(app, ["generate", "memory://med/maps", "--from", "label_map", "-r",
                               "labels=memory://med/labels.csv", "-r", "images=memory://med/images",
                               "-r", "slice_images=memory://med/slices", "--out", str(tmp_path / "cli")])
    assert made.exit_code == 2 and "slice_images is a folder the reader writes to" in made.output, made.output
