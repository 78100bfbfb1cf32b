"""A write cut short part-way, as a full disk cuts it: for the tests that a file written whole or
not at all leaves an existing one as it was. POSIX only (`resource`): the tests using it skip
elsewhere."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE")


@contextmanager
def writes_cut_at(size: int) -> Iterator[None]:
    """In the block, no file of this process grows past `size` bytes: a write past it writes up to
    `size` and then fails (OSError EFBIG: "File too large"), as one on a full disk does (ENOSPC).
    Only the soft limit is lowered (and raised back after, which any process may)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    before = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error to raise, not a signal ending the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, before)


def listing(folder: Path) -> dict[str, bytes]:
    """Every file in `folder` (hidden ones too: a temporary left behind shows), by name."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
