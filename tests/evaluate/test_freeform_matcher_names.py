"""eval and score-freeform name the free-form matcher alike: --freeform-matcher (Python
`freeform_matcher=`); their earlier names, eval's --freeform (`freeform=`) and score-freeform's
--matcher (`matcher=`), are still read."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate import evaluate, score_freeform

from .conftest import samples
from .one_reply import one_reply

runner = CliRunner()


@pytest.mark.parametrize("option", ["--freeform-matcher", "--matcher"])
def test_score_freeform_reads_both_names(tmp_path: Path, option: str) -> None:
    responses, scenes = one_reply(tmp_path)
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), option, "lexical"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["matcher"] == "lexical"


def test_score_freeform_python_keywords(tmp_path: Path) -> None:
    responses, scenes = one_reply(tmp_path)
    new = score_freeform(responses, scenes, freeform_matcher="lexical")
    old = score_freeform(responses, scenes, matcher="lexical")
    assert new.matcher == old.matcher == "lexical" and new.summary() == old.summary()
    with pytest.raises(TypeError, match="freeform_matcher='lexical' and matcher='minilm' name the same setting"):
        score_freeform(responses, scenes, freeform_matcher="lexical", matcher="minilm")


def _text_replies(demo_run: Path, path: Path) -> Path:
    texts = [s for s in samples(demo_run) if s["answer_type"] == "text" and not s.get("choices")]
    path.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": "A red circle."}) + b"\n" for s in texts))
    return path


@pytest.mark.parametrize("option", ["--freeform-matcher", "--freeform"])
def test_eval_reads_both_names(demo_run: Path, tmp_path: Path, option: str) -> None:
    replies = _text_replies(demo_run, tmp_path / "replies.jsonl")
    out = tmp_path / "o"
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out),
                                 "--no-cache", "--families", "multi_caption", option, "lexical"])
    assert result.exit_code in (0, 1), result.output  # (1: samples without a reply in the file)
    assert orjson.loads((out / "summary.json").read_bytes())["freeform"]["matcher"] == "lexical"


def test_eval_python_keywords(demo_run: Path, tmp_path: Path) -> None:
    replies = _text_replies(demo_run, tmp_path / "replies.jsonl")
    spec = f"replay:{replies}"
    new = evaluate(demo_run, spec, tmp_path / "a", families="multi_caption", freeform_matcher="off", cache=False,
                   reports=False)
    old = evaluate(demo_run, spec, tmp_path / "b", families="multi_caption", freeform="off", cache=False, reports=False)
    assert new.summary["freeform"] is None and old.summary["freeform"] is None
    with pytest.raises(TypeError, match="freeform_matcher='off' and freeform='lexical' name the same setting"):
        evaluate(demo_run, spec, tmp_path / "c", freeform_matcher="off", freeform="lexical")
    with pytest.raises(ValueError, match="freeform_matcher must be one of auto, minilm, lexical, off, got 'of'"):
        evaluate(demo_run, spec, tmp_path / "d", freeform_matcher="of")
    assert not (tmp_path / "c").exists() and not (tmp_path / "d").exists()
