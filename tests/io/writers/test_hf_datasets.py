"""The Hugging Face export is reproducible: the same run gives the same bytes in every file
(arrow shards, dataset_info.json, state.json), and its fingerprint follows the content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from veriscene.io.export import export


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fingerprint(folder: Path) -> str:
    return json.loads((folder / "train" / "state.json").read_text())["_fingerprint"]


@pytest.mark.parametrize("options", [{}, {"max_shard_size": 100}])  # one shard; one per sample
def test_two_exports_of_one_run_are_the_same_bytes(run_dir: Path, tmp_path: Path,
                                                   options: dict[str, Any]) -> None:
    first, second = tmp_path / "one", tmp_path / "two"  # siblings: the same relative image paths
    export(run_dir, first, to="hf", **options)
    export(run_dir, second, to="hf", **options)
    written = files(first)
    assert {"dataset_dict.json", "train/state.json", "train/dataset_info.json"} <= set(written)
    assert sum(name.endswith(".arrow") for name in written) == (1 if not options else 6)
    assert written == files(second)
    assert len(fingerprint(first)) == 16


def test_the_fingerprint_does_not_depend_on_batching(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "one", to="hf", batch_rows=1)
    export(run_dir, tmp_path / "two", to="hf", batch_rows=1000)
    assert files(tmp_path / "one") == files(tmp_path / "two")


@pytest.mark.parametrize("change", ["image", "sample"])
def test_the_fingerprint_follows_the_content(run_dir: Path, tmp_path: Path, change: str) -> None:
    export(run_dir, tmp_path / "one", to="hf")
    if change == "image":  # the same path, other pixels: only the embedded bytes differ
        Image.new("RGB", (40, 30), "yellow").save(run_dir / "images" / "a.png")
    else:
        samples = run_dir / "samples.jsonl"
        samples.write_text(samples.read_text().replace("How many cups", "How many mugs"))
    export(run_dir, tmp_path / "two", to="hf")
    assert fingerprint(tmp_path / "one") != fingerprint(tmp_path / "two")


def test_loaded_exports_share_a_fingerprint(run_dir: Path, tmp_path: Path) -> None:
    """`datasets` names its cache files (`map`, `filter`) by fingerprint: two loaded exports of one
    run hit the same cache entries, as the same content should."""
    import datasets
    loaded = []
    for name in ("one", "two"):
        export(run_dir, tmp_path / name, to="hf")
        loaded.append(datasets.load_from_disk(str(tmp_path / name / "train")))
    assert loaded[0]._fingerprint == loaded[1]._fingerprint
    assert loaded[0]["id"] == loaded[1]["id"] and len(loaded[0]) == 6


def test_the_folder_is_a_dataset_dict_of_the_split(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    out = tmp_path / "hf"
    export(run_dir, out, to="hf")
    assert json.loads((out / "dataset_dict.json").read_text()) == {"splits": ["train"]}
    assert not (out / "state.json").exists()  # load_dataset(out) refuses a folder with one at its top
    loaded = datasets.load_from_disk(str(out))
    assert list(loaded) == ["train"] and len(loaded["train"]) == 6
    assert datasets.load_from_disk(str(out / "train"))["id"] == loaded["train"]["id"]


def test_another_split_is_added_beside_the_first(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    out = tmp_path / "hf"
    export(run_dir, out, to="hf")
    samples = run_dir / "samples.jsonl"
    samples.write_text("".join(line + "\n" for line in samples.read_text().splitlines()[:2]))
    export(run_dir, out, to="hf", split="test")
    export(run_dir, out, to="hf", split="test")  # again: replaced, listed once
    assert json.loads((out / "dataset_dict.json").read_text()) == {"splits": ["train", "test"]}
    loaded = datasets.load_from_disk(str(out))
    assert {name: len(ds) for name, ds in loaded.items()} == {"train": 6, "test": 2}


def test_a_single_dataset_left_by_an_older_export_is_replaced(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    out = tmp_path / "hf"
    datasets.Dataset.from_dict({"x": [1, 2]}).save_to_disk(str(out))  # the layout of veriscene 0.10
    (out / "notes.txt").write_text("mine")
    export(run_dir, out, to="hf")
    assert sorted(p.name for p in out.iterdir()) == ["dataset_dict.json", "notes.txt", "train"]
    assert len(datasets.load_from_disk(str(out))["train"]) == 6


@pytest.mark.parametrize("split", ["", "train/x", "a b"])
def test_a_bad_split_name_is_refused_before_writing(run_dir: Path, tmp_path: Path, split: str) -> None:
    with pytest.raises(ValueError, match="a split name is letters, digits and _"):
        export(run_dir, tmp_path / "hf", to="hf", split=split)
    assert not (tmp_path / "hf").exists()


def test_sample_ids_shared_across_splits_are_warned_of(run_dir: Path, tmp_path: Path) -> None:
    """A test run of another data set whose images have the train run's ids (b.png other pixels)
    and one other answer: ids the DatasetDict's two splits share are named, split by whether they
    are the same sample (asked on both sides) or two samples of one id."""
    import shutil

    out = tmp_path / "hf"
    assert export(run_dir, out, to="hf").warnings == []
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    Image.new("RGB", (40, 80), "yellow").save(other / "images" / "b.png")
    samples = other / "samples.jsonl"
    samples.write_text(samples.read_text().replace('"answer": 3,', '"answer": 4,', 1))
    warnings = export(other, out, to="hf", split="test").warnings
    assert [w for w in warnings if "shares" in w] == [
        "split 'test' shares 6 sample id(s) with split 'train': 3 name other samples (another answer or image: "
        "data sets whose images share ids give different samples one id; see the README's 'Sample ids across "
        "runs'), e.g. s-bool, s-box, s-int; 3 are the same sample (answer and image bytes) in both splits, asked "
        "on both sides, e.g. s-mc, s-missing, s-multi"]
    samples.write_text("".join(line.replace('"id": "s-', '"id": "t-') + "\n"
                               for line in samples.read_text().splitlines()))
    assert not [w for w in export(other, out, to="hf", split="test").warnings if "shares" in w]


def test_an_export_of_no_sample_is_an_empty_split_datasets_loads(run_dir: Path, tmp_path: Path) -> None:
    """Every sample skipped (here: an unknown answer type): `save_to_disk` of no row wrote no shard, so
    `load_from_disk` of the folder failed (IndexError), and so did the export itself, reading
    the split back for shared ids beside another split."""
    import datasets
    samples = run_dir / "samples.jsonl"
    lines = [json.loads(line) for line in samples.read_text().splitlines() if line.startswith("{\"")]
    samples.write_text("".join(json.dumps({**s, "answer_type": "weird"}) + "\n" for s in lines))
    out = tmp_path / "hf"
    export(run_dir, out, to="hf", split="test")
    summary = export(run_dir, out, to="hf")
    assert (summary.samples_written, summary.samples_skipped) == (0, 6)
    assert {name: len(ds) for name, ds in datasets.load_from_disk(str(out)).items()} == {"test": 0, "train": 0}
