"""Images through the model stages a batch at a time, with failures kept per image.

A stage is called on one image at a time, unless it has a `batch(images)` method (the
transformers stages do) and more than one image is waiting: then the batch goes through the model
at once, which is what keeps a GPU busy. If the batch call raises, each image of it is tried alone,
so one bad image fails alone. A failure is returned in the image's place (`StageFailure`), to be
reported as that image's reject; a stage's `batch` may return one in an image's place itself.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Callable

from PIL import Image, UnidentifiedImageError

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import bad


class StageFailure(SceneValidationError):
    """A model stage failed on one image: the image is rejected, naming the stage."""


def load_image(path: Path, sent: dict[str, bytes] | None = None) -> Image.Image | SceneValidationError:
    """The image as RGB, or the reject to report for it. `sent`: images' bytes by path, read where
    the run started (a Ray node without the images); the reject reads as from the path."""
    data = sent.get(str(path)) if sent is not None else None
    try:
        with Image.open(path if data is None else io.BytesIO(data)) as im:
            return im.convert("RGB")
    except UnidentifiedImageError:  # Pillow names the file, or else the buffer object
        return bad(f"cannot read the image: cannot identify image file {str(path)!r}"[:300], "image")
    except (OSError, ValueError) as exc:
        return bad(f"cannot read the image: {exc}"[:300], "image")


def stage_failure(name: str, exc: Exception) -> StageFailure:
    """The reject of an image on which stage `name` raised `exc`."""
    return StageFailure(f"the {name} failed: {type(exc).__name__}: {exc}"[:300], field=name)


def call_stage(name: str, stage: Callable[..., Any], *args: Any) -> Any:
    """`stage(*args)` on one image; its failure raised as that image's `StageFailure`."""
    try:
        return stage(*args)
    except Exception as exc:  # a model's failure on this image: reported, not a traceback
        raise stage_failure(name, exc) from None


def run_stage(name: str, stage: Callable[..., Any], images: list[Image.Image], *more: list[Any]) -> list[Any]:
    """`stage`'s result for each image (`StageFailure` where it failed), a batch at a time when the
    stage can take one. `more`: further arguments, one list of them per argument (the mask
    model's boxes of each image)."""
    batch = getattr(stage, "batch", None)
    if callable(batch) and len(images) > 1:
        try:
            results = list(batch(images, *more))
            if len(results) == len(images):
                return results
        except Exception:  # noqa: S110 - each image is tried alone below, to find the one at fault
            pass
    out: list[Any] = []
    for k, image in enumerate(images):
        try:
            out.append(stage(image, *(args[k] for args in more)))
        except Exception as exc:  # a model's failure on this image: reported, not a traceback
            out.append(stage_failure(name, exc))
    return out
