from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from veriscene.commands.convert import register
from veriscene.errors import SceneValidationError
from veriscene.io.convert import convert
from veriscene.option_names import cli_names
from veriscene.scene.jsonl import read_scenes

GQA = {
    "1": {"width": 100, "height": 80, "objects": {
        "a": {"name": "Dogs", "x": 90, "y": 10, "w": 20, "h": 20, "attributes": ["Brown"], "relations": [{"name": "near", "object": "b"}]},
        "b": {"name": "cat", "x": 0, "y": 0, "w": 10, "h": 10}}},
    "2": {"width": 100, "height": 80, "objects": {"a": {"name": "cup", "x": 5, "y": 5, "w": 0, "h": 5}}},
    "3": {"objects": {}},
}


@pytest.fixture
def gqa(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "val_sceneGraphs.json"
    path.parent.mkdir()
    path.write_text(json.dumps(GQA))
    return path


def test_convert_writes_scenes_and_rejects(gqa: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "scenes.jsonl"
    summary = convert(gqa, out)
    assert summary.format == "gqa" and summary.format_detected and summary.detection_reason
    assert (summary.scenes_read, summary.scenes_written, summary.scenes_rejected) == (3, 1, 2)
    assert summary.boxes_clipped == 1 and summary.rejected == 2
    assert (summary.objects_written, summary.relations_written, summary.masks_written,
            summary.depth_maps_written) == (2, 1, 0, 0)
    scenes = list(read_scenes(out))
    assert scenes[0].names == ("dog", "cat")
    rejects = [json.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert [(r["record"], r["field"]) for r in rejects] == [("2", "objects[a].box"), ("3", "width")]
    assert set(rejects[0]) >= {"file", "record", "field", "reason"}
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_strict_stops_and_leaves_no_output(gqa: Path, tmp_path: Path) -> None:
    out = tmp_path / "scenes.jsonl"
    with pytest.raises(SceneValidationError, match="record 2"):
        convert(gqa, out, "gqa", strict=True, rejects=tmp_path / "r.jsonl")
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 1


def test_convert_image_size_option(gqa: Path, tmp_path: Path) -> None:
    summary = convert(gqa, tmp_path / "s.jsonl", "gqa", image_size=(64, 64))
    assert summary.scenes_written == 2


def test_convert_takes_reader_options_as_generate_does(gqa: Path, tmp_path: Path) -> None:
    """`reader_options={...}` (generate's spelling) is the same as keywords; the same option
    twice, or text for the dict, is refused before anything is written."""
    as_keywords = convert(gqa, tmp_path / "a.jsonl", "gqa", image_size=(64, 64))
    as_dict = convert(gqa, tmp_path / "b.jsonl", "gqa", reader_options={"image_size": (64, 64)})
    assert as_dict.scenes_written == as_keywords.scenes_written == 2
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    with pytest.raises(TypeError, match="reader option 'image_size' given twice"):
        convert(gqa, tmp_path / "c" / "c.jsonl", "gqa", image_size=(64, 64), reader_options={"image_size": (32, 32)})
    with pytest.raises(TypeError, match="reader_options must be a dict"):
        convert(gqa, tmp_path / "c" / "c.jsonl", "gqa", reader_options="image_size=64,64")
    assert not (tmp_path / "c").exists()


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command so `convert` is a subcommand, as in the real CLI
        pass

    return app


def test_cli_summary_and_exit_codes(cli: typer.Typer, gqa: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o" / "scenes.jsonl"
    result = runner.invoke(cli, ["convert", str(gqa), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "gqa" in result.output and "auto-detected" in result.output and "boxes clipped" in result.output
    assert "sparse annotations" in result.output and "attributes, relations" in result.output
    assert re.search(r"objects written\s+│\s+2\b", result.output) and re.search(r"relations written\s+│\s+1\b",
                                                                                   result.output), result.output
    assert "objects with a mask" not in result.output and "depth maps named" not in result.output
    assert out.exists()

    result = runner.invoke(cli, ["convert", str(gqa), "--from", "gqa", "--out", str(out), "--strict"])
    assert result.exit_code == 1 and "Traceback" not in result.output

    result = runner.invoke(cli, ["convert", str(tmp_path / "missing.json"), "--out", str(out)])
    assert result.exit_code == 2

    result = runner.invoke(cli, ["convert", str(gqa), "--from", "gqaa", "--out", str(out)])
    assert result.exit_code == 2

    truncated = tmp_path / "t.json"
    truncated.write_text('{"1": {"width": 1')
    result = runner.invoke(cli, ["convert", str(truncated), "--from", "gqa", "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    said = "".join(result.output.split())  # the console wraps long paths anywhere
    assert f"filerejected:{truncated}:truncatedormalformedJSON" in said
    assert f"error:nosceneconvertedfrom{truncated}:afilecouldnotberead" in said

    result = runner.invoke(cli, ["convert", str(gqa), "--out", str(out), "--image-size", "64x64", "--rejects", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 0 and (tmp_path / "r.jsonl").exists()

    result = runner.invoke(cli, ["convert", str(gqa), "--out", str(out), "--image-size", "big"])
    assert result.exit_code == 2


def _flat(text: str) -> str:
    """Command output without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def _coco(path: Path) -> Path:
    """Two images of a person with a polygon mask; image 2 also holds a crowd region."""
    poly = [[2.0, 2.0, 12.0, 2.0, 12.0, 12.0, 2.0, 12.0]]
    anns = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10], "segmentation": poly, "iscrowd": 0},
            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [2, 2, 10, 10], "segmentation": poly, "iscrowd": 0},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [20, 2, 10, 10],
             "segmentation": {"size": [40, 50], "counts": [1002, 10, 988]}, "iscrowd": 1}]
    path.write_text(json.dumps({"images": [{"id": 1, "file_name": "1.jpg", "width": 50, "height": 40},
                                           {"id": 2, "file_name": "2.jpg", "width": 50, "height": 40}],
                                "annotations": anns, "categories": [{"id": 1, "name": "person"}]}))
    return path


def test_cli_reader_options(cli: typer.Typer, tmp_path: Path) -> None:
    from veriscene.io.readers import reader_options

    assert reader_options("coco") == ("masks", "skip_crowd", "panoptic_root", "drawn_on")
    assert reader_options("vg") == ("image_data", "merge_duplicates", "objects", "drawn_on")
    assert reader_options("gqa") == ("objects", "drawn_on")
    src, runner = _coco(tmp_path / "instances.json"), CliRunner()
    out = tmp_path / "plain.jsonl"
    assert runner.invoke(cli, ["convert", str(src), "--out", str(out)]).exit_code == 0
    plain = list(read_scenes(out))
    assert plain[0].masks is not None and plain[1].meta["crowd"] == [1]
    shown = runner.invoke(cli, ["convert", str(src), "--out", str(out)]).output
    assert re.search(r"objects written\s+│\s+3\b", shown) and re.search(r"objects with a mask\s+│\s+3\b", shown), shown

    out = tmp_path / "opts.jsonl"
    result = runner.invoke(cli, ["convert", str(src), "--out", str(out), "-r", "masks=false",
                                 "--reader-option", "skip-crowd=yes", "-r", "image_size=64x48"])
    assert result.exit_code == 0, result.output
    assert "crowd skipped" in result.output
    scenes = list(read_scenes(out))
    assert all(s.masks is None for s in scenes) and [len(s) for s in scenes] == [1, 1]

    # a misspelt option is refused even when set to false, naming what the reader takes
    for bad, message in ((["-r", "mask=false"], "'mask' is not an option of the coco reader"),
                         (["-r", "mask=false"], "drawn_on, drop_bad_parts, id_prefix, image_root, image_size, masks, "
                                                "panoptic_root, skip_crowd, sparse, synonyms); did you mean 'masks'?"),
                         (["-r", "image_data=x.json"], "it takes: drawn_on, drop_bad_parts, id_prefix, image_root"),
                         (["-r", "masks"], "expected KEY=VALUE"),
                         (["-r", "masks=false", "-r", "masks=true"], "'masks' is given twice"),
                         (["-r", "image_size=big"], "expected WIDTHxHEIGHT")):
        result = runner.invoke(cli, ["convert", str(src), "--out", str(tmp_path / "x.jsonl"), *bad])
        assert result.exit_code == 2, (bad, result.output)
        assert message in _flat(result.output), (bad, result.output)
    result = runner.invoke(cli, ["convert", str(src), "--out", str(tmp_path / "x.jsonl"), "-r", "synonyms=nope.json"])
    assert result.exit_code == 2 and "nope.json" in result.output


def test_generate_takes_reader_options(tmp_path: Path) -> None:
    from veriscene import generate
    from veriscene.cli import app

    src = _coco(tmp_path / "instances.json")
    summary = generate(src, tmp_path / "api", from_format="coco", reader_options={"masks": False}, generators="object.*")
    assert summary.scenes == 2
    assert all(s.masks is None for s in read_scenes(tmp_path / "api" / "scenes.jsonl"))
    # veriscene JSONL is read through its reader given reader options: one it does not take is refused
    with pytest.raises(ValueError, match=r"reader option 'masks' does not apply to veriscene JSONL \(its reader, "
                       r"veriscene_jsonl, takes: drawn_on, drop_bad_parts, id_prefix"):
        generate(tmp_path / "api" / "scenes.jsonl", tmp_path / "bad", reader_options={"masks": False})
    assert not (tmp_path / "bad").exists()

    result = CliRunner().invoke(app, ["generate", str(src), "--from", "coco", "--out", str(tmp_path / "cli"),
                                      "-r", "masks=false", "-r", "skip_crowd=true", "-g", "object.*"])
    assert result.exit_code == 0, result.output
    scenes = list(read_scenes(tmp_path / "cli" / "scenes.jsonl"))
    assert [len(s) for s in scenes] == [1, 1] and all(s.masks is None for s in scenes)
    result = CliRunner().invoke(app, ["generate", str(src), "--from", "coco", "--out", str(tmp_path / "c2"),
                                      "-r", "seg_dir=x"])
    assert result.exit_code == 2 and "'seg_dir' is not an option of the coco reader" in _flat(result.output)
    result = CliRunner().invoke(app, ["generate", str(tmp_path / "cli" / "scenes.jsonl"), "--out", str(tmp_path / "c3"),
                                      "-r", "masks=false"])
    assert result.exit_code == 2 and "'masks' is not an option of the veriscene_jsonl reader" in _flat(result.output)


def test_image_paths_point_into_the_image_root(tmp_path: Path) -> None:
    from veriscene import generate
    from veriscene.io.export import export

    (tmp_path / "annotations").mkdir()
    src = _coco(tmp_path / "annotations" / "instances.json")
    images = tmp_path / "coco" / "val2017"
    images.mkdir(parents=True)
    for name in ("1.jpg", "2.jpg"):
        (images / name).write_bytes(b"jpeg")
    # convert: relative to the scene file's folder; without an image root, as annotated
    convert(src, tmp_path / "out" / "scenes.jsonl", "coco", image_root=images)
    assert [s.image for s in read_scenes(tmp_path / "out" / "scenes.jsonl")] == ["../coco/val2017/1.jpg",
                                                                               "../coco/val2017/2.jpg"]
    convert(src, tmp_path / "plain.jsonl", "coco")
    assert [s.image for s in read_scenes(tmp_path / "plain.jsonl")] == ["1.jpg", "2.jpg"]
    # generate --from: the samples name the images where they are, and an export finds them all
    generate(src, tmp_path / "run", from_format="coco", reader_options={"image_root": str(images)},
             generators="object.*")
    samples = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert samples and all((tmp_path / "run" / s["images"][0]["path"]).resolve().parent == images.resolve()
                           for s in samples)
    summary = export(tmp_path / "run", tmp_path / "llava.json", to="llava")
    assert summary.images_missing == 0 and summary.images_referenced == len(samples)


def test_sparse_annotations(gqa: Path, tmp_path: Path) -> None:
    """GQA (like Visual Genome and Open Images) records attributes and relations in part: scenes
    say so by default; `sparse` sets it for any format, a JSONL file included."""
    out = tmp_path / "out" / "scenes.jsonl"
    summary = convert(gqa, out)
    assert summary.sparse == ["attributes", "relations"]
    assert {tuple(s.meta["sparse"]) for s in read_scenes(out)} == {("attributes", "relations")}
    summary = convert(gqa, out, sparse=False)
    assert summary.sparse == [] and all("sparse" not in s.meta for s in read_scenes(out))
    # the core format is read unchanged, but the option sets (or removes) the list
    again = tmp_path / "again.jsonl"
    assert convert(out, again, "veriscene_jsonl").sparse == []
    assert all("sparse" not in s.meta for s in read_scenes(again))
    assert convert(out, again, "veriscene_jsonl", sparse="relations").sparse == ["relations"]
    assert {tuple(s.meta["sparse"]) for s in read_scenes(again)} == {("relations",)}
    third = tmp_path / "third.jsonl"
    convert(again, third, "veriscene_jsonl", sparse="none")
    assert all("sparse" not in s.meta for s in read_scenes(third))


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_convert_writes_compressed_scenes_by_suffix(gqa: Path, tmp_path: Path, suffix: str) -> None:
    from veriscene.scene.compressed import compression

    plain, packed = tmp_path / "out" / "scenes.jsonl", tmp_path / "out" / f"scenes.jsonl{suffix}"
    convert(gqa, plain)
    summary = convert(gqa, packed)
    assert summary.scenes_written == 1 and compression(packed) == {".gz": "gzip", ".zst": "zstd"}[suffix]
    assert [s.image_id for s in read_scenes(packed)] == [s.image_id for s in read_scenes(plain)]
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_converted_file_has_the_usual_permissions(gqa: Path, tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        convert(gqa, tmp_path / "scenes.jsonl")
    finally:
        os.umask(old)
    assert (tmp_path / "scenes.jsonl").stat().st_mode & 0o777 == 0o644  # not 0600, as a temporary file's


def test_nothing_converted_exits_1_naming_the_first_reject(cli: typer.Typer, tmp_path: Path) -> None:
    """A `convert && generate` pipeline stops when every record was refused (here: CLEVR scenes
    without an image size), rather than going on with an empty scene file."""
    scenes = tmp_path / "CLEVR_val_scenes.json"
    scenes.write_text(json.dumps({"scenes": [{"image_index": 0, "image_filename": "a.png", "objects": [
        {"shape": "cube", "color": "red", "size": "large", "material": "rubber", "pixel_coords": [50, 50, 10],
         "3d_coords": [0, 0, 0.7], "rotation": 0}], "relationships": {}}]}))
    out = tmp_path / "scenes.jsonl"
    result = CliRunner().invoke(cli, ["convert", str(scenes), "--from", "clevr", "--out", str(out)])
    assert result.exit_code == 1, result.output
    said = "".join(result.output.split())  # the console wraps long paths anywhere
    assert "".join((f"no scene converted from {scenes}: all 1 scene(s) read were rejected (the first reject: {scenes}, "
                    "record a.png, field width: image size missing").split()) in said
    result = CliRunner().invoke(cli, ["convert", str(scenes), "--from", "clevr", "--out", str(out), "--image-size", "480x320"])
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == 1


def test_summary_keeps_file_faults_and_an_empty_input_is_no_failure(tmp_path: Path) -> None:
    empty = tmp_path / "instances.json"
    empty.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    summary = convert(empty, tmp_path / "a.jsonl", "coco")
    assert (summary.scenes_written, summary.rejected, summary.nothing_converted) == (0, 0, None)
    cut = tmp_path / "cut.json"
    cut.write_text('{"images": [{"id": 1, "width": 4')
    summary = convert(cut, tmp_path / "b.jsonl", "coco")
    assert summary.file_faults == [f"{cut}: " + summary.first_reject.split(": ", 1)[1]]
    assert summary.nothing_converted is not None and summary.nothing_converted.startswith(
        f"no scene converted from {cut}: a file could not be read (the first reject: {cut}: truncated or malformed JSON")


def test_scenes_rejected_for_one_bad_part_point_to_drop_bad_parts(tmp_path: Path) -> None:
    path = tmp_path / "val_sceneGraphs.json"
    path.write_text(json.dumps({
        "1": {"width": 50, "height": 50, "objects": {"a": {"name": "cup", "x": 1, "y": 1, "w": 5, "h": 5,
                                                          "relations": [{"name": "on", "object": "gone"}]}}},
        "2": {"width": 50, "height": 50, "objects": {"b": {"name": "cup", "x": 1, "y": 1, "w": 5, "h": 5}}},
        "3": {"objects": {}}}))
    summary = convert(path, tmp_path / "a.jsonl", "gqa")
    assert (summary.scenes_written, summary.scenes_rejected) == (1, 2)  # 1: a dangling relation; 3: no size
    assert summary.repairs["scenes_rejected_for_one_bad_part"] == 1
    assert any(w.startswith("1 of the 2 scene(s) rejected were rejected for one bad object, attribute or relation")
               and w.endswith(": drop_bad_parts=True drops just that part and keeps the scene")
               for w in summary.warnings)
    with cli_names():  # (the table under `veriscene convert`)
        assert any(w.endswith(": --drop-bad-parts (-r drop_bad_parts=true) drops just that part and keeps the scene")
                   for w in summary.warnings)
    summary = convert(path, tmp_path / "b.jsonl", "gqa", drop_bad_parts=True)
    assert summary.scenes_written == 2 and "scenes_rejected_for_one_bad_part" not in summary.repairs
    assert not summary.warnings


def test_veriscene_jsonl_written_elsewhere_keeps_pointing_at_its_images(tmp_path: Path) -> None:
    """A scene file names its images relative to its own folder: converted into another folder
    (`convert x.jsonl --from veriscene_jsonl --out sc2/part-0.jsonl`), they are rewritten to name
    the same files from there; absolute paths and URLs are kept; an image root given is used."""
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    scenes = list(iter_scene_graphs(3, seed=2))
    src = tmp_path / "data" / "x.jsonl"
    write_scenes(scenes, src)
    with open(src, "ab") as fh:
        for image_id, image in (("abs", str(tmp_path / "a.png")), ("url", "s3://b/c.png")):
            record = json.loads(src.read_bytes().splitlines()[0])
            fh.write(json.dumps({**record, "image_id": image_id, "image": image}).encode() + b"\n")
    convert(src, tmp_path / "sc2" / "part-0.jsonl", "veriscene_jsonl")
    images = {s.image_id: s.image for s in read_scenes(tmp_path / "sc2" / "part-0.jsonl")}
    assert images == {**{s.image_id: f"../data/{s.image}" for s in scenes}, "abs": str(tmp_path / "a.png"),
                      "url": "s3://b/c.png"}
    convert(src, tmp_path / "data" / "same.jsonl", "veriscene_jsonl")  # in its own folder: unchanged
    assert [s.image for s in read_scenes(tmp_path / "data" / "same.jsonl")][:3] == [s.image for s in scenes]
    convert(tmp_path / "data", tmp_path / "sc3" / "all.jsonl", "veriscene_jsonl")  # a folder: relative to it
    assert [s.image for s in read_scenes(tmp_path / "sc3" / "all.jsonl")][:1] == [f"../data/{scenes[0].image}"]
    convert(src, tmp_path / "sc4" / "x.jsonl", "veriscene_jsonl", image_root=tmp_path / "elsewhere")
    assert [s.image for s in read_scenes(tmp_path / "sc4" / "x.jsonl")][:1] == [f"../elsewhere/{scenes[0].image}"]


def test_a_folder_of_veriscene_jsonl_is_read_without_its_reject_report(cli: typer.Typer, tmp_path: Path) -> None:
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    write_scenes(iter_scene_graphs(3, seed=2), tmp_path / "x.jsonl")
    with open(tmp_path / "x.jsonl", "ab") as fh:
        fh.write(b'{"image_id": "bad"}\n')
    first = convert(tmp_path / "x.jsonl", tmp_path / "sc2" / "part-0.jsonl", "veriscene_jsonl")
    assert first.scenes_rejected == 1 and first.left_out == []
    summary = convert(tmp_path / "sc2", tmp_path / "all" / "scenes.jsonl", "veriscene_jsonl")
    assert summary.scenes_written == 3 and summary.rejected == 0
    report = tmp_path / "sc2" / "rejects.jsonl"
    assert summary.left_out == [f"{report} (a reject report)"]
    assert f"left out of {tmp_path / 'sc2'}: {report} (a reject report): veriscene writes such files beside scene " \
           "files, and they hold no scenes (convert one by its own name to read it as scenes)" in summary.warnings
    result = CliRunner().invoke(cli, ["convert", str(tmp_path / "sc2"), "--from", "veriscene_jsonl", "--out",
                                      str(tmp_path / "cli" / "scenes.jsonl")], env={"COLUMNS": "1000"})
    assert result.exit_code == 0 and f"warning: left out of {tmp_path / 'sc2'}: {report}" in _flat(result.output)


@pytest.mark.parametrize(("where", "error", "said"), [
    ({"out": "folder"}, IsADirectoryError, "out {t}/folder is a folder: give the file to write (e.g. {t}/folder/scenes.jsonl)"),
    ({"out": "afile/s.jsonl"}, ValueError, "out {t}/afile/s.jsonl: cannot write there: {t}/afile is a file, not a folder"),
    ({"rejects": "folder"}, IsADirectoryError, "rejects {t}/folder is a folder: give the file to write (e.g. {t}/folder/rejects.jsonl)"),
    ({"rejects": "afile/r.jsonl"}, ValueError, "rejects {t}/afile/r.jsonl: cannot write there: {t}/afile is a file, not a folder"),
])
def test_output_that_cannot_be_written_is_refused_first(gqa: Path, tmp_path: Path, where, error, said) -> None:
    # before: a folder `out` was called the input ("the gqa reader reads an annotation file") after
    # rejects.jsonl was written beside it; a file above `out` was pathlib's "[Errno 17] File exists"
    work = tmp_path / "work"
    (work / "folder").mkdir(parents=True)
    (work / "afile").write_text("x")
    paths = {"out": work / "s.jsonl"} | {k: work / v for k, v in where.items()}
    with pytest.raises(error) as info:
        convert(gqa, paths.pop("out"), "gqa", **paths)
    assert str(info.value) == said.format(t=work)
    assert sorted(p.name for p in work.rglob("*")) == ["afile", "folder"]


@pytest.mark.parametrize("sep", sorted({"/", os.sep}))  # os.sep: "\\" on Windows
def test_an_out_ending_in_a_separator_is_a_folder_refused(gqa: Path, tmp_path: Path, sep: str) -> None:
    """`--out scenes/` names a folder, where a file is written: refused as an existing folder is,
    before anything is read or written. Before, pathlib dropped the separator and the scenes went
    to a file named `scenes`, without a suffix or a word (the command's Path option did the same)."""
    said = (f"out {tmp_path / 'new'}{sep} names a folder (it ends in {sep}): give the file to write "
            f"(e.g. {tmp_path / 'new' / 'scenes.jsonl'})")
    with pytest.raises(IsADirectoryError) as info:
        convert(gqa, str(tmp_path / "new") + sep, "gqa")
    assert str(info.value) == said
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, [str(gqa), "--out", str(tmp_path / "new") + sep], env={"COLUMNS": "1000"})
    assert result.exit_code == 2 and said in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_every_record_rejected_under_another_format_names_the_one_the_file_looks_like(gqa: Path, tmp_path: Path) -> None:
    """A GQA file read --from coco, or a COCO file --from gqa: before, only the reader's first reject
    ("record info, field width: image size missing") said it, which does not tell that the format was
    wrong; now the summary says what the file looks like and how to convert it."""
    coco = tmp_path / "in" / "instances_val.json"
    coco.write_text(json.dumps({"images": [{"id": 1, "file_name": "1.jpg", "width": 10, "height": 10}],
                                "annotations": [], "categories": [{"id": 1, "name": "cat"}]}))
    summary = convert(coco, tmp_path / "s.jsonl", "gqa")
    assert summary.nothing_converted is not None and summary.nothing_converted.endswith(
        "; it looks like coco annotations (COCO key 'categories'), not gqa: convert it with from_format='auto' (or "
        "from_format='coco')")  # (named as convert() takes it; the CLI's: --from auto (or --from coco))
    summary = convert(gqa, tmp_path / "s.jsonl", "visual_genome")
    assert summary.nothing_converted is not None and "it looks like gqa annotations" in summary.nothing_converted
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, [str(coco), "--from", "gqa", "--out", str(tmp_path / "c.jsonl")],
                                env={"COLUMNS": "1000"})
    assert result.exit_code == 1 and "it looks like coco annotations (COCO key 'categories'), not gqa" in result.output
    with cli_names():  # as the veriscene CLI runs its commands
        summary = convert(coco, tmp_path / "s.jsonl", "gqa")
    assert summary.nothing_converted is not None and summary.nothing_converted.endswith(
        "not gqa: convert it with --from auto (or --from coco)")
    summary = convert(gqa, tmp_path / "s.jsonl", "gqa")  # the right format: nothing said
    assert summary.nothing_converted is None


def test_cli_output_below_a_file_is_a_usage_error(gqa: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    (tmp_path / "afile").write_text("x")
    result = CliRunner().invoke(app, [str(gqa), "--out", str(tmp_path / "afile" / "s.jsonl")])
    assert result.exit_code == 2 and "afile is a file, not a folder" in " ".join(result.output.split())


@pytest.mark.parametrize(("options", "said"), [
    ({"masks": True}, "option 'masks' does not apply to format 'gqa' (it takes: "),
    ({"objetcs": "present"}, "option 'objetcs' does not apply to format 'gqa' (it takes: drawn_on, drop_bad_parts, "
                             "id_prefix, image_root, image_size, objects, sparse, synonyms); did you mean 'objects'?"),
    ({"drop_bad_parts": "no"}, "option 'drop_bad_parts' of format 'gqa' must be true or false"),
    ({"objects": "nope"}, "objects must be one of complete, present, sparse, got 'nope'"),
    ({"image_size": (0, 5)}, "image_size must be two positive integers (width, height), got (0, 5)"),
    ({"id_prefix": " x"}, "id_prefix must be text without leading or trailing spaces, got ' x'"),
])
def test_a_bad_reader_option_leaves_no_file(gqa: Path, tmp_path: Path, options, said) -> None:
    # before: the option was refused once rejects.jsonl had been made (and the output's folder)
    from veriscene.errors import ReaderOptionError

    with pytest.raises(ReaderOptionError) as info:
        convert(gqa, tmp_path / "out" / "scenes.jsonl", "gqa", **options)
    assert str(info.value).startswith(said)
    assert not (tmp_path / "out").exists()


def test_a_readers_own_option_checked_before_its_first_record_leaves_no_file(tmp_path: Path) -> None:
    from PIL import Image

    from veriscene.errors import ReaderOptionError

    (tmp_path / "maps").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "maps" / "case1.png")
    with pytest.raises(ReaderOptionError, match="window must be one of"):
        convert(tmp_path / "maps" / "case1.png", tmp_path / "out" / "scenes.jsonl", "label_map", window="nope")
    assert not (tmp_path / "out").exists()


def test_rejects_are_still_reported_and_an_empty_report_still_made(gqa: Path, tmp_path: Path) -> None:
    convert(gqa, tmp_path / "a" / "scenes.jsonl", "gqa")
    assert len((tmp_path / "a" / "rejects.jsonl").read_text().splitlines()) == 2
    only_good = tmp_path / "good.json"
    only_good.write_text(json.dumps({"1": GQA["1"]}))
    convert(only_good, tmp_path / "b" / "scenes.jsonl", "gqa")
    assert (tmp_path / "b" / "rejects.jsonl").read_bytes() == b""


@pytest.mark.parametrize(("arguments", "said"), [
    ({"strict": "no"}, "strict must be True or False, got 'no'"),  # before: ran strict
    ({"from_format": None}, ("from_format must be the name of an input format (a str: 'auto', 'coco', 'gqa'...), "
                            "got None")),
    ({"out": None}, "out must be the scene file to write, a str or a path; got None"),
])
def test_wrong_kind_of_argument_is_named(gqa: Path, tmp_path: Path, arguments, said) -> None:
    given = {"out": tmp_path / "out" / "scenes.jsonl"} | arguments
    with pytest.raises(TypeError) as info:
        convert(gqa, given.pop("out"), **given)
    assert str(info.value) == said
    assert not (tmp_path / "out").exists()


def test_the_input_format_is_from_format_as_in_generate(gqa: Path, tmp_path: Path) -> None:
    """`from_format=` names the input format as `generate(from_format=...)` and the CLI's --from do;
    `fmt=`, its old name, still works with a DeprecationWarning. Before, `from_format="gqa"` went to
    the reader as an option: "option 'from_format' does not apply to format ..."."""
    import inspect

    new = convert(gqa, tmp_path / "new" / "scenes.jsonl", from_format="gqa")
    with pytest.warns(DeprecationWarning, match=r"convert\(fmt=\.\.\.\) is deprecated .* use from_format= \(the "
                                                r"CLI's --from\)"):
        old = convert(gqa, tmp_path / "old" / "scenes.jsonl", fmt="gqa")
    positional = convert(gqa, tmp_path / "pos" / "scenes.jsonl", "gqa")
    assert new.format == old.format == positional.format == "gqa"
    assert ((tmp_path / "new" / "scenes.jsonl").read_bytes() == (tmp_path / "old" / "scenes.jsonl").read_bytes()
            == (tmp_path / "pos" / "scenes.jsonl").read_bytes())
    with pytest.raises(TypeError, match="both fmt= and from_format="):
        convert(gqa, tmp_path / "both" / "scenes.jsonl", fmt="gqa", from_format="gqa")
    assert "from_format" in inspect.signature(convert).parameters
