"""Replies scored a list at a time (`TextScorer`, for `api.score_texts` and the others): what a
reply is scored as (`FreeformItem`: its images, text, question and, for a region description,
the objects of its region, `region_focus`), the claim extractor chosen by name, the words of the
question left out, and the scene graphs each item is checked against."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from veriscene.answers.extract import answer_section
from veriscene.answers.normalize import singular
from veriscene.errors import ExecutionFailure
from veriscene.evaluate.freeform.claim_model import Claim, Unread
from veriscene.evaluate.freeform.bounded import Bounded
from veriscene.evaluate.freeform.claims import RuleExtractor
from veriscene.evaluate.freeform.embed import LexicalMatcher, make_matcher
from veriscene.evaluate.freeform.facts import SceneFacts
from veriscene.evaluate.freeform.lexicon import (
    Lexicon,
    category_classes,
    lexicon_from_scenes,
    unseen_categories,
)
from veriscene.evaluate.freeform.names import synset_classes
from veriscene.evaluate.freeform.score import Canonicaliser, ReplyScore, score_claims
from veriscene.program import ExecutionContext, run_nodes
from veriscene.scene.model import Scene

_WORD_RE = re.compile(r"[a-z]+")
IMAGES_KEPT = 4096  # images whose facts a scorer keeping them (`keep_facts`, the RL rewards) holds at most
WORDS_KEPT = 100_000  # words read onto the lexicon, kept (`score.Canonicaliser`)


@dataclass(frozen=True)
class FreeformItem:
    """One reply to score: its sample's images in order, the reply, the question (its words
    outside the scene vocabulary are not claims), the objects the question is about,
    (image index, object index) pairs (empty: the whole images), and whether it compares its
    images (`comparison`: helpfulness counts the names each image holds, stated of that image;
    `score.score_claims`)."""

    image_ids: tuple[str, ...]
    text: str
    question: str = ""
    focus: tuple[tuple[int, int], ...] = ()
    comparison: bool = False


def as_item(item: FreeformItem | tuple[str | Sequence[str], str]) -> FreeformItem:
    """A `FreeformItem`, or an (image id or image ids, text) pair."""
    if isinstance(item, FreeformItem):
        return item
    if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
        raise TypeError(f"an item to score is a FreeformItem or an (image id or image ids, text) pair, got {item!r}")
    images, text = item
    return FreeformItem((images,) if isinstance(images, str) else tuple(images), text)


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


def _question_words(question: str, lexicon: Lexicon) -> frozenset[str]:
    """Words of a question outside the scene vocabulary, singular: a reply repeating them
    ("a detailed description of the objects") states nothing by them."""
    words = {singular(w) for w in _WORD_RE.findall(question.lower())}
    return frozenset(w for w in words if w not in lexicon.names and w not in lexicon.attributes)


def _echoes_question(c: Claim, words: frozenset[str]) -> bool:
    """Whether a claim is about a word taken from the question rather than from the scene."""
    return singular(c.subject.name) in words or (c.object is not None and singular(c.object.name) in words)


def _facts_of(item: FreeformItem, scene_map: dict[str, Scene], cache: dict[str, SceneFacts],
              sets: dict[str, frozenset[str]], synonyms: dict[str, str]) -> list[SceneFacts]:
    """The scene graphs an item is checked against: its images, restricted to its focus objects
    (`sets`: the names of each category set, of every scene read: `category_classes`; `synonyms`:
    names read as one, `synset_classes`)."""
    out = []
    for k, image_id in enumerate(item.image_ids):
        focus = [obj for image, obj in item.focus if image == k]
        if item.focus:
            out.append(SceneFacts(scene_map[image_id], focus=focus, category_sets=sets, synonyms=synonyms))
            continue
        if image_id not in cache:
            cache[image_id] = SceneFacts(scene_map[image_id], category_sets=sets, synonyms=synonyms)
        out.append(cache[image_id])
    return out


class TextScorer:
    """`score_texts` of items given a list at a time, with one extractor, matcher and memo of
    words (`Canonicaliser`) for all: the scores of items given in several lists are those of
    them all given at once. What is kept from one call to the next is bounded, least recently
    used dropped first (a dropped entry is worked out again, to the same value): the words read
    onto the lexicon, `most_words` (`WORDS_KEPT`, 100,000), and with `keep_facts` the facts of
    `most_images` images (`IMAGES_KEPT`, 4,096)."""

    def __init__(self, scene_map: dict[str, Scene], extractor: Any = "rules", matcher: str | LexicalMatcher = "auto",
                 model: Any = None, lexicon: Lexicon | None = None, *, keep_facts: bool = False,
                 most_images: int | None = None, most_words: int | None = None) -> None:
        self.lexicon = lexicon or lexicon_from_scenes(scene_map.values())
        # names sharing a WordNet synset (Visual Genome's), read as one; the categories of each
        # category set (COCO's), from every scene read
        self._synonyms = synset_classes(self.lexicon.synsets)
        self._category_sets = category_classes(self.lexicon, self._synonyms)
        unseen = unseen_categories(self.lexicon)
        if unseen is not None:
            warnings.warn(unseen, stacklevel=3)
        self.extractor = _extractor(extractor, self.lexicon, model)
        self.matcher = make_matcher(matcher)
        self._canon = Canonicaliser(self.lexicon, self.matcher, self._synonyms,
                                    most_words=WORDS_KEPT if most_words is None else most_words)
        # `keep_facts`: each image's facts kept from one `score` call to the next, for a caller that
        # scores against one scene map throughout (the RL rewards: `rewards.freeform`); eval's
        # blocks read their scenes again, so it keeps them one call only
        most_images = IMAGES_KEPT if most_images is None else most_images
        self._facts: dict[str, SceneFacts] | None = Bounded(most_images) if keep_facts else None

    def cache_sizes(self) -> dict[str, int]:
        """How much is kept now: images' facts ("facts"), words read ("words")."""
        return {"facts": len(self._facts or ()), "words": self._canon.kept()}

    def score(self, todo: Sequence[FreeformItem], scene_map: dict[str, Scene]) -> tuple[list[ReplyScore], str, str]:
        """(scores, extractor name, matcher name) of items whose images all have a scene in `scene_map`."""
        ext = self.extractor
        texts = [answer_section(x.text) for x in todo]  # the answer block, not the think block before it
        claim_lists = ext.extract_many(texts) if hasattr(ext, "extract_many") else [ext.extract(t) for t in texts]
        cache: dict[str, SceneFacts] = {} if self._facts is None else self._facts
        scores = []
        for item, given in zip(todo, claim_lists):
            # None or `Unread`: the extractor gave no readable answer (`Unread`: it says why)
            claims = None if isinstance(given, Unread) else given
            echoed = _question_words(item.question, self.lexicon)
            kept = [c for c in claims or [] if not _echoes_question(c, echoed)]
            score = score_claims(kept, _facts_of(item, scene_map, cache, self._category_sets, self._synonyms), self._canon,
                                 comparison=item.comparison)
            unread = given.reason if isinstance(given, Unread) else None
            scores.append(score if claims is not None else replace(score, extracted=False, unread=unread))
        return scores, ext.name, self.matcher.name


def region_focus(sample: dict[str, Any], scene_map: dict[str, Scene]) -> tuple[tuple[int, int], ...] | None:
    """(image index, object index) of every object a `describe_object` node of the sample's
    program describes (the object in a region description's region); () when the program has no
    such node; None when it does not run on these scene graphs."""
    program = sample.get("program") or []
    if not any(isinstance(n, dict) and n.get("op") == "describe_object" for n in program):
        return ()
    try:
        ctx = ExecutionContext([scene_map[img["id"]] for img in sample["images"]])
        values = run_nodes(program, ctx)
    except (ExecutionFailure, KeyError, IndexError, TypeError, ValueError):
        return None
    return tuple((values[n["inputs"][0]].image, values[n["inputs"][0]].index)
                 for n in program if n["op"] == "describe_object")


COMPARISON_OPS = frozenset({"describe_images"})  # ops whose text says which images hold which names


def is_comparison(sample: dict[str, Any]) -> bool:
    """Whether a sample's program compares its images (`describe_images`: multi.compare_caption):
    its gold states which images hold which names, and its helpfulness counts those."""
    program = sample.get("program") or []
    return isinstance(program, list) and any(isinstance(n, dict) and n.get("op") in COMPARISON_OPS
                                             for n in program)


def sample_item(image_ids: Sequence[str], text: str, question: str, sample: dict[str, Any] | None,
                 scene_map: dict[str, Scene]) -> FreeformItem | str:
    """The item to score for a reply to `sample`, or why it cannot be scored."""
    focus: tuple[tuple[int, int], ...] | None = ()
    comparison = False
    if sample is not None:
        focus = region_focus(sample, scene_map)
        question = sample.get("question") or question
        comparison = is_comparison(sample)
    if focus is None:
        return "its sample's program names no object on these scene graphs: the region is unknown"
    return FreeformItem(tuple(image_ids), text, question, focus, comparison)


