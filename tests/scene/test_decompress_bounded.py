"""Decompressing holds a bounded amount whatever the input: a piece of long runs (a file of blank
lines, a decompression bomb), which a few kilobytes of any compression make into megabytes, is
given out a few megabytes at a time, as the same bytes, and damage after it is said as before."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest

from veriscene.scene import decompress
from veriscene.scene.decompress import CorruptData, Decompressed, TruncatedData, _decompressors

from .test_decompress import KINDS, LINES, pack

zstandard = pytest.importorskip("zstandard")

BOUND = 1 << 23  # decompressed bytes one call may make: 4 MiB (`decompress._OUT`), with room
RUNS = b"\n" * (12 << 20)  # 12 MiB of blank lines: compressed, less than one piece (`_READ`) of any kind
NOISE = b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(1250))  # 40 kB that do not compress
TAIL = b"".join(LINES[:200])


class Watched(Decompressed):
    """A reader that notes the most bytes one call of its decompressor made."""

    most = 0

    def _made_more(self, out: bytes) -> None:
        Watched.most = max(Watched.most, len(out))
        super()._made_more(out)


def read_watched(blob: bytes, kind: str) -> tuple[bytes, BaseException | None, int]:
    """(every byte read, the error that ends it or None, the most bytes one call made)."""
    Watched.most = 0
    reader, got, buffer = Watched(io.BytesIO(blob), kind), bytearray(), bytearray(1 << 20)
    try:
        while n := reader.readinto(buffer):
            got += buffer[:n]
    except (TruncatedData, CorruptData) as exc:
        return bytes(got), exc, Watched.most
    return bytes(got), None, Watched.most


@pytest.mark.parametrize("kind", KINDS)
def test_long_runs_come_out_a_few_megabytes_at_a_time(kind: str) -> None:
    data = RUNS + TAIL + RUNS
    two = pack(kind, data) + b"\0" * 3 + pack(kind, TAIL + RUNS)  # and a second member after padding
    assert len(two) < 1 << 18  # 36 MiB in one piece read
    got, exc, most = read_watched(two, kind)
    assert exc is None and got == data + TAIL + RUNS
    assert most <= BOUND


def _zstd(data: bytes, how: str) -> bytes:
    if how == "one-shot":  # a single-segment frame that records its size
        return zstandard.ZstdCompressor(level=3, write_checksum=True).compress(data)
    if how == "no-checksum":
        return zstandard.ZstdCompressor(level=1).compress(data)
    if how == "level-19":
        return zstandard.ZstdCompressor(level=19, write_checksum=True, write_content_size=False).compress(data)
    out = io.BytesIO()  # streamed: no size in its header, a window descriptor instead
    with zstandard.ZstdCompressor(level=3, write_checksum=True).stream_writer(out, closefd=False) as writer:
        for at in range(0, len(data), 1 << 20):
            writer.write(data[at : at + (1 << 20)])
    return out.getvalue()


@pytest.mark.parametrize("how", ["one-shot", "no-checksum", "level-19", "streamed"])
@pytest.mark.parametrize("read", [1, 7, 4099, 1 << 18])
def test_zstd_frames_of_every_kind_read_whole_whatever_the_pieces(
        how: str, read: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw blocks (`NOISE`), RLE blocks (`RUNS`), compressed ones; headers cut between pieces."""
    monkeypatch.setattr(decompress, "_READ", read)
    data = NOISE + RUNS + TAIL
    blob = _zstd(data, how) + _zstd(TAIL, how)
    got, exc, most = read_watched(blob, "zstd")
    assert exc is None and got == data + TAIL
    assert most <= BOUND


def _fails(kind: str, blob: bytes) -> bool:
    new, errors = _decompressors(kind)
    try:
        dec: Any = new()
        while blob:  # (fed in parts: all of it at once would make the whole file at once)
            dec.decompress(blob[: 1 << 12])
            blob = blob[1 << 12 :]
    except errors:
        return True
    return False


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["after the runs", "in the runs"])
def test_a_corrupt_byte_after_or_among_long_runs_is_met_at_the_byte_said(kind: str, where: str) -> None:
    data = RUNS + TAIL
    whole = pack(kind, data)
    runs_end = len(pack(kind, RUNS)) - 40  # (about) where the runs' compressed bytes end
    at = (runs_end + len(whole)) // 2 if where == "after the runs" else runs_end // 2
    blob = whole[:at] + bytes([whole[at] ^ 0x55]) + whole[at + 1 :]
    got, exc, most = read_watched(blob, kind)
    # (the input is fixed, and each kind's checksum or code catches this byte: no run skips the checks)
    assert isinstance(exc, CorruptData), f"{kind}: the changed byte decoded without an error ({exc!r})"
    damage = exc.damage
    assert damage.span == 0 and not _fails(kind, blob[: damage.offset]) and _fails(kind, blob[: damage.offset + 1])
    assert damage.produced == len(got) and damage.lines == got.count(b"\n")
    assert got[: 1 << 20] == data[: 1 << 20] and most <= BOUND


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_cut_after_long_runs_gives_every_byte_before_the_cut(kind: str) -> None:
    data = RUNS + TAIL
    whole = pack(kind, data)
    blob = whole[: len(whole) - 200]
    got, exc, most = read_watched(blob, kind)
    assert isinstance(exc, TruncatedData)
    assert len(RUNS) < len(got) < len(data) and got == data[: len(got)] and exc.damage.produced == len(got)
    assert (exc.damage.lines, exc.damage.offset) == (got.count(b"\n"), len(blob)) and most <= BOUND
