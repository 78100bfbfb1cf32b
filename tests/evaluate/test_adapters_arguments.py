"""Model adapters called with options of the wrong kind: named, before any request. Before, a
number as base_url raised "'int' object has no attribute 'decode'" from urllib, timeout="1"
"'<=' not supported between instances of 'str' and 'int'", and a FunctionModel took any name."""

from __future__ import annotations

import pytest

from veriscene.evaluate import FunctionModel, load_model

URL = "http://localhost:9/v1"


@pytest.mark.parametrize(("options", "said"), [
    ({"base_url": 8000}, "base_url must be the server's URL (a str, e.g. 'http://localhost:8000/v1'), got 8000"),
    ({"base_url": URL, "timeout": "1"}, "timeout must be a number, got '1'"),
    ({"base_url": URL, "concurrency": 2.5}, "concurrency must be a whole number, got 2.5"),
    ({"base_url": URL, "temperature": "hot"}, "temperature must be a number, got 'hot'"),
    ({"base_url": URL, "extra_params": "top_p=0.9"}, "extra_params must be a dict of request fields"),
    ({"base_url": URL, "temprature": 0}, "openai:NAME models take no option 'temprature' (did you mean 'temperature'?)"),
])
def test_openai_options_of_the_wrong_kind_are_named(options: dict, said: str) -> None:
    with pytest.raises(TypeError) as info:
        load_model("openai:m", **options)
    assert str(info.value).startswith(said)
    assert load_model("openai:m", base_url=URL, temperature=0.2).params["temperature"] == 0.2


def test_function_model_names_its_name_and_params() -> None:
    def answer(request) -> str:
        return "yes"

    for name in (3, "", "  "):
        with pytest.raises(TypeError, match="FunctionModel name must be a non-empty str"):
            FunctionModel(answer, name=name)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="FunctionModel params must be a dict"):
        FunctionModel(answer, params=3)  # type: ignore[arg-type]
    assert FunctionModel(answer, name="yes-bot", params={"k": 1}).identity()["model"] == "yes-bot"
