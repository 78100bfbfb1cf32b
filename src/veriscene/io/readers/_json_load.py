"""JSON annotation files as the readers load them: whole, or record by record when the file is
a top-level list (`_json.stream_json`); a file that cannot be read is a file-level reject."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from veriscene.io.readers._fields import bad
from veriscene.io.readers._json import JsonStreamError, stream_json, top_level, utf8_fault
from veriscene.scene.compressed import READ_ERRORS, data_error, open_data_file, unreadable

if TYPE_CHECKING:  # annotations only: `_base` imports this module
    from veriscene.io.readers._base import ReadContext


def load_json(path: str | os.PathLike[str], ctx: ReadContext) -> Any:
    """Load a whole JSON file (`parse_json`: a BOM and NaN tokens are read), decompressed or
    unzipped (`open_data_file`); None (after a file-level reject) if it is malformed or,
    compressed, cut short, or holds only ``null`` (no reader takes that for "no records": it
    would vanish unsaid, as a reader skips a file it got None for)."""
    try:
        with open_data_file(path) as fh:
            data = fh.read()
    except READ_ERRORS as exc:
        if not data_error(exc):
            raise  # the system's error (a disk), not the data's
        ctx.file_error(bad(unreadable(path, exc)), str(path))
        return None
    try:
        value = parse_json(data)
    except ValueError as exc:  # orjson.JSONDecodeError and json.JSONDecodeError are ValueErrors
        encoding = utf8_fault([data])  # orjson says "surrogates not allowed ... (char 0)" of a Latin-1 byte
        if encoding is not None:
            ctx.file_error(bad(f"not UTF-8: {encoding}"), str(path))
            return None
        hint = "truncated or malformed JSON" if data.strip(_BLANK) else "empty file"
        ctx.file_error(bad(f"{hint}: {exc}"[:300]), str(path))
        return None
    if value is None:
        ctx.file_error(bad("the file holds only null: no annotation records"), str(path))
    return value


_BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark, which some editors write at the start of a file
_BLANK = b" \t\r\n" + _BOM


def parse_json(data: bytes) -> Any:
    """JSON text -> value, as the streamed readers (`_json.stream_json`) read it: a leading BOM is
    skipped, NaN and Infinity tokens are numbers (orjson refuses them; the standard library's
    decoder takes them), so the per-record checks reject only the record holding one, and every
    integer is exact (orjson reads one outside [-2**63, 2**64 - 1] as a float: an image id of
    2**64 was refused as "1.8446744073709552e+19"). orjson parses; the standard library parses a
    text that orjson refuses, or that may hold such an integer (`_may_hold_wide_int`)."""
    data = data.removeprefix(_BOM)
    if _may_hold_wide_int(data):
        try:
            return json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass  # malformed: orjson's message names the fault
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            return json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise exc from None


# Every integer outside [-2**63, 2**64 - 1] is written with 19 digits or more. In the text mapped
# by `_RUNS` (digits -> "0", "." kept, any other byte -> " "), the first digits of such an integer
# follow a " " (a sign, a space, "[", ":" or ","), while a fraction's digits follow a ".": a float
# of many digits (0.00012345678901234567, which Python writes) is not taken for one.
_RUNS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E if b == 0x2E else 0x20 for b in range(256))  # "0", ".", " "
_WIDE_INT = b" " + b"0" * 19
_CHUNK = 1 << 18  # bytes mapped at a time (a copy of this size, not of the file)


def _may_hold_wide_int(data: bytes) -> bool:
    """Whether `data` may hold an integer that orjson reads as a float: a run of 19 digits or more
    not after a ".". Such a run in a string, or a 19-digit integer within 64 bits, is found too (the
    text is then parsed by the slower standard library, correctly); none is missed. About 1 ns a
    byte, where orjson takes 3 to 25 (`benchmarks/json_load.py`)."""
    if data[:19].isdigit():  # the text is one number
        return True
    overlap = len(_WIDE_INT) - 1  # a run that starts in one chunk is found in it whole
    return any(_WIDE_INT in data[i:i + _CHUNK + overlap].translate(_RUNS) for i in range(0, len(data), _CHUNK))


def json_records(path: str | os.PathLike[str], ctx: ReadContext, list_key: str | None,
                 single_keys: Sequence[str], expected: str) -> Iterator[Any]:
    """The records of a JSON file, as `as_records` finds them. A top-level list (Visual Genome's
    0.7 GB `scene_graphs.json`) is read one record at a time (`_json.stream_json`): memory holds
    one record whatever the file's size, and a fault part-way is reported after the records
    before it. Other files are loaded whole; `expected` is the message when they hold no records."""
    if top_level(path) == "[":
        count = 0
        try:
            for _, record in stream_json(path):
                yield record
                count += 1
        except (JsonStreamError, UnicodeDecodeError) as exc:
            ctx.file_error(bad(stream_fault(exc, count, "records")), str(path))
        return
    data = load_json(path, ctx)
    if data is None:
        return
    records = as_records(data, list_key, single_keys)
    if records is None:
        ctx.file_error(bad(expected), str(path))
        return
    yield from records


def stream_fault(exc: Exception, count: int, what: str) -> str:
    """The reject reason for a file whose streaming stopped at a fault, after `count` `what`."""
    before = f"; the {count} {what} before it were read" if count else ""
    return f"{getattr(exc, 'what', 'truncated or malformed JSON')}: {str(exc)[:300]}{before}"


def as_records(data: Any, list_key: str | None, single_keys: Sequence[str]) -> list[Any] | None:
    """Top-level JSON -> list of records: a list, {list_key: [...]}, or one record dict."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if list_key is not None and isinstance(data.get(list_key), list):
            return data[list_key]
        if any(k in data for k in single_keys):
            return [data]
    return None
