"""The rows of an Open Images CSV, one image at a time (box, label and relationship files alike).

Open Images ships its files sorted by ImageID: a sorted file is streamed, an unsorted one grouped
in a temporary file first (`_spool`), in order of first appearance (`groups`). A side file (labels,
relationships) is read in step with the box file (`_InStep`), its rows of an image the box file
lacks reported. A file without the columns needed, or one that stops part-way (compressed and cut
short, malformed CSV), is a file reject; a malformed row, or one that is not UTF-8, is a row reject.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from veriscene.io.readers._base import ReadContext, bad
from veriscene.io.readers._spool import GroupedSpool
from veriscene.scene import archives
from veriscene.scene.compressed import READ_ERRORS, data_error, open_data_file, open_text, unreadable

Rows = list[tuple[int, dict[str, str]]]  # (line, row) of one image


def _sorted_by_image(path: Path) -> bool:
    """Whether the rows (after the header) come in ImageID order: one cheap pass over the first column."""
    previous = b""
    with open_data_file(path) as fh:
        try:
            fh.readline()
            for line in fh:
                key = line.split(b",", 1)[0]
                if key < previous:
                    return False
                previous = key
        except READ_ERRORS as exc:  # compressed and cut short: `_rows` reports it where it stops
            if not data_error(exc):
                raise
            return False
    return True


def not_utf8(row: dict[str, Any]) -> str | None:
    """The reject reason of a CSV row read with ``errors="surrogateescape"`` that holds bytes
    that are not UTF-8 (each became a lone surrogate), else None: that row is refused, the file
    read on (a strict decoder would end the whole run at it)."""
    for column, cell in row.items():
        text = cell if isinstance(cell, str) else " ".join(map(str, cell or ()))
        bad_chars = [c for c in text if "\udc80" <= c <= "\udcff"]
        if bad_chars:
            return (f"{column or 'a column'} is not UTF-8 text (byte 0x{ord(bad_chars[0]) - 0xDC00:02x}): "
                    "the CSV must be saved as UTF-8")
    return None


def _rows(path: Path, columns: tuple[str, ...], ctx: ReadContext,
          broken: set[str] | None = None) -> Iterator[tuple[str, int, dict[str, str]]]:
    """(ImageID, line, row) of a CSV. A file without `columns`, or one that stops part-way, is a
    file-level reject (its path added to `broken`); a malformed row is reported and skipped."""
    archives.require_file(path)  # on disk, or a file inside a zip archive
    with open_text(path, encoding="utf-8-sig", newline="", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            _broken(broken, path)
            ctx.file_error(bad(f"CSV header lacks column(s) {', '.join(missing)}", "header"), str(path))
            return
        try:
            for row in reader:
                image_id = (row.get("ImageID") or "").strip()
                if not image_id or None in row or any(row.get(c) is None for c in columns):
                    ctx.reject(f"line {reader.line_num}",
                               bad("malformed row (missing ImageID or wrong number of columns)").located(str(path)))
                    continue
                encoding = not_utf8(row)
                if encoding is not None:
                    ctx.reject(f"line {reader.line_num}", bad(encoding).located(str(path)))
                    continue
                yield image_id, reader.line_num, row
        except csv.Error as exc:
            _broken(broken, path)
            ctx.file_error(bad(f"malformed CSV at line {reader.line_num}: {exc}"), str(path))
        except READ_ERRORS as exc:
            if not data_error(exc):
                raise  # the system's error (a disk), not the data's
            _broken(broken, path)
            ctx.file_error(bad(f"{unreadable(path, exc)} (it stops after line {reader.line_num})"), str(path))


def _broken(broken: set[str] | None, path: Path) -> None:
    if broken is not None:
        broken.add(str(path))


def _spooled(path: Path, columns: tuple[str, ...], ctx: ReadContext, broken: set[str] | None = None) -> GroupedSpool:
    """Every row of the file grouped by ImageID in a temporary file (`_spool`)."""
    spool = GroupedSpool()
    for image_id, line, row in _rows(path, columns, ctx, broken):
        spool.add(image_id, (line, row))
    return spool


def groups(path: Path, columns: tuple[str, ...], ctx: ReadContext,
           streamed: bool | None = None, broken: set[str] | None = None) -> Iterator[tuple[str, Rows]]:
    """(ImageID, [(line, row)]) of a CSV, one image at a time: streamed when the file is sorted
    by ImageID (`streamed`, checked when None), else grouped in a temporary file first, in order
    of first appearance."""
    if streamed is None:
        streamed = _sorted_by_image(path) if archives.is_file(path) else True
    if not streamed:
        spool = _spooled(path, columns, ctx, broken)
        try:
            for image_id, _ in spool.remaining():
                yield image_id, spool.pop(image_id)
        finally:
            spool.close()
        return
    current = ""
    rows: Rows = []
    for image_id, line, row in _rows(path, columns, ctx, broken):
        if image_id != current and rows:
            yield current, rows
            rows = []
        current = image_id
        rows.append((line, row))
    if rows:
        yield current, rows


class _InStep:
    """The rows of a side file for one image at a time. Read in step with the main file when
    both are sorted by ImageID (`asked_in_order`: the main file asks in that order), else
    grouped in a temporary file first. Rows of an image the main file does not have are reported
    (`report_unasked`, `finish`), never dropped silently."""

    def __init__(self, path: Path, columns: tuple[str, ...], ctx: ReadContext, asked_in_order: bool,
                 level: str) -> None:
        archives.require_file(path)
        self.path, self._ctx, self._level = path, ctx, level
        self._in_step = asked_in_order and _sorted_by_image(path)
        self._spool = None if self._in_step else _spooled(path, columns, ctx)
        self._groups = groups(path, columns, ctx, True) if self._in_step else iter(())
        self._next = next(self._groups, None)

    @property
    def source(self) -> str:
        return str(self.path)

    def take(self, image_id: str) -> Rows:
        if self._spool is not None:
            return self._spool.pop(image_id)
        while self._next is not None and self._next[0] < image_id:
            self.report_unasked(*self._next)
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == image_id:
            rows, self._next = self._next[1], next(self._groups, None)
            return rows
        return []

    def finish(self) -> None:
        """Report the rows of every image the main file never asked for (once it has ended)."""
        if self._spool is not None:
            for image_id, _ in self._spool.remaining():
                self.report_unasked(image_id, self._spool.pop(image_id))
            return
        while self._next is not None:
            self.report_unasked(*self._next)
            self._next = next(self._groups, None)

    def report_unasked(self, image_id: str, rows: Rows) -> None:
        """One reject for an image of this file that the main file has no box for."""
        lines = [line for line, _ in rows]
        shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
        error = bad(f"image {image_id!r} has no box in the box file: its {len(lines)} row(s) here "
                    f"(line {shown}) are not read", "ImageID")
        self._ctx.reject(image_id, error.located(self.source), self._level)

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
