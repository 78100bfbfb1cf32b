"""A compressed file cut short or corrupt is read up to the damage, and the error says where: the
compressed byte, the decompressed bytes and complete lines before it, a last line cut off."""

import bz2
import gzip
import hashlib
import io
import lzma
from functools import cache

import pytest

from veriscene.scene.compressed import (
    CompressedFileError,
    create_scene_file,
    open_scene_file,
    read_errors,
)
from veriscene.scene.decompress import CorruptData, Decompressed, TruncatedData, _decompressors
from veriscene.scene.inputs import open_scenes

zstandard = pytest.importorskip("zstandard")

KINDS = ["gzip", "zstd", "bz2", "xz"]
SUFFIX = {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}
# lines of uneven length that compress about 2:1 (hex digits), so that a file of them is several
# bz2 blocks of 100 kB and a cut in its middle leaves complete blocks before it
LINES = [b'{"image_id": "%d", "pad": "%s"}\n' % (i, hashlib.sha256(b"%d" % i).hexdigest().encode() * (i % 37))
         for i in range(600)]
DATA = b"".join(LINES)


@cache
def pack(kind: str, data: bytes) -> bytes:
    """`data` as one gzip member, bz2 or xz stream, or zstd frame (with its checksum)."""
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "bz2":
        return bz2.compress(data, 1)  # blocks of 100 kB
    if kind == "xz":
        return lzma.compress(data)
    return zstandard.ZstdCompressor(level=3, write_checksum=True).compress(data)


def read_all(blob: bytes, kind: str) -> tuple[bytes, BaseException | None]:
    """(every byte the reader gives, the error that ends it, or None)."""
    reader, got, buffer = Decompressed(io.BytesIO(blob), kind), bytearray(), bytearray(1 << 14)
    try:
        while n := reader.readinto(buffer):
            got += buffer[:n]
    except (TruncatedData, CorruptData) as exc:
        return bytes(got), exc
    return bytes(got), None


def fails(kind: str, blob: bytes) -> bool:
    """Whether a fresh decompressor fails on `blob` (one member)."""
    new, errors = _decompressors(kind)
    try:
        new().decompress(blob)
    except errors:
        return True
    return False


def lines_in(data: bytes) -> tuple[int, int]:
    """(complete lines, bytes of a last line cut off) of `data`."""
    return data.count(b"\n"), len(data) - (data.rfind(b"\n") + 1)


@pytest.mark.parametrize("kind", KINDS)
def test_good_files_read_as_before_members_and_padding_too(tmp_path, kind) -> None:
    one = pack(kind, DATA)
    cut = sum(map(len, LINES[:250])) + 17  # mid-line: a member may end anywhere
    several = pack(kind, DATA[:cut]) + pack(kind, DATA[cut:]) + b"\0" * 8 + pack(kind, b"") + b"\0" * 4
    for blob in (one, several):
        assert read_all(blob, kind) == (DATA, None)
        path = tmp_path / f"s.jsonl{SUFFIX[kind]}"
        path.write_bytes(blob)
        with open_scene_file(path) as fh:
            assert list(fh) == LINES
        with open_scene_file(path) as fh:
            fh.seek(cut - 5)
            assert fh.read(10) == DATA[cut - 5 : cut + 5] and fh.tell() == cut + 5
            fh.seek(3)  # backward: from the top again
            assert fh.read() == DATA[3:]


@pytest.mark.parametrize("kind", KINDS)
def test_cut_at_a_line_end_in_the_next_members_header(kind) -> None:
    first = pack(kind, b"".join(LINES[:250]))
    blob = first + pack(kind, b"".join(LINES[250:]))[:9]
    got, exc = read_all(blob, kind)
    assert isinstance(exc, TruncatedData) and isinstance(exc, EOFError)
    damage = exc.damage
    assert got == b"".join(LINES[:250]) and damage.produced == len(got)
    assert (damage.lines, damage.partial) == (250, 0)
    assert (damage.offset, damage.member, damage.member_lines, damage.size) == (len(blob), len(first), 250, len(blob))
    said = str(exc)
    assert said.startswith(f"it ends early: its {kind} data stops at compressed byte {len(blob):,}, the end of the "
                           f"file, inside the {kind} ")
    assert said.endswith(f"that starts at byte {len(first):,}, after {len(got):,} decompressed bytes: 250 complete "
                         "lines, none cut off")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("keep", [0.5, 0.8])
def test_cut_mid_stream_gives_every_decompressed_byte_and_says_the_line_cut_off(kind, keep) -> None:
    whole = pack(kind, DATA)
    blob = whole[: int(len(whole) * keep)]
    got, exc = read_all(blob, kind)
    assert isinstance(exc, TruncatedData)
    damage = exc.damage
    assert 0 < len(got) < len(DATA) and got == DATA[: len(got)] and damage.produced == len(got)
    assert (damage.lines, damage.partial) == lines_in(got) and damage.partial > 0
    assert (damage.offset, damage.member, damage.size) == (len(blob), 0, len(blob))
    assert f"then line {damage.lines + 1:,} cut off after {damage.partial:,} bytes" in str(exc)
    new, _ = _decompressors(kind)
    assert got == new().decompress(blob)  # every byte the library can decompress from it


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cut", [1, 4])
def test_cut_in_the_trailer_gives_all_the_data_and_still_raises(kind, cut) -> None:
    whole = pack(kind, DATA)
    got, exc = read_all(whole[:-cut], kind)
    assert isinstance(exc, TruncatedData) and got == DATA
    assert (exc.damage.lines, exc.damage.partial, exc.damage.offset) == (len(LINES), 0, len(whole) - cut)


@pytest.mark.parametrize("kind", KINDS)
def test_a_corrupt_byte_is_met_at_the_byte_said(kind) -> None:
    whole = pack(kind, DATA)
    middle = len(whole) // 2
    blob = whole[:middle] + bytes([whole[middle] ^ 0x55]) + whole[middle + 1 :]
    got, exc = read_all(blob, kind)
    assert isinstance(exc, CorruptData) and isinstance(exc, OSError) and exc.errno is None
    damage = exc.damage
    assert middle <= damage.offset < len(blob) and damage.span == 0 and damage.size is None  # (BytesIO: no size)
    assert not fails(kind, blob[: damage.offset]) and fails(kind, blob[: damage.offset + 1])  # exactly there
    assert damage.produced == len(got) and (damage.lines, damage.partial) == lines_in(got)
    assert got[: len(got) // 3] == DATA[: len(got) // 3]  # the start is right; nearer the damage it may not be
    assert "the damage may lie anywhere in its" in str(exc) and "from compressed byte 0 and line 1 on" in str(exc)


@pytest.mark.parametrize("kind", KINDS)
def test_bytes_after_a_member_that_start_no_other_are_damage_not_the_end(kind) -> None:
    """bz2.BZ2File and lzma.LZMAFile ended the file there without a word: its other members vanished."""
    first = pack(kind, b"".join(LINES[:250]))
    blob = first + b"\0\0\0\0" + b"junk" + pack(kind, b"".join(LINES[250:]))
    got, exc = read_all(blob, kind)
    assert isinstance(exc, CorruptData) and got == b"".join(LINES[:250])
    damage = exc.damage
    assert damage.member == len(first) + 4 and len(first) + 4 <= damage.offset < len(first) + 8  # at the junk
    assert (damage.lines, damage.member_lines, damage.partial) == (250, 250, 0)


def test_a_file_that_cannot_be_seeked_back_in_says_the_piece_the_damage_is_in() -> None:
    class Forward(io.BytesIO):
        def seek(self, offset, whence=io.SEEK_SET):
            if offset != self.tell():
                raise io.UnsupportedOperation("forward only")
            return offset

    whole = pack("gzip", DATA)
    blob = whole[:100] + bytes(40) + whole[140:]
    reader = Decompressed(Forward(blob), "gzip")
    with pytest.raises(CorruptData) as caught:
        reader.read()
    damage = caught.value.damage
    assert (damage.offset, damage.span) == (0, len(blob))  # the first piece: the whole file
    assert damage.lines is None  # (counted by reading the file again)
    assert str(caught.value).startswith(f"corrupt gzip data met in compressed bytes 0 to {len(blob) - 1:,} (")
    assert "decompressed bytes; the damage may lie anywhere in its gzip member, from compressed byte 0 on" in str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
def test_read_errors_names_the_file_with_the_damage(tmp_path, kind) -> None:
    path = tmp_path / f"s.jsonl{SUFFIX[kind]}"
    whole = pack(kind, DATA)
    path.write_bytes(whole[: len(whole) // 2])
    seen = []
    with pytest.raises(CompressedFileError) as caught, read_errors(path), open_scene_file(path) as fh:
        seen.extend(fh)
    damage = caught.value.damage
    assert seen == LINES[: damage.lines] and damage.size == path.stat().st_size  # the cut line is not handed on
    said = str(caught.value)
    assert said.startswith(f"{path}: cannot read the {kind}-compressed scene file to its end (it ends early: its "
                           f"{kind} data stops at compressed byte {damage.offset:,}, the end of the file, after "
                           f"{damage.produced:,} decompressed bytes: {damage.lines:,} complete lines, then line "
                           f"{damage.lines + 1:,} cut off after {damage.partial:,} bytes); is it complete?")
    with open_scene_file(path) as fh:  # seeking back after the damage reads it again, and meets it again
        with pytest.raises(EOFError):
            fh.read()
        fh.seek(0)
        assert fh.readline() == LINES[0]


@pytest.mark.parametrize("kind", KINDS)
def test_several_files_lose_no_line_before_the_damage(tmp_path, kind, monkeypatch) -> None:
    """Two buffered readers one over the other: a read that met the damage after a first one had
    given bytes dropped them (every line in the inner reader's buffer)."""
    from veriscene.scene import decompress

    monkeypatch.setattr(decompress, "_BUFFER", 4096)
    good = _write(tmp_path / "a.jsonl", b"".join(LINES[:10]))
    broken = tmp_path / f"b.jsonl{SUFFIX[kind]}"
    whole = pack(kind, DATA)
    broken.write_bytes(whole[: len(whole) // 2])
    seen = []
    with pytest.raises(CompressedFileError, match=rf"^{broken}: cannot read") as caught, open_scenes([good, broken]) as fh:
        seen.extend(fh)
    assert seen == LINES[:10] + LINES[: caught.value.damage.lines]


def test_zstd_files_veriscene_writes_have_checksums(tmp_path) -> None:
    """Without one, a corrupt zstd frame may decompress into other bytes without a word."""
    path = _write(tmp_path / "s.jsonl.zst", DATA)
    blob = path.read_bytes()
    assert zstandard.get_frame_parameters(blob).has_checksum
    middle = len(blob) // 2
    path.write_bytes(blob[:middle] + bytes([blob[middle] ^ 1]) + blob[middle + 1 :])
    with pytest.raises(CompressedFileError, match="corrupt zstd data met at compressed byte"), read_errors(path), \
            open_scene_file(path) as fh:
        fh.read()


def _write(path, data):
    with create_scene_file(path) as fh:
        fh.write(data)
    return path


@pytest.mark.parametrize("kind", ["gzip", "xz"])
def test_read_scenes_gives_the_scenes_before_the_cut_and_never_the_line_it_cuts_off(tmp_path, kind) -> None:
    """The cut line is said in the error, not read as a record with broken JSON (`on_error`)."""
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene.jsonl import read_scenes, write_scenes

    whole = tmp_path / f"w.jsonl{SUFFIX[kind]}"
    scenes = list(iter_scene_graphs(40, seed=1))
    write_scenes(scenes, whole)
    cut = tmp_path / f"c.jsonl{SUFFIX[kind]}"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    read, bad = [], []
    with pytest.raises(CompressedFileError) as caught:
        for scene in read_scenes(cut, on_error=bad.append):
            read.append(scene.image_id)
    damage = caught.value.damage
    assert bad == [] and read == [s.image_id for s in scenes[: damage.lines]] and damage.partial > 0
