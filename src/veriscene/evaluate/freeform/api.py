"""`score_freeform`: score a file of free-form replies against a scene-graph file.

RESPONSES is JSONL, one reply per line: the text in "response" (or "reply", "output", "text",
"caption") and the image in "image_id" (or "image_ids": [...], or "images": [{"id": ...}]); an
"id" is kept when present. An evaluation run's results.jsonl works as is. Lines without a text or
an image id, or whose image has no scene graph, are reported in `rejected` with their line
number, never dropped silently.

Writes (with `out`) one JSON line per reply: id, image_id, helpfulness, truthfulness,
hallucinations, recall_by_kind and every claim with its verdict.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.evaluate.freeform.claims import Lexicon, RuleExtractor
from veriscene.evaluate.freeform.embed import LexicalMatcher, make_matcher
from veriscene.evaluate.freeform.score import (
    Canonicaliser,
    ReplyScore,
    SceneFacts,
    lexicon_from_scenes,
    score_claims,
)
from veriscene.evaluate.metrics import bootstrap_ci
from veriscene.scene.jsonl import read_scenes
from veriscene.scene.model import Scene

TEXT_FIELDS = ("response", "reply", "output", "text", "caption")


@dataclass
class FreeformReport:
    extractor: str
    matcher: str
    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, n_boot: int = 1000) -> dict[str, Any]:
        helpful = [r["helpfulness"] for r in self.records]
        truthful = [r["truthfulness"] for r in self.records if r["truthfulness"] is not None]
        return {
            "n": len(self.records), "extractor": self.extractor, "matcher": self.matcher,
            "helpfulness": float(np.mean(helpful)) if helpful else None,
            "helpfulness_ci": list(bootstrap_ci(helpful, n_boot=n_boot, name="helpfulness")) if helpful else None,
            "truthfulness": float(np.mean(truthful)) if truthful else None,
            "truthfulness_ci": list(bootstrap_ci(truthful, n_boot=n_boot, name="truthfulness")) if truthful else None,
            "no_claims": len(self.records) - len(truthful),
            "hallucinations": sum(len(r["hallucinations"]) for r in self.records),
            "rejected": len(self.rejected),
        }


def _load_scenes(scenes: str | os.PathLike[str] | Sequence[Any] | dict[str, Scene]) -> dict[str, Scene]:
    """image id -> Scene from scene files (a file, a folder, a glob pattern or a list of files: as
    `veriscene.read_scenes` reads them), scenes, or such a dict."""
    if isinstance(scenes, dict):
        return scenes
    items = scenes if isinstance(scenes, (str, os.PathLike)) else list(scenes)
    if isinstance(items, (str, os.PathLike)) or (items and all(isinstance(s, (str, os.PathLike)) for s in items)):
        return {s.image_id: s for s in read_scenes(items)}  # a file, a folder, a pattern or a list of files
    return {s.image_id: s for s in items}


def _extractor(kind: Any, lexicon: Lexicon, model: Any = None) -> Any:
    if kind == "rules":
        return RuleExtractor(lexicon)
    if kind == "llm":
        if model is None:
            raise ValueError("the llm claim extractor needs a model: --extractor-model openai:NAME --base-url URL")
        from veriscene.evaluate.adapters import load_model
        from veriscene.evaluate.freeform.llm_claims import LLMExtractor

        return LLMExtractor(model if not isinstance(model, (tuple, list)) else load_model(model[0], **model[1]))
    if hasattr(kind, "extract") or hasattr(kind, "extract_many"):
        return kind
    raise ValueError(f"unknown claim extractor {kind!r}; expected rules or llm")


def score_texts(items: Sequence[tuple[str, str]], scenes: Any, *, extractor: Any = "rules",
                matcher: str | LexicalMatcher = "auto", model: Any = None,
                lexicon: Lexicon | None = None) -> tuple[list[ReplyScore], str, str]:
    """Scores of (image_id, text) pairs; returns (scores, extractor name, matcher name).
    Every image id must have a scene graph (KeyError naming it otherwise)."""
    scene_map = _load_scenes(scenes)
    missing = sorted({i for i, _ in items if i not in scene_map})
    if missing:
        raise KeyError(f"no scene graph for image ids {missing[:5]}")
    lex = lexicon or lexicon_from_scenes(scene_map.values())
    ext = _extractor(extractor, lex, model)
    match = make_matcher(matcher)
    canon = Canonicaliser(lex, match)
    texts = [t for _, t in items]
    claim_lists = ext.extract_many(texts) if hasattr(ext, "extract_many") else [ext.extract(t) for t in texts]
    facts: dict[str, SceneFacts] = {}
    scores = []
    for (image_id, _), claims in zip(items, claim_lists):
        if image_id not in facts:
            facts[image_id] = SceneFacts(scene_map[image_id])
        scores.append(score_claims(claims or [], facts[image_id], canon))
    return scores, ext.name, match.name


def _read_responses(path: Path) -> tuple[list[tuple[int, dict[str, Any], str, str]], list[dict[str, Any]]]:
    items, rejected = [], []
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
            text = next((rec[f] for f in TEXT_FIELDS if isinstance(rec.get(f), str)), None)
            image = rec.get("image_id") or (rec.get("image_ids") or [None])[0] or \
                ((rec.get("images") or [{}])[0] or {}).get("id")
            if text is None or not image:
                what = "a text field " + "/".join(TEXT_FIELDS) if text is None else "field 'image_id'"
                rejected.append({"line": line_no, "id": rec.get("id"), "reason": f"missing {what}"})
                continue
            items.append((line_no, rec, str(image), text))
    return items, rejected


def score_freeform(responses: str | os.PathLike[str], scenes: Any, *, extractor: Any = "rules",
                   matcher: str | LexicalMatcher = "auto", model: Any = None,
                   out: str | os.PathLike[str] | None = None) -> FreeformReport:
    """Score every reply of a RESPONSES file against SCENES (see the module docstring)."""
    path = Path(responses)
    if not path.exists():
        raise FileNotFoundError(f"responses file {path} does not exist")
    items, rejected = _read_responses(path)
    scene_map = _load_scenes(scenes)
    usable = []
    for line_no, rec, image, text in items:
        if image in scene_map:
            usable.append((line_no, rec, image, text))
        else:
            rejected.append({"line": line_no, "id": rec.get("id"), "reason": f"no scene graph for image {image!r}"})
    scores, ext_name, match_name = score_texts([(i, t) for _, _, i, t in usable], scene_map, extractor=extractor,
                                               matcher=matcher, model=model)
    report = FreeformReport(extractor=ext_name, matcher=match_name, rejected=rejected)
    for (line_no, rec, image, _), score in zip(usable, scores):
        report.records.append({"id": rec.get("id", line_no), "image_id": image, **score.to_dict()})
    if out is not None:
        with open(out, "wb") as fh:
            fh.writelines(orjson.dumps(r) + b"\n" for r in report.records)
    return report


def score_records(records: Sequence[dict[str, Any]], samples_path: Path, *, scenes: Any = None,
                  matcher: str = "auto", out: Path | None = None) -> dict[str, Any]:
    """Free-form scores of an evaluation's `not_scored` records (used by `evaluate`)."""
    from veriscene.verify import resolve_inputs

    try:
        _, scenes_path = resolve_inputs(samples_path, scenes)
    except FileNotFoundError as exc:
        return {"skipped": f"free-form replies not scored: {exc}"}
    scene_map = _load_scenes(scenes_path)
    todo = [r for r in records if r["status"] == "not_scored" and r["image_ids"] and r["image_ids"][0] in scene_map]
    scores, ext_name, match_name = score_texts([(r["image_ids"][0], r["reply"]) for r in todo], scene_map,
                                               matcher=matcher)
    report = FreeformReport(extractor=ext_name, matcher=match_name)
    for r, s in zip(todo, scores):
        report.records.append({"id": r["id"], "task": r["task"], "image_id": r["image_ids"][0], **s.to_dict()})
    if out is not None:
        with open(out, "wb") as fh:
            fh.writelines(orjson.dumps(rec) + b"\n" for rec in report.records)
    return {**report.summary(), "unscorable": sum(r["status"] == "not_scored" for r in records) - len(todo)}
