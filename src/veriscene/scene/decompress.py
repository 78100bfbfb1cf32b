"""A compressed file decompressed as a stream that knows where it stands: one cut short or corrupt
raises an error saying where (`Damage`), after every byte decompressed before the damage has been
read.

The standard library's readers (`gzip.GzipFile`, `bz2.BZ2File`, `lzma.LZMAFile`) cannot say it:
they read ahead of what they have decompressed and hand their data on through buffers that an
error drops. bz2 and xz's also end a file without a word at bytes after a stream that start no
other (the rest of a file whose second stream is damaged went unread and unsaid). Here each gzip
member, bz2 or xz stream, or zstd frame is decompressed by the library's incremental decompressor
(`zlib.decompressobj`, `bz2.BZ2Decompressor`, `lzma.LZMADecompressor`, zstandard's
`decompressobj`), fed `_READ` compressed bytes at a time, and the reader counts as it goes: the
compressed bytes fed, the decompressed bytes made, their line ends. NUL bytes between or after
members are padding (gzip's convention, xz's stream padding); any other byte there must start a
member. Memory: at most `_OUT` decompressed bytes a call, and a `_BUFFER` of them, whatever the
input: a piece of long runs (or a decompression bomb) that decompresses to gigabytes is given out
`_OUT` at a time (`_Capped`: the decompressors' `max_length`; zstandard's decompressobj has none,
so a zstd frame is fed a few blocks at a time, each of which makes at most 128 KiB).

A piece with corrupt data fails as a whole, and the decompressors cannot be copied (but zlib's),
so the member is decompressed again from its start to find the byte it fails at and what it gives
before it, the failing piece a byte at a time: once per damaged file, where the file can be
seeked in (else the damage is said to lie somewhere in that piece). Where corruption is detected
is not where it began: a checksum is checked at the end of a gzip member, a bz2 or xz block and a
zstd frame (when it has one), and until then wrong bytes may be handed on (the message says from
which line they may be wrong). A file cut short gives every byte its complete blocks hold.

Positions count decompressed bytes from the start of the data (the contract of
`veriscene.scene.compressed`): seeking forward reads on, seeking backward starts again from the top.
"""

from __future__ import annotations

import bz2
import io
import lzma
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

import numpy as np

from veriscene.errors import MissingExtra

_READ = 1 << 18  # compressed bytes read at a time
_OUT = 1 << 22  # decompressed bytes made at most a call (a piece of JSONL makes 1 to 2.5 MB: one call)
_ZSTD_BLOCK = 1 << 17  # the most a zstd block decompresses to (Block_Maximum_Size, RFC 8878 3.1.1.2.4)
_BUFFER = 1 << 20  # bytes of a reader's buffer
UNITS = {"gzip": "member", "bz2": "stream", "xz": "stream", "zstd": "frame"}  # what a file is a run of


@dataclass(frozen=True)
class Damage:
    """Where a compressed file stops being readable, and what was read of it before."""

    kind: str  # its compression: "gzip", "bz2", "xz", "zstd"
    truncated: bool  # its data ends early (else it is corrupt)
    reason: str  # the decompressor's words ("" for a file cut short)
    offset: int  # compressed byte where the damage was met (cut short: the file's size)
    size: int | None  # the file's size in bytes (None: not known, e.g. a member of a zip archive)
    member: int  # compressed byte where the member (stream, frame) holding it starts
    produced: int  # decompressed bytes before the damage
    # complete lines (line ends) in them, bytes of a last line cut off by it (0: they end with a
    # line end, or are none), complete lines before the member; None: not counted (a file that
    # cannot be read again from its top)
    lines: int | None
    partial: int | None
    member_lines: int | None
    span: int = 0  # met in the compressed bytes from `offset` on this many, not known where (0: at `offset`)

    def __str__(self) -> str:
        unit = f"{self.kind} {UNITS[self.kind]}"
        if self.truncated:
            inside = f", inside the {unit} that starts at byte {self.member:,}" if self.member else ""
            where = f"it ends early: its {self.kind} data stops at compressed byte {self.offset:,}, the end of the file{inside}"
        else:
            of = f" of {self.size:,}" if self.size is not None else ""
            at = (f"in compressed bytes {self.offset:,} to {self.offset + self.span - 1:,}" if self.span
                  else f"at compressed byte {self.offset:,}")
            where = f"corrupt {self.kind} data met {at}{of} ({self.reason})"
        said = f"{where}, after {self.produced:,} decompressed bytes"
        if self.lines is not None:
            cut = (f", then line {self.lines + 1:,} cut off after {self.partial:,} byte{'s' * (self.partial != 1)}"
                   if self.partial else ", none cut off")
            said += f": {self.lines:,} complete line{'s' * (self.lines != 1)}{cut}"
        if not self.truncated:  # detected (by a checksum, a code that cannot be) after it began
            line = f" and line {self.member_lines + 1:,}" if self.member_lines is not None else ""
            said += (f"; the damage may lie anywhere in its {unit}, from compressed byte {self.member:,}{line} on, "
                     "and the lines from there may be wrong")
        return said


class TruncatedData(EOFError):
    """A compressed file that ends inside a member; `damage` says where."""

    def __init__(self, damage: Damage) -> None:
        super().__init__(str(damage))
        self.damage = damage


class CorruptData(OSError):
    """A compressed file whose data cannot be decompressed; `damage` says where. An OSError
    without errno: the data's fault, not the system's (`compressed.data_error`)."""

    def __init__(self, damage: Damage) -> None:
        super().__init__(str(damage))
        self.damage = damage


def zstandard_module() -> Any:
    """The `zstandard` package, or MissingExtra saying how to install it."""
    try:
        import zstandard
    except ImportError:
        raise MissingExtra("a zstd-compressed file", "zstd", "zstandard") from None
    return zstandard


def _decompressors(kind: str) -> tuple[Callable[[], Any], tuple[type[BaseException], ...]]:
    """(a maker of decompressors of one member of `kind`, the errors they raise on bad data)."""
    if kind == "gzip":
        return lambda: zlib.decompressobj(wbits=31), (zlib.error,)  # 31: one gzip member, its CRC checked
    if kind == "bz2":
        return bz2.BZ2Decompressor, (OSError,)  # "Invalid data stream", of a bad block CRC too
    if kind == "xz":
        return lzma.LZMADecompressor, (lzma.LZMAError,)
    if kind == "zstd":
        zstandard = zstandard_module()
        maker = zstandard.ZstdDecompressor()
        return maker.decompressobj, (zstandard.ZstdError,)
    raise ValueError(f"unknown compression {kind!r} (known: {', '.join(UNITS)})")


class _Capped:
    """One member's decompressor that makes at most `_OUT` bytes a call. `decompress(data)` takes
    all of `data` (what it cannot decompress yet it keeps); while `more` is true it has more to
    give of what it was given, and is called with b"" until it has not. `eof` and `unused_data`
    (the bytes given after the member's end) are the wrapped decompressor's."""

    def __init__(self, dec: Any) -> None:
        self._dec = dec
        self.more = False

    def decompress(self, data: bytes | memoryview) -> bytes:  # bz2 and xz keep what they have not used
        out: bytes = self._dec.decompress(data, _OUT)
        self.more = not self._dec.eof and not self._dec.needs_input
        return out

    @property
    def eof(self) -> bool:
        return bool(self._dec.eof)

    @property
    def unused_data(self) -> bytes:
        return bytes(self._dec.unused_data)


class _CappedZlib(_Capped):
    """zlib's: what it leaves of the input is its `unconsumed_tail`, given again."""

    def __init__(self, dec: Any) -> None:
        super().__init__(dec)
        self._tail: bytes | memoryview = b""

    def decompress(self, data: bytes | memoryview) -> bytes:
        out: bytes = self._dec.decompress(self._tail or data, _OUT)
        self._tail = self._dec.unconsumed_tail
        # (a full call may leave output in zlib with no input left: one more call says)
        self.more = not self._dec.eof and (bool(self._tail) or len(out) == _OUT)
        return out


class _CappedZstd(_Capped):
    """zstandard's decompressobj, fed at most `_OUT // _ZSTD_BLOCK` blocks a call: the frame's
    header and block headers are read (RFC 8878) to know where its blocks end. Bytes it cannot
    read as a frame (another magic number, a reserved block type) are fed as they are: zstd
    itself refuses them (or, a skippable frame, makes nothing of them)."""

    def __init__(self, dec: Any) -> None:
        super().__init__(dec)
        self._held: memoryview = memoryview(b"")  # given, not fed yet
        self._next = 0  # offset in `_held` of the next header (may lie past it)
        self._carry = b""  # a header's first bytes, fed with the input before `_held`
        self._what: str | None = "frame"  # what the next header is: "frame", "block", "checksum"; None: not read
        self._checksum = False  # the frame ends in a 4-byte checksum

    def decompress(self, data: bytes | memoryview) -> bytes:
        if len(data):
            self._held = memoryview(data)
        n = self._blocks_end()
        piece, self._held = self._held[:n], self._held[n:]
        self._next -= n
        out: bytes = self._dec.decompress(piece) if len(piece) else b""
        self.more = bool(len(self._held)) and not self._dec.eof
        return out

    @property
    def unused_data(self) -> bytes:
        return bytes(self._dec.unused_data) + bytes(self._held)

    def _header(self, size: int) -> bytes | None:
        """The `size` bytes from the next header on (its first ones may be in `_carry`), or None
        when `_held` ends first."""
        start = max(self._next, 0)
        got = self._carry + bytes(self._held[start : start + size - len(self._carry)])
        return got if len(got) == size else None

    def _blocks_end(self) -> int:
        """How many bytes of `_held` to feed now: up to the end of the `_BLOCKS`-th block that ends
        in it, or all of it."""
        ends = 0
        while self._what is not None and self._next < len(self._held):
            size = {"frame": 5, "block": 3, "checksum": 4}[self._what]
            header = self._header(size)
            if header is None:  # it goes on in the next input
                self._carry += bytes(self._held[max(self._next, 0) :])
                self._next = len(self._held)
                break
            at, self._carry = self._next - len(self._carry), b""  # where the header starts
            if self._what == "frame":
                self._next = at + self._frame_header(header)
            elif self._what == "checksum":
                self._what = None  # the frame ends: what follows is the next member's
            else:
                value = int.from_bytes(header, "little")
                last, kind, size = value & 1, (value >> 1) & 3, value >> 3
                if kind == 3:  # reserved: zstd refuses it
                    self._what = None
                    break
                self._next = at + 3 + (1 if kind == 1 else size)  # an RLE block holds one byte
                if last:
                    self._what = "checksum" if self._checksum else None
                ends += 1
                if ends >= _OUT // _ZSTD_BLOCK:
                    return min(self._next, len(self._held))
        return len(self._held)

    def _frame_header(self, header: bytes) -> int:
        """The size of the frame header that starts with `header` (magic number, descriptor);
        from then on blocks are read, or, not a zstd frame's, nothing more."""
        if int.from_bytes(header[:4], "little") != 0xFD2FB528 or header[4] & 0x08:  # (a reserved bit set)
            self._what = None
            return 0
        descriptor = header[4]
        single = (descriptor >> 5) & 1
        self._checksum = bool((descriptor >> 2) & 1)
        self._what = "block"
        content = (1 if single else 0, 2, 4, 8)[descriptor >> 6]
        return 5 + (0 if single else 1) + (0, 1, 2, 4)[descriptor & 3] + content


def _capped(kind: str, dec: Any) -> _Capped:
    """`dec`, a new decompressor of one member of `kind`, making at most `_OUT` bytes a call."""
    if kind == "gzip":
        return _CappedZlib(dec)
    if kind == "zstd":
        return _CappedZstd(dec)
    return _Capped(dec)


class Decompressed(io.RawIOBase):
    """The decompressed bytes of `raw`, an open binary file compressed with `kind` from where it
    stands: every member one after another, seekable as the module docstring says. A file cut
    short raises TruncatedData (an EOFError), a corrupt one CorruptData (an OSError), once the
    bytes before the damage have been read. Closing it closes `raw` only if it `owns` it."""

    def __init__(self, raw: BinaryIO, kind: str, owns: bool = False) -> None:
        self._new, self._errors = _decompressors(kind)
        self._raw, self._kind, self._owns = raw, kind, owns
        self._start = raw.tell()
        # Line ends are counted only when the file is damaged, by reading it again from the top
        # (`_recount`), with `_counting`: a pass over every byte would cost a tenth of the time
        # zstd takes to decompress them. That reading goes a byte at a time from compressed
        # offset `_slow` on (to find the byte a corrupt piece fails at), and keeps in `_kept`
        # the bytes it makes past decompressed offset `_keep` (those the failing piece gives).
        self._counting = False
        self._slow: int | None = None
        self._keep = 0
        self._kept: list[bytes] = []
        self._reset()

    def _reset(self) -> None:
        self._dec: _Capped | None = None  # the decompressor of the member being read; None between members
        self._member = 0  # compressed offset (from `_start`) where it starts
        self._member_lines = 0  # complete lines before it (`_counting`)
        self._fed = 0  # compressed bytes given to decompressors
        self._input: bytes | memoryview = b""  # compressed bytes read but not given yet
        self._piece = (0, 0)  # (offset, length) of the compressed bytes given last (`_fed` counts them)
        self._out, self._at = b"", 0  # decompressed bytes, of which those from `_at` on are not read yet
        self._pos = 0  # decompressed bytes read (or seeked past)
        self._made = 0  # decompressed bytes made
        self._lines = 0  # line ends in them (`_counting`)
        self._line_at = 0  # where the last line of them starts (`_counting`)
        self._damage: Exception | None = None  # raised once the bytes made before it are read

    @property
    def name(self) -> Any:
        return self._raw.name  # (AttributeError when `raw` has none, as of a BufferedReader over it)

    # -- decompressing ----------------------------------------------------------------------
    def _fill(self) -> bool:
        """Decompress more into `_out` (the last of it having been read); False at the end."""
        while True:
            if self._damage is not None:
                raise self._damage
            data: bytes | memoryview = b""
            if self._dec is not None and self._dec.more:  # more of the piece given before
                pass
            elif not self._input:
                self._input = self._raw.read(_READ)
                if not self._input:
                    if self._dec is None:
                        return False
                    self._damage = TruncatedData(self._found(True, "", self._fed, self._start + self._fed))
                continue
            else:
                if self._dec is None:  # between members: padding, or the next one
                    unpadded = bytes(self._input).lstrip(b"\0")
                    self._fed += len(self._input) - len(unpadded)
                    self._input = unpadded
                    if not unpadded:
                        continue
                    self._dec, self._member, self._member_lines = _capped(self._kind, self._new()), self._fed, self._lines
                data = self._input
                if self._slow is not None and self._fed + len(data) > self._slow:  # a byte at a time from there
                    n = max(self._slow - self._fed, 1)
                    data = memoryview(data)[:n]
                self._input = memoryview(self._input)[len(data) :]
                self._piece = (self._fed, len(data))  # fed now: where damage met until the next is
                self._fed += len(data)
            try:
                out = self._dec.decompress(data)
            except self._errors as exc:
                out = self._corrupt(str(exc), *self._piece)
            else:
                if self._dec.eof:  # the member ends in what it was given; what follows it is read next
                    unused, self._dec = self._dec.unused_data, None
                    self._input = unused + self._input if len(self._input) else unused
                    self._fed -= len(unused)
                self._made_more(out)
            if out:
                self._out, self._at = out, 0
                return True

    def _corrupt(self, reason: str, at: int, failed: int) -> bytes:
        """Note the damage met in the `failed` compressed bytes from `at` on (the piece fed last);
        returns the bytes the member gives before it (found by `_recount`, or none)."""
        self._input = b""
        exact = self._slow is not None and at >= self._slow and failed == 1
        damage = self._found(False, reason, at, self._size(), 0 if exact else failed)
        out = b""
        if not self._counting:
            damage, out = self._recount(damage)
            self._made_more(out)
        self._damage = CorruptData(damage)
        self._fed = damage.offset - self._start
        return out

    def _made_more(self, out: bytes) -> None:
        """Count the decompressed bytes `out` (and their line ends, `_counting`)."""
        if self._counting and out:
            ends = int(np.count_nonzero(np.frombuffer(out, np.uint8) == 10))  # (2x as fast as out.count(b"\n"))
            if ends:
                self._lines += ends
                self._line_at = self._made + out.rindex(b"\n") + 1
            if self._made + len(out) > self._keep:
                self._kept.append(out[max(self._keep - self._made, 0) :])
        self._made += len(out)

    def _found(self, truncated: bool, reason: str, at: int, size: int | None, span: int = 0) -> Damage:
        """The damage met at compressed offset `at`, its lines counted (`_counting`) or not yet."""
        damage = Damage(self._kind, truncated, reason, self._start + at, size, self._start + self._member, self._made,
                        None, None, None, span)
        if self._counting:
            return replace(damage, lines=self._lines, partial=self._made - self._line_at, member_lines=self._member_lines)
        return self._recount(damage)[0] if truncated else damage  # (a corrupt file's: by `_corrupt`)

    def _recount(self, damage: Damage) -> tuple[Damage, bytes]:
        """(`damage` with the lines before it counted, the bytes the failing piece of a corrupt
        file gives before it): the file decompressed again from its top with the counts on, the
        piece a byte at a time, to find the byte it fails at. `damage` as it is, and no bytes,
        when `raw` cannot be seeked back in or does not give the same damage again; `raw` is left
        where it stood."""
        stood = self._raw.tell()
        if not _seek(self._raw, self._start):
            return damage, b""
        again = Decompressed(self._raw, self._kind)
        again._counting, again._keep = True, self._made
        if not damage.truncated:
            again._slow = damage.offset - self._start
        found = None
        try:
            while again._fill():
                pass
        except (TruncatedData, CorruptData) as exc:
            found = exc.damage
        finally:
            _seek(self._raw, stood)
        kept = b"".join(again._kept)
        if found is None or found.truncated != damage.truncated or found.produced != self._made + len(kept):
            return damage, b""
        if damage.truncated and found.offset != damage.offset:
            return damage, b""
        if not damage.truncated and not (found.span == 0 and damage.offset <= found.offset < damage.offset + damage.span):
            return damage, b""
        return replace(found, size=damage.size), kept

    def _size(self) -> int | None:
        try:
            return os.fstat(self._raw.fileno()).st_size
        except (OSError, AttributeError):  # no file descriptor (io.UnsupportedOperation is an OSError)
            return None

    # -- io.RawIOBase -----------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._at >= len(self._out) and not self._fill():
            return 0
        n = min(len(buffer), len(self._out) - self._at)
        buffer[:n] = memoryview(self._out)[self._at : self._at + n]
        self._at += n
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation(f"a {self._kind}-compressed file cannot be seeked from its end")
        if offset < self._pos:  # backward: from the top again
            self._raw.seek(self._start)
            self._reset()
        while self._pos < offset:
            if self._at >= len(self._out) and not self._fill():
                break  # past the end, as a plain file allows
            step = min(len(self._out) - self._at, offset - self._pos)
            self._at += step
            self._pos += step
        return self._pos

    def close(self) -> None:
        if not self.closed and self._owns:
            self._raw.close()
        super().close()


def _seek(raw: BinaryIO, offset: int) -> bool:
    """Seek `raw` to `offset`; False if it cannot be."""
    try:
        raw.seek(offset)
    except OSError:  # io.UnsupportedOperation is one
        return False
    return True


def decompressed(raw: BinaryIO, kind: str, owns: bool = False) -> BinaryIO:
    """`Decompressed` in a buffered reader of `_BUFFER` bytes."""
    return io.BufferedReader(Decompressed(raw, kind, owns), buffer_size=_BUFFER)
