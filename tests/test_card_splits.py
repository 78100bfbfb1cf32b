"""Other splits' runs under one card: the Splits section, images shared, the option's checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from veriscene import __version__
from veriscene.card import card_facts, dataset_card
from veriscene.card_splits import SharedImages, image_overlap, parse_split_runs
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("card_splits")
    for split, scenes, seed in (("train", 4, 3), ("test", 2, 4)):
        run_demo(root / split, scenes=scenes, seed=seed)
    return {"train": root / "train", "test": root / "test"}


def samples(run: Path) -> int:
    return sum(1 for line in (run / "samples.jsonl").read_bytes().splitlines() if line.strip())


def test_parse_split_runs() -> None:
    assert parse_split_runs(["test=runs/test", "val=runs/v=1"]) == {"test": "runs/test", "val": "runs/v=1"}
    for bad in (["runs/test"], ["te st=runs/test"], ["test="], ["test=a", "test=b"]):
        with pytest.raises(ValueError, match="--split-run"):
            parse_split_runs(bad)


def test_splits_section_rows_and_size(runs: dict[str, Path]) -> None:
    text = dataset_card(runs["train"], split_run={"test": runs["test"]}, verify=True)
    n_train, n_test = samples(runs["train"]), samples(runs["test"])
    body = text.split("\n## Splits\n", 1)[1]
    assert f"| `train` | `train` | {n_train:,} | 4 | " in body and f"{n_train:,} of {n_train:,} |" in body
    assert f"| `test` | `test` | {n_test:,} | 2 | " in body and f"{n_test:,} of {n_test:,} |" in body
    assert "seed 4; again, from the folder holding `test`: `veriscene generate test/scenes.jsonl" in body
    meta = yaml.safe_load(text[4:].partition("\n---\n")[0])
    assert meta["size_categories"] == ["n<1K" if n_train + n_test < 1000 else "1K<n<10K"]
    # the demo names its images demo-000000, ... in every run: other images of train's ids, no leak
    assert ("`train` and `test` share 2 image ids: 2 are other images under the same id (their files differ: data "
            "sets whose images share ids; no leak, but sample ids of the two splits may then name different "
            "samples).") in body


def test_cli_split_run_warns_of_shared_images_and_checks_names(runs: dict[str, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["card", str(runs["train"]), "--out", f"{tmp_path}/",
                                      "--split-run", f"test={runs['test']}"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "note: train and test share 2 image ids of other images (their files differ): no leak" in said
    assert "warning: train and test share" not in said
    assert "## Splits" in (tmp_path / "README.md").read_text(encoding="utf-8")
    same = CliRunner().invoke(app, ["card", str(runs["train"]), "--split", "test", "--split-run", f"test={runs['test']}"])
    assert same.exit_code == 2 and "--split 'test'" in same.output


def test_shared_image_ids_are_compared_by_file(runs: dict[str, Path], tmp_path: Path) -> None:
    """A test split of train's own images (copied: other paths, the same bytes) is a leak; with
    one image file gone, that id cannot be compared and may be a leak."""
    copy = tmp_path / "copy"
    shutil.copytree(runs["test"], copy)
    train_images = runs["train"] / "images"
    for image in (copy / "images").iterdir():
        shutil.copyfile(train_images / image.name, image)  # train's image, under the test run
    facts = {name: card_facts(run) for name, run in (("train", runs["train"]), ("copy", copy))}
    assert image_overlap(facts["train"], facts["copy"]) == SharedImages(ids=2, same=2, other=0, unknown=0)
    assert image_overlap(facts["train"], card_facts(runs["test"])) == SharedImages(ids=2, same=0, other=2, unknown=0)
    (copy / "images" / "demo-000001.png").unlink()
    shared = image_overlap(facts["train"], facts["copy"])
    assert shared == SharedImages(ids=2, same=1, other=0, unknown=1) and shared.leaked == 2
    assert shared.describe("train", "test") == (
        "`train` and `test` share 2 image ids: 1 is the same image (one file, or files of the same bytes): "
        "questions about them are asked on both sides; 1 could not be compared (a file not found, or at a URL): "
        "they may be the same images.")
    result = CliRunner().invoke(app, ["card", str(runs["train"]), "--out", f"{tmp_path}/card/",
                                      "--split-run", f"test={copy}"])
    assert result.exit_code == 0, result.output
    assert ("warning: train and test share 2 images (1 the same files or bytes, 1 not compared): split the scene "
            "graphs with `veriscene split` before generating") in " ".join(result.output.split())
    text = dataset_card(runs["train"], split_run={"test": runs["train"]})  # the very same run: one file per image
    assert "`train` and `test` share 4 images: questions about them are asked on both sides." in text


def test_a_split_made_by_an_earlier_release_names_it(runs: dict[str, Path], tmp_path: Path) -> None:
    import orjson

    old = tmp_path / "test"
    shutil.copytree(runs["test"], old)
    manifest = orjson.loads((old / "manifest.json").read_bytes())
    manifest["config"]["veriscene_version"] = "0.10.0"
    (old / "manifest.json").write_bytes(orjson.dumps(manifest))
    body = dataset_card(runs["train"], split_run={"test": old}).split("\n## Splits\n", 1)[1]
    assert ("`veriscene generate test/scenes.jsonl --out OUT --seed 4 --mode both` (made by veriscene 0.10.0: byte "
            "for byte with that release, `pip install veriscene==0.10.0`)") in body
    assert "made by veriscene" not in dataset_card(runs["train"], split_run={"test": runs["test"]})
    manifest["config"]["veriscene_version"] = __version__
    manifest["source"]["veriscene"] = "0" * 16  # this release, other code (an edited checkout)
    (old / "manifest.json").write_bytes(orjson.dumps(manifest))
    body = dataset_card(runs["train"], split_run={"test": old}).split("\n## Splits\n", 1)[1]
    assert ("--mode both` (made by other code of this release: byte for byte only with that code; manifest.json "
            "\"source\")") in body


@pytest.mark.parametrize(("given", "error", "said"), [
    # before: "'str' object has no attribute 'items'" once the card's own samples were read
    ({"split_run": "test=runs/test"}, TypeError, ("split_run must be a dict of split name -> run folder or samples "
                                                  "file (e.g. {'test': 'runs/test'}), got 'test=runs/test'")),
    ({"split_run": ["test=runs/test"]}, TypeError, ("split_run must be a dict of split name -> run folder or samples "
                                                    "file (e.g. {'test': 'runs/test'}), got ['test=runs/test']")),
    ({"split_run": {"test": None}}, TypeError, ("split_run['test'] must be a run folder or samples file (a str or a "
                                                "path), got None")),
    # before: taken, as the CLI refuses them, into a card the Hub cannot load
    ({"split_run": {"te st": "x"}}, ValueError, "split_run: 'te st' is not a split name (letters, digits and _, e.g. 'test')"),
    ({"split": "te st"}, ValueError, "split 'te st': a split name of letters, digits and _, not one of split_run's"),
    ({"split": "test", "split_run": {"test": "x"}}, ValueError, ("split 'test': a split name of letters, digits and _, "
                                                                 "not one of split_run's")),
    ({"split": None}, TypeError, "split must be a split name (a str, e.g. 'train'), got None"),
])
def test_wrong_splits_are_named_before_any_card_is_written(runs: dict[str, Path], tmp_path: Path, given, error,
                                                           said) -> None:
    from veriscene.card import write_card

    with pytest.raises(error) as info:
        write_card(runs["train"], tmp_path / "README.md", **given)
    assert str(info.value) == said
    assert not (tmp_path / "README.md").exists()
