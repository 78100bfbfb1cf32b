"""The report states the run's settings (model, generation, selection, prompts, vocabulary,
request options, retries, intervals) and names its interval by the run's confidence."""

from __future__ import annotations

import html
from pathlib import Path

import orjson
import pytest

from tests.evaluate.conftest import samples
from tests.evaluate.test_cli_errors import write_replies
from veriscene.evaluate import evaluate
from veriscene.evaluate.report import header, settings_rows, to_markdown
from veriscene.option_names import cli_names


def summary_of(**over: object) -> dict:
    base = {"model": {"adapter": "openai", "model": "qwen", "params": {"temperature": 0.0, "max_tokens": 512}},
            "samples": "demo", "selection": {"limit": 600, "seed": 1, "families": None, "selected": 600,
                                             "in_file": 16520},
            "settings": {"started": "2026-12-04T13:00:00+00:00",
                         "requests": {"concurrency": 16, "timeout": 120.0, "max_retries": 6},
                         "prompts": {"builtin": False, "system": "Be brief.", "template": "{question}\n{instruction}",
                                     "always_instruct": False, "instructions_changed": {"bool": "yes or no"}}},
            "counts": {"requests_sent": 600, "attempts": 613}, "scoring_vocabulary": "/r/vocabulary.json",
            "bootstrap": {"resamples": 1000, "confidence": 0.95, "seed": 0}, "veriscene_version": "0.9.0"}
    base.update(over)
    return base


def test_settings_rows_say_what_it_takes_to_run_it_again() -> None:
    rows = dict(settings_rows(summary_of()))
    assert rows == {
        "model": "openai:qwen",
        "generation": "temperature 0.0, max_tokens 512",
        "samples": "demo: 600 of 16520 samples (limit=600, seed=1)",
        "prompts": "system 'Be brief.'; own instructions for bool",
        "scoring vocabulary": "/r/vocabulary.json",
        "requests": "concurrency 16, timeout 120.0, max_retries 6",
        "HTTP attempts": "613 for 600 requests (13 retries)",
        "intervals": "95% percentile bootstrap over samples, 1000 resamples (exact binomial where all are right "
                     "or all wrong)",
        "veriscene": "0.9.0, started 2026-12-04T13:00:00+00:00",
    }
    with cli_names():  # the CLI's report names the CLI's options (`option_names`)
        assert dict(settings_rows(summary_of()))["samples"] == "demo: 600 of 16520 samples (--limit 600 --seed 1)"


def test_a_local_model_is_named_by_the_spec_that_runs_it_again() -> None:
    """`--model hf:/models/llava-tiny` read 'transformers:llava-tiny' in the run settings: neither
    the spec given nor one that runs it again."""
    model = {"adapter": "transformers", "model": "llava-tiny", "source": "/models/llava-tiny", "params": {}}
    assert dict(settings_rows(summary_of(model=model)))["model"] == "hf:/models/llava-tiny"
    given = {**model, "source": None}  # (a model object given in Python: no folder)
    assert dict(settings_rows(summary_of(model=given)))["model"] == "transformers:llava-tiny"


def test_a_summary_of_an_older_release_gives_what_it_has() -> None:
    old = summary_of(scoring_vocabulary=None, selection={"selected": 5, "in_file": 5, "limit": None})
    del old["settings"], old["counts"]["attempts"]
    rows = dict(settings_rows(old))
    assert rows["samples"] == "demo: 5 of 5 samples (all)"
    assert rows["scoring vocabulary"].startswith("none (built-in words only")
    assert "prompts" not in rows and "requests" not in rows and "HTTP attempts" not in rows


@pytest.mark.parametrize("confidence, label", [(0.95, "95% CI"), (0.9, "90% CI")])
def test_the_interval_column_is_named_by_the_runs_confidence(confidence: float, label: str) -> None:
    assert header({"bootstrap": {"confidence": confidence}})[3] == label


def test_a_replay_run_reports_its_settings(demo_run: Path, tmp_path: Path) -> None:
    replies = write_replies(tmp_path / "replies.jsonl", samples(demo_run)[:6])
    result = evaluate(demo_run, f"replay:{replies}", tmp_path / "o", limit=6, freeform="off", confidence=0.9,
                      prompts={"system": "Be brief."})
    settings = result.summary["settings"]
    assert settings["prompts"]["builtin"] is False and settings["prompts"]["system"] == "Be brief."
    assert settings["requests"] == {} and result.counts["attempts"] == 0
    text = (tmp_path / "o" / "report.md").read_text()
    assert "| prompts | system 'Be brief.' |" in text and "| 90% CI |" in text
    assert "HTTP attempts" not in text  # a replay sends none
    assert "| model | replay:replies.jsonl |" in text  # (was 'replay:replay:replies.jsonl')
    assert to_markdown(result.summary) == text


def test_replies_cut_at_the_token_limit_are_counted_and_said(demo_run: Path, tmp_path: Path) -> None:
    from veriscene.evaluate.adapters.base import Completion, Model

    class Thinker(Model):
        """Cuts every other reply short in its thinking, as a reasoning model at a low max_tokens does."""

        name = "thinker"
        params = {"max_tokens": 64}

        def generate(self, requests, on_done) -> None:
            for k, r in enumerate(requests):
                cut = k % 2 == 0
                on_done(Completion(key=r.key, text="<think>Let me count the" if cut else "yes",
                                   info={"finish_reason": "length" if cut else "stop"}))

    result = evaluate(demo_run, Thinker(), tmp_path / "o", limit=6, freeform="off", families="object")
    assert result.counts["cut_at_max_tokens"] == 3 and result.counts["cut_unparsed"] == 3
    text = (tmp_path / "o" / "report.md").read_text()
    assert ("**3 replies stopped at the token limit (finish reason 'length'), 3 of them unparseable: raise "
            "max_tokens (model_options; max_new_tokens for an hf: model) (now 64).**") in text
    assert "stopped at the token limit" not in to_markdown({**result.summary, "counts": {
        **result.counts, "cut_at_max_tokens": 0}})


def test_the_html_free_form_table_has_its_intervals() -> None:
    from veriscene.evaluate.report import to_html

    summary = summary_of(overall={"n": 0, "accuracy": None, "ci_low": None, "ci_high": None, "mean_score": None,
                                  "parse_failures": 0, "parse_failure_rate": None, "errors": 0, "not_scored": 2},
                         complete=True, freeform={"n": 2, "helpfulness": 0.5, "helpfulness_ci": [0.25, 0.75],
                                                  "truthfulness": 1.0, "truthfulness_ci": [1.0, 1.0]})
    summary["counts"].update(selected=2, from_cache=0, errors=0, rejected_lines=0)
    page = to_html(summary)
    assert "<td>helpfulness</td><td>50.0</td><td>[25.0, 75.0]</td>" in page
    assert "<td>truthfulness</td><td>100.0</td><td>[100.0, 100.0]</td>" in page


def test_free_form_scoring_skipped_for_want_of_scenes_is_said(demo_run: Path, tmp_path: Path) -> None:
    """A samples file without its run's manifest (and no --scenes): the descriptions cannot be
    scored. The report, its HTML page and the command say why; before, the report said "the 2
    free-form replies (descriptions) are scored in 'Free-form answers' below", then "0 replies;
    claims extracted by None, matched with None", and the reason was in summary.json alone."""
    import shutil

    from typer.testing import CliRunner

    from veriscene.cli import app
    from veriscene.evaluate.report import to_html

    alone = tmp_path / "alone"
    shutil.copytree(demo_run / "images", alone / "images")
    shutil.copy(demo_run / "samples.jsonl", alone / "samples.jsonl")
    described = [s for s in samples(demo_run) if s["task"] == "scene_graph.caption.v1"]
    counted = [s for s in samples(demo_run) if s["task"] == "object.count.v1"]  # multi-step, for --process
    replies = write_replies(tmp_path / "replies.jsonl", described, reply="There is a red circle.")
    replies.write_bytes(replies.read_bytes() + write_replies(tmp_path / "counts.jsonl", counted, "2").read_bytes())
    result = CliRunner().invoke(app, ["eval", str(alone / "samples.jsonl"), "--model", f"replay:{replies}",
                                      "--out", str(tmp_path / "o"), "--families",
                                      "scene_graph.caption.v1,object.count.v1",
                                      "--freeform-matcher", "lexical", "--process"])
    assert result.exit_code == 0, result.output
    reason = (f"free-form replies not scored: {alone} has no manifest.json to name its scenes: give the scene file "
              "with --scenes FILE")  # (the CLI's option; evaluate(scenes=...) in Python: `option_names`)
    summary = orjson.loads((tmp_path / "o" / "summary.json").read_bytes())
    assert summary["freeform"] == {"skipped": reason}
    text = (tmp_path / "o" / "report.md").read_text()
    assert f"## Free-form answers\n\n**{reason}.**" in text
    assert "claims extracted by None" not in text and "are scored in \"Free-form answers\" below" not in text
    assert f"<p class='warn'>{html.escape(reason)}.</p>" in to_html(summary)
    assert f"warning {reason}\n" in result.stderr
    # --process's reasoning scores, skipped alike: said in the HTML page and on stderr too (the Markdown said it)
    skipped = summary["process"]["skipped"]
    assert skipped.startswith("reasoning not scored: ") and f"## Reasoning steps\n\n{skipped}" in text
    assert f"<p class='warn'>{html.escape(skipped)}.</p>" in to_html(summary)
    assert f"warning {skipped}\n" in result.stderr
