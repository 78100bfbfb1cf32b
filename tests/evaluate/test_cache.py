"""The request cache: a file that is no SQLite database is refused with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.evaluate.cache import RequestCache


def test_a_broken_request_cache_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "requests.sqlite").write_text("garbage\n")
    with pytest.raises(ValueError, match="is not a usable SQLite file .*: remove it .*cache=PATH or cache=False$"):
        RequestCache(tmp_path / "requests.sqlite")
