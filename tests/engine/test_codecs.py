"""Shard formats round-trip the exact JSONL bytes; Parquet shards are queryable by column."""

import io

import pyarrow.parquet as pq
import pytest

from veriscene.engine.codecs import SHARD_FORMATS, check_available, decode, encode

LINES = (
    b'{"id":"a1","task":"object.count.v1","family":"counting","images":[{"id":"img1","path":null}],'
    b'"question":"How many stars?","answer":2,"answer_type":"int","choices":null,"program":[],'
    b'"template_id":"default.0","generator_version":1,"seed":1,"meta":{"mode":"qa"}}\n'
    b'{"id":"b2","task":"multi.has_object.v1","family":"multi_select","images":[{"id":"x","path":null},'
    b'{"id":"y","path":"i/y.png"}],"question":"Which image contains a caf\xc3\xa9?","answer":1,'
    b'"answer_type":"image_index","choices":["Image 1","Image 2"],"program":[],"template_id":"default.1",'
    b'"generator_version":1,"seed":2,"meta":{"mode":"mc","answer_letter":"B"}}\n'
)


@pytest.mark.parametrize("fmt", SHARD_FORMATS)
def test_round_trip_is_byte_exact(fmt) -> None:
    assert decode(encode(LINES, fmt), fmt) == LINES
    assert decode(encode(b"", fmt), fmt) == b""


def test_parquet_columns() -> None:
    table = pq.read_table(io.BytesIO(encode(LINES, "parquet")))
    assert table.column("task").to_pylist() == ["object.count.v1", "multi.has_object.v1"]
    assert table.column("mode").to_pylist() == ["qa", "mc"]
    assert table.column("image_ids").to_pylist() == [["img1"], ["x", "y"]]
    assert table.column("question").to_pylist()[1] == "Which image contains a café?"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="shard_format must be one of"):
        check_available("csv")


@pytest.mark.parametrize("fmt", SHARD_FORMATS)
def test_streamed_lines_round_trip(tmp_path, fmt, monkeypatch) -> None:
    import hashlib

    from veriscene.engine import codecs

    monkeypatch.setattr(codecs, "_BATCH", 3)  # several Parquet batches
    lines = LINES.splitlines(keepends=True) * 4
    stored = tmp_path / ("shard" + codecs.SUFFIX[fmt])
    stored.write_bytes(encode(b"".join(lines), fmt))
    assert list(codecs.read_lines(stored, fmt)) == lines  # what a worker wrote, streamed back
    rewritten = tmp_path / "rewritten"
    sha = codecs.write_lines(rewritten, iter(lines[1:]), fmt)
    assert sha == hashlib.sha256(rewritten.read_bytes()).hexdigest()
    assert list(codecs.read_lines(rewritten, fmt)) == lines[1:]
    assert decode(rewritten.read_bytes(), fmt) == b"".join(lines[1:])
    if fmt != "zstd":  # a streamed zstd frame leaves out its size; the others are the same bytes
        assert rewritten.read_bytes() == encode(b"".join(lines[1:]), fmt)
    codecs.write_lines(tmp_path / "empty", [], fmt)
    assert list(codecs.read_lines(tmp_path / "empty", fmt)) == []
    assert decode((tmp_path / "empty").read_bytes(), fmt) == b""




def test_zstd_shards_carry_a_checksum_that_finds_a_changed_byte(tmp_path) -> None:
    """Without one, many a byte changed in a shard's blocks was read back as other lines without a word."""
    zstandard = pytest.importorskip("zstandard")
    from veriscene.engine import codecs

    lines = LINES * 20
    written = tmp_path / "shard.jsonl.zst"
    codecs.write_lines(written, iter(lines.splitlines(keepends=True)), "zstd")
    changed = tmp_path / "changed.jsonl.zst"
    for blob in (encode(lines, "zstd"), written.read_bytes()):
        assert zstandard.get_frame_parameters(blob).has_checksum
        silent = []
        for at in range(zstandard.frame_header_size(blob), len(blob)):  # (the blocks the checksum covers)
            changed.write_bytes(blob[:at] + bytes([blob[at] ^ 0x20]) + blob[at + 1 :])
            try:
                got = b"".join(codecs.read_lines(changed, "zstd"))
            except (OSError, EOFError):  # corrupt, or cut short: said (`scene.decompress`)
                continue
            if got != lines:
                silent.append(at)
        assert silent == []
