"""What a card says of the files it is published with: `--data-files` per split, the Hub loading
the folder as the card's `configs` block says (`datasets.load_dataset`), exported columns,
images stored or not, the licences of converted annotation sets."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from veriscene.card import SceneFacts, dataset_card
from veriscene.card_data import configs_block, images_unstored, licence_lines, parse_data_files
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export

datasets = pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("card_data")
    for split, scenes, seed in (("train", 4, 3), ("test", 2, 4)):
        run_demo(root / split, scenes=scenes, seed=seed)
    return {"train": root / "train", "test": root / "test"}


def front_matter(text: str) -> dict:
    return yaml.safe_load(text[4:].partition("\n---\n")[0])


def load(folder: Path, tmp_path: Path) -> dict[str, int]:
    loaded = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    return {split: part.num_rows for split, part in loaded.items()}


def samples(run: Path) -> int:
    return sum(1 for line in (run / "samples.jsonl").read_bytes().splitlines() if line.strip())


@pytest.mark.parametrize("given, parsed", [
    ([], None),
    (["data/*.parquet"], "data/*.parquet"),
    (["train=data/train.parquet", "test=data/test-*.parquet"],
     {"train": ["data/train.parquet"], "test": ["data/test-*.parquet"]}),
    (["train=a.parquet", "train=b.parquet"], {"train": ["a.parquet", "b.parquet"]}),
])
def test_parse_data_files(given: list[str], parsed: object) -> None:
    assert parse_data_files(given) == parsed


@pytest.mark.parametrize("given, words", [
    (["a.parquet", "b.parquet"], "without split names"),
    (["train=a.parquet", "b.parquet"], "'b.parquet'"),
    (["train="], "no glob for split 'train'"),
])
def test_parse_data_files_refuses(given: list[str], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_data_files(given)


def test_configs_block_per_split() -> None:
    assert configs_block({"train": ["t.parquet"], "test": ["a.parquet", "b.parquet"]}) == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "t.parquet"},
                                                  {"split": "test", "path": ["a.parquet", "b.parquet"]}]}]
    with pytest.raises(ValueError, match="split name 'a b'"):
        configs_block({"a b": "x.parquet"})


def test_a_run_folder_card_loads_on_the_hub_as_its_samples(runs: dict[str, Path], tmp_path: Path) -> None:
    run = runs["train"]
    (run / "README.md").write_text(dataset_card(run), encoding="utf-8")
    # without the configs block the Hub reads scenes.jsonl, rejects.jsonl, manifest.json as data too
    assert load(run, tmp_path) == {"train": samples(run)}


def test_two_runs_publish_as_two_splits(runs: dict[str, Path], tmp_path: Path) -> None:
    pub = tmp_path / "pub"
    export(runs["train"], pub / "data" / "train.parquet", to="parquet", embed_images=True)
    export(runs["test"], pub / "data" / "test.parquet", to="parquet", embed_images=True)
    result = CliRunner().invoke(app, ["card", str(runs["train"]), "--out", f"{pub}/", "--license", "cc-by-4.0",
                                      "--data-files", "train=data/train.parquet",
                                      "--data-files", "test=data/test*.parquet"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    text = (pub / "README.md").read_text(encoding="utf-8")
    assert front_matter(text)["configs"][0]["data_files"] == [{"split": "train", "path": "data/train.parquet"},
                                                              {"split": "test", "path": "data/test*.parquet"}]
    n_train, n_test = samples(runs["train"]), samples(runs["test"])
    assert load(pub, tmp_path) == {"train": n_train, "test": n_test}
    assert f"`train` 1 file, {n_train:,} rows; `test` 1 file, {n_test:,} rows" in text
    assert f"describe the run it was written from ({n_train:,} samples)" in text
    # the Fields section describes the exported columns, not the JSON record
    assert "| `images` | list of Image |" in text and "| `answer_text` | string |" in text
    assert "Each line of the samples is one JSON record" not in text
    row = datasets.load_dataset("parquet", data_files={"test": str(pub / "data" / "test.parquet")},
                                cache_dir=str(tmp_path / "cache"))["test"][0]
    assert row["images"][0].size == (row["images"][0].width, row["images"][0].height)  # a PIL image
    assert orjson.loads(row["program"])[0]["op"] == "scene"


def test_the_command_warns_of_images_not_stored_and_of_globs_matching_nothing(runs: dict[str, Path],
                                                                              tmp_path: Path) -> None:
    export(runs["test"], tmp_path / "data" / "test.parquet", to="parquet")  # paths, no bytes
    result = CliRunner().invoke(app, ["card", str(runs["test"]), "--out", f"{tmp_path}/",
                                      "--data-files", "test=data/test.parquet", "--data-files", "train=nothing/*"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "test.parquet holds image paths without their bytes" in output
    assert "--data-files train='nothing/*' matches no file" in output
    bad = CliRunner().invoke(app, ["card", str(runs["test"]), "--data-files", "a.parquet", "--data-files", "b"])
    assert bad.exit_code == 2 and "without split names" in bad.output


@pytest.mark.parametrize("fmt", ["verl", "trl", "parquet"])
def test_an_export_of_image_paths_is_warned_of_in_every_layout(runs: dict[str, Path], tmp_path: Path,
                                                              fmt: str) -> None:
    """verl's rows name an image {"image": path}, not {"path": ...}: its export without
    --embed-images was published without a word, though the Hub cannot open its images."""
    export(runs["test"], tmp_path / "data" / "test.parquet", to=fmt)
    export(runs["test"], tmp_path / "data" / "stored.parquet", to=fmt, embed_images=True)
    assert images_unstored(tmp_path / "data" / "test.parquet")
    assert not images_unstored(tmp_path / "data" / "stored.parquet")


def test_scene_facts_count_source_formats_and_name_their_licence() -> None:
    facts = SceneFacts("scenes.jsonl")
    for meta in ({"source_format": "visual_genome"}, {"source_format": "visual_genome"}, {}):
        facts.add_line(orjson.dumps({"image_id": "1", "meta": meta}))
    assert facts.sources == {"visual_genome": 2}
    line, = licence_lines(facts.sources, facts.scenes)
    assert line.startswith("- 2 of 3 scenes were converted from `visual_genome` annotations: Visual Genome is "
                           "published under CC BY 4.0")
    assert "check it before publishing" in licence_lines({"provision": 1}, 1)[0]


def test_an_hf_export_folder_loads_as_its_splits_by_default(runs: dict[str, Path], tmp_path: Path) -> None:
    pub = tmp_path / "pub"
    export(runs["train"], pub, to="hf")
    export(runs["test"], pub, to="hf", split="test")
    result = CliRunner().invoke(app, ["card", str(runs["train"]), "--out", f"{pub}/", "--license", "cc-by-4.0"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    text = (pub / "README.md").read_text(encoding="utf-8")
    assert front_matter(text)["configs"] == [{"config_name": "default", "data_files": [
        {"split": "train", "path": "train/*.arrow"}, {"split": "test", "path": "test/*.arrow"}]}]
    n_train, n_test = samples(runs["train"]), samples(runs["test"])
    assert load(pub, tmp_path) == {"train": n_train, "test": n_test}
    loaded = datasets.load_dataset(str(pub), cache_dir=str(tmp_path / "cache"))
    assert isinstance(loaded["test"].features["images"].feature, datasets.Image)
    image = loaded["test"][0]["images"][0]
    assert (image.width, image.height) == (480, 360)  # a PIL image of the demo
    saved = datasets.load_from_disk(str(pub))  # the same folder, as `datasets` saved it
    assert {split: part.num_rows for split, part in saved.items()} == {"train": n_train, "test": n_test}
    assert saved["test"]["id"] == loaded["test"]["id"]
    assert "| `images` | list of Image |" in text
    assert f"`train` 1 file, {n_train:,} rows; `test` 1 file, {n_test:,} rows" in text


@pytest.mark.parametrize("kind", ["stream", "file"])
def test_table_rows_of_arrow_files(tmp_path: Path, kind: str) -> None:
    import pyarrow as pa

    from veriscene.card_data import table_rows

    table = pa.table({"x": list(range(7))})
    path = tmp_path / "t.arrow"
    with pa.OSFile(str(path), "wb") as sink:
        open_writer = pa.ipc.new_stream if kind == "stream" else pa.ipc.new_file
        with open_writer(sink, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=3):
                writer.write_batch(batch)
    assert table_rows(path) == 7
    assert table_rows(tmp_path / "t.jsonl") is None


def test_the_command_warns_of_a_single_save_to_disk_folder(runs: dict[str, Path], tmp_path: Path) -> None:
    datasets.Dataset.from_dict({"x": [1]}).save_to_disk(str(tmp_path / "old"))  # an hf export of 0.10
    result = CliRunner().invoke(app, ["card", str(runs["test"]), "--out", f"{tmp_path / 'old'}/",
                                      "--data-files", "*.arrow"])
    assert result.exit_code == 0, result.output
    assert "is a single `save_to_disk` folder" in " ".join(result.output.split())
