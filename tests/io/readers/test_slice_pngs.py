"""A slice picture is written through a temporary name of its own (`_label_map_files.slice_png`):
the slice folder is no run's to lock, and a failure leaves nothing behind in it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

PIL = pytest.importorskip("PIL.Image")

from veriscene.io.readers._label_map_files import slice_png

PICTURE = np.arange(64 * 48, dtype=np.int16).reshape(48, 64)


def test_a_slice_is_written_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    meta: dict[str, object] = {}
    written = slice_png(PICTURE, tmp_path / "slices", "case-1_z003", meta=meta)
    assert written == str(tmp_path / "slices" / "case-1_z003.png") and "window" in meta
    with PIL.open(written) as image:
        assert image.size == (64, 48)
    assert [p.name for p in (tmp_path / "slices").iterdir()] == ["case-1_z003.png"]


def test_a_slice_that_fails_to_be_written_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(self: object, fp: str | Path, *args: object, **kwargs: object) -> None:
        Path(fp).write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(PIL.Image, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        slice_png(PICTURE, tmp_path / "slices", "case-1_z003")
    assert list((tmp_path / "slices").iterdir()) == []
