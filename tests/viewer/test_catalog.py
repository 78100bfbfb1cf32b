"""The catalog's evaluation results: refused when they are not results or are of another run,
a warning when most of them are of samples not read."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tests.viewer.test_viewer import records
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.viewer import Catalog, write_html


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalog")
    run_demo(out, scenes=3, seed=5)
    return out


def result(sample_id: str) -> bytes:
    return orjson.dumps({"id": sample_id, "status": "scored", "reply": "2", "parsed": 2, "score": 1.0,
                         "correct": True}) + b"\n"


def test_a_samples_file_given_as_results_is_refused(run: Path) -> None:
    with pytest.raises(ValueError, match=r"samples.jsonl: not the results of `veriscene eval` \(line 1: .*'status'"):
        Catalog.open(run, results=run / "samples.jsonl")


def test_results_of_another_run_are_refused(run: Path, tmp_path: Path) -> None:
    (tmp_path / "results.jsonl").write_bytes(b"".join(result(f"other-{k}") for k in range(5)))
    with pytest.raises(ValueError, match="none of its 5 results is of a sample of .*: the evaluation of another run"):
        Catalog.open(run, results=tmp_path)
    limited = r"after the first 2 read \(raise --limit"
    with pytest.raises(ValueError, match=limited):
        Catalog.open(run, results=tmp_path, limit=2)
    cli = CliRunner().invoke(app, ["view", str(run), "--results", str(tmp_path), "--html", str(tmp_path / "x.html")])
    assert cli.exit_code == 2 and "another run" in cli.output and not (tmp_path / "x.html").exists()


def test_results_mostly_of_other_samples_are_warned_about(run: Path, tmp_path: Path) -> None:
    ids = [s["id"] for s in records(run)]
    (tmp_path / "results.jsonl").write_bytes(result(ids[0]) + b"".join(result(f"other-{k}") for k in range(3)))
    catalog = Catalog.open(run, results=tmp_path)
    assert catalog.results_note().startswith("3 of the 4 results in ")
    assert "is it the evaluation of another run?" in catalog.results_note()
    summary = write_html(run, tmp_path / "x.html", results=tmp_path, count=1)
    assert summary.results_note == catalog.results_note()
    assert catalog.results_note() in (tmp_path / "x.html").read_text()
    (tmp_path / "results.jsonl").write_bytes(b"".join(result(i) for i in ids[:3]) + result("other-0"))
    assert Catalog.open(run, results=tmp_path).results_note() == ""  # most are of this run
    # an evaluation that has written nothing yet is no error
    (tmp_path / "results.jsonl").write_bytes(b"")
    assert Catalog.open(run, results=tmp_path).counts("outcome")["unanswered"] == len(ids)


def test_free_form_scores_are_shown_with_the_reply(run: Path, tmp_path: Path) -> None:
    from veriscene.viewer.pages import sample_card
    from veriscene.viewer.static import EmbeddedLinks

    samples = records(run)
    k = next(k for k, s in enumerate(samples) if s["answer_type"] == "text")
    sid = samples[k]["id"]
    (tmp_path / "results.jsonl").write_bytes(orjson.dumps({"id": sid, "status": "not_scored",
                                                           "reply": "A purple banana.", "parsed": None}) + b"\n")
    catalog = Catalog.open(run, results=tmp_path)
    assert catalog.freeform == {}  # eval has not written its free-form scores yet
    (tmp_path / "freeform.jsonl").write_bytes(
        orjson.dumps({"id": sid, "helpfulness": 0.25, "truthfulness": 0.5,
                      "hallucinations": ["banana", "<b>banana</b> is purple"]}) + b"\n"
        + orjson.dumps({"id": "other", "helpfulness": 1.0}) + b"\n")
    catalog.refresh()
    assert catalog.freeform == {sid: {"helpfulness": 0.25, "truthfulness": 0.5,
                                      "hallucinations": ["banana", "<b>banana</b> is purple"]}}
    text = sample_card(catalog, k, EmbeddedLinks(catalog, 64))
    assert ("helpfulness 0.25 &middot; truthfulness 0.50 &middot; <span class='bad'>not in the scene graph: "
            "banana; &lt;b&gt;banana&lt;/b&gt; is purple</span>") in text


def test_reasoning_returned_apart_is_shown_before_the_reply(run: Path, tmp_path: Path) -> None:
    from veriscene.viewer.pages import sample_card
    from veriscene.viewer.static import EmbeddedLinks

    samples = records(run)
    sid = samples[0]["id"]
    (tmp_path / "results.jsonl").write_bytes(orjson.dumps(
        {"id": sid, "status": "scored", "reply": "<answer>3</answer>", "parsed": 3, "score": 1.0, "correct": True,
         "reasoning": "There are <three> cups."}) + b"\n")
    text = sample_card(Catalog.open(run, results=tmp_path), 0, EmbeddedLinks(Catalog.open(run, results=tmp_path), 64))
    assert ("its reasoning, returned apart:</p><pre>There are &lt;three&gt; cups.</pre><pre>&lt;answer&gt;3"
            "&lt;/answer&gt;</pre>") in text
