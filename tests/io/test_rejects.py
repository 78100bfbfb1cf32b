"""The reject report resumed: the rejects it keeps are held as a run not stopped holds them."""

from __future__ import annotations

import json
from pathlib import Path

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
