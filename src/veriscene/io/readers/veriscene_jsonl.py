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
is not turned: it no longer lays on the scene (a photo turned 180 degrees or mirrored has the
stored size, and depth.map_points would read its map upside down), so, as ProVision's reader does
with a map it turned, the scene keeps it only as a note: ``depth_map`` is cleared (counted
`DEPTH_MAPS_OF_STORED_PIXELS`) and ``meta["source_depth_map"]`` (``{"path": depth_map}``, made
absolute, or the dict the scene has) gains ``"exif_orientation"``, the turn that lays the file on
the scene (`ImageOps.exif_transpose`'s).
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
from veriscene.io.readers._stored_pixels import SHOWN
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
    photo shown when it was drawn on the stored pixels, and its depth map file said to hold
    the stored pixels (`_depth_map_of_stored_pixels`)."""
    ctx.image_size_of(scene.width, scene.height, [scene.image] if scene.image else [])
    if ctx.turn == 1:
        return scene
    if scene.depth_map is not None:
        ctx.repair(DEPTH_MAPS_OF_STORED_PIXELS)
    return _depth_map_of_stored_pixels(scene, ctx.turn, os.path.dirname(os.path.abspath(ctx.source)))


DEPTH_MAPS_OF_STORED_PIXELS = "depth_maps_of_stored_pixels_kept_as_notes"


def _depth_map_of_stored_pixels(scene: Scene, turn: int, folder: str) -> Scene:
    """`scene` (drawn on the stored pixels of a photo of EXIF orientation `turn`, mapped onto the
    photo shown) without its dense depth map, which holds those pixels, said to in
    ``meta["source_depth_map"]`` (module notes; a relative path made absolute from `folder`, its
    file's); a ``source_depth_map`` dict the scene gives keeps an orientation it gives."""
    given = scene.meta.get("source_depth_map")
    meta = scene.meta
    if isinstance(given, dict):
        if "exif_orientation" not in given:
            meta = {**meta, "source_depth_map": {**given, "exif_orientation": turn}}
    elif given is None and scene.depth_map is not None:  # (a value of the user's own is left alone)
        path = scene.depth_map if "://" in scene.depth_map else os.path.join(folder, scene.depth_map)
        meta = {**meta, "source_depth_map": {"path": path, "exif_orientation": turn}}
    if scene.depth_map is None and meta is scene.meta:
        return scene
    return replace(scene, depth_map=None, meta=meta)
