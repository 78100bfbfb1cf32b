"""The request cache options said, never ignored (helper-206): `score_freeform(cache=PATH)` with
the rules extractor is refused as the score-freeform command refuses --cache FILE with it (one
check, `api.check_cache`, one message); True (the default) and False are taken."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.evaluate import score_freeform
from veriscene.option_names import cli_names

from .one_reply import one_reply

runner = CliRunner()


@pytest.mark.parametrize("as_path", [str, Path])
def test_a_cache_file_with_the_rules_is_refused_in_python(tmp_path: Path, as_path: type) -> None:
    responses, scenes = one_reply(tmp_path)
    cache = tmp_path / "x.sqlite"
    with pytest.raises(ValueError) as caught:
        score_freeform(responses, scenes, matcher="lexical", extractor="rules", cache=as_path(cache))
    said = str(caught.value)
    # named as score_freeform() takes it; the CLI names --cache (`option_names`)
    assert said == (f"cache={str(cache)!r} is the request cache of extractor='llm' (its claim extractions); the rules "
                    "extractor asks no model: give extractor='llm' with it, or leave cache out (or give cache=False)")
    assert not cache.exists()


def test_a_cache_file_with_an_extractor_of_ones_own_is_refused(tmp_path: Path) -> None:
    class Mine:
        def extract(self, text: str) -> list[object]:
            return []

    responses, scenes = one_reply(tmp_path)
    with pytest.raises(ValueError, match=r"an extractor of one's own \(Mine\) is not asked through it"):
        score_freeform(responses, scenes, matcher="lexical", extractor=Mine(), cache=tmp_path / "x.sqlite")


@pytest.mark.parametrize("cache", [True, False])
def test_cache_on_or_off_with_the_rules_scores(tmp_path: Path, cache: bool) -> None:
    # nothing to turn on or off: scored as without it, and no cache file made
    responses, scenes = one_reply(tmp_path)
    report = score_freeform(responses, scenes, matcher="lexical", cache=cache)
    assert report.summary()["n"] == 1 and report.extractor_requests is None
    assert not (tmp_path / "requests.sqlite").exists()


def test_the_command_says_the_same_message(tmp_path: Path) -> None:
    responses, scenes = one_reply(tmp_path)
    cache = tmp_path / "x.sqlite"
    with cli_names(), pytest.raises(ValueError) as caught:  # (the message in the CLI's names)
        score_freeform(responses, scenes, matcher="lexical", cache=cache)
    result = runner.invoke(app, ["score-freeform", str(responses), "--scenes", str(scenes), "--matcher", "lexical",
                                 "--cache", str(cache)])
    assert result.exit_code == 2, result.output
    assert " ".join(result.output.split()) == f"error: {' '.join(str(caught.value).split())}"


def test_replies_without_scene_graphs_name_scenes_as_the_caller_gives_it(tmp_path: Path) -> None:
    responses, _ = one_reply(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"naming the samples\): give them with scenes=$"):
        score_freeform(responses, matcher="lexical")
    with cli_names(), pytest.raises(FileNotFoundError, match=r"give them with --scenes FILE$"):
        score_freeform(responses, matcher="lexical")
