"""`model_image_size`: the size of the image the model saw, when it answers pixel boxes and points
in the frame of a resized image (Qwen2.5-VL served by vLLM answers in the pixels of the image
its processor resized to multiples of 28; a server that resizes every image to 448x448 answers
in those).

Same name and semantics as the rewards' (`veriscene.rewards.truth`, `GroundTruth.score`): an open
box or point question asked in the "pixel" convention has the reply's coordinates read in the
frame of the image the model saw and scaled back to the original image before the comparison;
every other question (normalised conventions, multiple choice, other answer types) is scored as
without it. The scaling is the rewards' own code (`GroundTruth.score`), so `eval` and a reward
give the same number for the same reply and size. The prompt is unchanged: it states the
original image's size, as the exported questions the rewards score do.

Given as (width, height) for every sample, or in Python as a function
``fn(width, height) -> (width, height)`` of the original image's size (for servers whose resize
depends on it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

from veriscene.answers import MatchResult, parse_box_format
from veriscene.rewards import truth_checks as checks

ModelImageSize = Union[Sequence[int], Callable[[int, int], Sequence[int]], None]

OPTION = "model_image_size"  # the option's name in evaluate(), the rewards and summary.json settings

_WxH = re.compile(r"^\s*(\d+)\s*[x,X×]\s*(\d+)\s*$")


def parse_size_text(text: str, option: str = "--model-image-size") -> tuple[int, int]:
    """'WIDTHxHEIGHT' (or 'W,H') of the CLI as (width, height); a ValueError naming `option`."""
    match = _WxH.match(text)
    if match is None or min(int(match[1]), int(match[2])) <= 0:
        raise ValueError(f"{option} must be WIDTHxHEIGHT of the image the model saw, in pixels (e.g. 644x476), "
                         f"got {text!r}")
    return int(match[1]), int(match[2])


def check_model_image_size(value: Any, where: str = OPTION) -> tuple[int, int] | Callable[[int, int], Any] | None:
    """`value` checked: None, (width, height) or a function of the original (width, height); a
    ValueError / TypeError naming `where` otherwise (before any request is made)."""
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        return parse_size_text(value, where)
    return checks.model_size(value, where)


def describe(value: Any) -> list[int] | str | None:
    """How summary.json's settings state it: [width, height], 'function NAME', or None."""
    if value is None:
        return None
    if callable(value):
        return f"function {getattr(value, '__qualname__', type(value).__name__)}"
    return [int(v) for v in value]


def rescales(sample: Mapping[str, Any], score_options: Mapping[str, Any]) -> bool:
    """Whether `model_image_size` can change the score of `sample`: an open box / point question
    in the "pixel" convention (checked on the record's fields, before any ground truth is built)."""
    if sample.get("answer_type") not in ("box", "point") or sample.get("choices"):
        return False
    meta = sample.get("meta") or {}
    try:
        return parse_box_format(score_options.get("box_format") or meta.get("box_format")) == "pixel"
    except ValueError:
        return False  # (score_sample says what is wrong with it)


def seen_size(value: Any, sample: Mapping[str, Any]) -> tuple[int, int] | None:
    """The (width, height) the model saw of this sample's image: `value` itself, or the function's
    answer for the original size (None when the sample states no size: scored as without it)."""
    if not callable(value):
        return value
    original = (sample.get("meta") or {}).get("image_size")
    if original is None:
        return None
    w, h = checks.size(original)
    return checks.model_size(value(w, h), f"model_image_size({w}, {h})")


def score_in_model_frame(reply: str, sample: Mapping[str, Any], value: Any,
                         score_options: Mapping[str, Any]) -> MatchResult | None:
    """The reply's score with its coordinates read in the frame the model saw (`GroundTruth.score`),
    or None when `value` changes nothing for this sample (scored as usual then)."""
    if value is None or not rescales(sample, score_options):
        return None
    seen = seen_size(value, sample)
    if seen is None:
        return None
    from dataclasses import replace

    from veriscene.rewards.truth import GroundTruth

    truth = GroundTruth.from_sample(sample)
    if score_options.get("box_format"):
        truth = replace(truth, box_format=score_options["box_format"])
    return truth.score(reply, model_image_size=seen, **score_options)
