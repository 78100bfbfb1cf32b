"""Other splits' runs under one card: the Splits section, images shared, the option's checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from veriscene.card import dataset_card
from veriscene.card_splits import parse_split_runs
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
    # the demo names its images demo-000000, ... in every run: by id, the test images are train's too
    assert "`train` and `test` share 2 images (by image id)" in body


def test_cli_split_run_warns_of_shared_images_and_checks_names(runs: dict[str, Path], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["card", str(runs["train"]), "--out", f"{tmp_path}/",
                                      "--split-run", f"test={runs['test']}"])
    assert result.exit_code == 0, result.output
    assert "warning: train and test share 2 images" in " ".join(result.output.split())
    assert "## Splits" in (tmp_path / "README.md").read_text(encoding="utf-8")
    same = CliRunner().invoke(app, ["card", str(runs["train"]), "--split", "test", "--split-run", f"test={runs['test']}"])
    assert same.exit_code == 2 and "--split 'test'" in same.output
