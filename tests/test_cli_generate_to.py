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
