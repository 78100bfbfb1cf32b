"""veriscene JSONL, the core format (see `veriscene.scene.jsonl`): read line by line, unchanged.

Names are not normalised again and boxes are not clipped: a file in the core format is expected
to satisfy the data model already, so a line that does not is rejected, not repaired; that
includes masks whose RLE counts do not add up to the image (which `read_scenes` leaves to the
first pixel lookup, so that `generate` pays for them only when a generator looks). The options
that change a scene, when given: `sparse` sets (or, false, removes) each scene's
``meta["sparse"]``; `drawn_on` (auto, shown or stored, `_stored_pixels`) checks each scene's size
against its image file under `image_root` and maps the boxes and masks of scene graphs drawn on a
turned photo's stored pixels (a pipeline of the user's own that read images with cv2 or Pillow
alone) onto the photo shown, as the other readers do. Without it no image is opened: the core
format is written in the pixels shown.

A scene's dense depth map (``depth_map``) is a path relative to the folder of its file, as its image
is: this reader does not open it (its objects' depths are given per object, and stay right when the
boxes move); depth.map_points does (`veriscene.scene.depth_maps`), and a conversion moves the path
with the scene file (`io.convert.placed_depth_map`). A map of the stored pixels of a scene so mapped
is not rewritten: the scene says it holds those pixels (``meta["depth_map_exif_orientation"]``, the
photo's EXIF orientation; counted `DEPTH_MAPS_OF_STORED_PIXELS`, by `ReadContext.scene`), and it is
read turned as `ImageOps.exif_transpose` turns the photo, so it lays on the scene. A
``meta["source_depth_map"]`` dict the scene gives (a note of its own) gains ``"exif_orientation"``.
A ProVision scene converted before 0.29.0, whose map says "inverse", is written "relative_inverse",
what the map holds (`scene.provision_depth`, counted `provision_depth.REWRITTEN`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext
from veriscene.io.readers._stored_pixels import DEPTH_MAP_TURNED, SHOWN
from veriscene.scene import provision_depth
from veriscene.scene.compressed import CompressedFileError, jsonl_files
from veriscene.scene.jsonl import numbered_scenes
from veriscene.scene.masks import check_counts
from veriscene.scene.model import Scene


def read_veriscene_jsonl(path: str | os.PathLike[str], *, drawn_on: str | None = None,
                         **options: Any) -> Iterator[Scene]:
    """Stream scenes from a veriscene JSONL file, or from every *.jsonl file of a folder (either
    compressed: *.jsonl.gz, .zst, .bz2, .xz). `drawn_on`: the pixels the scene graphs were drawn
    on, of photos tagged with an EXIF orientation: "auto", "shown" or "stored" (`_stored_pixels`;
    read from the images: `image_root`); None (default): scenes as written, no image opened."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    files = jsonl_files(path) if path.is_dir() else [path]  # compressed or not
    ctx = ReadContext(path, "veriscene_jsonl", drawn_on=SHOWN if drawn_on is None else drawn_on, **options)
    # (ReadContext has refused a bad `drawn_on`, and `stored` without the images)
    checked = drawn_on is not None and ctx.image_root is not None

    def on_error(error: SceneValidationError) -> None:
        ctx.reject(error.record if error.record is not None else "?", error)

    seen: dict[str, tuple[str, int]] = {}  # image id -> (file, line) of the scene that has it
    for file in files:
        ctx.source = str(file)
        yield from _file_scenes(ctx, file, on_error, seen, checked)


def _file_scenes(ctx: ReadContext, file: Path, on_error: Any, seen: dict[str, tuple[str, int]],
                 checked: bool = False) -> Iterator[Scene]:
    """The scenes of one file. A scene refused here (an image id twice, a mask's runs, a size not
    its image's when `checked`) is named by its line number, as a line `read_scenes` refuses is. A
    compressed file cut short or corrupt is a file reject after the scenes before its fault, and
    the folder's other files are read on."""
    try:
        for scene, lineno in numbered_scenes(file, on_error=None if ctx.strict else on_error):
            first = seen.get(scene.image_id)
            if first is not None:
                where = f"line {first[1]}" if first[0] == str(file) else f"line {first[1]} of {first[0]}"
                ctx.reject(lineno, SceneValidationError(
                    f"duplicate image id {scene.image_id!r} ({where} has it)", field="image_id"
                ))
                continue
            if scene.masks is not None:
                try:  # the runs of every mask add up to its frame: read once here, not first at a lookup
                    check_counts(scene.masks, scene.height, scene.width)
                except SceneValidationError as exc:
                    ctx.reject(lineno, exc)
                    continue
            if checked:  # its size checked against its image; mapped when drawn on the stored pixels
                shown = ctx.scene(lineno, partial(_against_image, ctx, scene))
                if shown is None:
                    continue
                scene = shown
            seen[scene.image_id] = (str(file), lineno)
            if provision_depth.misread(scene):  # converted before 0.29.0: "inverse" made "relative_inverse"
                scene = provision_depth.corrected(scene)
                ctx.report.count(provision_depth.REWRITTEN)
            if ctx.sparse_given and scene.meta.get("sparse", []) != ctx.sparse:
                meta = {k: v for k, v in scene.meta.items() if k != "sparse"}
                if ctx.sparse:
                    meta["sparse"] = list(ctx.sparse)
                scene = replace(scene, meta=meta)
            yield scene
    except CompressedFileError as exc:  # names the file already
        ctx.file_error(SceneValidationError(str(exc).removeprefix(f"{file}: ")), str(file))


def _against_image(ctx: ReadContext, scene: Scene) -> Scene:
    """`scene` with its size checked against its image file under `image_root`, as the other
    readers check an annotated size (`ImageSizes.image_size_of`: rejected when it is neither the
    size shown nor, as `drawn_on` allows, the size stored); `ReadContext.scene` maps it onto the
    photo shown when it was drawn on the stored pixels, its dense depth map with it (read turned:
    `_stored_pixels.shown_scene`), and a depth map note of its own says the turn."""
    ctx.image_size_of(scene.width, scene.height, [scene.image] if scene.image else [])
    given = scene.meta.get("source_depth_map")
    if ctx.turn == 1 or not isinstance(given, dict) or "exif_orientation" in given:
        return scene
    return replace(scene, meta={**scene.meta, "source_depth_map": {**given, "exif_orientation": ctx.turn}})


# counted when a scene naming a depth map is mapped from the stored pixels: its map is read turned
# (was "depth_maps_of_stored_pixels_kept_as_notes", when the map was cleared and kept only as a note)
DEPTH_MAPS_OF_STORED_PIXELS = DEPTH_MAP_TURNED
