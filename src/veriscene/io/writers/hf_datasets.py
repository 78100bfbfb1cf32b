"""Hugging Face `datasets`: a `DatasetDict.save_to_disk` folder, images as `Image` features.

Layout: `out/dataset_dict.json` and one `Dataset.save_to_disk` folder per split, `out/<split>/`
(`split`, default "train"; exporting another run with another split into the same `out` adds that
split beside the others). So `datasets.load_from_disk(out)` gives a `DatasetDict`,
`load_from_disk(out / "train")` the split's `Dataset`, and `load_dataset(out)` reads the same rows
once a card (`veriscene card`) names each split's `<split>/*.arrow` files in its `configs`: it
refuses a folder with `state.json` at its top, which a single `save_to_disk` folder (the layout
of veriscene 0.10 and before, left at `out` by a previous export, and removed) has.
Sample ids the written split shares with the other splits are warned of (`summary.warnings`,
`shared_ids_warnings`): the same sample in two splits (asked on both sides), or two samples of one
id, as runs over data sets whose images share ids give them (`veriscene.sample_ids`).

Columns are those of the parquet writer (see `parquet.py`) plus `image_paths`, and `images` is a
`List(Image())` feature, so `datasets.load_from_disk(out)["train"][i]["images"]` gives PIL images.

Image bytes are always stored (`write` sets embed for "hf"): `save_to_disk` of recent `datasets`
releases embeds referenced files by itself, and a stored path would be opened relative to the
reader's working directory, not the dataset folder. `image_paths` keeps the paths relative to
image_root (rule in `common`) and each image cell's `path` holds the same relative path. A missing
image becomes a null cell (decoded as None) and is reported in the summary.

Streaming: rows go in batches to an Arrow IPC stream in a temporary folder beside `out`, which
`Dataset.from_file` memory-maps and `save_to_disk` copies into `out`; memory stays one batch.
`datasets` is an optional dependency imported here only (`pip install 'veriscene[hf]'`). Its progress
bar is shown only when standard error is a terminal.

Reproducible: two exports of the same run are the same bytes. `datasets` would give the dataset a
fingerprint (state.json's `_fingerprint`) hashed from the memory-mapped stream's temporary path and
modification time, new every export, so it is set here from the content instead: a hash of the
schema and of every row (image bytes by their SHA-256), whatever the batching. The arrow shards and
dataset_info.json hold nothing else that varies.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from veriscene.card_data import SPLIT_NAME
from veriscene.errors import MissingExtra
from veriscene.io.writers.arrow import require_pyarrow, with_hf_features, write_rows
from veriscene.io.writers.common import ExportSummary, ImageResolver, convert_all, output_dir
from veriscene.io.writers.parquet import embedded_bytes, sample_row, sample_schema

DATASET_DICT = "dataset_dict.json"  # the split names, as `DatasetDict.save_to_disk` writes them
SINGLE_DATASET = ("state.json", "dataset_info.json")  # beside data-*.arrow in a `Dataset.save_to_disk` folder
Row = tuple[dict[str, Any], int]  # a row and the bytes of the images embedded in it


def require_datasets() -> Any:
    """Import `datasets` or fail with the install command."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtra("the 'hf' export format", "hf", "datasets") from exc
    return datasets


@contextmanager
def quiet_progress(datasets: Any, quiet: bool) -> Iterator[None]:
    """`datasets`' progress bars off in the block when `quiet` (an export's output going to a file
    or pipe, which would get every redraw of the bar), as they were after it."""
    logging = datasets.utils.logging
    was = logging.is_progress_bar_enabled()
    if quiet and was:
        logging.disable_progress_bar()
    try:
        yield
    finally:
        if quiet and was:
            logging.enable_progress_bar()


def hf_schema() -> Any:
    pa = require_pyarrow()
    base = sample_schema()
    fields = [f for f in base] + [pa.field("image_paths", pa.list_(pa.string()))]
    return with_hf_features(pa.schema(fields), image_lists=["images"])


def hf_row(
    sample: dict[str, Any], images: ImageResolver, *, mc_style: str = "letter"
) -> Row:
    refs = images.resolve_all(sample)
    row = sample_row(sample, refs, embedded=True, mc_style=mc_style)
    row["image_paths"] = [r.path for r in refs]
    return row, embedded_bytes(refs)


def _bytes_digest(value: Any) -> Any:
    """orjson `default` for the row hash: binary cells (image bytes) by their SHA-256."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    raise TypeError(f"no content hash for a {type(value).__name__} cell")


class ContentFingerprint:
    """A `datasets` fingerprint from the schema and the rows that pass through `rows()`.

    16 hex digits, the length `datasets` itself uses; the same rows in the same order give the same
    fingerprint whatever the batch size, the temporary folder or the process.
    """

    def __init__(self, schema: Any) -> None:
        self._hash = hashlib.sha256(schema.serialize().to_pybytes())

    def rows(self, rows: Iterable[Row]) -> Iterator[Row]:
        for row, nbytes in rows:
            # one line per row: the row's keys are in schema order, so the text is canonical
            self._hash.update(orjson.dumps(row, default=_bytes_digest) + b"\n")
            yield row, nbytes

    def hexdigest(self) -> str:
        return self._hash.hexdigest()[:16]


def check_split(split: str) -> str:
    if not isinstance(split, str) or not SPLIT_NAME.match(split):
        raise ValueError(f"split {split!r}: a split name is letters, digits and _ (train, test, validation)")
    return split


def dataset_dict_splits(out: Path) -> list[str]:
    """The splits `out/dataset_dict.json` lists whose folders hold a saved dataset, in its order."""
    try:
        listed = json.loads((out / DATASET_DICT).read_text(encoding="utf-8")).get("splits", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [s for s in listed if isinstance(s, str) and (out / s / "state.json").is_file()]


def _remove_single_dataset(out: Path) -> None:
    """Remove what a single `save_to_disk` at `out` wrote (an export of veriscene 0.10 or before):
    `load_dataset(out)` refuses a folder with `state.json` at its top."""
    if not (out / "state.json").is_file():
        return
    for path in [*out.glob("data-*.arrow"), *(out / name for name in SINGLE_DATASET)]:
        path.unlink(missing_ok=True)


def write_hf(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    mc_style: str = "letter",
    batch_rows: int = 1000,
    max_shard_size: str | int | None = None,
    split: str = "train",
) -> None:
    """Write split `split` of a `DatasetDict.save_to_disk` folder at `out` (created): `out/<split>/`
    is replaced, the other splits already there are kept and listed in `out/dataset_dict.json`."""
    datasets = require_datasets()
    check_split(split)
    out = output_dir(Path(out), "a folder (hf writes a `save_to_disk` folder)")
    rows = convert_all(samples, summary, lambda _i, s: hf_row(s, images, mc_style=mc_style))
    tmp = Path(tempfile.mkdtemp(prefix=".veriscene-hf-", dir=out.parent))
    try:
        stream = tmp / "data.arrow"
        schema = hf_schema()
        fingerprint = ContentFingerprint(schema)
        write_rows(stream, schema, fingerprint.rows(rows), kind="arrow", batch_rows=batch_rows)
        # what `Dataset.from_file` does, but with our fingerprint: it has no argument for one, and
        # hashes the mapped table, whose state holds the temporary path (a new one every export)
        table = datasets.table.MemoryMappedTable.from_file(str(stream))
        dataset = datasets.Dataset(table, fingerprint=fingerprint.hexdigest())
        _remove_single_dataset(out)
        splits = [s for s in dataset_dict_splits(out) if s != split] + [split]
        with quiet_progress(datasets, not sys.stderr.isatty()):
            # no row (every sample skipped, or none): datasets 5.2 saves no shard, and its
            # load_from_disk of the split then fails (IndexError); one empty shard loads as 0 rows
            dataset.save_to_disk(str(out / split), max_shard_size=max_shard_size,
                                 num_shards=1 if not len(dataset) else None)
        del dataset  # release the memory map before the temporary file goes
        (out / DATASET_DICT).write_text(json.dumps({"splits": splits}), encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary.files.append(out)
    summary.warnings.extend(shared_ids_warnings(out, split, [s for s in splits if s != split]))


def _split_table(out: Path, split: str) -> Any:
    """The Arrow table of a saved split (memory-mapped: only the columns read are paged in)."""
    datasets = require_datasets()
    return datasets.load_from_disk(str(out / split)).data.table


def _sample_keys(table: Any) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """id -> (answer, answer_type, SHA-256 of each image's bytes) of a table's rows, read in
    batches (the image bytes of a few hundred rows at a time)."""
    keys = {}
    for batch in table.select(["id", "answer", "answer_type", "images"]).to_batches(max_chunksize=256):
        for row in batch.to_pylist():
            images = tuple(hashlib.sha256(i["bytes"]).hexdigest() if i and i.get("bytes") else str(i and i.get("path"))
                           for i in row["images"] or ())
            keys[row["id"]] = (row["answer"], row["answer_type"], images)
    return keys


def shared_ids_warnings(out: Path, split: str, others: Iterable[str], listed: int = 3) -> list[str]:
    """What the folder's other splits share with `split` by sample id: an id of both splits is
    either the same sample (answer and image bytes alike: a question asked on both sides) or two
    samples of one id (data sets whose images share ids, `veriscene.sample_ids`): rows of the
    DatasetDict that its `id` column cannot tell apart. One warning per split sharing ids."""
    import pyarrow.compute as pc

    mine = _split_table(out, split)
    found = []
    for other in others:
        theirs = _split_table(out, other)
        both = theirs.filter(pc.is_in(theirs["id"], value_set=mine["id"]))
        if not both.num_rows:
            continue
        ours = _sample_keys(mine.filter(pc.is_in(mine["id"], value_set=both["id"])))
        keys = _sample_keys(both)
        differ = sorted(i for i in keys if keys[i] != ours[i])
        same = sorted(i for i in keys if keys[i] == ours[i])
        parts = []
        if differ:
            parts.append(f"{len(differ)} name other samples (another answer or image: data sets whose images share "
                         f"ids give different samples one id; see the README's 'Sample ids across runs'), e.g. "
                         f"{', '.join(differ[:listed])}")
        if same:
            parts.append(f"{len(same)} are the same sample (answer and image bytes) in both splits, asked on both "
                         f"sides, e.g. {', '.join(same[:listed])}")
        found.append(f"split {split!r} shares {both.num_rows} sample id(s) with split {other!r}: " + "; ".join(parts))
    return found
