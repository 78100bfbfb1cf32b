"""The project's error types, in one place.

Every user-facing error names where the bad data came from (file, line/record, field) so a
one-line message is enough to fix the input. Tracebacks are for bugs, not for bad data.
"""

from __future__ import annotations

from typing import Any


class VerisceneError(Exception):
    """Base class of all errors veriscene raises on purpose."""


class DataError(VerisceneError, ValueError):
    """The input's data is bad: a file malformed or cut short, a record that breaks the data model,
    a side file (label table, synonyms, manifest) that cannot be read. A failure of the data, not
    of the command line: the commands exit 1 on it, 2 on a bad option or a missing input
    (`veriscene.commands.exit_code`). The message names the file, and the record and field where
    there are ones."""


class SceneValidationError(DataError):
    """A scene graph violates the data model.

    `source` is the file (or other origin), `record` the line number or record key, `field` the
    offending field path (e.g. ``objects[3].box``).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
        self.source = source
        self.record = record
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source is not None:
            where.append(str(self.source))
        if self.record is not None:
            where.append(f"line {self.record}" if isinstance(self.record, int) else f"record {self.record}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def located(
        self, source: str | None = None, record: int | str | None = None
    ) -> "SceneValidationError":
        """Return a copy of this error with the file and record filled in (kept when already set)."""
        return SceneValidationError(
            self.reason,
            source=self.source if self.source is not None else source,
            record=self.record if self.record is not None else record,
            field=self.field,
        )


class ProgramError(VerisceneError, ValueError):
    """A program is ill-formed: unknown op, wrong arity, type mismatch, bad argument."""


class ReaderOptionError(VerisceneError, ValueError):
    """A reader option (`-r KEY=VALUE`, ``read(path, fmt, KEY=VALUE)``) has a value its reader
    does not take (``window=mediastinal``, ``axis=7``), or does not fit the input it is given
    with: a usage error (the commands exit 2), not bad data (exit 1). The message names the
    option, the value and the values allowed; `option` and `value` hold the first two."""

    def __init__(self, message: str, *, option: str | None = None, value: Any = None) -> None:
        self.option = option
        self.value = value
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:  # across processes with its option and value
        return _reader_option_error, (str(self), self.option, self.value)


def _reader_option_error(message: str, option: str | None, value: Any) -> ReaderOptionError:
    return ReaderOptionError(message, option=option, value=value)


class MissingExtra(VerisceneError, ImportError):
    """An optional package that a chosen option or input needs is not installed (pyarrow for
    ``export --to parquet``, highdicom for DICOM SEG, Ray for ``--backend ray``): a usage error,
    not bad data, so the commands exit 2 on it, before any work where they can. The message says
    what needs it and the command that installs it: "<what> needs the `<extra>` extra
    (<packages>): pip install 'veriscene[<extra>]'"."""

    def __init__(self, what: str, extra: str, packages: str) -> None:
        self.what, self.extra, self.packages = what, extra, packages
        super().__init__(f"{what} needs the `{extra}` extra ({packages}): pip install 'veriscene[{extra}]'")

    def __reduce__(self) -> tuple[Any, ...]:  # across processes (a worker's reader) with its parts
        return MissingExtra, (self.what, self.extra, self.packages)


class ExecutionFailure(VerisceneError):
    """A well-typed program has no answer on this scene (e.g. `unique` on zero or two objects).

    This is an expected outcome that generators use to reject candidates, not a crash.
    """

    def __init__(self, node: int, op: str, reason: str) -> None:
        self.node = node
        self.op = op
        self.reason = reason
        super().__init__(f"node {node} ({op}): {reason}")
