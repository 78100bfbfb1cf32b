"""`score_freeform`: score a file of free-form replies against a scene-graph file.

RESPONSES is JSONL, one reply per line: the text in "response" (or "reply", "output", "text",
"caption") and the images in "image_ids": [...] (or "image_id", or "images": [{"id": ...}]); an
"id" is kept when present. An evaluation run's results.jsonl works as is: its replies `eval`
scored by program (status "scored" or "parse_failed": answers, not descriptions) are left out and
counted in `scored_by_program`, its descriptions ("not_scored") are scored. A reply is checked
against all its images (see `score`); of a reply with reasoning, only its answer is (its
`<think>` block left out, the `<answer>` block's content when there is one). The words of its
question ("question", else "prompt") that are not in the scene vocabulary are not claims ("Give a
detailed description" does not make "description" a hallucination).

A region description is scored against the object in its region, which the sample's program
names: the samples are read from `samples` (for an evaluation's results.jsonl, by default, from
the run's run.json); a samples file in which a reply's id names two samples of other answers (two
runs' samples merged: `veriscene.sample_ids`) is refused, naming them. Lines without a text or an
image id, whose image has no scene graph, or region descriptions whose region cannot be found,
are reported in `rejected` with their line number, never dropped silently. An image id two scene
files give is scored against the first file's scene, as `generate` made the samples from it; the
later ones are reported in `repeated` (`scene_map`).

Writes (with `out`) one JSON line per reply: id, task (the line's, or its sample's, when known),
image_id (the first), image_ids, helpfulness, truthfulness, combined (their F1, `score`),
hallucinations, recall_by_kind and every claim with its verdict. The summary gives the mean of
each with its interval: helpfulness and combined over every reply (a reply without claims counts
0 in combined), truthfulness over the `truthfulness_n` replies stating a checkable claim (the
`no_claims` others are left out of it); and the scores per task too (`by_task`) when replies name
one. Read combined where one figure must rank replies: helpfulness alone is raised by listing
everything, truthfulness alone by saying nothing of what is hard.

This module holds the public functions and their report (`FreeformReport`, `FreeformTally`); a
RESPONSES file is read by `responses`, and replies are scored a list at a time by
`scorer.TextScorer`.
"""

from __future__ import annotations

import os
import warnings
from array import array
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.evaluate.freeform.embed import LexicalMatcher
from veriscene.evaluate.freeform.lexicon import Lexicon, add_scene_words
from veriscene.evaluate.freeform.located import LocatedScenes
from veriscene.evaluate.freeform.responses import (  # noqa: F401  (the fields and PROGRAM_SCORED: re-exported)
    PROGRAM_SCORED,
    QUESTION_FIELDS,
    TEXT_FIELDS,
    check_arguments,
    read_responses,
    response_item,
    run_scenes,
    samples_by_id,
    with_sample_images,
)
from veriscene.evaluate.freeform.scene_map import ADVICE, RepeatedScene, ScenesArg, load_scene_map
from veriscene.evaluate.freeform.score import ReplyScore, combined_score
from veriscene.evaluate.freeform.scorer import (  # noqa: F401  (region_focus: re-exported)
    FreeformItem,
    TextScorer,
    as_item,
    region_focus,
    sample_item,
)
from veriscene.evaluate.cache import CACHE_FILE
from veriscene.evaluate.metrics import bootstrap_ci
from veriscene.evaluate.replied import Replies
from veriscene.option_names import option as named  # (check_cache's `option` is the CLI's name)
from veriscene.scene.model import Scene


class FreeformTally:
    """What the summary needs of scored replies, kept as they pass: each one's helpfulness, its
    truthfulness when it has one (8 bytes each: the confidence intervals resample them all), the
    count of hallucinations, and of a reply with a "task" (its generator), that task (4 bytes
    beside each value), for the scores per generator."""

    def __init__(self) -> None:
        self.helpful, self.truthful = array("d"), array("d")
        self.combined = array("d")  # of every reply, as helpful (a reply without claims: 0)
        self.hallucinations = 0
        self.tasks: dict[str, int] = {}  # task -> its index, first seen first
        self.helpful_task, self.truthful_task = array("i"), array("i")  # the task of each value (-1: none)
        self.task_hallucinations: dict[int, int] = {}

    def add(self, record: dict[str, Any]) -> None:
        task = record.get("task")
        k = self.tasks.setdefault(task, len(self.tasks)) if isinstance(task, str) else -1
        self.helpful.append(record["helpfulness"])
        self.combined.append(record.get("combined", combined_score(record["helpfulness"], record["truthfulness"])))
        self.helpful_task.append(k)
        if record["truthfulness"] is not None:
            self.truthful.append(record["truthfulness"])
            self.truthful_task.append(k)
        self.hallucinations += len(record["hallucinations"])
        if k >= 0:
            self.task_hallucinations[k] = self.task_hallucinations.get(k, 0) + len(record["hallucinations"])

    def by_task(self, n_boot: int) -> dict[str, dict[str, Any]]:
        """Per task (sorted), the figures of the summary: n, helpfulness and truthfulness with
        their intervals, replies without claims, hallucinations."""
        helpful_task = np.frombuffer(self.helpful_task, dtype=np.int32)
        truthful_task = np.frombuffer(self.truthful_task, dtype=np.int32)
        helpful = np.frombuffer(self.helpful, dtype=np.float64)
        truthful = np.frombuffer(self.truthful, dtype=np.float64)
        combined = np.frombuffer(self.combined, dtype=np.float64)
        out = {}
        for task in sorted(self.tasks):
            k = self.tasks[task]
            out[task] = {**_means(helpful[helpful_task == k], truthful[truthful_task == k], n_boot, f":{task}",
                                  combined[helpful_task == k]),
                         "hallucinations": self.task_hallucinations.get(k, 0)}
        return out


def _means(helpful: np.ndarray, truthful: np.ndarray, n_boot: int, name: str = "",
           combined: np.ndarray | None = None) -> dict[str, Any]:
    """n, the mean helpfulness, truthfulness and combined score with their bootstrap intervals,
    the replies the truthfulness is the mean of (`truthfulness_n`) and those without claims
    (`no_claims`: left out of truthfulness, counted 0 in the combined score)."""
    combined = np.zeros(0) if combined is None else combined
    return {
        "n": len(helpful),
        "helpfulness": float(np.mean(helpful)) if len(helpful) else None,
        "helpfulness_ci": list(bootstrap_ci(helpful, n_boot=n_boot, name=f"helpfulness{name}")) if len(helpful)
        else None,
        "truthfulness": float(np.mean(truthful)) if len(truthful) else None,
        "truthfulness_ci": (list(bootstrap_ci(truthful, n_boot=n_boot, name=f"truthfulness{name}")) if len(truthful)
                            else None),
        "truthfulness_n": len(truthful),
        "no_claims": len(helpful) - len(truthful),
        "combined": float(np.mean(combined)) if len(combined) else None,
        "combined_ci": list(bootstrap_ci(combined, n_boot=n_boot, name=f"combined{name}")) if len(combined) else None,
    }


@dataclass
class FreeformReport:
    extractor: str
    matcher: str
    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # lines of an evaluation's results.jsonl that are answers, not descriptions (None: not a file's replies)
    scored_by_program: int | None = None
    # scenes left out for an image id an earlier scene file gave (`scene_map.load_scene_map`)
    repeated: list[RepeatedScene] = field(default_factory=list)
    rejected_scenes: list[str] = field(default_factory=list)  # scene lines not read: file, line, field: reason
    # the llm extractor's requests through the request cache: {"sent": n, "from_cache": n} (None: no cache)
    extractor_requests: dict[str, int] | None = None
    extractor_cache: str | None = None  # that cache's file (None: no cache)

    def summary(self, n_boot: int = 1000, tally: FreeformTally | None = None) -> dict[str, Any]:
        """The summary of `records`, or of the records `tally` counted (none kept in `records`)."""
        if tally is None:
            tally = FreeformTally()
            for record in self.records:
                tally.add(record)
        helpful = np.frombuffer(tally.helpful, dtype=np.float64)
        truthful = np.frombuffer(tally.truthful, dtype=np.float64)
        combined = np.frombuffer(tally.combined, dtype=np.float64)
        left_out = {} if self.scored_by_program is None else {"scored_by_program": self.scored_by_program}
        if self.repeated:
            left_out["repeated_scenes"] = len(self.repeated)
        if self.rejected_scenes:
            left_out["rejected_scenes"] = len(self.rejected_scenes)
        asked = {} if self.extractor_requests is None else {"extractor_requests": self.extractor_requests,
                                                            "extractor_cache": self.extractor_cache}
        means = _means(helpful, truthful, n_boot, combined=combined)
        return {
            "n": means.pop("n"), "extractor": self.extractor, "matcher": self.matcher, **means,
            "hallucinations": tally.hallucinations,
            "rejected": len(self.rejected),
            **left_out, **asked,
            **({"by_task": tally.by_task(n_boot)} if tally.tasks else {}),
        }


def _load_scenes(scenes: ScenesArg) -> dict[str, Scene]:
    """image id -> Scene (`load_scene_map`: the first scene of an id), a repeated id warned of."""
    scene_map, repeated = load_scene_map(scenes)
    if repeated:
        more = f" (and {len(repeated) - 1} more such ids)" if len(repeated) > 1 else ""
        warnings.warn(f"{repeated[0].message()}{more}; {ADVICE}", stacklevel=3)
    return scene_map


def score_texts(items: Sequence[FreeformItem | tuple[str | Sequence[str], str]], scenes: Any, *,
                extractor: Any = "rules", matcher: str | LexicalMatcher = "auto", model: Any = None,
                lexicon: Lexicon | None = None) -> tuple[list[ReplyScore], str, str]:
    """Scores of `FreeformItem`s or (image id or image ids, text) pairs; returns (scores, extractor
    name, matcher name). Every image id must have a scene graph (KeyError naming it otherwise)."""
    if isinstance(items, (str, bytes)):  # else scored letter by letter
        raise TypeError(f"items must be a list of FreeformItems or (image id, text) pairs, got the text {items!r}")
    todo = [as_item(x) for x in items]  # before the scenes are read: a bad item is said at once
    scene_map = _load_scenes(scenes)
    missing = sorted({i for x in todo for i in x.image_ids if i not in scene_map})
    if missing:
        raise KeyError(f"no scene graph for image ids {missing[:5]}")
    empty = [k for k, x in enumerate(todo) if not x.image_ids]
    if empty:
        raise ValueError(f"items {empty[:5]} name no image")
    return TextScorer(scene_map, extractor, matcher, model, lexicon).score(todo, scene_map)


def score_freeform(responses: str | os.PathLike[str], scenes: Any = None, *, extractor: Any = "rules",
                   freeform_matcher: str | LexicalMatcher | None = None,
                   matcher: str | LexicalMatcher | None = None, model: Any = None,
                   out: str | os.PathLike[str] | None = None,
                   samples: str | os.PathLike[str] | None = None,
                   cache: bool | str | os.PathLike[str] = True) -> FreeformReport:
    """Score every reply of a RESPONSES file against SCENES (see the module docstring). Without
    `scenes`, the scene files of the run whose samples the replies answer (`samples`, or those an
    evaluation run's run.json names), as its manifest records them. The llm extractor's `model`
    (a Model) is asked through the request cache `cache` (`cached_model`): True, requests.sqlite
    beside RESPONSES (an evaluation run's own, for its results.jsonl); a path; False, none. A
    reply's claims once extracted are not asked again; the summary counts "extractor_requests".
    `freeform_matcher`: "auto" (the default), "minilm", "lexical" or a matcher, as
    `evaluate(freeform_matcher=)` takes it; `matcher` is its earlier name, still read."""
    from veriscene.evaluate.run_checks import alias_value

    matcher, _ = alias_value("freeform_matcher", freeform_matcher, "matcher", matcher, "auto")
    check_arguments(responses, out, samples, extractor, matcher)
    check_cache(extractor, cache)
    path = Path(responses)
    if not path.exists():
        raise FileNotFoundError(f"responses file {path} does not exist")
    items, rejected, by_program = read_responses(path)
    bad_scenes: list[str] = []
    if isinstance(scenes, Iterable) and not isinstance(scenes, (str, os.PathLike, dict)):
        scenes = list(scenes)  # (read twice when a region's scenes are read again: `_add_region_scenes`)
    files = scenes if scenes is not None else run_scenes(samples, path)
    by_id = samples_by_id(samples, path, items)
    items = with_sample_images(items, by_id, rejected, samples_named=samples is not None or bool(by_id))
    scene_map, repeated, lexicon = _replied_scenes(files, {i for _, _, images, _ in items for i in images}, bad_scenes)
    _add_region_scenes(scene_map, files, [by_id.get(rec["id"]) if isinstance(rec.get("id"), str) else None
                                          for _, rec, _, _ in items])
    usable: list[tuple[int, dict[str, Any], FreeformItem]] = []
    for line_no, rec, images, text in items:
        item = response_item(rec, images, text, by_id, scene_map)
        if isinstance(item, str):
            rejected.append({"line": line_no, "id": rec.get("id"), "reason": item})
        else:
            usable.append((line_no, rec, item))
    asked = extractor_cache(extractor, model, cache, path.parent / CACHE_FILE)
    try:
        scores, ext_name, match_name = score_texts([x for _, _, x in usable], scene_map, extractor=extractor,
                                                   matcher=matcher, model=asked, lexicon=lexicon)
    finally:
        if asked is not model:
            asked.close()  # the cache (the model is the caller's)
    report = FreeformReport(extractor=ext_name, matcher=match_name, rejected=rejected, scored_by_program=by_program,
                            repeated=repeated, rejected_scenes=bad_scenes,
                            extractor_requests=asked.counts() if asked is not model else None,
                            extractor_cache=str(asked.cache.path) if asked is not model else None)
    for (line_no, rec, item), score in zip(usable, scores):
        if not score.extracted:  # a failed extraction is no reply without claims: never a helpfulness of 0
            why = f": {score.unread}" if score.unread else ""
            report.rejected.append({"line": line_no, "id": rec.get("id"),
                                    "reason": f"the claim extractor gave no readable answer{why}"})
            continue
        # the generator, as eval's freeform.jsonl gives it: the line's own, else its sample's
        sample = by_id.get(rec["id"]) if isinstance(rec.get("id"), str) else None
        task = rec.get("task") if isinstance(rec.get("task"), str) else (sample or {}).get("task")
        report.records.append({"id": rec.get("id", line_no), **({"task": task} if isinstance(task, str) else {}),
                               "image_id": item.image_ids[0], "image_ids": list(item.image_ids), **score.to_dict()})
    if out is not None:
        _write_records(Path(out), report.records)
    return report


def _replied_scenes(scenes: ScenesArg, image_ids: set[str],
                    bad_scenes: list[str]) -> tuple[dict[str, Scene], list[RepeatedScene], Lexicon]:
    """(the scenes of these image ids, the scenes left out as repeats, the vocabulary of every
    scene read: `lexicon_from_scenes` of them all): the other scenes are read, not held, so memory
    grows with the replies, not with the scene files."""
    lexicon = Lexicon()
    scene_map, repeated = load_scene_map(scenes, bad_scenes, keep=image_ids,
                                         each=lambda scene: add_scene_words(lexicon, scene))
    return scene_map, repeated, lexicon


def _add_region_scenes(scene_map: dict[str, Scene], scenes: ScenesArg,
                       samples: Sequence[dict[str, Any] | None]) -> None:
    """Add the scenes a region description's program runs on (`region_focus`: all of its
    sample's images) that the replies do not name, read again from `scenes` (only when some are
    missing: a reply names its sample's images)."""
    wanted = _region_images(samples)
    if wanted - scene_map.keys() and not isinstance(scenes, dict):
        found, _ = load_scene_map(scenes, [], keep=wanted - scene_map.keys())
        scene_map.update(found)


def _region_images(samples: Sequence[dict[str, Any] | None]) -> set[str]:
    """The images of the samples whose program `region_focus` runs (all of each one's images)."""
    return {img["id"] for s in samples if s is not None and _region_focus_needed(s)
            for img in s.get("images") or () if isinstance(img, dict) and isinstance(img.get("id"), str)}


def _region_focus_needed(sample: dict[str, Any]) -> bool:
    """Whether `region_focus` runs the sample's program (it describes an object of a region)."""
    program = sample.get("program") or []
    return isinstance(program, list) and any(isinstance(n, dict) and n.get("op") == "describe_object"
                                             for n in program)


def _write_records(out: Path, records: Sequence[dict[str, Any]]) -> None:
    """One JSON line a record into `out`, whole or not at all (`io.writers.files.written_whole`): a
    write failing or stopped part-way leaves an earlier file there as it was."""
    from veriscene.io.writers.files import written_whole

    with written_whole(out) as tmp, open(tmp, "wb") as fh:
        fh.writelines(orjson.dumps(r) + b"\n" for r in records)


EXTRACTORS = ("rules", "llm")  # the claim extractors by name (`scorer._extractor`)


def check_cache(extractor: Any, cache: Any, *, option: str = "--cache", python: str = "cache") -> None:
    """Refuse, before any file is read, a `cache` that is not True, False or a path (TypeError),
    and a path with an extractor other than "llm" (ValueError): only the llm extractor's model is
    asked through the request cache (`extractor_cache`), so the file would be neither made nor read,
    and said nowhere. True (the default) and False are taken with any extractor (nothing to turn
    on or off). `score_freeform` and the score-freeform command (its --cache FILE) check here, and
    eval's --extractor-cache FILE (`option`, `python`: the option and the argument the message names):
    one message for the command and its function."""
    if not isinstance(cache, (bool, str, os.PathLike)):
        raise TypeError(f"{python} must be True, False or the path of the request cache file, got {cache!r}")
    if isinstance(cache, bool) or extractor == "llm":
        return
    what = (f"the {extractor} extractor asks no model" if isinstance(extractor, str)
            else f"an extractor of one's own ({type(extractor).__name__}) is not asked through it")
    raise ValueError(named(
        f"{python}={os.fspath(cache)!r} is the request cache of extractor='llm' (its claim extractions); {what}: "
        f"give extractor='llm' with it, or leave {python} out (or give {python}=False)",
        f"{option} is the request cache of --extractor llm (its claim extractions); {what}: give --extractor llm "
        f"with it, or leave {option} out"))


def extractor_cache(extractor: Any, model: Any, cache: bool | str | os.PathLike[str] | None, default: Path) -> Any:
    """The llm extractor's `model` asked through the request cache (`cached_model.CachedModel`:
    `default` for `cache=True`, or the path given), or `model` as it is (no cache, another
    extractor, or a model spec rather than a Model)."""
    from veriscene.evaluate.cached_model import cached

    if extractor != "llm" or not cache:
        return model
    return cached(model, default if cache is True else Path(cache))


def extractor_model(extractor: Any, model: Any, base_url: str | None, *, url_option: str = "--base-url",
                    python: str = "model=load_model('openai:NAME', base_url=URL)",
                    api_key_env: str | None = None) -> Any:
    """The model the claim extractor `extractor` asks, checked before any reply is scored: for
    "llm", `model` ("openai:NAME", loaded with `base_url` and the API key of the environment
    variable `api_key_env`, OPENAI_API_KEY by default; or a Model); None for "rules" (a model
    given with it is refused: it would go unused) and for an extractor object of one's own. Used
    by `score-freeform` and by `eval` (`evaluate(extractor=, extractor_model=)`); `url_option`
    names the option of the server, `python` the parameters, in the messages."""
    from veriscene.evaluate.adapters import ModelConfigError, load_model

    if isinstance(extractor, str) and extractor not in EXTRACTORS:
        raise ValueError(f"unknown claim extractor {extractor!r}; expected {' or '.join(EXTRACTORS)}")
    if not isinstance(extractor, str) and not hasattr(extractor, "extract") and not hasattr(extractor, "extract_many"):
        raise TypeError(f"extractor must be 'rules', 'llm' or an object with extract(text) or extract_many(texts), "
                        f"got {extractor!r}")
    if extractor != "llm":
        if model is not None and extractor == "rules":
            raise ValueError(named(f"a model is for extractor='llm': give both (extractor='llm', {python}), or "
                                   "neither for the rules",
                                   "--extractor-model is the model of --extractor llm: give both, or neither for "
                                   "the rules"))
        return None
    if model is None:
        raise ValueError(named(f"extractor='llm' needs its model: {python}",
                               f"--extractor llm needs --extractor-model openai:NAME and {url_option} URL"))
    if isinstance(model, str) and model.startswith("openai:") and not base_url:
        raise ModelConfigError(named(f"the extractor's model {model} needs its server's URL ({python}; e.g. "
                                     "http://localhost:8000/v1)",
                                     f"--extractor-model {model} needs its server: {url_option} URL, e.g. "
                                     "http://localhost:8000/v1"))
    keyed = isinstance(model, str) and model.startswith("openai:") and api_key_env is not None
    return load_model(model, base_url=base_url, **({"api_key_env": api_key_env} if keyed else {}))


def score_records(records: Sequence[dict[str, Any]], samples_path: Path, *, scenes: Any = None,
                  matcher: str = "auto", out: Path | None = None, extractor: Any = "rules",
                  model: Any = None) -> dict[str, Any]:
    """Free-form scores of an evaluation's `not_scored` records: each against all its images, a
    region description against the object in its region."""
    from veriscene.evaluate.replied import ListedReplies

    described = [r for r in records if r["status"] == "not_scored"]
    replied = {i for r in described for i in r["image_ids"] or ()}
    return score_described(ListedReplies(described, samples_path), replied, samples_path, scenes=scenes,
                           matcher=matcher, out=out, extractor=extractor, model=model)


def score_described(described: Replies, replied: set[str], samples_path: Path, *, scenes: Any = None,
                    matcher: str = "auto", out: Path | None = None, extractor: Any = "rules",
                    model: Any = None) -> dict[str, Any]:
    """`score_records` of `described` (`not_scored` records, each with its sample), scored a
    block at a time and written to `out` line by line (whole or not at all); `replied`: the image
    ids of them all (where their scenes start is found first, with the vocabulary of every scene:
    `located.LocatedScenes`; a block's scenes are read again for it, not all held). Used by
    `evaluate`, which reads the records back from its results file (`replied.RepliedRecords`).
    `extractor` and `model` as `score_freeform` takes them; a reply whose claims the extractor
    could not read is counted in "unread" (with the first reasons in "unread_examples"), not
    scored: neither a truthfulness of 1 nor a helpfulness of 0."""
    from veriscene.io.writers.files import written_whole
    from veriscene.verify import resolve_inputs

    try:
        _, scenes_path = resolve_inputs(samples_path, scenes)
    except FileNotFoundError as exc:
        return {"skipped": f"free-form replies not scored: {exc}"}
    bad_scenes: list[str] = []
    lexicon = Lexicon()  # of every scene read, as `_replied_scenes` makes it
    located = LocatedScenes(scenes_path, replied, bad_scenes, lambda scene: add_scene_words(lexicon, scene))
    scorer = TextScorer({}, extractor, matcher=matcher, model=model, lexicon=lexicon)
    tally = FreeformTally()
    scorable = 0
    unread: list[str] = []  # the ids (and reasons) of replies whose claims could not be read
    with ExitStack() as files:  # (the file closed, then put in place)
        files.callback(located.close)
        fh = files.enter_context(open(files.enter_context(written_whole(out)), "wb")) if out is not None else None
        for block in described.blocks():
            # the block's scenes only (`located`: the scenes `_replied_scenes` would hold), then
            # those its region descriptions' programs run on that the replies do not name
            scene_map = located.find(i for r, _ in block for i in r["image_ids"] or ())
            pending = [(r, s) for r, s in block if r["image_ids"] and all(i in scene_map for i in r["image_ids"])]
            scene_map.update(located.find(_region_images([s for _, s in pending]) - scene_map.keys(), search=True))
            todo: list[tuple[dict[str, Any], FreeformItem]] = []
            for r, sample in pending:
                item = sample_item(r["image_ids"], r["reply"] or "", r.get("prompt") or "", sample, scene_map)
                if not isinstance(item, str):
                    todo.append((r, item))
            scores, _, _ = scorer.score([x for _, x in todo], scene_map)
            for (r, _), score in zip(todo, scores):
                if not score.extracted:  # (the llm extractor's answer unreadable: as score_freeform skips it)
                    unread.append(f"{r['id']}: {score.unread or 'the claim extractor gave no readable answer'}")
                    continue
                row = {"id": r["id"], "task": r["task"], "image_id": r["image_ids"][0],
                       "image_ids": list(r["image_ids"]), **score.to_dict()}
                tally.add(row)
                if fh is not None:
                    fh.write(orjson.dumps(row) + b"\n")
            scorable += len(todo)
    report = FreeformReport(extractor=scorer.extractor.name, matcher=scorer.matcher.name, repeated=located.repeated,
                            rejected_scenes=bad_scenes)
    return {**report.summary(tally=tally), "unscorable": len(described) - scorable,
            **({"unread": len(unread), "unread_examples": unread[:5]} if unread else {}),
            **({"extractor_model": scorer.extractor.model.identity()} if hasattr(scorer.extractor, "model")
               and hasattr(scorer.extractor.model, "identity") else {}),
            **({"rejected_scene_examples": bad_scenes[:5]} if bad_scenes else {})}
