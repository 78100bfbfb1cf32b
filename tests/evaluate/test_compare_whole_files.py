"""`compare --out` writes compare.md and compare.html whole, both or neither: a write failing
part-way (a full disk) leaves the earlier ones as they were, no temporary beside them, and no
folder made for them. Before, each was written in place: half a page, or a new compare.md beside
the earlier run's compare.html."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.evaluate.test_compare import replay
from tests.file_limit import listing, posix_only, writes_cut_at
from veriscene.evaluate import compare
from veriscene.evaluate.compare import to_markdown

EARLIER = {"compare.md": b"the earlier table\n", "compare.html": b"<p>the earlier page</p>\n"}


@pytest.fixture
def runs(demo_run: Path, tmp_path: Path) -> list[Path]:
    return [replay(demo_run, tmp_path, "a", 10_000, limit=12), replay(demo_run, tmp_path, "b", 6, limit=12)]


def _earlier(folder: Path) -> Path:
    folder.mkdir()
    for name, data in EARLIER.items():
        (folder / name).write_bytes(data)
    return folder


def test_the_pages_are_written_as_before(runs: list[Path], tmp_path: Path) -> None:
    result = compare(runs, tmp_path / "new" / "cmp")
    written = listing(tmp_path / "new" / "cmp")
    assert sorted(written) == ["compare.html", "compare.md"] and b"<table" in written["compare.html"]
    assert written["compare.md"] == to_markdown(result).encode("utf-8")


@posix_only
@pytest.mark.parametrize("cut", ["markdown", "html"])
def test_pages_cut_short_leave_the_earlier_ones_whole(runs: list[Path], tmp_path: Path, cut: str) -> None:
    """Cut in compare.md, or in compare.html once compare.md is written whole."""
    compare(runs, tmp_path / "sizes")
    md, html = ((tmp_path / "sizes" / name).stat().st_size for name in ("compare.md", "compare.html"))
    assert md < html
    folder = _earlier(tmp_path / "cmp")
    with writes_cut_at(md // 2 if cut == "markdown" else (md + html) // 2), pytest.raises(OSError, match="too large"):
        compare(runs, folder)
    assert listing(folder) == EARLIER


@posix_only
def test_pages_cut_short_leave_no_folder_of_their_own(runs: list[Path], tmp_path: Path) -> None:
    with writes_cut_at(100), pytest.raises(OSError, match="File too large"):
        compare(runs, tmp_path / "new" / "cmp")
    assert not (tmp_path / "new").exists()
