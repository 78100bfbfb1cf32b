"""Errors name an option as the caller gave it (`veriscene.option_names`): the Python name to a
Python caller of eval / annotate, the CLI option to a command's user, never both."""

from __future__ import annotations

import pytest

from veriscene.annotate.runfile import annotate_run, start_over
from veriscene.evaluate import ModelConfigError, load_model
from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel
from veriscene.evaluate.prompts import check_one_system
from veriscene.option_names import cli_names, option


def test_an_option_is_named_as_the_caller_gives_it() -> None:
    assert option("base_url", "--base-url") == "base_url"
    with cli_names():
        assert option("base_url", "--base-url") == "--base-url"
        with cli_names():
            pass
        assert option("base_url", "--base-url") == "--base-url"  # (an inner block leaves the outer's)
    assert option("base_url", "--base-url") == "base_url"


def test_eval_over_python_names_the_python_options() -> None:
    with pytest.raises(ModelConfigError) as raised:
        load_model("openai:m")
    assert str(raised.value) == "openai:NAME needs base_url, e.g. http://localhost:8000/v1"
    with pytest.raises(ModelConfigError) as raised:
        OpenAIChatModel("m", "ftp://host/v1")
    assert str(raised.value).startswith("base_url must be an http(s) URL like http://localhost:8000/v1")
    with pytest.raises(ValueError) as raised:
        check_one_system("Be careful.", "Be brief.")
    assert str(raised.value) == ("two system messages: the prompts' 'Be careful.' and system='Be brief.'; give it "
                                 "once, in the prompts file or with system=")
    with pytest.raises(ModelConfigError) as raised:
        OpenAIChatModel("", "http://localhost:8000/v1")
    assert "--" not in str(raised.value)


def test_annotate_names_its_python_options() -> None:
    assert start_over() == "call annotate again with resume=False to annotate the images again"
    assert annotate_run().again == " (with resume=True to go on from the images it finished)"
    with cli_names():
        assert start_over() == "run without --resume to annotate the images again"
        assert annotate_run().again == " (with --resume to go on from the images it finished)"
