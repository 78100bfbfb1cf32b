"""Label tables of medical label maps: JSON, nnU-Net v2, CSV/TSV, ITK-SNAP; bad tables named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers.label_tables import nifti_header_table, read_label_table, structure_name


@pytest.mark.parametrize("name, text", [
    ("t.json", '{"0": "background", "1": "liver", "2": "kidney_left"}'),
    ("dataset.json", '{"name": "x", "labels": {"background": 0, "liver": 1, "kidney_left": 2}}'),
    ("t.tsv", "id\tname\n1\tliver\n2\tkidney_left\n"),
    ("t.txt", '# ITK-SnAP Label Description File\n    0     0    0    0        0  0  0    "Clear Label"\n'
              '    1   255    0    0        1  1  1    "liver"\n    2     0  255    0        1  1  1    "kidney_left"\n'),
])
def test_label_tables(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert read_label_table(path) == {1: "liver", 2: "kidney_left"}


@pytest.mark.parametrize("name, text, message", [
    ("t.json", '{"1": ["liver", "x"]}', "expected a name or one integer"),
    ("t.json", '{"1": "liver"', "malformed JSON"),
    ("t.csv", "1,liver\nx\n", "row 2: expected value,name"),
    ("t.csv", "1,liver\n-2,kidney\n", "negative"),
    ("t.txt", "1 liver\n", "line 1"),
    # a value given two names: refused, naming both places
    ("labels.csv", "value,name\n1,kidney_left\n2,liver\n1,spleen\n",
     "label value 1 is named twice, 'kidney_left' \\(row 2\\) and 'spleen' \\(row 4\\)"),
    ("labels.txt", '    1   255 0 0   1 1 1  "liver"\n    1   0 255 0   1 1 1  "spleen"\n',
     "label value 1 is named twice, 'liver' \\(line 1\\) and 'spleen' \\(line 2\\)"),
    ("labels.json", '{"liver": 1, "spleen": 1}', "label value 1 is named twice, 'liver' \\(key 'liver'\\)"),
    # rows of every kind of table
    ("labels.ctbl", "1 liver 221 130 101 255\n2 kidney left 1 2 3 255\n",
     "line 2: expected 'value name R G B A' as the colour table's first row is"),
    ("labels.ctbl", "1 liver 221 130 101 255\nx spleen 1 2 3 4\n", "line 2"),
    ("labels.txt", '    1   255 0 0   1 1 1  "liver"\n2 spleen 1 2 3 255\n',
     "line 2: expected 'value R G B A visible mesh \"name\"' as the ITK-SNAP's first row is"),
    ("labels.txt", "# Color procedural file /x.txt\n# 2 points\n0 0 0 0\n255 1 1 1\n", "continuous colour scale"),
    ("labels.txt", "", "no label rows"),
    ("labels.txt", "# only comments\n", "no label rows"),
    ("t.csv", "value,name\n1,liver\n2\n", "row 3: expected value,name"),
    ("t.csv", "value,name\n1,liver\nx,spleen\n", "row 3: label value 'x' is not an integer"),
    ("t.csv", "value,name\n1,\n", "row 2: label value 1 has an empty name"),
    ("t.json", '[{"value": 1}]', "labels\\[0\\]: expected a value"),
    ("t.json", '[1, 2]', "labels\\[0\\]: expected"),
    ("t.json", '"liver"', "expected \\{value: name\\}"),
])
def test_bad_label_tables_name_file_and_row(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        read_label_table(path)
    assert str(path) in str(info.value)


def test_structure_names() -> None:
    assert structure_name("kidney_left") == "left kidney"
    assert structure_name("Right Lung") == "Right Lung"
    assert structure_name("adrenal_gland_right") == "right adrenal gland"


@pytest.mark.parametrize(("raw", "name"), [
    # TotalSegmentator's ribs: the number after the side is the rib's, said as an ordinal
    ("rib_left_3", "left third rib"), ("rib_right_12", "right twelfth rib"), ("rib_left_13", "left 13th rib"),
    # and its vertebrae by level
    ("vertebrae_L1", "first lumbar vertebra"), ("vertebrae_C7", "seventh cervical vertebra"),
    ("vertebrae_T12", "twelfth thoracic vertebra"), ("vertebrae_S1", "first sacral vertebra"),
    ("vertebra l5", "fifth lumbar vertebra"),
    # other names ending in a number or a code are left as they are
    ("liver_segment_4", "liver segment 4"), ("vertebrae_X1", "vertebrae X1"), ("rib_left_0", "left rib 0"),
    ("lung_upper_lobe_left", "left lung upper lobe"),
    # abbreviations written as words are spelt out (FreeSurfer's LUT)
    ("CSF", "cerebrospinal fluid"), ("WM hypointensities", "white matter hypointensities"), ("IVC", "inferior vena cava"),
    ("Left Lateral Ventricle", "Left Lateral Ventricle"),
])
def test_numbered_structures_are_said_as_anatomy_says_them(raw: str, name: str) -> None:
    assert structure_name(raw) == name


def test_itk_snap_file_as_written_by_the_tool(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_text(
        "################################################\n# ITK-SnAP Label Description File\n# File format:\n"
        "# IDX   -R-  -G-  -B-  -A--  VIS MSH  LABEL\n################################################\n"
        '    0     0    0    0        0  0  0    "Clear Label"\n'
        '    1   255    0    0        1  1  1    "Crohn\'s lesion"\n'
        '    2     0  255    0     0.50  1  1    "kidney (left)"\n'
        '    3     0    0  255        1  1  1    \u201cportal vein\u201d\n')
    assert read_label_table(path) == {1: "Crohn's lesion", 2: "kidney (left)", 3: "portal vein"}


def test_a_value_repeated_with_its_name_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("1,liver\n2,spleen\n1,liver\n")
    assert read_label_table(path) == {1: "liver", 2: "spleen"}


SLICER_CTBL = ("# Color table file /data/Segmentation-label_ColorTable.ctbl\n# 4 values\n0 Background 0 0 0 0\n"
               "1 liver 221 130 101 255\n2 kidney_left 185 102 83 255\n3 cerebro-spinal_fluid 85 188 255 255\n")
FREESURFER_LUT = ("#$Id: FreeSurferColorLUT.txt $\n\n#No. Label Name:                            R   G   B   A\n\n"
                  "0   Unknown                                 0   0   0   0\n"
                  "2   Left-Cerebral-White-Matter              245 245 245 0\n"
                  "4   Left-Lateral-Ventricle                  120 18  134 0\n"
                  "16  Brain-Stem                              119 159 176 0\n")
SLICER_CSV = ("LabelValue,Name,Color_R,Color_G,Color_B,Color_A,Category_CodingScheme,Category_CodeValue,"
              "Category_CodeMeaning,Type_CodingScheme,Type_CodeValue,Type_CodeMeaning,TypeModifier_CodingScheme,"
              "TypeModifier_CodeValue,TypeModifier_CodeMeaning\n"
              "1,liver,221,130,101,255,SCT,123037004,Anatomical Structure,SCT,10200004,Liver,,,\n"
              "2,,185,102,83,255,SCT,123037004,Anatomical Structure,SCT,64033007,Kidney,SCT,7771000,Left\n")


@pytest.mark.parametrize("name, text, expected", [
    # 3D Slicer colour table: names one word, underscores between words; a hyphen inside a word stays
    ("labels.ctbl", SLICER_CTBL, {1: "liver", 2: "kidney_left", 3: "cerebro-spinal_fluid"}),
    ("Segmentation_ColorTable.txt", SLICER_CTBL, {1: "liver", 2: "kidney_left", 3: "cerebro-spinal_fluid"}),
    # FreeSurfer LUT: hyphens between words
    ("FreeSurferColorLUT.txt", FREESURFER_LUT,
     {2: "Left Cerebral White Matter", 4: "Left Lateral Ventricle", 16: "Brain Stem"}),
    # 3D Slicer CSV colour table: a missing Name is the terminology's type, its modifier in front
    ("colors.csv", SLICER_CSV, {1: "liver", 2: "Left Kidney"}),
    # BIDS dseg.tsv: index, name, ... columns
    ("dseg.tsv", "index\tname\tabbreviation\tcolor\n1\tliver\tLIV\t#ff0000\n2\tspleen\tSPL\t#00ff00\n",
     {1: "liver", 2: "spleen"}),
    # a header puts the columns anywhere; "label" is the value beside a "name", the name beside a "value"
    ("t.csv", "name,value\nliver,1\nspleen,2\n", {1: "liver", 2: "spleen"}),
    ("t.csv", "label,name\n1,liver\n", {1: "liver"}),
    ("t.csv", "value,label\n1,liver\n", {1: "liver"}),
    ("t.csv", "structure;x\n", None),  # a header alone: no label rows (checked below)
    # delimited rows in a .txt
    ("labels.txt", "value,name\n1,liver\n2,spleen\n", {1: "liver", 2: "spleen"}),
    ("labels.txt", "1\tliver\n2\tspleen\n", {1: "liver", 2: "spleen"}),
    # JSON rows
    ("t.json", '[{"value": 1, "name": "liver"}, {"id": 2, "name": "spleen"}]', {1: "liver", 2: "spleen"}),
    ("t.json", '{"labels": [{"index": 1, "label": "liver"}]}', {1: "liver"}),
])
def test_the_tables_medical_tools_write(tmp_path: Path, name: str, text: str, expected: dict | None) -> None:
    path = tmp_path / name
    path.write_text(text)
    if expected is None:
        with pytest.raises(ValueError, match="no label rows"):
            read_label_table(path)
        return
    assert read_label_table(path) == expected


def test_freesurfer_and_slicer_names_read_as_words() -> None:
    assert structure_name("Left Cerebral White Matter") == "Left Cerebral White Matter"
    assert structure_name("kidney_left") == "left kidney"


def test_a_table_in_a_windows_code_page_is_read(tmp_path: Path) -> None:
    path = tmp_path / "labels.txt"
    path.write_bytes('    1   255 0 0   1 1 1  "l\u00e9sion"\n'.encode("latin-1"))
    assert read_label_table(path) == {1: "l\u00e9sion"}


def test_a_slicer_table_beside_the_maps_is_found(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    from PIL import Image

    from veriscene.io.readers import read

    labels = np.zeros((20, 20), np.uint8)
    labels[2:12, 2:12] = 2
    Image.fromarray(labels).save(tmp_path / "case.png")
    (tmp_path / "labels.ctbl").write_text(SLICER_CTBL)
    (scene,) = list(read(tmp_path, "label_map"))
    assert scene.names == ("left kidney",)


def _caret_header(rows: str) -> object:
    """A NIfTI header holding a label table as TotalSegmentator's --ml writes it (CaretExtension)."""
    nib = pytest.importorskip("nibabel")
    header = nib.Nifti1Header()
    xml = ('<?xml version="1.0" encoding="UTF-8"?> <CaretExtension> <VolumeInformation Index="0"> <LabelTable>\n'
           f'{rows}\n </LabelTable> <VolumeType><![CDATA[Label]]></VolumeType> </VolumeInformation></CaretExtension>\n  ')
    header.extensions.append(nib.nifti1.Nifti1Extension(0, xml.encode()))
    return header


def test_label_table_in_a_nifti_header() -> None:
    header = _caret_header('<Label Key="1" Red="1" Green="0" Blue="0" Alpha="1"><![CDATA[spleen]]></Label>\n'
                           '<Label Key="2" Red="0" Green="1" Blue="0" Alpha="1"><![CDATA[kidney_right]]></Label>')
    assert nifti_header_table(header, "seg.nii.gz") == {1: "spleen", 2: "kidney_right"}
    assert nifti_header_table(pytest.importorskip("nibabel").Nifti1Header(), "seg.nii.gz") == {}


def test_label_table_in_a_nifti_header_refused_when_malformed() -> None:
    with pytest.raises(ValueError, match="seg.nii.gz: the label table in the NIfTI header is not well-formed XML"):
        nifti_header_table(_caret_header('<Label Key="1">spleen'), "seg.nii.gz")
    with pytest.raises(ValueError, match="seg.nii.gz: header label table, row 1: label value 'x' is not an integer"):
        nifti_header_table(_caret_header('<Label Key="x">spleen</Label>'), "seg.nii.gz")


WIDE = 2**64  # one past the largest value a label map (uint64) holds


@pytest.mark.parametrize("name, text, place, value", [
    # before: orjson read the value as the float 1.8446744073709552e+19, said as not an integer
    ("dataset.json", f'{{"labels": {{"background": 0, "liver": {WIDE}}}}}', "key 'liver'", WIDE),
    ("t.json", f'{{"liver": {WIDE + 1}}}', "key 'liver'", WIDE + 1),
    ("t.json", f'[{{"value": {WIDE + 1}, "name": "liver"}}]', "labels[0]", WIDE + 1),
    ("t.json", f'{{"{WIDE}": "liver"}}', f"key '{WIDE}'", WIDE),
    ("t.csv", f"value,name\n{WIDE},liver\n", "row 2", WIDE),
    ("t.ctbl", f"{WIDE} liver 221 130 101 255\n", "line 1", WIDE),  # before: taken, a value no map holds
])
def test_a_label_value_past_64_bits_is_read_exactly_and_refused(tmp_path: Path, name: str, text: str, place: str,
                                                                  value: int) -> None:
    from veriscene.errors import DataError

    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataError) as info:
        read_label_table(path)
    assert str(info.value) == f"{path}: {place}: label value {value} is past the largest a label map holds (2**64 - 1)"


def test_the_largest_64_bit_label_value_is_kept_exact(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(f'{{"liver": {2**64 - 1}, "spleen": 1}}')
    assert read_label_table(path) == {2**64 - 1: "liver", 1: "spleen"}
