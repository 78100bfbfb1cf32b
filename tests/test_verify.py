"""verify: the same report on one process, several, or Ray, whatever the chunking."""

import gzip

import orjson
import pytest
from typer.testing import CliRunner

from veriscene import generate, verify
from veriscene.cli import app
from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import write_scenes


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    """A run of single- and multi-image samples with every kind of problem in it, its scenes gzipped."""
    folder = tmp_path_factory.mktemp("tampered")
    scenes = folder / "in" / "scenes.jsonl"
    scenes.parent.mkdir()
    write_scenes(iter_scene_graphs(12, seed=3), scenes)
    packed = scenes.with_suffix(".jsonl.gz")
    packed.write_bytes(gzip.compress(scenes.read_bytes()))
    out = folder / "run"
    generate(packed, out, seed=2, generators="counting,attribute.*,multi.*")
    records = [orjson.loads(line) for line in (out / "samples.jsonl").read_bytes().splitlines()]
    assert any(len(r["images"]) > 1 for r in records)
    count = next(r for r in records if r["task"] == "object.count.v1" and r["meta"]["mode"] == "qa")
    count["answer"] += 1
    mc = next(r for r in records if r["choices"] and r["task"] == "attribute.query.v1")
    mc["meta"]["answer_letter"] = "A" if mc["meta"]["answer_letter"] != "A" else "B"
    multi = [r for r in records if len(r["images"]) > 1]
    multi[len(multi) // 2]["images"][1]["id"] = "no-such-image"
    lines = [orjson.dumps(r) for r in records]
    lines.insert(len(lines) // 3, b"not json")
    lines.insert(len(lines) // 2, b'{"images": "none"}')
    (out / "samples.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return out, len(lines)


def _same(a, b) -> None:
    assert (a.samples, a.verified, a.per_task) == (b.samples, b.verified, b.per_task)
    assert a.problems == b.problems  # the same problems, in line order


def test_workers_give_the_report_of_one_process(tampered) -> None:
    out, lines = tampered
    one = verify(out)
    assert one.samples == lines and one.mismatches == 2
    assert sorted({p.kind for p in one.problems}) == ["choice_mismatch", "mismatch", "missing_scene", "unreadable"]
    assert [p.line for p in one.problems] == sorted(p.line for p in one.problems)
    done = []
    _same(verify(out, workers=2, chunk_size=7, progress=done.append), one)
    assert sum(done) == lines and len(done) == -(-lines // 7)
    _same(verify(out, workers=3, chunk_size=1000), one)


def test_ray_backend_gives_the_same_report(tampered) -> None:
    out, _ = tampered
    _same(verify(out, workers=2, backend="ray", chunk_size=50), verify(out))


def test_bad_options_are_refused(tampered) -> None:
    out, _ = tampered
    with pytest.raises(ValueError, match="workers must be at least 1"):
        verify(out, workers=0)
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        verify(out, workers=2, chunk_size=0)


def test_the_command_takes_workers(tampered) -> None:
    out, _ = tampered
    result = CliRunner().invoke(app, ["verify", str(out), "--workers", "2"])
    assert result.exit_code == 1  # the tampered samples
    assert "mismatch" in result.output


def test_each_scene_is_parsed_once(tampered, monkeypatch) -> None:
    """Multi-image samples name scenes of the run's pool again and again: parsed scenes are kept
    (by their line, so a scene changed is parsed anew)."""
    import importlib

    module = importlib.import_module("veriscene.verify")  # the package exports the function
    parsed = []
    real = module._parse
    monkeypatch.setattr(module, "_parse", lambda line: parsed.append(line) or real(line))
    out, _ = tampered
    verify(out)
    assert len(parsed) == len(set(parsed)) == 12  # the run's 12 scenes, once each
    cache = module.ParsedScenes(size=2)
    first, second = parsed[0], parsed[1]
    image_id = orjson.loads(first)["image_id"]
    assert cache.find(image_id, [first]).image_id == image_id
    changed = orjson.loads(first)
    changed["objects"][0]["name"] = "zebra"
    assert cache.find(image_id, [orjson.dumps(changed)]).objects()[0].name == "zebra"
    assert cache.find("other", [second]) is None  # another image's line
