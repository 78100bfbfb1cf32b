"""Shared helpers for reader tests: fixtures are tiny files written into tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from veriscene.io.readers import read
from veriscene.io.rejects import RejectReport
from veriscene.scene.jsonl import read_scenes, scene_to_dict, write_scenes
from veriscene.scene.model import Scene


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def read_all(path: Path, fmt: str, **options: Any) -> tuple[list[Scene], RejectReport]:
    report = RejectReport()
    scenes = list(read(path, fmt, report=report, **options))
    return scenes, report


def assert_round_trip(scenes: list[Scene], tmp_path: Path) -> None:
    """read -> JSONL -> read gives the same scene graphs."""
    out = tmp_path / "round_trip.jsonl"
    write_scenes(scenes, out)
    again = list(read(out, "veriscene_jsonl"))
    assert [scene_to_dict(s) for s in again] == [scene_to_dict(s) for s in scenes]
    assert [scene_to_dict(s) for s in read_scenes(out)] == [scene_to_dict(s) for s in scenes]


def fields(report: RejectReport) -> list[tuple[Any, Any]]:
    return [(e.record, e.field) for e in report.entries]


@pytest.fixture
def tiny_png(tmp_path: Path) -> Callable[[str, int, int], Path]:
    from PIL import Image

    def make(name: str, width: int, height: int) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (width, height)).save(path)
        return path

    return make

