"""The reject report: every record a reader refuses, and every repair it makes, counted.

A reject is one JSON line ``{"file", "record", "field", "reason", "level"}`` where `level` says
what was refused: a whole ``file`` (e.g. truncated JSON), a ``scene`` (one image), or, when a reader
is asked to keep the rest of a scene, one ``object``, ``attribute`` entry or ``relation``; or a
``mask`` left out of a scene that is kept (a COCO polygon of one or two points, which outlines
nothing: its object keeps its other polygons and its box; the masks of a scene some of whose objects
have none). A ``mask`` entry never stops a strict run: strict stops at the first record refused,
and that record is kept. Repairs (boxes clipped to the image, masks transposed, ...) are not
rejects: they are only counted, by kind.

Nothing vanishes silently: a reader either yields a valid scene or reports why it did not.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from veriscene.errors import SceneValidationError

LEVELS = ("file", "scene", "object", "attribute", "relation", "mask")
# levels of a part left out of a record that is kept: reported and counted, never raised in strict mode
KEPT_RECORD_LEVELS = frozenset(("mask",))


@dataclass(frozen=True)
class Reject:
    file: str | None
    record: int | str | None
    field: str | None
    reason: str
    level: str = "scene"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def renamed(source: str | None, names: dict[str, str]) -> str | None:
    """`source` as `names` say it (a local copy -> its URL): the file itself, or a file inside a
    folder named there (said under the folder's URL)."""
    if source is None or not names:
        return source
    if source in names:
        return names[source]
    for local, url in names.items():
        if source.startswith(local.rstrip(os.sep) + os.sep):
            return url.rstrip("/") + "/" + Path(source[len(local.rstrip(os.sep)) + 1:]).as_posix()
    return source


class RejectReport:
    """Collects rejects and repair counts.

    With `path`, each reject is written as a JSON line as soon as it arrives (so a killed run
    still leaves its report); the first `keep` rejects are also held in `entries` for display.
    Use as a context manager, or call `close()`. `deferred`: the file is made at the first reject,
    or when the report closes without one; a report left by an error before either (a reader
    refusing its options, which it does before its first record) makes none.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, keep: int = 1000,
                 append_at: int | None = None, names: dict[str, str] | None = None,
                 deferred: bool = False) -> None:
        self.path = Path(path) if path is not None else None
        self.names = dict(names or {})  # files said otherwise in the report: a local copy -> its URL
        self.keep = keep
        self.entries: list[Reject] = []
        self.rejected: Counter[str] = Counter()  # level -> count
        self.repairs: Counter[str] = Counter()  # kind -> count, e.g. "boxes_clipped"
        self._fh: IO[bytes] | None = None
        self._deferred = deferred and self.path is not None and append_at is None
        if not self._deferred:
            self._open(append_at)

    def _open(self, append_at: int | None = None) -> None:
        self._deferred = False
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if append_at is not None and self.path.is_file():  # a resumed run: keep the first `append_at` bytes
                self._fh = open(self.path, "r+b")  # noqa: SIM115
                self._fh.truncate(append_at)
                self._hold(self._fh.read(append_at))  # the run's first rejects, as a run not stopped holds them
                self._fh.seek(append_at)
            else:
                self._fh = open(self.path, "wb")  # noqa: SIM115 - held open to stream rejects; see close()

    def _hold(self, kept: bytes) -> None:
        """Hold the first `keep` rejects of a report's kept part in `entries` (not counted again:
        a resumed run restores its counts itself)."""
        for line in kept.splitlines()[:self.keep]:
            try:
                self.entries.append(Reject(**orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError):  # a line not of this report's making: not shown
                continue

    def tell(self) -> int:
        """Bytes of the report written so far (flushed), for a run to resume from."""
        if self._fh is None:
            return 0
        self._fh.flush()
        return self._fh.tell()

    # ---- recording -------------------------------------------------------------------------

    def add(self, error: SceneValidationError, level: str = "scene") -> Reject:
        """Record one reject from a located SceneValidationError."""
        if level not in LEVELS:
            raise ValueError(f"reject level must be one of {LEVELS}, got {level!r}")
        source = error.source
        return self.record(Reject(
            file=renamed(source, self.names), record=error.record,
            field=error.field, reason=error.reason, level=level,
        ))

    def record(self, entry: Reject) -> Reject:
        """Record one reject made elsewhere (a worker's, say)."""
        level = entry.level
        if level not in LEVELS:
            raise ValueError(f"reject level must be one of {LEVELS}, got {level!r}")
        self.rejected[level] += 1
        if len(self.entries) < self.keep:
            self.entries.append(entry)
        if self._deferred:
            self._open()
        if self._fh is not None:
            self._fh.write(_line(entry))
        return entry

    def count(self, kind: str, n: int = 1) -> None:
        """Count a repair (not a reject): `kind` is a short snake_case name."""
        if n:
            self.repairs[kind] += n

    # ---- reading back ----------------------------------------------------------------------

    @property
    def total(self) -> int:
        return sum(self.rejected.values())

    @property
    def boxes_clipped(self) -> int:
        return self.repairs["boxes_clipped"]

    def summary(self) -> dict[str, Any]:
        reasons: Counter[str] = Counter(e.reason[:60] for e in self.entries)
        return {
            "rejected": self.total,
            "rejected_by_level": {level: self.rejected[level] for level in LEVELS if self.rejected[level]},
            "repairs": dict(sorted(self.repairs.items())),
            "top_reasons": dict(reasons.most_common(5)),
            "report": str(self.path) if self.path is not None else None,
        }

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the kept entries as JSONL (for reports built without a path)."""
        with open(path, "wb") as fh:
            fh.writelines(_line(entry) for entry in self.entries)

    def close(self) -> None:
        if self._deferred:  # no reject came: the report is made, empty
            self._open()
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> RejectReport:  # noqa: PYI034 - Self needs Python 3.11
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            self._deferred = False  # an error before any reject: no report made for it
        self.close()


def _line(entry: Reject) -> bytes:
    """A reject as a JSON line. Text that no UTF-8 file can hold (a lone surrogate, "\\ud800", from
    a JSON escape or an undecodable file name) is written as its escape: a report line must
    never end the run that writes it."""
    record = entry.to_dict()
    try:
        return orjson.dumps(record) + b"\n"
    except orjson.JSONEncodeError:
        return orjson.dumps(_escaped(record)) + b"\n"


def writable(text: str) -> str:
    """`text` with anything no UTF-8 file can hold (a lone surrogate) written as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return writable(value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    return value
