"""The help's table of formats and reader options (`veriscene.commands.reader_help`, read without
importing the readers) is the readers' registry: a reader or option added there is named here."""

from __future__ import annotations

from veriscene.commands.reader_help import FORMATS, READER_OPTIONS
from veriscene.io.readers import READERS, reader_options


def test_the_formats_are_the_registered_readers_in_order() -> None:
    assert FORMATS == tuple(READERS), "update READER_OPTIONS in src/veriscene/commands/reader_help.py"


def test_each_format_has_its_readers_options() -> None:
    registered = {fmt: reader_options(fmt) for fmt in READERS}
    assert READER_OPTIONS == registered, "update READER_OPTIONS in src/veriscene/commands/reader_help.py"
