"""Reward functions in TRL's calling convention (`GRPOTrainer(reward_funcs=[...])`).

TRL calls every reward function as

    reward_func(prompts=[...], completions=[...], completion_ids=[...], **columns)

where `completions` are strings (standard data sets) or lists of messages
``[{"role": "assistant", "content": str | [{"type": "text", "text": ...}]}]`` (conversational
ones; when TRL parses replies with a response template, as for Qwen3-style chat templates, the
reasoning is cut out into "reasoning_content" and is put back as a think block, see
`completions.completion_text`), and `columns` holds every other data set column as a list with one value per completion
(plus `trainer_state`, `log_extra`, `log_metric`). A function returns one float per completion,
or None where it does not apply (TRL turns None into NaN and leaves it out of the weighted sum).

The functions read the columns `veriscene export RUN --to trl` writes (see `truth`):
`ground_truth` (JSON text), else `answer` / `answer_type` / `choices`. An optional column
`model_image_size` declares the size of the image the model saw, for "pixel" box questions on
resized images: [width, height] or "WxH" per row, or the model's processor's rule as
`GroundTruth.score` and `veriscene eval` take it ("qwen2-vl", "qwen2-vl:min_pixels=N,max_pixels=N",
"config:/path/to/model", a function of the original (width, height)), applied to each row's
image size. `make_accuracy_reward(model_image_size=...)` / `make_iou_reward(...)` give it once
for the rows without the column's value.

| function          | value                                                         | None when            |
|-------------------|---------------------------------------------------------------|----------------------|
| `accuracy_reward` | `score_sample(...).score`: 1/0, set score, IoU for open boxes | free-form `text`     |
| `format_reward`   | 1.0 for exactly one think block then one answer block, else 0 | never                |
| `iou_reward`      | IoU of the answered box with the gold box (0 when unreadable) | not an open box task |
| `make_freeform_reward(RUN)` (`rewards.freeform`): eval's combined free-form score   | not free-form `text` |

Free-form rows (descriptions, region descriptions, comparison captions) are scored by the reward
`veriscene.rewards.freeform.make_freeform_reward(RUN)` makes (the run folder the data set was
exported from: its scene graphs): the F1 of truthfulness and helpfulness `veriscene eval` gives
descriptions. With `WeightedReward`, add it as a component: ``WeightedReward(weights={"accuracy":
1.0, "format": 0.1, "freeform": 1.0}, functions={"freeform": make_freeform_reward(RUN)})``; each
row then gets the accuracy or the free-form score, the other being None.

Weights (`WeightedReward`, or `GRPOConfig(reward_weights=...)` with separate functions): the
defaults are accuracy 1.0 and format 0.1, so following the format alone can never earn more
than a tenth of a correct answer while still shaping early training; `iou` defaults to 0
because `accuracy` already is the IoU for open box questions (use it alone for
grounding-only training, where its None on other rows keeps them out of the mean).

Unreadable completions (garbage, several candidate answers such as every option letter or every
number, an empty answer) score 0.0; they never raise.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from veriscene.answers.options import check_scoring_options
from veriscene.answers.rivals import RivalsLike
from veriscene.rewards.tags import check_format, check_tag_names
from veriscene.rewards.completions import check_completions, completion_text
from veriscene.rewards.truth import (
    as_reward,
    ground_truths_from_columns,
    load_vocabulary,
    model_size_of,
    model_sizes,
    safe_score,
)

RewardFunc = Callable[..., list[float | None]]
DEFAULT_WEIGHTS: dict[str, float] = {"accuracy": 1.0, "format": 0.1, "iou": 0.0}


def _texts(completions: Sequence[Any], think_tag: str = "think") -> list[str]:
    """Completion texts; reasoning a chat parser split off comes back as a `think_tag` block."""
    check_completions(completions)
    return [completion_text(c, think_tag) for c in completions]


def _think_tag(options: Mapping[str, Any]) -> str:
    """The tag reasoning is put back in (`completion_text`): one the answer reader drops."""
    tags = options.get("think_tags")
    return str(tags[0]) if tags else "think"


def _log(columns: Mapping[str, Any], name: str, values: list[float]) -> None:
    """Report a batch mean through TRL's `log_metric` when the trainer provides it."""
    log_metric = columns.get("log_metric")
    if callable(log_metric) and values:
        log_metric(name, sum(values) / len(values))


def make_accuracy_reward(vocabulary_file: RivalsLike = None, model_image_size: Any = None,
                         **options: Any) -> RewardFunc:
    """An accuracy reward with scoring options for `veriscene.answers.match_answer`
    (e.g. ``think_tags=("reasoning",)``, ``answer_tags=("final",)``, ``iou_threshold=0.7``).
    Options that change scoring make rewards differ from `veriscene eval` with default options.

    `vocabulary_file`: the run's `vocabulary.json` (or the run folder, its dict, a
    `Vocabulary`), read once here: the data set's words compete with a `str` gold answer of
    their kind, as `veriscene eval` does when it scores the run's samples. Without it only the
    built-in words do, and a reply naming several of the data set's objects may be credited.

    An option `match_answer` does not take (a misspelling: `iou_treshold`) or a value no reply
    could be scored with (`iou_threshold="0.7"`) is refused here: met per completion, it scored
    every completion 0 (`answers.options`).

    `model_image_size`: the size the model saw, or its processor's rule ("qwen2-vl", ...: see
    the module docstring), for rows whose `model_image_size` column gives none."""
    check_scoring_options(options, "make_accuracy_reward()")
    default_size = model_size_of(model_image_size, "make_accuracy_reward(model_image_size=...)")
    if vocabulary_file is not None:
        options["rivals"] = load_vocabulary(vocabulary_file, "make_accuracy_reward(vocabulary_file=...)")
    elif options.get("rivals") is not None:
        options["rivals"] = load_vocabulary(options["rivals"], "make_accuracy_reward(rivals=...)")

    def accuracy_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                        **columns: Any) -> list[float | None]:
        """Verifier score of each completion against its sample's gold answer (see module doc)."""
        texts = _texts(completions, _think_tag(options))
        truths = ground_truths_from_columns(len(texts), columns)
        if prompts is not None and not isinstance(prompts, (str, bytes)) and len(prompts) == len(texts):
            # ground truth written without its question: the prompt's text stands for it
            truths = [t.with_question(completion_text(p)) if t.question is None else t
                      for t, p in zip(truths, prompts)]
        seen = model_sizes(len(texts), columns, default_size)
        results = [safe_score(t, x, model_image_size=s, **options) for t, x, s in zip(truths, texts, seen)]
        _log(columns, "veriscene/parse_failed", [float(r.parse_failed) for r in results if as_reward(r) is not None])
        return [as_reward(r) for r in results]

    return accuracy_reward


accuracy_reward = make_accuracy_reward()


def make_format_reward(think_tag: str = "think", answer_tag: str = "answer", *,
                       require_think: bool = True) -> RewardFunc:
    """A format reward for other tag names (see `veriscene.rewards.tags.check_format`)."""
    check_tag_names(think_tag, answer_tag, require_think)

    def format_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                      **columns: Any) -> list[float | None]:
        """1.0 when a completion is exactly one think block followed by one answer block."""
        return [float(check_format(t, think_tag=think_tag, answer_tag=answer_tag,
                                   require_think=require_think).ok) for t in _texts(completions, think_tag)]

    return format_reward


format_reward = make_format_reward()


def make_iou_reward(model_image_size: Any = None, **options: Any) -> RewardFunc:
    """An IoU reward; `options` go to answer parsing (e.g. ``answer_tags=("final",)``), checked
    here as `make_accuracy_reward` checks its own, and `model_image_size` as it takes it."""
    check_scoring_options(options, "make_iou_reward()")
    default_size = model_size_of(model_image_size, "make_iou_reward(model_image_size=...)")

    def iou_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                   **columns: Any) -> list[float | None]:
        """IoU in [0, 1] of the answered box with the gold box, in the sample's box convention
        (rescaled from `model_image_size` for "pixel" boxes); None for other samples."""
        texts = _texts(completions, _think_tag(options))
        truths = ground_truths_from_columns(len(texts), columns)
        seen = model_sizes(len(texts), columns, default_size)
        out: list[float | None] = []
        for truth, text, size in zip(truths, texts, seen):
            out.append(as_reward(safe_score(truth, text, model_image_size=size, **options))
                       if truth.is_box else None)
        return out

    return iou_reward


iou_reward = make_iou_reward()


class WeightedReward:
    """A weighted sum of veriscene rewards as one TRL reward function.

        reward = sum(weight[k] * r_k for the components k whose r_k is not None)

    None when every weighted component is None. `weights` names components among "accuracy",
    "format", "iou" (defaults `DEFAULT_WEIGHTS`); `functions` may replace or add components
    (e.g. ``{"process": process_reward}``). The same result is obtained by passing the functions
    separately with ``GRPOConfig(reward_weights=[...])``, which also logs each one.

    `vocabulary_file`: the run's `vocabulary.json` (the export's `<stem>.vocabulary.json`), given
    to the accuracy component (`make_accuracy_reward(vocabulary_file=...)`), so the data set's
    words are rivals of a word answer as in `veriscene eval`. Without it (or an "accuracy" of
    `functions` made with it) the accuracy is the plain `accuracy_reward`'s, which knows the
    built-in words only: "There is an okapi. There is a tapir." earns it 1.0 for "okapi".
    """

    def __init__(self, weights: Mapping[str, float] | None = None,
                 functions: Mapping[str, RewardFunc] | None = None, *,
                 vocabulary_file: RivalsLike = None) -> None:
        for name, given, what in (("weights", weights, "{'accuracy': 1.0, 'format': 0.1}"),
                                  ("functions", functions, "{'process': process_reward}")):
            if given is not None and not isinstance(given, Mapping):
                raise TypeError(f"{name} must be a dict of component names and values (e.g. {what}), got {given!r}")
        for name, function in (functions or {}).items():
            if not callable(function):
                raise TypeError(f"functions[{name!r}] must be a reward function (called as TRL calls one), "
                                f"got {function!r}")
        if vocabulary_file is not None and "accuracy" in (functions or {}):
            raise ValueError("give vocabulary_file or an 'accuracy' function, not both: the function given is "
                             "used as it is (make it with make_accuracy_reward(vocabulary_file=...))")
        accuracy = accuracy_reward if vocabulary_file is None else make_accuracy_reward(vocabulary_file)
        self.functions: dict[str, RewardFunc] = {
            "accuracy": accuracy, "format": format_reward, "iou": iou_reward, **(functions or {})}
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        for name, weight in self.weights.items():
            if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not math.isfinite(weight):
                raise TypeError(f"weights[{name!r}] must be a number, got {weight!r}")
        unknown = sorted(set(self.weights) - set(self.functions))
        if unknown:
            raise KeyError(f"no reward function for {unknown}; known: {sorted(self.functions)}")
        self.__name__ = "veriscene_reward"  # TRL names reward columns after __name__

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                 **columns: Any) -> list[float | None]:
        check_completions(completions)
        n = len(completions)
        totals: list[float | None] = [None] * n
        for name, weight in self.weights.items():
            if weight == 0:
                continue
            values = self.functions[name](prompts=prompts, completions=completions, **columns)
            for i, v in enumerate(values):
                if v is not None:
                    totals[i] = (totals[i] or 0.0) + weight * float(v)
        return totals
