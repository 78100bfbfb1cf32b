"""A run stopped at its first request (no server, a misspelt model name) leaves nothing in the way
of the corrected command: no folder it made, and no claim on a folder that holds no reply."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.evaluate.conftest import samples
from tests.evaluate.test_cli_errors import free_port, write_replies
from veriscene.evaluate import ModelConfigError, evaluate

NO_RETRY = {"max_retries": 0, "backoff_base": 0.001, "concurrency": 2}


def test_a_run_stopped_before_any_reply_leaves_no_folder_it_made(demo_run: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelConfigError, match="no server answers at"):
        evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=url, limit=4, freeform="off",
                 model_options=NO_RETRY)
    assert not (tmp_path / "o").exists()


def test_a_folder_without_replies_is_taken_over_by_the_corrected_model(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()  # the user's folder: kept, but it holds no reply of the misspelt model
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelConfigError):
        evaluate(demo_run, "openai:qwen-fak", out, base_url=url, limit=4, freeform="off", model_options=NO_RETRY)
    assert orjson.loads((out / "run.json").read_bytes())["model"]["model"] == "qwen-fak"
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run)[:4])
    result = evaluate(demo_run, f"replay:{replies}", out, limit=4, freeform="off", reports=False)
    assert result.counts["selected"] == 4 and result.counts["errors"] == 0
    assert orjson.loads((out / "run.json").read_bytes())["model"]["adapter"] == "replay"


def test_a_folder_holding_replies_of_another_model_is_still_refused(demo_run: Path, tmp_path: Path) -> None:
    recs = samples(demo_run)[:4]
    first = evaluate(demo_run, f"replay:{write_replies(tmp_path / 'a.jsonl', recs)}", tmp_path / "o", limit=4,
                     freeform="off", reports=False)
    assert first.counts["scored"] + first.counts.get("parse_failed", 0) + first.counts.get("not_scored", 0) == 4
    with pytest.raises(ValueError, match=r"holds results of another model or other parameters \(model: "
                                         r"'replay:a\.jsonl' -> 'replay:b\.jsonl'; file: '.*a\.jsonl' -> '.*b\.jsonl'; "
                                         r"sha256: [0-9a-f]{12}\.\.\. -> [0-9a-f]{12}\.\.\.\)\. Use another"):
        evaluate(demo_run, f"replay:{write_replies(tmp_path / 'b.jsonl', recs, 'no')}", tmp_path / "o", limit=4,
                 freeform="off", reports=False)


@pytest.mark.parametrize("content, problem", [(b'{"model": ', "not valid JSON"), (b"[1]", "a JSON list, not an object")])
def test_a_broken_run_file_is_named_with_what_to_do(demo_run: Path, tmp_path: Path, content: bytes,
                                                    problem: str) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "run.json").write_bytes(content)
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run)[:2])
    with pytest.raises(ValueError, match=rf"{out / 'run.json'} is not a run file of veriscene eval \({problem}.*"
                                         "remove it to go on"):
        evaluate(demo_run, f"replay:{replies}", out, limit=2, freeform="off", reports=False)
    (out / "run.json").unlink()
    assert evaluate(demo_run, f"replay:{replies}", out, limit=2, freeform="off", reports=False).complete
