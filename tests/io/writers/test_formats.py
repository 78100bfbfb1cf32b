"""Every format is written from a hand-made run and read back by the library it targets."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image
from tests.io.conftest import SAMPLES, make_sample

from veriscene.io.export import export
from veriscene.io.writers import WRITERS, write
from veriscene.io.writers.trl import prompt_content

GOOD_IDS = [s["id"] for s in SAMPLES]  # the bad JSON line is skipped, every sample is written
TARGETS = {
    "s-int": "3",
    "s-mc": "B",
    "s-bool": "Yes",
    "s-box": "[0.250, 0.250, 0.750, 0.750]",
    "s-multi": "Image 2",
    "s-missing": "No",
}


def check_summary(summary, n_written: int = len(SAMPLES)) -> None:
    assert summary.samples_written == n_written
    assert summary.samples_skipped >= 1
    assert any("not valid JSON" in e for e in summary.errors)
    assert summary.images_missing == 1
    assert summary.missing_examples[0].endswith("images/missing.png")
    assert all(Path(f).exists() for f in summary.files)


def test_registry_names() -> None:
    assert sorted(WRITERS) == ["hf", "jsonl", "llava", "lmms_eval", "parquet", "sharegpt", "trl", "verl"]
    with pytest.raises(KeyError, match="did you mean 'llava'"):
        write([], "x", "lava")


def test_llava(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "out" / "train.json", to="llava")
    check_summary(summary)
    records = json.loads((tmp_path / "out" / "train.json").read_text())
    assert [r["id"] for r in records] == GOOD_IDS
    by_id = {r["id"]: r for r in records}
    first = by_id["s-int"]
    assert first["image"] == "../run/images/a.png"  # relative to the output folder
    assert (tmp_path / "out" / first["image"]).is_file()
    assert first["conversations"][0] == {
        "from": "human",
        "value": "<image>\nHow many cups are there?",
    }
    assert {r["id"]: r["conversations"][1]["value"] for r in records} == TARGETS
    assert by_id["s-multi"]["image"] == ["../run/images/a.png", "../run/images/c.png"]
    assert by_id["s-multi"]["conversations"][0]["value"].count("<image>") == 2
    prov = by_id["s-mc"]["veriscene"]
    assert prov["task"] == "attribute.color.v1" and prov["template_id"] == "count.0"
    assert json.loads(prov["program"]) == SAMPLES[1]["program"]


def test_sharegpt_with_dataset_info(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    out = tmp_path / "lf"
    out.mkdir()
    (out / "dataset_info.json").write_text(json.dumps({"other": {"file_name": "o.json"}}))
    summary = export(run_dir, out, to="sharegpt", image_root=run_dir, dataset_name="vs_demo")
    check_summary(summary)
    info = json.loads((out / "dataset_info.json").read_text())
    assert set(info) == {"other", "vs_demo"}  # merged, not overwritten
    assert info["vs_demo"]["file_name"] == "sharegpt.json"
    assert info["vs_demo"]["formatting"] == "sharegpt"
    ds = datasets.load_dataset("json", data_files=str(out / "sharegpt.json"), split="train")
    assert ds["id"] == GOOD_IDS
    row = ds[GOOD_IDS.index("s-multi")]
    assert row["images"] == ["images/a.png", "images/c.png"]  # relative to --image-root
    assert row["messages"][0]["content"].count("<image>") == len(row["images"])
    assert row["messages"][1] == {"role": "assistant", "content": "Image 2"}
    assert row["veriscene"]["sample_id"] == "s-multi"


@pytest.mark.parametrize("embed", [False, True])
def test_parquet(run_dir: Path, tmp_path: Path, embed: bool) -> None:
    summary = export(
        run_dir, tmp_path / "s.parquet", to="parquet", embed_images=embed, batch_rows=2
    )
    check_summary(summary)
    pf = pq.ParquetFile(tmp_path / "s.parquet")
    assert pf.metadata.num_row_groups == 3  # streamed in batches of 2 rows
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.column("id").to_pylist() == GOOD_IDS
    assert dict(zip(GOOD_IDS, table.column("answer_text").to_pylist())) == TARGETS
    rows = {r["id"]: r for r in table.to_pylist()}
    assert json.loads(rows["s-box"]["answer"]) == [10, 20, 30, 60]
    assert json.loads(rows["s-mc"]["meta"])["answer_letter"] == "B"
    assert rows["s-mc"]["choices"] == ["blue", "red", "green"]
    assert rows["s-int"]["choices"] is None
    assert rows["s-int"]["seed"] == 1234 and rows["s-int"]["template_id"] == "count.0"
    image = rows["s-int"]["images"][0]
    assert image["path"] == "run/images/a.png"
    assert (image["bytes"] is not None) == embed
    if embed:
        assert image["bytes"] == (run_dir / "images" / "a.png").read_bytes()
        assert rows["s-missing"]["images"] == [None]  # reported; no path `datasets` would open from its cwd
        assert summary.images_embedded == 6
    else:
        assert rows["s-missing"]["images"] == [{"bytes": None, "path": "run/images/missing.png"}]


def test_parquet_embedded_images_decode_with_datasets(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    export(run_dir, tmp_path / "s.parquet", to="parquet", embed_images=True)
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "s.parquet"), split="train")
    assert ds[0]["images"][0].size == (40, 30)


def test_hf_datasets_image_feature(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    summary = export(run_dir, tmp_path / "hf", to="hf")
    check_summary(summary)
    ds = datasets.load_from_disk(str(tmp_path / "hf"))["train"]
    assert isinstance(ds.features["images"].feature, datasets.Image)
    assert ds["id"] == GOOD_IDS
    row = ds[GOOD_IDS.index("s-box")]
    image = row["images"][0]
    assert image.size == (40, 80) and image.getpixel((0, 0)) == (0, 0, 255)  # the blue PNG
    assert row["image_paths"] == ["../run/images/b.png"]
    assert row["answer_text"] == "[0.250, 0.250, 0.750, 0.750]"
    assert json.loads(row["program"]) == SAMPLES[0]["program"]
    assert ds[GOOD_IDS.index("s-missing")]["images"] == [None]
    assert not list(tmp_path.glob(".veriscene-hf-*"))  # temporary stream removed


def test_trl_jsonl(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    summary = export(run_dir, tmp_path / "trl", to="trl")
    check_summary(summary)
    ds = datasets.load_dataset(
        "json", data_files=str(tmp_path / "trl" / "trl.jsonl"), split="train"
    )
    assert ds["sample_id"] == GOOD_IDS
    row = ds[GOOD_IDS.index("s-mc")]
    content = row["prompt"][0]["content"]
    assert [c["type"] for c in content] == ["image", "text"]
    assert content[1]["text"].startswith("What color is the cup?")
    assert row["completion"] == [{"role": "assistant", "content": [{"type": "text", "text": "B"}]}]
    assert row["images"] == ["../run/images/a.png"]
    assert json.loads(row["answer"]) == "red" and row["choices"] == ["blue", "red", "green"]
    assert json.loads(row["ground_truth"])["answer_letter"] == "B"
    assert row["task"] == "attribute.color.v1"


def test_trl_parquet_embedded(run_dir: Path, tmp_path: Path) -> None:
    import datasets
    export(run_dir, tmp_path / "trl.parquet", to="trl", embed_images=True)
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "trl.parquet"), split="train")
    row = ds[GOOD_IDS.index("s-multi")]
    assert [im.size for im in row["images"]] == [(40, 30), (20, 20)]
    assert [c["type"] for c in row["prompt"][0]["content"]] == ["image", "image", "text"]


def test_trl_jsonl_cannot_embed(run_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="parquet"):
        export(run_dir, tmp_path / "t.jsonl", to="trl", embed_images=True)


def test_verl_rows(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "verl" / "train.parquet", to="verl", split="train")
    check_summary(summary)
    rows = pq.read_table(tmp_path / "verl" / "train.parquet").to_pylist()
    assert [r["extra_info"]["sample_id"] for r in rows] == GOOD_IDS
    assert [r["extra_info"]["index"] for r in rows] == list(range(len(GOOD_IDS)))
    box = rows[GOOD_IDS.index("s-box")]
    assert box["data_source"] == "veriscene/grounding.box.v1"
    assert box["ability"] == "grounding"
    assert box["prompt"] == [{"role": "user", "content": "<image>Where is the dog?"}]
    assert box["images"] == [{"image": "../run/images/b.png"}]  # relative to tmp/verl
    assert box["reward_model"]["style"] == "rule"
    truth = json.loads(box["reward_model"]["ground_truth"])
    assert truth == {
        "answer": [10, 20, 30, 60],
        "answer_type": "box",
        "choices": None,
        "answer_letter": None,
        "mode": "qa",
        "box_format": "norm1",
        "image_size": [40, 80],
        "question": "Where is the dog?",  # question words do not compete with the answer
    }
    extra = box["extra_info"]
    assert extra["split"] == "train" and extra["task"] == "grounding.box.v1"
    assert json.loads(extra["program"]) == SAMPLES[0]["program"]


def test_verl_embedded_skips_unavailable_images(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "v.parquet", to="verl", embed_images=True)
    assert summary.samples_written == len(SAMPLES) - 1
    assert any("s-missing" in e for e in summary.errors)
    rows = pq.read_table(tmp_path / "v.parquet").to_pylist()
    assert rows[0]["images"] == [{"bytes": (run_dir / "images" / "a.png").read_bytes()}]


def test_jsonl_rebases_paths(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "x" / "s.jsonl", to="jsonl", absolute_paths=True)
    check_summary(summary)
    records = [json.loads(l) for l in (tmp_path / "x" / "s.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == GOOD_IDS
    assert records[0]["images"][0] == {"id": "a", "path": (run_dir / "images" / "a.png").as_posix()}
    assert {k: v for k, v in records[0].items() if k != "images"} == {
        k: v for k, v in SAMPLES[0].items() if k != "images"
    }


def test_export_reports_its_progress(run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.setattr(importlib.import_module("veriscene.io.export"), "PROGRESS_EVERY", 2)
    calls: list[int] = []
    summary = export(run_dir, tmp_path / "l.json", "llava", progress=calls.append)
    assert sum(calls) == summary.samples_written + summary.samples_skipped > len(SAMPLES)  # with a bad line
    assert calls[:-1] == [2] * (len(calls) - 1) and 0 < calls[-1] <= 2  # every 2 lines, the rest at the end


@pytest.mark.parametrize("fmt, name", [("llava", "llava.json"), ("verl", "verl.parquet"), ("trl", "trl.jsonl"),
                                       ("jsonl", "samples.jsonl")])
def test_a_folder_with_a_dot_in_its_name_is_the_image_root(run_dir: Path, tmp_path: Path, fmt: str, name: str) -> None:
    out = tmp_path / "exports" / "v1.0"  # a folder: ".0" is no suffix of these formats
    summary = export(run_dir, out, to=fmt)
    assert summary.files == [out / name]
    assert summary.image_root == out
    # the paths written resolve from the folder holding the file (not from its parent)
    assert (out / "../../run/images/a.png").is_file()
    assert "../../run/images/a.png" in ((out / name).read_text() if name.endswith("jsonl") or name.endswith("json")
                                        else str(pq.read_table(out / name).column("images").to_pylist()))


def test_embedded_missing_images_decode_as_none_from_any_working_directory(
        run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets
    export(run_dir, tmp_path / "s.parquet", to="parquet", embed_images=True)
    decoy = tmp_path / "cwd" / "run" / "images" / "missing.png"  # what the relative path names from this cwd
    decoy.parent.mkdir(parents=True)
    Image.new("RGB", (5, 5), "white").save(decoy)
    monkeypatch.chdir(tmp_path / "cwd")
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "s.parquet"), split="train")
    assert ds[GOOD_IDS.index("s-missing")]["images"] == [None]
    assert ds[GOOD_IDS.index("s-int")]["images"][0].size == (40, 30)


@pytest.mark.parametrize("question, n, parts", [
    ("Compare <image> with <image>: which has more circles?", 2,
     [("text", "Compare "), ("image", None), ("text", " with "), ("image", None),
      ("text", ": which has more circles?")]),
    ("<image>\nHow many?", 1, [("image", None), ("text", "\nHow many?")]),
    ("How many?", 2, [("image", None), ("image", None), ("text", "How many?")]),
])
def test_trl_prompt_parts_follow_the_placeholders(question: str, n: int, parts: list[tuple[str, str | None]]) -> None:
    content = prompt_content(question, n)
    assert [(c["type"], c.get("text")) for c in content] == parts


def test_trl_question_with_placeholders_keeps_its_order(run_dir: Path, tmp_path: Path) -> None:
    images = [str(run_dir / "images" / "a.png"), str(run_dir / "images" / "c.png")]
    samples = [make_sample("two", images, question="Compare <image> with <image>: which is red?"),
               make_sample("three", images, question="<image> <image> <image> which?")]
    summary = write(samples, tmp_path / "t.jsonl", "trl")
    assert summary.samples_written == 1 and "3 <image> placeholders for 2 images" in summary.errors[0]
    row = json.loads((tmp_path / "t.jsonl").read_text())
    assert [c["type"] for c in row["prompt"][0]["content"]] == ["text", "image", "text", "image", "text"]
    assert "".join(c.get("text") or "<image>" for c in row["prompt"][0]["content"]) == samples[0]["question"]


@pytest.mark.parametrize("fmt, out", [("llava", "l.json"), ("sharegpt", "s.json"), ("trl", "t.jsonl"),
                                      ("verl", "v.parquet")])
def test_an_image_without_a_path_skips_its_sample(tmp_path: Path, fmt: str, out: str) -> None:
    (tmp_path / "a.png").write_bytes(b"png")
    no_path = make_sample("no-path", [])
    no_path["images"] = [{"id": "y"}]
    summary = write([make_sample("ok", ["a.png"]), no_path], tmp_path / out, fmt, sample_root=tmp_path)
    assert summary.samples_written == 1 and summary.samples_skipped == 1
    assert summary.errors == ["sample no-path: image 'y' has no path"]
    assert summary.images_missing == 1 and summary.missing_examples == ["<image 'y' has no path>"]
    assert summary.images_referenced == 1  # the skipped sample's image is not in the export
    if out.endswith(".json"):
        records = json.loads((tmp_path / out).read_text())
        assert [r["id"] for r in records] == ["ok"]


@pytest.mark.parametrize("fmt, out", [("llava", "l.json"), ("parquet", "p.parquet")])
def test_an_image_without_a_path_is_one_missing_image(tmp_path: Path, fmt: str, out: str) -> None:
    """A scene without an image file (COCO file_name null) in 60 multi-image samples was '72 images
    missing' beside 12 real ones, its '<image '1' has no path>' listed 4 times among 10 examples."""
    samples = []
    for k in range(3):
        sample = make_sample(f"no-path-{k}", [])
        sample["images"] = [{"id": "y"}]
        samples.append(sample)
    summary = write(samples, tmp_path / out, fmt, sample_root=tmp_path)
    assert summary.images_missing == 1 and summary.missing_examples == ["<image 'y' has no path>"]


def test_images_of_skipped_samples_are_not_counted_as_written(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "v.parquet", to="verl", embed_images=True)  # s-missing skipped
    assert summary.images_referenced == 6 and summary.images_embedded == 6  # 7 named, 1 sample left out
    assert summary.images_missing == 1
    assert summary.to_dict()["images_checked"] == 0
