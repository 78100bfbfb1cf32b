"""The card is written whole or not at all (`save_card`, which `card` and `write_card` write
through): a write failing part-way (a full disk) leaves an earlier card as it was, no temporary
beside it, and no folder made for it. Before, the card was written in place: half a card stood
where a good one was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.file_limit import listing, posix_only, writes_cut_at
from veriscene.card import save_card

CARD = "---\nlicense: cc-by-4.0\n---\n# Ünïcode card\n" + "| task | samples |\n" * 2000  # ~40 kB


def test_the_card_is_written_as_before(tmp_path: Path) -> None:
    assert save_card(CARD, tmp_path) == tmp_path / "README.md"
    assert listing(tmp_path) == {"README.md": CARD.encode("utf-8")}


@posix_only
def test_a_card_cut_short_leaves_the_earlier_card_whole(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("the earlier card\n")
    with writes_cut_at(4096), pytest.raises(OSError, match="File too large"):
        save_card(CARD, tmp_path)
    assert listing(tmp_path) == {"README.md": b"the earlier card\n"}


@posix_only
def test_a_card_cut_short_leaves_no_folder_of_its_own(tmp_path: Path) -> None:
    with writes_cut_at(4096), pytest.raises(OSError, match="File too large"):
        save_card(CARD, tmp_path / "new" / "cards" / "card.md")
    assert list(tmp_path.iterdir()) == []
