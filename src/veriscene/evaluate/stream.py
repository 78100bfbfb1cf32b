"""The samples `evaluate` runs, a block at a time, and what it keeps of them once answered.

The chosen samples are read `BLOCK` at a time (`SampleIndex.read_chunks`). For each block the
earlier run's records of its ids are looked up (`results.PreviousResults`) and those still valid
are kept (`records.kept_records`); the others are the block's samples to ask (`todo`), which the
runner sends through prompting, the model and scoring. Once every sample of a block has been
through the model, the block's records (this run's, else the kept ones) are written in sample
order (`results.OrderedResults`), added to the summary's columns (`tally.Tally`), and let go:
memory holds a block or two of samples and records, whatever the run's size, and a few bytes of
each sample for the summary.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from veriscene.evaluate.inputs import SampleIndex
from veriscene.evaluate.prompts import PromptSet
from veriscene.evaluate.records import kept_records
from veriscene.evaluate.results import OrderedResults, PreviousResults
from veriscene.evaluate.tally import Tally

# samples read, asked and written at a time (a parsed sample takes about 8.5 KiB: 35 MB a block)
BLOCK = 4096


@dataclass
class Block:
    samples: list[dict[str, Any]]  # in sample order
    kept: dict[str, dict[str, Any]]  # id -> the earlier run's record still valid (errors too: asked again)
    todo: list[dict[str, Any]]  # the samples to ask, in sample order
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> this run's record
    waiting: int = 0  # samples of `todo` not yet through the model


class SampleStream:
    """The chosen samples of a run as blocks of samples to ask (`todo`), and their records kept
    in sample order as blocks end (module notes)."""

    def __init__(self, sample_set: SampleIndex, positions: np.ndarray, previous: PreviousResults,
                 prompt_set: PromptSet, score_options: Mapping[str, Any], ordered: OrderedResults,
                 tally: Tally) -> None:
        self._sample_set, self._positions, self._previous = sample_set, positions, previous
        self._prompt_set, self._score_options = prompt_set, score_options
        self._ordered, self.tally = ordered, tally
        self._pending: deque[Block] = deque()  # blocks read and not yet written, in sample order
        self._asked: dict[str, tuple[dict[str, Any], Block]] = {}  # id -> sample of a todo, its block
        self.skipped = 0  # samples with an earlier record kept (not an error): not asked again
        self.attempts = 0  # HTTP requests made for the samples asked (retries included)
        self.lost: list[str] = []  # ids of samples asked that got no record (the first 3) ...
        self.lost_count = 0  # ... and how many
        self.replied = False  # whether some record is a reply, not an error

    def todo(self) -> Iterator[list[dict[str, Any]]]:
        """The samples to ask, a block at a time (an empty list for a block whose records were all
        kept), read as they are wanted."""
        for samples in self._sample_set.read_chunks(self._positions, BLOCK):
            earlier = self._previous.records_of([s["id"] for s in samples])
            kept = kept_records(earlier, samples, self._prompt_set, self._score_options) if earlier else {}
            todo = [s for s in samples if s["id"] not in kept or kept[s["id"]]["status"] == "error"]
            block = Block(samples, kept, todo, waiting=len(todo))
            self.skipped += len(samples) - len(todo)
            self.replied = self.replied or len(samples) > len(todo)
            for s in todo:
                self._asked[s["id"]] = (s, block)
            self._pending.append(block)
            self._write_ended()
            yield todo

    def sample(self, sample_id: str) -> dict[str, Any]:
        """The sample of id `sample_id` being asked (KeyError for an id not asked)."""
        return self._asked[sample_id][0]

    def add(self, record: dict[str, Any]) -> None:
        """This run's record of a sample asked."""
        self._asked[record["id"]][1].records[record["id"]] = record
        self.replied = self.replied or record["status"] != "error"

    def asked(self, part: list[dict[str, Any]]) -> None:
        """The samples of `part` have been through the model: blocks ended are written."""
        for s in part:
            self._asked[s["id"]][1].waiting -= 1
        self._write_ended()

    def close(self) -> None:
        """Write the blocks left (each ended: every block's samples have been asked)."""
        self._write_ended()
        assert not self._pending, "a block's samples were not all asked"

    def _write_ended(self) -> None:
        while self._pending and self._pending[0].waiting == 0:
            block = self._pending.popleft()
            asked = {s["id"] for s in block.todo}
            for s in block.samples:
                sid = s["id"]
                record = block.records.get(sid, block.kept.get(sid))
                self._asked.pop(sid, None)
                if record is None:  # an adapter that broke its contract: said once the run ends
                    self.lost_count += 1
                    self.lost += [sid][:3 - len(self.lost)]
                    continue
                if sid in asked:
                    self.attempts += record.get("attempts") or 0
                self._ordered.add(record)
                self.tally.add(record)
