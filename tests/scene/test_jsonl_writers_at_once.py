"""`write_scenes` called from Python by two writers of one file at once: each writes a whole copy
through a temporary name of its own, the last renamed in place wins, and neither's failure harms
the other or leaves a file behind. Before: both wrote `<name>.tmp`; the first to finish renamed
the file the other was still writing, whose rename then failed (FileNotFoundError) with the file
in place holding both writers' bytes, and a writer's failure removed the other's file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import Scene, read_scenes, scene_to_dict, write_scenes

A = list(iter_scene_graphs(6, seed=1))
B = list(iter_scene_graphs(9, seed=2))


def _paused(scenes: list[Scene], after: int, go: threading.Event, waiting: threading.Event) -> Iterator[Scene]:
    """`scenes`, held after the first `after` until `go` is set (`waiting` set as it holds)."""
    for k, scene in enumerate(scenes):
        if k == after:
            waiting.set()
            assert go.wait(30), "the other writer never finished"
        yield scene


def _failing(scenes: list[Scene], after: int) -> Iterator[object]:
    yield from scenes[:after]
    yield {"image_id": "not a scene"}  # TypeError in write_scenes


def _ids(path: Path) -> list[str]:
    return [scene.image_id for scene in read_scenes(path)]


@pytest.mark.parametrize("name", ["scenes.jsonl", "scenes.jsonl.gz", "scenes.jsonl.zst"])
@pytest.mark.parametrize("other_fails", [False, True])
def test_a_writer_finishing_or_failing_meanwhile_leaves_the_others_file_whole(
        tmp_path: Path, name: str, other_fails: bool) -> None:
    path = tmp_path / "out" / name
    go, waiting = threading.Event(), threading.Event()
    result: dict[str, object] = {}

    def first() -> None:
        try:
            result["count"] = write_scenes(_paused(A, 3, go, waiting), path)
        except BaseException as exc:  # noqa: BLE001 - said by the assertion below
            result["error"] = exc

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert waiting.wait(30)  # the first writer has its temporary file open, 3 scenes read
        if other_fails:
            with pytest.raises(TypeError, match=r"scenes\[4\] is a dict"):
                write_scenes(_failing(B, 4), path)
            assert not path.exists()
        else:
            assert write_scenes(B, path) == len(B)
            assert _ids(path) == [s.image_id for s in B]
    finally:
        go.set()
        thread.join(30)
    assert "error" not in result, result.get("error")
    assert result["count"] == len(A)
    written = list(read_scenes(path))  # the last renamed in place: the first writer's, whole
    assert [scene_to_dict(s) for s in written] == [scene_to_dict(s) for s in A]
    assert sorted(p.name for p in path.parent.iterdir()) == [name]  # no temporary file left


def test_a_failure_leaves_the_file_before_it_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    write_scenes(A, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"scenes\[2\]"):
        write_scenes(_failing(B, 2), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenes.jsonl"]
