"""What every reward reads: the ground truth of a sample (the completion text: `completions`).

Ground truth travels with the exported data, in exactly the columns the writers produce
(`veriscene.io.writers.common.ground_truth`): a JSON text

    {"answer": ..., "answer_type": "box", "choices": null | [...], "answer_letter": "B" | null,
     "mode": "qa" | "mc", "box_format": "norm1" | "norm1000" | "pixel" | null,
     "image_size": [width, height] | null, "synonyms"?: {...}, "vocabulary"?: [...],
     "question"?: "..."}

in TRL's `ground_truth` column and verl's `reward_model.ground_truth`. Without that column the
TRL columns `answer` (JSON text), `answer_type`, `choices` (and, if present, `answer_letter`,
`box_format`, `image_size`) are read instead.

Scoring goes through `veriscene.answers.score_sample` on a minimal record rebuilt from the ground
truth, so a reward and `veriscene eval` give the same number for the same reply by construction.
The one deliberate extension is `model_image_size`: when the model saw a resized image and answers
a "pixel" box / point question in the pixels of what it saw, its coordinates are scaled back to
the original image before the comparison (normalised conventions need no rescaling). A point
a reply gives in pixels for a mark drawn on the image ("The point at (312, 140) is closer.",
single-image marked questions and `multi.marked_point.v1`) is read in that frame too.

`question` (the sample's question text) lets a `str` reply restate it: its words do not compete
with the gold answer (`veriscene.answers.candidates`). Ground truth written before it was added
has none; the TRL rewards then take the prompt's text (`with_question`), verl reads such a reply
as before. The data set's words (`vocabulary.json`, `veriscene.answers.rivals`) are no column:
they are given to the reward factory (`make_accuracy_reward(vocabulary_file=...)`, verl's
`reward_kwargs`), read once.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

import orjson

from veriscene.answers import MatchResult, parse_answer, parse_box_format, score_sample
from veriscene.answers.match import compare, program_point_options, scored_record
from veriscene.answers.rivals import Rivals, RivalsLike, as_rivals
from veriscene.rewards import truth_checks as checks
from veriscene.rewards.completions import completion_text  # noqa: F401  (imported from here before)
from veriscene.sample import ANSWER_TYPES, Sample
from veriscene.scene.marks import marks_by_image, marks_of, program_marks, sample_marks

# Columns TRL hands to reward functions besides the data set's own (never ground truth).
TRL_RUNTIME_KWARGS = ("trainer_state", "log_extra", "log_metric", "environments", "completion_ids")


def _is_list(value: Any) -> TypeGuard[Collection[Any]]:
    """A list of values: a Sequence or a numpy array (pandas reads Parquet lists as arrays), not text."""
    if isinstance(value, (str, bytes, Mapping)):
        return False
    return isinstance(value, Sequence) or (hasattr(value, "__len__") and hasattr(value, "dtype"))


@dataclass(frozen=True)
class GroundTruth:
    """The gold answer of one sample and what is needed to read a reply against it.

    answer        JSON form of the program result (boxes / points in absolute pixels)
    answer_type   one of `veriscene.sample.ANSWER_TYPES`
    choices       option texts for multiple choice, else None
    answer_letter the correct option letter ("A", ...) for multiple choice, else None
    box_format    convention the question states for boxes / points ("norm1" when None)
    image_size    (width, height) of the original image in pixels, or None
    point_options the points (pixels) a "which point" question shows, the gold among them
                  (`veriscene.answers.match.offered_points`): from the ground truth's
                  "point_options", else from the sample's program (`with_program`)
    num_images    how many images the sample shows (reads "the last image"), or None
    mark_labels   the labels of points drawn on the image ("A", "B") when the answer is one
                  (`veriscene.scene.marks`; read as option letters), or None
    marks         the points drawn on the image, ({"label": "A", "point": [x, y]}, ...) in pixels,
                  where a reply may give a mark by its coordinates ("The point at (312, 140) is
                  closer."; `veriscene.answers.mark_replies.named_marks`): from the ground truth's
                  "marks", else the sample's program (`with_program`), or None. On a question
                  over several images each marked ("In which image does the marked point lie on
                  a dog?", an image_index answer) each mark has its "image" (0-based), and a
                  reply's "B" is read as the image B is drawn on
                  (`veriscene.answers.mark_replies.labels_as_images`); a mark without one is
                  image 0's (ground truth written before multi-image marks)
    image_sizes   each image's (width, height) in image order, where a question over several
                  images marks each (a reply's "(419, 50)" is read at its image's size:
                  `veriscene.answers.mark_replies.image_points_named`), or None (in pixels alone)
    question      the question text, or None (ground truth written before it was added)
    """

    answer: Any
    answer_type: str
    choices: tuple[str, ...] | None = None
    answer_letter: str | None = None
    mode: str = "qa"
    box_format: str | None = None
    image_size: tuple[int, int] | None = None
    synonyms: Mapping[str, str] | None = None
    vocabulary: tuple[str, ...] | None = None
    point_options: tuple[tuple[float, float], ...] | None = None
    num_images: int | None = None
    question: str | None = None
    mark_labels: tuple[str, ...] | None = None
    marks: tuple[Mapping[str, Any], ...] | None = None
    image_sizes: tuple[tuple[int, int], ...] | None = None

    def __post_init__(self) -> None:
        if self.answer_type not in ANSWER_TYPES:
            raise ValueError(f"ground truth answer_type {self.answer_type!r} is not one of {list(ANSWER_TYPES)}")
        # data errors named here, not scored 0 for every reply (`truth_checks`)
        checks.check_answer(self.answer, self.answer_type)
        checks.check_letter(self.answer_letter, self.choices)
        checks.check_box_format(self.box_format)
        if self.answer_type in ("box", "point") and self.image_size is None and self.convention != "pixel":
            raise ValueError(f"ground truth of a {self.answer_type} answer in the {self.convention!r} convention needs "
                             "image_size [width, height] to read replies; without it every reply would score 0")

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroundTruth:
        if not isinstance(d, Mapping):
            raise TypeError(f"ground truth must be a dict (the decoded ground_truth JSON object), got {type(d).__name__}")
        missing = [k for k in ("answer", "answer_type") if k not in d]
        if missing:
            raise ValueError(f"ground truth is missing {missing}; got keys {sorted(d)}")
        choices = d.get("choices")
        size = d.get("image_size")
        vocab = d.get("vocabulary")
        options = d.get("point_options")
        count = d.get("num_images")
        truth = cls(
            answer=d["answer"],
            answer_type=str(d["answer_type"]),
            choices=checks.field("choices", choices, lambda c: tuple(str(x) for x in checks.listed(c)),
                                 "a list of option texts or null") if choices is not None else None,
            answer_letter=d.get("answer_letter"),
            mode=str(d.get("mode") or ("mc" if choices else "qa")),
            box_format=d.get("box_format"),
            image_size=checks.field("image_size", size, checks.size, "[width, height], positive")
            if size is not None else None,
            synonyms=checks.field("synonyms", d.get("synonyms"), checks.word_map, "an object {word: word}")
            if d.get("synonyms") else None,
            vocabulary=checks.field("vocabulary", vocab, checks.texts, "a list of words") if vocab else None,
            point_options=checks.field("point_options", options, checks.points, "a list of [x, y]")
            if options else None,
            num_images=checks.field("num_images", count, lambda v: checks.whole(v, 1), "a whole number >= 1")
            if count is not None else None,
            question=str(d["question"]) if isinstance(d.get("question"), str) else None,
            mark_labels=checks.field("mark_labels", d["mark_labels"], checks.texts, "a list of labels")
            if d.get("mark_labels") else None,
            marks=_marks(d.get("marks")),
            image_sizes=checks.field("image_sizes", d["image_sizes"], _sizes,
                                     "a list of [width, height], positive") if d.get("image_sizes") else None,
        )
        return truth.with_program(d["program"]) if d.get("program") is not None else truth

    def with_program(self, program: Any) -> GroundTruth:
        """This ground truth with the points its question shows, read from the sample's program
        (a list of nodes or its JSON text: TRL's `program` column, verl's `extra_info.program`), and
        the marks its question names by label (`marks`), when it has none. Unchanged unless it is
        an open point question without `point_options` or a question answered by a mark's label
        without `marks`."""
        wants_marks = self.marks is None and (self.mark_labels is not None or (
            self.answer_type == "image_index" and _marks_images(program)))
        if program is None or not (wants_marks or (
                self.answer_type == "point" and not self.choices and self.point_options is None)):
            return self
        if isinstance(program, (str, bytes)):
            try:
                program = orjson.loads(program)
            except orjson.JSONDecodeError:
                return self
        if wants_marks:
            marks = program_marks(program) if self.mark_labels is not None else program_marks(program, None)
            return replace(self, marks=tuple(marks)) if marks else self
        points = program_point_options(program, self.answer)
        if points is None:
            return self
        return replace(self, point_options=tuple((p[0], p[1]) for p in points))

    def with_images(self, images: Any) -> GroundTruth:
        """This ground truth with the number of images of the sample's `images` (a list: TRL's
        `images` column, verl's `extra_info.image_ids`; a numpy array where the Parquet file was
        read with pandas); unchanged when already known or not a list."""
        if self.num_images is not None or not _is_list(images):
            return self
        return replace(self, num_images=len(images)) if len(images) else self

    def with_question(self, question: Any) -> GroundTruth:
        """This ground truth with a question text (TRL's prompt, for ground truth written
        without one); unchanged when it has one or `question` is empty."""
        if self.question is not None or not isinstance(question, str) or not question.strip():
            return self
        return replace(self, question=question)

    @classmethod
    def from_json(cls, value: str | bytes | Mapping[str, Any]) -> GroundTruth:
        """From the `ground_truth` JSON text (or an already decoded dict)."""
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"ground_truth is not valid JSON: {str(value)[:120]!r}") from exc
        if not isinstance(decoded, dict):
            raise ValueError(f"ground_truth must be a JSON object, got {str(value)[:120]!r}")  # noqa: TRY004  (a data error)
        return cls.from_dict(decoded)

    @classmethod
    def from_sample(cls, sample: Mapping[str, Any] | Sample) -> GroundTruth:
        """From a sample record (samples.jsonl line)."""
        record = scored_record(sample)
        meta = record.get("meta") or {}
        return cls.from_dict({
            "answer": record["answer"], "answer_type": record["answer_type"],
            "choices": record.get("choices"), "answer_letter": meta.get("answer_letter"),
            "mode": meta.get("mode", "qa"), "box_format": meta.get("box_format"),
            "image_size": meta.get("image_size"), "synonyms": meta.get("synonyms"),
            "vocabulary": meta.get("vocabulary"), "point_options": meta.get("point_options"),
            "program": record.get("program"), "question": record.get("question"),
            "mark_labels": meta.get("mark_labels"), "image_sizes": meta.get("image_sizes"),
            "marks": sample_marks(record) if meta.get("mark_labels") or record["answer_type"] == "image_index"
            else None,
        }).with_images(record.get("images"))

    # -- properties --------------------------------------------------------------------------

    @property
    def scored(self) -> bool:
        """False for free-form `text` answers, which exact matching does not score."""
        return not (self.answer_type == "text" and not self.choices)

    @property
    def is_box(self) -> bool:
        """An open box question (a multiple-choice box question is answered by letter)."""
        return self.answer_type == "box" and not self.choices

    @property
    def convention(self) -> str:
        return parse_box_format(self.box_format)

    def record(self) -> dict[str, Any]:
        """A minimal sample record that `score_sample` reads exactly as the original sample."""
        meta: dict[str, Any] = {"mode": self.mode}
        for key in ("answer_letter", "box_format", "synonyms"):
            if getattr(self, key) is not None:
                meta[key] = getattr(self, key)
        if self.image_size is not None:
            meta["image_size"] = list(self.image_size)
        if self.vocabulary is not None:
            meta["vocabulary"] = list(self.vocabulary)
        if self.point_options is not None:
            meta["point_options"] = [list(p) for p in self.point_options]
        if self.num_images is not None:
            meta["num_images"] = self.num_images
        if self.mark_labels is not None:
            meta["mark_labels"] = list(self.mark_labels)
        if self.image_sizes is not None:
            meta["image_sizes"] = [list(size) for size in self.image_sizes]
        record = {"answer": self.answer, "answer_type": self.answer_type,
                  "choices": list(self.choices) if self.choices is not None else None, "meta": meta}
        if self.question is not None:
            record["question"] = self.question
        if self.marks is not None:  # (each image's, as a sample holds them; image 0's without "image")
            per_image = marks_by_image(self.marks)
            shown = max(max(per_image) + 1, self.num_images or 0)
            record["images"] = [{"marks": per_image[k]} if k in per_image else {} for k in range(shown)]
        return record

    # -- scoring -----------------------------------------------------------------------------

    def score(self, reply: str, *, model_image_size: Any = None, **options: Any) -> MatchResult:
        """Score `reply` exactly like `score_sample` (options go to `match_answer`).

        `model_image_size` = (width, height) of the image the model saw; it only matters for
        open box / point questions in the "pixel" convention, and for points a reply gives in
        pixels for the marks drawn on the images (`marks`: each image read as seen at that size;
        see the module docstring). Or the model's processor's rule, as eval takes it
        (`veriscene.evaluate.resize_rules`): "qwen2-vl", "qwen2-vl:max_pixels=N",
        "config:/path/to/model", or a function ``fn(width, height) -> (width, height)`` of the
        original size, applied to this sample's `image_size` (a sample stating none: read as given).
        """
        if isinstance(model_image_size, str) or callable(model_image_size):
            frame = _frame_rule(model_image_size)
            if frame is None or not callable(frame):
                model_image_size = frame
            elif self.marks:  # each image's frame from its own size
                return score_sample(reply, self.record(), marks_frame=frame, **options)
            else:
                model_image_size = None if self.image_size is None else frame(*self.image_size)
        if self._needs_rescale(model_image_size):
            return self._score_rescaled(reply, model_image_size, options)
        if model_image_size is not None and self.marks:
            return score_sample(reply, self.record(), marks_frame=checks.model_size(model_image_size,
                                                                                    "model_image_size"), **options)
        return score_sample(reply, self.record(), **options)

    def _needs_rescale(self, model_image_size: Sequence[int] | None) -> bool:
        if model_image_size is None or self.choices or self.answer_type not in ("box", "point"):
            return False
        if self.convention != "pixel" or self.image_size is None:
            return False
        return tuple(int(v) for v in model_image_size) != tuple(self.image_size)

    def _score_rescaled(self, reply: str, seen: Sequence[int], options: dict[str, Any]) -> MatchResult:
        sw, sh = (int(v) for v in seen)
        w, h = self.image_size  # type: ignore[misc]
        parse_opts = {k: options[k] for k in ("think_tags", "answer_tags", "auto_detect_box_format") if k in options}
        parsed = parse_answer(reply, self.answer_type, box_format="pixel", image_size=(sw, sh), **parse_opts)
        if not parsed.ok:
            return MatchResult.failed(parsed.reason or "unparseable reply")
        fx, fy = w / sw, h / sh  # seen pixels -> original pixels
        value = [round(v * (fx if i % 2 == 0 else fy), 3) for i, v in enumerate(parsed.value)]
        cmp_opts = {k: options[k] for k in ("iou_threshold", "point_tolerance") if k in options}
        score, ok = compare(value, self.answer, self.answer_type, image_size=self.image_size,
                            point_options=self.point_options, **cmp_opts)
        return MatchResult(score=float(score), correct=bool(ok), parse_failed=False, reason=None, parsed=value)


def model_size_of(value: Any, where: str = "model_image_size") -> Any:
    """A `model_image_size` as `GroundTruth.score` takes it, checked where it is given (a reward's
    keyword, a row's column or extra_info): None, (width, height), or a function of the original
    (width, height) for a processor's rule. `value` may be [width, height], "WxH", "original",
    the rule's text ("qwen2-vl", "qwen2-vl:min_pixels=N,max_pixels=N", "config:PATH"; read once a
    process) or a function; a ValueError naming `where` otherwise. Every reward reads its sizes
    here, so they take what `GroundTruth.score` and `veriscene eval` take."""
    if value is None:
        return None
    if isinstance(value, str) or callable(value):
        return _frame_rule(value, where)
    return checks.model_size(value, where)


def _frame_rule(value: Any, where: str = "model_image_size") -> Any:
    """A `model_image_size` given as a rule's text or a function: (width, height), None (the
    original image), or a function of the original size whose answers are checked."""
    from veriscene.evaluate import model_frame, resize_rules

    if isinstance(value, str):
        try:
            frame = _rule_of_text(value)
        except ValueError:  # (not cached) said again for where it was given
            model_frame.check_model_image_size(value, where)
            raise
    else:
        frame = value
    if frame == resize_rules.OWN_CONFIG:
        raise ValueError(f"{where} 'config' alone reads the folder of eval's hf: model; a reward has none: "
                         f"give {resize_rules.CONFIG}:/path/to/model")
    if not callable(frame):
        return frame
    return lambda w, h: checks.model_size(frame(w, h), f"model_image_size({w}, {h})")


@functools.lru_cache(maxsize=32)
def _rule_of_text(text: str) -> Any:
    """A rule's text read once ("config:PATH" reads its file once), not for every reply scored."""
    from veriscene.evaluate import model_frame

    return model_frame.check_model_image_size(text)


# -- TRL columns ------------------------------------------------------------------------------

def _decode_answer(value: Any) -> Any:
    """The TRL `answer` column is JSON text of the program result."""
    if isinstance(value, (str, bytes)):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value  # a plain string answer written without JSON quoting
    return value


_SPATIAL_COLUMNS = ("box_format", "image_size")


def _images_column(n: int, columns: Mapping[str, Any]) -> list[Any]:
    """TRL's `images` column (a list of images per row), or Nones when absent or not per row."""
    value = columns.get("images")
    if _is_list(value) and len(value) == n:
        return list(value)
    return [None] * n


def _check_spatial_columns(row: int, answer_type: str, values: Mapping[str, Any]) -> None:
    """Box and point rows read without a `ground_truth` column need the columns that say how
    coordinates are read; without them every reply would score 0, so this is refused."""
    if answer_type not in ("box", "point"):
        return
    missing = [k for k in _SPATIAL_COLUMNS if values.get(k) is None]
    if values.get("box_format") == "pixel" and missing == ["image_size"]:
        return
    if missing:
        raise ValueError(
            f"row {row} is a {answer_type} question but the data set has no 'ground_truth' column and no "
            f"{' or '.join(repr(k) for k in missing)} value for it: box and point answers cannot be scored "
            "from 'answer' / 'answer_type' alone. Export with `veriscene export RUN --to trl` (it writes "
            "'ground_truth'), or add 'box_format' and 'image_size' ([width, height]) columns")


def _ground_truth(row: int, value: Any, sample_id: Any) -> GroundTruth:
    """One `ground_truth` cell; a bad one is a ValueError naming its row (and sample)."""
    try:
        return GroundTruth.from_json(value)
    except (ValueError, TypeError) as exc:
        which = f"row {row}" + (f" (sample_id {sample_id})" if sample_id is not None else "")
        raise ValueError(f"column 'ground_truth', {which}: {exc}; `veriscene export RUN --to trl` writes it") from exc


def ground_truths_from_columns(n: int, columns: Mapping[str, Any]) -> list[GroundTruth]:
    """One GroundTruth per completion from the data set columns TRL passes as keyword args.

    Raises ValueError (a data / configuration error, not a bad completion) when neither a
    `ground_truth` column nor `answer` + `answer_type` columns are present, their length is not
    the number of completions, or (without `ground_truth`) a box or point row lacks
    `box_format` / `image_size`. A `program` column gives "which point" questions their
    shown points (`GroundTruth.with_program`), an `images` column the number of images.
    """
    def column(name: str) -> list[Any] | None:
        value = columns.get(name)
        if value is None:
            return None
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            value = [value] * n  # a constant passed by hand
        if len(value) != n:
            raise ValueError(f"column {name!r} has {len(value)} values for {n} completions")
        return list(value)

    programs = column("program") or [None] * n
    images = _images_column(n, columns)
    if (gt := column("ground_truth")) is not None:
        ids = column("sample_id") or [None] * n
        return [_ground_truth(k, v, ids[k]).with_program(p).with_images(i)
                for k, (v, p, i) in enumerate(zip(gt, programs, images))]
    answers, types = column("answer"), column("answer_type")
    if answers is None or types is None:
        data = sorted(k for k in columns if k not in TRL_RUNTIME_KWARGS)
        raise ValueError("reward functions need a 'ground_truth' column, or 'answer' and 'answer_type' columns "
                         f"(export with `veriscene export RUN --to trl`); got data set columns {data}. TRL passes a "
                         "data set's columns to reward functions only with GRPOConfig(remove_unused_columns=False), "
                         "its default")
    extras = {k: column(k) for k in ("choices", "answer_letter", *_SPATIAL_COLUMNS)}
    out = []
    for i in range(n):
        d = {"answer": _decode_answer(answers[i]), "answer_type": types[i]}
        d.update({k: v[i] for k, v in extras.items() if v is not None})
        _check_spatial_columns(i, str(types[i]), d)
        try:
            truth = GroundTruth.from_dict(d)
        except ValueError as exc:
            raise ValueError(f"row {i} (columns 'answer', 'answer_type', ...): {exc}") from exc
        out.append(truth.with_program(programs[i]).with_images(images[i]))
    return out


def per_row(n: int, columns: Mapping[str, Any], name: str) -> list[Any]:
    """An optional per-row column (e.g. `model_image_size`), or Nones."""
    value = columns.get(name)
    if value is None:
        return [None] * n
    if len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return [value] * n  # one (width, height) for every row
    if len(value) != n:
        raise ValueError(f"column {name!r} has {len(value)} values for {n} completions")
    return list(value)


def model_sizes(n: int, columns: Mapping[str, Any], default: Any = None) -> list[Any]:
    """The optional `model_image_size` column, checked per row (`model_size_of`: [width, height],
    "WxH" or a processor's rule as `GroundTruth.score` takes it); `default` (checked) for a row
    without one."""
    return [default if v is None else model_size_of(v, f"column 'model_image_size', row {row}")
            for row, v in enumerate(per_row(n, columns, "model_image_size"))]


def load_vocabulary(value: RivalsLike, option: str) -> Rivals | None:
    """`as_rivals`, with a missing file told how to get one (`option`: where it was given)."""
    if value is not None and not isinstance(value, (str, os.PathLike, Mapping, Rivals)) \
            and not callable(getattr(value, "to_dict", None)):
        # a number, a list: said for the option it was given as
        raise TypeError(f"{option} must be a vocabulary.json file (a str or a path), a run folder, its dict or a "
                        f"Vocabulary, got {value!r}"[:300])
    try:
        return as_rivals(value)
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            f"{exc} (given as {option}): give the vocabulary.json of the run folder, or the file "
            "`veriscene export RUN --to trl` / `--to verl` writes beside its output (OUT.vocabulary.json for "
            "--out OUT.parquet), or leave it out to make only the built-in words rivals") from exc


def safe_score(truth: GroundTruth, reply: str, **options: Any) -> MatchResult:
    """`truth.score`, but a reply that breaks the parser scores 0.0 with the reason (never raises)."""
    try:
        return truth.score(reply, **options)
    except (ValueError, TypeError, IndexError, RecursionError, ArithmeticError) as exc:
        return MatchResult.failed(f"reply could not be scored: {type(exc).__name__}: {exc}"[:300])


def as_reward(result: MatchResult) -> float | None:
    """A MatchResult as a reward: its score, None where it does not apply (NaN for `text`)."""
    return None if math.isnan(result.score) else float(result.score)


def _marks_images(program: Any) -> bool:
    """Whether a program (its nodes, or their JSON text) marks points on images (`image_marked_point`)."""
    if isinstance(program, str):
        return "image_marked_point" in program
    if isinstance(program, bytes):
        return b"image_marked_point" in program
    return _is_list(program) and any(isinstance(n, Mapping) and n.get("op") == "image_marked_point" for n in program)


def _sizes(value: Any) -> tuple[tuple[int, int], ...]:
    """Ground truth's "image_sizes": a [width, height] an image (TypeError / ValueError else)."""
    return tuple(checks.size(size) for size in checks.listed(value))


def _marks(value: Any) -> tuple[Mapping[str, Any], ...] | None:
    """Ground truth's "marks" checked (`scene.marks.marks_of`: ValueError naming the bad entry)."""
    if not value:
        return None
    marks = marks_of({"marks": list(value) if _is_list(value) else value}, "ground truth")
    return tuple(marks) if marks else None
