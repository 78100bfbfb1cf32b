"""`view --html` (`write_html`) writes its page whole or not at all: a write failing part-way (a
full disk) leaves an earlier page as it was and no temporary beside it, and a page stopped before
it is written (Ctrl-C while it is put together) leaves no folder made for it. Before, the page was
written in place (half a page where a good one was), and its folder was made before the page was
put together (an empty folder left)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.file_limit import listing, posix_only, writes_cut_at
from tests.viewer.test_viewer import run  # noqa: F401  (the fixture: a demo run)
from veriscene.viewer import write_html

EARLIER = b"<html>the earlier page</html>\n"


@posix_only
def test_a_page_cut_short_leaves_the_earlier_page_whole(run: Path, tmp_path: Path) -> None:  # noqa: F811
    (tmp_path / "samples.html").write_bytes(EARLIER)
    with writes_cut_at(4096), pytest.raises(OSError, match="File too large"):
        write_html(run, tmp_path / "samples.html", count=3)
    assert listing(tmp_path) == {"samples.html": EARLIER}


@posix_only
def test_a_page_cut_short_leaves_no_folder_of_its_own(run: Path, tmp_path: Path) -> None:  # noqa: F811
    with writes_cut_at(4096), pytest.raises(OSError, match="File too large"):
        write_html(run, tmp_path / "new" / "page" / "samples.html", count=3)
    assert list(tmp_path.iterdir()) == []


def test_a_page_stopped_while_put_together_leaves_no_folder_of_its_own(run: Path, tmp_path: Path,  # noqa: F811
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import veriscene.viewer.static

    def stopped(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(veriscene.viewer.static, "page", stopped)
    with pytest.raises(KeyboardInterrupt):
        write_html(run, tmp_path / "new" / "samples.html", count=3)
    assert list(tmp_path.iterdir()) == []


def test_the_page_is_written_whole(run: Path, tmp_path: Path) -> None:  # noqa: F811
    summary = write_html(run, tmp_path / "new" / "samples.html", count=3)
    page = listing(tmp_path / "new")
    assert sorted(page) == ["samples.html"] and summary.out == tmp_path / "new" / "samples.html"
    assert page["samples.html"].startswith(b"<!DOCTYPE html>") and page["samples.html"].endswith(b"</html>")
