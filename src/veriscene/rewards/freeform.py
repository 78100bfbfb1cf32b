"""Rewards for free-form replies (descriptions, region descriptions, comparison captions): the
combined score `veriscene eval` gives them, against the scene graphs of the run.

A free-form sample (answer type `text`, no options) has no single right string; `veriscene eval`
scores its reply against the scene graphs of its images (`evaluate.freeform`): truthfulness
(the share of the reply's claims the scene graphs support), helpfulness (the share of the scene
graphs' facts it states) and their F1, `combined`. The reward is that combined score, computed
by the same code (`evaluate.freeform.scorer.TextScorer`, the rules claim extractor), so a reward
and `eval --freeform-matcher M` agree on the same reply:

    reward = 2 T H / (T + H)     0 for a reply stating no checkable claim (an empty reply, the
                                 question copied back, vague filler) or nothing of the graph

Why it cannot be gamed by the usual drifts (benchmarks/reward_gaming.py measures each): listing
every name and attribute raises H and lowers T (every false claim counts); repeating one true
claim counts it once (and states one fact of many); copying the question states nothing (its
words outside the scene vocabulary are not claims); a hedged claim ("there may be a red car or a
blue car", "the cup might be on the table", "..., I think") counts as a plain one in T and states
half its fact in H, so a hedged truth earns less than stating it and a hedged falsehood costs what
stating it does: hedging never pays (`evaluate.freeform.hedges`); a negated claim ("there is no dog") is checked as one (false where
there is a dog); markup is not read as claims; claims about objects not in the scene are
hallucinations. No such reply earns more than the gold description.

What it needs: the run folder (or its samples file) the data set was exported from. Its samples
give each free-form sample's images, question and program (a region description is scored
against the object of its region, a comparison caption by which image holds what, as eval does);
its manifest names the scene files (`scenes=` overrides them, as `eval --scenes` does). The
scenes of the free-form samples' images are read once and held; the vocabulary (the names,
attributes and predicates claims are read onto) is that of every scene of the run, as eval's.

Matcher (`matcher`): "lexical" (the default: normalisation, a synonyms table, close spellings;
no dependency, deterministic, fast), "minilm" (MiniLM embeddings for words outside the scene
vocabulary: the `ml` extra, else MissingExtra), "auto" (minilm when it loads, else lexical: eval's
default, so the reward matches a default `veriscene eval` where the extra is installed), or a
matcher object (`evaluate.freeform.embed.LexicalMatcher`).

Entry points: `make_freeform_reward` (TRL, here), `verl.compute_score(..., run_dir=...)` and
`VQAEnv(..., freeform=True)` all score through one `FreeformScorer`.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from veriscene.answers.extract import DEFAULT_ANSWER_TAGS, DEFAULT_THINK_TAGS, answer_section
from veriscene.answers.options import check_tags
from veriscene.evaluate.freeform.bounded import Bounded
from veriscene.evaluate.freeform.embed import LexicalMatcher
from veriscene.evaluate.freeform.lexicon import Lexicon, add_scene_words
from veriscene.evaluate.freeform.scene_map import load_scene_map
from veriscene.evaluate.freeform.score import ReplyScore
from veriscene.evaluate.freeform.scorer import FreeformItem, TextScorer, sample_item
from veriscene.rewards.completions import completion_text
from veriscene.rewards.locate import SampleLocator, Unfound
from veriscene.sample_ids import ID_NOTE, answer_key

MATCHERS = ("lexical", "minilm", "auto")
MEMO = 4096  # (sample, reply) scores kept: a group of completions often repeats a reply
ITEMS_KEPT = 65_536  # samples' items (images, question, region) kept, least recently used dropped first


def is_freeform(sample: Mapping[str, Any]) -> bool:
    """A free-form sample: answer type `text` without options (a multiple-choice text question
    is answered by letter and scored as any other)."""
    return sample.get("answer_type") == "text" and not sample.get("choices")


def check_matcher(matcher: Any, option: str = "matcher") -> None:
    """Refuse a matcher that is none of `MATCHERS` nor a matcher object, before anything is read."""
    if isinstance(matcher, LexicalMatcher):
        return
    if not isinstance(matcher, str) or matcher not in MATCHERS:
        raise ValueError(f"{option} must be one of {', '.join(MATCHERS)} or a matcher object "
                         f"(veriscene.evaluate.freeform.LexicalMatcher), got {matcher!r}")


@dataclass(frozen=True)
class FreeformResult:
    """The score of one free-form reply: `reward` is `combined` (0.0 where `applicable` is False:
    a sample the run does not hold, said in `reason`)."""

    reward: float
    applicable: bool
    helpfulness: float = 0.0
    truthfulness: float | None = None
    claims: int = 0
    hallucinations: tuple[str, ...] = ()
    reason: str = ""

    def details(self) -> dict[str, Any]:
        """What was read of the reply, for a log (verl's `parsed`)."""
        return {"helpfulness": self.helpfulness, "truthfulness": self.truthfulness, "claims": self.claims,
                "hallucinations": list(self.hallucinations[:10])}


def _result(score: ReplyScore) -> FreeformResult:
    return FreeformResult(reward=float(score.combined), applicable=True, helpfulness=float(score.helpfulness),
                          truthfulness=score.truthfulness, claims=len(score.claims),
                          hallucinations=tuple(score.hallucinations))


def _freeform_samples(path: Path) -> dict[str, dict[str, Any]]:
    """The free-form samples of a run folder or samples file by id; a ValueError naming an id
    given to two free-form samples of other answers (two runs' samples merged: which one a row
    answers cannot be told, as `veriscene eval` refuses it)."""
    from veriscene.engine.runfiles import sample_lines

    found: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    for number, line in sample_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # (not a sample: `veriscene verify` reports it; no free-form sample is lost here)
        if not isinstance(record, dict) or not is_freeform(record) or not isinstance(record.get("id"), str):
            continue
        images = record.get("images")
        if not isinstance(images, list) or not images or not all(isinstance(i, dict) and isinstance(i.get("id"), str)
                                                                 for i in images):
            continue
        sid = record["id"]
        if sid in found:
            if answer_key(found[sid]) != answer_key(record):
                raise ValueError(f"{path}: sample id {sid!r} names two free-form samples of other answers (lines "
                                 f"{lines[sid]} and {number}): {ID_NOTE}; give the samples of the one run the data "
                                 "set was exported from")
            continue
        found[sid] = {"id": sid, "images": [{k: i[k] for k in ("id", "path") if isinstance(i.get(k), str)} for i in images],
                      "question": record.get("question"),
                      "program": record.get("program"), "answer": record.get("answer"), "task": record.get("task"),
                      "answer_type": "text"}
        lines[sid] = number
    return found


class FreeformScorer:
    """The combined score of free-form replies to a run's samples (see the module docstring).

        scorer = FreeformScorer("demo_out")                  # the run's manifest names its scenes
        scorer.score("A large red star ...", sample_id="...").reward

    `run_dir`: the run folder or samples file the data set was made from. `scenes`: scene files
    (a file, folder, glob pattern or a list) instead of those the run's manifest names. `matcher`:
    see the module docstring. A scene line that is no valid scene is passed over and counted in
    `rejected_scenes` (warned of once), as eval's free-form scoring reports it.
    """

    def __init__(self, run_dir: str | os.PathLike[str], *, scenes: Any = None,
                 matcher: str | LexicalMatcher = "lexical") -> None:
        from veriscene.verify_scenes import resolve_inputs

        check_matcher(matcher)
        if not isinstance(run_dir, (str, os.PathLike)):
            raise TypeError(f"run_dir must be the run folder (or samples file) the data set was exported from, "
                            f"got {run_dir!r}")
        samples_path, files = resolve_inputs(run_dir, scenes)  # FileNotFoundError naming what is missing
        if not files:
            raise FileNotFoundError(f"no scene files for the run {samples_path}: its manifest names none; give "
                                    "scenes=FILES (the scene graphs the run was generated from)")
        self.samples = _freeform_samples(samples_path)
        wanted = {i["id"] for s in self.samples.values() for i in s["images"]}
        self.lexicon = Lexicon()  # of every scene of the run, as eval's free-form scoring reads it
        self.rejected_scenes: list[str] = []
        read = [0]

        def each(scene: Any) -> None:
            read[0] += 1
            add_scene_words(self.lexicon, scene)

        self.scene_map, self.repeated = load_scene_map(files, self.rejected_scenes, keep=wanted, each=each)
        if wanted and not self.scene_map:  # (every free-form reply would score 0, a whole training run long)
            given = ", ".join(str(f) for f in list(files)[:3]) + (" ..." if len(files) > 3 else "")
            found = (f"{read[0]} scene{'s' if read[0] != 1 else ''} read, none of them of these images (the scene "
                     "files of another run?)" if read[0] else
                     f"no valid scene ({len(self.rejected_scenes)} line(s) refused, e.g. "
                     f"{self.rejected_scenes[0] if self.rejected_scenes else 'none'})")
            raise ValueError(f"no scene graph of the images of the run's {len(self.samples)} free-form samples in "
                             f"{given}: {found}; give scenes= the scene files the run {samples_path} was generated "
                             "from")
        if self.repeated:  # (as eval says them: the first scene of an id is scored, as generate read it)
            more = f" (and {len(self.repeated) - 1} more such ids)" if len(self.repeated) > 1 else ""
            warnings.warn(f"{self.repeated[0].message()}{more}", UserWarning, stacklevel=2)
        if self.rejected_scenes:
            warnings.warn(f"{len(self.rejected_scenes)} scene line(s) are no valid scene and were passed over "
                          f"(e.g. {self.rejected_scenes[0]})", UserWarning, stacklevel=2)
        with warnings.catch_warnings():  # (unseen categories: said by eval on the same scenes)
            warnings.simplefilter("ignore")
            self._scorer = TextScorer(self.scene_map, "rules", matcher=matcher, lexicon=self.lexicon, keep_facts=True)
        self.matcher = self._scorer.matcher.name
        self.unknown = 0  # free-form replies scored 0 for a sample the run does not hold (`FreeformResult.reason`)
        self.located = 0  # rows without sample_id found by their gold, prompt and images (`rewards.locate`)
        self._root = samples_path if Path(samples_path).is_dir() else Path(samples_path).parent  # (image paths)
        self._locator: SampleLocator | None = None
        # sample id -> its item (text ""), or why it has none
        self._items: Bounded[str, FreeformItem | str] = Bounded(ITEMS_KEPT)
        self._memo: OrderedDict[tuple[str, str], FreeformResult] = OrderedDict()
        self._warned: set[bool] = set()  # warned of: a sample the run does not hold (False), a row not told (True)
        # one batch scored at a time: verl's reward loop calls compute_score from a thread pool, and
        # the memo, the items and the extractor's and matcher's state are not made for two at once
        self._lock = threading.RLock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]  # (a lock does not pickle)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"FreeformScorer({len(self.samples)} free-form samples, matcher={self.matcher!r})"

    def cache_sizes(self) -> dict[str, int]:
        """How much the scorer keeps now, each bounded (least recently used dropped first; a
        dropped entry is worked out again, to the same value): replies scored ("scores", `MEMO`),
        samples' items ("items", `ITEMS_KEPT`), images' facts and words read ("facts", "words":
        `evaluate.freeform.scorer.TextScorer`), and, once a row without sample_id was located,
        the locator's rows told and image digests ("rows", "samples", "paths": `rewards.locate`)."""
        with self._lock:
            sizes = {"scores": len(self._memo), "items": len(self._items), **self._scorer.cache_sizes()}
            if self._locator is not None:
                sizes.update(self._locator.cache_sizes())
            return sizes

    def sample(self, sample_id: Any, answer: Any = None) -> dict[str, Any] | None:
        """The run's free-form sample of `sample_id` (None when the run has none, or, `answer`
        given, when its answer is another: a sample of another run)."""
        found = self.samples.get(sample_id) if isinstance(sample_id, str) else None
        if found is None or (answer is not None and found["answer"] != answer):
            return None
        return found

    def knows(self, sample: Mapping[str, Any]) -> bool:
        """Whether a free-form sample record is one of the run's, with the scenes of its images."""
        found = self.sample(sample.get("id"), sample.get("answer"))
        if found is None:
            return False
        with self._lock:
            return not isinstance(self._item(found), str)

    def _item(self, sample: Mapping[str, Any]) -> FreeformItem | str:
        key = str(sample["id"])
        if key not in self._items:
            ids = [i["id"] for i in sample["images"]]
            missing = [i for i in ids if i not in self.scene_map]
            self._items[key] = (f"no scene graph for image {missing[0]!r}" if missing else
                                sample_item(ids, "", str(sample.get("question") or ""), dict(sample), self.scene_map))
        return self._items[key]

    def score(self, reply: Any, *, sample_id: Any = None, answer: Any = None,
              think_tags: Sequence[str] | None = None, answer_tags: Sequence[str] | None = None) -> FreeformResult:
        """The score of one reply (a str, bytes or chat messages: `completion_text`) to the run's
        sample `sample_id` (`answer`: its gold, checked when given); `think_tags` / `answer_tags`
        as in `score_many`."""
        return self.score_many([reply], [sample_id], [answer], think_tags=think_tags, answer_tags=answer_tags)[0]

    def locate(self, *, answer: Any = None, prompt: Any = None, images: Any = None,
               info: Mapping[str, Any] | None = None) -> str | Unfound:
        """The id of the run's free-form sample a row without `sample_id` answers, found by its
        gold `answer`, `prompt` text, `images` and `info` (a verl row's extra_info: its
        `image_ids`, `task` and `program`) (`rewards.locate.SampleLocator`), or `Unfound` saying
        why it cannot be told."""
        info = info if isinstance(info, Mapping) else {}
        with self._lock:
            if self._locator is None:
                self._locator = SampleLocator(self.samples.values(), Path(self._root))
            found = self._locator.locate(answer=answer, has_answer=answer is not None, prompt=prompt, images=images,
                                         image_ids=info.get("image_ids"), task=info.get("task"),
                                         program=info.get("program"))
            self.located += isinstance(found, str)  # (counted under the lock: verl's threads score at once)
            return found

    def score_many(self, replies: Sequence[Any], sample_ids: Sequence[Any], answers: Sequence[Any] | None = None, *,
                   think_tags: Sequence[str] | None = None, answer_tags: Sequence[str] | None = None,
                   prompts: Sequence[Any] | None = None, images: Sequence[Any] | None = None,
                   infos: Sequence[Mapping[str, Any] | None] | None = None) -> list[FreeformResult]:
        """Scores of replies to samples, scored together (one pass of the claim extractor). A
        reply to a sample the run does not hold gets reward 0, `applicable` False and the reason,
        counted in `unknown` and warned of once: a data set of another run, said, never a crash.
        The description is the reply without its reasoning blocks, the last answer block's content
        when there is one (`answers.extract.answer_section`); `think_tags` / `answer_tags` name
        those blocks' tags (by default "think"/"thinking" and "answer", as eval reads them).
        `prompts` / `images` / `infos`: each row's prompt, images and provenance (a verl row's
        extra_info), to find the sample of a row whose sample id is None (`locate`, counted in
        `located`; one that cannot be told scores 0 as above, saying why, once)."""
        answers = answers if answers is not None else [None] * len(replies)
        if any(sid is None for sid in sample_ids) and (prompts is not None or images is not None or infos is not None):
            sample_ids = list(sample_ids)
            for k, sid in enumerate(sample_ids):
                if sid is None:
                    found = self.locate(answer=answers[k], prompt=prompts[k] if prompts is not None else None,
                                        images=images[k] if images is not None else None,
                                        info=infos[k] if infos is not None else None)
                    sample_ids[k] = found
        if think_tags is not None or answer_tags is not None:
            check_tags("think_tags", DEFAULT_THINK_TAGS if think_tags is None else think_tags)
            check_tags("answer_tags", DEFAULT_ANSWER_TAGS if answer_tags is None else answer_tags)
        with self._lock:
            return self._score_many(replies, sample_ids, answers, think_tags, answer_tags)

    def _score_many(self, replies: Sequence[Any], sample_ids: Sequence[Any], answers: Sequence[Any],
                    think_tags: Sequence[str] | None, answer_tags: Sequence[str] | None) -> list[FreeformResult]:
        out: list[FreeformResult | None] = [None] * len(replies)
        todo: list[tuple[int, tuple[str, str], FreeformItem]] = []
        for k, (reply, sid, gold) in enumerate(zip(replies, sample_ids, answers)):
            if isinstance(sid, Unfound):  # a row without sample_id that cannot be told (`locate`)
                out[k] = self._unknown(sid.reason, unlocated=True)
                continue
            sample = self.sample(sid, gold)
            item = self._item(sample) if sample is not None else (
                f"sample {sid!r} is no free-form sample of the run" if not isinstance(sid, str) or sid not in
                self.samples else f"sample {sid!r} of the run has another answer (a sample of another run?)")
            if isinstance(item, str):
                out[k] = self._unknown(item)
                continue
            text = completion_text(reply)
            if think_tags is not None or answer_tags is not None:  # (the default tags: the scorer's own reading)
                text = answer_section(text, DEFAULT_THINK_TAGS if think_tags is None else tuple(think_tags),
                                      DEFAULT_ANSWER_TAGS if answer_tags is None else tuple(answer_tags))
            key = (str(sid), text)
            if key in self._memo:
                self._memo.move_to_end(key)
                out[k] = self._memo[key]
                continue
            todo.append((k, key, FreeformItem(item.image_ids, text, item.question, item.focus, item.comparison)))
        if todo:
            scores, _, _ = self._scorer.score([x for _, _, x in todo], self.scene_map)
            for (k, key, _), score in zip(todo, scores):
                out[k] = self._memo[key] = _result(score)
                if len(self._memo) > MEMO:
                    self._memo.popitem(last=False)
        return [r for r in out if r is not None]

    def _unknown(self, reason: str, unlocated: bool = False) -> FreeformResult:
        """Reward 0 for a reply to a sample the run does not hold, or (`unlocated`) to a row without
        sample_id that cannot be told (`locate`): counted in `unknown`, each kind warned of once."""
        self.unknown += 1
        if unlocated not in self._warned:
            self._warned.add(unlocated)
            fix = "" if unlocated else "; give the run folder the data set was exported from"
            warnings.warn(f"free-form reward 0: {reason}{fix} (counted in FreeformScorer.unknown; said once)",
                          UserWarning, stacklevel=4)
        return FreeformResult(reward=0.0, applicable=False, reason=reason)


_SCORERS: dict[tuple[str, str, str], FreeformScorer] = {}
_SCORERS_LOCK = threading.Lock()  # the threads of verl's reward loop asking at once load the run once


def shared_scorer(run_dir: Any, scenes: Any = None, matcher: Any = "lexical") -> FreeformScorer:
    """A `FreeformScorer` per (run, scenes, matcher), made once per process (once, too, when the
    threads of verl's reward loop ask at once): for verl, which calls `compute_score` once a row
    with the same keywords."""
    if isinstance(run_dir, FreeformScorer):
        return run_dir
    check_matcher(matcher, "freeform_matcher")
    if isinstance(matcher, LexicalMatcher):
        return FreeformScorer(run_dir, scenes=scenes, matcher=matcher)
    key = (os.fspath(run_dir) if isinstance(run_dir, (str, os.PathLike)) else repr(run_dir), repr(scenes), matcher)
    with _SCORERS_LOCK:
        if key not in _SCORERS:
            _SCORERS[key] = FreeformScorer(run_dir, scenes=scenes, matcher=matcher)
        return _SCORERS[key]


RewardFunc = Callable[..., list[float | None]]


def _column(columns: Mapping[str, Any], name: str, n: int) -> list[Any]:
    value = columns.get(name)
    if value is None:
        return [None] * n
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != n:
        raise ValueError(f"column {name!r} must hold one value per completion ({n}), got {str(value)[:80]!r}")
    return list(value)


def make_freeform_reward(run_dir: str | os.PathLike[str] | FreeformScorer, *, scenes: Any = None,
                         matcher: str | LexicalMatcher = "lexical", think_tags: Sequence[str] | None = None,
                         answer_tags: Sequence[str] | None = None) -> RewardFunc:
    """A TRL reward function (`GRPOTrainer(reward_funcs=[...])`) giving each completion of a
    free-form row the combined score of `FreeformScorer(run_dir, scenes=, matcher=)`, None on
    other rows (as `accuracy_reward` gives None on free-form ones: use both, or
    ``WeightedReward(weights={..., "freeform": 1.0}, functions={"freeform": make_freeform_reward(RUN)})``).

    Rows are found by the `sample_id` column `veriscene export RUN --to trl` writes (the run's
    sample, its gold checked against the row's `ground_truth`); a row without one (the user's own
    prompts) by its gold, prompt text and images when they tell one sample (`rewards.locate`;
    counted in `scorer.located`); a free-form row of a sample the run does not hold, or one that
    cannot be told, scores 0, warned of once with the reason. Logs the batch's mean helpfulness and truthfulness
    through TRL's `log_metric` (veriscene/freeform_helpfulness, veriscene/freeform_truthfulness).
    `think_tags` / `answer_tags`: the tags of the reasoning and answer blocks, when not "think" and
    "answer" (as `accuracy_reward`'s options name them): the reasoning is not scored as description.
    """
    from veriscene.rewards.completions import check_completions
    from veriscene.rewards.truth import ground_truths_from_columns

    for name, tags in (("think_tags", think_tags), ("answer_tags", answer_tags)):
        if tags is not None:
            check_tags(name, tags)
    scorer = run_dir if isinstance(run_dir, FreeformScorer) else FreeformScorer(run_dir, scenes=scenes, matcher=matcher)

    def freeform_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (),
                        **columns: Any) -> list[float | None]:
        """The combined free-form score of each completion of a free-form row; None on others."""
        check_completions(completions)
        n = len(completions)
        truths = ground_truths_from_columns(n, columns)
        ids = _column(columns, "sample_id", n)
        rows = [k for k, t in enumerate(truths) if not t.scored]
        out: list[float | None] = [None] * n
        if not rows:
            return out
        # a row without sample_id: found by its gold, prompt and images (`FreeformScorer.locate`)
        images = _column(columns, "images", n) if columns.get("images") is not None else None
        given = list(prompts) if prompts is not None and len(prompts) == n else None
        results = scorer.score_many([completions[k] for k in rows], [ids[k] for k in rows],
                                    [truths[k].answer for k in rows], think_tags=think_tags, answer_tags=answer_tags,
                                    prompts=[given[k] for k in rows] if given is not None else None,
                                    images=[images[k] for k in rows] if images is not None else None)
        for k, result in zip(rows, results):
            out[k] = result.reward
        log_metric = columns.get("log_metric")
        if callable(log_metric):
            read = [r for r in results if r.applicable]
            if read:
                log_metric("veriscene/freeform_helpfulness", sum(r.helpfulness for r in read) / len(read))
                truthful = [r.truthfulness for r in read if r.truthfulness is not None]
                if truthful:
                    log_metric("veriscene/freeform_truthfulness", sum(truthful) / len(truthful))
        return out

    freeform_reward.scorer = scorer  # type: ignore[attr-defined]
    return freeform_reward
