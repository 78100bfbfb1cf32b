"""Fixtures shared by the viewer's filter tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.demo.pipeline import run_demo

# The sentence every "no such task or family" message of view and its server ends with.
STATS = "(`veriscene stats RUN` lists the run's tasks, families and modes)"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo run of 3 scenes (seed 2), made once for the filter tests (they only read it)."""
    out = tmp_path_factory.mktemp("filter-demo")
    run_demo(out, scenes=3, seed=2)
    return out
