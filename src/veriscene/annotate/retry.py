"""Images a model's server failed on, done again when their run is resumed.

An image fails on the server when requests of a model stage timed out or failed after their
retries (HTTP 429 and 5xx, no connection: `batches.server_fault`): it is rejected
(`pipeline.SERVER_FAILED`) or written without some attributes or relations
(`pipeline.SERVER_PARTLY`). That is not the image's fault, and a later run may do it. As the run
goes, each such image is noted in ``.<out>.retry.jsonl`` (`notes_file`): one JSON line with its
position, the bytes of the partial scene file and of the reject report that hold what it gave
(its scene, none when rejected; its rejects), the counts it added, and the replies its attribute
and relation requests did get (``answers``: request key -> text, `stages.Answers`). The notes
file is appended to and cut back like the others (its size is in the run's state,
``noted_bytes``).

A resumed run does the noted images again first (`runfile`), on the workers that then do the rest
of the run, and puts what each gives in its place (`put_in_place`): the scene file and the reject
report are spliced, each image's old bytes replaced by its new ones; the counts it added are taken
back and its new ones added. So both files are byte for byte what a run that never failed would
have written, in the same order. Images that fail again are noted again. Images rejected for their
own fault, such as an unreadable file, a decompression bomb or a request the server refused, are
never noted, and stay rejected. The three files change together (`commit`): written beside their
places first (``.next``), named in the state, then moved; a run killed in between finishes the
moves when it is resumed (`finish_moves`).

What is done again: the requests of an image that got a reply are not sent again, the reply is
handed on as it came (an image with 3 of its 40 attribute requests failed sends 3). A model that
takes batches of images padded together (the local detector, mask and depth models) sees the image
again with the batch it was in: its results for an image alone differ from those in the batch in
the last bits (a score, a depth; measured on the tiny DETR and DPT of the tests), which would make
the files differ from a run that never failed (`stages.Stages.batch_bound`). A stage that takes no
batches, or whose results do not depend on them (one request per image), sees the image alone.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable

import orjson

from veriscene.annotate.parallel import ImageDone
from veriscene.io.rejects import Reject

# counts of one run (this call), not carried over when it is resumed
RETRIED = "images_retried_after_server_failures"
FAILED_AGAIN = "retried_images_failing_again"
PER_RUN = (RETRIED, FAILED_AGAIN)


def notes_file(out: Path) -> Path:
    """The notes of the images the server failed on, of a run writing `out`."""
    return out.with_name(f".{out.name}.retry.jsonl")


def next_file(path: Path) -> Path:
    """Where the new content of `path` is written before it is moved there (`commit`)."""
    return path.with_name(f".{path.name}.next")


@dataclass(frozen=True)
class Noted:
    """An image the server failed on: where its bytes are in the partial scene file (`scene`:
    [start, end), empty when it was rejected) and the reject report (`rejects`), the repair
    counts (`repairs`) and rejects by level (`rejected`) it added to the run's, and the replies its
    requests got (`answers`; notes of release 0.5.0 have none: all are asked again)."""

    position: int
    scene: tuple[int, int]
    rejects: tuple[int, int]
    repairs: dict[str, int]
    rejected: dict[str, int]
    answers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, done: ImageDone, scene: tuple[int, int], rejects: tuple[int, int]) -> "Noted":
        return cls(done.position, scene, rejects, dict(done.repairs), dict(Counter(r.level for r in done.rejects)),
                   dict(done.answers))

    def line(self) -> bytes:
        return orjson.dumps({"position": self.position, "scene": self.scene, "rejects": self.rejects,
                             "repairs": self.repairs, "rejected": self.rejected, "answers": self.answers}) + b"\n"


def read_notes(path: Path, size: int) -> list[Noted]:
    """The notes in the first `size` bytes of `path` (what the run's state counts), in position order."""
    if size == 0:
        return []
    if not path.is_file() or path.stat().st_size < size:
        raise ValueError(f"{path}: the notes of the images the server failed on are missing or shorter than the "
                         f"run's state says ({size} bytes); run without resume to start over")
    with open(path, "rb") as fh:
        data = fh.read(size)
    notes = []
    for k, line in enumerate(data.splitlines(), start=1):
        try:
            row = orjson.loads(line)
            answers = row.get("answers", {})
            if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
                raise ValueError(f"answers is not an object of reply texts: {str(answers)[:80]}")
            notes.append(Noted(int(row["position"]), (int(row["scene"][0]), int(row["scene"][1])),
                               (int(row["rejects"][0]), int(row["rejects"][1])), dict(row["repairs"]),
                               dict(row["rejected"]), answers))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ValueError(f"{path}, line {k}: not a note of an image ({type(exc).__name__}: {exc}); run without "
                             "resume to start over") from None
    return notes


def reject_lines(rejects: Iterable[Reject]) -> bytes:
    """Rejects as the reject report writes them (`RejectReport.record`): one JSON line each."""
    return b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in rejects)


def _copy(src: IO[bytes], dst: IO[bytes], n: int) -> None:
    """Copy `n` bytes from `src` (where it stands) to `dst`."""
    while n > 0:
        chunk = src.read(min(n, 1 << 20))
        if not chunk:
            raise ValueError(f"{getattr(src, 'name', 'a file')}: shorter than the run's state says; run without "
                             "resume to start over")
        dst.write(chunk)
        n -= len(chunk)


def spliced(source: Path, target: Path, size: int, swaps: list[tuple[tuple[int, int], bytes]]) -> list[tuple[int, int]]:
    """Write the first `size` bytes of `source` to `target` with each byte range [start, end) of
    `swaps` (in order, apart) replaced by its bytes: the ranges those bytes hold in `target`."""
    placed = []
    with open(source, "rb") as src, open(target, "wb") as dst:
        at = 0
        for (start, end), data in swaps:
            if not at <= start <= end <= size:
                raise ValueError(f"{source}: bytes {start}-{end} of an image are out of order or past the {size} "
                                 "bytes the run's state counts; run without resume to start over")
            _copy(src, dst, start - at)
            src.seek(end)
            begin = dst.tell()
            dst.write(data)
            placed.append((begin, dst.tell()))
            at = end
        _copy(src, dst, size - at)
    return placed


def put_in_place(state: dict[str, Any], notes: list[Noted], redone: dict[int, ImageDone], partial: Path,
                 rejects: Path, notes_path: Path) -> list[tuple[Path, Path]]:
    """Write the partial scene file, the reject report and the notes with what each noted image
    gave when done again (`redone`, by position) in its place, each beside its place
    (`next_file`), and update `state` (sizes, scenes written, counts; `RETRIED`, `FAILED_AGAIN`):
    the (new, place) pairs to move (`commit`)."""
    missing = [n.position for n in notes if n.position not in redone]
    if missing:
        raise RuntimeError(f"images {missing} were to be done again, and were not")  # an internal invariant
    again = [redone[n.position] for n in notes]
    scenes = spliced(partial, next_file(partial), state["bytes"],
                     [(n.scene, d.line or b"") for n, d in zip(notes, again)])
    reports = spliced(rejects, next_file(rejects), state["rejects_bytes"],
                      [(n.rejects, reject_lines(d.rejects)) for n, d in zip(notes, again)])
    repairs, rejected = Counter(state["repairs"]), Counter(state["rejected"])
    with open(next_file(notes_path), "wb") as fh:
        for note, done, scene, report in zip(notes, again, scenes, reports):
            repairs.subtract(note.repairs)
            rejected.subtract(note.rejected)
            repairs.update(done.repairs)
            rejected.update(r.level for r in done.rejects)
            if done.server:  # failing again: noted again, where its bytes are now
                fh.write(Noted.of(done, scene, report).line())
        noted_bytes = fh.tell()
    repairs[RETRIED] = len(notes)
    repairs[FAILED_AGAIN] = sum(d.server for d in again)
    gained = sum(d.line is not None for d in again) - sum(n.scene[1] > n.scene[0] for n in notes)  # scenes now
    state.update(bytes=next_file(partial).stat().st_size, rejects_bytes=next_file(rejects).stat().st_size,
                 noted_bytes=noted_bytes, written=state["written"] + gained,
                 repairs={k: n for k, n in repairs.items() if n > 0 or k in PER_RUN},  # "0 failing again" said
                 rejected={k: n for k, n in rejected.items() if n > 0})
    return [(next_file(partial), partial), (next_file(rejects), rejects), (next_file(notes_path), notes_path)]


Save = Callable[[Path, dict[str, Any]], None]


def commit(state_path: Path, state: dict[str, Any], moves: list[tuple[Path, Path]], save: Save) -> None:
    """Move each written file to its place, `state` naming the moves first, so that a run killed
    part-way makes them when resumed (`finish_moves`)."""
    state["moving"] = [[str(new), str(place)] for new, place in moves]
    save(state_path, state)
    finish_moves(state_path, state, save)


def finish_moves(state_path: Path, state: dict[str, Any], save: Save) -> None:
    """Make the moves `state` names (``moving``; those made already are gone), then save it without them."""
    moving = state.pop("moving", None)
    if not moving:
        return
    for new, place in moving:
        if os.path.exists(new):
            os.replace(new, place)
    save(state_path, state)
