"""One sample's record of ``OUT/results.jsonl`` (its fields: `results`): made from the model's
reply (`make_record`, scored by `veriscene.answers.score_sample`), and, when a run resumes, the
earlier run's records that still answer this run's prompts, scored again (`kept_records`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from veriscene.answers import MatchResult, score_sample
from veriscene.evaluate.adapters.base import Completion
from veriscene.evaluate.model_frame import OPTION, score_in_model_frame
from veriscene.evaluate.prompts import Prompt, PromptSet


def program_steps(program: Any) -> int | None:
    """How many operations a sample's program makes, not counting `scene` (which only selects an
    image): 1 for "Is there a cup?", 5 or more for a multi-hop question. None without a program."""
    if not isinstance(program, list) or not program:
        return None
    return sum(1 for node in program if not (isinstance(node, Mapping) and node.get("op") == "scene"))


def make_record(sample: Mapping[str, Any], prompt: Prompt | None, completion: Completion,
                score_options: Mapping[str, Any]) -> dict[str, Any]:
    """The results record of one sample (see `veriscene.evaluate.results`)."""
    meta = sample.get("meta") or {}
    record: dict[str, Any] = {
        "id": sample["id"], "task": sample["task"], "family": sample["family"],
        "answer_type": sample["answer_type"], "mode": meta.get("mode", "mc" if sample.get("choices") else "qa"),
        "image_ids": [img.get("id") for img in sample["images"] if isinstance(img, Mapping)],
        "steps": program_steps(sample.get("program")), "images": len(sample["images"]),
        "prompt": prompt.text if prompt else None, "system": prompt.system if prompt else None,
        "reply": completion.text, "status": "error", "parsed": None, "parse_error": None,
        "score": None, "correct": None, "latency_s": completion.latency_s, "attempts": completion.attempts,
        "cached": completion.cached, "error": completion.error,
        "finish_reason": completion.info.get("finish_reason"),
    }
    if completion.info.get("reasoning"):  # the reasoning a server returned apart (reasoning_content)
        record["reasoning"] = completion.info["reasoning"]
    if not completion.ok:
        return record
    try:
        match = _score(completion.text, sample, score_options)
    except (ValueError, TypeError) as exc:
        record["error"] = f"cannot score this sample: {exc}"
        return record
    record["parsed"] = match.parsed
    if not match.applicable:
        record["status"] = "not_scored"
    elif match.parse_failed:
        record.update(status="parse_failed", parse_error=match.reason, score=0.0, correct=False)
    else:
        record.update(status="scored", score=float(match.score), correct=bool(match.correct))
    return record


def _score(reply: str, sample: Mapping[str, Any], score_options: Mapping[str, Any]) -> MatchResult:
    """`score_sample`, or with its coordinates read in the frame the model saw when the run
    gives `model_image_size` (held in the run's score options: `model_frame`)."""
    if OPTION not in score_options:
        return score_sample(reply, sample, **score_options)
    options = {k: v for k, v in score_options.items() if k != OPTION}
    rescaled = score_in_model_frame(reply, sample, score_options[OPTION], options)
    return rescaled if rescaled is not None else score_sample(reply, sample, **options)


def kept_records(previous: Mapping[str, dict[str, Any]], chosen: Sequence[Mapping[str, Any]],
                 prompt_set: PromptSet, score_options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The records of an earlier run still valid for this one: a reply to the prompt this run
    sends (another prompt set or system text: asked again), scored again against the sample as
    it is now, with this release's parser and these score options (never an old score kept)."""
    kept: dict[str, dict[str, Any]] = {}
    for sample in chosen:
        record = previous.get(sample["id"])
        if record is None:
            continue
        if record["status"] == "error":
            kept[sample["id"]] = record  # the run asks it again
            continue
        if (record.get("prompt"), record.get("system")) != (prompt_set.text(sample), prompt_set.system):
            continue
        fresh = make_record(sample, None, Completion(key=sample["id"], text=record.get("reply") or ""),
                            score_options)
        for key in ("prompt", "system", "latency_s", "attempts", "cached", "finish_reason"):
            fresh[key] = record.get(key)
        kept[sample["id"]] = fresh
    return kept
