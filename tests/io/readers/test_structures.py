"""Which structures are counted by their connected pieces (`components`), and what counting them
changes in the questions asked of a slice."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers._base import ReadContext
from veriscene.io.readers._structures import Split, is_lesion, split_names

from PIL import Image

from .reader_helpers import read_all, write_json


@pytest.mark.parametrize("name, lesion", [
    ("lesion", True), ("liver tumour", True), ("tumor", True), ("cancer", True),  # MSD Task03, Task06, Task07
    ("colon cancer primary", True), ("metastasis", True), ("lung nodule", True), ("left kidney cyst", True),
    ("renal stone", True), ("gallstone", True), ("lymph node", True), ("colon polyp", True),
    ("enhancing tumour", False), ("non-enhancing tumor", False), ("necrotic tumor core", False),  # a glioma's parts
    ("whole tumor", False), ("edema", False),
    ("liver", False), ("left kidney", False), ("kidney", False), ("colon", False), ("lymph", False),
    ("massive organ", False), ("node", False),
])
def test_lesion_names(name: str, lesion: bool) -> None:
    assert is_lesion(name) is lesion


@pytest.mark.parametrize("given, expected", [
    (None, Split(lesions=True)),
    ("auto", Split(lesions=True)),
    ("AUTO", Split(lesions=True)),
    ("none", Split()),
    ("", Split()),
    (False, Split()),
    ("all", Split(every=True)),
    (True, Split(every=True)),
    ("kidney, Liver_Tumours", Split(frozenset({"kidney", "liver tumour"}))),
    ("auto,kidney", Split(frozenset({"kidney"}), lesions=True)),
])
def test_components_option(given: str | bool | None, expected: Split) -> None:
    assert split_names(ReadContext("x", "label_map"), given) == expected


def test_split_applies() -> None:
    assert Split(frozenset({"kidney"}), lesions=True).applies("kidney")
    assert Split(frozenset({"kidney"}), lesions=True).applies("liver tumour")
    assert not Split(frozenset({"kidney"})).applies("liver tumour")
    assert not Split(lesions=True).applies("liver") and Split(every=True).applies("liver")


def three_tumours(tmp_path: Path) -> tuple[Path, Path]:
    """A 40x60 map: a liver (1) holding three separate tumours (5) of 29 pixels each."""
    yy, xx = np.mgrid[:40, :60]
    labels = np.zeros((40, 60), np.uint8)
    labels[(xx - 20) ** 2 + (yy - 20) ** 2 <= 15**2] = 1
    for cx, cy in ((14, 14), (26, 24), (16, 28)):
        labels[(xx - cx) ** 2 + (yy - cy) ** 2 <= 9] = 5
    Image.fromarray(labels).save(tmp_path / "slice.png")
    return tmp_path / "slice.png", write_json(tmp_path / "t.json", {"1": "liver", "5": "liver_tumour"})


@pytest.mark.parametrize("components, names, answer", [
    (None, ("liver", "liver tumour", "liver tumour", "liver tumour"), "3"),  # by default: each tumour
    # one object of three pieces, one by construction (meta single): not counted ("1" whatever the image)
    ("none", ("liver", "liver tumour"), None),
])
def test_how_many_tumours(tmp_path: Path, components: str | None, names: tuple[str, ...], answer: str | None) -> None:
    from tests.generators.helpers import qa
    from veriscene.generators import Vocabulary

    path, table = three_tumours(tmp_path)
    options = {"components": components} if components is not None else {}
    (scene,), _ = read_all(path, "label_map", labels=table, **options)
    assert scene.names == names
    # every question object.count proposes (the runner asks one per mode; with one count on the
    # scene, no multiple choice: its options are the scene's other counts)
    asked = {q: str(a) for q, a in qa(scene, "object.count.v1", Vocabulary.from_scenes([scene])).items()}
    assert [a for q, a in asked.items() if "liver tumours" in q] == ([answer] if answer else [])
    assert not any("livers" in q for q in asked), asked  # the liver: one structure, one object


def test_components_naming_no_structure_of_the_table_is_refused(tmp_path: Path) -> None:
    """A misspelt name would leave every tumour whole, unsaid: with the label table known before
    reading, a list naming none of its structures is a usage error (exit 2), naming the closest."""
    from typer.testing import CliRunner

    from veriscene.cli import app
    from veriscene.errors import ReaderOptionError

    path, table = three_tumours(tmp_path)
    with pytest.raises(ReaderOptionError, match=r"no structure of .* is named 'livr tumour' \(did you mean "
                                                 r"'liver tumour'\?\); its structures are liver, liver tumour "
                                                 r"\(or give auto, all or none\)"):
        read_all(path, "label_map", labels=table, components="livr_tumour")
    result = CliRunner().invoke(app, ["convert", str(path), "--from", "label_map", "-r", f"labels={table}",
                                      "-r", "components=livr tumour", "--out", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 2 and "did you mean 'liver tumour'" in " ".join(result.output.split())


def test_components_naming_some_structures_warns_of_the_others(tmp_path: Path) -> None:
    path, table = three_tumours(tmp_path)
    with pytest.warns(UserWarning, match=r"no structure of .* is named 'spleen', so none was counted by its pieces "
                                         r"under that name; the structures read: liver, liver tumour"):
        (scene,), _ = read_all(path, "label_map", labels=table, components="liver tumour, spleen")
    assert scene.names == ("liver", "liver tumour", "liver tumour", "liver tumour")


@pytest.mark.parametrize("components, warned", [
    ("label 5", None),  # a value the table (here none) does not name: let through, and found
    ("label 9", "'label 9'"),  # let through, not found: said at the end
    ("tumour", "'tumour'"),  # no table: the names are known only once read
])
def test_components_of_maps_without_a_table(tmp_path: Path, components: str, warned: str | None) -> None:
    path, _ = three_tumours(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (scene,), _ = read_all(path, "label_map", components=components)
    said = [str(w.message) for w in caught if "components" in str(w.message)]
    if warned is None:
        assert not said and scene.names == ("label 1", "label 5", "label 5", "label 5")
    else:
        assert len(said) == 1 and warned in said[0] and "the structures read: label 1, label 5" in said[0]
