"""benchmarks/kill_resume.py on an input and options of the user's: a scene file given by
--input, generate options by --args (samples kept as Parquet shards, compared shard by shard),
every start and resume under its own PYTHONHASHSEED."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import write_scenes

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_kill_resume_input_args_hash_seeds(tmp_path: Path) -> None:
    scenes = tmp_path / "mine.jsonl"
    write_scenes(iter_scene_graphs(30, seed=2), scenes)
    done = subprocess.run(
        [sys.executable, str(BENCH / "kill_resume.py"), "--input", str(scenes), "--rounds", "1", "--kills", "1",
         "--workers", "1", "--shard-size", "6", "-g", "object.count.v1,multi.count_total.v1",
         "--args", "--shard-format parquet --per-scene 2", "--hash-seeds"],
        capture_output=True, text=True, timeout=300, cwd=BENCH)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "1 of 1 rounds identical to the uninterrupted run" in done.stdout
    samples = int(done.stdout.split("reference: ")[1].split()[0])
    assert samples > 30  # the counts of a run whose samples stay in its Parquet shards


def test_kill_resume_refuses_input_with_demo_options(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "kill_resume.py"), "--input", str(tmp_path / "x.jsonl"),
                           "--files", "3"], capture_output=True, text=True, timeout=60, cwd=BENCH)
    assert done.returncode == 2 and "--input is read as given" in done.stderr
