"""What every reader shares: per-record error handling, names, box conversion (`ReadContext`);
image sizes (`_sizes`), a scene's parts (`_parts`), JSON loading (`_json_load`) and field checks
(`_fields`) are in modules of their own, and importable from here.

A reader builds one scene per record inside `ReadContext.scene(record, build)`. Anything wrong with
the record raises `SceneValidationError` (naming the field); the context turns it into a reject
(or re-raises it in strict mode) and the reader goes on with the next record. Malformed user data
never ends a run with a traceback.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from veriscene.engine.remote import is_url
from veriscene.errors import ReaderOptionError, SceneValidationError
from veriscene.io.normalize import Normalizer
# what the readers share besides ReadContext, in modules of their own (re-exported: readers import
# them from here)
from veriscene.io.readers._fields import bad, is_number, object_id, text_fault
from veriscene.io.readers._json_load import as_records, json_records, load_json, parse_json, stream_fault
from veriscene.io.readers._parts import (
    OBJECT_COVERAGES, OBJECTS_DEFAULTS, SPARSE_DEFAULTS, SceneParts, exhaustive_names, objects_for, sparse_for,
    sparse_kinds,
)
from veriscene.io.readers._sizes import IMAGE_NOT_FOUND, ImageSizes, header_size
from veriscene.io.readers._stored_pixels import DEPTH_MAP_TURNED, SHOWN, STORED, parse_drawn_on, shown_scene
from veriscene.io.rejects import KEPT_RECORD_LEVELS, RejectReport, writable
from veriscene.scene.box_units import XYWH, XYXY, looks_normalised, normalised_error
from veriscene.scene.model import Scene

__all__ = [
    "IMAGE_NOT_FOUND", "OBJECTS_DEFAULTS", "OBJECT_COVERAGES", "PART_REJECTS_SCENE", "SPARSE_DEFAULTS", "ReadContext", "SceneParts",
    "as_records", "bad", "default_normalizer", "exhaustive_names", "header_size", "is_number", "json_records",
    "load_json", "object_id", "objects_for", "parse_json", "sparse_for", "sparse_kinds", "stream_fault", "text_fault",
]

# Errors that malformed data can still provoke past the explicit checks (e.g. a dict where a list
# was expected deep inside a record). They become rejects, never tracebacks.
_DATA_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)

_DEFAULT_NORMALIZER: Normalizer | None = None
# the count of scenes rejected for one bad object, attribute or relation (`ReadContext.drop`
# without drop_bad_parts), which drop_bad_parts would have kept without it
PART_REJECTS_SCENE = "scenes_rejected_for_one_bad_part"
# a box's container and values as JSON gives them (bool, a subclass of int, is no coordinate)
_SEQUENCES = frozenset((list, tuple))
_NUMBER_TYPES = frozenset((int, float))
# the formats whose files give boxes in pixels, which a file of a user's own may have written
# normalised (0-1) by mistake: such a scene is refused (`scene.box_units`)
PIXEL_BOX_FORMATS = frozenset({"coco", "visual_genome", "gqa", "provision", "clevr"})


def _writable(error: SceneValidationError) -> SceneValidationError:
    """`error` with a lone surrogate in its reason, file, record or field (a record named by its
    image id "\\ud800": `text_fault`) written as its escape: the report is a UTF-8 file, and a
    console prints UTF-8. The error itself when there is none (almost always)."""
    parts = (error.reason, error.source, error.record, error.field)
    if all(not isinstance(part, str) or part.isascii() or text_fault(part) is None for part in parts):
        return error

    def escaped(part: Any) -> Any:
        return writable(part) if isinstance(part, str) else part

    return SceneValidationError(escaped(error.reason), source=escaped(error.source), record=escaped(error.record),
                                field=escaped(error.field))


def default_normalizer() -> Normalizer:
    global _DEFAULT_NORMALIZER
    if _DEFAULT_NORMALIZER is None:
        _DEFAULT_NORMALIZER = Normalizer()
    return _DEFAULT_NORMALIZER


class ReadContext(ImageSizes):
    """Options and bookkeeping shared by one reader call over one input."""

    def __init__(
        self,
        source: str | os.PathLike[str],
        fmt: str,
        *,
        report: RejectReport | None = None,
        strict: bool = False,
        normalizer: Normalizer | None = None,
        image_root: str | os.PathLike[str] | None = None,
        image_size: tuple[int, int] | None = None,
        drop_bad_parts: bool = False,
        sparse: bool | str | Sequence[str] | None = None,
        objects: str | None = None,
        drawn_on: str = SHOWN,
    ) -> None:
        self.source = str(source)
        self.fmt = fmt
        self.report = report if report is not None else RejectReport()
        self.strict = strict
        self.normalizer = normalizer or default_normalizer()
        # images under a URL (s3://...) are not read for their sizes: the annotation's, or image_size
        self.image_root = Path(image_root) if image_root is not None and not is_url(image_root) else None
        self.image_root_url = image_root if image_root is not None and is_url(image_root) else None
        if image_size is not None:
            w, h = image_size
            if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
                raise ReaderOptionError(f"image_size must be two positive integers (width, height), got {image_size!r}",
                                        option="image_size", value=image_size)
        self.image_size = image_size
        # the pixels annotation was drawn on (`_stored_pixels`): read from the image files alone
        self.drawn_on = parse_drawn_on(drawn_on)
        if self.drawn_on == STORED and self.image_root is None:
            where = (f"images at a URL ({self.image_root_url}) are not read" if self.image_root_url else
                     "no image_root is given")
            raise ReaderOptionError(f"drawn_on=stored maps each annotation by its image's EXIF orientation, which is "
                                    f"in the image file, and {where}: pass image_root=DIR (--image-root) of the "
                                    "images on disk", option="drawn_on", value=drawn_on)
        self.drop_bad_parts = drop_bad_parts
        # what the scenes record only in part (``meta["sparse"]``): the format's default unless given
        self.sparse: list[str] = sparse_for(fmt, sparse)
        self.sparse_given = sparse is not None
        # what the object annotation covers (`OBJECT_COVERAGES`): the format's default unless given
        self.objects: str = objects_for(fmt, objects)
        self.record: str | int | None = None
        self._where: Callable[[str | None], str | None] | None = None  # see `scene`
        self._seen: set[str] = set()
        self._pending: Counter[str] = Counter()
        # parts left out of the record being read, (located error, level): reported if it is kept
        self._left_out: list[tuple[SceneValidationError, str]] = []
        self._check_units = fmt in PIXEL_BOX_FORMATS
        self._first_box: tuple[str, str] | None = None  # (field, form) of the record's first box

    # ---- error handling --------------------------------------------------------------------

    def _fail(self, error: SceneValidationError, level: str) -> None:
        error = _writable(error)
        if self.strict and level not in KEPT_RECORD_LEVELS:  # a part left out of a record kept: reported
            raise error
        self.report.add(error, level)

    def file_error(self, error: SceneValidationError, source: str | None = None) -> None:
        """A whole input file is unusable (truncated JSON, wrong top-level type)."""
        self._fail(error.located(source or self.source), "file")

    def scene(self, record: str | int, build: Callable[[], Scene],
              where: Callable[[str | None], str | None] | None = None) -> Scene | None:
        """Run `build` for one record: its Scene, or None after reporting why not. `where` names
        the file holding a field of a record read from several files (ProVision's stage files):
        its rejects name that file rather than the input (None: the input)."""
        self.record = record
        self._pending.clear()
        self._left_out.clear()
        self._where = where
        self.turn = 1
        self._first_box = None
        try:
            scene = build()
            if self._check_units and looks_normalised(scene.boxes, scene.width, scene.height):
                field, how = self._first_box or ("box", XYXY)
                raise normalised_error(scene.boxes, scene.width, scene.height, field, how)
            if self.turn != 1:  # read in the stored pixels of a turned photo (`image_size_of`)
                scene = shown_scene(scene, self.turn)
                if scene.depth_map is not None:  # its map too: read turned (`shown_scene`)
                    self.repair(DEPTH_MAP_TURNED)
            if scene.image_id in self._seen:
                raise bad(f"duplicate image id {scene.image_id!r} (an earlier record has it)", "image_id")
        except SceneValidationError as exc:
            self._fail(self._located(exc), "scene")
            return None
        except _DATA_ERRORS as exc:
            err = SceneValidationError(f"malformed record ({type(exc).__name__}: {exc})"[:300])
            self._fail(self._located(err), "scene")
            return None
        finally:
            self._where = None
            self.turn = 1
        self._seen.add(scene.image_id)
        for kind, n in self._pending.items():
            self.report.count(kind, n)
        for error, level in self._left_out:
            self._fail(error, level)
        self._left_out.clear()
        return scene

    def reject(self, record: str | int, error: SceneValidationError, level: str = "scene") -> None:
        """Report a record that never gets as far as `scene()` (e.g. it has no usable id)."""
        self._fail(error.located(self.source, record), level)

    def drop(self, error: SceneValidationError, level: str) -> None:
        """An object or relation is bad: drop just it (when asked to), else reject the scene."""
        if not self.drop_bad_parts or self.strict:
            if not self.strict:  # its scene is rejected: counted, so the summary can say drop_bad_parts keeps it
                self.report.count(PART_REJECTS_SCENE)
            raise error
        self._fail(self._located(error), level)

    def _located(self, error: SceneValidationError) -> SceneValidationError:
        """`error` placed in the record being read: its file (`scene(where=...)`) and record."""
        source = self._where(error.field) if self._where is not None and error.source is None else None
        return error.located(source or self.source, self.record)

    def left_out(self, error: SceneValidationError, level: str = "mask") -> None:
        """A part of the record being read is left out and the record kept (a COCO polygon of
        fewer than three points: its object keeps its other polygons and its box): a reject entry
        of `level` (`KEPT_RECORD_LEVELS`) naming the record and the part's field, written once the
        scene is accepted, as repairs are (a scene rejected says why itself); never raised, even
        in strict mode, which stops at the first record refused."""
        self._left_out.append((self._located(error), level))

    def repair(self, kind: str, n: int = 1) -> None:
        """Count a repair; committed only if the scene is accepted."""
        self._pending[kind] += n

    # ---- values ----------------------------------------------------------------------------

    def name(self, raw: Any, field: str) -> str:
        return self.name_and_group(raw, field)[0]

    def name_and_group(self, raw: Any, field: str) -> tuple[str, bool]:
        """(normalised name, whether it was plural: "trees" names a box around several trees)."""
        if not isinstance(raw, str):
            raise bad(f"name must be a string, got {type(raw).__name__} {raw!r}"[:200], field)
        if not raw.isascii():
            self._text(raw, "name", field)
        text, group = self.normalizer.name_and_group(raw)
        if not text:
            raise bad(f"name is empty (got {raw!r})", field)
        return text, group

    def predicate(self, raw: Any, field: str) -> str:
        """The normalised predicate; "" for one that says nothing ("and"), whose relation is
        dropped (`SceneParts.relate`). An empty one is refused."""
        if not isinstance(raw, str):
            raise bad(f"predicate must be a string, got {type(raw).__name__} {raw!r}"[:200], field)
        if not raw.isascii():
            self._text(raw, "predicate", field)
        text = self.normalizer.predicate(raw)
        if not text and not raw.replace("_", " ").strip():
            raise bad(f"predicate is empty (got {raw!r})", field)
        return text

    def attributes(self, raw: Any, field: str) -> list[str]:
        """A list of attribute words, normalised; empty strings are dropped and counted, and so is
        a word the list gives again ("white", "White "): a scene holds it once. (The same word in
        two lists of one object, two annotations agreeing, is not counted.)"""
        if raw is None:
            return []
        if not isinstance(raw, (list, tuple)):
            raise bad(f"attributes must be a list of strings, got {type(raw).__name__} {raw!r}"[:200], field)
        out = []
        for k, value in enumerate(raw):
            if not isinstance(value, str):
                raise bad(f"attribute must be a string, got {type(value).__name__} {value!r}"[:200], f"{field}[{k}]")
            if not value.isascii():
                self._text(value, "attribute", f"{field}[{k}]")
            text = self.normalizer.attribute(value)
            if text:
                out.append(text)
            else:
                self.repair("empty_attributes_dropped")
        if len(out) > 1 and len(set(out)) < len(out):
            self.repair("duplicate_attributes_merged", len(out) - len(set(out)))
        return out

    @staticmethod
    def _text(raw: str, what: str, field: str) -> None:
        """Refuse a name, predicate or attribute that is not text (`text_fault`)."""
        fault = text_fault(raw)
        if fault is not None:
            raise bad(f"{what} {raw!r} {fault}"[:300], field)

    def box_xywh(self, xywh: Any, width: int, height: int, field: str) -> list[float]:
        """[x, y, w, h] (top-left corner, size) -> clipped xyxy."""
        if self._first_box is None:
            self._first_box = (field, XYWH)
        x, y, w, h = self._numbers(xywh, field)
        if w < 0 or h < 0:
            raise bad(f"box [x, y, w, h] = {list(xywh)} has a negative width or height", field)
        return self.box_xyxy((x, y, x + w, y + h), width, height, field)

    def box_xyxy(self, xyxy: Sequence[Any], width: int, height: int, field: str) -> list[float]:
        """[x0, y0, x1, y1] in pixels -> clipped to the image; inverted or empty boxes rejected."""
        if self._first_box is None:
            self._first_box = (field, XYXY)
        x0, y0, x1, y1 = self._numbers(xyxy, field)
        if x1 < x0 or y1 < y0:
            raise bad(f"box {[x0, y0, x1, y1]} is inverted (x1 < x0 or y1 < y0)", field)
        if x1 == x0 or y1 == y0:
            raise bad(f"box {[x0, y0, x1, y1]} has no area", field)
        cx0, cx1 = min(max(x0, 0.0), width), min(max(x1, 0.0), width)
        cy0, cy1 = min(max(y0, 0.0), height), min(max(y1, 0.0), height)
        if cx1 <= cx0 or cy1 <= cy0:
            raise bad(f"box {[x0, y0, x1, y1]} lies outside the {width}x{height} image", field)
        if (cx0, cy0, cx1, cy1) != (x0, y0, x1, y1):
            self.repair("boxes_clipped")
        return [cx0, cy0, cx1, cy1]

    @staticmethod
    def _numbers(values: Any, field: str) -> tuple[float, float, float, float]:
        if type(values) in _SEQUENCES and len(values) == 4:  # the usual box, checked at a glance (read per object)
            a, b, c, d = values
            try:
                if (type(a) in _NUMBER_TYPES and type(b) in _NUMBER_TYPES and type(c) in _NUMBER_TYPES
                        and type(d) in _NUMBER_TYPES and math.isfinite(a + b + c + d)):
                    return float(a), float(b), float(c), float(d)
            except OverflowError:  # an int past a float's range (10**400): refused below, naming the box
                pass
        if not isinstance(values, (list, tuple)) or len(values) != 4:
            raise bad(f"box must be 4 numbers, got {values!r}"[:200], field)
        if not all(is_number(v) for v in values):
            raise bad(f"box must be 4 finite numbers, got {list(values)!r}"[:200], field)
        a, b, c, d = (float(v) for v in values)
        return a, b, c, d
