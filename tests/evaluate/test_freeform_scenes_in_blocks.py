"""`eval --freeform` reads the scenes of a block of descriptions at a time (`freeform.located`):
which scene an image id is scored against (the first valid one; a line that is no scene skipped and
counted, a later scene of the id reported as a repeat) is as it was when every described scene was
held (the reference digests and summaries below were taken from that code, 0.22.x, at ee31c48),
and memory holds a block's scenes, not every described one."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.evaluate.conftest import samples
from tests.evaluate.test_inputs_index import traced_peak
from tests.evaluate.test_scored_in_blocks import _evaluated, reasoned_replies  # noqa: F401  (a fixture)
from veriscene.evaluate import evaluate, replied
from veriscene.evaluate.freeform import api as freeform_api
from veriscene.evaluate.freeform import located as located_module
from veriscene.evaluate.freeform.api import score_described
from veriscene.evaluate.freeform.located import LocatedScenes
from veriscene.evaluate.freeform.scene_map import load_scene_map
from veriscene.evaluate.replied import RepliedRecords
from veriscene.scene.jsonl import BOM, dumps_scene, read_scenes

# sha256 of freeform.jsonl, the summary's "freeform" and "repeated_scenes" (files named A and B),
# as ee31c48 wrote them for the scenes `_tricky_scenes` gives
# (the summary's "repeated_scenes" names the image ids given twice, valid or not; "freeform"'s
# count of them the scenes left out of the valid ones: the first scene's invalid line is none);
# freeform.jsonl's and the new keys as of helper-245's combined score (its lines gain "combined")
REFERENCE: dict[str, Any] = {
    "freeform.jsonl": "91249139284ea5059c5cb7671aa33b3d864e06383f0dcf749b23856d4adede3a",
    "freeform": {"extractor": "rules", "hallucinations": 12, "helpfulness": 0.6947368421052632,
                 "helpfulness_ci": [0.3998684210526317, 0.9842105263157894], "matcher": "lexical", "n": 10,
                 "no_claims": 0, "rejected": 0, "rejected_scene_examples": [
                     "A, line 1, field 'objects': missing required field 'objects'",
                     "A, line 3, field 'objects': missing required field 'objects'"],
                 "rejected_scenes": 2, "repeated_scenes": 3, "truthfulness": 0.7, "truthfulness_ci": [0.4, 1.0],
                 "truthfulness_n": 10, "combined": 0.6972972972972973,
                 "combined_ci": [0.39993243243243254, 0.9], "unscorable": 7},
    "repeated_scenes": [{"image_id": "demo-000000", "used": "A", "ignored": "B"},
                        {"image_id": "demo-000001", "used": "A", "ignored": "B"},
                        {"image_id": "demo-000003", "used": "A", "ignored": "B"},
                        {"image_id": "demo-000004", "used": "B", "ignored": "B"}],
}


def _broken(line: bytes) -> bytes:
    """A scene line without its objects: no valid scene."""
    record = orjson.loads(line)
    del record["objects"]
    return orjson.dumps(record)


def _renamed(line: bytes) -> bytes:
    """Another scene of the same image: every object a zebra (scored against it, a description
    would score otherwise)."""
    record = orjson.loads(line)
    record["objects"] = [{**obj, "name": "zebra"} for obj in record["objects"]]
    return orjson.dumps(record)


def _tricky_scenes(demo_run: Path, folder: Path) -> list[Path]:
    """The run's six scenes in two files, the second gzipped: the first scene's first line no
    scene (its valid line in the second file is scored), the second scene given again with other
    objects in the second file (a repeat: the first is scored), the third's only line no scene
    (its descriptions unscorable), the fourth and fifth given twice alike (across the files, and
    within the second)."""
    lines = (demo_run / "scenes.jsonl").read_bytes().splitlines()
    first = folder / "a.jsonl"
    first.write_bytes(b"\n".join([_broken(lines[0]), lines[1], _broken(lines[2]), lines[3]]) + b"\n")
    second = folder / "b.jsonl.gz"
    second.write_bytes(gzip.compress(b"\n".join([lines[4], lines[0], _renamed(lines[1]), lines[5], lines[3],
                                                 lines[4]]) + b"\n", mtime=0))
    return [first, second]


def _named(value: Any, files: list[Path]) -> Any:
    """`value` with the paths of `files` written A and B."""
    text = orjson.dumps(value)
    for path, name in zip(files, (b"A", b"B")):
        text = text.replace(str(path).encode(), name)
    return orjson.loads(text)


@pytest.mark.parametrize("block", [1, 3, 10**9])
def test_freeform_scores_of_repeated_and_invalid_scenes_are_those_of_every_scene_held(
        demo_run: Path, reasoned_replies: Path, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(replied, "BLOCK", block)
    files = _tricky_scenes(demo_run, tmp_path)
    out = tmp_path / "out"
    summary = evaluate(demo_run, f"replay:{reasoned_replies}", out, freeform="lexical", cache=False, reports=False,
                       scenes=files).summary
    assert hashlib.sha256((out / "freeform.jsonl").read_bytes()).hexdigest() == REFERENCE["freeform.jsonl"]
    by_task = summary["freeform"].pop("by_task")  # (added since: the scores per generator)
    assert sum(v["n"] for v in by_task.values()) == summary["freeform"]["n"]
    assert _named(summary["freeform"], files) == REFERENCE["freeform"]
    assert _named(summary["repeated_scenes"], files) == REFERENCE["repeated_scenes"]


def _tiled(demo_run: Path, folder: Path, copies: int,
           tasks: tuple[str, ...] | None = None) -> tuple[Path, Path, list[tuple[str, str]]]:
    """`copies` of the demo run's scenes, each copy's image ids its own, and of its descriptions
    on them (those of `tasks`, or all): (samples file, scene file, (sample id, reply: its stored
    text) of each)."""
    scenes = [orjson.loads(line) for line in (demo_run / "scenes.jsonl").read_bytes().splitlines()]
    texts = [s for s in samples(demo_run) if s["answer_type"] == "text" and not s.get("choices")
             and (tasks is None or s["task"] in tasks)]
    folder.mkdir()
    scene_file, path = folder / "scenes.jsonl", folder / "samples.jsonl"
    scene_file.write_bytes(b"".join(orjson.dumps({**scene, "image_id": f"{scene['image_id']}-{k}"}) + b"\n"
                                    for k in range(copies) for scene in scenes))
    copied = [{**s, "id": f"{s['id']}-{k}", "images": [{**image, "id": f"{image['id']}-{k}"} for image in s["images"]]}
              for k in range(copies) for s in texts]
    path.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in copied))
    (folder / "images").symlink_to(demo_run / "images")
    return path, scene_file, [(s["id"], s["answer"]) for s in copied]


def test_freeform_scoring_holds_a_block_of_scenes_not_every_described_one(demo_run: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Peak traced memory of free-form scoring of the descriptions of hundreds of scenes stays
    well below what those scenes take parsed (before, every described image's scene was held:
    more than that), so it no longer grows with the run; the scores are those of the scenes."""
    # 600 scenes, each described by its region description and by comparisons of it with other
    # scenes of its copy (12 descriptions a copy); the demo's long scene-graph captions are left
    # out: they held no scene more (the same scenes, each copy's own, are described) and were
    # two thirds of the scoring (traced: 17.0 -> 7.3 s CPU; peak 0.29 -> 0.23 of `every`)
    path, scene_file, replies = _tiled(demo_run, tmp_path / "big", copies=100,
                                       tasks=("region.describe.v1", "multi.compare_caption.v1"))
    index, positions, results = _evaluated(path, replies, tmp_path / "out")
    # blocks and the kept scenes scaled down with the copies (64 and 128 at 200 copies): the same
    # share of the scenes held, half the scoring; blocks of 21 of the 12 descriptions a copy
    # describe the scenes of about 1.75 copies, as 32 of the 18 a copy did with every caption
    monkeypatch.setattr(replied, "BLOCK", 21)
    monkeypatch.setattr(located_module, "LRU", 64)
    monkeypatch.setattr(freeform_api, "bootstrap_ci", lambda values, **kw: (0.0, 1.0))
    every = traced_peak(lambda: list(read_scenes(scene_file)))
    rows = tmp_path / "freeform.jsonl"
    summaries = []

    def score() -> None:
        image_ids: set[str] = set()
        described = RepliedRecords(results, index, positions, lambda r: r["status"] == "not_scored",
                                   each=lambda r: image_ids.update(r["image_ids"]))
        summaries.append(score_described(described, image_ids, index.path, scenes=scene_file, matcher="lexical",
                                         out=rows))

    peak = traced_peak(score)
    scored = [orjson.loads(line) for line in rows.read_bytes().splitlines()]
    assert len(scored) == len(replies) == 100 * 12 and summaries[0]["unscorable"] == 0
    # each copy's descriptions score as the first copy's (the scenes are the same but for their ids)
    first = {row["id"].rsplit("-", 1)[0]: row["helpfulness"] for row in scored if row["id"].endswith("-0")}
    assert all(row["helpfulness"] == first[row["id"].rsplit("-", 1)[0]] for row in scored)
    # (about a quarter: the last `located.LRU` scenes parsed, and each scene's id twice; before,
    # about 1.1 times `every`)
    assert peak < every / 3, (peak, every)


@pytest.mark.parametrize("lru", [1, 128])
def test_located_scenes_are_the_scenes_load_scene_map_keeps(demo_run: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, lru: int) -> None:
    """Every scene `LocatedScenes` finds (a plain file and a gzipped one, a BOM before the first
    line) is the one `load_scene_map` keeps; its repeats and rejected lines are the same; ids
    outside `keep` are found only when searched for, by one more pass."""
    monkeypatch.setattr(located_module, "LRU", lru)
    files = _tricky_scenes(demo_run, tmp_path)
    broken, valid, *rest = files[0].read_bytes().splitlines()
    files[0].write_bytes(b"\n".join([BOM + valid, broken, *rest]) + b"\n")  # (the BOM before a scene kept)
    rejected: list[str] = []
    held, repeats = load_scene_map(files, rejected)
    ids = [f"demo-00000{k}" for k in range(6)]
    bad: list[str] = []
    located = LocatedScenes(files, set(ids[:4]), bad)
    try:
        assert bad == rejected and len(bad) == 2
        assert located.repeated == repeats and len(repeats) == 3
        for _ in range(2):  # (the second time, the scenes kept parsed)
            found = located.find([*ids, "nowhere"])
            assert sorted(found) == ["demo-000000", "demo-000001", "demo-000003"]
            assert all(dumps_scene(scene) == dumps_scene(held[i]) for i, scene in found.items())
        found = located.find(ids, search=True)
        assert sorted(found) == sorted(held) == [i for i in ids if i != "demo-000002"]
        assert all(dumps_scene(scene) == dumps_scene(held[i]) for i, scene in found.items())
        assert "zebra" not in list(found["demo-000001"].names)  # (its repeat, all zebras, is left out)
    finally:
        located.close()
