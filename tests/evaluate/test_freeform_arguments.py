"""`score_freeform` refuses arguments of the wrong kind before reading anything. Before, `out=3`
opened file descriptor 3 (whatever file the process held there) and wrote the scores into it,
and a misspelt matcher was found only once every reply had been read."""

from __future__ import annotations

import os

import pytest

from veriscene.evaluate import score_freeform


@pytest.mark.parametrize(("kwargs", "error", "said"), [
    ({"responses": None}, TypeError, ("responses must be the responses file (JSONL of id and reply), a str or a path; "
                                     "got None")),
    ({"out": 3}, TypeError, "out must be the file to write the scores to, a str or a path; got 3"),
    ({"samples": 3}, TypeError, "samples must be the samples file the replies answer, a str or a path; got 3"),
    ({"matcher": "lexcal"}, ValueError, "unknown matcher 'lexcal'; expected auto, minilm or lexical"),
    ({"extractor": "rulez"}, ValueError, "unknown claim extractor 'rulez'; expected rules or llm"),
])
def test_wrong_arguments_are_named_before_any_file(tmp_path, kwargs: dict, error: type, said: str) -> None:
    responses = tmp_path / "responses.jsonl"
    given = {"responses": responses} | kwargs
    read, write = os.pipe()  # descriptor 3 or above, open: `out=3` would have written into one
    try:
        with pytest.raises(error) as info:
            score_freeform(given.pop("responses"), tmp_path / "missing_scenes.jsonl", **given)
    finally:
        os.close(read)
        os.close(write)
    assert str(info.value) == said
