"""`convert -r` and `generate --from -r`: a reader option's bad value is a usage error (exit 2, the
message naming the option, the value and what it takes); bad data is a failure (exit 1)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.errors import ReaderOptionError

runner = CliRunner()

GQA = {"1": {"width": 10, "height": 8, "objects": {"a": {"name": "cat", "x": 0, "y": 0, "w": 4, "h": 4}}}}
OPEN_IMAGES_HEADER = ("ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,"
                      "RelationshipLabel\n")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _says(output: str, message: str) -> bool:
    """Whether the output says `message`, whitespace aside: rich wraps a long path inside a word
    ("/tmp/.../name\ns.json") at a width that depends on the temporary folder's name."""
    return "".join(message.split()) in "".join(output.split())


def _inputs(root: Path) -> dict[str, Path]:
    """One small input per format (the options are refused before much of it is read)."""
    (root / "maps").mkdir(parents=True)  # apart from labels.csv, which a label map would take for its names
    labels = np.zeros((8, 8), dtype=np.uint8)
    labels[1:5, 1:5] = 1
    np.save(root / "maps" / "map.npy", labels)
    (root / "val_sceneGraphs.json").write_text(json.dumps(GQA))
    (root / "scene_graphs.json").write_text(json.dumps([{"image_id": 1, "width": 10, "height": 8, "objects": [],
                                                         "relationships": []}]))
    (root / "instances.json").write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    (root / "relationships.csv").write_text(OPEN_IMAGES_HEADER)
    (root / "labels.csv").write_text("ImageID,Source,LabelName,Confidence\n")
    (root / "seg.dcm").write_bytes(b"")
    (root / "scenes.json").write_text("{}")
    return {"label_map": root / "maps" / "map.npy", "gqa": root / "val_sceneGraphs.json",
            "visual_genome": root / "scene_graphs.json", "coco": root / "instances.json",
            "open_images": root / "relationships.csv", "dicom_seg": root / "seg.dcm", "dicom_rt": root / "seg.dcm",
            "clevr": root / "scenes.json", "provision": root / "scenes.json"}


# (format, -r option, what the message says)
BAD_VALUES = [
    ("label_map", "window=mediastinal", "window must be one of percentile, stored, soft_tissue, lung, bone, brain or "
                                        "'WIDTH,LEVEL' in Hounsfield units (e.g. '350,50'), got 'mediastinal'"),
    ("label_map", "window=0,40", "window: the width must be positive, got 0 in '0,40'"),
    ("label_map", "window=400,high", "window: the level must be a number of Hounsfield units, got 'high' in '400,high'"),
    ("label_map", "axis=7", "axis must be an integer from -3 to 2, got 7"),
    ("label_map", "min_pixels=-3", "min_pixels must be an integer of at least 1, got -3"),
    ("label_map", "step=0", "step must be an integer of at least 1, got 0"),
    ("label_map", "orientation=upright", "orientation must be 'radiological' (or not given), got 'upright'"),
    ("label_map", "structure_files=true", "structure_files reads a folder of one mask per structure, not a file"),
    ("label_map", "square_pixels=maybe", "option 'square_pixels' of format 'label_map' must be true or false"),
    ("dicom_seg", "names=title", "names must be one of ('type', 'label'), got 'title'"),
    ("dicom_seg", "window=mediastinal", "window must be one of percentile"),
    ("dicom_seg", "step=x", "step must be an integer of at least 1, got 'x'"),
    ("dicom_rt", "axis=3", "axis must be an integer from -3 to 2, got 3"),
    ("dicom_rt", "min_pixels=0", "min_pixels must be an integer of at least 1, got 0"),
    ("visual_genome", "merge_duplicates=2", "merge_duplicates must be true, false or an IoU threshold in (0, 1], got '2'"),
    ("visual_genome", "objects=all", "objects must be one of complete, present, sparse, got 'all'"),
    ("gqa", "objects=most", "objects must be one of complete, present, sparse, got 'most'"),
    ("gqa", "sparse=colours", "sparse must be true, false, none or some of attributes, relations; got ['colours']"),
    ("coco", "skip_crowd=flase", "option 'skip_crowd' of format 'coco' must be true or false (True or False in "
                                 "Python; on the command line yes/no, on/off, 1/0 too), got 'flase'"),
    ("clevr", "approximate_boxes=maybe", "option 'approximate_boxes' of format 'clevr' must be true or false"),
    ("provision", "allow_pickle=perhaps", "option 'allow_pickle' of format 'provision' must be true or false"),
    ("open_images", "labels=LABELS", "labels and relationships files go with an Open Images box file"),
]


@pytest.mark.parametrize("fmt, option, message", BAD_VALUES, ids=[f"{f}-{o}" for f, o, _ in BAD_VALUES])
def test_a_bad_option_value_is_a_usage_error(tmp_path: Path, fmt: str, option: str, message: str) -> None:
    inputs = _inputs(tmp_path / "in")
    option = option.replace("LABELS", str(tmp_path / "in" / "labels.csv"))
    result = runner.invoke(app, ["convert", str(inputs[fmt]), "--from", fmt, "--out", str(tmp_path / "s.jsonl"),
                                 "-r", option])
    assert result.exit_code == 2, result.output
    said = _flat(result.output)
    assert said.startswith("error: ") and _says(said, message) and "Traceback" not in said
    assert not (tmp_path / "s.jsonl").exists()


@pytest.mark.parametrize("fmt, option, message", [
    ("label_map", "window=mediastinal", "window must be one of percentile"),
    ("gqa", "objects=most", "objects must be one of complete, present, sparse, got 'most'"),
])
def test_generate_from_a_format_says_a_bad_option_value_as_convert_does(tmp_path: Path, fmt: str, option: str,
                                                                         message: str) -> None:
    inputs = _inputs(tmp_path / "in")
    result = runner.invoke(app, ["generate", str(inputs[fmt]), "--from", fmt, "--out", str(tmp_path / "run"),
                                 "-r", option])
    assert result.exit_code == 2, result.output
    assert _says(result.output, message)


def test_bad_data_is_still_a_failure(tmp_path: Path) -> None:
    """A label map of negative labels, a malformed label table named by an option, a GQA file cut
    short: exit 1, as before."""
    inputs = _inputs(tmp_path / "in")
    np.save(tmp_path / "in" / "maps" / "negative.npy", np.full((4, 4), -1, dtype=np.int16))
    (tmp_path / "in" / "names.json").write_text('{"1": ')
    (tmp_path / "in" / "cut.json").write_text(json.dumps(GQA)[:30])
    for args, message in (
        ([str(tmp_path / "in" / "maps" / "negative.npy"), "--from", "label_map"], "the label map holds a negative label (-1)"),
        ([str(inputs["label_map"]), "--from", "label_map", "-r", f"labels={tmp_path / 'in' / 'names.json'}"],
         "names.json: malformed JSON"),
        ([str(tmp_path / "in" / "cut.json"), "--from", "gqa"], "no scene converted"),
    ):
        result = runner.invoke(app, ["convert", *args, "--out", str(tmp_path / "s.jsonl")])
        assert result.exit_code == 1, (args, result.output)
        assert _says(result.output, message), (args, result.output)


def test_the_error_keeps_its_option_and_value_across_processes() -> None:
    error = ReaderOptionError("axis must be an integer from -3 to 2, got 7", option="axis", value=7)
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, ValueError) and str(again) == str(error)
    assert (again.option, again.value) == ("axis", 7)
    assert str(type(error)(str(error))) == str(error)  # rebuilt from its message alone (URLs said for paths)
