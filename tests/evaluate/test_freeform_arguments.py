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


@pytest.mark.parametrize("given", ["folder", "new/", "afile/scores.jsonl"])
def test_an_out_that_cannot_be_the_scores_file_is_refused_before_any_reply_is_scored(tmp_path, given: str) -> None:
    """Before: a folder or a file above `out` failed with "[Errno 21] Is a directory" or "[Errno 20]
    Not a directory" once every reply was scored, and `out="new/"` wrote a file named `new`."""
    from veriscene.io.writers.files import OutputError

    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("x")
    responses = tmp_path / "responses.jsonl"
    responses.write_text('{"image_id": "a", "reply": "A cat."}\n')
    out = f"{tmp_path}/{given}"
    error, said = {
        "folder": (IsADirectoryError, f"out {out} is a folder: give the file to write (e.g. {out}/freeform.jsonl)"),
        "new/": (IsADirectoryError, f"out {out} names a folder (it ends in /): give the file to write "
                                    f"(e.g. {tmp_path}/new/freeform.jsonl)"),
        "afile/scores.jsonl": (OutputError, f"out {out}: cannot write there: {tmp_path}/afile is a file, not a folder"),
    }[given]
    with pytest.raises(error) as info:
        score_freeform(responses, tmp_path / "missing_scenes.jsonl", out=out)
    assert str(info.value) == said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "folder", "responses.jsonl"]
