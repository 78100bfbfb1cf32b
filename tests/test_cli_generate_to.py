"""`veriscene generate --to FORMAT` with an `--out` URL: the export uploaded beside the run is one
that means something at the URL (absolute image paths, as the run's samples and `veriscene export
RUN --out URL` have them), and a format that cannot go to a URL is refused before the run."""

from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import write_scenes

runner = CliRunner()


@pytest.fixture
def scenes_file(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "scenes.jsonl"
    path.parent.mkdir()
    write_scenes(iter_scene_graphs(4, seed=4), path)
    return path


@pytest.mark.parametrize("to", ["parquet", "llava"])
def test_an_export_uploaded_with_the_run_names_its_images_by_absolute_path(to, tmp_path, scenes_file, memory) -> None:
    result = runner.invoke(app, ["generate", str(scenes_file), "--out", "memory://bucket/run", "--staging",
                                 str(tmp_path / "stage"), "-g", "counting", "--to", to])
    assert result.exit_code == 0, result.output
    samples = [orjson.loads(line) for line in memory.cat_file("/bucket/run/samples.jsonl").splitlines()]
    expected = [s["images"][0]["path"] for s in samples]
    assert all(Path(p).is_absolute() for p in expected)  # the run's own samples, as before
    if to == "parquet":
        with memory.open("/bucket/run/export/parquet/samples.parquet", "rb") as f:
            written = [cell[0]["path"] for cell in pq.read_table(f).column("images").to_pylist()]
    else:
        written = [r["image"] for r in orjson.loads(memory.cat_file("/bucket/run/export/llava/llava.json"))]
    # before: relative to the staging folder's export folder ("../../../in/images/..."), nothing at the URL
    assert written == expected
    assert "relative to" not in result.output  # no warning of relative paths for an export that has none


def test_lmms_eval_with_a_url_out_is_refused_before_the_run(tmp_path, scenes_file, memory) -> None:
    result = runner.invoke(app, ["generate", str(scenes_file), "--out", "memory://bucket/lm", "--staging",
                                 str(tmp_path / "stage"), "-g", "counting", "--to", "lmms_eval"])
    assert result.exit_code == 2, result.output
    assert "--to lmms_eval cannot go with an --out URL" in result.output
    assert "veriscene export memory://bucket/lm --to lmms_eval" in result.output
    assert not memory.exists("/bucket/lm/manifest.json")  # nothing generated, nothing uploaded
    assert not (tmp_path / "stage" / "manifest.json").exists()


def test_embed_images_makes_an_export_that_loads_from_any_folder(tmp_path, monkeypatch) -> None:
    """`generate --to parquet --embed-images` stores the image bytes, as `export --embed-images`
    does: the Parquet file loads with its images moved anywhere (before, generate could not embed
    and the user ran `export` again)."""
    import shutil

    import datasets

    from veriscene.demo.world import make_world

    scenes_file = tmp_path / "drawn" / "scenes.jsonl"
    write_scenes(make_world(scenes_file.parent, n=3, seed=4), scenes_file)  # scenes with their images
    result = runner.invoke(app, ["generate", str(scenes_file), "--out", str(tmp_path / "run"), "-g", "counting",
                                 "--to", "parquet", "--embed-images"])
    assert result.exit_code == 0, result.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(tmp_path / "run" / "export" / "parquet" / "samples.parquet", elsewhere)
    from PIL import Image

    first_image = tmp_path / "run" / orjson.loads((tmp_path / "run" / "samples.jsonl").read_bytes().split(b"\n")[0])[
        "images"][0]["path"]
    with Image.open(first_image) as image:
        size = image.size
    shutil.rmtree(tmp_path / "drawn" / "images")  # the images the run read are gone
    monkeypatch.chdir(elsewhere)
    rows = datasets.load_dataset("parquet", data_files="samples.parquet", split="train",
                                 cache_dir=str(tmp_path / "cache"))
    samples = (tmp_path / "run" / "samples.jsonl").read_text().splitlines()
    assert len(rows) == len(samples) > 0
    first = rows[0]["images"][0]
    assert first.size == size  # decoded from the bytes the file stores


@pytest.mark.parametrize("args, said", [
    (["--embed-images"], "--embed-images goes with --to FORMAT"),
    (["--to", "llava", "--embed-images"], "--embed-images does not apply to llava"),
])
def test_embed_images_without_a_format_that_stores_bytes_is_refused_before_the_run(args, said, tmp_path,
                                                                                    scenes_file) -> None:
    result = runner.invoke(app, ["generate", str(scenes_file), "--out", str(tmp_path / "run"), "-g", "counting",
                                 *args])
    assert result.exit_code == 2 and said in " ".join(result.output.split())
    assert not (tmp_path / "run" / "manifest.json").exists()
