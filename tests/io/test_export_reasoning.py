"""`export(..., reasoning=True)` / `veriscene export --reasoning`: rationales before the answers."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from tests.typer_app import invoke

from veriscene.commands.export import register
from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export
from veriscene.io.writers.text import answer_text
from veriscene.rationale import rationale
from veriscene.scene.jsonl import read_scenes


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reasoning_demo")
    run_demo(out, scenes=4, seed=1)
    return out


def _samples(run: Path) -> dict[str, dict]:
    return {s["id"]: s for s in map(orjson.loads, (run / "samples.jsonl").read_bytes().splitlines())}


def test_llava_targets_hold_the_rationale_then_the_plain_target(demo: Path, tmp_path: Path) -> None:
    summary = export(demo, tmp_path / "cot.json", "llava", reasoning=True)
    samples = _samples(demo)
    scenes = {s.image_id: s for s in read_scenes(demo / "scenes.jsonl")}
    rows = json.loads((tmp_path / "cot.json").read_text())
    assert (summary.samples_written, summary.samples_skipped) == (len(samples), 0)
    captions = 0
    for row in rows:
        sample, target = samples[row["id"]], row["conversations"][1]["value"]
        text = rationale(sample, [scenes[i["id"]] for i in sample["images"]])
        captions += sample["meta"]["mode"] == "caption"
        assert target == f"<think>\n{text}\n</think>\n<answer>{answer_text(sample)}</answer>"
    assert captions == 7  # whole-image captions: a think block too, listing their objects
    assert summary.warnings == []


def test_parquet_and_trl_carry_the_same_targets(demo: Path, tmp_path: Path) -> None:
    export(demo, tmp_path / "cot.json", "llava", reasoning=True)
    llava = {r["id"]: r["conversations"][1]["value"] for r in json.loads((tmp_path / "cot.json").read_text())}
    export(demo, tmp_path / "cot.parquet", "parquet", reasoning=True)
    table = pq.read_table(tmp_path / "cot.parquet", columns=["id", "answer_text"]).to_pylist()
    assert {r["id"]: r["answer_text"] for r in table} == llava
    export(demo, tmp_path / "trl.jsonl", "trl", reasoning=True)
    for row in map(orjson.loads, (tmp_path / "trl.jsonl").read_bytes().splitlines()):
        assert row["completion"][0]["content"][0]["text"] == llava[row["sample_id"]]


def test_a_sample_whose_scene_is_missing_is_skipped_and_named(demo: Path, tmp_path: Path) -> None:
    lines = (demo / "scenes.jsonl").read_bytes().splitlines()
    (tmp_path / "three.jsonl").write_bytes(b"\n".join(lines[1:]) + b"\n")  # the first scene left out
    first = orjson.loads(lines[0])["image_id"]
    summary = export(demo, tmp_path / "cot.json", "llava", reasoning=True, scenes=tmp_path / "three.jsonl")
    missing = [s for s in _samples(demo).values() if any(i["id"] == first for i in s["images"])]
    assert missing and summary.samples_skipped == len(missing)
    assert summary.errors[0].startswith(f"sample {missing[0]['id']}: no reasoning, no scene of {first} in the "
                                        f"scene files ({tmp_path / 'three.jsonl'})")


def test_a_sample_whose_scene_is_invalid_is_skipped_with_the_reason(demo: Path, tmp_path: Path) -> None:
    """It was said to be 'not in' the scene file, which holds it (an invalid one)."""
    lines = (demo / "scenes.jsonl").read_bytes().splitlines()
    broken = orjson.loads(lines[1])
    broken["width"] = "wide"
    (tmp_path / "scenes.jsonl").write_bytes(b"\n".join([lines[0], orjson.dumps(broken), *lines[2:]]) + b"\n")
    summary = export(demo, tmp_path / "cot.json", "llava", reasoning=True, scenes=tmp_path / "scenes.jsonl")
    assert summary.samples_skipped > 0
    assert (f"no reasoning, the scene of {broken['image_id']} is not valid: {tmp_path / 'scenes.jsonl'}, line 2, "
            "field 'width': width must be a positive integer, got 'wide'") in summary.errors[0]


@pytest.mark.parametrize("program", [7, None, "describe_scene", ["describe_scene"], [{"op": "describe_scene"}]])
@pytest.mark.parametrize("turns", [1, 3])
def test_a_sample_whose_program_is_malformed_is_skipped_and_named(demo: Path, tmp_path: Path, program: object,
                                                                   turns: int) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "scenes.jsonl").write_bytes((demo / "scenes.jsonl").read_bytes())
    samples = list(_samples(demo).values())
    samples[0]["program"] = program
    (run / "samples.jsonl").write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in samples))
    summary = export(run, tmp_path / "cot.json", "llava", reasoning=True, turns=turns, scenes=run / "scenes.jsonl")
    assert (summary.samples_written, summary.samples_skipped) == (len(samples) - 1, 1)
    assert summary.errors[0].startswith(f"sample {samples[0]['id']}: no reasoning, its program does not run on its ")
    assert "node 0" in summary.errors[0] or "non-empty list of nodes" in summary.errors[0]


def test_formats_without_a_target_and_scenes_alone_are_refused(demo: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reasoning targets are for llava, sharegpt, parquet, hf, trl, not verl"):
        export(demo, tmp_path / "v.parquet", "verl", reasoning=True)
    with pytest.raises(ValueError, match="scenes are read for reasoning targets"):
        export(demo, tmp_path / "l.json", "llava", scenes=demo / "scenes.jsonl")
    assert not (tmp_path / "v.parquet").exists() and not (tmp_path / "l.json").exists()


def test_a_samples_file_without_its_manifest_needs_scenes(demo: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "samples.jsonl").write_bytes((demo / "samples.jsonl").read_bytes())
    with pytest.raises(ValueError, match="reasoning targets are computed from the run's scenes: .*with scenes="):
        export(alone / "samples.jsonl", tmp_path / "l.json", "llava", reasoning=True)
    refused = invoke(register, "export", str(alone / "samples.jsonl"), "--to", "llava", "--out",
                     str(tmp_path / "l.json"), "--reasoning")
    assert refused.exit_code == 1 and "give the scene file with --scenes FILE" in refused.output, refused.output
    summary = export(alone / "samples.jsonl", tmp_path / "l.json", "llava", reasoning=True,
                     scenes=demo / "scenes.jsonl")
    assert summary.samples_skipped == 0


def test_the_cli_takes_reasoning_and_refuses_what_has_no_target(demo: Path, tmp_path: Path) -> None:
    done = invoke(register, "export", str(demo), "--to", "sharegpt", "--out", str(tmp_path / "sg"), "--reasoning")
    assert done.exit_code == 0, done.output
    rows = json.loads((tmp_path / "sg" / "sharegpt.json").read_text())
    targets = [m["content"] for r in rows for m in r["messages"] if m["role"] == "assistant"]
    assert all(t.startswith("<think>\n") for t in targets)  # captions too
    refused = invoke(register, "export", str(demo), "--to", "verl", "--out", str(tmp_path / "v.parquet"), "--reasoning")
    assert refused.exit_code == 2 and "not verl" in refused.output
    alone = invoke(register, "export", str(demo), "--to", "llava", "--out", str(tmp_path / "l.json"),
                   "--scenes", str(demo / "scenes.jsonl"))
    assert alone.exit_code == 2 and "give --reasoning too" in alone.output
