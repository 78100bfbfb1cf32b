"""Images through the model stages a batch at a time, with failures kept per image.

A stage is called on one image at a time, unless it has a `batch(images)` method (the
transformers stages do) and more than one image is waiting: then the batch goes through the model
at once, which is what keeps a GPU busy. If the batch call raises, each image of it is tried alone,
so one bad image fails alone. A failure is returned in the image's place (`StageFailure`), to be
reported as that image's reject; a stage's `batch` may return one in an image's place itself. A
model that cannot be used at all (`ModelConfigError`: a refused API key, an unknown model or URL)
is not an image's fault: it is raised, and stops the run (which `--resume` continues).

A stage's result for an image may be a `Counted` list: what it holds, plus counts of what the
stage left out (kind -> n, added to the run's counts) and parts it could not do (reported as
rejects of that image: a failed attribute request, say), and how many of those the server
failed on (`server`: the image is done again by a resume, `runfile`).

A request failed on the server (`server_fault`) when the adapter gave up on it after its retries
(timeouts, HTTP 429 and 5xx, no connection, a body cut short): a later run may get it. A request
the server answered and refused (another 4xx, a reply saying there is no answer) fails the same
way each time: it is the image's or the settings' fault, and is not tried again.

A run stops when each of its first `FAILING_START` images fails in a model stage (`FailingStart`):
the model or its settings are at fault, not the images.

Images are read as every command decodes them (`load_image`, `scene.image_files`): upright (the
EXIF orientation a camera records applied), so sizes and boxes are those of the image as viewers
display it; 16-bit grey images scaled to 8 bits, transparency composited onto white, an
animation's first frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PIL import Image

from veriscene.errors import SceneValidationError
from veriscene.evaluate.adapters.base import ModelConfigError
from veriscene.io.readers._base import bad
from veriscene.scene.image_files import ImageFileError, read_rgb
from veriscene.option_names import option


class StageFailure(SceneValidationError):
    """A model stage failed on one image: the image is rejected, naming the stage. `server`: it
    failed because a server's requests failed (after their retries), not because of the image:
    counted apart, so that the run's summary says how many to redo."""

    def __init__(self, message: str, *, field: str | None = None, server: bool = False) -> None:
        super().__init__(message, field=field)
        self.server = server


class ServerFailure(RuntimeError):
    """A request to a model's server failed after its retries (timeouts, HTTP 5xx, connection
    errors): the image is not at fault, and a later run may do it."""


class Counted(list[Any]):
    """A stage's result for one image (its items), with `counts` of what the stage left out
    (kind -> n, e.g. ``detector_labels_not_in_names``) and `problems`: (field, reason) of the
    parts it could not do, reported as rejects of the image at level `level`; `server` of those
    problems are requests the server failed on (`server_fault`)."""

    def __init__(self, items: Any = (), counts: dict[str, int] | None = None,
                 problems: list[tuple[str, str]] | None = None, level: str = "object", server: int = 0) -> None:
        super().__init__(items)
        self.counts = {k: n for k, n in (counts or {}).items() if n}
        self.problems = list(problems or [])
        self.level = level
        self.server = server


def server_fault(completion: Any) -> bool:
    """Whether a failed request (an adapter's `Completion`) failed because no server answered it
    after its retries (module notes; `openai_compat` marks it ``info["gave_up"]``)."""
    return not completion.ok and bool(completion.info.get("gave_up"))


def load_image(path: Path, sent: dict[str, bytes] | None = None) -> Image.Image | SceneValidationError:
    """The image as RGB, upright (its EXIF orientation applied: the size and pixels a viewer
    shows), as every command decodes it (`scene.image_files.read_rgb`), or the reject to report
    for it. `sent`: images' bytes by path, read where the run started (a Ray node without the
    images); the reject reads as from the path."""
    data = sent.get(str(path)) if sent is not None else None
    try:
        return read_rgb(path, data)
    except ImageFileError as exc:
        # the reason cut, never the file: a long path must stay whole to be found
        return bad(f"cannot read the image: {exc.reason[:300]} ({path})", "image")
    except OSError as exc:  # no such file, a folder, no permission
        return bad(f"cannot read the image: {exc}"[:300], "image")


def stage_failure(name: str, exc: Exception) -> StageFailure:
    """The reject of an image on which stage `name` raised `exc`."""
    return StageFailure(f"the {name} failed: {type(exc).__name__}: {exc}"[:300], field=name,
                        server=isinstance(exc, ServerFailure))


def call_stage(name: str, stage: Callable[..., Any], *args: Any) -> Any:
    """`stage(*args)` on one image; its failure raised as that image's `StageFailure` (a model
    that cannot be used at all, `ModelConfigError`, as it is: it stops the run)."""
    try:
        return stage(*args)
    except ModelConfigError:
        raise
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
        except ModelConfigError:
            raise
        except Exception:  # noqa: S110 - each image is tried alone below, to find the one at fault
            pass
    out: list[Any] = []
    for k, image in enumerate(images):
        try:
            out.append(stage(image, *(args[k] for args in more)))
        except ModelConfigError:
            raise
        except Exception as exc:  # a model's failure on this image: reported, not a traceback
            out.append(stage_failure(name, exc))
    return out


# A run stops when each of its first images fails in a model stage: the model or its settings are
# wrong, not the images (after that, a failure rejects just its image)
FAILING_START = 3


class FailingStart:
    """Stops a run when each of its first `FAILING_START` images (or all, if fewer) failed in a
    model stage: the model or its settings are at fault, not the images. Told each image's
    outcome in order (`seen`: the failure's reason, or None)."""

    def __init__(self, images_left: int) -> None:
        self.limit = min(FAILING_START, images_left)
        self.reasons: list[str] = []
        self.servers = 0  # of those, failures of a model's server
        self.watching = self.limit > 0

    def seen(self, failure: str | None, server: bool = False) -> None:
        """`server`: the failure was the server's (timed out, or failed after the retries)."""
        if not self.watching:
            return
        if failure is None:
            self.watching = False
            return
        self.reasons.append(failure)
        self.servers += server
        if len(self.reasons) < self.limit:
            return
        if self.servers == self.limit:  # a server down or overloaded: neither the model nor the images
            raise RuntimeError(f"the server failed on each of the first {self.limit} images (requests timed out "
                               f"or failed after their retries); the last: {failure}. Once the server answers "
                               f"(or with a longer {option('timeout', '--timeout')}, more "
                               f"{option('max_retries', '--max-retries')}), "
                               + option("call annotate again with resume=True", "run the same command with --resume")
                               + " to go on: these images are sent again")
        raise RuntimeError(f"each of the first {self.limit} images failed in a model stage, so the model "
                           f"or its settings are at fault, not the images; the last: {failure}")
