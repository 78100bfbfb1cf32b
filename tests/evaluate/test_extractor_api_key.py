"""The llm claim extractor's API key: `--extractor-api-key-env NAME` (Python
`evaluate(extractor_api_key_env=)`); by default eval's `--api-key-env` at the evaluated model's
server (no or the same `--extractor-base-url`), else OPENAI_API_KEY, as score-freeform's default.
Before, the extractor always sent OPENAI_API_KEY's. Checked by the Authorization header the fake
chat server receives (helper-204)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate import evaluate
from veriscene.evaluate.freeform.llm_claims import INSTRUCTION

from .fake_server import FakeServer

runner = CliRunner()
NO_CLAIMS = '{"objects": [], "relations": []}'


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("OPENAI_API_KEY", "k-openai"), ("EVAL_KEY", "k-eval"), ("CLAIMS_KEY", "k-claims")):
        monkeypatch.setenv(name, value)


def _server() -> tuple[FakeServer, dict[str, set[str | None]]]:
    """A chat server answering the evaluated model ("yes") and the extractor (no claims), and the
    keys each was sent with: {"model": {...}, "extractor": {...}}."""
    server = FakeServer(lambda text, images: NO_CLAIMS if text.startswith(INSTRUCTION) else "yes")
    seen: dict[str, set[str | None]] = {"model": set(), "extractor": set()}
    handle = server.handle

    def recording(handler: Any, body: dict[str, Any]) -> None:
        text, _ = FakeServer.content(body)
        seen["extractor" if text.startswith(INSTRUCTION) else "model"].add(handler.headers.get("Authorization"))
        handle(handler, body)

    server.handle = recording  # type: ignore[method-assign]
    return server, seen


def _bearer(*keys: str) -> set[str | None]:
    return {f"Bearer {k}" for k in keys}


@pytest.mark.parametrize("other_server, more, model_key, extractor_key", [
    (False, [], "k-eval", "k-eval"),  # the model's server: the model's key
    (True, [], "k-eval", "k-openai"),  # another server: OPENAI_API_KEY
    (False, ["--extractor-api-key-env", "CLAIMS_KEY"], "k-eval", "k-claims"),
    (True, ["--extractor-api-key-env", "CLAIMS_KEY"], "k-eval", "k-claims"),
])
def test_eval_sends_the_extractor_the_key_of_its_server(demo_run: Path, tmp_path: Path, other_server: bool,
                                                        more: list[str], model_key: str, extractor_key: str) -> None:
    model_server, seen = _server()
    claims_server, claims_seen = _server()
    with model_server, claims_server:
        where = ["--extractor-base-url", claims_server.url] if other_server else []
        result = runner.invoke(app, ["eval", str(demo_run), "--model", "openai:m", "--base-url", model_server.url,
                                     "--api-key-env", "EVAL_KEY", "--out", str(tmp_path / "o"), "--freeform",
                                     "lexical", "--extractor", "llm", "--extractor-model", "openai:claims",
                                     *where, *more])
    assert result.exit_code == 0, result.output
    assert seen["model"] == _bearer(model_key)
    assert (claims_seen if other_server else seen)["extractor"] == _bearer(extractor_key)


@pytest.mark.parametrize("more, key", [([], "k-openai"), (["--extractor-api-key-env", "CLAIMS_KEY"], "k-claims")])
def test_score_freeform_sends_the_key_named(demo_run: Path, tmp_path: Path, more: list[str], key: str) -> None:
    server, seen = _server()
    with server:
        out = tmp_path / "o"
        assert runner.invoke(app, ["eval", str(demo_run), "--model", "openai:m", "--base-url", server.url,
                                   "--out", str(out), "--freeform", "off"]).exit_code == 0
        result = runner.invoke(app, ["score-freeform", str(out / "results.jsonl"), "--matcher", "lexical",
                                     "--extractor", "llm", "--extractor-model", "openai:claims", "--base-url",
                                     server.url, *more])
    assert result.exit_code == 0, result.output
    assert seen["extractor"] == _bearer(key)


@pytest.mark.parametrize("given, key", [(None, "k-eval"), ("CLAIMS_KEY", "k-claims")])
def test_the_python_api_takes_the_same_name(demo_run: Path, tmp_path: Path, given: str | None, key: str) -> None:
    server, seen = _server()
    with server:
        evaluate(demo_run, "openai:m", tmp_path / "o", base_url=server.url, model_options={"api_key_env": "EVAL_KEY"},
                 freeform="lexical", extractor="llm", extractor_model="openai:claims", extractor_api_key_env=given,
                 reports=False)
    assert seen["extractor"] == _bearer(key)
    with pytest.raises(TypeError, match="extractor_api_key_env must be the name of the environment variable"):
        evaluate(demo_run, "openai:m", tmp_path / "p", base_url=server.url, extractor="llm",
                 extractor_model="openai:claims", extractor_api_key_env=3)  # type: ignore[arg-type]
