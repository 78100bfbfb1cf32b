"""`--model replay:FILE` as users write FILE: an earlier run's results.jsonl with failed requests,
ids given twice, replies that are no text, ids of another samples file (helper-211)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.errors import DataError
from veriscene.evaluate import evaluate
from veriscene.evaluate.adapters.replay import read_replies

from .conftest import planned_reply, samples

runner = CliRunner()


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _statuses(out: Path) -> Counter[str]:
    return Counter(orjson.loads(line)["status"] for line in (out / "results.jsonl").read_bytes().splitlines())


def test_an_earlier_runs_failed_requests_are_no_replies(demo_run: Path, tmp_path: Path) -> None:
    # a replies file without the first 5 samples: their records in results.jsonl are errors, "reply": ""
    replies = _write(tmp_path / "part.jsonl", [{"id": s["id"], "reply": planned_reply(s)}
                                              for s in samples(demo_run)[5:]])
    first = evaluate(demo_run, f"replay:{replies}", tmp_path / "first", freeform="off", reports=False)
    assert first.counts["errors"] == 5 and first.counts["replies_read"] == len(samples(demo_run)) - 5
    # the first run's results replayed: the same 5 errors, not 5 empty replies scored as wrong answers
    again = evaluate(demo_run, f"replay:{tmp_path / 'first' / 'results.jsonl'}", tmp_path / "again", freeform="off",
                     reports=False)
    assert _statuses(tmp_path / "again") == _statuses(tmp_path / "first")
    assert again.accuracy == first.accuracy and again.counts["errors"] == 5


def test_an_id_given_two_replies_is_refused_naming_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", [{"id": "a", "reply": "yes"}, {"id": "b", "reply": "no"},
                                         {"id": "a", "reply": "yes"},  # the same reply again: taken once
                                         {"id": "b", "reply": "yes"}])
    with pytest.raises(DataError, match=r"r\.jsonl, line 4: sample b has another reply on line 2: a replies file "
                                        r"holds one reply a sample \(two files joined\?\)"):
        read_replies(path)
    assert read_replies(_write(tmp_path / "ok.jsonl", [{"id": "a", "reply": "yes"}] * 2)) == {"a": "yes"}


@pytest.mark.parametrize(("value", "said"), [(3, "a number (3)"), (2.5, "a number (2.5)"), (None, "null"),
                                             (["a", "b"], "a list"), (True, "a boolean (true)"),
                                             ({"text": "a"}, "an object")])
def test_a_reply_that_is_no_text_is_refused_by_its_type(tmp_path: Path, value: object, said: str) -> None:
    path = _write(tmp_path / "r.jsonl", [{"id": "a", "reply": "yes"}, {"id": "b", "response": value}])
    with pytest.raises(DataError) as caught:
        read_replies(path)
    assert str(caught.value) == (f"{path}, line 2: field 'response' is {said}, not the reply's text: write it as a "
                                 "JSON string (\"3\", \"yes\"), or leave the sample's line out (it is then counted "
                                 "as an error, no reply)")


@pytest.mark.parametrize(("value", "said"), [(7, "a number (7)"), (None, "null"), ("", "empty")])
def test_an_id_that_is_no_sample_id_is_refused(tmp_path: Path, value: object, said: str) -> None:
    path = _write(tmp_path / "r.jsonl", [{"id": value, "reply": "yes"}])
    with pytest.raises(DataError, match=rf"line 1: field 'id' is {said.replace('(', '[(]').replace(')', '[)]')}, "
                                        "not a sample id"):
        read_replies(path)


def test_a_file_of_another_samples_file_is_said_so(demo_run: Path, tmp_path: Path) -> None:
    replies = _write(tmp_path / "other.jsonl", [{"id": "x" + s["id"], "reply": "yes"} for s in samples(demo_run)])
    out = tmp_path / "out"
    result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out),
                                 "--freeform", "off"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert (f"the replies file answers none of the samples: its ids are not those of {demo_run} (replies "
            "to another samples file, or samples made again since, with new ids?)") in said, said
    counts = orjson.loads((out / "summary.json").read_bytes())["counts"]
    n = len(samples(demo_run))
    # (before: every sample looked for counted as read, and nothing said of the file's other ids)
    assert (counts["replies_read"], counts["replies_in_file"], counts["replies_unmatched"]) == (0, n, n)


def test_replies_to_no_sample_are_counted_and_a_file_answering_others_is_not_called_foreign(
        demo_run: Path, tmp_path: Path) -> None:
    every = samples(demo_run)
    extra = _write(tmp_path / "extra.jsonl", [{"id": s["id"], "reply": planned_reply(s)} for s in every]
                   + [{"id": "no-such-sample", "reply": "yes"}])
    result = evaluate(demo_run, f"replay:{extra}", tmp_path / "extra", freeform="off")
    assert result.complete
    assert (result.counts["replies_in_file"], result.counts["replies_unmatched"]) == (len(every) + 1, 1)
    assert (f"Replies read from {extra.resolve()} for {len(every)} samples (no request sent; 1 of its {len(every) + 1} "
            "replies are to no sample of the samples file)") in (tmp_path / "extra" / "report.md").read_text()
    # a file of one reply, to a sample this selection leaves out: not another samples file's
    one = _write(tmp_path / "one.jsonl", [{"id": every[-1]["id"], "reply": "yes"}])
    result = evaluate(demo_run, f"replay:{one}", tmp_path / "one", limit=3, freeform="off")
    assert (result.counts["replies_read"], result.counts["replies_unmatched"]) == (0, 0)
    # (named as evaluate() takes them: `option_names`; the CLI's report names --families, --limit)
    assert "Evaluate the samples it answers (families=, limit=)" in (tmp_path / "one" / "report.md").read_text()


def test_replies_read_are_this_runs_with_a_replay_model_given_twice(demo_run: Path, tmp_path: Path) -> None:
    from veriscene.evaluate.adapters.replay import ReplayModel

    model = ReplayModel(_write(tmp_path / "r.jsonl", [{"id": s["id"], "reply": planned_reply(s)}
                                                       for s in samples(demo_run)[:4]]))
    for out in ("a", "b"):
        result = evaluate(demo_run, model, tmp_path / out, limit=6, freeform="off", cache=False, reports=False)
        assert (result.counts["replies_read"], result.counts["errors"]) == (4, 2)


def test_lmms_eval_logged_samples_replay_as_the_replies_they_are(demo_run: Path, tmp_path: Path) -> None:
    """lmms-eval's --log_samples lines of the task folder `export --to lmms_eval` wrote (the doc, a
    row of its data file without the images, holds the sample id; the reply scored is the first of
    filtered_resps) score as a replies file of {"id", "reply"} lines does. Before, every line was
    refused: "field 'id' is missing"."""
    pq = pytest.importorskip("pyarrow.parquet")
    from veriscene.io.export import export

    export(demo_run, tmp_path / "tasks", to="lmms_eval")
    by_id = {s["id"]: s for s in samples(demo_run)}
    logged, plain = [], []
    for data in sorted((tmp_path / "tasks" / "data").glob("*.parquet")):  # one samples file per subtask, joined
        for n, doc in enumerate(pq.read_table(data).drop(["images"]).to_pylist()):
            reply = planned_reply(by_id[doc["id"]])
            logged.append({"doc_id": n, "doc": doc, "target": doc["answer_text"], "resps": [[reply]],
                           "filtered_resps": [reply], "accuracy": 0.0})
            plain.append({"id": doc["id"], "reply": reply})
    assert read_replies(_write(tmp_path / "samples_veriscene.jsonl", logged)) == {r["id"]: r["reply"] for r in plain}
    lmms = evaluate(demo_run, f"replay:{tmp_path / 'samples_veriscene.jsonl'}", tmp_path / "lmms", freeform="off",
                    reports=False)
    ours = evaluate(demo_run, f"replay:{_write(tmp_path / 'plain.jsonl', plain)}", tmp_path / "plain",
                    freeform="off", reports=False)
    assert lmms.accuracy == ours.accuracy and lmms.counts["replies_read"] == ours.counts["replies_read"] == len(plain)
    # the descriptions the task folder leaves out have no reply: said as lmms-eval's, with why
    from veriscene.evaluate.report import retry_advice

    said = retry_advice(orjson.loads((tmp_path / "lmms" / "summary.json").read_bytes()))
    assert said.startswith("lmms-eval's samples file has no reply for these samples") and "free-form" in said
    assert retry_advice(orjson.loads((tmp_path / "plain" / "summary.json").read_bytes())).startswith(
        "the replies file has no reply for these samples")
    nested = {"doc_id": 0, "doc": logged[0]["doc"], "resps": [["a", "b"]]}  # no filtered_resps: the first response
    assert read_replies(_write(tmp_path / "nested.jsonl", [nested])) == {logged[0]["doc"]["id"]: "a"}


def test_an_lmms_eval_line_of_another_task_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "samples_mme.jsonl", [{"doc_id": 3, "doc": {"question_id": "q3"}, "filtered_resps": ["Yes"]}])
    with pytest.raises(DataError, match=r"samples_mme\.jsonl, line 1: an lmms-eval samples line \(doc_id 3\) whose "
                                        r"field 'doc\.id' is missing or no sample id: only the tasks `veriscene "
                                        r"export --to lmms_eval` writes"):
        read_replies(path)
    path = _write(tmp_path / "samples_bad.jsonl", [{"doc_id": 0, "doc": {"id": "a"}, "filtered_resps": [[7]]}])
    with pytest.raises(DataError, match=r"line 1: field 'filtered_resps\[0\]\[0\]' of an lmms-eval samples line is "
                                        r"a number \(7\), not the reply's text"):
        read_replies(path)


def test_replies_written_as_one_json_document_replay_as_their_jsonl(demo_run: Path, tmp_path: Path) -> None:
    """A notebook's json.dump of the replies: a list of {"id", "reply"} records (indented over
    several lines), or an object of id -> reply. Before: "line 1: not valid JSON (unexpected end
    of data ...)" and "line 1: field 'id' is missing"."""
    records = [{"id": s["id"], "reply": planned_reply(s)} for s in samples(demo_run)]
    expected = {r["id"]: r["reply"] for r in records}
    listed = tmp_path / "replies.json"
    listed.write_bytes(orjson.dumps(records, option=orjson.OPT_INDENT_2))
    mapped = tmp_path / "replies_by_id.json"
    mapped.write_bytes(orjson.dumps(expected))
    assert read_replies(listed) == read_replies(mapped) == expected
    ours = evaluate(demo_run, f"replay:{_write(tmp_path / 'plain.jsonl', records)}", tmp_path / "plain",
                    freeform="off", reports=False)
    for path in (listed, mapped):
        again = evaluate(demo_run, f"replay:{path}", tmp_path / path.stem, freeform="off", reports=False)
        assert again.accuracy == ours.accuracy and again.counts["replies_read"] == ours.counts["replies_read"]
    listed.write_bytes(orjson.dumps([records[0], {"id": records[0]["id"], "reply": "?!"}]))
    with pytest.raises(DataError, match=r"replies\.json, item 1 of its list: sample .* has another reply before it"):
        read_replies(listed)
    mapped.write_bytes(orjson.dumps({"a": "yes", "b": 3}))
    with pytest.raises(DataError, match=r"replies_by_id\.json, key 'b': the value is a number \(3\), not the reply's "
                                        r"text"):
        read_replies(mapped)
    assert read_replies(_write(tmp_path / "one.jsonl", records[:1])) == {records[0]["id"]: records[0]["reply"]}
