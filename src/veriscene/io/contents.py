"""What the scenes a conversion or an annotation run wrote hold, summed: objects, relations, masks
and dense depth maps (`Contents`), for their summaries (`ConvertSummary`) and the Python API.

`convert` counts the scenes as it writes them (`add`); `annotate`, whose scene file a resume may
write in parts and whose images done again replace their lines, counts the file it finished
(`of_file`), one JSON line per scene, as written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import orjson

from veriscene.scene.model import Scene

__all__ = ["Contents"]


@dataclass
class Contents:
    """Sums over scenes: `objects`, `relations`, `masks` (objects with a mask) and `depth_maps`
    (scenes naming a dense depth map)."""

    objects: int = 0
    relations: int = 0
    masks: int = 0
    depth_maps: int = 0

    def add(self, scene: Scene) -> None:
        n = len(scene)
        self.objects += n
        self.relations += len(scene.relations)
        self.masks += n if scene.masks is not None else 0
        self.depth_maps += scene.depth_map is not None

    def add_record(self, record: dict[str, Any]) -> None:
        """A scene as its JSON line holds it (`scene.jsonl.scene_to_dict`'s fields)."""
        objects = record.get("objects") or []
        self.objects += len(objects)
        self.relations += len(record.get("relations") or [])
        self.masks += sum(1 for obj in objects if isinstance(obj, dict) and obj.get("mask") is not None)
        self.depth_maps += record.get("depth_map") is not None

    @classmethod
    def of_file(cls, path: str | os.PathLike[str]) -> "Contents":
        """The sums over the scene file `path` (compressed or not; a line that is no scene, none)."""
        from veriscene.scene.compressed import open_scene_file

        found = cls()
        with open_scene_file(path) as fh:
            for line in fh:
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    found.add_record(record)
        return found
