"""The records of a finished evaluation that a scorer reads again, each with its sample, a block
at a time: the descriptions free-form scoring reads (`freeform.api.score_described`), the
multi-step replies `eval --process` reads (`process.score_stepped`).

Once a run ends, its results file holds one record per chosen sample, in sample order
(`results.OrderedResults`): the k-th line is the record of the sample at `positions[k]` of the
run's `SampleIndex`. `RepliedRecords` finds the lines a scorer wants in one pass over the file
(16 bytes a line found: its number and where it starts; the others passed over, unparsed when
they lack `hint`), then gives them `BLOCK` at a time with their samples: the records read again
from where they start, the samples read by one pass over the samples file that parses only
theirs (`SampleIndex.read_chunks`). Memory holds a block of records and samples, whatever the
run's size. (Before, every such record was held, then every one of their samples: 8.5 KiB a
sample.)
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson

from veriscene.evaluate.inputs import SampleIndex
from veriscene.evaluate.stream import BLOCK as STREAM_BLOCK

# records (and their samples) scored at a time: as many as `evaluate` reads, asks and writes at a time
BLOCK = STREAM_BLOCK

Keep = Callable[[dict[str, Any]], bool]
Pair = tuple[dict[str, Any], dict[str, Any] | None]  # (a record, its sample: None when the samples lack it)


class Replies(Protocol):
    """Records to score, each with its sample, a block at a time (`RepliedRecords`, or records
    given in a list: `ListedReplies`)."""

    def __len__(self) -> int: ...

    def blocks(self) -> Iterator[list[Pair]]: ...


class ListedReplies:
    """Records given in a list (the scorers' Python API), their samples read by id as one block."""

    def __init__(self, records: list[dict[str, Any]], samples_path: Path) -> None:
        self.records, self.samples_path = records, samples_path

    def __len__(self) -> int:
        return len(self.records)

    def blocks(self) -> Iterator[list[Pair]]:
        from veriscene.evaluate.inputs import load_samples

        if not self.records:
            return
        wanted = {r["id"] for r in self.records}
        samples = {s["id"]: s for s in load_samples(self.samples_path, ids=wanted).records}
        yield [(r, samples.get(r["id"])) for r in self.records]


class RepliedRecords:
    """The records of an evaluation's results file (written in sample order) for which `keep` is
    true, found without holding them (module notes); `each` is called with every one found, in
    file order, as the file is read (a scorer's image ids of them all). `hint`: bytes every such
    line holds (the others are passed over unparsed)."""

    def __init__(self, results_path: Path, sample_set: SampleIndex, positions: np.ndarray, keep: Keep,
                 hint: bytes | None = None, each: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.path = results_path
        self._sample_set, self._positions = sample_set, positions
        lines, offsets = array("q"), array("q")  # (line number from 0, where it starts), of each line found
        offset = 0
        with open(results_path, "rb") as fh:
            for line_no, raw in enumerate(fh):
                start, offset = offset, offset + len(raw)
                if hint is not None and hint not in raw:
                    continue
                record = orjson.loads(raw)
                if keep(record):
                    lines.append(line_no)
                    offsets.append(start)
                    if each is not None:
                        each(record)
        if len(lines) and lines[-1] >= len(positions):
            raise ValueError(f"{results_path} holds {lines[-1] + 1} or more records, more than the "
                             f"{len(positions)} samples of the run: it is no evaluation's results file in sample "
                             "order")
        self._lines, self._offsets = lines, offsets

    def __len__(self) -> int:
        return len(self._lines)

    def blocks(self) -> Iterator[list[Pair]]:
        """(record, its sample) of each record found, in file order, `BLOCK` at a time (the module's
        `BLOCK` as the reading starts)."""
        if not len(self):
            return
        chosen = self._positions[np.frombuffer(self._lines, dtype=np.int64)]  # their samples' positions (8 bytes each)
        given = 0
        with open(self.path, "rb") as fh:
            for samples in self._sample_set.read_chunks(chosen, BLOCK):
                block: list[Pair] = []
                for sample, offset in zip(samples, self._offsets[given:given + len(samples)]):
                    fh.seek(offset)
                    record = orjson.loads(fh.readline())
                    if record["id"] != sample["id"]:  # the results file was written again meanwhile
                        raise ValueError(f"{self.path} changed while it was read: the record at byte {offset} is "
                                         f"of sample {record['id']!r}, not of {sample['id']!r} as the run wrote it")
                    block.append((record, sample))
                given += len(samples)
                yield block
