"""How a shard's samples are stored: JSONL, zstd-compressed JSONL, or Parquet.

Every format round-trips the exact JSONL bytes of the samples (`decode(encode(data)) == data`),
so `samples.jsonl`, verification and the checksums mean the same whatever the format.

- jsonl: the sample lines as they are (merged into `samples.jsonl` at the end of a run).
- zstd: the same lines compressed with zstandard (level 3); kept as shards.
- parquet: one row per sample with columns for filtering without parsing (`id`, `task`,
  `family`, `mode`, `answer_type`, `question`, `image_ids`) and `record`, the sample's JSON line;
  zstd-compressed columns; kept as shards. Readable by pyarrow, pandas, polars, DuckDB and
  `datasets.load_dataset("parquet", ...)`.
"""

from __future__ import annotations

import io
from types import ModuleType

import orjson

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
        raise ImportError(f"shard format '{fmt}' needs {name}: pip install 'veriscene[{extra}]'") from None


def check_available(fmt: str) -> None:
    """Raise ValueError for an unknown format, ImportError when its library is missing."""
    if fmt not in SHARD_FORMATS:
        raise ValueError(f"shard_format must be one of {list(SHARD_FORMATS)}, got {fmt!r}")
    _module(fmt)


def encode(data: bytes, fmt: str) -> bytes:
    """A shard's JSONL bytes in the stored form."""
    if fmt == "zstd":
        zstandard = _module(fmt)
        return zstandard.ZstdCompressor(level=3).compress(data)  # type: ignore[union-attr]
    if fmt == "parquet":
        return _to_parquet(data)
    return data


def decode(data: bytes, fmt: str) -> bytes:
    """The JSONL bytes back from the stored form."""
    if fmt == "zstd":
        zstandard = _module(fmt)
        return zstandard.ZstdDecompressor().decompress(data)  # type: ignore[union-attr]
    if fmt == "parquet":
        return _from_parquet(data)
    return data


def _to_parquet(data: bytes) -> bytes:
    _module("parquet")
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list] = {k: [] for k in ("id", "task", "family", "mode", "answer_type", "question",
                                                "image_ids", "record")}
    for line in data.splitlines():
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
        columns["record"].append(line.decode("utf-8"))
    schema = pa.schema([(k, pa.list_(pa.string()) if k == "image_ids" else pa.string()) for k in columns])
    sink = io.BytesIO()
    pq.write_table(pa.table(columns, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def _from_parquet(data: bytes) -> bytes:
    _module("parquet")
    import pyarrow.parquet as pq

    records = pq.read_table(io.BytesIO(data), columns=["record"]).column("record").to_pylist()
    return b"".join(r.encode("utf-8") + b"\n" for r in records)
