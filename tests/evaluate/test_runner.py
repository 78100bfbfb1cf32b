"""evaluate() against the fake OpenAI-compatible server: exact accuracy, faults, resume, concurrency."""

from __future__ import annotations

import orjson
import pytest

from tests.evaluate.conftest import answer_table, is_scored, plan_kind, samples
from tests.evaluate.fake_server import FakeServer, Faults
from veriscene.evaluate import evaluate


class Killed(Exception):
    pass


def _server(run, **kw) -> FakeServer:
    table = answer_table(run)
    return FakeServer(lambda text, images: table[(text, tuple(images))], **kw)


def _expected(run) -> tuple[int, int, int]:
    scored = [s for s in samples(run) if is_scored(s)]
    correct = sum(plan_kind(s["id"]) == "correct" for s in scored)
    garbage = sum(plan_kind(s["id"]) == "garbage" for s in scored)
    return correct, len(scored), garbage


def _results(out) -> list[dict]:
    return [orjson.loads(line) for line in (out / "results.jsonl").read_bytes().splitlines()]


def test_exact_accuracy_under_faults(demo_run, tmp_path) -> None:
    faults = Faults(rate_429=0.1, rate_500=0.1, rate_slow=0.05, rate_drop=0.05, slow_s=2.5)
    with _server(demo_run, faults=faults) as server:
        summary = evaluate(demo_run / "samples.jsonl", "openai:fake", tmp_path / "out", base_url=server.url,
                           model_options={"concurrency": 8, "timeout": 1.0, "backoff_base": 0.01},
                           freeform="lexical")
    correct, answered, garbage = _expected(demo_run)
    overall = summary.summary["overall"]
    assert (overall["correct"], overall["n"], overall["parse_failures"]) == (correct, answered, garbage)
    assert overall["accuracy"] == correct / answered
    assert summary.complete and summary.counts["errors"] == 0
    results = _results(tmp_path / "out")
    assert [r["id"] for r in results] == [s["id"] for s in samples(demo_run)]  # nothing lost, input order
    assert all(n == 1 for n in server.delivered().values())  # no request answered twice in time
    # every request answered: in time, or (on a machine so loaded that the client's timeout fired
    # only after the reply had come) by the reply sent late on purpose
    assert len({e.key for e in server.log if e.status in (200, "slow")}) == len(results)
    statuses = {e.status for e in server.log}
    assert {429, 500, "slow", "drop"} <= statuses
    assert summary.summary["freeform"]["truthfulness"] < 1.0  # the wrong and garbage captions hallucinate


def test_scores_do_not_depend_on_concurrency(demo_run, tmp_path) -> None:
    outs = []
    with _server(demo_run) as server:
        for c in (1, 16):
            out = tmp_path / f"c{c}"
            evaluate(demo_run, "openai:fake", out, base_url=server.url, model_options={"concurrency": c},
                     freeform="off")
            outs.append(out)
    a, b = (orjson.loads((o / "summary.json").read_bytes()) for o in outs)
    for key in ("overall", "by_task", "by_family", "by_answer_type"):
        assert a[key] == b[key]
    strip = lambda r: {k: v for k, v in r.items() if k not in ("latency_s", "attempts")}
    assert [strip(r) for r in _results(outs[0])] == [strip(r) for r in _results(outs[1])]


def test_killed_run_resumes_without_repeating_requests(demo_run, tmp_path) -> None:
    out = tmp_path / "out"
    with _server(demo_run) as server:
        calls = {"n": 0}

        def stop_midway(done: int, total: int) -> None:
            calls["n"] += 1
            if calls["n"] == 40:
                raise Killed  # stands for a kill mid-run

        with pytest.raises(Killed):
            evaluate(demo_run, "openai:fake", out, base_url=server.url, model_options={"concurrency": 4},
                     progress=stop_midway, freeform="off")
        partial = len(_results(out))
        assert 0 < partial < len(samples(demo_run))
        # a torn last line, as left by a kill during a write
        with open(out / "results.jsonl", "ab") as fh:
            fh.write(b'{"id": "trunc')
        summary = evaluate(demo_run, "openai:fake", out, base_url=server.url, model_options={"concurrency": 4},
                           freeform="off")
    # only requests in flight at the kill (at most concurrency - 1 besides the one that finished) repeat
    repeated = [k for k, n in server.delivered().items() if n > 1]
    assert len(repeated) <= 3 and all(n <= 2 for n in server.delivered().values())
    assert len(server.delivered()) == len(samples(demo_run))
    assert summary.counts["resumed"] >= partial
    assert summary.counts["requests_sent"] + summary.counts["from_cache"] + summary.counts["resumed"] == len(samples(demo_run))
    correct, answered, _ = _expected(demo_run)
    assert summary.summary["overall"]["correct"] == correct
    assert [r["id"] for r in _results(out)] == [s["id"] for s in samples(demo_run)]


def test_subset_selection_and_reports(demo_run, tmp_path) -> None:
    with _server(demo_run) as server:
        s = evaluate(demo_run, "openai:fake", tmp_path / "o", base_url=server.url, limit=20, seed=1,
                     families="counting,attribute", freeform="off")
    results = _results(tmp_path / "o")
    assert len(results) == 20 and {r["family"] for r in results} <= {"counting", "attribute"}
    md = (tmp_path / "o" / "report.md").read_text()
    html = (tmp_path / "o" / "report.html").read_text()
    acc = f"{100 * s.accuracy:.1f}"
    assert acc in md and acc in html and "<svg" in html and "http" not in html.replace("http://www.w3.org", "")
    assert "Requests sent: 20, from cache: 0" in md and "Requests sent: 20, from cache: 0" in html
    assert s.counts["replies_read"] == 0 and s.counts["replies_file"] is None and s.summary["latency"]["n"] == 20
    with pytest.raises(KeyError, match="did you mean"):
        evaluate(demo_run, "openai:fake", tmp_path / "p", base_url="http://127.0.0.1:9", families="countin")


def test_images_at_urls_download_a_part_ahead_of_the_model(demo_run, tmp_path, monkeypatch) -> None:
    """Samples naming images by URL: the model answers the first part as soon as its images are
    there, while the next part's download; every request gets its local copies, each image is
    downloaded once and counted against the total of all parts."""
    import threading

    import fsspec

    from veriscene.engine import fetch
    from veriscene.evaluate import runner
    from veriscene.evaluate.adapters.base import Completion, Model

    monkeypatch.setenv(fetch.DOWNLOADS_ENV, str(tmp_path / "downloads"))
    monkeypatch.setattr(runner, "URL_CHUNK", 7)
    memory = fsspec.filesystem("memory")
    records = samples(demo_run)[:40]
    lines = []
    for i, record in enumerate(records):  # each sample's images at URLs of its own
        for image in record["images"]:
            memory.pipe_file(f"/evalimages/{i}/{image['path']}", (demo_run / image["path"]).read_bytes())
            image["path"] = f"memory://evalimages/{i}/{image['path']}"
        lines.append(orjson.dumps(record))
    (tmp_path / "samples.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    downloads: list[list[str]] = []
    second_part_started = threading.Event()
    real_fetch = runner.fetch_files

    def fetch_files(urls, **kw):
        downloads.append(list(urls))
        if len(downloads) == 2:
            second_part_started.set()
        return real_fetch(urls, **kw)

    monkeypatch.setattr(runner, "fetch_files", fetch_files)

    class Recorder(Model):
        name = "recorder"

        def __init__(self) -> None:
            self.params: dict = {}
            self.calls: list[int] = []

        def generate(self, requests, on_done) -> None:
            if not self.calls:  # the next part downloads while this one is answered
                assert second_part_started.wait(30)
            self.calls.append(len(requests))
            for request in requests:
                assert all(path.is_file() for path in request.prompt.images)
                on_done(Completion(key=request.key, text="yes"))

    model = Recorder()
    progress: list[tuple[int, int]] = []
    try:
        result = evaluate(tmp_path / "samples.jsonl", model, tmp_path / "out", freeform="off", cache=False,
                          download_progress=lambda done, total: progress.append((done, total)))
    finally:
        memory.rm("/evalimages", recursive=True)
    urls = {image["path"] for record in records for image in record["images"]}
    assert len(downloads) == 6 and model.calls == [7, 7, 7, 7, 7, 5]
    assert sorted(url for part in downloads for url in part) == sorted(urls)  # each image once
    assert progress == [(k, len(urls)) for k in range(1, len(urls) + 1)]
    assert result.complete and [r["id"] for r in _results(tmp_path / "out")] == [r["id"] for r in records]


def test_a_resume_asks_again_under_other_prompts_and_scores_again_against_the_samples(demo_run, tmp_path) -> None:
    """Records of an earlier run are kept only for the prompt this run sends, and are scored
    again against the samples as they are now: another system prompt sends every request again;
    a samples file whose answers changed (same ids) is scored against the new answers."""
    from veriscene.evaluate.prompts import PromptSet

    records = samples(demo_run)[:12]
    first = tmp_path / "a.jsonl"
    first.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": str(r["answer"])}) + b"\n" for r in records))
    model = f"replay:{replies}"
    out = tmp_path / "out"
    done = evaluate(first, model, out, freeform="off", cache=False)
    assert done.counts["replies_read"] == 12 and done.counts["requests_sent"] == 0
    again = evaluate(first, model, out, freeform="off", cache=False)
    assert again.counts["resumed"] == 12 and again.counts["requests_sent"] == 0
    assert again.summary["overall"] == done.summary["overall"]
    other = evaluate(first, model, out, freeform="off", cache=False, prompts=PromptSet().with_system("Be brief."))
    assert other.counts["resumed"] == 0 and other.counts["replies_read"] == 12
    assert all(r["system"] == "Be brief." for r in _results(out))
    wrong_before = {r["id"] for r in _results(out) if r["correct"] is False}
    # the same ids, other answers (an edited file): scored against what the file says now
    def flips(r: dict) -> bool:  # an open yes/no question (a multiple-choice one is scored by its letter)
        return r["answer_type"] == "bool" and not r["choices"]

    changed = [dict(r, answer=not r["answer"]) if flips(r) else r for r in records]
    assert any(map(flips, records))
    second = tmp_path / "b.jsonl"
    second.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in changed))
    rescored = evaluate(second, model, out, freeform="off", cache=False, prompts=PromptSet().with_system("Be brief."))
    assert rescored.counts["requests_sent"] == 0 and rescored.counts["resumed"] == 12
    wrong_now = {r["id"] for r in _results(out) if r["correct"] is False}
    flipped_ids = {r["id"] for r in records if flips(r)}
    assert not flipped_ids & wrong_before and wrong_now == wrong_before | flipped_ids
    assert rescored.summary["samples"] == str(second)


def test_a_replay_run_says_its_replies_were_read_from_its_file(demo_run, tmp_path) -> None:
    """A replay model sends no request: the reports and summary.json say the replies were read
    from the file (`requests_sent` kept, 0), with no request latency or throughput."""
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": str(r["answer"])}) + b"\n"
                                 for r in samples(demo_run)))
    done = evaluate(demo_run, f"replay:{replies}", tmp_path / "o", freeform="off", limit=6)
    counts = done.counts
    assert (counts["requests_sent"], counts["replies_read"], counts["replies_file"]) == (0, 6, str(replies.resolve()))
    said = f"Replies read from {replies.resolve()} for 6 samples (no request sent), from cache: 0"
    assert said in (tmp_path / "o" / "report.md").read_text() and said in (tmp_path / "o" / "report.html").read_text()
    assert "Requests sent" not in (tmp_path / "o" / "report.md").read_text()
    assert done.summary["latency"] == {"n": 0} and done.summary["throughput"]["requests_per_s"] is None
    assert "Latency" not in (tmp_path / "o" / "report.md").read_text()


@pytest.mark.parametrize(("options", "error", "said"), [
    ({"freeform": "minlm"}, ValueError, "freeform must be one of auto, minilm, lexical, off, got 'minlm' (did you mean 'minilm'?)"),
    ({"n_boot": 0}, ValueError, "n_boot must be at least 1, got 0"),
    ({"n_boot": -5}, ValueError, "n_boot must be at least 1, got -5"),
    ({"confidence": 95}, ValueError, "confidence must be a number between 0 and 1 (e.g. 0.95), got 95"),
    ({"confidence": 0}, ValueError, "confidence must be a number between 0 and 1 (e.g. 0.95), got 0"),
    ({"limit": -3}, ValueError, "limit must be at least 0, got -3"),
    ({"limit": "20"}, TypeError, "limit must be an integer, got '20'"),
    ({"limit": 5, "seed": "3"}, TypeError, "seed must be an integer, got '3'"),
    ({"scenes": "/nope/scenes.jsonl"}, FileNotFoundError, "scene file /nope/scenes.jsonl does not exist"),
])
def test_bad_options_refused_before_any_work(demo_run, tmp_path, options, error, said) -> None:
    # before, these ran every request and then died in the bootstrap (IndexError, numpy's quantile
    # error), or were taken silently (a misspelt matcher, a scene file that is not there)
    with pytest.raises(error) as info:
        evaluate(demo_run / "samples.jsonl", "replay:/nope/replies.jsonl", tmp_path / "out", **options)
    assert str(info.value) == said
    assert not (tmp_path / "out").exists()


def test_freeform_choices_are_the_clis() -> None:
    from veriscene.commands.evaluate import FREEFORM_CHOICES
    from veriscene.evaluate.runner import FREEFORM_CHOICES as API_CHOICES

    assert FREEFORM_CHOICES == API_CHOICES


@pytest.mark.parametrize(("options", "said"), [
    # before: "dictionary update sequence element #0 has length 1; 2 is required", score_options
    # once rejects.jsonl and run.json were written
    ({"model_options": "temperature=0"}, ("model_options must be a dict of option names and values (e.g. "
                                          "{'temperature': 0}), got 'temperature=0'")),
    ({"model_options": [("temperature", 0)]}, ("model_options must be a dict of option names and values (e.g. "
                                               "{'temperature': 0}), got [('temperature', 0)]")),
    ({"score_options": "rivals=x"}, ("score_options must be a dict of option names and values (e.g. "
                                     "{'rivals': 'vocabulary.json'}), got 'rivals=x'")),
    # before: taken as true (a report written, process scored), or called once samples were scored
    ({"reports": "no"}, "reports must be True or False, got 'no'"),
    ({"process": "no"}, "process must be True or False, got 'no'"),
    ({"progress": 1}, "progress must be a function, called as progress(done, total), or None; got 1"),
    ({"download_progress": 1}, ("download_progress must be a function, called as download_progress(done, total), "
                                "or None; got 1")),
    # before: "'int' object is not iterable"; a number sent as the system message
    ({"families": 3}, ("families must be comma-separated family or generator names (a str, e.g. 'counting,relation.*') "
                       "or a list of them, got 3")),
    ({"system": 3}, "system must be the system message (a str) or None, got 3"),
    # before: cache="no" was a request cache file named "no" in the working folder
    ({"cache": "no"}, "cache must be True, False or the path of the request cache file, got 'no'"),
    ({"cache": 3}, "cache must be True, False or the path of the request cache file, got 3"),
])
def test_wrong_kind_of_option_is_named_before_any_file(demo_run, tmp_path, monkeypatch, options, said) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TypeError) as info:
        evaluate(demo_run / "samples.jsonl", "replay:/nope/replies.jsonl", tmp_path / "out", **options)
    assert str(info.value) == said
    assert list(tmp_path.iterdir()) == []
