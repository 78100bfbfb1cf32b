"""Label tables of medical label maps: JSON, nnU-Net v2, CSV/TSV, ITK-SNAP; bad tables named."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.io.readers.label_tables import read_label_table, structure_name


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
