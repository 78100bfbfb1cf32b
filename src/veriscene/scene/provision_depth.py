"""ProVision scenes converted before 0.29.0, whose depth maps say the wrong encoding.

ProVision's depth stage stores Depth Anything V2's disparity stretched to 0-255 per image (0 the
image's farthest pixel, 255 its nearest): larger = closer, known only up to a scale and a shift,
which `scene.depth_maps` calls ``"relative_inverse"``. veriscene 0.28.x's ProVision reader wrote
those scenes with ``meta["depth_map_encoding"] = "inverse"``, read as ``1 / v``: no depth (the
farthest pixel's 0 became "no depth", and two far pixels 20 and 23 "15 % apart"), so its
depth.map_points questions could be wrong. 0.29.0's reader writes ``"relative_inverse"``, but scene
files converted before keep ``"inverse"``.

Such a scene is known by what the ProVision reader records, and by nothing else: the note
``meta["source_depth_map"]`` with the reader's own `NOTE` as its ``"encoding"`` (8-bit, 0-255,
larger = closer), beside ``depth_map_encoding`` ``"inverse"`` (`misread`). Its map is not read as
stated, nor silently as something else: `scene.depth_maps.encoding_of` refuses it (`message`:
naming the file and the fix), so depth.map_points fails on that scene, counted and reported in the
run's rejects as a missing map is. The fix rewrites the scene file: ``veriscene convert OLD.jsonl
--out NEW.jsonl`` (the veriscene JSONL reader writes ``"relative_inverse"`` for such scenes
(`corrected`), counted `REWRITTEN`; nothing else changes), or converting the ProVision folder again.
Scenes of other sources, and ProVision scenes written since, are never touched.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from veriscene.scene.model import Scene

__all__ = ["NOTE", "REWRITTEN", "corrected", "message", "misread"]

# the "encoding" of the meta["source_depth_map"] note the ProVision reader writes (since 0.1)
NOTE = "uint8 0-255, larger = closer (internal depth = 1 - v / 255)"
# counted by the veriscene JSONL reader for each scene it rewrites (`corrected`)
REWRITTEN = "provision_depth_maps_inverse_made_relative_inverse"
_KEY = "depth_map_encoding"  # (`scene.depth_maps.ENCODING_KEY`, which imports this module)


def misread(scene: Scene) -> bool:
    """Whether `scene` is a ProVision scene converted before 0.29.0: a depth map stated
    ``"inverse"``, noted by the ProVision reader as its 0-255 map (module notes)."""
    note: Any = scene.meta.get("source_depth_map")
    return (scene.depth_map is not None and scene.meta.get(_KEY) == "inverse" and isinstance(note, dict)
            and note.get("encoding") == NOTE)


def message(scene: Scene) -> str:
    """Why the map of a `misread` scene is not read, and how to fix the scene file."""
    return (f"depth map {scene.depth_map} of scene {scene.image_id!r}: stated 'inverse' by veriscene before 0.29.0, "
            "but ProVision's 0-255 maps are 'relative_inverse' (up to a scale and a shift), so it is not read; "
            "rewrite the scene file with veriscene convert SCENES.jsonl --out FIXED.jsonl")


def corrected(scene: Scene) -> Scene:
    """`scene` with ``"relative_inverse"`` for its map when it is `misread`; else itself."""
    if not misread(scene):
        return scene
    return replace(scene, meta={**scene.meta, _KEY: "relative_inverse"})
