"""An evaluation locks its output folder while it writes it: a second run into it (the command
started twice, a notebook cell run again while the first still runs) is refused before it loads
its model or sends a request.

Before, both ran: two runs of one model sent every request twice; a run of another model started
while the first waited on its first reply took the folder over (no reply was there yet), and
both exited 0, leaving results.jsonl with the first model's replies, run.json naming the second
model and summary.json the first."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tests.evaluate.conftest import samples
from tests.lock_holder import ON_LINUX, holder_command, holding, is_locked, killed_holder, refusal_start, says
from veriscene.cli import app
from veriscene.engine.run_lock import LOCK, RunLockedError
from veriscene.evaluate import evaluate

pytestmark = ON_LINUX

OPTIONS = dict(limit=6, seed=0, freeform="off", reports=False, n_boot=10)


def test_a_run_into_a_folder_another_run_writes_is_refused_naming_it(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    asked: list[str] = []

    def model(request) -> str:
        asked.append(request.key)
        return "yes"

    with holding("folder", out, "eval") as holder, pytest.raises(RunLockedError) as info:
        evaluate(demo_run, model, out, **OPTIONS)
    message = str(info.value)
    assert message.startswith(refusal_start(holder, out, "eval"))
    assert message.endswith(f"{holder_command('folder', out, 'eval')}; two evaluations in one folder would mix their "
                            f"replies and results. Wait for it to end, or stop it (kill {holder.pid}), then run this "
                            "command again (a run of the same model goes on from the replies kept there). Nothing "
                            "was written.")
    assert asked == [] and not out.exists()


def test_a_resume_while_the_run_goes_on_is_refused_and_leaves_its_files_as_they_were(demo_run: Path,
                                                                                     tmp_path: Path) -> None:
    out = tmp_path / "eval"
    evaluate(demo_run, lambda request: "yes", out, **OPTIONS)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with holding("folder", out, "eval"), pytest.raises(RunLockedError):
        evaluate(demo_run, lambda request: "no", out, **OPTIONS)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != LOCK} == before


def test_the_run_holds_its_folder_while_the_model_answers_and_lets_it_go(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    held: list[bool] = []

    def model(request) -> str:
        held.append(is_locked(out / LOCK))
        return "yes"

    evaluate(demo_run, model, out, **OPTIONS)
    assert held == [True] * 6 and not (out / LOCK).exists()


def test_a_lock_left_by_a_killed_run_does_not_block_its_resume(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    evaluate(demo_run, lambda request: "yes", out, **OPTIONS)
    killed_holder("folder", out, "eval")
    resumed = evaluate(demo_run, lambda request: "yes", out, **OPTIONS)
    assert resumed.counts["resumed"] == resumed.counts["selected"] == 6
    assert not (out / LOCK).exists()


def test_the_command_line_says_who_holds_the_folder(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": "yes"}) + b"\n" for r in samples(demo_run)))
    with holding("folder", out, "eval") as holder:
        done = CliRunner().invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out)])
    assert done.exit_code == 2, done.output
    assert says(done.output, f"error: {refusal_start(holder, out, 'eval')}")
    assert "Traceback" not in done.output and not out.exists()
