"""A run into an `--out` folder whose selection leaves out samples the earlier run there replied to
is refused before any request: its results.jsonl, rewritten with this run's samples, dropped those
replies, said nowhere (with --no-cache, lost; a later run asked them again). A wider selection
goes on from them (helper-211)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.evaluate import evaluate

from .conftest import planned_reply, samples


def _replies(run: Path, path: Path) -> str:
    path.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": planned_reply(s)}) + b"\n"
                              for s in samples(run)))
    return f"replay:{path}"


def _ids(out: Path) -> list[str]:
    return [orjson.loads(line)["id"] for line in (out / "results.jsonl").read_bytes().splitlines()]


@pytest.mark.parametrize(("first", "then", "left_out"), [
    ({"limit": 10}, {"limit": 4}, 6),
    ({"limit": 10, "seed": 1}, {"limit": 10, "seed": 2}, None),  # (how many of the draw differ: counted below)
    ({}, {"families": "counting"}, None),
])
def test_a_narrower_selection_is_refused_out_as_it_was(demo_run: Path, tmp_path: Path, first: dict[str, object],
                                                       then: dict[str, object], left_out: int | None) -> None:
    model = _replies(demo_run, tmp_path / "replies.jsonl")
    out = tmp_path / "out"
    evaluate(demo_run, model, out, freeform="off", cache=False, reports=False, **first)  # type: ignore[arg-type]
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".veriscene-lock"}
    kept = set(_ids(out))
    with pytest.raises(ValueError) as caught:
        evaluate(demo_run, model, out, freeform="off", cache=False, reports=False, **then)  # type: ignore[arg-type]
    said = str(caught.value)
    n = int(said.split("holds replies to ")[1].split(" samples")[0])
    assert n == (left_out if left_out is not None else n) and 0 < n <= len(kept)
    assert said.startswith(f"{out} holds replies to {n} samples this run would drop from its results.jsonl ({n} left "
                           "out by this run's limit / families / seed; e.g. "), said
    assert said.split("e.g. ")[1].split(")")[0] in kept
    assert said.endswith("evaluate them too (the earlier run's selection, or a wider one), or use another out= "
                         "folder"), said  # (no cache file to name: cache=False)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != ".veriscene-lock"} == before


def test_a_wider_selection_goes_on_and_the_cache_is_named(demo_run: Path, tmp_path: Path) -> None:
    model = _replies(demo_run, tmp_path / "replies.jsonl")
    out = tmp_path / "out"
    evaluate(demo_run, model, out, freeform="off", limit=4, reports=False)
    wider = evaluate(demo_run, model, out, freeform="off", limit=9, reports=False)
    assert (wider.counts["resumed"], wider.counts["selected"]) == (4, 9)
    assert _ids(out) == [s["id"] for s in samples(demo_run)[:9]]
    with pytest.raises(ValueError, match=rf"or use another out= folder \(with its request cache {out / 'requests.sqlite'} "
                                         r"there, the replies that cache holds are not asked again\)$"):
        evaluate(demo_run, model, out, freeform="off", limit=3, reports=False)


def test_samples_made_again_with_new_ids_are_said_so(demo_run: Path, other_demo_run: Path, tmp_path: Path) -> None:
    # the samples file at the same path made again: the earlier replies answer ids it no longer has
    run = tmp_path / "run"
    run.mkdir()
    (run / "samples.jsonl").write_bytes((demo_run / "samples.jsonl").read_bytes())
    (run / "images").symlink_to(demo_run / "images")
    replies = tmp_path / "replies.jsonl"
    both = {s["id"]: planned_reply(s) for s in samples(other_demo_run) + samples(demo_run)}  # (4 ids in both)
    replies.write_bytes(b"".join(orjson.dumps({"id": k, "reply": v}) + b"\n" for k, v in both.items()))
    out = tmp_path / "out"
    evaluate(run, f"replay:{replies}", out, freeform="off", cache=False, reports=False)
    (run / "samples.jsonl").write_bytes((other_demo_run / "samples.jsonl").read_bytes())
    new_ids = {s["id"] for s in samples(other_demo_run)}
    gone = len({s["id"] for s in samples(demo_run)} - new_ids)
    with pytest.raises(ValueError, match=rf"holds replies to {gone} samples this run would drop from its "
                                         rf"results.jsonl \({gone} no longer in {run}; e\.g\. "):
        evaluate(run, f"replay:{replies}", out, freeform="off", cache=False, reports=False)


def test_refused_before_the_model_loads(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    evaluate(demo_run, _replies(demo_run, tmp_path / "replies.jsonl"), out, freeform="off", limit=5, reports=False)
    # a model that cannot load (a local folder that does not exist): the selection said first, at once
    with pytest.raises(ValueError, match="holds replies to 3 samples this run would drop"):
        evaluate(demo_run, f"hf:{tmp_path / 'no-model'}", out, freeform="off", limit=2, reports=False)
