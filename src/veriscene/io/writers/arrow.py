"""Arrow plumbing shared by the columnar writers (parquet, TRL parquet, verl, Hugging Face).

pyarrow is an optional dependency, imported when a columnar format is used. Images are stored in
the Hugging Face `Image` layout, struct<bytes: binary, path: string>, and every schema carries the
`huggingface` metadata key describing its features, so `datasets.load_dataset("parquet", ...)`
and `Dataset.from_file` decode those columns to PIL images without any cast.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from veriscene.errors import MissingExtra
from veriscene.io.writers.common import ImageRef
from veriscene.io.writers.files import temporary_sibling

DEFAULT_BATCH_ROWS = 1000  # rows per parquet row group / arrow record batch
DEFAULT_BATCH_BYTES = 64 << 20  # flush earlier when embedded images reach this many bytes


def require_pyarrow() -> Any:
    """Import pyarrow or fail with the install command."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtra("writing Parquet and Arrow files", "parquet", "pyarrow") from exc
    return pyarrow


def image_struct_type() -> Any:
    pa = require_pyarrow()
    return pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def image_cell(ref: ImageRef, embedded: bool) -> dict[str, Any] | None:
    """An image value in the Hugging Face layout: bytes and path when `embedded`, else only the
    path. None (decoded as None) for an image that could not be embedded or has no path: a cell
    of a path alone would be opened by `datasets` relative to the reader's working directory."""
    if (embedded and ref.data is None) or (ref.path is None and ref.data is None):
        return None
    return {"bytes": ref.data, "path": ref.path}


def _feature(pa_type: Any, is_image: bool) -> Any:
    """Hugging Face feature description (JSON form) of one arrow type."""
    pa = require_pyarrow()
    if is_image:
        return {"_type": "Image"}
    if pa.types.is_list(pa_type) or pa.types.is_large_list(pa_type):
        # the plain-list form is read as a list feature by old and new `datasets` releases
        return [_feature(pa_type.value_type, False)]
    if pa.types.is_struct(pa_type):
        return {f.name: _feature(f.type, False) for f in pa_type}
    dtype = {
        pa.string(): "string",
        pa.large_string(): "large_string",
        pa.binary(): "binary",
        pa.bool_(): "bool",
        pa.int64(): "int64",
        pa.int32(): "int32",
        pa.float64(): "float64",
        pa.float32(): "float32",
    }.get(pa_type)
    if dtype is None:
        raise TypeError(f"no Hugging Face feature mapping for arrow type {pa_type}")
    return {"dtype": dtype, "_type": "Value"}


def with_hf_features(
    schema: Any, image_lists: Iterable[str] = (), images: Iterable[str] = ()
) -> Any:
    """`schema` plus the `huggingface` metadata; `image_lists` columns are list<Image>."""
    image_lists, images = set(image_lists), set(images)
    features: dict[str, Any] = {}
    for f in schema:
        if f.name in image_lists:
            features[f.name] = [_feature(f.type.value_type, True)]
        else:
            features[f.name] = _feature(f.type, f.name in images)
    meta = {b"huggingface": json.dumps({"info": {"features": features}}).encode()}
    return schema.with_metadata(meta)


class BatchedArrowWriter:
    """Buffer row dicts and write them in batches to parquet (default) or an Arrow IPC stream.

    Writes go to a temporary file beside `path` of its own (`files.temporary_sibling`), renamed
    into place by `close()`; `abort()` (or a failure to start or to close) removes it.
    """

    def __init__(
        self,
        path: Path,
        schema: Any,
        *,
        kind: str = "parquet",
        batch_rows: int = DEFAULT_BATCH_ROWS,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        compression: str = "zstd",
    ) -> None:
        if kind not in ("parquet", "arrow"):
            raise ValueError(f"unknown arrow output kind {kind!r}; expected 'parquet' or 'arrow'")
        self.pa = require_pyarrow()
        self.path = Path(path)
        self.schema = schema
        self.kind = kind
        self.batch_rows = max(1, int(batch_rows))
        self.batch_bytes = batch_bytes
        self._rows: list[dict[str, Any]] = []
        self._bytes = 0
        self._tmp = temporary_sibling(self.path)
        try:
            if kind == "parquet":
                import pyarrow.parquet as pq

                self._writer = pq.ParquetWriter(self._tmp, schema, compression=compression)
            else:
                self._sink = self.pa.OSFile(str(self._tmp), "wb")
                self._writer = self.pa.ipc.new_stream(self._sink, schema)
        except BaseException:
            if kind == "arrow" and hasattr(self, "_sink"):
                self._sink.close()
            self._tmp.unlink(missing_ok=True)
            raise

    def add(self, row: dict[str, Any], nbytes: int = 0) -> None:
        self._rows.append(row)
        self._bytes += nbytes
        if len(self._rows) >= self.batch_rows or self._bytes >= self.batch_bytes:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        table = self.pa.Table.from_pylist(self._rows, schema=self.schema)
        if self.kind == "parquet":
            self._writer.write_table(table, row_group_size=len(self._rows))
        else:
            self._writer.write_table(table)
        self._rows, self._bytes = [], 0

    def close(self) -> None:
        try:
            self.flush()
            self._writer.close()
            if self.kind == "arrow":
                self._sink.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            with contextlib.suppress(Exception):  # (the first error is the one to say)
                self.abort()  # the temporary file removed
            raise

    def abort(self) -> None:
        try:
            self._writer.close()
            if self.kind == "arrow":
                self._sink.close()
        finally:
            self._tmp.unlink(missing_ok=True)


def write_rows(
    path: Path, schema: Any, rows: Iterable[tuple[dict[str, Any], int]], **writer_options: Any
) -> None:
    """Stream (row, embedded_bytes) pairs into `path` through a BatchedArrowWriter."""
    writer = BatchedArrowWriter(path, schema, **writer_options)
    try:
        for row, nbytes in rows:
            writer.add(row, nbytes)
    except BaseException:
        writer.abort()
        raise
    writer.close()
