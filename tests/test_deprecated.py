"""Renamed keywords: the old name works once more, with a warning naming both."""

from __future__ import annotations

import inspect

import pytest

from veriscene.deprecated import renamed_keywords


@renamed_keywords(rejects_path="rejects")
def write(out: str, *, rejects: str | None = None) -> tuple[str, str | None]:
    return out, rejects


def test_the_old_name_is_passed_on_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match=r"write\(rejects_path=\.\.\.\) is deprecated .* use rejects= "
                                                r"\(the CLI's --rejects\)"):
        assert write("a", rejects_path="r.jsonl") == ("a", "r.jsonl")
    assert write("a", rejects="r.jsonl") == ("a", "r.jsonl")


def test_both_names_are_refused_and_the_signature_shows_the_new_one() -> None:
    with pytest.raises(TypeError, match="both rejects_path= and rejects="):
        write("a", rejects_path="x", rejects="y")
    assert list(inspect.signature(write).parameters) == ["out", "rejects"]
