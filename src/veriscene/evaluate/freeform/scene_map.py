"""image id -> scene graph for free-form scoring (`score_freeform`, `eval --freeform`), read as
every other reader of a run's scenes reads them: when two scene files (or two lines) give one
image id, the first scene is used. `generate` rejects the later ones as duplicates, so the
samples were made from the first; `verify`, `eval --process` and `export --reasoning` find the
first (`verify_scenes.SceneLookup`). The later ones are not dropped silently: each is returned
as a `RepeatedScene` naming the image id and both files, for the caller to report. Data sets
whose images share ids are kept apart by giving each its own prefix (`convert -r id_prefix=NAME/`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from veriscene.scene.jsonl import read_scenes
from veriscene.scene.model import Scene

ScenesArg = str | os.PathLike[str] | Sequence[Any] | dict[str, Scene]


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


def _first_of_each(scenes: Iterable[tuple[str | None, Scene]],
                   found: dict[str, Scene], origin: dict[str, str | None]) -> list[RepeatedScene]:
    repeated = []
    for source, scene in scenes:
        if scene.image_id in found:
            repeated.append(RepeatedScene(scene.image_id, origin[scene.image_id], source))
        else:
            found[scene.image_id], origin[scene.image_id] = scene, source
    return repeated


def load_scene_map(scenes: ScenesArg) -> tuple[dict[str, Scene], list[RepeatedScene]]:
    """(image id -> Scene, the scenes left out for an image id given before) from scene files (a
    file, a folder, a glob pattern or a list of them: as `veriscene.read_scenes` reads them, in that
    order), scenes, or such a dict (taken as it is)."""
    if isinstance(scenes, dict):
        return scenes, []
    items = scenes if isinstance(scenes, (str, os.PathLike)) else list(scenes)
    found: dict[str, Scene] = {}
    origin: dict[str, str | None] = {}
    if isinstance(items, (str, os.PathLike)) or (items and all(isinstance(s, (str, os.PathLike)) for s in items)):
        from veriscene.scene.inputs import scene_paths

        repeated = []
        for file in scene_paths(items):  # FileNotFoundError / ValueError naming what is missing or given twice
            repeated += _first_of_each(((str(file), s) for s in read_scenes(file)), found, origin)
        return found, repeated
    return found, _first_of_each(((None, s) for s in items), found, origin)
