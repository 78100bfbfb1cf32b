"""A samples file in which one id names two samples (two runs' samples merged) is refused by
`eval`, the ids named; the same sample repeated is still only rejected."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tests.evaluate.conftest import samples
from veriscene.cli import app
from veriscene.evaluate import evaluate
from veriscene.evaluate.inputs import load_samples


def merged(tmp_path: Path, *runs: Path) -> Path:
    out = tmp_path / "merged" / "samples.jsonl"
    out.parent.mkdir()
    out.write_bytes(b"".join((run / "samples.jsonl").read_bytes() for run in runs))
    return out


def test_two_runs_merged_name_their_colliding_ids(demo_run: Path, other_demo_run: Path, tmp_path: Path) -> None:
    a, b = samples(demo_run), samples(other_demo_run)
    answer_a = {s["id"]: s["answer"] for s in a}
    common = [s for s in b if s["id"] in answer_a]
    other = [s for s in common if s["answer"] != answer_a[s["id"]]]
    assert (len(common), len(other)) == (4, 3)
    sample_set = load_samples(merged(tmp_path, demo_run, other_demo_run))
    assert [c.id for c in sample_set.conflicts] == [s["id"] for s in other]
    first = sample_set.conflicts[0]
    line_a = 1 + [s["id"] for s in a].index(first.id)
    line_b = len(a) + 1 + [s["id"] for s in b].index(first.id)
    assert (first.first, first.second) == (f"line {line_a}", f"line {line_b}")
    assert (first.first_answer, first.second_answer) == (answer_a[first.id], other[0]["answer"])
    reasons = {r.sample_id: r.reason for r in sample_set.rejected}
    assert reasons[first.id] == f"sample id of another sample (line {line_a}, of another answer)"
    same = next(s["id"] for s in common if s not in other)
    assert reasons[same].startswith("duplicate sample id (first on line ")
    with pytest.raises(ValueError, match=rf"3 sample id\(s\) name two different samples \({first.id}: line {line_a} "
                                         "answers .*Evaluate each run's samples on its own"):
        evaluate(sample_set.path, "replay:none.jsonl", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_command_refuses_a_merged_file_and_takes_a_repeated_one(demo_run: Path, other_demo_run: Path,
                                                                     tmp_path: Path) -> None:
    both = merged(tmp_path, demo_run, other_demo_run)
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": "yes"}) + b"\n" for s in samples(demo_run)))
    result = CliRunner().invoke(app, ["eval", str(both), "--model", f"replay:{replies}", "--out", str(tmp_path / "e"),
                                      "--freeform", "off"])
    assert result.exit_code == 2 and "name two different samples" in result.output
    twice = tmp_path / "twice"
    twice.mkdir()
    (twice / "samples.jsonl").write_bytes((demo_run / "samples.jsonl").read_bytes() * 2)
    (twice / "images").symlink_to(demo_run / "images")
    summary = evaluate(twice / "samples.jsonl", f"replay:{replies}", tmp_path / "t", freeform="off", reports=False)
    n = len(samples(demo_run))
    assert summary.counts["selected"] == n and summary.counts["rejected_lines"] == n  # as before: rejected, counted


def test_the_samples_of_some_ids_are_read_as_the_whole_file_reads_them(demo_run: Path, other_demo_run: Path,
                                                                       tmp_path: Path) -> None:
    """`load_samples(ids=...)` (what the scorers of replies read of a run) keeps only those ids'
    records, the first of each as the whole file's reading keeps it, and their conflicts; the
    other samples are not held (memory grows with the replies, not with the run)."""
    path = merged(tmp_path, demo_run, other_demo_run)
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([b"{not json", *lines[:5], b'{"id": 3}', *lines[5:]]) + b"\n")
    whole = load_samples(path)
    conflicting = {c.id for c in whole.conflicts}
    plain = [r["id"] for r in whole.records if r["id"] not in conflicting][::7]
    ids = {*plain, *sorted(conflicting)[:2], "no-such-id", None}
    some = load_samples(path, ids=ids)
    assert some.records == [r for r in whole.records if r["id"] in ids]
    assert len(some.records) == len(plain) + 2 < len(whole.records) / 5
    assert some.conflicts == [c for c in whole.conflicts if c.id in ids] and len(some.conflicts) == 2
    assert some.rejected == [] and len(whole.rejected) > 2  # the file's bad lines are eval's to tell


def test_a_sample_no_reply_could_be_scored_against_is_rejected_naming_the_field(demo_run: Path,
                                                                                tmp_path: Path) -> None:
    """An answer that is no value of its answer_type (a bool question's null) counted every
    reply wrong or unreadable, and an image given as a path alone, or with marks that cannot be
    drawn (no point), was an error ("field 'images[0].path' is empty") with the advice to rerun:
    all are sample lines that cannot be evaluated, listed in rejects.jsonl, and no model is asked about them."""
    records = samples(demo_run)[:4]
    first = {kind: next(r for r in samples(demo_run) if r["answer_type"] == kind) for kind in ("bool", "int")}
    records += [{**records[0], "id": "x1", "images": [records[0]["images"][0]["path"]]},
                {**first["bool"], "id": "x2", "answer": None},
                {**first["int"], "id": "x3", "answer": "four"},
                {**records[0], "id": "x4", "images": [{**records[0]["images"][0], "marks": [{"label": "A"}]}]}]
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    (tmp_path / "images").symlink_to(demo_run / "images")
    read = load_samples(path)
    assert [r.reason for r in read.rejected] == [
        "field 'images', item 0: expected an object {id, path}, got str",
        "field 'answer': answer_type bool takes true or false, got None",
        "field 'answer': answer_type int takes a whole number, got 'four'",
        "field 'images', item 0.marks[0].point must be [x, y] in pixels (finite, >= 0), got None"]
    asked: list[str] = []
    evaluate(path, lambda request: asked.append(request.prompt.text) or "1", tmp_path / "out", reports=False)
    assert len(asked) == 4
