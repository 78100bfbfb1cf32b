"""Scoring a reply against the gold answer: `match_answer` and `score_sample`.

Scores by answer type (all in 0..1):

    bool, int, str, image_index   1.0 when equal (str after `normalize_phrase`; a gold name with a
                                  qualifier in parentheses, "bow (weapon)", also matches
                                  without it; a relation in any spelling or synonym:
                                  `candidates.gold_readings`), else 0.0
    float                         1.0 when within `float_rel_tol` (relative) or `float_abs_tol`
    str_set                       1.0 when the normalised item sets are equal; else each item
                                  said that the gold holds earns 1/|gold| and each item said
                                  that it does not costs 1/|gold|, at least 0.0; 0.0 when an
                                  extra item is a second value of a type of one object's
                                  attributes ("small, large") (`set_score`: why this rule)
    box                           IoU with the gold pixel box; correct when IoU >= iou_threshold
    point                         1.0 when within point_tolerance x image diagonal of the gold;
                                  when the question shows points and the gold is one of them
                                  ("Which point is closer: [..] or [..]?", `offered_points`),
                                  also nearer the gold than a third of the distance from the
                                  gold to the nearest other shown point, so neither a point
                                  between the options, the wrong option nor the reference
                                  point can pass
    multiple choice               1.0 when the picked letter is `answer_letter` (or, without
                                  it, when the picked option reads as the gold answer)
    text                          not scored here: score NaN, `applicable` False

An unreadable reply scores 0.0 with `parse_failed=True` and its reason, never a guess.
Evaluation and RL rewards both call this module, so they always agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from veriscene import vocab
from veriscene.answers.candidates import gold_readings, kind_table, predicate_key
from veriscene.answers.coords import (
    box_iou,
    check_image_size,
    image_diagonal,
    parse_box_format,
    point_distance,
)
from veriscene.answers.extract import DEFAULT_ANSWER_TAGS, DEFAULT_THINK_TAGS, read_reply
from veriscene.answers.mark_replies import image_points_named, labels_as_images, named_marks, without_compared_labels
from veriscene.answers.normalize import normalize_phrase, prepare_synonyms
from veriscene.answers.options import check_flag, check_synonyms, check_texts, check_tolerances
from veriscene.answers.parse import parse_answer
from veriscene.answers.result import MatchResult
from veriscene.answers.rivals import Rivals, RivalsLike, as_rivals
from veriscene.sample import ANSWER_TYPES, OPTION_LETTERS, Sample
from veriscene.scene.marks import label_images, program_marks, record_marks, sample_marks


# Directions said bare, the answers of "is it on the left or on the right?"
_DIRECTIONS = ("left", "right", "top", "bottom")


def set_f1(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """F1 of two sets of (already normalised) items; two empty sets score 1.0."""
    for name, items in (("predicted", predicted), ("gold", gold)):
        if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):  # a text is no set of its letters
            raise TypeError(f"set_f1: {name} must be a list or set of items, got {items!r}")
    p, g = set(predicted), set(gold)
    if not p and not g:
        return 1.0
    tp = len(p & g)
    if tp == 0:
        return 0.0
    precision, recall = tp / len(p), tp / len(g)
    return 2 * precision * recall / (precision + recall)


def set_score(predicted: Sequence[str], gold: Sequence[str]) -> float:
    """Score of a set answer (already normalised items): 1.0 when equal; else
    max(0, (right - wrong) / |gold|), where right counts the items said that the gold holds and
    wrong those it does not ("cat" for "cat, dog" 0.5, "cat, dog, cow" 0.5, "cat, cow" 0.0,
    "cat, dog" for "cat" 0.0); 0.0 when an extra item is a second value of a type of one
    object's attributes ("gray, matte, small, large" for "gray, matte, small": `_second_value`).

    Why a wrong item costs what a right one earns: the expected score of a reply is then the sum,
    over the items it says, of (2 x the chance the item is in the gold - 1) / |gold|, so a policy
    earns most by saying exactly the items it believes more likely in than out, and a policy
    torn between two lists earns no more by replying their union (or their common part) than by
    committing to the likelier list: as much at even odds, less at any other (over every pair of
    golds of four items and every reply, no exception: tests/answers/test_set_hedging.py).
    The F1 of a near miss (one item missing or extra) paid that hedge: torn between "a, b, c"
    and "a, b, d", the union earned 0.857 either way where committing earned 0.5 (a swap was
    no near miss). A reply listing every candidate earns only where the gold holds more than
    half of them ((2 x gold - candidates) / gold: 0 for the six shapes against three or fewer)."""
    p, g = set(predicted), set(gold)
    if p == g:
        return 1.0
    if not g or _second_value(p - g, p & g, g):
        return 0.0
    right, wrong = len(p & g), len(p - g)
    return max(0.0, (right - wrong) / len(g))


def _second_value(extra: set[str], said: set[str], gold: set[str]) -> bool:
    """Whether an extra item gives a second value of a type that the gold, one object's
    attributes (typed words, one of each type: "gray, matte, small"), holds once, beside the
    gold's value `said` in the reply, which cannot hold with it ("gray, matte, small, large":
    `vocab.exclusive`). Such a reply hedges between two sizes; as a near miss it earned 0.857
    where naming one size risked 0. A wrong value said instead of the gold's ("gray, matte,
    large") commits to one size and is one item wrong."""
    types = [vocab.attribute_type(x) for x in gold]
    if vocab.UNTYPED in types or len(set(types)) != len(types):
        return False
    return any(vocab.exclusive(x, y) for x in extra for y in said)


def offered_points(record: Mapping[str, Any]) -> list[list[float]] | None:
    """The points (pixels) a "which point" question shows, when its answer is one of them:
    `meta["point_options"]` when the record has it, else the program's `point` nodes
    (`program_point_options`); None otherwise."""
    meta = record.get("meta") or {}
    if meta.get("point_options"):
        return [[float(v) for v in p] for p in meta["point_options"]]
    return program_point_options(record.get("program"), record.get("answer"))


def program_point_options(program: Any, answer: Any) -> list[list[float]] | None:
    """The points of a program's `point` nodes (the options and the reference points the
    question shows, pixels) when the gold `answer` is one of them and there are two or more;
    else None (a point the model must find, not pick)."""
    if isinstance(program, (str, bytes)) or not isinstance(program, Sequence):
        return None
    try:
        points = [[float(v) for v in n["args"][:2]] for n in program
                  if isinstance(n, Mapping) and n.get("op") == "point"]
        gold = [float(v) for v in answer]
    except (KeyError, TypeError, ValueError):
        return None
    if len(points) < 2 or not any(point_distance(p, gold) < 1e-6 for p in points):
        return None
    return points


def point_radius(answer: Sequence[float], size: tuple[int, int], tolerance: float,
                 options: Sequence[Sequence[float]] | None) -> tuple[float, bool]:
    """(radius around the gold point, whether the radius is strict) for `compare`."""
    radius = tolerance * image_diagonal(size)
    others = [d for d in (point_distance(o, answer) for o in options or ()) if d > 1e-6]
    if not others:
        return radius, False
    return min(radius, min(others) / 3), True


def _check_gold(answer: Any, answer_type: str) -> None:
    if answer_type in ("box", "point"):
        n = 4 if answer_type == "box" else 2
        if not isinstance(answer, (list, tuple)) or len(answer) != n:
            raise ValueError(f"a gold {answer_type} answer must be a list of {n} pixel values, got {answer!r}")
    if answer_type == "str_set" and not isinstance(answer, (list, tuple, set, frozenset)):
        raise ValueError(f"a gold str_set answer must be a list of strings, got {answer!r}")


def compare(parsed: Any, answer: Any, answer_type: str, *, synonyms: Mapping[str, str] | None = None,
            image_size: Sequence[int] | None = None, iou_threshold: float = 0.5,
            point_tolerance: float = 0.05, float_rel_tol: float = 1e-2,
            float_abs_tol: float = 1e-6,
            point_options: Sequence[Sequence[float]] | None = None,
            rivals: Rivals | None = None) -> tuple[float, bool]:
    """(score, correct) of a parsed value against the gold answer, both in the JSON form;
    `point_options` are the points a "which point" question offers (see the module doc);
    `rivals` (the data set's words) tell which gold words are relations."""
    if answer_type not in ANSWER_TYPES:
        raise ValueError(f"unknown answer_type {answer_type!r}; expected one of {list(ANSWER_TYPES)}")
    check_tolerances(iou_threshold, point_tolerance, float_rel_tol, float_abs_tol)
    syn = prepare_synonyms(synonyms)
    if answer_type == "box":
        iou = box_iou(parsed, answer)
        return iou, iou >= iou_threshold
    if answer_type == "point":
        size = check_image_size(image_size)
        if size is None:
            raise ValueError("scoring a point needs image_size (width, height) for the tolerance")
        radius, strict = point_radius(answer, size, point_tolerance, point_options)
        distance = point_distance(parsed, answer)
        ok = distance < radius if strict else distance <= radius
        return float(ok), ok
    if answer_type == "str_set":
        score = set_score([normalize_phrase(str(x), prepared=syn) for x in parsed],
                          [normalize_phrase(str(x), prepared=syn) for x in answer])
        return score, score == 1.0
    if answer_type == "float":
        try:
            ok = math.isclose(float(parsed), float(answer), rel_tol=float_rel_tol, abs_tol=float_abs_tol)
        except (TypeError, ValueError):
            ok = False
        return float(ok), ok
    if answer_type == "str":
        said = normalize_phrase(str(parsed), prepared=syn)
        readings, relation = gold_readings(str(answer), syn, kind_table(syn, rivals))
        ok = said in readings or (relation and bool(said) and predicate_key(said) == predicate_key(readings[0]))
        return float(ok), ok
    if answer_type == "bool":
        ok = isinstance(parsed, bool) and parsed == bool(answer)
        return float(ok), ok
    ok = not isinstance(parsed, bool) and isinstance(parsed, int) and parsed == int(answer)
    return float(ok), ok


def match_answer(reply: str, answer: Any, answer_type: str, *, choices: Sequence[str] | None = None,
                 answer_letter: str | None = None, box_format: str = "norm1",
                 image_size: Sequence[int] | None = None, synonyms: Mapping[str, str] | None = None,
                 iou_threshold: float = 0.5, vocabulary: Sequence[str] | None = None,
                 point_tolerance: float = 0.05, float_rel_tol: float = 1e-2, float_abs_tol: float = 1e-6,
                 think_tags: Sequence[str] = DEFAULT_THINK_TAGS,
                 answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS,
                 auto_detect_box_format: bool = True,
                 point_options: Sequence[Sequence[float]] | None = None,
                 num_images: int | None = None, rivals: RivalsLike = None,
                 question: str | None = None) -> MatchResult:
    """Parse `reply` as `answer_type` and score it against the gold `answer` (see module doc).

    `vocabulary` lists the candidate answers of a `str` question; the gold answer and the
    options are always added. `point_tolerance` is a fraction of the image diagonal;
    `point_options` (pixels) are the points a "which point" question offers; `num_images`,
    the sample's number of images, reads "the last image". `rivals` are the data set's words
    (a `vocabulary.json` path or run folder, its dict, a `Vocabulary` or `Rivals`): those of
    the gold's kind compete with it in a `str` reply. Words of the `question` (the sample's
    text) do not compete unless the gold is among them (`veriscene.answers.candidates`).
    """
    if answer_type not in ANSWER_TYPES:
        raise ValueError(f"unknown answer_type {answer_type!r}; expected one of {list(ANSWER_TYPES)}")
    # options of the wrong kind, said here: the comparison of a multiple-choice reply read a
    # TypeError as "wrong", and `float_rel_tol="0.1"` scored every float reply 0
    check_tolerances(iou_threshold, point_tolerance, float_rel_tol, float_abs_tol)
    check_synonyms(synonyms)
    check_texts("choices", choices)
    check_texts("vocabulary", vocabulary)
    if auto_detect_box_format is not True:
        check_flag("auto_detect_box_format", auto_detect_box_format)
    if answer_type == "text" and not choices:
        return MatchResult.not_scored(read_reply(reply, think_tags=think_tags, answer_tags=answer_tags).body)
    _check_gold(answer, answer_type)
    fmt = parse_box_format(box_format)
    known = as_rivals(rivals)
    candidates = list(vocabulary or ())
    if answer_type == "str":
        syn = prepare_synonyms(synonyms)
        readings, _ = gold_readings(str(answer), syn, kind_table(syn, known))
        candidates += [*readings, *(str(c) for c in choices or ())]
        # a bare direction competes with the others ("left right" was read as right: "left" is
        # no word of any kind, so it did not compete)
        candidates += [d for d in _DIRECTIONS if readings and readings[0] in _DIRECTIONS and d != readings[0]]
    parsed = parse_answer(reply, answer_type, choices=choices, box_format=fmt, image_size=image_size,
                          synonyms=synonyms, vocabulary=candidates or None, think_tags=think_tags,
                          answer_tags=answer_tags, auto_detect_box_format=auto_detect_box_format,
                          answer=str(answer) if answer_type == "str" else None, num_images=num_images,
                          gold_items=[str(x) for x in answer] if answer_type == "str_set" else None,
                          rivals=known, question=question)
    if not parsed.ok:
        return MatchResult.failed(parsed.reason or "unparseable reply")
    options: dict[str, Any] = {
        "synonyms": synonyms, "image_size": image_size, "iou_threshold": iou_threshold,
        "point_tolerance": point_tolerance, "float_rel_tol": float_rel_tol, "float_abs_tol": float_abs_tol,
        "point_options": point_options, "rivals": known,
    }
    if choices and parsed.choice_index is not None:
        if answer_letter:
            letter = str(answer_letter).strip().upper()
            if letter not in OPTION_LETTERS[:len(choices)]:
                raise ValueError(f"answer_letter {answer_letter!r} is not one of the {len(choices)} options")
            ok = OPTION_LETTERS[parsed.choice_index] == letter
        elif answer_type == "text":
            ok = normalize_phrase(str(parsed.value)) == normalize_phrase(str(answer))
        else:
            try:
                ok = compare(parsed.value, answer, answer_type, **options)[1]
            except (TypeError, ValueError):
                ok = False
        return MatchResult(score=float(ok), correct=ok, parse_failed=False, reason=None, parsed=parsed.value)
    score, ok = compare(parsed.value, answer, answer_type, **options)
    return MatchResult(score=float(score), correct=bool(ok), parse_failed=False, reason=None, parsed=parsed.value)


def scored_record(sample: Mapping[str, Any] | Sample) -> Mapping[str, Any]:
    """The record of `sample` (a samples.jsonl line or a Sample) with the fields scoring needs
    (answer, answer_type); TypeError for anything else, ValueError naming the missing fields."""
    record = sample.to_dict() if isinstance(sample, Sample) else sample
    if not isinstance(record, Mapping):
        raise TypeError(f"sample must be a sample record (a dict: a samples.jsonl line) or a Sample, "
                        f"got {type(sample).__name__}")
    missing = [k for k in ("answer", "answer_type") if k not in record]
    if missing:
        raise ValueError(f"sample {record.get('id', '?')!r} is missing fields {missing}")
    return record


def _is_mark_label(answer: Any, labels: Any) -> bool:
    """Whether a `str` answer is one of a sample's mark labels ``meta["mark_labels"]``, which
    are the option letters A, B, ... in order (the labels `scene.marks.labelled` gives)."""
    return (isinstance(labels, list) and 0 < len(labels) <= len(OPTION_LETTERS)
            and labels == list(OPTION_LETTERS[:len(labels)]) and answer in labels)


def _image_marks(record: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The marks of a sample over several images, each with its ``image`` (`scene.marks.sample_marks`,
    else the program's `image_marked_point` nodes); None when it marks no image but the first."""
    images, program = record.get("images"), record.get("program")
    # (looked for before anything is checked or copied: most image_index samples mark nothing)
    if isinstance(images, list) and any(isinstance(image, Mapping) and image.get("marks") for image in images[1:]):
        return sample_marks(record)
    if isinstance(program, list) and any(
            isinstance(node, Mapping) and node.get("op") == "image_marked_point" for node in program):
        return program_marks(program, None)
    return None


def _frame_of(frame: Any, size: Any) -> Any:
    """The (width, height) the model saw of an image of original `size` (`score_sample`'s
    `marks_frame`: a size, or a function of the original's); None without either."""
    if frame is None or size is None:
        return None
    if callable(frame):
        width, height = check_image_size(size)  # type: ignore[misc]
        frame = frame(width, height)
    if check_image_size(frame) is None:
        raise ValueError(f"marks_frame must be (width, height) of the image the model saw, got {frame!r}")
    return frame


def _image_sizes(meta: Mapping[str, Any]) -> list[Any] | None:
    """A sample's ``meta["image_sizes"]`` (each image's [width, height], in image order; None
    without it), checked: ValueError naming the entry that is not a positive [width, height]."""
    sizes = meta.get("image_sizes")
    if sizes is None:
        return None
    if not isinstance(sizes, list):
        raise ValueError(f"meta.image_sizes must be a list of [width, height], got {sizes!r}")  # noqa: TRY004  (a data error)
    for k, size in enumerate(sizes):
        try:
            check_image_size(size)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"meta.image_sizes[{k}] must be a positive [width, height], got {size!r}") from exc
    return sizes


def score_sample(reply: str, sample: Mapping[str, Any] | Sample, *, marks_frame: Any = None,
                 **options: Any) -> MatchResult:
    """Score a reply against a sample record: reads answer, answer_type, question, choices,
    meta["answer_letter"], meta["box_format"], meta["image_size"], the number of images
    (meta["num_images"] or `images`), for points, the points
    the question offers (`offered_points`: meta["point_options"] or the program), and for a
    label of points drawn on the image, meta["mark_labels"] (read as option letters), and for
    marks on several images, meta["image_sizes"] (a point given by coordinates read at its image's
    size); `options` go to
    `match_answer` and override the record (e.g. iou_threshold=0.7, synonyms={...},
    rivals="run/vocabulary.json").

    `marks_frame`: on a question about marks drawn on the images, the (width, height) of the
    image the model saw, or a function ``fn(width, height) -> (width, height)`` of each image's
    original size: a point a reply gives in pixels for a mark is read in that resized frame
    (`mark_replies`). `GroundTruth.score(model_image_size=)` and `eval --model-image-size` pass it
    (they also rescale open pixel boxes and points, which this does not)."""
    record = scored_record(sample)
    meta = record.get("meta") or {}
    kwargs: dict[str, Any] = {
        "choices": record.get("choices"),
        "answer_letter": meta.get("answer_letter"),
        "box_format": meta.get("box_format") or "norm1",
        "image_size": meta.get("image_size"),
    }
    if isinstance(record.get("question"), str):
        kwargs["question"] = record["question"]
    if meta.get("synonyms"):
        kwargs["synonyms"] = meta["synonyms"]
    if meta.get("vocabulary"):
        kwargs["vocabulary"] = meta["vocabulary"]
    images = record.get("images")
    if meta.get("num_images") is not None:
        kwargs["num_images"] = int(meta["num_images"])
    elif isinstance(images, Sequence) and not isinstance(images, str) and images:
        kwargs["num_images"] = len(images)
    if record["answer_type"] == "point" and not record.get("choices"):
        kwargs["point_options"] = offered_points(record)
    labels = meta.get("mark_labels")
    if record["answer_type"] == "str" and not record.get("choices") and _is_mark_label(record["answer"], labels):
        # "Which point is closer: A or B?" over points drawn on the image (`scene.marks`): a
        # reply's "A", "(A)", "point A", "A is closer" read as the labels A, B, ... are read as
        # option letters (a bare "A" is an article to the phrase reader)
        kwargs["choices"], kwargs["answer_letter"] = list(labels or ()), record["answer"]
    unread = None
    if record["answer_type"] == "str" and _is_mark_label(record["answer"], labels):
        # "The point at (312, 140) is closer.": a point given by coordinates on a drawn mark is
        # that mark ("point A"), read as its label is
        marks = record_marks(record, 0) or program_marks(record.get("program"))
        if marks:
            reply, unread = named_marks(reply, marks, kwargs["image_size"],
                                        _frame_of(marks_frame, kwargs["image_size"]))
        # "A is farther than B.": the label after "than" is compared with, not answered
        reply = without_compared_labels(reply, kwargs.get("question"))
    elif record["answer_type"] == "image_index" and not record.get("choices"):
        # "In which image does the marked point lie on a dog?" over images marked "A", "B", ...
        # (`scene.marks`): a reply's "B", "point B" is the image B is drawn on
        drawn = _image_marks(record)
        if drawn:
            # "(419, 50)", "(4, 419, 50)": a point given by coordinates on a mark is that mark
            # ("point D"), each image's mark read at that image's size (meta["image_sizes"])
            sizes = _image_sizes(meta)
            seen = None if marks_frame is None or sizes is None else [_frame_of(marks_frame, size) for size in sizes]
            reply, unread = image_points_named(reply, drawn, sizes, seen)
            reply = labels_as_images(reply, label_images(drawn))
    kwargs.update(options)
    result = match_answer(reply, record["answer"], record["answer_type"], **kwargs)
    if unread is not None and result.parse_failed:  # (the reply named no mark: say why its points did not)
        return replace(result, reason=f"{result.reason}; {unread}" if result.reason else unread)
    return result
