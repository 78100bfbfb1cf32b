"""Step-level (process) reward: does a reasoning trace state the program's intermediate results?

Expected format. The reasoning (the think block, or the whole completion when there is none)
states intermediate results one per line or sentence, optionally as ``<step>...</step>`` blocks
or ``Step k:`` lines, for example (question: "Where is the hexagon right of the shiny square?"):

    <think>
    Step 1: the shiny square at [0.10, 0.20, 0.30, 0.40].
    Step 2: the hexagon to the right of it at [0.43, 0.52, 0.58, 0.71].
    </think><answer>[0.43, 0.52, 0.58, 0.71]</answer>

Boxes are in the sample's convention (`process.sample_box_format`, over the original image). A
statement is checked against the `Step`s of `veriscene.rewards.process`:

    object    a box with IoU >= iou_threshold with the object's box; or, without a box and unless
              `require_boxes`, the object's name as the only object name, with no attribute the
              object lacks ("the shiny square")
    objects   the same number of boxes, each matching a distinct object; or the count and the name
    count     the number (digits or words; "no"/"none" for 0; "a"/"an" right before the name
              for 1, "a square") and the counted name when known
    value     the value phrase (e.g. a colour);   values: every item;   bool: yes/no words

Score. Statements that assert something checkable are claims: each box is one claim, and a
statement without boxes is one claim when it has a number, or names exactly one object name
(only when objects may be identified by name). Statements are lines, sentences, ``<step>``
blocks, further split at " and " / ";" (not within a list of boxes, "at [...], [...] and [...]").
recall = steps stated / steps, precision = true claims / claims (1 when there are none), and
the process score is their F1, so stating every object or every number in the image does not
pay. A sample without steps (single-hop programs) gets None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from veriscene import vocab
from veriscene.answers.coords import box_iou, resolve_format, to_pixels
from veriscene.answers.normalize import find_phrases, normalize_phrase
from veriscene.answers.numbers import find_numbers
from veriscene.answers.options import check_flag, check_names, check_tolerances
from veriscene.answers.spatial import find_boxes
from veriscene.program.context import ExecutionContext
from veriscene.rewards.process import Step, sample_box_format, sample_record, sample_steps, scene_list
from veriscene.rewards.tags import think_text
from veriscene.rewards.completions import check_completions, completion_text
from veriscene.scene.model import Scene

_STEP_TAG_RE = re.compile(r"<\s*step\s*>(.*?)<\s*/\s*step\s*>", re.IGNORECASE | re.DOTALL)
_SPLIT_RE = re.compile(r"\n+|(?<=[.!?;])\s+")
_LABEL_RE = re.compile(r"^\W*(?:step|hop)\s*\d+\s*[:.)\-]\s*", re.IGNORECASE)
_BRACKETS_RE = re.compile(r"[\[\(\{<][^\[\]\(\)\{\}<>]*[\]\)\}>]")
_ZERO_RE = re.compile(r"\b(?:no|none|zero)\b", re.IGNORECASE)
_YES_RE = re.compile(r"\b(?:yes|true)\b", re.IGNORECASE)
_NO_RE = re.compile(r"\b(?:no|not|false)\b", re.IGNORECASE)
_BARE_NO_RE = re.compile(r"\b(?:no|false)\b", re.IGNORECASE)
# "Image 2" names an image of a multi-image sample: a label, not a number the trace claims
_IMAGE_LABEL_RE = re.compile(r"\bimages?\s*#?\s*\d+\b", re.IGNORECASE)


@dataclass(frozen=True)
class ProcessTargets:
    """A sample's steps plus what reading statements needs: the object names and attributes of
    its scene(s) and the box convention (`image_sizes`: of every image of a multi-image sample,
    whose boxes are normalised by their own image's size; () for one image). Stored as JSON in
    the `process` data set column."""

    steps: tuple[Step, ...]
    names: tuple[str, ...]
    attributes: tuple[str, ...]
    box_format: str = "norm1"
    image_size: tuple[int, int] | None = None
    image_sizes: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> str:
        d = asdict(self)
        d["steps"] = [s.to_dict() for s in self.steps]
        return orjson.dumps(d).decode()

    @classmethod
    def from_json(cls, value: str | bytes | Mapping[str, Any]) -> ProcessTargets:
        d = orjson.loads(value) if isinstance(value, (str, bytes)) else dict(value)
        size = d.get("image_size")
        return cls(steps=tuple(Step.from_dict(s) for s in d["steps"]), names=tuple(d["names"]),
                   attributes=tuple(d["attributes"]), box_format=d.get("box_format") or "norm1",
                   image_size=(int(size[0]), int(size[1])) if size else None,
                   image_sizes=tuple((int(w), int(h)) for w, h in d.get("image_sizes") or ()))


def process_targets(sample: Mapping[str, Any], scenes: Scene | Sequence[Scene] | ExecutionContext, *,
                    select: str = "key") -> ProcessTargets:
    """The targets of a sample (see `veriscene.rewards.process.sample_steps`). `scenes` may be an
    ExecutionContext over them: one that knows the run's closed category lists (COCO,
    `ExecutionContext(..., categories=...)`), as `verify` and generation run the program."""
    sample = sample_record(sample)
    ctx = scenes if isinstance(scenes, ExecutionContext) else None
    shown = list(ctx.scenes) if ctx is not None else scene_list(scenes)
    meta = sample.get("meta") or {}
    size = meta.get("image_size") or [shown[0].width, shown[0].height]
    return ProcessTargets(
        steps=tuple(sample_steps(sample, ctx if ctx is not None else shown, select=select)),
        names=tuple(sorted({n for s in shown for n in s.names})),
        attributes=tuple(sorted({a for s in shown for attrs in s.attributes for a in attrs})),
        box_format=sample_box_format(sample), image_size=(int(size[0]), int(size[1])),
        image_sizes=tuple((s.width, s.height) for s in shown) if len(shown) > 1 else ())


@dataclass(frozen=True)
class ProcessScore:
    """score: F1 of recall and precision (None without steps); hits: node indices stated."""

    score: float | None
    recall: float
    precision: float
    hits: tuple[int, ...] = ()
    missed: tuple[int, ...] = ()
    claims: int = 0
    true_claims: int = 0
    statements: list[str] = field(default_factory=list)


@dataclass
class _Statement:
    text: str
    boxes: list[list[float]]  # pixels; unreadable boxes are dropped but still counted as claims
    bad_boxes: int
    numbers: list[int]  # without those of a run of alternatives (`_listed`)
    names: list[str]
    attributes: list[str]
    listed: int = 0  # numbers in runs of alternatives: "0 1 2 3 stars", "2 or 3 stars"


def split_statements(trace: str) -> list[str]:
    """Statements of a trace: ``<step>`` blocks when present, else lines and sentences; each
    further split at " and " / ";" outside brackets ("three circles and one square"), not between two boxes."""
    tagged = _STEP_TAG_RE.findall(trace)
    parts = tagged if tagged else _SPLIT_RE.split(trace)
    out = []
    for part in parts:
        for clause in _split_clauses(part):
            clause = _LABEL_RE.sub("", clause).strip()
            if clause:
                out.append(clause)
    return out


def _split_clauses(text: str) -> list[str]:
    clauses, depth, start, i = [], 0, 0, 0
    lower = text.lower()
    while i < len(text):
        c = text[i]
        depth += c in "[({"
        depth -= c in "])}" and depth > 0
        if depth == 0 and (c == ";" or lower.startswith(" and ", i) and not _box_list(text, i)):
            clauses.append(text[start:i])
            i += 1 if c == ";" else 5
            start = i
            continue
        i += 1
    clauses.append(text[start:])
    return clauses


def _box_list(text: str, i: int) -> bool:
    """The " and " at `i` ends a list of boxes ("at [a], [b] and [c]"): one statement of a set."""
    return text[:i].rstrip().endswith(("]", ")")) and text[i + 5:].lstrip().startswith(("[", "("))


def _names(targets: ProcessTargets) -> list[str]:
    """Object names a statement is read for: the scenes' names, plus the names steps count, which
    the scenes lack when the count is 0 ("zero stars" in images without stars)."""
    counted = {s.value.get("name") for s in targets.steps if s.kind in ("count", "objects")}
    return [*targets.names, *sorted(n for n in counted if n and n not in targets.names)]


def _read(text: str, targets: ProcessTargets) -> _Statement:
    boxes, bad = [], 0
    # pixel boxes of a multi-image sample lie in any of its images: read within the largest
    size = targets.image_size if targets.box_format != "pixel" or not targets.image_sizes else \
        (max(w for w, _ in targets.image_sizes), max(h for _, h in targets.image_sizes))
    for raw in find_boxes(text):
        fmt = resolve_format(raw, targets.box_format, size)
        if fmt is None:
            bad += 1
        else:
            boxes.append(to_pixels(raw, fmt, size))
    rest = _IMAGE_LABEL_RE.sub(" ", _BRACKETS_RE.sub(" ", text))
    found = [n for n in find_numbers(rest) if n.is_integer_form]
    listed = _listed(rest, found)
    numbers = [int(n.value) for k, n in enumerate(found) if k not in listed]
    norm = normalize_phrase(rest)
    names = find_phrases(norm, [normalize_phrase(n) for n in _names(targets)])
    attrs = find_phrases(norm, [normalize_phrase(a) for a in targets.attributes])
    return _Statement(text, boxes, bad, numbers, names, attrs, len(listed))


# Between two numbers offered as alternatives: "0 1 2 3", "1, 2, 3", "2/3", "2-3", "2 or 3",
# "2 stars or maybe 3" (not arithmetic, "1 + 3 = 4", nor a comparison, "one square is fewer
# than two stars").
_RUN_GAP_RE = re.compile(r"\s*[,;/\-–]?\s*|\W*(?:\w+\W+){0,2}?or\b(?:\W+\w+){0,2}?\W*", re.IGNORECASE)


def _listed(text: str, numbers: Sequence[Any]) -> set[int]:
    """Positions of the numbers that stand in a run of alternatives: "There are 0 1 2 3 4
    stars." states no count (each number of the run counted as stated before)."""
    out: set[int] = set()
    for k in range(len(numbers) - 1):
        a, b = numbers[k], numbers[k + 1]
        if a.value != b.value and _RUN_GAP_RE.fullmatch(text[a.end:b.start]):
            out.update((k, k + 1))
    return out


def _gold(step: Step, targets: ProcessTargets) -> list[list[float]]:
    """A step's boxes where a statement's boxes are read to (`_read`: pixels of the first image).
    A normalised box of image k was normalised by image k's size: its gold box is scaled to the
    first image's, so that both are the same fractions of their images."""
    if step.kind not in ("object", "objects"):
        return []
    v = step.value
    boxes, k = [v["box"]] if step.kind == "object" else v["boxes"], v.get("image", 0)
    if not k or targets.box_format == "pixel" or k >= len(targets.image_sizes) or targets.image_size is None:
        return boxes
    (w, h), (w0, h0) = targets.image_sizes[k], targets.image_size
    return [[b[0] * w0 / w, b[1] * h0 / h, b[2] * w0 / w, b[3] * h0 / h] for b in boxes]


def _box_hits(boxes: Sequence[Sequence[float]], gold: Sequence[Sequence[float]], thr: float) -> int:
    """Boxes matched one-to-one (greedily, best IoU first) to gold boxes."""
    pairs = sorted(((box_iou(b, g), i, j) for i, b in enumerate(boxes) for j, g in enumerate(gold)), reverse=True)
    used_b, used_g = set(), set()
    for iou, i, j in pairs:
        if iou >= thr and i not in used_b and j not in used_g:
            used_b.add(i)
            used_g.add(j)
    return len(used_b)


def _says_one(st: _Statement, name: str | None) -> bool:
    """A count of one said with an article, "a triangle" (how `counted(1, name)` words it):
    "a", "an" or "single" at most three words before the counted name, and no number."""
    if name is None or st.numbers or st.listed:
        return False
    pattern = rf"\b(?:an?|single)\s+(?:[\w-]+\s+){{0,3}}?{re.escape(name.lower())}\b"
    return re.search(pattern, st.text.lower()) is not None


def _ruling_out(value: str, targets: ProcessTargets, names: bool) -> list[str]:
    """Words (normalised) that cannot hold together with `value`: the attribute words of its type
    exclusive with it (`vocab.exclusive`: "blue" for "red", not "tall" for "small"; the built-in
    ones and the scene's), the relations not compatible with it, or, with `names`, the scene's
    other object names when `value` is one; [] for other words."""
    kind = vocab.attribute_type(value)
    if kind != vocab.UNTYPED:
        words = {w for w, k in vocab.ATTRIBUTE_TYPES.items() if k == kind} | set(targets.attributes)
        return [normalize_phrase(w) for w in words if vocab.exclusive(value, w)]
    if value in vocab.CONVERSE_PREDICATES:
        return [normalize_phrase(p) for p in vocab.CONVERSE_PREDICATES if not vocab.predicates_compatible(value, p)]
    if names and value in _names(targets):
        return [normalize_phrase(n) for n in _names(targets) if n != value]
    return []


def _one_reading(text: str, said: Sequence[str], targets: ProcessTargets, names: bool = False) -> bool:
    """Whether `text` names no word that rules out one of the values `said` (raw) and is not one
    of them (`_ruling_out`): "The color is red, green, blue or gray." states no colour, nor a set
    of colours, where it stated every one. Object names are told apart for sets only (`names`):
    a statement of a value may name the objects it is about."""
    allowed = {normalize_phrase(x) for x in said}
    others = {w for x in said for w in _ruling_out(x, targets, names)} - allowed
    return not others or not find_phrases(normalize_phrase(text), others)


def _states(st: _Statement, step: Step, thr: float, require_boxes: bool, targets: ProcessTargets) -> bool:
    v = step.value
    named = (lambda name: name is None or normalize_phrase(name) in st.names)
    # one number: "0 1 2 3 4 stars" (or "0 1 2 circles squares stars") stated every count
    count_said = (lambda k: k in st.numbers or (k == 0 and not st.listed and bool(_ZERO_RE.search(st.text))))
    if step.kind == "object":
        if st.boxes:
            return _box_hits(st.boxes, _gold(step, targets), thr) == 1
        own = {normalize_phrase(a) for a in v["attributes"]}
        return (not require_boxes and st.names == [normalize_phrase(v["name"])]
                and set(st.attributes) <= own and st.numbers in ([], [1]) and not st.listed)
    if step.kind == "objects":
        if st.boxes:
            return len(st.boxes) == v["count"] and _box_hits(st.boxes, _gold(step, targets), thr) == v["count"]
        return not require_boxes and count_said(v["count"]) and named(v.get("name"))
    if step.kind == "count":
        if v["count"] == 1 and not st.boxes and _says_one(st, v.get("name")):
            return True
        return not st.boxes and count_said(v["count"]) and named(v.get("name"))
    if step.kind == "value":
        return bool(find_phrases(normalize_phrase(st.text), [normalize_phrase(v)])) and _one_reading(st.text, [v], targets)
    if step.kind == "values":
        norm = normalize_phrase(st.text)
        return (all(find_phrases(norm, [normalize_phrase(x)]) for x in v) and _one_reading(st.text, v, targets, True)) \
            if v else bool(_ZERO_RE.search(st.text))
    if step.kind == "bool":
        # "Yes or no." stated both answers
        if _YES_RE.search(st.text) and _BARE_NO_RE.search(st.text):
            return False
        return bool((_YES_RE if v else _NO_RE).search(st.text)) and not st.boxes and not st.numbers and not st.listed
    return False


def score_trace(completion: Any, targets: ProcessTargets, *, iou_threshold: float = 0.5,
                require_boxes: bool = False, think_tag: str = "think") -> ProcessScore:
    """Score the reasoning of one completion against its targets (see the module docstring)."""
    if not isinstance(targets, ProcessTargets):
        raise TypeError(f"targets must be ProcessTargets (process_targets(sample, scenes), or "
                        f"ProcessTargets.from_json of a 'process' cell), got {type(targets).__name__}")
    _check_trace_options(iou_threshold, require_boxes, think_tag)
    text = completion_text(completion, think_tag)
    trace = think_text(text, think_tag) or text
    statements = [_read(s, targets) for s in split_statements(trace)]
    hit_nodes = [s.node for s in targets.steps
                 if any(_states(st, s, iou_threshold, require_boxes, targets) for st in statements)]
    gold_boxes = [b for s in targets.steps for b in _gold(s, targets)]
    # a statement naming one object without box or number is a claim only where objects may be
    # identified by name ("So more circles." in a counting trace asserts nothing checkable)
    name_claims = not require_boxes and any(s.kind == "object" for s in targets.steps)
    claims = true_claims = 0
    for st in statements:
        if st.boxes or st.bad_boxes:
            claims += len(st.boxes) + st.bad_boxes
            true_claims += _box_hits(st.boxes, gold_boxes, iou_threshold)
        elif st.numbers or st.listed or (name_claims and len(st.names) == 1):
            claims += 1
            true_claims += any(_states(st, s, iou_threshold, require_boxes, targets) for s in targets.steps)
    if not targets.steps:
        return ProcessScore(None, 0.0, 0.0, statements=[s.text for s in statements])
    recall = len(hit_nodes) / len(targets.steps)
    precision = true_claims / claims if claims else 1.0
    f1 = 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)
    missed = tuple(s.node for s in targets.steps if s.node not in hit_nodes)
    return ProcessScore(f1, recall, precision, tuple(hit_nodes), missed, claims, true_claims,
                        [s.text for s in statements])


def _targets(row: int, cell: Any) -> ProcessTargets:
    """The `process` cell of one row, or a ValueError naming the row and what the cell must hold."""
    try:
        return ProcessTargets.from_json(cell)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise ValueError(f"column 'process', row {row}: not the JSON of ProcessTargets ({type(exc).__name__}: "
                         f"{exc}); write process_targets(sample, scenes).to_json(), or null for no steps") from exc


TRACE_OPTIONS = ("iou_threshold", "require_boxes", "think_tag")  # score_trace's keywords


def _check_trace_options(iou_threshold: Any, require_boxes: Any, think_tag: Any) -> None:
    check_tolerances(iou_threshold, 0.05, 1e-2, 1e-6)
    check_flag("require_boxes", require_boxes)
    if not isinstance(think_tag, str) or not think_tag:
        raise TypeError(f"think_tag must be a tag name (a str, e.g. 'think'), got {think_tag!r}")


def make_process_reward(**options: Any) -> Any:
    """A TRL reward reading the `process` column (`ProcessTargets.to_json()` per row); options
    go to `score_trace` (iou_threshold, require_boxes, think_tag), checked here (a misspelt one
    was met at the first batch, a bad value per completion)."""
    check_names(options, TRACE_OPTIONS, "make_process_reward()")
    _check_trace_options(options.get("iou_threshold", 0.5), options.get("require_boxes", False),
                         options.get("think_tag", "think"))

    def process_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                       **columns: Any) -> list[float | None]:
        """F1 of the intermediate results stated in the reasoning; None without targets."""
        check_completions(completions)
        column = columns.get("process")
        if column is None:
            raise ValueError("process_reward needs a 'process' column: add ProcessTargets.to_json() per row "
                             "(veriscene.rewards.process_score.process_targets)")
        if len(column) != len(completions):
            raise ValueError(f"column 'process' has {len(column)} values for {len(completions)} completions")
        out: list[float | None] = []
        for row, (completion, cell) in enumerate(zip(completions, column)):
            out.append(None if cell in (None, "") else score_trace(completion, _targets(row, cell), **options).score)
        return out

    return process_reward


process_reward = make_process_reward()
