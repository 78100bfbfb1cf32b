"""What `veriscene eval` says when a new user's run goes wrong: failed requests with their reason
on stderr, replay files missing replies, no server at the URL, --limit 0, a misspelt model kind,
an unknown family, an interrupted run."""

from __future__ import annotations

import socket
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tests.evaluate.conftest import samples
from tests.evaluate.fake_server import FakeServer, Faults
from veriscene.cli import app
from veriscene.evaluate import ModelConfigError, evaluate
from veriscene.evaluate.inputs import select
from veriscene.evaluate.report import retry_advice
from veriscene.option_names import cli_names

runner = CliRunner()


def write_replies(path: Path, recs: list[dict], reply: str = "yes") -> Path:
    path.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": reply}) + b"\n" for r in recs))
    return path


def test_failed_requests_are_said_on_stderr_with_their_reason(demo_run: Path, tmp_path: Path) -> None:
    with FakeServer(lambda t, i: "Yes", faults=Faults(rate_500=1.0)) as server:  # 500 on 2 attempts
        result = runner.invoke(app, ["eval", str(demo_run), "--model", "openai:fake", "--base-url", server.url,
                                     "--out", str(tmp_path / "o"), "--limit", "4", "--max-retries", "0",
                                     "--freeform", "off"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 4 of 4 samples got no reply (4 x gave up after 1 attempt; last: HTTP 500")
    assert "rerun the same command" in result.stderr
    assert "got no reply" not in result.stdout and "## Errors (no reply)" in result.stdout
    summary = orjson.loads((tmp_path / "o" / "summary.json").read_bytes())
    assert summary["error_reasons"] == [['gave up after 1 attempt; last: HTTP 500: {"error": {"message": '
                                         '"injected fault"}}', 4]]


def test_a_replay_file_missing_replies_is_not_told_to_rerun(demo_run: Path, tmp_path: Path) -> None:
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run)[:3])
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out",
                                 str(tmp_path / "o"), "--limit", "5", "--freeform", "off"])
    assert result.exit_code == 1
    assert f"2 of 5 samples got no reply (2 x no reply in {replies})" in result.stderr
    assert "use a new --out" in result.stderr and "rerun" not in result.stderr
    assert "rerun" not in (tmp_path / "o" / "report.md").read_text()


def test_a_timed_out_run_is_told_to_raise_the_timeout() -> None:
    summary = {"model": {"adapter": "openai"}, "error_reasons": [["gave up after 7 attempts; last: timed out "
                                                                  "after 1 s", 3]]}
    assert retry_advice(summary) == ("call evaluate again with the same arguments to retry the failed requests (with "
                                     "a larger timeout (model_options): the same one may time out again)")
    with cli_names():
        assert retry_advice(summary) == ("rerun the same command to retry the failed requests (with a larger "
                                         "--timeout: the same one may time out again)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed on leaving: nothing listens there


def test_no_server_at_the_url_stops_the_run_after_one_request(demo_run: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelConfigError, match=r"no server answers at .*is it running .*, and is base_url right\?$"):
        evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=url, limit=30, freeform="off",
                 model_options={"max_retries": 1, "backoff_base": 0.001, "concurrency": 2})
    assert not (tmp_path / "o" / "summary.json").exists()


def test_a_server_that_answered_once_is_not_given_up_on_connection_errors(demo_run: Path, tmp_path: Path) -> None:
    """Connection errors after an answer (a server restarting) fail those requests only."""
    from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel

    with FakeServer(lambda t, i: "Yes") as server:
        model = OpenAIChatModel("fake", server.url, max_retries=0, backoff_base=0.001, concurrency=1)
        first = evaluate(demo_run, model, tmp_path / "o", limit=2, freeform="off")
    model.url = f"http://127.0.0.1:{free_port()}/v1/chat/completions"
    later = evaluate(demo_run, model, tmp_path / "o", limit=4, freeform="off")
    assert first.complete and later.counts["errors"] == 2


def test_a_refused_connection_stops_at_once_without_the_retries() -> None:
    """Nothing listens at the port: the first refused connection says so (the retries' waits took
    24 s before); once the server has answered, a refused connection (a restart) is waited out."""
    from veriscene.evaluate.adapters.base import Request
    from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel
    from veriscene.evaluate.prompts import Prompt

    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    url = f"http://127.0.0.1:{free_port()}/v1"
    model = OpenAIChatModel("fake", url, concurrency=1)  # 6 retries, as by default
    model._sleep = record
    request = Request("s1", Prompt(None, "Is there a cup?", ()))
    with pytest.raises(ModelConfigError) as raised:
        model.generate([request], lambda done: None)
    said = str(raised.value)
    assert said.startswith(f"no server answers at {url}/chat/completions (1 attempt; last: connection error")
    assert "the connection was refused" in said and said.endswith("is base_url right?")
    assert waits == [] and model.stats == {"http_requests": 1, "retries": 0}

    model._answered = True  # a server that answered once, now restarting: asked again after waits
    model.max_retries, model.backoff_base = 2, 0.001
    done: list = []
    model.generate([request], done.append)
    assert len(waits) == 2 and done[0].error.startswith("gave up after 3 attempts; last: connection error")


def test_limit_0_is_refused_and_leaves_no_folder(demo_run: Path, tmp_path: Path) -> None:
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run))
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out",
                                 str(tmp_path / "o"), "--limit", "0"])
    assert result.exit_code == 2
    # the CLI's options only, and the Python names only to a Python caller (`option_names`)
    assert result.stderr == "error: --limit 0 selects no sample; leave it out to evaluate every sample\n"
    assert not (tmp_path / "o").exists()
    with pytest.raises(ValueError) as raised:
        evaluate(demo_run, f"replay:{replies}", tmp_path / "o", limit=0)
    assert str(raised.value) == "limit=0 selects no sample; leave it out (limit=None) to evaluate every sample"


def test_an_empty_samples_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "samples.jsonl").write_text("{not json\n")
    with pytest.raises(ValueError, match=r"holds no sample to evaluate: 1 line\(s\) rejected \(line 1: not valid"):
        evaluate(tmp_path / "samples.jsonl", "replay:nowhere.jsonl", tmp_path / "o")


def test_a_misspelt_model_kind_is_answered_with_the_close_one(demo_run: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(demo_run), "--model", "repaly:r.jsonl", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "(did you mean replay:r.jsonl?)" in result.stderr
    assert not (tmp_path / "o").exists()


def test_an_unknown_family_lists_the_families_not_every_generator(demo_run: Path) -> None:
    with pytest.raises(KeyError) as info:
        select(samples(demo_run), families="counting,zzz")
    message = info.value.args[0]
    assert "families here: attribute, counting," in message and ".v1" not in message


def test_the_report_on_stdout_keeps_each_table_row_on_one_line(demo_run: Path, tmp_path: Path) -> None:
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run))
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out",
                                 str(tmp_path / "o"), "--freeform", "off"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert len(rows) > 20 and all(line.endswith("|") for line in rows)
    assert result.stdout.count("| errors |") >= 2  # the header row whole


def test_a_run_interrupted_before_any_reply_says_none_is_kept(demo_run: Path, tmp_path: Path, monkeypatch) -> None:
    # before: "the replies received are kept in OUT", of a run that had received none
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("veriscene.evaluate.evaluate", interrupted)
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run))
    out = tmp_path / "o"
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out)],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 130
    assert " ".join(result.stderr.split()) == (f"interrupted (Ctrl-C): no reply was received, so none is kept in "
                                               f"{out}; run the same command again to start over")


def test_score_freeform_llm_without_a_url_is_one_error_line(demo_run: Path, tmp_path: Path) -> None:
    (tmp_path / "r.jsonl").write_text('{"image_id": "x", "reply": "A red circle."}\n')
    result = runner.invoke(app, ["score-freeform", str(tmp_path / "r.jsonl"), "--scenes", str(demo_run / "scenes.jsonl"),
                                 "--extractor", "llm", "--extractor-model", "openai:m"])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == ("error: --extractor-model openai:m needs its server: --base-url URL, e.g. "
                             "http://localhost:8000/v1\n")


def test_score_freeform_keeps_stdout_json_and_fails_when_nothing_is_scored(demo_run: Path, tmp_path: Path) -> None:
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run)[:12])  # no image ids: all skipped
    result = runner.invoke(app, ["score-freeform", str(replies), "--scenes", str(demo_run / "scenes.jsonl"),
                                 "--matcher", "lexical"])
    assert result.exit_code == 1
    assert orjson.loads(result.stdout)["rejected"] == 12  # one JSON document, the skipped lines elsewhere
    assert f"skipped {replies}, line 1: missing field 'image_id'" in result.stderr
    assert "\nskipped 2 more lines\n" in result.stderr  # not "skipped and 2 more lines"
    assert result.stderr.endswith(f"error: no reply of {replies} could be scored: all 12 lines skipped\n")


def test_a_replay_run_whose_failures_are_not_missing_replies_is_told_to_rerun() -> None:
    """A replay run whose images were not found is no replies-file problem: fixed, the same
    command runs again. Only 'no reply in FILE' gets the replay advice."""
    missing = {"model": {"adapter": "replay"}, "error_reasons": [["no reply in r.jsonl", 3]]}
    assert retry_advice(missing).startswith("the replies file has no reply for these samples")
    images = {"model": {"adapter": "replay"}, "error_reasons": [["image x.png does not exist", 2],
                                                                 ["no reply in r.jsonl", 1]]}
    assert retry_advice(images) == "call evaluate again with the same arguments to retry the failed requests"
    with cli_names():
        assert retry_advice(images) == "rerun the same command to retry the failed requests"


def test_error_reasons_are_grouped_by_what_failed_not_by_sample() -> None:
    from veriscene.evaluate.runner import error_reasons

    records = [{"status": "error", "error": f"sample '{i}': image memory://d/{i % 2}.png does not exist"}
               for i in range(5)] + [{"status": "ok", "error": None}]
    assert error_reasons(records) == [["image memory://d/0.png does not exist", 3],
                                      ["image memory://d/1.png does not exist", 2]]


def test_score_freeform_given_an_eval_results_file_scores_its_descriptions_only(demo_run: Path, tmp_path: Path) -> None:
    """An evaluation's results.jsonl: the answers `eval` scored by program are left out (they
    were scored as descriptions: 'yes' and '3' as replies without claims), its descriptions get
    the scores `eval` gave them; a file of such answers alone is one error line."""
    recs = samples(demo_run)
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": str(r["answer"])}) + b"\n" for r in recs))
    out = tmp_path / "o"
    ran = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out),
                              "--freeform", "lexical"])
    assert ran.exit_code == 0, ran.output
    results = [orjson.loads(line) for line in (out / "results.jsonl").read_bytes().splitlines()]
    answers = sum(r["status"] in ("scored", "parse_failed") for r in results)
    assert 0 < answers < len(results)
    result = runner.invoke(app, ["score-freeform", str(out / "results.jsonl"), "--scenes",
                                 str(demo_run / "scenes.jsonl"), "--matcher", "lexical"])
    assert result.exit_code == 0, result.output
    scored, by_eval = orjson.loads(result.stdout), orjson.loads((out / "summary.json").read_bytes())["freeform"]
    assert scored["scored_by_program"] == answers and scored["n"] == by_eval["n"] == len(results) - answers
    assert scored["helpfulness"] == by_eval["helpfulness"] and scored["rejected"] == 0
    assert f"left out {answers} lines of {out / 'results.jsonl'}: answers `veriscene eval` scored by" in result.stderr
    only = out / "answers.jsonl"
    only.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in results if r["status"] != "not_scored"))
    refused = runner.invoke(app, ["score-freeform", str(only), "--scenes", str(demo_run / "scenes.jsonl"),
                                  "--matcher", "lexical"])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr == (f"error: {only} holds no description: its {answers} replies are answers `veriscene eval` "
                              "scored by program (results.jsonl status scored / parse_failed); score-freeform scores "
                              "the free-form ones (status not_scored)\n")


def test_score_freeform_takes_the_samples_of_region_descriptions(demo_run: Path, tmp_path: Path) -> None:
    """The line skipping a region description names the option that scores it, and the option exists."""
    regions = [r for r in samples(demo_run) if r["task"].startswith("region.") and r["answer_type"] == "text"
               and not r.get("choices")][:3]
    assert regions
    replies = tmp_path / "descriptions.jsonl"  # no run.json beside it: the samples are not found alone
    replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "task": r["task"], "reply": r["answer"],
                                               "image_ids": [i["id"] for i in r["images"]]}) + b"\n" for r in regions))
    args = ["score-freeform", str(replies), "--scenes", str(demo_run / "scenes.jsonl"), "--matcher", "lexical"]
    alone = runner.invoke(app, args)
    assert alone.exit_code == 1 and "give the samples file (--samples FILE)" in alone.stderr
    given = runner.invoke(app, [*args, "--samples", str(demo_run / "samples.jsonl")])
    assert given.exit_code == 0, given.output
    assert orjson.loads(given.stdout)["n"] == len(regions) and given.stderr == ""


def test_eval_help_names_the_default_cache_file() -> None:
    """"[default: OUT/requests.sqlite]" was read as console markup and vanished: "Request cache file .\""""
    text = runner.invoke(app, ["eval", "--help"], env={"COLUMNS": "200"}).output
    assert "Request cache file, to share between runs (default: OUT/requests.sqlite)." in text


def test_score_freeform_finds_the_scenes_of_the_run_an_eval_answered(demo_run: Path, tmp_path: Path) -> None:
    """Without --scenes: the scene files of the run whose samples the eval run's run.json names,
    as its manifest records them; a replies file of no run is told to give --scenes."""
    recs = samples(demo_run)
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": str(r["answer"])}) + b"\n" for r in recs))
    out = tmp_path / "o"
    assert runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out)]).exit_code == 0
    given = runner.invoke(app, ["score-freeform", str(out / "results.jsonl"), "--scenes",
                                str(demo_run / "scenes.jsonl"), "--matcher", "lexical"])
    found = runner.invoke(app, ["score-freeform", str(out / "results.jsonl"), "--matcher", "lexical"])
    assert found.exit_code == given.exit_code == 0, found.output
    assert orjson.loads(found.stdout) == orjson.loads(given.stdout)
    alone = tmp_path / "alone.jsonl"
    alone.write_bytes(orjson.dumps({"image_id": recs[0]["images"][0]["id"], "reply": "A red circle."}) + b"\n")
    refused = runner.invoke(app, ["score-freeform", str(alone), "--matcher", "lexical"])
    assert refused.exit_code == 2 and "give them with --scenes FILE" in refused.stderr
