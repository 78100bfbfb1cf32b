"""Large JSON files read one member at a time.

Annotation sets ship as one JSON file: Visual Genome's `scene_graphs.json` (a list of 108,077
image records, 0.7 GB) or GQA's `train_sceneGraphs.json` (an object of image id -> record). Parsed
whole, such a file takes about ten times its size in memory. `stream_json` yields the members of
the top-level list or object one at a time, each parsed by the standard library's decoder
(`json.JSONDecoder.raw_decode`, its C scanner) from a window of the text, so memory holds one member
and one chunk of text whatever the file's size; values are the ones `json.loads` would give.

A file that is not well-formed JSON raises `JsonStreamError` (with the character offset) when the
fault is reached: the members before it have been yielded, the reader reports the rest as lost.
A compressed file (gzip, zstd, bz2, xz: `instances.json.gz`; or the one file of a zip archive) is
read decompressed, as a stream; one cut short or corrupt raises `JsonStreamError` where its data
stops.
"""

from __future__ import annotations

import codecs
import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from functools import partial
from typing import IO, Any, NamedTuple

from veriscene.scene.compressed import READ_ERRORS, data_compression, data_error, open_data_file, open_text

CHUNK_CHARS = 1 << 22  # characters read at a time (the window grows for a longer member)
_SPACE = " \t\n\r"
_NEAR_END = 64  # a decoding error this close to the end of the text read may be a value cut short


class JsonStreamError(ValueError):
    """The file is not well-formed JSON at character `offset` (after `members` members)."""

    what = "truncated or malformed JSON"  # how a reject introduces it

    def __init__(self, message: str, offset: int, members: int) -> None:
        super().__init__(f"{message.removesuffix(' at')} at character {offset}")
        self.offset, self.members = offset, members


class NotUtf8Error(JsonStreamError):
    """The file holds bytes that are not UTF-8 (JSON text is UTF-8): `message` says where
    (`utf8_fault`), in bytes of the (decompressed) file, as characters cannot be counted there."""

    what = "not UTF-8"

    def __init__(self, message: str, members: int) -> None:
        ValueError.__init__(self, message)
        self.offset, self.members = -1, members


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def utf8_fault(chunks: Iterable[bytes]) -> str | None:
    """Where the bytes `chunks` stop being UTF-8, said so that the user can find and mend it
    (byte offset, line, the bytes around it, how to re-encode), or None if they are UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines, first = 0, 1, True
    history = b""  # the last bytes decoded, for the bytes around a fault at the start of a chunk
    for chunk in chunks:
        if first and chunk.startswith(_UTF16_BOMS):
            return ("the file is UTF-16 text (it starts with a UTF-16 byte order mark); JSON annotation files must "
                    "be UTF-8: re-encode it (iconv -f utf-16 -t utf-8 IN > OUT)")
        first = False
        pending = decoder.getstate()[0]  # bytes of a character the previous chunk cut
        data = pending + chunk
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            at = exc.start  # in `data`: the pending bytes come first
            seen = history + data
            around, line = seen[max(0, len(history) + at - 24):len(history) + at + 8], lines + data.count(b"\n", 0, at)
            return (f"byte 0x{data[at]:02x} at byte {offset - len(pending) + at:,} (line {line}), in {around!r}; JSON "
                    "annotation files must be UTF-8: re-encode the file (one written as Latin-1 or Windows-1252: "
                    "iconv -f cp1252 -t utf-8 IN > OUT)")
        offset += len(chunk)
        lines += chunk.count(b"\n")
        decoded = data[:len(data) - len(decoder.getstate()[0])]
        history = (history + decoded)[-24:]
    return None


def file_utf8_fault(path: str | os.PathLike[str]) -> str | None:
    """`utf8_fault` of a file's (decompressed) bytes, read again from its start."""
    with open_data_file(path) as fh:
        return utf8_fault(iter(partial(fh.read, 1 << 20), b""))


def top_level(path: str | os.PathLike[str]) -> str:
    """The first character of the file's JSON text ("[", "{", ...; "" when empty), past a BOM
    and whitespace."""
    with open_text(path, encoding="utf-8-sig", errors="replace") as fh:
        while True:
            try:
                chunk = fh.read(4096)
            except READ_ERRORS as exc:  # a broken compressed file: its reader reports it
                if not data_error(exc):
                    raise
                return ""
            if not chunk:
                return ""
            text = chunk.lstrip(_SPACE)
            if text:
                return text[0]


class _Window:
    """The text of a file, read in chunks; `text[start:]` is kept when more is read."""

    def __init__(self, fh: IO[str], chunk: int, path: str | os.PathLike[str]) -> None:
        self.fh, self.chunk, self.path = fh, chunk, path
        self.text, self.base, self.eof = "", 0, False  # base: file offset of text[0]

    def more(self, start: int, members: int = 0) -> bool:
        """Drop the text before `start`, read the next chunk after the rest; False at the end.
        A compressed file whose data stops short (truncated or corrupt) raises JsonStreamError,
        which counts the `members` read before."""
        if self.eof:
            return False
        try:
            data = self.fh.read(self.chunk)
        except UnicodeDecodeError:
            raise NotUtf8Error(file_utf8_fault(self.path) or "the file is not UTF-8 text", members) from None
        except READ_ERRORS as exc:
            if not data_error(exc):
                raise  # the system's error (a disk), not the data's
            kind = data_compression(self.path)
            raise JsonStreamError(f"the {kind}-compressed data stops ({exc})", self.base + len(self.text),
                                  members) from exc
        if not data:
            self.eof = True
            return False
        self.base += start
        self.text = self.text[start:] + data
        return True


class RepeatedKeys(dict[str, Any]):
    """A JSON object in which a key appears more than once (``{"2": {...}, "2": {...}}``): the
    last value of each is kept, as `json.loads` keeps it, and `repeated` names the keys, so a
    reader can refuse what the file would otherwise lose silently (GQA's object ids)."""

    repeated: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The decoder's `object_pairs_hook`: a plain dict, or a RepeatedKeys when a key repeats
    (as fast as the decoder's own dicts: `dict(pairs)` is one C call)."""
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    out = RepeatedKeys(value)
    out.repeated = tuple(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return out


def repeated_keys(value: Any) -> tuple[str, ...]:
    """The keys that appear more than once in a JSON object read by `stream_json` (none for any
    other value)."""
    return value.repeated if isinstance(value, RepeatedKeys) else ()


class _Incomplete(Exception):
    """The member runs past the text read so far."""


class Element(NamedTuple):
    """The key `stream_json` gives an element of an expanded member: element `index` of the list
    under `key`."""

    key: str
    index: int  # type: ignore[assignment]  # the field shadows tuple.index on purpose: readers use key.index


_EXPANDED = object()  # `_member`'s value for an expanded member: its elements follow


def stream_json(path: str | os.PathLike[str], chunk_chars: int = CHUNK_CHARS,
                expand: Collection[str] = ()) -> Iterator[tuple[Any, Any]]:
    """(index, value) for each element of the file's top-level list, or (key, value) for each
    member of its top-level object, in file order (an object's repeated keys are all yielded).
    An object inside a member in which a key repeats is a `RepeatedKeys` (`repeated_keys`).
    A member of the top-level object whose key is in `expand` and whose value is a list is given
    element by element instead, as (Element(key, i), element i) (COCO's "annotations"); an
    empty one as (key, []).
    Raises JsonStreamError on malformed text, and ValueError when the top level is neither."""
    decoder = json.JSONDecoder(object_pairs_hook=_json_object)
    with open_text(path, encoding="utf-8-sig") as fh:
        window = _Window(fh, chunk_chars, path)
        pos = _skip_space(window, 0)
        opener = window.text[pos] if pos < len(window.text) else ""
        if opener not in "[{" or not opener:
            raise ValueError(f"the top level is not a list or an object (it starts with {opener[:1]!r})")
        closer = "]" if opener == "[" else "}"
        keyed = opener == "{"
        expand = frozenset(expand) if keyed else frozenset()
        pos += 1
        count = 0
        inside: str | None = None  # the expanded member whose elements are being read
        elements = 0
        while True:
            start = pos
            try:
                if inside is not None:
                    key, value, pos, done = _member(window, decoder, start, False, "]", elements == 0, frozenset())
                else:
                    key, value, pos, done = _member(window, decoder, start, keyed, closer, count == 0, expand)
            except _Incomplete:
                at_end = window.eof
                if window.more(start, count):
                    pos = 0
                    continue
                if not at_end:  # the text read was all there is: parse the member again as final
                    pos = start
                    continue
                where = f"list '{inside}'" if inside is not None else "top-level " + ("object" if keyed else "list")
                raise JsonStreamError(f"the file ends inside the {where}", window.base + len(window.text), count) from None
            except json.JSONDecodeError as exc:
                raise JsonStreamError(exc.msg, window.base + exc.pos, count) from None
            if inside is not None:
                if done:  # the expanded member's list is closed: back to the top level
                    if elements == 0:  # an empty list has no elements to say it was there
                        yield inside, []
                    inside = None
                    count += 1
                else:
                    yield Element(inside, elements), value
                    elements += 1
            elif done:
                _check_rest(window, pos, count)
                return
            elif value is _EXPANDED:
                inside, elements = key, 0
            else:
                yield (key if keyed else count), value
                count += 1
            if pos > chunk_chars:  # keep the window small: drop what was read
                window.text, window.base, pos = window.text[pos:], window.base + pos, 0


def _skip_space(window: _Window, pos: int) -> int:
    text = window.text
    while True:
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        if pos < len(text) or not window.more(pos):
            return pos if pos < len(text) else len(text)
        text, pos = window.text, 0


def _member(window: _Window, decoder: json.JSONDecoder, i: int, keyed: bool, closer: str,
            first: bool, expand: frozenset[str]) -> tuple[Any, Any, int, bool]:
    """The member starting at text[i] (after its separator): (key, value, end, False), or
    (None, None, end, True) at the closing bracket; (key, _EXPANDED, end, False) for a member to
    expand, `end` just inside its list. Raises _Incomplete when the text read so far ends inside
    it."""
    text = window.text
    i = _space(text, i)
    if text[i] == closer:
        return None, None, i + 1, True
    if not first:
        if text[i] != ",":
            raise json.JSONDecodeError(f"expected ',' or {closer!r}", text, i)
        i = _space(text, i + 1)
    key = None
    if keyed:
        if text[i] != '"':
            raise json.JSONDecodeError("expected a string key", text, i)
        key, i = _decode(decoder, window, i)
        i = _space(text, i)
        if text[i] != ":":
            raise json.JSONDecodeError("expected ':'", text, i)
        i = _space(text, i + 1)
        if key in expand and text[i] == "[":
            return key, _EXPANDED, i + 1, False
    value, i = _decode(decoder, window, i)
    return key, value, i, False


def _space(text: str, i: int) -> int:
    """The first non-space position from i; _Incomplete when the text ends first."""
    while i < len(text) and text[i] in _SPACE:
        i += 1
    if i >= len(text):
        raise _Incomplete
    return i


def _decode(decoder: json.JSONDecoder, window: _Window, i: int) -> tuple[Any, int]:
    """One JSON value at text[i]. A value that reaches the end of the text read so far may go on
    (a number cut by the chunk), and a decoding error near the end may be a value cut short
    ("tr" of "true", an unterminated string): both are _Incomplete until the file has no more
    text (a real fault near the end is then found again, further from it)."""
    text = window.text
    try:
        value, end = decoder.raw_decode(text, i)
    except json.JSONDecodeError as exc:
        if not window.eof and (exc.msg.startswith("Unterminated string") or exc.pos >= len(text) - _NEAR_END):
            raise _Incomplete from None
        raise
    if not window.eof and (end >= len(text) or end + 2 >= len(text) and _is_number(value)):
        raise _Incomplete  # "1" of "1.5" or of "1e+5" is a number too
    return value, end


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_rest(window: _Window, pos: int, count: int) -> None:
    """Nothing but whitespace may follow the top-level value."""
    while True:
        rest = window.text[pos:]
        if rest.strip(_SPACE):
            at = pos + len(rest) - len(rest.lstrip(_SPACE))
            raise JsonStreamError("extra data after the top-level value", window.base + at, count)
        if not window.more(len(window.text), count):
            return
        pos = 0
