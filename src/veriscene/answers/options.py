"""Checks of the options every scorer takes (`match_answer`'s keywords), said for the option at
fault before any reply is scored.

A scoring option is given once and used for every reply: in a reward factory
(`make_accuracy_reward(iou_threshold=0.7)`), verl's `reward_kwargs`, `evaluate(score_options=...)`
or the Gymnasium environment. A misspelt name (`iou_treshold`) or a value of the wrong kind
(`iou_threshold="0.7"`, `think_tags="think"`) used to be met per reply, where the rewards turn
any error into reward 0 (`rewards.truth.safe_score`): training then ran on a constant reward,
and evaluation reported every sample as an error. These checks run where the options are given.

    option                   accepted
    iou_threshold            a number in [0, 1] (IoU at which an open box counts as correct)
    point_tolerance          a number >= 0 (fraction of the image diagonal)
    float_rel_tol            a number >= 0;   float_abs_tol: a number >= 0
    think_tags, answer_tags  a list of tag names (not one name as a str: "think" read as
                             the tags t, h, i, n, k)
    synonyms                 a dict {word: word}, or None
    vocabulary, choices      a list of texts (not a str), or None
    auto_detect_box_format   True or False
    rivals                   read by `answers.rivals.as_rivals` (a path, a dict, a Vocabulary)
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Options a scorer's caller sets; the others of `match_answer` are read from the sample record
# (`score_sample`), where an option given overrides the record's value.
SCORING_OPTIONS = ("iou_threshold", "point_tolerance", "float_rel_tol", "float_abs_tol", "think_tags", "answer_tags",
                   "synonyms", "vocabulary", "auto_detect_box_format", "rivals")
RECORD_OPTIONS = ("choices", "answer_letter", "box_format", "image_size", "point_options", "num_images", "question")
MATCH_OPTIONS = SCORING_OPTIONS + RECORD_OPTIONS  # match_answer's keywords (tests/answers/test_options.py)


# names other veriscene callers give an option: the run's vocabulary.json is `vocabulary_file` to
# make_accuracy_reward and verl's reward_kwargs, `rivals` in score_options (the environment, evaluate)
OTHER_NAMES = {"vocabulary_file": "rivals"}


def check_names(given: Iterable[str], accepted: Sequence[str], where: str) -> None:
    """TypeError for a name of `given` not in `accepted`, with the closest accepted name (or the
    one it is called here, `OTHER_NAMES`); `where` says what takes them ("make_accuracy_reward()",
    "score_options")."""
    for name in given:
        if name in accepted:
            continue
        here = OTHER_NAMES.get(str(name))
        if here in accepted:
            raise TypeError(f"{where} got an unknown option {name!r} (the run's vocabulary.json is {here!r} here: "
                            f"{{{here!r}: PATH}}); it takes {', '.join(accepted)}")
        close = difflib.get_close_matches(str(name), accepted, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TypeError(f"{where} got an unknown option {name!r}{hint}; it takes {', '.join(accepted)}")


def close_name(name: str, names: Sequence[str]) -> str | None:
    """The one of `names` that `name` looks like a misspelling of, or None."""
    close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.8)
    return close[0] if close and close[0] != name else None


def _number(name: str, value: Any, low: float, high: float = math.inf) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not low <= float(value) <= high:  # NaN too
        span = f"in [{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        raise ValueError(f"{name} must be a number {span}, got {value!r}")


def check_tolerances(iou_threshold: Any, point_tolerance: Any, float_rel_tol: Any, float_abs_tol: Any) -> None:
    """The numbers a comparison reads (the defaults pass at once: this runs once per reply)."""
    if iou_threshold != 0.5 or type(iou_threshold) is not float:
        _number("iou_threshold", iou_threshold, 0.0, 1.0)
    for name, value in (("point_tolerance", point_tolerance), ("float_rel_tol", float_rel_tol),
                        ("float_abs_tol", float_abs_tol)):
        if type(value) is not float or not value >= 0.0 or value == math.inf:
            _number(name, value, 0.0, math.inf)
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")


def check_tags(name: str, tags: Any) -> None:
    """`think_tags` / `answer_tags`: a list (or tuple) of tag names, possibly empty."""
    if type(tags) is tuple and all(type(t) is str and t for t in tags):
        return
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Sequence):
        example = "think" if name.startswith("think") else "answer"
        raise TypeError(f"{name} must be a list of tag names (e.g. [{example!r}]), got {tags!r}")
    bad = [t for t in tags if not isinstance(t, str) or not t.strip()]
    if bad:
        raise TypeError(f"{name} must be a list of tag names (non-empty texts), got {bad[0]!r} in {tags!r}")


def check_texts(name: str, value: Any) -> None:
    """A list of texts or None (`vocabulary`, `choices`); a str would be read letter by letter."""
    if value is None:
        return
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a list of texts or None, got {value!r}")


def check_synonyms(value: Any) -> None:
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"synonyms must be a dict {{word: word}} or None, got {value!r}")


def check_flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def check_scoring_options(options: Mapping[str, Any], where: str,
                          accepted: Sequence[str] = MATCH_OPTIONS) -> None:
    """Refuse an option of `options` not in `accepted` (TypeError naming the closest), and a value
    of the kind no reply could be scored with (see the module docstring). The options are given
    once, the check runs once; `match_answer` checks its own values too (per reply, cheaply)."""
    check_names(options, accepted, where)
    defaults = {"iou_threshold": 0.5, "point_tolerance": 0.05, "float_rel_tol": 1e-2, "float_abs_tol": 1e-6}
    check_tolerances(*(options.get(k, v) for k, v in defaults.items()))
    for name in ("think_tags", "answer_tags"):
        if name in options:
            check_tags(name, options[name])
    for name in ("vocabulary", "choices"):
        check_texts(name, options.get(name))
    check_synonyms(options.get("synonyms"))
    if "auto_detect_box_format" in options:
        check_flag("auto_detect_box_format", options["auto_detect_box_format"])
