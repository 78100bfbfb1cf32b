"""A detector stage backed by a vision-language model served elsewhere (vLLM, or any
OpenAI-compatible server), through the evaluation adapters (`veriscene.evaluate.adapters`).

The model sees the whole image (downscaled first so that its longer side is at most `max_side`,
when set) and is asked to list every object in it, or with `names` every instance of those names
only, as a JSON list in Qwen2.5-VL's grounding format:

    [{"label": "cup", "bbox_2d": [x0, y0, x1, y1]}, ...]        ([] when there is none)

The prompt states the coordinate convention of `box_format`:

    "pixels"         absolute pixels of the image as sent (Qwen2.5-VL)
    "norm1000"       integers 0-1000 of the width and height (Qwen2-VL, Qwen3-VL)
    "norm1"          fractions 0-1 of the width and height
    "yxyx_norm1000"  [ymin, xmin, ymax, xmax] on 0-1000, under "box_2d" (Gemini)

Every box comes out as xyxy in pixels of the original image, not clipped (the pipeline clips, and
counts it). A server may resize an image again before the model sees it (Qwen2.5-VL's processor
rounds sides to multiples of 28 and caps the pixel count); "pixels" boxes are then in the model's
own frame and a little off, which the normalised formats are not.

Replies are read tolerantly (`veriscene.annotate.detect_replies`): JSON inside ```json fences or
among prose (of several lists, the one holding the most objects, the last of equals: "[] if none;
here they are: [...]" is the second), a single object instead of a list, a wrapper object
``{"objects": [...]}`` (JSON mode's usual shape), a list cut short by the token limit (its complete
entries are kept); box keys `bbox_2d`, `bbox`, `box`, `box_2d`; label keys `label`, `name`,
`object`. Inverted corners are put back in order. An entry without a label or a box of four finite
numbers, a box of no area or smaller than a pixel, a box far outside the image (beyond half the
image past an edge) or of fractions when 0-1000 was asked (the model answered in another
convention), a label none of `names` (with `names`; a plural "cups" is "cup"), or an entry beyond
`max_objects` is left out and counted by reason in `skipped`. The entries the model got wrong come
back as detections with a `problem`, which the pipeline reports as rejected objects of their image
(`rejects.jsonl`, field ``detections[k]``), as does a reply cut at the token limit (what followed
its last complete entry is lost); the entries left out by the settings (not one of `names`, beyond
`max_objects`) and cut replies are counted in the result (`batches.Counted`), which the run adds to
its summary, so a worker's counts are not lost. A reply with no JSON at all, or a request that
failed after the adapter's retries (`batches.ServerFailure`), fails that image: `__call__` raises,
and `batch` returns the failure in the image's place (the other images' replies are kept, nothing is
sent twice); the pipeline rejects the image, naming the detector. A refused key, an unknown model or
URL (HTTP 401, 403, 404) stops the run. The model gives no score: every detection scores 1.0, and
duplicates are left to the pipeline.

What it can claim: the names are the model's own words (or the given `names`), and a scene is as
right as the model. How many cups there are is how many the model listed.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from veriscene.annotate.batches import Counted, ServerFailure, StageFailure, server_fault, stage_failure
from veriscene.annotate.detect_replies import entry_box, entry_label, read_entries
from veriscene.annotate.models import Detection
from veriscene.answers.coords import order_box
from veriscene.option_names import option


@dataclass(frozen=True)
class BoxFormat:
    """How boxes of one format are asked for and read back."""

    key: str  # the box's key in the prompt's JSON example
    corners: str  # the order of the numbers, as the prompt shows it
    convention: str  # what the numbers are, as the prompt says it
    unit: float | None  # model units per image side; None: pixels of the image as sent
    yx: bool = False  # y before x: [ymin, xmin, ymax, xmax]


_XYXY = "[x0, y0, x1, y1]"
_CORNERS = "x0, y0 its top-left corner and x1, y1 its bottom-right corner"
_EDGES = "(0 the left or top edge of the image, {top} its right or bottom edge)"
_IN_1000 = f"as integers from 0 to 1000 {_EDGES.format(top=1000)}"
BOX_FORMATS = {
    "pixels": BoxFormat("bbox_2d", _XYXY, "in pixels of this {width}x{height} image, " + _CORNERS,
                        None),
    "norm1000": BoxFormat("bbox_2d", _XYXY, f"{_IN_1000}, {_CORNERS}", 1000.0),
    "norm1": BoxFormat("bbox_2d", _XYXY, f"as fractions from 0 to 1 {_EDGES.format(top=1)}, "
                       f"{_CORNERS}", 1.0),
    "yxyx_norm1000": BoxFormat("box_2d", "[y0, x0, y1, x1]", f"{_IN_1000}, y0, x0 its top-left "
                               "corner and y1, x1 its bottom-right corner", 1000.0, yx=True),
}

# {names}, {label}, {key}, {corners}, {convention}, {width} and {height} are filled per image.
OPEN_PROMPT = ('Find every object in the image, each instance on its own (two cups are two '
               'objects). Answer with a JSON list with one entry per object, like [{"label": '
               '"{label}", "{key}": {corners}}, ...], where label is a short name of the object '
               'and {key} its bounding box {convention}. Answer [] if there is no object.')
NAMED_PROMPT = ('Find every instance of these objects in the image: {names}. Answer with a JSON '
                'list with one entry per instance (two cups are two entries), like [{"label": '
                '"{label}", "{key}": {corners}}, ...], where label is which of the names above it '
                'is and {key} its bounding box {convention}. Leave out anything else; answer [] if '
                'none of them is in the image.')

# entries the model got wrong (reported as rejected objects), by `skipped` reason; {fmt}: the
# box format asked for
_MODEL_FAULTS = {"not_an_object": "is not a JSON object", "no_label": "has no label",
                 "bad_box": "has no box of four numbers", "no_area": "has a box of no area",
                 "sub_pixel": "has a box less than a pixel wide or high",
                 "far_outside": "has a box far outside the image (more than half the image past an edge, "
                                "in {box_format} {fmt})",
                 "fractions": "has a box of fractions (all four numbers at most 1) where {fmt} asks for "
                              "0-1000: the model answers in another convention (try {norm1})"}
# entries left out by the settings, counted (the run's summary) by `skipped` reason
_COUNTED = {"not_a_name": "detector_labels_not_in_names", "over_max_objects": "detector_objects_over_max_objects"}
CUT_OFF = "detector_replies_cut_off"  # replies cut at the token limit, counted
FAR = 0.5  # a box number more than this share of the image past an edge is no box of the image


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with each ``{key}`` of `values` replaced; other braces (JSON's) left alone."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def to_original(values: Sequence[float], box_format: str, sent: tuple[int, int],
                original: tuple[int, int]) -> tuple[float, float, float, float]:
    """A box as the model gave it in `box_format`, for the image sent at `sent` (width, height) ->
    xyxy in pixels of the original image (`original`), corners ordered, not clipped."""
    fmt = BOX_FORMATS[box_format]
    if fmt.yx:
        values = (values[1], values[0], values[3], values[2])
    unit_w, unit_h = (float(sent[0]), float(sent[1])) if fmt.unit is None else (fmt.unit, fmt.unit)
    x0, y0, x1, y1 = order_box(values)
    width, height = original
    # multiplied before divided: 75 * 120 / 1000 is 9.0 exactly
    return (round(x0 * width / unit_w, 2), round(y0 * height / unit_h, 2),
            round(x1 * width / unit_w, 2), round(y1 * height / unit_h, 2))


def _folded(text: str) -> str:
    return " ".join(text.lower().split())


def name_lookup(names: Sequence[str]) -> dict[str, str]:
    """Lowercase label -> the name it stands for: each name, and its simple plurals (+s, +es)."""
    lookup = {_folded(name) + ending: name for name in reversed(names) for ending in ("es", "s")}
    lookup.update((_folded(name), name) for name in names)  # a name as given beats another's plural
    return lookup


# --- the stage ---------------------------------------------------------------------------------

class VLMDetector:
    """A `Detector` backed by a vision-language model on an OpenAI-compatible server: the model
    lists the objects of the image (with `names`, the instances of those names only) with their
    boxes as JSON, in the coordinate convention of `box_format`. Boxes come back as xyxy pixels of
    the original image, every score is 1.0, and entries left out are counted by reason in
    `skipped` (this process's; each image's result carries its own counts, `batches.Counted`).
    `batch` sends several images' requests to the server at once."""

    batch_independent = True  # one request per image: its detections do not depend on the others sent with it

    def __init__(self, model: Any, names: Sequence[str] | None = None, *,
                 box_format: str = "pixels", max_side: int | None = None, max_objects: int = 50,
                 prompt: str | None = None) -> None:
        self.model = model  # a veriscene.evaluate.adapters Model (OpenAIChatModel, ...)
        if box_format not in BOX_FORMATS:
            raise ValueError(f"unknown box_format {box_format!r}; expected one of "
                             f"{', '.join(BOX_FORMATS)}")
        if max_side is not None and max_side < 1:
            raise ValueError(f"max_side must be at least 1 (or None: images sent as they are), "
                             f"got {max_side}")
        if max_objects < 1:
            raise ValueError(f"max_objects must be at least 1, got {max_objects}")
        self.names = (None if names is None
                      else list(dict.fromkeys(n.strip() for n in names if n.strip())))
        if self.names is not None and not self.names:
            raise ValueError("names, when given, must hold at least one name to look for")
        if prompt is not None and "{names}" in prompt and self.names is None:
            raise ValueError("the prompt has a {names} slot but no names were given")
        self.box_format, self.max_side, self.max_objects = box_format, max_side, max_objects
        default = OPEN_PROMPT if self.names is None else NAMED_PROMPT
        self.template = default if prompt is None else prompt
        self._lookup = None if self.names is None else name_lookup(self.names)
        self.skipped: Counter[str] = Counter()  # entries left out, by reason
        self.cut_off = 0  # replies cut at the server's token limit (their complete entries kept)

    def describe(self) -> dict[str, Any]:
        return {"model": self.model.identity(), "kind": type(self).__name__, "names": self.names,
                "box_format": self.box_format, "max_side": self.max_side,
                "max_objects": self.max_objects, "prompt": self.template}

    def prompt_text(self, width: int, height: int) -> str:
        """The prompt for an image sent at `width` x `height` pixels."""
        fmt = BOX_FORMATS[self.box_format]
        slots = {"convention": fmt.convention,  # first: it has {width} and {height} slots
                 "names": ", ".join(self.names or []), "label": (self.names or ["cup"])[0],
                 "key": fmt.key, "corners": fmt.corners, "width": str(width), "height": str(height)}
        return fill(self.template, slots)

    def sent(self, image: Image.Image) -> Image.Image:
        """The image as sent: RGB, downscaled (aspect kept) so that its longer side is at most
        `max_side`."""
        image = image.convert("RGB")
        longer = max(image.size)
        if self.max_side is None or longer <= self.max_side:
            return image
        scale = self.max_side / longer
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        return image.resize(size, Image.Resampling.LANCZOS)

    def __call__(self, image: Image.Image) -> Counted:
        (found,) = self._found([image])
        if isinstance(found, Exception):
            raise found
        return found

    def batch(self, images: Sequence[Image.Image]) -> list[Counted | StageFailure]:
        """The detections of several images, their requests sent to the server at once (the
        adapter's `concurrency`); a `StageFailure` in the place of an image whose request failed
        or whose reply holds no JSON."""
        return [stage_failure("detector", found) if isinstance(found, Exception) else found
                for found in self._found(images)]

    def _found(self, images: Sequence[Image.Image]) -> list[Counted | Exception]:
        replies, sizes = self._ask(images)
        out: list[Counted | Exception] = []
        for completion, sent, image in zip(replies, sizes, images):
            try:
                entries = self._entries(completion)
            except (RuntimeError, ValueError) as exc:
                out.append(exc)
                continue
            cut = completion.info.get("finish_reason") == "length"
            self.cut_off += cut
            out.append(self._detections(entries, sent, image.size, cut))
        return out

    def _ask(self, images: Sequence[Image.Image]) -> tuple[list[Any], list[tuple[int, int]]]:
        """(completion, size of the image as sent) of each image, in order."""
        from veriscene.evaluate.adapters.base import Request
        from veriscene.evaluate.prompts import Prompt

        done: dict[str, Any] = {}  # request key -> its completion
        sizes: list[tuple[int, int]] = []

        def keep(completion: Any) -> None:
            done[completion.key] = completion

        with tempfile.TemporaryDirectory(prefix="veriscene-detect-") as folder:
            requests = []
            for k, image in enumerate(images):
                sent = self.sent(image)
                path = Path(folder) / f"{k}.jpg"  # a photo: JPEG is a fraction of PNG's bytes
                sent.save(path, quality=95)
                sizes.append(sent.size)
                text = self.prompt_text(*sent.size)
                requests.append(Request(key=str(k), prompt=Prompt(None, text, (path,))))
            self.model.generate(requests, keep)
        return [done[str(k)] for k in range(len(images))], sizes

    def _entries(self, completion: Any) -> list[Any]:
        if not completion.ok:
            message = f"the request to {self.model.name} failed: {completion.error}"[:300]
            # retries used up (timeouts, 5xx, no connection): the server's fault, not the image's;
            # a request refused (4xx) or answered with no answer fails alike each time
            raise ServerFailure(message) if server_fault(completion) else RuntimeError(message)
        return read_entries(completion.text)

    def _detections(self, entries: list[Any], sent: tuple[int, int],
                    original: tuple[int, int], cut: bool = False) -> Counted:
        """The kept detections of a reply's entries, in reply order, and those the model got
        wrong (with their `problem`); the others counted, here (`skipped`) and in the result.
        `cut`: the reply was cut at the token limit (reported as a problem: what followed is
        lost)."""
        kept: list[Detection] = []
        counts: Counter[str] = Counter()
        for k, item in enumerate(entries):
            found = self._detection(item, sent, original)
            if isinstance(found, str):
                self.skipped[found] += 1
                if found in _MODEL_FAULTS:
                    shown = json.dumps(item, ensure_ascii=False)[:120]
                    why = _MODEL_FAULTS[found].format(
                        fmt=self.box_format, box_format=option("box_format", "--box-format"),
                        norm1=option("box_format='norm1'", "--box-format norm1"))
                    kept.append(Detection("", (0.0, 0.0, 0.0, 0.0), 0.0, problem=f"entry {k} of the reply {why}: {shown}"))
                else:
                    counts[_COUNTED[found]] += 1
            elif sum(d.problem is None for d in kept) == self.max_objects:
                self.skipped["over_max_objects"] += 1
                counts[_COUNTED["over_max_objects"]] += 1
            else:
                kept.append(found)
        if cut:
            counts[CUT_OFF] += 1
            kept.append(Detection("", (0.0, 0.0, 0.0, 0.0), 0.0, problem=(
                f"the reply was cut at the server's token limit after {len(entries)} complete entries: the "
                "objects it went on to list are lost (a higher limit: max_tokens; "
                f"{option('max_objects', '--max-objects')} raises it)")))
        return Counted(kept, counts)

    def _detection(self, item: Any, sent: tuple[int, int],
                   original: tuple[int, int]) -> Detection | str:
        """The detection of one entry, or why it is left out (a key of `skipped`)."""
        if not isinstance(item, dict):
            return "not_an_object"
        label, values = entry_label(item), entry_box(item)
        if label is None:
            return "no_label"
        if values is None:
            return "bad_box"
        name = label if self._lookup is None else self._lookup.get(label.lower())
        if name is None:
            return "not_a_name"
        if BOX_FORMATS[self.box_format].unit == 1000.0 and all(abs(v) <= 1 for v in values):
            return "fractions"
        box = to_original(values, self.box_format, sent, original)
        width, height = original
        if any(not -FAR * side <= v <= (1 + FAR) * side for v, side in zip(box, (width, height, width, height))):
            return "far_outside"
        if box[2] <= box[0] or box[3] <= box[1]:
            return "no_area"
        if box[2] - box[0] < 1 or box[3] - box[1] < 1:
            return "sub_pixel"
        return Detection(name, box, 1.0)
