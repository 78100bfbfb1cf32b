"""`eval --freeform ... --extractor llm`: free-form replies' claims read by an OpenAI-compatible
model, as `score-freeform --extractor llm` reads them (the same code: `freeform.api.extractor_model`
and `TextScorer`), against the fake chat server (no network) (helper-201)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate import evaluate
from veriscene.evaluate.freeform.llm_claims import INSTRUCTION
from veriscene.scene import read_scenes

from .conftest import samples
from .fake_server import FakeServer

runner = CliRunner()


def _described(run: Path) -> list[dict[str, Any]]:
    """The samples eval does not score by program (descriptions): free-form scoring's."""
    return [s for s in samples(run) if s["answer_type"] == "text" and not s.get("choices")]


def _replies(run: Path, path: Path) -> Path:
    """A reply a sample: the descriptions name their image (the fake extractor reads it back),
    the first description's reply gets an unreadable extraction ("UNREADABLE")."""
    described = {s["id"] for s in _described(run)}
    unreadable = _described(run)[0]["id"]
    lines = []
    for s in samples(run):
        reply = f"A picture of image {s['images'][0]['id']}." if s["id"] in described else "yes"
        lines.append(orjson.dumps({"id": s["id"], "reply": f"UNREADABLE {reply}" if s["id"] == unreadable else reply}))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _extractor_server(run: Path) -> FakeServer:
    """Answers the claim extractor's request: the first object of the image the description
    names, with its attributes, and no JSON for a description saying UNREADABLE."""
    first = {s.image_id: (str(s.names[0]), sorted(s.attributes[0])) for s in read_scenes(run / "scenes.jsonl")}

    def answer(text: str, images: list[str]) -> str:
        assert text.startswith(INSTRUCTION) and not images
        if "UNREADABLE" in text:
            return "I cannot list them."
        image = text.rsplit("image ", 1)[1].rstrip(".\n")
        name, attributes = first[image]
        return orjson.dumps({"objects": [{"name": name, "attributes": attributes, "count": None}],
                             "relations": []}).decode()

    return FakeServer(answer)


def _by_id(path: Path) -> dict[str, dict[str, Any]]:
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return {r["id"]: {k: r[k] for k in ("helpfulness", "truthfulness", "hallucinations", "claims")} for r in rows}


def test_eval_scores_free_form_replies_with_the_llm_extractor(demo_run: Path, tmp_path: Path) -> None:
    replies = _replies(demo_run, tmp_path / "replies.jsonl")
    described = _described(demo_run)
    assert len(described) >= 3
    with _extractor_server(demo_run) as server:
        out = tmp_path / "eval"
        result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out),
                                     "--freeform", "lexical", "--extractor", "llm", "--extractor-model",
                                     "openai:claims", "--extractor-base-url", server.url])
        assert result.exit_code == 0, result.output
        freeform = orjson.loads((out / "summary.json").read_bytes())["freeform"]
        assert freeform["extractor"] == "llm"
        assert freeform["extractor_model"]["model"] == "claims"
        # every description asked once; the unreadable one counted, not scored as having no claims
        assert sum(server.delivered().values()) == len(described)
        assert freeform["n"] == len(described) - 1
        assert freeform["unread"] == 1 and freeform["unread_examples"][0].startswith(described[0]["id"])
        # said in the report and on stderr too (before, in summary.json only)
        said = f"1 not scored, their claims unread by the extractor (first: {described[0]['id']}"
        assert said in (out / "report.md").read_text() and said in (out / "report.html").read_text()
        assert f"warning free-form descriptions left out of their scores: {said}" in " ".join(result.stderr.split())
        eval_rows = _by_id(out / "freeform.jsonl")
        assert described[0]["id"] not in eval_rows
        # the claim the fake extractor made of each: the first object of its (first) image, which a
        # caption of that image has (a region description is checked against its region's object only)
        assert all(len(r["claims"]) >= 1 for r in eval_rows.values())
        captions = [s["id"] for s in described[1:] if s["task"] == "scene_graph.caption.v1"]
        assert captions and all(eval_rows[i]["truthfulness"] == 1.0 for i in captions)

        # score-freeform of the same results with the same extractor: the same scores
        scored = tmp_path / "scored.jsonl"
        again = runner.invoke(app, ["score-freeform", str(out / "results.jsonl"), "--matcher", "lexical",
                                    "--extractor", "llm", "--extractor-model", "openai:claims", "--base-url",
                                    server.url, "--out", str(scored)])
        assert again.exit_code == 0, again.output
        assert _by_id(scored) == eval_rows

        # the rules read nothing of "A picture of image X.": no claim, no truthfulness
        rules = tmp_path / "rules"
        assert runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(rules),
                                   "--freeform", "lexical"]).exit_code == 0
        assert {r["truthfulness"] for r in _by_id(rules / "freeform.jsonl").values()} == {None}


def test_the_python_api_takes_the_same_parameters(demo_run: Path, tmp_path: Path) -> None:
    replies = _replies(demo_run, tmp_path / "replies.jsonl")
    with _extractor_server(demo_run) as server:
        # the extractor's server defaults to base_url (here the replay model needs none)
        result = evaluate(demo_run, f"replay:{replies}", tmp_path / "o", freeform="lexical", extractor="llm",
                          extractor_model="openai:claims", base_url=server.url)
    assert result.summary["freeform"]["extractor"] == "llm"
    assert result.summary["freeform"]["n"] == len(_described(demo_run)) - 1


@pytest.mark.parametrize("args, message", [
    (["--extractor", "llm"], "error: --extractor llm needs --extractor-model openai:NAME and --extractor-base-url "
                             "(or --base-url) URL"),
    (["--extractor", "llm", "--extractor-model", "openai:claims"],
     "error: --extractor-model openai:claims needs its server: --extractor-base-url (or --base-url) URL, e.g. "
     "http://localhost:8000/v1"),
    (["--extractor-model", "openai:claims"], "error: --extractor-model is the model of --extractor llm: give both, "
                                             "or neither for the rules"),
    (["--extractor", "llm", "--freeform", "off"], "error: --extractor llm reads the claims of free-form replies, "
                                                   "which --freeform-matcher off leaves unscored"),
    (["--extractor", "lm"], "error: --extractor: unknown value 'lm' (did you mean 'llm'?); choose one of rules, llm"),
])
def test_eval_refuses_an_extractor_misused_before_any_request(demo_run: Path, tmp_path: Path, args: list[str],
                                                              message: str) -> None:
    replies = _replies(demo_run, tmp_path / "replies.jsonl")
    out = tmp_path / "o"
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out), *args])
    assert result.exit_code == 2
    assert " ".join(result.stderr.split()) == message
    assert not out.exists()


def test_the_extractor_s_refusals_name_the_python_arguments_to_a_python_caller() -> None:
    """evaluate()'s names, not the CLI's (`option_names`); the CLI's are checked above."""
    from veriscene.evaluate.freeform.api import extractor_model

    names = "extractor_model=, extractor_base_url="
    with pytest.raises(ValueError) as refused:
        extractor_model("llm", None, None, python=names)
    assert str(refused.value) == "extractor='llm' needs its model: extractor_model=, extractor_base_url="
    with pytest.raises(ValueError) as refused:
        extractor_model("rules", "openai:claims", None, python=names)
    assert str(refused.value) == ("a model is for extractor='llm': give both (extractor='llm', extractor_model=, "
                                  "extractor_base_url=), or neither for the rules")
    with pytest.raises(ValueError) as refused:
        extractor_model("llm", "openai:claims", None, python=names)
    assert str(refused.value) == ("the extractor's model openai:claims needs its server's URL (extractor_model=, "
                                  "extractor_base_url=; e.g. http://localhost:8000/v1)")
