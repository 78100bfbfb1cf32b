"""Multi-turn conversations: several questions about the same image(s) in one training record.

LLaVA-style instruction data asks several questions about one image in one conversation, the
image shown once, in the first question. `conversations(turns, size)` groups the single-turn
`Turn`s of an export into such conversations of up to `size` turns:

- only turns showing the same images (the same paths, in the same order) share a conversation;
- turns are grouped within a *block*, the consecutive samples of one scene as a run writes them
  (samples carry their scene's `seed`), so memory holds one scene's samples, not the data set's
  (a block is also closed after `MAX_BLOCK` turns);
- within a block, the turns of one image list are ordered by sample id (a content hash: an order
  that is fixed for the data but follows no generator, so no conversation always opens with
  counting), then dealt into as few conversations as `size` allows;
- a fact is asked once per conversation: two turns with the same program (the qa and mc forms of
  one question) go to different conversations, since the first would give the second's answer
  away;
- a free-text answer (a caption, a description) comes last in its conversation: said earlier, it
  would answer the questions after it from the text, not from the image; and a caption of whole
  images comes after a description of one object, since it lists every object: said before "What
  is in the box [...]?", it names the answer among them (in 12 of 12 such plain turns on `veriscene
  demo --scenes 20` and 47 of 47 on 100 Visual Genome-shaped scenes at `--turns 4`, one of them a
  multiple choice whose other options it does not name: `benchmarks/reasoning_leaks.py`);
- with reasoning targets, a turn whose answer the targets before it state (`Turn.leaks`, from
  `rationale_leaks.answer_markers`: "What color is the star at [...]?" after "... the large
  shiny red star at [...]") goes to another conversation, for the same reason.

The output is deterministic: the same samples file gives the same conversations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from veriscene.io.writers.common import (
    ExportSummary, ImageRef, ImageResolver, convert_all, ground_truth, provenance, require_paths,
)
from veriscene.io.writers.text import IMAGE_PLACEHOLDER, LEAKS, answer_text
from veriscene.rationale_captions import is_caption
from veriscene.rationale_leaks import Marker, leaks

R = TypeVar("R")  # a writer's record of a conversation

MAX_BLOCK = 10_000  # turns held at most before a block is closed (a samples file not in scene order)


@dataclass(frozen=True)
class Turn:
    """One sample as a conversation turn: what a writer needs to put it in a record."""

    sample_id: str
    images: tuple[str, ...]  # the paths written for its images (the grouping key)
    question: str  # without image placeholders
    answer: str
    provenance: dict[str, Any]
    block: Any  # samples of one scene share it (their `seed`)
    # its images as resolved, without their bytes (a block holds thousands of turns): a writer
    # embedding images reads those of a conversation's first turn again (trl)
    refs: tuple[ImageRef, ...] = ()
    ground_truth: str = ""  # JSON text a reward scores this turn's reply against (`records.ground_truth`)
    leaks: tuple[Marker, ...] = ()  # what, said before it, would answer it (`rationale_leaks`; reasoning only)
    caption: bool = False  # a caption of whole images (`rationale_captions.is_caption`): said after the rest


def conversation_id(turns: list[Turn]) -> str:
    """A conversation's id: its sample's id for one turn, else a hash of its samples' ids (stable,
    and distinct from every sample id's text)."""
    if len(turns) == 1:
        return turns[0].sample_id
    joined = "\n".join(t.sample_id for t in turns).encode()
    return "conv-" + hashlib.blake2b(joined, digest_size=12).hexdigest()


def _deal(turns: list[Turn], size: int) -> list[list[Turn]]:
    """Turns of one image list, in sample id order (free-text answers last, captions after the
    other ones), into conversations of up to `size` turns, a program at most once in each, never
    after targets that state its answer (first fit: as few conversations as the repeats and leaks
    allow)."""
    dealt: list[list[Turn]] = []
    programs: list[set[str]] = []
    for turn in sorted(turns, key=lambda t: (t.caption, t.provenance["answer_type"] == "text", t.sample_id)):
        program = turn.provenance["program"]
        for conv, asked in zip(dealt, programs):
            if len(conv) < size and program not in asked and not leaks(turn.leaks, "\n".join(t.answer for t in conv)):
                conv.append(turn)
                asked.add(program)
                break
        else:
            dealt.append([turn])
            programs.append({program})
    return dealt


def _flush(block: dict[tuple[str, ...], list[Turn]], size: int) -> Iterator[list[Turn]]:
    for turns in block.values():  # image lists in the order the block first showed them
        yield from _deal(turns, size)
    block.clear()


def check_turns(size: Any) -> None:
    """ValueError unless `size` (turns per conversation) is an integer of at least 1."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"turns (questions per conversation) must be an integer of at least 1, got {size!r}")


def conversations(turns: Iterable[Turn], size: int) -> Iterator[list[Turn]]:
    """Group `turns` into conversations of up to `size` turns (see the module docstring)."""
    check_turns(size)
    block: dict[tuple[str, ...], list[Turn]] = {}
    held = 0
    current: Any = object()  # no sample's block
    for turn in turns:
        if turn.block != current or held >= MAX_BLOCK:
            yield from _flush(block, size)
            current, held = turn.block, 0
        block.setdefault(turn.images, []).append(turn)
        held += 1
    yield from _flush(block, size)


def sample_turn(sample: dict[str, Any], images: ImageResolver, *, mc_style: str = "letter") -> Turn:
    """A sample record as a turn (ValueError, the sample skipped, when an image has no path).
    Placeholders already in its question are taken out: the conversation shows the images once,
    in front of its first question."""
    refs = images.resolve_all(sample)
    require_paths(sample, refs)
    question = str(sample["question"]).replace(IMAGE_PLACEHOLDER + "\n", "").replace(IMAGE_PLACEHOLDER, "")
    return Turn(str(sample["id"]), tuple(str(r.path) for r in refs), question,
                answer_text(sample, mc_style=mc_style), provenance(sample), sample.get("seed"),
                tuple(replace(r, data=None) for r in refs), ground_truth(sample), tuple(sample.get(LEAKS) or ()),
                is_caption(sample.get("program") or []))


def conversation_records(samples: Iterable[dict[str, Any]], summary: ExportSummary, images: ImageResolver,
                         size: int, record: Callable[[list[Turn]], R], *,
                         mc_style: str = "letter") -> Iterator[R]:
    """A writer's records of conversations of up to `size` turns: `record(turns)` makes one.
    Bad samples are skipped and reported as single-turn exports skip them (`convert_all`);
    `summary.conversations` counts the records."""
    turns = convert_all(samples, summary, lambda _i, s: sample_turn(s, images, mc_style=mc_style))
    summary.conversations = 0
    for conversation in conversations(turns, size):
        summary.conversations += 1
        yield record(conversation)
