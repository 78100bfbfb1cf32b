"""The stats chart is written whole or not at all (`write_chart` saves through a temporary
sibling): a save failing part-way (a full disk, the PNG writer stopped) leaves an earlier chart as
it was and no temporary beside it; the format is still the final name's suffix. Before, matplotlib
wrote the file in place: half a PNG stood where a good one was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.file_limit import listing, posix_only, writes_cut_at
from tests.test_stats import run_dir  # noqa: F401  (the fixture: samples in tmp_path)
from veriscene.stats import stats, write_chart

pytest.importorskip("matplotlib")

EARLIER = b"\x89PNG the earlier chart"


def _charts(run_dir: Path) -> Path:  # noqa: F811
    folder = run_dir / "charts"
    folder.mkdir()
    (folder / "stats.png").write_bytes(EARLIER)
    return folder


@posix_only
def test_a_chart_cut_short_leaves_the_earlier_chart_whole(run_dir: Path) -> None:  # noqa: F811
    report, folder = stats(run_dir), _charts(run_dir)
    with writes_cut_at(2000), pytest.raises(OSError, match="File too large"):
        write_chart(report, folder / "stats.png")
    assert listing(folder) == {"stats.png": EARLIER}


def test_a_png_writer_stopped_part_way_leaves_the_earlier_chart_whole(run_dir: Path,  # noqa: F811
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped (Ctrl-C) inside the PNG writer, half its file written."""
    import matplotlib.image

    def stopped(fname: object, *args: object, **kwargs: object) -> None:
        with open(fname, "wb") as fh:  # type: ignore[arg-type]
            fh.write(b"\x89PNG half")
        raise KeyboardInterrupt

    report, folder = stats(run_dir), _charts(run_dir)
    monkeypatch.setattr(matplotlib.image, "imsave", stopped)
    with pytest.raises(KeyboardInterrupt):
        write_chart(report, folder / "stats.png")
    assert listing(folder) == {"stats.png": EARLIER}


@pytest.mark.parametrize(("name", "starts"), [("c.png", b"\x89PNG"), ("c.SVG", b"<?xml"), ("c.pdf", b"%PDF"),
                                              ("chart", b"\x89PNG")])
def test_the_format_is_the_names_suffix(run_dir: Path, name: str, starts: bytes) -> None:  # noqa: F811
    folder = run_dir / "charts"
    assert write_chart(stats(run_dir), folder / name) == folder / name
    assert sorted(listing(folder)) == [name] and (folder / name).read_bytes().startswith(starts)
    with pytest.raises(ValueError, match="Format 'txt' is not supported"):
        write_chart(stats(run_dir), folder / "c.txt")
    assert sorted(listing(folder)) == [name]
