"""A RESPONSES file read for `api.score_freeform`: its replies (the text and image fields it
may use, the lines an evaluation scored by program left out, bad lines rejected with their line
number), the samples they answer (a region description's region), and the scene files of the run
they belong to when none are given; the arguments checked before any file is read."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.options import check_path
from veriscene.evaluate.freeform.scorer import FreeformItem, sample_item
from veriscene.option_names import option
from veriscene.scene.model import Scene

TEXT_FIELDS = ("response", "reply", "output", "text", "caption")
QUESTION_FIELDS = ("question", "prompt")
COMPARISON_TASK = "multi.compare_caption."  # a line of this task, without its sample, is a comparison


def _image_ids(rec: dict[str, Any]) -> list[str]:
    """A response line's image ids, in order: "image_ids", else "image_id", else "images"."""
    if isinstance(rec.get("image_ids"), list):
        return [str(i) for i in rec["image_ids"] if i]
    if rec.get("image_id"):
        return [str(rec["image_id"])]
    images = rec.get("images")
    return [str(i["id"]) for i in images if isinstance(i, dict) and i.get("id")] if isinstance(images, list) else []


# the statuses of an evaluation's results.jsonl whose reply is an answer `eval` scored by program
PROGRAM_SCORED = ("scored", "parse_failed")


def read_responses(path: Path) -> tuple[list[tuple[int, dict[str, Any], list[str], str]], list[dict[str, Any]], int]:
    """(replies to score, rejected lines, lines that are answers an evaluation scored by program)."""
    items, rejected, by_program = [], [], 0
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                rejected.append({"line": line_no, "reason": f"not valid JSON ({exc})"})
                continue
            if not isinstance(rec, dict):
                rejected.append({"line": line_no, "reason": "expected a JSON object"})
                continue
            if rec.get("status") == "error":
                rejected.append({"line": line_no, "id": rec.get("id"), "reason": "the request failed: no reply"})
                continue
            if rec.get("status") in PROGRAM_SCORED:  # an answer, not a description: scoring it would count its "claims"
                by_program += 1
                continue
            text = next((rec[f] for f in TEXT_FIELDS if isinstance(rec.get(f), str)), None)
            images = _image_ids(rec)
            if text is None or not (images or isinstance(rec.get("id"), str)):
                what = "a text field " + "/".join(TEXT_FIELDS) if text is None else "field 'image_id'"
                rejected.append({"line": line_no, "id": rec.get("id"), "reason": f"missing {what}"})
                continue
            items.append((line_no, rec, images, text))  # no images: its sample's (`with_sample_images`)
    return items, rejected, by_program


def samples_by_id(samples: str | os.PathLike[str] | None, responses: Path,
                   items: Sequence[tuple[int, dict[str, Any], list[str], str]]) -> dict[str, dict[str, Any]]:
    """Samples by id from `samples`, else from the evaluation run the responses file belongs to
    (its run.json names the samples); {} when there are none. A ValueError, naming them, when
    a reply's id names two samples of other answers there (two runs' samples merged into one
    file: `veriscene.sample_ids`): which of them the reply answers cannot be told."""
    from veriscene.evaluate.inputs import load_samples
    from veriscene.sample_ids import ID_NOTE, conflicts_message

    if samples is None:
        run_file = responses.parent / "run.json"
        if not run_file.exists():
            return {}
        samples = orjson.loads(run_file.read_bytes()).get("samples")
        if not samples or not Path(samples).exists():
            return {}
    asked = {rec.get("id") for _, rec, _, _ in items}
    sample_set = load_samples(samples, ids=asked)  # the samples replied to only, not the whole run
    named = [c for c in sample_set.conflicts if c.id in asked]
    if named:
        lines = [str(line_no) for line_no, rec, _, _ in items if rec.get("id") in {c.id for c in named}]
        raise ValueError(f"{sample_set.path}: {conflicts_message(named)}, and the replies of {responses} on lines "
                         f"{', '.join(lines[:5])}{' ...' if len(lines) > 5 else ''} answer them: which sample each "
                         f"answers cannot be told ({ID_NOTE}). Give the samples file of the one run the replies "
                         "answer (--samples FILE)")
    return {s["id"]: s for s in sample_set.records}


def with_sample_images(items: list[tuple[int, dict[str, Any], list[str], str]],
                       samples: dict[str, dict[str, Any]], rejected: list[dict[str, Any]],
                       samples_named: bool) -> list[tuple[int, dict[str, Any], list[str], str]]:
    """`items` whose lines name no image (`{"id", "reply"}`, as `eval --model replay:FILE` reads
    them) given their sample's images; a line whose id names no sample is rejected, saying why."""
    kept = []
    for line_no, rec, images, text in items:
        if not images:
            sample = samples.get(rec["id"])
            if sample is None:
                where = ("no sample of that id in the samples file" if samples_named else
                         "or give the samples its id names: --samples FILE")
                rejected.append({"line": line_no, "id": rec["id"], "reason": f"missing field 'image_id' ({where})"})
                continue
            images = [str(i["id"]) for i in sample["images"] if isinstance(i, dict) and i.get("id")]
        kept.append((line_no, rec, images, text))
    return kept


def response_item(rec: dict[str, Any], images: list[str], text: str, samples: dict[str, dict[str, Any]],
                   scene_map: dict[str, Scene]) -> FreeformItem | str:
    """The item to score for a response line, or why it cannot be scored."""
    unknown = [i for i in images if i not in scene_map]
    if unknown:
        return f"no scene graph for image {unknown[0]!r}"
    sample_id = rec.get("id")
    sample = samples.get(sample_id) if isinstance(sample_id, str) else None
    if sample is None and str(rec.get("task", "")).startswith("region."):
        return "a region description is scored against its region: give the samples file (--samples FILE)"
    question = next((rec[f] for f in QUESTION_FIELDS if isinstance(rec.get(f), str)), "")
    item = sample_item(images, text, question, sample, scene_map)
    if sample is None and not isinstance(item, str) and str(rec.get("task", "")).startswith(COMPARISON_TASK):
        return replace(item, comparison=True)  # (its program unread: the task says it compares its images)
    return item


def run_scenes(samples: str | os.PathLike[str] | None, responses: Path) -> list[Path]:
    """The scene files of the run whose samples the replies answer (`samples`, else the samples
    an evaluation run's run.json names), from that run's manifest; FileNotFoundError, saying to
    give them, when there is no such run."""
    from veriscene.verify import resolve_inputs

    if samples is None:
        run_file = responses.parent / "run.json"
        if run_file.exists():
            samples = orjson.loads(run_file.read_bytes()).get("samples")
    if not samples:
        raise FileNotFoundError(f"no scene graphs given for {responses}, and it is no evaluation run's results file "
                                "(no run.json beside it naming the samples): give them with "
                                f"{option('scenes=', '--scenes FILE')}")
    try:
        return resolve_inputs(samples, None)[1]
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{exc}; give the scene graphs of {responses} with "
                                f"{option('scenes=', '--scenes FILE')}") from None


def check_arguments(responses: Any, out: Any, samples: Any, extractor: Any, matcher: Any) -> None:
    """Refuse, before any file is read, a path that is none (`out=3` wrote to file descriptor 3),
    an `out` that cannot be the file written, and an extractor or matcher name that is none of
    those known."""
    check_path("responses", responses, "the responses file (JSONL of id and reply)")
    if out is not None:
        from veriscene.io.writers.files import check_file

        check_path("out", out, "the file to write the scores to")
        check_file("out", out, "freeform.jsonl")  # a folder (`scores/` too) or below a file: before any reply
    if samples is not None:
        check_path("samples", samples, "the samples file the replies answer")
    if isinstance(extractor, str) and extractor not in ("rules", "llm"):
        raise ValueError(f"unknown claim extractor {extractor!r}; expected rules or llm")
    if isinstance(matcher, str) and matcher not in ("auto", "minilm", "lexical"):
        raise ValueError(f"unknown matcher {matcher!r}; expected auto, minilm or lexical")


