"""Fixtures: a small demo run (rendered images, samples, scenes) shared by the reward tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.demo.pipeline import run_demo


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rewards_demo")
    run_demo(out, scenes=12, seed=3)
    return out


@pytest.fixture(scope="session")
def demo_samples(demo_run: Path) -> list[dict]:
    with open(demo_run / "samples.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def first(samples: list[dict], task: str, mc: bool = False) -> dict:
    """The first sample of `task` in qa (mc=False) or multiple-choice mode."""
    return next(s for s in samples if s["task"] == task and bool(s["choices"]) == mc)
