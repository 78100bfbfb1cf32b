"""Prompt sets of the wrong kind are refused, naming the field. Before, `always_instruct: "no"`
was true, an instruction None was sent as the text "None", a system message 3 was sent as 3, and
a prompts file that is not there was os's "[Errno 2] No such file or directory" (now with what
else `prompts` may be)."""

from __future__ import annotations

import pytest

from veriscene.evaluate import PromptSet
from veriscene.evaluate.prompts import load_prompts


@pytest.mark.parametrize(("fields", "said"), [
    ({"always_instruct": "no"}, "prompts: prompt always_instruct must be true or false, got 'no'"),
    ({"instructions": {"bool": None}}, "prompts: prompt instructions['bool'] must be text (a str), got None"),
    ({"system": 3}, "prompts: prompt system must be the system message (a str) or None, got 3"),
    ({"template": 3}, "prompts: prompt template must be text (a str), got 3"),
    ({"request": ["Think first."]}, "prompts: prompt request must be text (a str), got ['Think first.']"),
])
def test_a_field_of_the_wrong_kind_is_named(fields: dict, said: str) -> None:
    with pytest.raises(TypeError) as info:
        load_prompts(fields)
    assert str(info.value) == said


def test_in_a_file_it_is_a_fault_of_the_file(tmp_path) -> None:
    path = tmp_path / "prompts.json"
    path.write_text('{"always_instruct": "false"}')
    with pytest.raises(ValueError, match=r"prompts.json: prompt always_instruct must be true or false, got 'false'"):
        load_prompts(path)


def test_prompt_sets_made_directly_are_checked() -> None:
    with pytest.raises(TypeError, match="instructions must be a dict of answer type"):
        PromptSet(instructions=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="prompt template must be text"):
        PromptSet(template=3)  # type: ignore[arg-type]
    assert PromptSet(system="Be brief.", always_instruct=True).system == "Be brief."


def test_a_missing_prompts_file_is_named_with_the_built_in_sets(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"No such file or directory \(prompts: a JSON file, or a built-in "
                                                r"set: 'reasoning'\): '.*nope.json'"):
        load_prompts(tmp_path / "nope.json")
    with pytest.raises(TypeError, match="prompts must be a prompts JSON file"):
        load_prompts(["reasoning"])  # type: ignore[arg-type]
    assert load_prompts("reasoning").request
