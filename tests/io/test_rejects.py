"""The reject report resumed: the rejects it keeps are held as a run not stopped holds them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.io.rejects import Reject, RejectReport


def test_a_resumed_report_holds_its_kept_rejects_first(tmp_path: Path) -> None:
    path = tmp_path / "rejects.jsonl"
    first, second, third = (Reject("a.json", n, "box", f"bad box {n}") for n in (1, 2, 3))
    with RejectReport(path) as report:
        report.record(first)
        kept = report.tell()
        report.record(second)  # written after the state a resume goes back to: cut
    with RejectReport(path, append_at=kept) as resumed:
        assert resumed.entries == [first]
        resumed.record(third)
        assert resumed.entries == [first, third]
        assert sum(resumed.rejected.values()) == 1  # counts are the resumed run's to restore
    assert [json.loads(line)["record"] for line in path.read_text().splitlines()] == [1, 3]


def test_a_resumed_report_holds_no_more_than_keep(tmp_path: Path) -> None:
    path = tmp_path / "rejects.jsonl"
    with RejectReport(path) as report:
        for n in range(5):
            report.record(Reject("a.json", n, None, "bad"))
        kept = report.tell()
    with RejectReport(path, append_at=kept, keep=2) as resumed:
        assert [e.record for e in resumed.entries] == [0, 1]


def test_text_no_utf8_file_holds_is_written_as_its_escape(tmp_path: Path) -> None:
    """A lone surrogate ("\\ud800": a JSON escape, or a file name of undecodable bytes) in a
    reject made orjson raise, and the run writing the report ended."""
    path, copy = tmp_path / "rejects.jsonl", tmp_path / "copy.jsonl"
    bad = Reject("scenes\udcff.json", "image \ud800", "objects[0].name", "name 'x\ud800' is not text")
    with RejectReport(path) as report:
        report.record(bad)
        report.record(Reject("a.json", 2, None, "fine"))
    report.write(copy)
    for written in (path, copy):
        first, second = (json.loads(line) for line in written.read_text(encoding="utf-8").splitlines())
        assert first["file"] == "scenes\\udcff.json" and first["record"] == "image \\ud800"
        assert first["reason"] == "name 'x\\ud800' is not text" and second["reason"] == "fine"


def test_a_deferred_report_is_made_at_its_first_reject_or_at_its_end(tmp_path: Path) -> None:
    reject = Reject("a.json", 1, "box", "bad box")
    with RejectReport(tmp_path / "one" / "rejects.jsonl", deferred=True) as report:
        assert not (tmp_path / "one").exists()
        report.record(reject)
        assert (tmp_path / "one" / "rejects.jsonl").is_file()  # written as it arrives, as without deferred
    assert [json.loads(line)["reason"] for line in (tmp_path / "one" / "rejects.jsonl").read_text().splitlines()] == [
        "bad box"]
    with RejectReport(tmp_path / "none" / "rejects.jsonl", deferred=True):
        pass
    assert (tmp_path / "none" / "rejects.jsonl").read_bytes() == b""  # no reject: an empty report, as before


def test_a_deferred_report_left_by_an_error_before_any_reject_makes_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="option refused"), RejectReport(tmp_path / "r" / "rejects.jsonl",
                                                                         deferred=True):
        raise ValueError("option refused")
    assert not (tmp_path / "r").exists()
