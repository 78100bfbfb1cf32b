import orjson
import pytest

from veriscene import generate, verify
from veriscene.demo.world import iter_scene_graphs
from veriscene.errors import SceneValidationError
from veriscene.scene import write_scenes


@pytest.fixture
def scenes_file(tmp_path):
    path = tmp_path / "in" / "scenes.jsonl"
    path.parent.mkdir()
    write_scenes(iter_scene_graphs(15, seed=1), path)
    return path


def test_generate_writes_run_folder(tmp_path, scenes_file) -> None:
    out = tmp_path / "run"
    summary = generate(scenes_file, out, seed=3)
    assert summary.scenes == 15 and summary.samples > 200
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["config"]["seed"] == 3 and manifest["counts"]["samples"] == summary.samples
    assert manifest["config"]["scenes"]["path"] == "../in/scenes.jsonl" and len(manifest["config"]["scenes"]["sha256"]) == 64
    first = orjson.loads((out / "samples.jsonl").read_bytes().splitlines()[0])
    assert first["images"][0]["path"] == "../in/images/demo-000000.png"  # relative to the run folder
    assert verify(out).ok
    # the run's counts once, not per shard; a resumed finished run reports the same summary
    assert manifest["summary"]["per_task"] == dict(summary.per_task)
    assert all("counts" not in shard for shard in manifest["shards"])
    again = generate(scenes_file, out, seed=3, resume=True)
    assert again.per_task == summary.per_task and again.answers == summary.answers


def test_generators_and_mode_filters(tmp_path, scenes_file) -> None:
    summary = generate(scenes_file, tmp_path / "r", generators="counting", mode="qa")
    assert set(summary.per_task) == {"object.count.v1", "counting.compare.v1"}
    assert set(summary.per_mode) == {"qa"}


def test_bad_records_are_reported_and_counted(tmp_path, scenes_file) -> None:
    lines = scenes_file.read_bytes().splitlines()
    lines.insert(3, b'{"image_id": "x", "width": 10, "height": 10, "objects": [{"name": "a", "box": [0, 0, 50, 5]}]}')
    lines.insert(5, b"{truncated")
    bad = tmp_path / "in" / "bad.jsonl"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    summary = generate(bad, tmp_path / "r")
    assert summary.scenes == 15 and summary.rejects["rejected"] == 2
    rejects = [orjson.loads(l) for l in (tmp_path / "r" / "rejects.jsonl").read_bytes().splitlines()]
    assert [(r["record"], r["field"]) for r in rejects] == [(4, "objects[0].box"), (6, None)]
    with pytest.raises(SceneValidationError, match="line 4"):
        generate(bad, tmp_path / "strict", strict=True)


def test_verify_detects_tampered_answer_and_choice(tmp_path, scenes_file) -> None:
    out = tmp_path / "run"
    generate(scenes_file, out)
    records = [orjson.loads(l) for l in (out / "samples.jsonl").read_bytes().splitlines()]
    count = next(r for r in records if r["task"] == "object.count.v1" and r["meta"]["mode"] == "qa")
    count["answer"] += 1
    mc = next(r for r in records if r["choices"] and r["task"] == "attribute.query.v1")
    mc["meta"]["answer_letter"] = "A" if mc["meta"]["answer_letter"] != "A" else "B"
    (out / "samples.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records) + b"not json\n")
    report = verify(out)
    assert not report.ok and report.mismatches == 2 and report.unreadable == 1
    mismatch = next(p for p in report.problems if p.kind == "mismatch")
    assert mismatch.sample_id == count["id"] and mismatch.stored == count["answer"]
    assert mismatch.computed == count["answer"] - 1


def test_verify_missing_inputs(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="manifest"):
        verify(tmp_path)


def test_mixture_budget_and_weights(tmp_path, scenes_file) -> None:
    mixture = tmp_path / "mix.yaml"
    mixture.write_text("budget: 6\nmodes: [qa]\ndefault_weight: 0\ngenerators:\n  object.count.v1: 3\n  object.exists.v1: 1\n")
    summary = generate(scenes_file, tmp_path / "r", mixture=mixture)
    assert set(summary.per_task) == {"object.count.v1", "object.exists.v1"}
    assert summary.per_task["object.count.v1"] > summary.per_task["object.exists.v1"]
    per_scene = {}
    for line in (tmp_path / "r" / "samples.jsonl").read_bytes().splitlines():
        image = orjson.loads(line)["images"][0]["id"]
        per_scene[image] = per_scene.get(image, 0) + 1
    assert max(per_scene.values()) <= 6 and set(summary.per_mode) == {"qa"}
    manifest = orjson.loads((tmp_path / "r" / "manifest.json").read_bytes())
    assert manifest["config"]["mixture"]["budget"] == 6
    with pytest.raises(ValueError, match="either a mixture or --generators"):
        generate(scenes_file, tmp_path / "r2", mixture=mixture, generators="object.*")
