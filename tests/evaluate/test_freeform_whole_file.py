"""`score-freeform --out` (and eval's freeform.jsonl) is written whole or not at all: a write
failing part-way (a full disk) leaves an earlier file as it was and no temporary beside it.
Before, it was written in place: half a file of scores stood where a good one was."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.evaluate.test_freeform import _captions, _plant
from tests.file_limit import listing, posix_only, writes_cut_at
from veriscene.evaluate import score_freeform


def _replies(demo_run: Path, folder: Path) -> Path:
    cap = _captions(demo_run)[0]
    path = folder / "replies.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"id": f"r{k}", "image_id": cap["images"][0]["id"],
                                            "response": _plant(cap["answer"])}) + b"\n" for k in range(40)))
    return path


def test_the_scores_are_written_as_before(demo_run: Path, tmp_path: Path) -> None:
    report = score_freeform(_replies(demo_run, tmp_path), demo_run / "scenes.jsonl", matcher="lexical",
                            out=tmp_path / "scores.jsonl")
    assert (tmp_path / "scores.jsonl").read_bytes() == b"".join(orjson.dumps(r) + b"\n" for r in report.records)
    assert sorted(listing(tmp_path)) == ["replies.jsonl", "scores.jsonl"]


@posix_only
def test_scores_cut_short_leave_the_earlier_file_whole(demo_run: Path, tmp_path: Path) -> None:
    replies = _replies(demo_run, tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "scores.jsonl").write_bytes(b'{"id": "earlier"}\n')
    with writes_cut_at(4096), pytest.raises(OSError, match="File too large"):  # (the scores: some 20 kB)
        score_freeform(replies, demo_run / "scenes.jsonl", matcher="lexical", out=tmp_path / "out" / "scores.jsonl")
    assert listing(tmp_path / "out") == {"scores.jsonl": b'{"id": "earlier"}\n'}


def test_a_missing_folder_is_named_not_the_temporary_name(demo_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "scores.jsonl"
    with pytest.raises(FileNotFoundError) as info:
        score_freeform(_replies(demo_run, tmp_path), demo_run / "scenes.jsonl", matcher="lexical", out=out)
    assert str(info.value) == f"[Errno 2] No such file or directory: '{out}'"
