"""A prompts file's misspelt field or instruction key gets the name meant, by the project's one
suggestion helper (`answers.options.close_name`), beside the allowed ones (helper-204)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate.prompts import PromptSet, load_prompts

runner = CliRunner()


@pytest.mark.parametrize("data, said", [
    ({"templat": "{question}"}, "unknown fields ['templat']; did you mean 'template'?; allowed: "),
    ({"templat": "{question}", "sytem": "Be brief."},
     "unknown fields ['sytem', 'templat']; did you mean 'system' for 'sytem', 'template' for 'templat'?; allowed: "),
    ({"instructions": {"boool": "Answer yes or no."}},
     "unknown prompt instruction keys ['boool']; did you mean 'bool'?; allowed: "),
    ({"colour": "red"}, "unknown fields ['colour']; allowed: "),  # nothing close: no suggestion
])
def test_a_misspelt_name_gets_the_name_meant(tmp_path: Path, data: dict[str, object], said: str) -> None:
    path = tmp_path / "prompts.json"
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(ValueError) as caught:
        load_prompts(path)
    assert str(caught.value).startswith(f"{path}: {said}")
    with pytest.raises(ValueError, match="did you mean 'template'"):
        PromptSet.from_dict({"templat": "{question}"})


def test_eval_says_the_field_meant_before_any_request(demo_run: Path, tmp_path: Path) -> None:
    path = tmp_path / "prompts.json"
    path.write_bytes(orjson.dumps({"templat": "{question}\n{instruction}"}))
    out = tmp_path / "o"
    result = runner.invoke(app, ["eval", str(demo_run), "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1",
                                 "--out", str(out), "--prompts", str(path)])
    assert result.exit_code == 2, result.output
    assert "unknown fields ['templat']; did you mean 'template'?; allowed:" in " ".join(result.stderr.split())
    assert not out.exists()
