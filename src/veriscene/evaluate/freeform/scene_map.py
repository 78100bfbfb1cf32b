"""image id -> scene graph for free-form scoring (`score_freeform`, `eval --freeform`), read as
every other reader of a run's scenes reads them: when two scene files (or two lines) give one
image id, the first scene is used. `generate` rejects the later ones as duplicates, so the
samples were made from the first; `verify`, `eval --process` and `export --reasoning` find the
first (`verify_scenes.SceneLookup`). The later ones are not dropped silently: each is returned
as a `RepeatedScene` naming the image id and both files, for the caller to report. Data sets
whose images share ids are kept apart by giving each its own prefix (`convert -r id_prefix=NAME/`).

`repeated_in_files` finds the same repeats from the image ids alone, no scene parsed: for `eval`,
whose step scores (`--process`) read scenes through `SceneLookup` (first wins too) and whose
summary counts and CLI says the repeats whether free-form replies were scored or not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson

from veriscene.scene.inputs import input_errors, open_scenes, scene_paths
from veriscene.scene.jsonl import read_scenes
from veriscene.scene.model import Scene

ScenesArg = str | os.PathLike[str] | Sequence[Any] | dict[str, Scene]
T = TypeVar("T")


@dataclass(frozen=True)
class RepeatedScene:
    """A scene whose image id an earlier scene has: `used` is the file of the scene kept, `ignored`
    the file of this one (the same file for a repeat within one; None for scenes given in memory)."""

    image_id: str
    used: str | None
    ignored: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"image_id": self.image_id, "used": self.used, "ignored": self.ignored}

    def message(self) -> str:
        where = (f"both {self.used} and {self.ignored}" if self.used != self.ignored
                 else f"{self.used} twice" if self.used is not None else "two scenes given")
        return f"image id {self.image_id!r} is in {where}: the first scene is scored"


# said once after the repeated ids
ADVICE = ("the first scene of an image id is the one generate made samples from, and the one verify, eval "
          "--process and export --reasoning read; to score both, give each data set's image ids a prefix of "
          "their own (convert -r id_prefix=NAME/) before generating")


def _first_of_each(items: Iterable[tuple[str | None, str, T]], found: dict[str, T],
                   origin: dict[str, str | None], keep: Container[str] | None = None,
                   each: Callable[[T], None] | None = None) -> list[RepeatedScene]:
    """Keep the first (file, image id, value) of each image id in `found` (with `keep`, of those
    ids only), calling `each` with every first value; the later ones returned. `origin`: every
    image id read -> its file."""
    repeated = []
    for source, image_id, value in items:
        if image_id in origin:
            repeated.append(RepeatedScene(image_id, origin[image_id], source))
            continue
        origin[image_id] = source
        if each is not None:
            each(value)
        if keep is None or image_id in keep:
            found[image_id] = value
    return repeated


def _image_ids(file: Path) -> Iterator[str]:
    """The image id of each line of a scene file that has one (lines that are no scene skipped, as
    `verify_scenes.SceneIndex` skips them)."""
    with input_errors([file]), open_scenes([file]) as fh:
        for line in fh:
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict) and "image_id" in record:
                yield str(record["image_id"])


def repeated_in_files(files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[RepeatedScene]:
    """The scenes `load_scene_map(files)` leaves out for an image id given before, from the image
    ids alone (a file, a folder, a glob pattern or a list of them)."""
    found: dict[str, None] = {}
    origin: dict[str, str | None] = {}
    repeated = []
    for file in scene_paths(files):
        repeated += _first_of_each(((str(file), image_id, None) for image_id in _image_ids(file)), found, origin)
    return repeated


def load_scene_map(scenes: ScenesArg, rejected: list[str] | None = None, *, keep: Container[str] | None = None,
                   each: Callable[[Scene], None] | None = None) -> tuple[dict[str, Scene], list[RepeatedScene]]:
    """(image id -> Scene, the scenes left out for an image id given before) from scene files (a
    file, a folder, a glob pattern or a list of them: as `veriscene.read_scenes` reads them, in that
    order), scenes, or such a dict (taken as it is). A line of a file that is no valid scene raises
    SceneValidationError naming file, line and field; with `rejected` given, that message is
    appended to it instead and reading goes on (a long run counts a bad record, never dies of it).
    `keep`: hold only the scenes of these image ids (every scene is still read, checked and its
    repeats found), so memory grows with the replies scored, not with the scene files; `each` is
    called with the first scene of every image id read (a scorer's vocabulary of all of them).
    A dict given is returned as it is (`each` called with its scenes)."""
    if isinstance(scenes, dict):
        if each is not None:
            for scene in scenes.values():
                each(scene)
        return scenes, []
    if scenes is None or not isinstance(scenes, (str, os.PathLike, Iterable)):
        raise TypeError(f"scenes must be scene files (a file, a folder or a glob pattern, or a list of them), "
                        f"Scenes, or a dict of image id to Scene; got {scenes!r}")
    items = scenes if isinstance(scenes, (str, os.PathLike)) else list(scenes)
    found: dict[str, Scene] = {}
    origin: dict[str, str | None] = {}
    if isinstance(items, (str, os.PathLike)) or (items and all(isinstance(s, (str, os.PathLike)) for s in items)):
        repeated = []
        for file in scene_paths(items):  # FileNotFoundError / ValueError naming what is missing or given twice
            scenes_read = read_scenes(file, None if rejected is None else (lambda exc: rejected.append(str(exc))))
            repeated += _first_of_each(((str(file), s.image_id, s) for s in scenes_read), found, origin, keep, each)
        return found, repeated
    return found, _first_of_each(((None, s.image_id, s) for s in items), found, origin, keep, each)


def run_repeats(samples: str | os.PathLike[str], scenes: Any = None) -> list[RepeatedScene]:
    """`repeated_in_files` of the scene files an evaluation of `samples` reads: `scenes`, else those
    its run's manifest names ([] when there are none: the scorers say so)."""
    from veriscene.verify_scenes import resolve_inputs

    try:
        return repeated_in_files(resolve_inputs(samples, scenes)[1])
    except (FileNotFoundError, ValueError):
        return []
