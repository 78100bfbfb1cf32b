"""`veriscene export` names the format or --mc-style meant when one is misspelt, as `generate --to`
and `export(to=...)` in Python do (helper-197: `--to lava` listed the formats only)."""

from __future__ import annotations

import pytest

from veriscene.commands.export import usage_error


@pytest.mark.parametrize(("to", "mc_style", "said"), [
    ("lava", None, "unknown format 'lava'; did you mean 'llava'?; choose one of llava, sharegpt,"),
    ("parqet", None, "unknown format 'parqet'; did you mean 'parquet'?; choose one of"),
    ("sharegtp", None, "did you mean 'sharegpt'?"),
    ("lmms-eval", None, "did you mean 'lmms_eval'?"),
    ("xyz", None, "unknown format 'xyz'; choose one of llava"),  # nothing close: the list alone
    ("llava", "letters", "unknown --mc-style 'letters'; did you mean 'letter' or 'letter_text'?; choose one of"),
])
def test_a_misspelt_name_is_answered_with_the_one_meant(to: str, mc_style: str | None, said: str) -> None:
    message = usage_error(to, None, mc_style, False, None)
    assert message is not None and said in message, message


def test_known_names_pass() -> None:
    assert usage_error("llava", None, "letter_text", False, None) is None
