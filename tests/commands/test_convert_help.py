"""`convert -r` help: every reader option a user can give is named."""

from __future__ import annotations

import pytest

from veriscene.commands.convert import READER_OPTION_HELP
from veriscene.io.readers import COMMON_OPTIONS, READERS, reader_options

# report, strict and normalizer are set by the command itself (--rejects, --strict, -r synonyms=FILE)
_SET_BY_THE_COMMAND = {"report", "strict", "normalizer"}


@pytest.mark.parametrize("name", sorted(set(COMMON_OPTIONS) - _SET_BY_THE_COMMAND))
def test_every_common_option_is_in_the_help(name: str) -> None:
    assert f"{name}=" in READER_OPTION_HELP


def test_every_format_lists_its_own_options() -> None:
    for fmt in READERS:
        if names := reader_options(fmt):
            assert f"{fmt}: {', '.join(names)}" in READER_OPTION_HELP
    assert "label_map: labels, images, components" in READER_OPTION_HELP and "synonyms=FILE" in READER_OPTION_HELP
