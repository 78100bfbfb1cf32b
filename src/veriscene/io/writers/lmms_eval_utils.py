"""lmms-eval hooks of a benchmark exported by veriscene (`veriscene export RUN --to lmms_eval`).

This file is copied into the task folder as `utils.py`; the task YAML files name its functions
with `!function utils.<name>`. Replies are scored by `veriscene.answers.score_sample`, the
function `veriscene eval` and the RL rewards use, so lmms-eval reports the same scores veriscene
does. The environment running lmms-eval needs veriscene installed (`pip install veriscene`).

Each row of the task's Parquet files holds the prompt `veriscene eval` would send (`prompt`:
the question plus its answer-format instruction), the images (`images`, decoded by `datasets`
into PIL images), and what scoring reads (`answer`, `answer_type`, `choices`, `meta`, `question`,
`program`, `image_ids`). The run's
`vocabulary.json`, which the export copies into the task folder, makes the data set's words rivals
of a word answer, as `veriscene eval` scores them: a reply naming a cat and a dog is no answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from veriscene.answers import score_sample

_VOCABULARY = Path(__file__).with_name("vocabulary.json")
_RIVALS: dict[str, Any] = {"rivals": str(_VOCABULARY)} if _VOCABULARY.is_file() else {}


def doc_to_visual(doc: dict[str, Any]) -> list[Any]:
    """The sample's images, in order, as RGB PIL images."""
    return [image.convert("RGB") for image in doc["images"] if image is not None]


def doc_to_text(doc: dict[str, Any], lmms_eval_specific_kwargs: dict[str, Any] | None = None) -> str:
    """The prompt, with the task's (or the model's) `pre_prompt` and `post_prompt` around it."""
    kwargs = lmms_eval_specific_kwargs or {}
    return f"{kwargs.get('pre_prompt', '')}{doc['prompt']}{kwargs.get('post_prompt', '')}"


def doc_to_target(doc: dict[str, Any]) -> str:
    """The reference answer as text (the option letter for multiple choice)."""
    return str(doc["answer_text"])


def record(doc: dict[str, Any]) -> dict[str, Any]:
    """The sample record scoring reads, from a row: with its question, whose words are no answer
    ("The cube left of the blue sphere is red." answers red) and which says what a count counts,
    as `veriscene eval` and the reward functions read it; with its program, which gives the points
    a "which point" question offers (a reply naming another of them is wrong, not near the
    answer) and the points drawn on the image, and with its images, whose number reads "the last
    image"."""
    out = {
        "id": doc["id"],
        "answer": json.loads(doc["answer"]),
        "answer_type": doc["answer_type"],
        "choices": doc["choices"],
        "meta": json.loads(doc["meta"]),
    }
    if isinstance(doc.get("question"), str):
        out["question"] = doc["question"]
    if isinstance(doc.get("program"), str):
        out["program"] = json.loads(doc["program"])
    if isinstance(doc.get("image_ids"), list):
        out["images"] = [{"id": image_id} for image_id in doc["image_ids"]]
    return out


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """accuracy: 1 for an exact answer (boxes: IoU >= 0.5); score: partial credit (IoU of a box; a
    set's right items less its wrong ones over the gold's, at least 0: `answers.match.set_score`);
    parse_failure: 1 when the reply could not be read as the answer's type."""
    reply = results[0] if results else ""
    result = score_sample(str(reply), record(doc), **_RIVALS)  # the path is read once (cached)
    return {
        "accuracy": float(result.correct),
        "score": float(result.score),
        "parse_failure": float(result.parse_failed),
    }
