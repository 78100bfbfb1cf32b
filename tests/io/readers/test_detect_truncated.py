"""`--from auto` on a compressed file cut short: detection says the stream ended early, and reads
what comes before the end instead of nothing at all."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from veriscene.io.readers.detect import FormatDetectionError, detect


def gqa(n: int) -> bytes:
    """A GQA scene-graph file of `n` images, as JSON bytes."""
    obj = {"name": "cup", "x": 1, "y": 1, "w": 2, "h": 2, "attributes": [], "relations": []}
    return json.dumps({str(i): {"width": 10, "height": 10, "objects": {str(j): obj for j in range(3)}}
                       for i in range(n)}).encode()


@pytest.mark.parametrize("keep", [60, 200])  # compressed bytes kept: too few to tell the format from
def test_a_file_cut_short_before_its_format_shows_says_so(tmp_path: Path, keep: int) -> None:
    path = tmp_path / "scenes.json.gz"
    path.write_bytes(gzip.compress(gqa(3000))[:keep])
    with pytest.raises(FormatDetectionError) as caught:
        detect(path)
    said = str(caught.value)
    assert said.startswith(f"{path}: cannot read the gzip-compressed annotation file to its end (")
    assert "is it complete?" in said and "cannot tell the annotation format" not in said


def test_a_file_cut_short_past_its_first_keys_is_told_by_them(tmp_path: Path) -> None:
    """A single read of 1 MiB lost everything decompressed before the stream's end: GQA's keys
    in the first 100 KiB went unseen."""
    packed = gzip.compress(gqa(3000))
    path = tmp_path / "scenes.json.gz"
    path.write_bytes(packed[: len(packed) // 3])
    assert detect(path)[0] == "gqa"


def test_a_whole_file_that_is_no_known_format_is_still_said_as_before(tmp_path: Path) -> None:
    path = tmp_path / "other.json.gz"
    path.write_bytes(gzip.compress(b'{"something": [1, 2, 3]}'))
    with pytest.raises(FormatDetectionError, match="cannot tell the annotation format from its first 1024 KiB "
                                                   r"\(gzip-decompressed\)"):
        detect(path)
