"""Bad input through `convert`, reader by reader and breakage by breakage, as real files break:
a wrong type, a box with a negative or NaN width or outside the image, an unknown category, a
relation to an object that is not there, an RLE whose runs do not fill the image, an image id
given twice, a file cut short (plain, gzip, zstd), a row short of columns, a mask file of the
wrong size. Each is a reject naming the file, the record and the field (the whole file, for a
file that cannot be read); the good records are converted; the summary counts the rejects; and
nothing is converted only when nothing could be (the command then exits 1). A few run through
the command line too: no traceback, the exit status the summary implies.

The valid inputs are `fuzz_inputs`' (which `test_reader_fuzz` mutates at random): here each
breakage is written out, with the reject it must give.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from veriscene.io.convert import convert
from veriscene.scene.masks import encode_mask

from . import fuzz_inputs

Doc = dict[str, Any]  # file name -> its JSON value (a .jsonl file: its lines' values), or bytes


@dataclass(frozen=True)
class Breakage:
    fmt: str
    files: Callable[[], Doc]
    written: int  # scenes converted
    # the first reject: (file name, record, field, level), and a part of its reason
    reject: tuple[str, Any, Any, str] | None
    reason: str = ""
    target: str | None = None  # the file given to convert (None: the folder)
    options: dict[str, Any] = field(default_factory=dict)  # "{folder}" in a value: the input's folder
    extra: Callable[[Path], None] | None = None  # writes more files beside the input


def _changed(files: Callable[[], Doc], change: Callable[[Doc], None]) -> Callable[[], Doc]:
    def make() -> Doc:
        doc = copy.deepcopy(files())
        change(doc)
        return doc
    return make


def _text(files: Callable[[], Doc], name: str, cut: Callable[[bytes], bytes], suffix: str = "") -> Callable[[], Doc]:
    """File `name` of `files` written as JSON, its bytes then changed by `cut` (named + `suffix`)."""
    def make() -> Doc:
        return {name + suffix: cut(json.dumps(files()[name]).encode())}
    return make


def _zstd(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return zstandard.ZstdCompressor().compress(data)


def _first_two_thirds(data: bytes) -> bytes:
    return data[: len(data) * 2 // 3]


# ---- the inputs ------------------------------------------------------------------------------

COCO = lambda: fuzz_inputs.coco_instances()  # noqa: E731  (3 images; ids 1, 2, "3")
VG = lambda: fuzz_inputs.visual_genome()  # noqa: E731  (images 1, 2, 3; sizes in image_data.json)
GQA = lambda: fuzz_inputs.gqa()  # noqa: E731  (scene graphs "2370799", "2", "3")
CLEVR = lambda: fuzz_inputs.clevr()  # noqa: E731
PROVISION = lambda: fuzz_inputs.provision()  # noqa: E731  (images img1, img2 over three stage files)
CI, VGF, GQF, CLF = "instances.json", "scene_graphs.json", "val_sceneGraphs.json", "CLEVR_val_scenes.json"
DET = "object-detection-annotations.json"
CLEVR_SIZE = {"image_size": (480, 320)}  # CLEVR's scene files give no image size


def _coco_ann(k: int, key: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: d[CI]["annotations"][k].__setitem__(key, value)


def _vg_obj(key: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: d[VGF][0]["objects"][0].__setitem__(key, value)


def _gqa_obj(key: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: d[GQF]["2"]["objects"]["7"].__setitem__(key, value)


def _clevr_obj(key: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: d[CLF]["scenes"][1]["objects"][0].__setitem__(key, value)


def _det(key: str, value: Any) -> Callable[[Doc], None]:
    return lambda d: d[DET]["img2"]["annotation"].__setitem__(key, value)


def _jsonl() -> Doc:
    """Three veriscene scenes ("1" with masks, "2", "3"), as `convert` writes COCO's."""
    mask = encode_mask(np.pad(np.ones((4, 6), bool), ((2, 14), (3, 21))))  # a 20x30 image's
    scene = {"schema_version": 1, "width": 30, "height": 20, "objects": [], "relations": []}
    return {"scenes.jsonl": [
        {**scene, "image_id": "1", "objects": [{"name": "dog", "box": [3, 2, 9, 6], "mask": mask},
                                               {"name": "cat", "box": [0, 0, 5, 5], "mask": mask}]},
        {**scene, "image_id": "2", "objects": [{"name": "car", "box": [1, 1, 5, 5]}, {"name": "road", "box": [0, 5, 30, 20]}],
         "relations": [[0, "on", 1]]},
        {**scene, "image_id": "3"},
    ]}


def _jsonl_obj(key: str, value: Any, scene: int = 1) -> Callable[[Doc], None]:
    return lambda d: d["scenes.jsonl"][scene]["objects"][0].__setitem__(key, value)


OI_HEADER = "ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,RelationshipLabel\n"
OI_ROW = "{},/m/man,/m/chair,0.1,0.5,0.2,0.9,0.4,0.8,0.5,0.7,on\n"
OI_NAME = "oidv6-train-annotations-vrd.csv"


def _oi(second: str, header: str = OI_HEADER) -> Callable[[], Doc]:
    """Open Images relationships of images a, b, c; `second`: b's row ({} for its id)."""
    return lambda: {OI_NAME: (header + OI_ROW.format("a") + second.format("b") + OI_ROW.format("c")).encode()}


def _label_maps(folder: Path, second: np.ndarray | bytes, images: list[tuple[int, int]] | None = None) -> None:
    """maps/case0..2.npy of a 20x30 map with labels 1 and 2; case1 is `second` (b"": as the
    others); and images/case0..2.png of the sizes `images` (width, height)."""
    (folder / "maps").mkdir(parents=True)
    for k in range(3):
        labels = np.zeros((20, 30), np.uint8)
        labels[2:8, 3:9], labels[10:15, 12:20] = 1, 2
        np.save(folder / "maps" / f"case{k}.npy", labels)
    if isinstance(second, bytes):
        if second:
            (folder / "maps" / "case1.npy").write_bytes(second)
    else:
        np.save(folder / "maps" / "case1.npy", second)
    if images:
        from PIL import Image

        (folder / "images").mkdir()
        for k, size in enumerate(images):
            Image.new("RGB", size).save(folder / "images" / f"case{k}.png")


def _provision_masks(second: np.ndarray | None) -> Callable[[Path], None]:
    """seg_masks/img1.npy (2 masks) and img2.npy (`second`; None: no file) beside the stage files."""
    def write(folder: Path) -> None:
        (folder / "seg_masks").mkdir()
        np.save(folder / "seg_masks" / "img1.npy", np.zeros((2, 12, 16), bool))
        if second is not None:
            np.save(folder / "seg_masks" / "img2.npy", second)
    return write


def _with_seg_ids(d: Doc) -> None:
    for image in ("img1", "img2"):
        d[DET][image]["annotation"]["seg_mask_id"] = f"{image}.npy"


BREAKAGES: dict[str, Breakage] = {
    # ---- COCO: images 1, 2, "3"; annotation 2 (id 12) is image 2's one object
    "coco/box text": Breakage("coco", _changed(COCO, _coco_ann(2, "bbox", [3, "2", 6, 4])), 2,
                              (CI, "2", "annotations[2] (id 12).bbox", "scene"), "4 finite numbers", CI),
    "coco/negative width": Breakage("coco", _changed(COCO, _coco_ann(2, "bbox", [3, 2, -6, 4])), 2,
                                    (CI, "2", "annotations[2] (id 12).bbox", "scene"), "", CI),
    "coco/NaN width": Breakage("coco", _changed(COCO, _coco_ann(2, "bbox", [3, 2, float("nan"), 4])), 2,
                               (CI, "2", "annotations[2] (id 12).bbox", "scene"), "", CI),
    "coco/box outside": Breakage("coco", _changed(COCO, _coco_ann(2, "bbox", [300, 200, 6, 4])), 2,
                                 (CI, "2", "annotations[2] (id 12).bbox", "scene"), "", CI),
    "coco/unknown category": Breakage("coco", _changed(COCO, _coco_ann(2, "category_id", 999)), 2,
                                      (CI, "2", "annotations[2] (id 12).category_id", "scene"), "unknown category_id 999", CI),
    "coco/image not listed": Breakage("coco", _changed(COCO, _coco_ann(2, "image_id", 777)), 3,
                                      (CI, "777", "image_id", "object"), "not in 'images'", CI),
    "coco/RLE runs short": Breakage("coco", _changed(COCO, lambda d: d[CI]["annotations"][1]["segmentation"].__setitem__(
        "counts", [0, 100, 400])), 2, (CI, "1", "annotations[1] (id 11).segmentation.counts", "scene"),
        "sum to 500, expected height*width = 600", CI),
    "coco/RLE size": Breakage("coco", _changed(COCO, lambda d: d[CI]["annotations"][1]["segmentation"].__setitem__(
        "size", [10, 10])), 2, (CI, "1", "annotations[1] (id 11).segmentation.size", "scene"), "", CI),
    "coco/image id twice": Breakage("coco", _changed(COCO, lambda d: d[CI]["images"].append(
        dict(d[CI]["images"][0], file_name="z.jpg"))), 3, (CI, "1", "id", "scene"), "duplicate image id '1'", CI),
    "coco/cut short": Breakage("coco", _text(COCO, CI, _first_two_thirds), 0, (CI, None, None, "file"),
                               "truncated or malformed JSON", CI),
    "coco/empty": Breakage("coco", _text(COCO, CI, lambda b: b""), 0, (CI, None, None, "file"), "empty file", CI),
    "coco/gzip cut": Breakage("coco", _text(COCO, CI, lambda b: gzip.compress(b)[:-30], ".gz"), 0,
                              (CI + ".gz", None, None, "file"), "ends early", CI + ".gz"),
    "coco/zstd cut": Breakage("coco", _text(COCO, CI, lambda b: _first_two_thirds(_zstd(b)), ".zst"), 0,
                              (CI + ".zst", None, None, "file"), "", CI + ".zst"),
    "coco/UTF-8 BOM": Breakage("coco", _text(COCO, CI, lambda b: b"\xef\xbb\xbf" + b), 3, None, "", CI),
    # ---- Visual Genome: image 1's object 5 (its first)
    "vg/width text": Breakage("visual_genome", _changed(VG, _vg_obj("w", "eight")), 2,
                              (VGF, "1", "objects[5].box", "scene"), "", VGF),
    "vg/NaN width": Breakage("visual_genome", _changed(VG, _vg_obj("w", float("nan"))), 2,
                             (VGF, "1", "objects[5].box", "scene"), "", VGF),
    "vg/relation to no object": Breakage("visual_genome", _changed(VG, lambda d: d[VGF][0]["relationships"][0].__setitem__(
        "object_id", 999)), 2, (VGF, "1", "relationships[0]", "scene"), "999", VGF),
    "vg/image id twice": Breakage("visual_genome", _changed(VG, lambda d: d[VGF].append(copy.deepcopy(d[VGF][2]))), 3,
                                  (VGF, "index 3", "image_id", "scene"), "", VGF),
    # a size image_data.json gives: the reject used to name scene_graphs.json
    "vg/size text in image_data": Breakage("visual_genome", _changed(VG, lambda d: d["image_data.json"][0].__setitem__(
        "width", "wide")), 2, ("image_data.json", "1", "width", "scene"), "width must be a positive integer", VGF),
    "vg/two sizes in image_data": Breakage("visual_genome", _changed(VG, lambda d: d["image_data.json"].append(
        dict(d["image_data.json"][1], width=64))), 2, ("image_data.json", "2", "width", "scene"),
        "lists image 2 twice with different sizes", VGF),
    "vg/cut short": Breakage("visual_genome", _text(VG, VGF, _first_two_thirds), 1, (VGF, None, None, "file"),
                             "the 1 records before it were read", VGF, {"image_size": (30, 20)}),
    # ---- GQA: scene graph "2"'s object "7"
    "gqa/width text": Breakage("gqa", _changed(GQA, _gqa_obj("w", "x")), 2, (GQF, "2", "objects[7].box", "scene"), "", GQF),
    "gqa/box outside": Breakage("gqa", _changed(GQA, _gqa_obj("x", 900)), 2, (GQF, "2", "objects[7].box", "scene"), "", GQF),
    "gqa/relation to no object": Breakage("gqa", _changed(GQA, lambda d: d[GQF]["2370799"]["objects"]["1"]["relations"][0]
                                                          .__setitem__("object", "99")), 2,
                                          (GQF, "2370799", "objects[1].relations[0]", "scene"), "", GQF),
    "gqa/cut short": Breakage("gqa", _text(GQA, GQF, _first_two_thirds), 1, (GQF, None, None, "file"),
                              "the 1 scene graphs before it were read", GQF),
    # ---- CLEVR: scene 1's object 0
    "clevr/coordinates text": Breakage("clevr", _changed(CLEVR, _clevr_obj("pixel_coords", ["a", 1, 2])), 2,
                                       (CLF, "CLEVR_val_000001.png", "objects[0].pixel_coords", "scene"), "", CLF, CLEVR_SIZE),
    "clevr/negative width": Breakage("clevr", _changed(CLEVR, _clevr_obj("bbox", [180, 130, -40, 40])), 2,
                                     (CLF, "CLEVR_val_000001.png", "objects[0].bbox", "scene"), "", CLF, CLEVR_SIZE),
    "clevr/relation to no object": Breakage("clevr", _changed(CLEVR, lambda d: d[CLF]["scenes"][0]["relationships"]
                                                              .__setitem__("left", [[], [7]])), 2,
                                            (CLF, "CLEVR_val_000000.png", "relationships.left[1]", "scene"), "", CLF, CLEVR_SIZE),
    # ---- ProVision: image img2 of the detection stage file
    "provision/box text": Breakage("provision", _changed(PROVISION, _det("bboxes", [[2, "2", 4, 4.5]])), 1,
                                   (DET, "img2", "objects[0].bbox", "scene")),
    "provision/labels missing": Breakage("provision", _changed(PROVISION, lambda d: d[DET]["img2"]["annotation"].pop("labels")), 1,
                                         (DET, "img2", "labels", "scene"), "labels (detection stage) must be a list; it is missing"),
    "provision/labels not a list": Breakage("provision", _changed(PROVISION, _det("labels", "cup")), 1,
                                            (DET, "img2", "labels", "scene"), "must be a list; got str"),
    "provision/boxes and labels disagree": Breakage("provision", _changed(PROVISION, _det("labels", ["cup", "x"])), 1,
                                                    (DET, "img2", "bboxes", "scene"), "bboxes has 1 entries but labels has 2"),
    "provision/mask file missing": Breakage("provision", _changed(PROVISION, _with_seg_ids), 1,
                                            (DET, "img2", "seg_mask_id", "scene"), "", extra=_provision_masks(None)),
    "provision/mask of the wrong size": Breakage("provision", _changed(PROVISION, _with_seg_ids), 1,
                                                 (DET, "img2", "seg_mask_id", "scene"), "does not match the 16x12 image",
                                                 extra=_provision_masks(np.zeros((1, 7, 9), bool))),
    # ---- Open Images relationships: image b's row (line 3)
    "open_images/number text": Breakage("open_images", _oi(OI_ROW.replace("0.1", "abc")), 2,
                                        (OI_NAME, "b", "line 3.XMin1", "scene"), "", OI_NAME, {"image_size": (100, 100)}),
    "open_images/min past max": Breakage("open_images", _oi(OI_ROW.replace("0.1,0.5", "0.5,0.1")), 2,
                                         (OI_NAME, "b", "line 3.XMin1", "scene"), "", OI_NAME, {"image_size": (100, 100)}),
    "open_images/short row": Breakage("open_images", _oi("{},/m/man,/m/chair,0.1\n"), 2, (OI_NAME, "line 3", None, "scene"),
                                      "", OI_NAME, {"image_size": (100, 100)}),
    "open_images/column missing": Breakage("open_images", _oi(OI_ROW, OI_HEADER.replace(",XMax1", "")), 0,
                                           (OI_NAME, None, "header", "file"), "XMax1", OI_NAME, {"image_size": (100, 100)}),
    # ---- label maps: maps/case1.npy
    "label_map/npy cut short": Breakage("label_map", dict, 2, ("case1.npy", None, None, "file"), "", "maps",
                                        extra=lambda f: _label_maps(f, np.zeros((20, 30), np.uint8).tobytes()[:50])),
    "label_map/image of another size": Breakage("label_map", dict, 2, ("case1.npy", "case1.npy", "image", "scene"),
                                                "is 64x64 but the label map", "maps", {"images": "{folder}/images"},
                                                extra=lambda f: _label_maps(f, b"", [(30, 20), (64, 64), (30, 20)])),
    # ---- veriscene JSONL: line 2 (scene "2")
    "jsonl/box text": Breakage("veriscene_jsonl", _changed(_jsonl, _jsonl_obj("box", [1, "2", 3, 4])), 2,
                               ("scenes.jsonl", 2, "objects[0].box", "scene"), "", "scenes.jsonl"),
    "jsonl/box outside": Breakage("veriscene_jsonl", _changed(_jsonl, _jsonl_obj("box", [500, 500, 600, 600])), 2,
                                  ("scenes.jsonl", 2, "objects[0].box", "scene"), "", "scenes.jsonl"),
    "jsonl/relation to no object": Breakage("veriscene_jsonl", _changed(_jsonl, lambda d: d["scenes.jsonl"][1].__setitem__(
        "relations", [[0, "on", 9]])), 2, ("scenes.jsonl", 2, "relations[0].object", "scene"), "", "scenes.jsonl"),
    "jsonl/image id twice": Breakage("veriscene_jsonl", _changed(_jsonl, lambda d: d["scenes.jsonl"].append(d["scenes.jsonl"][2])),
                                     3, ("scenes.jsonl", 4, "image_id", "scene"), "duplicate image id '3' (line 3 has it)", "scenes.jsonl"),
    # a mask's runs past its frame: read on by `read_scenes` (checked at the first pixel lookup),
    # so convert used to write it as it was, said nowhere
    "jsonl/RLE runs short": Breakage("veriscene_jsonl", _changed(_jsonl, _jsonl_obj("mask", {"size": [20, 30], "counts": [0, 10, 400]}, 0)),
                                     2, ("scenes.jsonl", 1, "objects[0].mask.counts", "scene"),
                                     "the runs add up to 410 pixels, not 20x30", "scenes.jsonl"),
    "jsonl/compressed RLE past its frame": Breakage(
        "veriscene_jsonl", _changed(_jsonl, _jsonl_obj("mask", {"size": [20, 30], "counts": "0T3d?0T3"}, 0)), 2,
        ("scenes.jsonl", 1, "objects[0].mask.counts", "scene"), "mask cannot be decoded", "scenes.jsonl"),
}


def _write(folder: Path, breakage: Breakage) -> Path:
    folder.mkdir()
    for name, doc in breakage.files().items():
        path = folder / name
        if isinstance(doc, bytes):
            path.write_bytes(doc)
        elif name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(line) + "\n" for line in doc))
        else:
            path.write_text(json.dumps(doc))
    if breakage.extra is not None:
        breakage.extra(folder)
    return folder / breakage.target if breakage.target else folder


@pytest.mark.parametrize("case", BREAKAGES)
def test_a_breakage_is_a_reject_naming_file_record_and_field(tmp_path: Path, case: str) -> None:
    breakage = BREAKAGES[case]
    path = _write(tmp_path / "input", breakage)
    options: dict[str, Any] = {k: v.format(folder=path.parent) if isinstance(v, str) else v
                               for k, v in breakage.options.items()}
    summary = convert(path, tmp_path / "out" / "scenes.jsonl", breakage.fmt, **options)
    entries = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    written = (tmp_path / "out" / "scenes.jsonl").read_text().splitlines() if summary.scenes_written else []
    assert summary.scenes_written == len(written) == breakage.written, entries
    assert summary.rejected == len(entries)  # every reject counted in the summary, and written
    if breakage.reject is None:
        assert entries == []
        return
    first = entries[0]
    name, record, field_, level = breakage.reject
    assert (Path(first["file"]).name, first["record"], first["field"], first["level"]) == (name, record, field_, level)
    assert Path(first["file"]).parent == path.parent if path.is_file() else Path(first["file"]).is_relative_to(path)
    assert breakage.reason in first["reason"]
    # nothing converted (the command exits 1) only when there was nothing good to convert
    assert (summary.nothing_converted is not None) == (breakage.written == 0)


@pytest.mark.parametrize("case, command", [
    *((case, command) for case in ("coco/box text", "coco/cut short", "provision/labels missing", "jsonl/box text")
      for command in ("convert", "generate")),
    ("jsonl/RLE runs short", "convert"),  # (generate reads JSONL itself: a mask is checked when a generator looks)
])
def test_the_commands_report_a_breakage_without_a_traceback(tmp_path: Path, case: str, command: str) -> None:
    """`veriscene convert` and `veriscene generate --from FORMAT`: the exit status says whether
    anything was converted; the rejects are in the report; no exception reaches the user."""
    from typer.testing import CliRunner

    from veriscene.cli import app

    breakage = BREAKAGES[case]
    path = _write(tmp_path / "input", breakage)
    fmt = "jsonl" if breakage.fmt == "veriscene_jsonl" and command == "generate" else breakage.fmt
    out = tmp_path / "out"
    if command == "convert":
        args, report = ["convert", str(path), "--from", fmt, "-o", str(out / "scenes.jsonl")], out / "rejects.jsonl"
    else:
        args = ["generate", str(path), "--from", fmt, "-o", str(out), "-g", "object.count*"]
        report = out / ("rejects.jsonl" if fmt == "jsonl" else "convert_rejects.jsonl")
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code == (0 if breakage.written else 1), result.output
    entries = [json.loads(line) for line in report.read_text().splitlines()]
    name, record, field_, _ = breakage.reject  # type: ignore[misc]
    assert [(Path(e["file"]).name, e["record"], e["field"]) for e in entries][:1] == [(name, record, field_)]


BOX_HEADER = "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n"
BOX_ROW = "{},xclick,{},1,0.1,0.5,0.2,0.9,0,0,0,0,0\n"


@pytest.mark.parametrize("name, text", [
    (OI_NAME, OI_HEADER + OI_ROW.format("a") + OI_ROW.format("b") + OI_ROW.format("c")),
    ("validation-annotations-bbox.csv", BOX_HEADER + BOX_ROW.format("a", "/m/man") + BOX_ROW.format("a", "/m/chair")
     + BOX_ROW.format("b", "/m/chair") + BOX_ROW.format("c", "/m/chair")),
])
@pytest.mark.parametrize("table", [True, False])
def test_an_open_images_label_the_class_table_lacks_is_counted(tmp_path: Path, name: str, text: str, table: bool) -> None:
    """An unknown category id: a label the class table lacks is its own name ("/m/chair"), as
    every label is without a table; with one, it used to be so said nowhere."""
    (tmp_path / name).write_text(text)
    if table:
        (tmp_path / "oidv6-class-descriptions.csv").write_text("/m/man,Man\n")
    summary = convert(tmp_path / name, tmp_path / "out" / "scenes.jsonl", "open_images", image_size=(100, 100))
    scenes = [json.loads(line) for line in (tmp_path / "out" / "scenes.jsonl").read_text().splitlines()]
    assert summary.scenes_written == 3 and summary.rejected == 0
    assert sorted({o["name"] for s in scenes for o in s["objects"]}) == ["/m/chair", "man" if table else "/m/man"]
    assert summary.repairs.get("label_ids_not_in_class_table", 0) == (1 if table else 0)  # /m/chair
