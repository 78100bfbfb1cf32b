"""`eval --process` and `eval --freeform` read their replies back a block at a time
(`evaluate.replied`): process.jsonl, freeform.jsonl and their summaries are, for blocks of any
size, those the scorers wrote when they held every reply (the reference digests and summaries
below were taken from that code, 0.21.0, on this fixture), and memory holds a block of replies
and samples, not all of them."""

from __future__ import annotations

import hashlib
import math
import statistics
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.evaluate.conftest import planned_reply, samples
from tests.evaluate.test_inputs_index import many_samples, traced_peak
from tests.evaluate.test_reasoning_replies import _targets
from veriscene.evaluate import evaluate, replied
from veriscene.evaluate.freeform import api as freeform_api
from veriscene.evaluate.freeform.api import score_described
from veriscene.evaluate.inputs import SampleIndex, index_samples, load_samples
from veriscene.evaluate.process import ExactSum, is_stepped, score_stepped
from veriscene.evaluate.replied import RepliedRecords

# sha256 of (process.jsonl, freeform.jsonl), and the summary's "process" and "freeform", as 0.21.0
# wrote them: every scene given (None), or the scenes without the second and with a line that is
# no scene ("some"). freeform.jsonl's digests as of helper-180's free-form fixes (session 62: "exactly one
# square" is now a count claim; the summaries are unchanged); process.jsonl's as of helper-178's
# relation.subject options (session 62: the demo's relation.subject samples, and so their ids, changed;
# the summaries are unchanged, and blocks of 1, 3 and all agree); freeform.jsonl's and "freeform" as of
# helper-245's (session 69: the combined score; a comparison caption's helpfulness counts the names of
# each image, said of it: the replies with the comparisons' gold captions score 1.0, not 0.16)
REFERENCE: dict[str | None, dict[str, Any]] = {
    None: {
        "process.jsonl": "fc823317408928af5c9a2215db0d312dc03efead0467251d6fb5ed36317c5229",
        "freeform.jsonl": "465d03b3290ecebf464d686c1665ed691984049e5fa4f9add7fe063776ede2fa",
        "freeform": {"extractor": "rules", "hallucinations": 16, "helpfulness": 0.7573057464320774,
                     "helpfulness_ci": [0.5294117647058824, 0.934984520123839], "matcher": "lexical", "n": 17,
                     "no_claims": 0, "rejected": 0, "truthfulness": 0.7647058823529411,
                     "truthfulness_ci": [0.5294117647058824, 0.9411764705882353], "truthfulness_n": 17,
                     "combined": 0.7608822523193335, "combined_ci": [0.5294117647058824, 0.9389426656738644],
                     "unscorable": 0},
        "process": {"by_family": {"attribute": {"samples": 23, "score": 0.391304347826087},
                                  "counting": {"samples": 7, "score": 0.42857142857142855},
                                  "depth": {"samples": 7, "score": 0.42857142857142855},
                                  "grounding": {"samples": 17, "score": 0.6666666666666667},
                                  "multi_aggregate": {"samples": 69, "score": 0.4106280193236715},
                                  "multi_compare": {"samples": 49, "score": 0.3877551020408163},
                                  "multi_select": {"samples": 41, "score": 0.3902439024390244},
                                  "object": {"samples": 8, "score": 0.625},
                                  "region": {"samples": 6, "score": 0.16666666666666666},
                                  "relation": {"samples": 36, "score": 0.4351851851851852},
                                  "scene_graph": {"samples": 10, "score": 0.5},
                                  "segmentation": {"samples": 30, "score": 0.4},
                                  "size": {"samples": 12, "score": 0.3333333333333333},
                                  "spatial": {"samples": 20, "score": 0.45}},
                    "perfect": 136, "precision": 0.982089552238806, "recall": 0.417910447761194, "samples": 335,
                    "score": 0.42189054726368164, "unscorable": 0, "without_reasoning_block": 204},
    },
    "some": {
        "process.jsonl": "0039879648a9fc051d0e7e98ad6dd0b99450af20bae5bd851d18740071b0d547",
        "freeform.jsonl": "2701b3194156edfdb3af50b4d6ee96582fa69f5fb20f638b86b5e847321c21bf",
        "freeform": {"extractor": "rules", "hallucinations": 16, "helpfulness": 0.7090592334494773,
                     "helpfulness_ci": [0.4895470383275261, 0.9233449477351916], "matcher": "lexical", "n": 14,
                     "truthfulness_n": 14, "combined": 0.7115732368896925,
                     "combined_ci": [0.4917947558770344, 0.9258589511754068],
                     "no_claims": 0, "rejected": 0,
                     "rejected_scene_examples": ["SCENES, line 6, field 'objects': missing required field 'objects'"],
                     "rejected_scenes": 1, "truthfulness": 0.7142857142857143,
                     "truthfulness_ci": [0.5, 0.9285714285714286], "unscorable": 3},
        "process": {"by_family": {"attribute": {"samples": 19, "score": 0.3684210526315789},
                                  "counting": {"samples": 6, "score": 0.5},
                                  "depth": {"samples": 7, "score": 0.42857142857142855},
                                  "grounding": {"samples": 13, "score": 0.6666666666666666},
                                  "multi_aggregate": {"samples": 35, "score": 0.4},
                                  "multi_compare": {"samples": 17, "score": 0.5294117647058824},
                                  "multi_select": {"samples": 22, "score": 0.4696969696969697},
                                  "object": {"samples": 7, "score": 0.5714285714285714},
                                  "region": {"samples": 5, "score": 0.2},
                                  "relation": {"samples": 29, "score": 0.43678160919540227},
                                  "scene_graph": {"samples": 8, "score": 0.5},
                                  "segmentation": {"samples": 25, "score": 0.4},
                                  "size": {"samples": 10, "score": 0.3},
                                  "spatial": {"samples": 17, "score": 0.47058823529411764}},
                    "perfect": 95, "precision": 0.9863636363636363, "recall": 0.4409090909090909, "samples": 220,
                    "score": 0.44393939393939397, "unscorable": 127, "without_reasoning_block": 129},
    },
}


@pytest.fixture(scope="module")
def reasoned_replies(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A replay: every third sample's reply its exported reasoning target (a think block stating
    the steps), the others planned replies (right, wrong, unparsable), every 9th sample none."""
    folder = tmp_path_factory.mktemp("reasoned")
    targets = _targets(demo_run, folder / "trl.jsonl")
    path = folder / "replies.jsonl"
    path.write_bytes(b"".join(
        orjson.dumps({"id": s["id"], "reply": targets[s["id"]] if k % 3 == 0 else planned_reply(s)}) + b"\n"
        for k, s in enumerate(samples(demo_run)) if k % 9 != 4))
    return path


def _some_scenes(demo_run: Path, path: Path) -> Path:
    """The run's scenes without the second, and a line that is no scene at the end."""
    lines = (demo_run / "scenes.jsonl").read_bytes().splitlines()
    path.write_bytes(b"\n".join([lines[0], *lines[2:], b'{"image_id": "broken"}']) + b"\n")
    return path


@pytest.mark.parametrize("scenes", [None, "some"])
@pytest.mark.parametrize("block", [1, 3, 10**9])
def test_process_and_freeform_scores_in_blocks_are_those_of_every_reply_held(
        demo_run: Path, reasoned_replies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        block: int, scenes: str | None) -> None:
    monkeypatch.setattr(replied, "BLOCK", block)
    given_scenes = _some_scenes(demo_run, tmp_path / "some.jsonl") if scenes else None
    out = tmp_path / "out"
    summary = evaluate(demo_run, f"replay:{reasoned_replies}", out, process=True, freeform="lexical", cache=False,
                       reports=False, scenes=given_scenes).summary
    reference = REFERENCE[scenes]
    for name in ("process.jsonl", "freeform.jsonl"):
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == reference[name], name
    freeform = orjson.loads(orjson.dumps(summary["freeform"]).replace(str(given_scenes).encode(), b"SCENES"))
    by_task = freeform.pop("by_task")  # (added since: the scores per generator)
    assert sum(v["n"] for v in by_task.values()) == freeform["n"]
    assert freeform == reference["freeform"]
    assert summary["process"] == reference["process"]


def _evaluated(path: Path, replies: list[tuple[str, str]], out: Path) -> tuple[SampleIndex, Any, Path]:
    """An evaluation of `path` replaying `replies` (id, reply), scored by program only: (the
    samples' index, the positions chosen, the results file) as `evaluate` has them once it ends."""
    replay = out.with_name("replies.jsonl")
    replay.write_bytes(b"".join(orjson.dumps({"id": sid, "reply": reply}) + b"\n" for sid, reply in replies))
    evaluate(path, f"replay:{replay}", out, freeform="off", reports=False, cache=False)
    index = index_samples(path)
    return index, index.choose(), out / "results.jsonl"


def test_process_scoring_holds_a_block_of_replies_not_all(demo_run: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Peak traced memory of the process scoring of thousands of replies stays well below what
    their samples take parsed (before, every multi-step reply, its sample and row were held).
    8 copies of the demo run's samples (3,064 rows scored) in blocks of 32: peak 0.19 of `every`
    when the test is the first of its process (12 copies in blocks of 256 gave 0.23), in 2/3 of
    the time (the scoring under tracemalloc is most of it)."""
    path = tmp_path / "big" / "samples.jsonl"
    n = many_samples(demo_run, path, copies=8)
    index, positions, results = _evaluated(path, [(orjson.loads(line)["id"], "2")
                                                  for line in path.read_bytes().splitlines()], tmp_path / "out")
    monkeypatch.setattr(replied, "BLOCK", 32)
    every = traced_peak(lambda: load_samples(path))
    rows = tmp_path / "process.jsonl"
    peak = traced_peak(lambda: score_stepped(RepliedRecords(results, index, positions, is_stepped), index.path,
                                             scenes=demo_run / "scenes.jsonl", out=rows))
    assert len(rows.read_bytes().splitlines()) > n / 2
    assert peak < every / 3, (peak, every)  # (before: about 1.3 times `every`)


def test_freeform_scoring_holds_a_block_of_descriptions_not_all(demo_run: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for free-form scoring of hundreds of descriptions (before, every description and
    its sample were held); the confidence intervals' resampling (bounded chunks of 2 M draws: 32
    MB, whatever the count) left out. 50 copies of the demo's 18 descriptions in blocks of 32:
    28 blocks, as 100 copies in blocks of 64 were (and 300 in blocks of 256 were 21); the peak
    0.34 times `every` (0.27 at 100 copies, 0.29 at 300: a part of it does not grow with the
    count; every description held is 4.2 times `every`), in half the time of 100 copies."""
    texts = [s for s in samples(demo_run) if s["answer_type"] == "text" and not s.get("choices")]
    path = tmp_path / "big" / "samples.jsonl"
    path.parent.mkdir()
    copies = [{**s, "id": f"{s['id']}-{k}"} for k in range(50) for s in texts]
    path.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in copies))
    (path.parent / "images").symlink_to(demo_run / "images")
    index, positions, results = _evaluated(path, [(s["id"], s["answer"]) for s in copies], tmp_path / "out")
    del copies
    monkeypatch.setattr(replied, "BLOCK", 32)
    monkeypatch.setattr(freeform_api, "bootstrap_ci", lambda values, **kw: (0.0, 1.0))
    every = traced_peak(lambda: load_samples(path))
    rows = tmp_path / "freeform.jsonl"
    image_ids: set[str] = set()

    def score() -> None:
        described = RepliedRecords(results, index, positions, lambda r: r["status"] == "not_scored",
                                   each=lambda r: image_ids.update(r["image_ids"]))
        score_described(described, image_ids, index.path, scenes=demo_run / "scenes.jsonl", matcher="lexical",
                        out=rows)

    peak = traced_peak(score)
    assert len(rows.read_bytes().splitlines()) == 50 * len(texts) > 25 * 32  # descriptions, over 25 blocks
    assert peak < every, (peak, every)  # (before: about 4 times `every`, twice that at twice the copies)


@given(st.lists(st.one_of(st.floats(min_value=0, max_value=1),
                          st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
                          st.sampled_from([0.1, 1e-300, 1.0, 1e16, -1e16, 5e-324])), max_size=200))
def test_exact_sum_is_fsum_of_every_float_added(values: list[float]) -> None:
    total = ExactSum()
    for v in values:
        total.add(v)
    assert total.value() == math.fsum(values)
    if values:
        assert total.value() / len(values) == statistics.fmean(values)
