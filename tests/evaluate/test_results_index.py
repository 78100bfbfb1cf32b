"""An earlier run's results found by id from an index of a few bytes a line (`PreviousResults`):
the records, the answer to "did it get a reply", the mending of a torn file and the refusal of a
broken one are those of reading the whole file (`read_results`)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.errors import DataError
from veriscene.evaluate import results
from veriscene.evaluate.results import PreviousResults, read_results


def line(sid: str, status: str = "scored", **more: object) -> bytes:
    return orjson.dumps({"id": sid, "status": status, "reply": f"reply of {sid}", **more}) + b"\n"


# a run's results as it leaves them: replies, errors asked again, blank lines, killed mid-write
BODIES = {
    "replies": line("a") + line("b", "error") + line("c") + line("b") + b"\n" + line("a", "error"),
    "errors only": line("a", "error") + line("b", "error") + line("a", "error"),
    "a reply, then its error": line("a") + line("a", "error"),
    "torn last line": line("a") + line("b", "error") + b'{"id": "c", "sta',
    "torn line and nothing after": line("a") + b'{"id": "c", "sta\n',
    "torn line and a piece": line("a") + b'{"id": "c", "sta\n{"id": "d"',
    "last line without its newline": line("a", "error") + line("b").rstrip(b"\n"),
    "blank tail": line("a") + b"   ",
    "empty": b"",
}


@pytest.mark.parametrize("one_hash", [False, True], ids=["hashes", "every id of one hash"])
@pytest.mark.parametrize("body", list(BODIES), ids=list(BODIES))
def test_the_index_finds_what_reading_the_whole_file_finds(tmp_path: Path, body: str, one_hash: bool,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    if one_hash:  # ids of one hash are told apart by reading them
        monkeypatch.setattr(results, "_id_hash", lambda sample_id: 5)
    whole, indexed = tmp_path / "whole.jsonl", tmp_path / "indexed.jsonl"
    whole.write_bytes(BODIES[body])
    indexed.write_bytes(BODIES[body])
    expected = read_results(whole)
    index = PreviousResults(indexed)
    assert indexed.read_bytes() == whole.read_bytes()  # mended alike
    ids = ["a", "b", "c", "d", "zz"]
    assert index.records_of(ids) == {sid: expected[sid] for sid in ids if sid in expected}
    assert index.replied() == any(r.get("status") != "error" for r in expected.values())


def test_a_broken_line_before_others_is_refused_alike(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(line("a") + b"{not json\n" + line("b"))
    with pytest.raises(DataError) as whole:
        read_results(path)
    with pytest.raises(DataError) as indexed:
        PreviousResults(path)
    assert str(indexed.value) == str(whole.value) and "line 2: not valid JSON" in str(whole.value)
    path.write_bytes(line("a") + b'{"reply": "x"}\n')
    with pytest.raises(DataError, match="line 2: field 'id' is missing"):
        PreviousResults(path)
