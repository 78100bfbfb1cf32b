"""What every reader shares: per-record error handling, box conversion, image sizes, JSON loading.

A reader builds one scene per record inside `ReadContext.scene(record, build)`. Anything wrong with
the record raises `SceneValidationError` (naming the field); the context turns it into a reject
(or re-raises it in strict mode) and the reader goes on with the next record. Malformed user data
never ends a run with a traceback.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.remote import is_url
from veriscene.errors import SceneValidationError
from veriscene.io.normalize import Normalizer
from veriscene.io.readers._images import read_header
from veriscene.io.readers._json import JsonStreamError, stream_json, top_level
from veriscene.io.rejects import RejectReport
from veriscene.scene.compressed import READ_ERRORS, data_error, open_data_file, unreadable
from veriscene.scene.model import SPARSE_KINDS, Scene

# Errors that malformed data can still provoke past the explicit checks (e.g. a dict where a list
# was expected deep inside a record). They become rejects, never tracebacks.
_DATA_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)

_DEFAULT_NORMALIZER: Normalizer | None = None


def default_normalizer() -> Normalizer:
    global _DEFAULT_NORMALIZER
    if _DEFAULT_NORMALIZER is None:
        _DEFAULT_NORMALIZER = Normalizer()
    return _DEFAULT_NORMALIZER


def bad(message: str, field: str | None = None) -> SceneValidationError:
    return SceneValidationError(message, field=field)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# Formats whose annotators recorded only some attributes and relations of an object (``meta["sparse"]``):
# Visual Genome's crowd workers wrote what they noticed; GQA cleaned those graphs but did not fill
# them in; Open Images annotated relationships (and "is" attributes) for some pairs only.
SPARSE_DEFAULTS: dict[str, tuple[str, ...]] = {
    "visual_genome": SPARSE_KINDS, "gqa": SPARSE_KINDS, "open_images": SPARSE_KINDS,
}


def sparse_kinds(value: bool | str | Sequence[str]) -> list[str]:
    """The `sparse` reader option as `meta["sparse"]`: true is both `SPARSE_KINDS`, false (or
    "none") neither, else the kinds named, in a list or comma-separated ("attributes")."""
    if isinstance(value, bool):
        return list(SPARSE_KINDS) if value else []
    words = value.split(",") if isinstance(value, str) else list(value)
    kinds = {str(w).strip().lower() for w in words} - {"", "none"}
    unknown = sorted(kinds - set(SPARSE_KINDS))
    if unknown:
        raise ValueError(f"sparse must be true, false, none or some of {', '.join(SPARSE_KINDS)}; got {unknown}")
    return [k for k in SPARSE_KINDS if k in kinds]


# What a format's object annotation covers (the `objects` option of the readers that take it), as
# `meta["exhaustive"]` says it (`exhaustive_names`):
# - "complete": every object of the image is annotated (meta.exhaustive unset): a name without an
#   object is absent, counts are exact;
# - "present": every object of the names the image annotates, and nothing is known of any other
#   name (meta.exhaustive = the image's names): counts and "the man" stand, absences are unknown;
# - "sparse": some objects only, of any name (meta.exhaustive = []): what is annotated is there,
#   and neither absences nor counts nor "the man" (one of how many?) are known.
OBJECT_COVERAGES = ("complete", "present", "sparse")
# Visual Genome's crowd workers drew the objects they wrote about, not every object; GQA cleaned
# those graphs but did not complete them: a "car" not annotated may well be in the picture.
OBJECTS_DEFAULTS: dict[str, str] = {"visual_genome": "present", "gqa": "present"}


def objects_for(fmt: str, value: str | None) -> str:
    """The `objects` option: one of `OBJECT_COVERAGES` (any case), else the format's default
    (`OBJECTS_DEFAULTS`, "complete" for formats without one)."""
    if value is None:
        return OBJECTS_DEFAULTS.get(fmt, "complete")
    coverage = str(value).strip().lower()
    if coverage not in OBJECT_COVERAGES:
        raise ValueError(f"objects must be one of {', '.join(OBJECT_COVERAGES)}, got {value!r}")
    return coverage


def exhaustive_names(coverage: str, names: Iterable[str]) -> list[str] | None:
    """`meta["exhaustive"]` of a scene of objects `names` under `coverage` (`OBJECT_COVERAGES`)."""
    if coverage == "complete":
        return None
    return sorted(set(names)) if coverage == "present" else []


def sparse_for(fmt: str, value: bool | str | Sequence[str] | None) -> list[str]:
    """`meta["sparse"]` of a format's scenes: the `sparse` option when given, else the format's
    default (`SPARSE_DEFAULTS`)."""
    return sparse_kinds(SPARSE_DEFAULTS.get(fmt, ()) if value is None else value)


class ReadContext:
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
                raise ValueError(f"image_size must be two positive integers (width, height), got {image_size!r}")
        self.image_size = image_size
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

    # ---- error handling --------------------------------------------------------------------

    def _fail(self, error: SceneValidationError, level: str) -> None:
        if self.strict:
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
        self._where = where
        try:
            scene = build()
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
        self._seen.add(scene.image_id)
        for kind, n in self._pending.items():
            self.report.count(kind, n)
        return scene

    def reject(self, record: str | int, error: SceneValidationError, level: str = "scene") -> None:
        """Report a record that never gets as far as `scene()` (e.g. it has no usable id)."""
        self._fail(error.located(self.source, record), level)

    def drop(self, error: SceneValidationError, level: str) -> None:
        """An object or relation is bad: drop just it (when asked to), else reject the scene."""
        if not self.drop_bad_parts or self.strict:
            raise error
        self.report.add(self._located(error), level)

    def _located(self, error: SceneValidationError) -> SceneValidationError:
        """`error` placed in the record being read: its file (`scene(where=...)`) and record."""
        source = self._where(error.field) if self._where is not None and error.source is None else None
        return error.located(source or self.source, self.record)

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
        text, group = self.normalizer.name_and_group(raw)
        if not text:
            raise bad(f"name is empty (got {raw!r})", field)
        return text, group

    def predicate(self, raw: Any, field: str) -> str:
        """The normalised predicate; "" for one that says nothing ("and"), whose relation is
        dropped (`SceneParts.relate`). An empty one is refused."""
        if not isinstance(raw, str):
            raise bad(f"predicate must be a string, got {type(raw).__name__} {raw!r}"[:200], field)
        text = self.normalizer.predicate(raw)
        if not text and not raw.replace("_", " ").strip():
            raise bad(f"predicate is empty (got {raw!r})", field)
        return text

    def attributes(self, raw: Any, field: str) -> list[str]:
        """A list of attribute words, normalised; empty strings are dropped and counted."""
        if raw is None:
            return []
        if not isinstance(raw, (list, tuple)):
            raise bad(f"attributes must be a list of strings, got {type(raw).__name__} {raw!r}"[:200], field)
        out = []
        for k, value in enumerate(raw):
            if not isinstance(value, str):
                raise bad(f"attribute must be a string, got {type(value).__name__} {value!r}"[:200], f"{field}[{k}]")
            text = self.normalizer.attribute(value)
            if text:
                out.append(text)
            else:
                self.repair("empty_attributes_dropped")
        return out

    def box_xywh(self, xywh: Any, width: int, height: int, field: str) -> list[float]:
        """[x, y, w, h] (top-left corner, size) -> clipped xyxy."""
        x, y, w, h = self._numbers(xywh, field)
        if w < 0 or h < 0:
            raise bad(f"box [x, y, w, h] = {list(xywh)} has a negative width or height", field)
        return self.box_xyxy((x, y, x + w, y + h), width, height, field)

    def box_xyxy(self, xyxy: Sequence[Any], width: int, height: int, field: str) -> list[float]:
        """[x0, y0, x1, y1] in pixels -> clipped to the image; inverted or empty boxes rejected."""
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
        if not isinstance(values, (list, tuple)) or len(values) != 4:
            raise bad(f"box must be 4 numbers, got {values!r}"[:200], field)
        if not all(is_number(v) for v in values):
            raise bad(f"box must be 4 finite numbers, got {list(values)!r}"[:200], field)
        a, b, c, d = (float(v) for v in values)
        return a, b, c, d

    # ---- image sizes -----------------------------------------------------------------------

    def image_size_of(
        self, width: Any, height: Any, candidates: Iterable[str | os.PathLike[str]] = ()
    ) -> tuple[int, int]:
        """Image (width, height): from the annotation, else the image header (the size shown,
        EXIF orientation applied: `_images`), else `image_size`. An annotated size is checked
        against the header when `image_root` is given and the file is there (`_check_size`)."""
        if width is not None or height is not None:
            size = _dimension(width, "width"), _dimension(height, "height")
            if self.image_root is not None:  # headers are read only when the user points at the images
                self._check_size(size, candidates)
            return size
        for candidate in candidates:
            path = Path(candidate)
            if not path.is_absolute() and self.image_root is not None:
                path = self.image_root / path
            if path.is_absolute() or self.image_root is not None:
                header = read_header(path)
                if header is not None:
                    self.repair("sizes_from_image_header")
                    if header.size != header.stored:  # a photo stored sideways: its upright size
                        self.repair("sizes_of_upright_image")
                    return header.size
        if self.image_size is not None:
            return self.image_size
        hint = ("no image file found under the image root" if self.image_root else
                f"images at a URL ({self.image_root_url}) are not read for their sizes" if self.image_root_url else
                "no image root given")
        raise bad(
            f"image size missing: the annotation has no width/height and {hint}; pass image_root=DIR "
            "(--image-root, reads the image header) or image_size=(W, H) (--image-size WxH)",
            "width",
        )


    def _check_size(self, size: tuple[int, int], candidates: Iterable[str | os.PathLike[str]]) -> None:
        """Refuse an annotated (width, height) that is not the size of the image file shown (its
        EXIF orientation applied), as the first of `candidates` found under `image_root` has it.

        Every box is in the annotated size's pixels, and is drawn, cropped and normalised against
        the image that is shown: with another size (a resized copy of the image, the wrong image
        root, or a sideways-stored photo annotated by its stored size) every box lands in the
        wrong place. Which of the two is right cannot be told from the files, so the scene is
        rejected naming both sizes rather than kept with boxes that may not fit. A file Pillow
        cannot read leaves the size unchecked (counted): the annotation's size is kept."""
        for candidate in candidates:
            path = Path(candidate)
            path = path if path.is_absolute() else self.image_root / path  # type: ignore[operator]
            try:
                header = read_header(path)
            except SceneValidationError:  # not an image Pillow reads: the size cannot be checked
                self.repair("sizes_unchecked_unreadable_image")
                return
            if header is None:
                continue
            if size == header.size:
                return
            shown = f"{header.size[0]}x{header.size[1]}"
            if size == header.stored:
                raise bad(f"annotated size {size[0]}x{size[1]} is the stored size of {path}, a photo shown "
                          f"turned (EXIF orientation {header.orientation}) as {shown}: its boxes were drawn on "
                          "the sideways pixels and would not fit the photo shown", "width")
            raise bad(f"annotated size {size[0]}x{size[1]} is not the size of the image file {path} ({shown}): "
                      "a resized copy, or the wrong image root? its boxes would not fit", "width")


def _dimension(value: Any, field: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise bad(f"{field} must be a positive integer, got {value!r}", field)
    return value


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) of the image as shown, its EXIF orientation applied (`_images`: annotation
    is made on the upright photo), from its header (pixels not decoded); None without the file."""
    header = read_header(path)
    return None if header is None else header.size


def load_json(path: str | os.PathLike[str], ctx: ReadContext) -> Any:
    """Load a whole JSON file (`parse_json`: a BOM and NaN tokens are read), decompressed or
    unzipped (`open_data_file`); None (after a file-level reject) if it is malformed or,
    compressed, cut short."""
    try:
        with open_data_file(path) as fh:
            data = fh.read()
    except READ_ERRORS as exc:
        if not data_error(exc):
            raise  # the system's error (a disk), not the data's
        ctx.file_error(bad(unreadable(path, exc)), str(path))
        return None
    try:
        return parse_json(data)
    except ValueError as exc:  # orjson.JSONDecodeError and json.JSONDecodeError are ValueErrors
        hint = "truncated or malformed JSON" if data.strip(_BLANK) else "empty file"
        ctx.file_error(bad(f"{hint}: {exc}"[:300]), str(path))
        return None


_BOM = b"\xef\xbb\xbf"  # UTF-8 byte order mark, which some editors write at the start of a file
_BLANK = b" \t\r\n" + _BOM


def parse_json(data: bytes) -> Any:
    """JSON text -> value, as the streamed readers (`_json.stream_json`) read it: a leading BOM is
    skipped, and NaN and Infinity tokens are numbers (orjson refuses them; the standard library's
    decoder takes them), so the per-record checks reject only the record holding one. orjson
    parses; only a text it refuses is parsed again by the standard library."""
    data = data.removeprefix(_BOM)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        try:
            return json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise exc from None


def json_records(path: str | os.PathLike[str], ctx: ReadContext, list_key: str | None,
                 single_keys: Sequence[str], expected: str) -> Iterator[Any]:
    """The records of a JSON file, as `as_records` finds them. A top-level list (Visual Genome's
    0.7 GB `scene_graphs.json`) is read one record at a time (`_json.stream_json`): memory holds
    one record whatever the file's size, and a fault part-way is reported after the records
    before it. Other files are loaded whole; `expected` is the message when they hold no records."""
    if top_level(path) == "[":
        count = 0
        try:
            for _, record in stream_json(path):
                yield record
                count += 1
        except (JsonStreamError, UnicodeDecodeError) as exc:
            ctx.file_error(bad(stream_fault(exc, count, "records")), str(path))
        return
    data = load_json(path, ctx)
    if data is None:
        return
    records = as_records(data, list_key, single_keys)
    if records is None:
        ctx.file_error(bad(expected), str(path))
        return
    yield from records


def stream_fault(exc: Exception, count: int, what: str) -> str:
    """The reject reason for a file whose streaming stopped at a fault, after `count` `what`."""
    before = f"; the {count} {what} before it were read" if count else ""
    return f"truncated or malformed JSON: {exc}{before}"[:300]


def as_records(data: Any, list_key: str | None, single_keys: Sequence[str]) -> list[Any] | None:
    """Top-level JSON -> list of records: a list, {list_key: [...]}, or one record dict."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if list_key is not None and isinstance(data.get(list_key), list):
            return data[list_key]
        if any(k in data for k in single_keys):
            return [data]
    return None


def object_id(raw: Any, field: str) -> str:
    """Object/image ids are compared as strings (JSON files mix 12 and "12")."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or raw == "":
        raise bad(f"id must be an integer or a non-empty string, got {raw!r}"[:200], field)
    return str(raw)


class SceneParts:
    """Objects and relations of one scene as they are read, keyed by the source's object ids.

    Object ids are resolved within the image. A relation to an id the image does not have is
    "dangling" (a reject); one to an object that was dropped goes with it (counted).
    """

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.dropped: set[str] = set()
        self.relations: list[tuple[int, str, int]] = []
        self._relation_set: set[tuple[int, str, int]] = set()

    def __contains__(self, oid: str) -> bool:
        return oid in self.index

    def add(self, oid: str, build: Callable[[], dict[str, Any]], field: str) -> None:
        """Add object `oid` from `build()` (a row dict); a bad object is dropped or rejects the scene."""
        try:
            if oid in self.index or oid in self.dropped:
                raise bad(f"duplicate object id {oid!r} in this image", field)
            row = build()
        except SceneValidationError as exc:
            if oid not in self.index:
                self.dropped.add(oid)
            self.ctx.drop(exc, "object")
            return
        self.index[oid] = len(self.rows)
        self.rows.append(row)
        self.ids.append(oid)

    def relate(self, subject: str, predicate: Any, obj: str, field: str) -> None:
        try:
            pred = self.ctx.predicate(predicate, field + ".predicate")
            if not pred:  # "and": says nothing of how the two relate
                self.ctx.repair("meaningless_relations_dropped")
                return
            for role, oid in (("subject", subject), ("object", obj)):
                if oid in self.dropped:
                    self.ctx.repair("relations_dropped_with_object")
                    return
                if oid not in self.index:
                    raise bad(f"dangling relation: {role} id {oid!r} is not an object of this image", field)
            s, o = self.index[subject], self.index[obj]
            if s == o:
                raise bad(f"relation links object {subject!r} to itself", field)
        except SceneValidationError as exc:
            self.ctx.drop(exc, "relation")
            return
        triple = (s, pred, o)
        if triple in self._relation_set:
            self.ctx.repair("duplicate_relations_merged")
            return
        self._relation_set.add(triple)
        self.relations.append(triple)

    def merge_duplicates(self, min_iou: float) -> None:
        """Merge objects of one name whose boxes overlap by at least `min_iou` (intersection over
        union): one object annotated twice, as raw Visual Genome often has it. Each object is
        compared with the objects of its name kept before it and merged into the first close
        enough; that one keeps its id and box and gains its attributes, and its relations move to
        that one (one that would relate it to itself is dropped). Each merge counts as the repair
        `duplicate_objects_merged`."""
        kept: dict[str, list[int]] = {}  # name -> its objects kept so far
        into: list[int] = []  # object -> the kept object it is merged into (itself if kept)
        for b, row in enumerate(self.rows):
            box = row["box"]
            same = kept.setdefault(row["name"], [])
            a = next((a for a in same if _iou(self.rows[a]["box"], box) >= min_iou), None)
            if a is None:
                same.append(b)
                into.append(b)
                continue
            into.append(a)
            first = self.rows[a]
            first["attributes"] = list(dict.fromkeys([*first["attributes"], *row["attributes"]]))
            if row.get("crowd"):  # "trees" over "tree": the box holds several
                first["crowd"] = True
            self.ctx.repair("duplicate_objects_merged")
        if into == list(range(len(self.rows))):
            return
        survivors = sorted(set(into))
        renumber = {old: new for new, old in enumerate(survivors)}
        self.rows = [self.rows[i] for i in survivors]
        self.ids = [self.ids[i] for i in survivors]
        self.index = {oid: renumber[into[i]] for oid, i in self.index.items()}
        relations, self._relation_set = self.relations, set()
        self.relations = []
        for s, pred, o in relations:
            triple = (renumber[into[s]], pred, renumber[into[o]])
            if triple[0] == triple[2]:
                self.ctx.repair("relations_within_merged_object_dropped")
            elif triple in self._relation_set:
                self.ctx.repair("duplicate_relations_merged")
            else:
                self._relation_set.add(triple)
                self.relations.append(triple)

    def scene(self, image_id: str, width: int, height: int, **kwargs: Any) -> Scene:
        meta = dict(kwargs.pop("meta", None) or {})
        meta.setdefault("source_format", self.ctx.fmt)
        meta["object_ids"] = list(self.ids)
        crowd = [i for i, row in enumerate(self.rows) if row.pop("crowd", False)]
        if crowd:  # objects named in the plural (`ReadContext.name_and_group`): several as one
            meta["crowd"] = crowd
        if self.ctx.sparse:
            meta["sparse"] = list(self.ctx.sparse)
        exhaustive = exhaustive_names(self.ctx.objects, (row["name"] for row in self.rows))
        if exhaustive is not None:
            meta["exhaustive"] = exhaustive
        return Scene.from_objects(
            image_id=image_id,
            width=width,
            height=height,
            objects=self.rows,
            relations=self.relations,
            meta=meta,
            **kwargs,
        )


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two [x0, y0, x1, y1] boxes of positive area (plain floats: for
    the few boxes of one name in a scene, cheaper than `scene.geometry.box_iou`'s arrays)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
