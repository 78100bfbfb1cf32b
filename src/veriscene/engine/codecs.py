"""How a shard's samples are stored: JSONL, zstd-compressed JSONL, or Parquet.

Every format round-trips the exact JSONL bytes of the samples (`decode(encode(data)) == data`),
so `samples.jsonl`, verification and the checksums mean the same whatever the format. Workers
encode a shard in one piece; `read_lines` and `write_lines` stream a stored shard line by line
(with memory bounded by a batch, not the shard), for reading a run and for the driver's rare
shard rewrite (`engine.repeats`).

- jsonl: the sample lines as they are (merged into `samples.jsonl` at the end of a run).
- zstd: the same lines compressed with zstandard (level 3), with the frame's content checksum
  (as veriscene's compressed scene files have): a shard changed on disk fails to decompress
  rather than give other lines; kept as shards.
- parquet: one row per sample with columns for filtering without parsing (`id`, `task`,
  `family`, `mode`, `answer_type`, `question`, `image_ids`) and `record`, the sample's JSON line;
  zstd-compressed columns, a row group per 1,024 samples; kept as shards. Readable by pyarrow,
  pandas, polars, DuckDB and `datasets.load_dataset("parquet", ...)`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, Iterable, Iterator

import orjson

from veriscene.engine.manifest import file_sha256
from veriscene.errors import MissingExtra

SHARD_FORMATS = ("jsonl", "zstd", "parquet")
SUFFIX = {"jsonl": ".jsonl", "zstd": ".jsonl.zst", "parquet": ".parquet"}
_NEEDS = {"zstd": ("zstandard", "zstd"), "parquet": ("pyarrow", "parquet")}


def _module(fmt: str) -> ModuleType | None:
    """The optional library a format needs (None for jsonl); a clear error when it is missing."""
    if fmt not in _NEEDS:
        return None
    name, extra = _NEEDS[fmt]
    try:
        return __import__(name)
    except ImportError:
        raise MissingExtra(f"shard format '{fmt}'", extra, name) from None


def check_available(fmt: str) -> None:
    """Raise ValueError for an unknown format, ImportError when its library is missing."""
    if fmt not in SHARD_FORMATS:
        raise ValueError(f"shard_format must be one of {list(SHARD_FORMATS)}, got {fmt!r}")
    _module(fmt)


def encode(data: bytes | bytearray, fmt: str) -> bytes | bytearray:
    """A shard's JSONL bytes in the stored form (jsonl: `data` itself)."""
    if fmt == "zstd":
        zstandard = _module(fmt)
        return zstandard.ZstdCompressor(level=3, write_checksum=True).compress(data)  # type: ignore[union-attr]
    if fmt == "parquet":
        return _to_parquet(data)
    return data


def decode(data: bytes, fmt: str) -> bytes:
    """The JSONL bytes back from the stored form."""
    if fmt == "zstd":
        zstandard = _module(fmt)
        # a decompressobj also reads streamed frames, whose header has no content size
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)  # type: ignore[union-attr]
    if fmt == "parquet":
        return _from_parquet(data)
    return data


_PARQUET_COLUMNS = ("id", "task", "family", "mode", "answer_type", "question", "image_ids", "record")
_BATCH = 1024  # lines per Parquet row group


def _parquet_table(lines: Iterable[bytes]) -> Any:  # a pyarrow.Table (an optional extra's type)
    _module("parquet")
    import pyarrow as pa

    columns: dict[str, list[Any]] = {k: [] for k in _PARQUET_COLUMNS}
    for line in lines:
        if not line.strip():
            continue
        record = orjson.loads(line)
        columns["id"].append(record["id"])
        columns["task"].append(record["task"])
        columns["family"].append(record["family"])
        columns["mode"].append(record.get("meta", {}).get("mode", "qa"))
        columns["answer_type"].append(record["answer_type"])
        columns["question"].append(record["question"])
        columns["image_ids"].append([image["id"] for image in record["images"]])
        columns["record"].append(line.rstrip(b"\n").decode("utf-8"))
    return pa.table(columns, schema=_parquet_schema())


def _parquet_schema() -> Any:  # a pyarrow.Schema
    import pyarrow as pa

    return pa.schema([(k, pa.list_(pa.string()) if k == "image_ids" else pa.string()) for k in _PARQUET_COLUMNS])


def _to_parquet(data: bytes | bytearray) -> bytes:
    sink = io.BytesIO()
    _write_parquet(sink, io.BytesIO(data))
    return sink.getvalue()


def _write_parquet(sink: BinaryIO, lines: Iterable[bytes]) -> None:
    """Parquet of the lines, a row group per `_BATCH` lines: memory bounded by a batch, not the
    shard (one table of a whole shard would hold every column of it at once)."""
    _module("parquet")
    import pyarrow.parquet as pq

    with pq.ParquetWriter(sink, _parquet_schema(), compression="zstd") as writer:
        batch: list[bytes] = []
        for line in lines:
            batch.append(line)
            if len(batch) == _BATCH:
                writer.write_table(_parquet_table(batch))
                batch = []
        if batch:
            writer.write_table(_parquet_table(batch))


def _from_parquet(data: bytes) -> bytes:
    _module("parquet")
    import pyarrow.parquet as pq

    records = pq.read_table(io.BytesIO(data), columns=["record"]).column("record").to_pylist()
    return b"".join(r.encode("utf-8") + b"\n" for r in records)


def read_lines(path: Path, fmt: str) -> Iterator[bytes]:
    """The JSONL lines (with their newline) of a stored shard, streamed."""
    if fmt == "parquet":
        _module(fmt)
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as stored:
            for group in range(stored.num_row_groups):
                table = stored.read_row_group(group, columns=["record"], use_threads=False)
                records = table.column(0).to_pylist()
                yield from (record.encode("utf-8") + b"\n" for record in records)
        return
    with open(path, "rb") as fh:
        if fmt == "zstd":
            _module(fmt)
            from veriscene.scene.compressed import decompressing

            # not zstandard's stream_reader, which ends a file cut short inside its frame without a word
            with decompressing(fh, "zstd") as reader:
                yield from reader
        else:
            yield from fh


def write_lines(path: Path, lines: Iterable[bytes], fmt: str) -> str:
    """Write JSONL lines (each ending in a newline) to `path` in the stored form, streamed; returns
    the sha256 of the file. Zstd bytes can differ from `encode` of the same lines (a streamed frame
    does not record its size); `read_lines` and `decode` give the lines back the same."""
    with open(path, "wb") as fh:
        if fmt == "parquet":
            _write_parquet(fh, lines)
        elif fmt == "zstd":
            zstandard = _module(fmt)
            compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)  # type: ignore[union-attr]
            with compressor.stream_writer(fh, closefd=False) as out:
                for line in lines:
                    out.write(line)
        else:
            fh.writelines(lines)
        fh.flush()
        os.fsync(fh.fileno())
    return file_sha256(path)

