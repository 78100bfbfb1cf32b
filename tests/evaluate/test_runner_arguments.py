"""`evaluate` called with arguments of the wrong kind: refused before any file is read or
written, naming the argument. Before, `prompts=3` and `out=None` raised os.fspath's "expected
str, bytes or os.PathLike object, not int"; a misspelt scoring option made every sample an
error; an empty `families` evaluated every sample; `scenes=3` was taken."""

from __future__ import annotations

import pytest

from veriscene.evaluate import evaluate


def _fn(request) -> str:
    return "yes"


@pytest.mark.parametrize(("options", "error", "said"), [
    ({"prompts": 3}, TypeError, ("prompts must be a prompts JSON file (a str or a path), the name of a built-in set "
                                "('reasoning'), a dict of prompt fields (instructions, template, system, "
                                "always_instruct, request) or a PromptSet, or None; got 3")),
    ({"samples": None}, TypeError, "samples must be a samples file or a run folder, a str or a path; got None"),
    ({"out": None}, TypeError, "out must be the folder to write results to, a str or a path; got None"),
    ({"base_url": 8000}, TypeError, ("base_url must be the server's URL (a str, e.g. 'http://localhost:8000/v1') or "
                                    "None, got 8000")),
    ({"scenes": 3}, TypeError, ("scenes must be scene files (a file, a folder or a glob pattern, or a list of them), "
                               "Scenes, or a dict of image id to Scene; got 3")),
    ({"families": ""}, ValueError, ("families is empty (''): give family or generator names, or leave it out (None) "
                                   "to evaluate every sample")),
    ({"families": []}, ValueError, ("families is empty ([]): give family or generator names, or leave it out (None) "
                                   "to evaluate every sample")),
    ({"score_options": {"iou_treshold": 0.7}}, TypeError, ("score_options got an unknown option 'iou_treshold' (did "
                                                          "you mean 'iou_threshold'?)")),
    ({"score_options": {"think_tags": "think"}}, TypeError, ("think_tags must be a list of tag names (e.g. ['think']), "
                                                            "got 'think'")),
])
def test_wrong_arguments_are_named_before_any_file(demo_run, tmp_path, monkeypatch, options, error, said) -> None:
    monkeypatch.chdir(tmp_path)
    given = {"samples": demo_run / "samples.jsonl", "out": tmp_path / "out"} | options
    with pytest.raises(error) as info:
        evaluate(given.pop("samples"), _fn, given.pop("out"), **given)
    assert str(info.value).startswith(said)
    assert list(tmp_path.iterdir()) == []


def test_a_function_that_returns_no_text_fails_its_samples_not_the_run(demo_run, tmp_path) -> None:
    # before: None went into the request cache (sqlite IntegrityError: the run died); 3 was cached
    # and then "reply must be a string" per sample
    for returned, name in ((None, "NoneType"), (3, "int")):
        summary = evaluate(demo_run, lambda request, value=returned: value, tmp_path / name, limit=3, reports=False)
        assert summary.counts["errors"] == 3
        assert summary.summary["error_reasons"] == [[(f"TypeError: the function returned {name}, not the reply as "
                                                     "a str"), 3]]
    assert evaluate(demo_run, _fn, tmp_path / "ok", limit=3, reports=False).counts["errors"] == 0
