"""verl reward: `compute_score` for `custom_reward_function` over `veriscene export --to verl` rows.

verl's reward managers call

    compute_score(data_source, solution_str, ground_truth, extra_info=None, **reward_kwargs)

with a row's `data_source` ("veriscene/<task>"), the decoded response, `reward_model.ground_truth`
(the JSON text written by `veriscene.io.writers.common.ground_truth`) and `extra_info`
(provenance). Point verl at it with

    custom_reward_function.path=<site-packages>/veriscene/rewards/verl.py
    custom_reward_function.name=compute_score

or, with verl's batch reward manager (one call a batch, one list per field, about twice as many
responses a second: docs/rewards.md),

    reward_model.reward_manager=batch
    custom_reward_function.name=compute_score_batch

    compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos, **reward_kwargs)

whose element k is what `compute_score` returns for row k, by the same code (the keywords checked
once, each distinct ground truth read once, a response given twice to one row scored once,
free-form rows scored together). Each element is a `Score`: a dict that `float()` reads as its
`score`, for the batch managers that take floats as for those that take dicts.

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
`model_image_size` (the size the model saw: [width, height] or "WxH", or its processor's rule as
`GroundTruth.score` and `veriscene eval` take it: "qwen2-vl", "qwen2-vl:min_pixels=N,max_pixels=N",
"config:/path/to/model") rescales "pixel" boxes as in `truth`; it may be given in `reward_kwargs`
(checked once a call) or in `extra_info` (a row's own, when `reward_kwargs` gives none). `vocabulary_file` in `reward_kwargs` (the run's
`vocabulary.json`, read once and cached) makes the data set's words compete with a `str` gold
answer, as `veriscene eval` does on the run's samples.

Free-form rows (descriptions, region descriptions, comparison captions) need the scene graphs:
`run_dir` in `reward_kwargs` (the run folder, or samples file, the data set was exported from; its
manifest names the scene files, `scenes` overrides them), `freeform_matcher` "lexical" (the
default), "minilm" (the `ml` extra) or "auto". The run is read once per process
(`freeform.shared_scorer`); a row is found by `extra_info.sample_id`, and a row without one by
its gold (`ground_truth`) and what its extra_info holds (`image_ids`, `task`, `program`, as
`export --to verl` writes them: `rewards.locate`; verl passes no prompt), counted in the scorer's
`located`. A row that cannot be told (no sample of its gold, or of its gold and image ids; several
left) scores 0 with `applicable` False and the reason in `reason`, warned of once and counted in
the scorer's `unknown`.

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
from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from veriscene.answers.options import check_scoring_options, close_name
from veriscene.rewards.tags import check_format, check_tag_names
from veriscene.answers.extract import DEFAULT_ANSWER_TAGS, DEFAULT_THINK_TAGS
from veriscene.rewards.completions import completion_text
from veriscene.rewards.truth import GroundTruth, load_vocabulary, model_size_of, safe_score

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


class Score(dict[str, Any]):
    """The dict `compute_score` returns, which `float()` also reads as its `score`: verl's batch
    reward managers differ in what they take of a batch function's list (the dicts as rows of
    `reward_extra_info`, or floats), and this is both."""

    def __float__(self) -> float:
        return float(self["score"])


@dataclass(frozen=True)
class _Settings:
    """What the keywords of one call (or one batch) say, checked once."""

    format_weight: float
    think_tag: str
    answer_tag: str
    model_image_size: Any  # checked (`model_size_of`): None, (width, height) or a rule's function
    size_given: bool  # reward_kwargs gives model_image_size (then extra_info's is not read)
    options: dict[str, Any]  # `safe_score`'s: the match options, rivals and tags
    kwargs: Mapping[str, Any]  # as given (the free-form reward's keywords)


def _settings(format_weight: Any, think_tag: str, answer_tag: str, model_image_size: Any,
              kwargs: Mapping[str, Any]) -> _Settings:
    if isinstance(format_weight, bool) or not isinstance(format_weight, (int, float)) or not 0.0 <= format_weight <= 1.0:
        raise ValueError(f"format_weight must be a number in [0, 1], got {format_weight!r}")
    check_tag_names(think_tag, answer_tag)
    if kwargs:
        _check_keywords(kwargs)
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
    seen = model_size_of(model_image_size, "model_image_size")
    return _Settings(float(format_weight), think_tag, answer_tag, seen, model_image_size is not None, options, kwargs)


def _row_truth(data_source: Any, ground_truth: str | Mapping[str, Any], extra_info: Mapping[str, Any] | None,
               where: str = "") -> GroundTruth:
    """A row's ground truth, with what its extra_info adds; ValueError naming the row when unreadable."""
    if extra_info is not None and not isinstance(extra_info, Mapping):
        raise TypeError(f"extra_info{where} must be a mapping (the row's extra_info column), got "
                        f"{type(extra_info).__name__}")
    if extra_info:
        _check_extra_info(extra_info)
    try:
        truth = GroundTruth.from_json(ground_truth)
    except ValueError as exc:
        row = f" (extra_info.index {extra_info.get('index')})" if extra_info and "index" in extra_info else ""
        raise ValueError(f"reward_model.ground_truth of a {data_source!r} row{where}{row}: {exc}; "
                         "export the run with `veriscene export RUN --to verl` to write it") from exc
    if extra_info is not None:
        truth = truth.with_program(extra_info.get("program")).with_images(extra_info.get("image_ids"))
    return truth


def _is_freeform(settings: _Settings, truth: GroundTruth) -> bool:
    """Free-form, scored against the run's scene graphs (`run_dir` given)."""
    return not truth.scored and settings.kwargs.get("run_dir") is not None


def _score_row(settings: _Settings, truth: GroundTruth, text: str, extra_info: Mapping[str, Any] | None) -> Score:
    """The dict of one response to a row that is not free-form with `run_dir`."""
    seen = settings.model_image_size
    if not settings.size_given and extra_info is not None:
        seen = model_size_of(extra_info.get("model_image_size"), "extra_info['model_image_size']")
    fmt = check_format(text, think_tag=settings.think_tag, answer_tag=settings.answer_tag)
    if not truth.scored:
        _warn_once("run_dir", "free-form (text) rows score 0.0: give custom_reward_function.reward_kwargs.run_dir (the "
                              "run folder the data set was exported from) to score them against its scene graphs; said once")
    result = safe_score(truth, text, model_image_size=seen, **settings.options)
    applicable = result.applicable
    acc = float(result.score) if applicable else 0.0
    return Score({
        "score": (1.0 - settings.format_weight) * acc + settings.format_weight * float(fmt.ok),
        "acc_score": acc,
        "correct": bool(result.correct),
        "parse_failed": bool(result.parse_failed),
        "applicable": bool(applicable),
        "format": float(fmt.ok),
        "reason": result.reason or "",
        "parsed": _json(result.parsed),
        "answer_type": truth.answer_type,
    })


def compute_score(data_source: str | None, solution_str: Any, ground_truth: str | Mapping[str, Any],
                  extra_info: Mapping[str, Any] | None = None, *, format_weight: float = 0.0,
                  think_tag: str = "think", answer_tag: str = "answer",
                  model_image_size: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Score one verl response against its row's ground truth (see the module docstring).

    Raises ValueError only for an unreadable `ground_truth` (a data error); any response,
    including garbage, gets a score.
    """
    settings = _settings(format_weight, think_tag, answer_tag, model_image_size, kwargs)
    truth = _row_truth(data_source, ground_truth, extra_info)
    text = completion_text(solution_str, think_tag)
    if _is_freeform(settings, truth):  # free-form: against the run's scene graphs
        return _freeform_rows(settings, [truth], [text], [extra_info])[0]
    return _score_row(settings, truth, text, extra_info)


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[Any],
                        ground_truths: Sequence[str | Mapping[str, Any]],
                        extra_infos: Sequence[Mapping[str, Any] | None] | None = None, *, format_weight: float = 0.0,
                        think_tag: str = "think", answer_tag: str = "answer",
                        model_image_size: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
    """Score a batch of verl responses: verl's batch reward manager (``reward_model.reward_manager
    =batch``, `custom_reward_function.name=compute_score_batch`) calls it with one list per field.

    Element k is what ``compute_score(data_sources[k], solution_strs[k], ground_truths[k],
    extra_infos[k], **same keywords)`` returns (a `Score`: a dict that `float()` reads as its
    score), by the same code: the keywords are checked once a batch, each distinct ground truth
    is read once (a GRPO group's responses share their row's), a response given more than once to
    one row is scored once (common in a group once a policy settles on an answer), and free-form
    rows (with `run_dir`) are scored together (one pass of the claim extractor). An unreadable ground truth is a
    ValueError naming its place in the batch, as `compute_score` raises one for its row.
    """
    if isinstance(solution_strs, (str, bytes, Mapping)) or not hasattr(solution_strs, "__len__"):
        raise TypeError(f"solution_strs must be a list (one decoded response a row), got "
                        f"{type(solution_strs).__name__}: compute_score_batch takes one list per field")
    n = len(solution_strs)
    infos: Sequence[Mapping[str, Any] | None] = [None] * n if extra_infos is None else extra_infos
    for name, column in (("data_sources", data_sources), ("ground_truths", ground_truths), ("extra_infos", infos)):
        if isinstance(column, (str, bytes, Mapping)) or len(column) != n:
            raise ValueError(f"compute_score_batch takes one list per field, each as long as solution_strs ({n}); "
                             f"{name} is {type(column).__name__}" + (f" of {len(column)}" if hasattr(column, "__len__")
                                                                    and not isinstance(column, (str, bytes)) else ""))
    settings = _settings(format_weight, think_tag, answer_tag, model_image_size, kwargs)
    read: dict[tuple[Any, ...], GroundTruth] = {}
    truths, keys = [], []
    for k, (source, gold, info) in enumerate(zip(data_sources, ground_truths, infos)):
        key = _truth_key(gold, info)
        truth = read.get(key) if key is not None else None
        if truth is None:
            truth = _row_truth(source, gold, info, f" at batch position {k}")
            if key is not None:
                read[key] = truth
        elif info:
            _check_extra_info(info)
        truths.append(truth)
        keys.append(key)
    texts = [completion_text(s, think_tag) for s in solution_strs]
    out: list[Score | None] = [None] * n
    free = [k for k, t in enumerate(truths) if _is_freeform(settings, t)]
    if free:
        for k, row in zip(free, _freeform_rows(settings, [truths[k] for k in free], [texts[k] for k in free],
                                               [infos[k] for k in free])):
            out[k] = row
    scored: dict[tuple[Any, ...], Score] = {}  # a response given twice to one row (common in a GRPO group)
    for k in range(n):
        if out[k] is not None:
            continue
        info, key = infos[k], keys[k]
        seen = (key, texts[k], repr(info.get("model_image_size") if info else None)) if key is not None else None
        if seen is not None and seen in scored:
            out[k] = Score(scored[seen])  # (a row of its own: verl may change one)
            continue
        out[k] = row = _score_row(settings, truths[k], texts[k], info)
        if seen is not None:
            scored[seen] = row
    return [row for row in out if row is not None]


def _truth_key(ground_truth: Any, extra_info: Any) -> tuple[Any, ...] | None:
    """What makes two rows' ground truths one (their text and what extra_info adds to it), or
    None when it cannot be told cheaply (a decoded dict, or a program that is no text)."""
    if not isinstance(ground_truth, (str, bytes)):
        return None
    if extra_info is None:
        return (ground_truth,)
    if not isinstance(extra_info, Mapping):
        return None
    program, images = extra_info.get("program"), extra_info.get("image_ids")
    if program is not None and not isinstance(program, (str, bytes)):
        return None
    count = len(images) if images is not None and hasattr(images, "__len__") and not isinstance(images, str) else images
    if count is not None and not isinstance(count, int):
        return None
    return ground_truth, program, count


def _freeform_rows(settings: _Settings, truths: Sequence[GroundTruth], texts: Sequence[str],
                   extra_infos: Sequence[Mapping[str, Any] | None]) -> list[Score]:
    """The rows of free-form responses (`run_dir` given), scored together: `acc_score` the combined
    score of `rewards.freeform`, `parsed` its helpfulness, truthfulness, claims and hallucinations as
    JSON text, `correct` a combined score of 1 (every fact of the scene graph stated, nothing false)."""
    from veriscene.rewards.freeform import shared_scorer

    kwargs = settings.kwargs
    scorer = shared_scorer(kwargs["run_dir"], kwargs.get("scenes"), kwargs.get("freeform_matcher", "lexical"))
    # a row without extra_info.sample_id: found by its gold and extra_info (image_ids, task, program)
    results = scorer.score_many(list(texts), [(info or {}).get("sample_id") for info in extra_infos],
                                [t.answer for t in truths], think_tags=settings.options["think_tags"],
                                answer_tags=settings.options["answer_tags"],  # (the reasoning is no description)
                                infos=list(extra_infos))
    rows = []
    for truth, text, result in zip(truths, texts, results):
        fmt = float(check_format(text, think_tag=settings.think_tag, answer_tag=settings.answer_tag).ok)
        rows.append(Score({
            "score": (1.0 - settings.format_weight) * result.reward + settings.format_weight * fmt,
            "acc_score": result.reward,
            "correct": result.reward >= 1.0,
            "parse_failed": False,
            "applicable": result.applicable,
            "format": fmt,
            "reason": result.reason,
            "parsed": _json(result.details()) if result.applicable else "null",
            "answer_type": truth.answer_type,
        }))
    return rows
