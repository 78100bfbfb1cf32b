"""verl reward: `compute_score` for `custom_reward_function` over `veriscene export --to verl` rows.

verl's reward managers call

    compute_score(data_source, solution_str, ground_truth, extra_info=None, **reward_kwargs)

with a row's `data_source` ("veriscene/<task>"), the decoded response, `reward_model.ground_truth`
(the JSON text written by `veriscene.io.writers.common.ground_truth`) and `extra_info`
(provenance). Point verl at it with

    custom_reward_function.path=<site-packages>/veriscene/rewards/verl.py
    custom_reward_function.name=compute_score

The returned dict has `score` (the reward verl uses) and parse details that verl collects per
row as `reward_extra_info`; every key is always present with one type, so they batch cleanly:

    score         float: (1 - format_weight) * acc_score + format_weight * format
    acc_score     float: `veriscene.answers.score_sample(...).score` (IoU for open boxes); for
                  free-form text, with `run_dir`, the combined score of `rewards.freeform` (the
                  F1 of truthfulness and helpfulness against the scene graphs, as `veriscene eval`
                  scores descriptions; `parsed` then holds helpfulness, truthfulness, claims and
                  hallucinations, `correct` is a combined score of 1); without it 0.0 and
                  applicable=False (warned once)
    correct       bool    parse_failed  bool    applicable  bool
    format        float: 1.0 when the response is one think block then one answer block
    reason        str: why parsing failed ("" otherwise)
    parsed        str: the parsed value as JSON text ("null" when unparsed)
    answer_type   str

With the default ``format_weight=0`` the score equals `veriscene eval`'s score for the reply.
`think_tag` / `answer_tag` name the tags of both the format check and answer reading (with the
defaults the answer is read as `veriscene eval` reads it, "<thinking>" blocks dropped too);
`think_tags` / `answer_tags` in `reward_kwargs` set the reading apart. A bytes response is
decoded as UTF-8, as the TRL rewards do. `extra_info["program"]` gives "which
point" questions the points they show (`GroundTruth.with_program`), `extra_info["image_ids"]`
the number of images ("the last image").
`model_image_size` ((width, height) the model saw) rescales "pixel" boxes as in `truth`; it may
be given in `reward_kwargs` or in `extra_info`. `vocabulary_file` in `reward_kwargs` (the run's
`vocabulary.json`, read once and cached) makes the data set's words compete with a `str` gold
answer, as `veriscene eval` does on the run's samples.

Free-form rows (descriptions, region descriptions, comparison captions) need the scene graphs:
`run_dir` in `reward_kwargs` (the run folder, or samples file, the data set was exported from; its
manifest names the scene files, `scenes` overrides them), `freeform_matcher` "lexical" (the
default), "minilm" (the `ml` extra) or "auto". The run is read once per process
(`freeform.shared_scorer`); a row is found by `extra_info.sample_id`.

Keywords. verl calls `compute_score` with the keywords above, those of
`custom_reward_function.reward_kwargs` (verl's `get_custom_reward_fn` adds them to every call),
and, from its reward loop, its own `VERL_KWARGS` (`reward_router_address`,
`reward_model_tokenizer`, `reward_model`), which are ignored. A `reward_kwargs` key that looks
like one of ours (`iou_treshold`, `format_wieght`) is a TypeError naming the one meant: it would
change nothing, silently, for the whole run. Any other key is ignored with one UserWarning
naming it (a later verl may pass keys not known here). The values of the options are checked
as `veriscene.answers.options` says, before the reply is scored: a bad one is an error, not
reward 0 for every response. `extra_info` holds the row's provenance and whatever verl adds
(tool fields): its keys are never refused, but one that looks like a key read here
(`model_image_sise`) while that key is absent is warned about once.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from veriscene.answers.options import check_scoring_options, close_name
from veriscene.rewards import truth_checks as checks
from veriscene.rewards.tags import check_format, check_tag_names
from veriscene.answers.extract import DEFAULT_ANSWER_TAGS, DEFAULT_THINK_TAGS
from veriscene.rewards.completions import completion_text
from veriscene.rewards.truth import GroundTruth, load_vocabulary, safe_score

_MATCH_OPTIONS = ("iou_threshold", "point_tolerance", "float_rel_tol", "float_abs_tol",
                  "think_tags", "answer_tags", "synonyms", "vocabulary", "auto_detect_box_format", "rivals")


# Keywords verl's reward loop passes to every custom compute_score (verl/experimental/reward*/:
# the naive, rate-limited and DAPO reward loop managers); not options of ours.
VERL_KWARGS = ("reward_router_address", "reward_model_tokenizer", "reward_model")
# Everything else `compute_score` takes by keyword, as `reward_kwargs` may give it.
FREEFORM_KEYWORDS = ("run_dir", "scenes", "freeform_matcher")  # the free-form reward's (`rewards.freeform`)
KEYWORDS = ("format_weight", "think_tag", "answer_tag", "model_image_size", "vocabulary_file", *_MATCH_OPTIONS,
            *FREEFORM_KEYWORDS)
EXTRA_INFO_KEYS = ("program", "image_ids", "model_image_size")  # what is read of extra_info
_warned: set[str] = set()  # keys warned about (once per process)
_looked_at: set[str] = set()  # extra_info keys already compared with EXTRA_INFO_KEYS


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def _check_keywords(kwargs: Mapping[str, Any]) -> None:
    """A misspelt option is a TypeError; an unknown key is warned about once (see the module doc)."""
    for key in kwargs:
        if key in _MATCH_OPTIONS or key == "vocabulary_file" or key in VERL_KWARGS or key in FREEFORM_KEYWORDS:
            continue
        meant = close_name(key, KEYWORDS)
        if meant is not None:
            raise TypeError(f"compute_score got the keyword {key!r}: did you mean {meant!r}? (custom_reward_function."
                            f"reward_kwargs takes {', '.join(KEYWORDS)})")
        _warn_once(key, f"veriscene compute_score ignores the keyword {key!r} (custom_reward_function.reward_kwargs "
                        f"takes {', '.join(KEYWORDS)}); said once")


def _check_extra_info(extra_info: Mapping[str, Any]) -> None:
    """Warn once of an extra_info key that looks like one read here, which the row lacks."""
    for key in extra_info:
        if key in _looked_at or key in EXTRA_INFO_KEYS:
            continue
        _looked_at.add(key)
        meant = close_name(str(key), EXTRA_INFO_KEYS)
        if meant is not None and meant not in extra_info:
            _warn_once(f"extra_info.{key}", f"extra_info holds {key!r} but no {meant!r}, which compute_score reads: "
                                            f"a misspelling? ({key!r} is ignored; said once)")


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return orjson.dumps(str(value)).decode()


def compute_score(data_source: str | None, solution_str: Any, ground_truth: str | Mapping[str, Any],
                  extra_info: Mapping[str, Any] | None = None, *, format_weight: float = 0.0,
                  think_tag: str = "think", answer_tag: str = "answer",
                  model_image_size: Sequence[int] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Score one verl response against its row's ground truth (see the module docstring).

    Raises ValueError only for an unreadable `ground_truth` (a data error); any response,
    including garbage, gets a score.
    """
    if isinstance(format_weight, bool) or not isinstance(format_weight, (int, float)) or not 0.0 <= format_weight <= 1.0:
        raise ValueError(f"format_weight must be a number in [0, 1], got {format_weight!r}")
    if extra_info is not None and not isinstance(extra_info, Mapping):
        raise TypeError(f"extra_info must be a mapping (the row's extra_info column), got {type(extra_info).__name__}")
    check_tag_names(think_tag, answer_tag)
    if kwargs:
        _check_keywords(kwargs)
    if extra_info:
        _check_extra_info(extra_info)
    try:
        truth = GroundTruth.from_json(ground_truth)
    except ValueError as exc:
        row = f" (extra_info.index {extra_info.get('index')})" if extra_info and "index" in extra_info else ""
        raise ValueError(f"reward_model.ground_truth of a {data_source!r} row{row}: {exc}; "
                         "export the run with `veriscene export RUN --to verl` to write it") from exc
    if extra_info is not None:
        truth = truth.with_program(extra_info.get("program")).with_images(extra_info.get("image_ids"))
    text = completion_text(solution_str, think_tag)
    where = "model_image_size"
    if model_image_size is None and extra_info is not None:
        model_image_size, where = extra_info.get("model_image_size"), "extra_info['model_image_size']"
    seen = checks.model_size(model_image_size, where)
    options = {k: v for k, v in kwargs.items() if k in _MATCH_OPTIONS}
    if options:  # before scoring: `safe_score` reads any error as reward 0
        check_scoring_options(options, "compute_score (custom_reward_function.reward_kwargs)", _MATCH_OPTIONS)
    vocabulary_file = kwargs.get("vocabulary_file", options.get("rivals"))
    if vocabulary_file is not None:
        # a path is read once (`load_rivals` caches)
        options["rivals"] = load_vocabulary(vocabulary_file, "custom_reward_function.reward_kwargs.vocabulary_file")
    # the tags the format check reads are the tags the answer is read from, unless given apart
    options.setdefault("think_tags", DEFAULT_THINK_TAGS if think_tag == "think" else (think_tag,))
    options.setdefault("answer_tags", DEFAULT_ANSWER_TAGS if answer_tag == "answer" else (answer_tag,))
    fmt = check_format(text, think_tag=think_tag, answer_tag=answer_tag)
    if not truth.scored and kwargs.get("run_dir") is not None:  # free-form: against the run's scene graphs
        return _freeform_row(truth, text, extra_info, kwargs, format_weight, float(fmt.ok))
    if not truth.scored:
        _warn_once("run_dir", "free-form (text) rows score 0.0: give custom_reward_function.reward_kwargs.run_dir (the "
                              "run folder the data set was exported from) to score them against its scene graphs; said once")
    result = safe_score(truth, text, model_image_size=seen, **options)
    applicable = result.applicable
    acc = float(result.score) if applicable else 0.0
    return {
        "score": (1.0 - format_weight) * acc + format_weight * float(fmt.ok),
        "acc_score": acc,
        "correct": bool(result.correct),
        "parse_failed": bool(result.parse_failed),
        "applicable": bool(applicable),
        "format": float(fmt.ok),
        "reason": result.reason or "",
        "parsed": _json(result.parsed),
        "answer_type": truth.answer_type,
    }


def _freeform_row(truth: GroundTruth, text: str, extra_info: Mapping[str, Any] | None, kwargs: Mapping[str, Any],
                  format_weight: float, fmt: float) -> dict[str, Any]:
    """The row of a free-form response (`run_dir` given): `acc_score` the combined score of
    `rewards.freeform`, `parsed` its helpfulness, truthfulness, claims and hallucinations as JSON
    text, `correct` a combined score of 1 (every fact of the scene graph stated, nothing false)."""
    from veriscene.rewards.freeform import shared_scorer

    scorer = shared_scorer(kwargs["run_dir"], kwargs.get("scenes"), kwargs.get("freeform_matcher", "lexical"))
    result = scorer.score(text, sample_id=(extra_info or {}).get("sample_id"), answer=truth.answer)
    return {
        "score": (1.0 - format_weight) * result.reward + format_weight * fmt,
        "acc_score": result.reward,
        "correct": result.reward >= 1.0,
        "parse_failed": False,
        "applicable": result.applicable,
        "format": fmt,
        "reason": result.reason,
        "parsed": _json(result.details()) if result.applicable else "null",
        "answer_type": truth.answer_type,
    }
