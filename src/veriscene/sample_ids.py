"""Sample ids across runs: when one id names two different samples.

`veriscene.sample.sample_id` hashes the task, the image ids, the program, the template and the
question: the same question about the same image id. Within a run an image id names one image
(`generate` skips a scene whose id it has already read), so a sample id names one sample.
Across runs it need not: two data sets whose images share ids (both have a "1.jpg", or two
demo runs of other seeds) give "How many dogs are there?" about their two "1.jpg" the same id,
with each its own answer. The ids are kept as they are (changing them would change every id
users have); the tools that put several runs' samples together by id check instead that the
samples an id names agree on what the id does not hash, their answer:

    veriscene eval FILE     a samples file holding one id twice with two answers (two runs'
                            samples merged) is refused, the ids named: results are kept by id
    veriscene compare A B   evaluations of other samples files: ids whose samples answer
                            otherwise in the two files are left out of the paired differences
                            and named in a note; runs generated from other scene files that
                            still share ids are said to (`run_inputs`)
    score-freeform --samples  a reply whose id names two samples of other answers in the file is
                            refused, named (which sample it answers cannot be told)
    VQAEnv.reset(options={"sample_id": ...})  an id naming samples of other answers or images
                            is refused, their indexes named (`{"index": i}` picks one)
    export --to hf --split  ids the split shares with the folder's other splits are warned of:
                            the same sample on both sides, or other samples of one id
    card --split-run        image ids two splits share are compared by file: the same image
                            (a leak) or other images of one id (no leak)
    veriscene split         records repeating an image id (across input files too) are counted
                            and named: one split holds them, `generate` keeps the first

Two samples of one id with the same answer cannot be told apart from their records (the same
question about two different images that happen to agree): evaluate each data set on its own
when their image ids overlap.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from veriscene.engine.runfiles import sample_lines

ID_NOTE = ("a sample id hashes the task, image ids, program and question, not the images: two data sets whose "
           "images share ids (both with a 1.jpg) can give the same id to different samples")


def answer_key(record: Mapping[str, Any]) -> bytes:
    """What two samples of one id must agree on, the answer and its type, as an 8-byte digest."""
    payload = orjson.dumps([record.get("answer_type"), record.get("answer")], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(payload, digest_size=8).digest()


@dataclass(frozen=True)
class IdConflict:
    """One sample id naming two samples of other answers: where each is, and its answer."""

    id: str
    first: str  # "line 12", or "runs/a/samples.jsonl, line 12"
    second: str
    first_answer: Any
    second_answer: Any

    def describe(self) -> str:
        return (f"{self.id}: {self.first} answers {short_answer(self.first_answer)}, {self.second} answers "
                f"{short_answer(self.second_answer)}")


def short_answer(answer: Any, width: int = 40) -> str:
    """An answer as JSON, cut to `width` characters (for messages naming samples)."""
    text = orjson.dumps(answer).decode()
    return text if len(text) <= width else text[:width - 3] + "..."


def conflicts_message(conflicts: list[IdConflict], listed: int = 3) -> str:
    """How many ids name two samples, the first `listed` with where and what they answer."""
    shown = "; ".join(c.describe() for c in conflicts[:listed])
    more = f"; and {len(conflicts) - listed} more" if len(conflicts) > listed else ""
    return f"{len(conflicts)} sample id(s) name two different samples ({shown}{more})"


@dataclass(frozen=True)
class Answered:
    """A sample's line in its file and its answer, as `read_answers` keeps them."""

    line: int
    answer: Any
    key: bytes


def read_answers(path: str | os.PathLike[str], ids: Collection[str] | None = None) -> dict[str, Answered]:
    """id -> line and answer of the samples of a run folder or samples file (only `ids`, when
    given); lines that are not sample records are passed over (the tools that read them for
    their own use report them). Raises FileNotFoundError when there is no such file."""
    found: dict[str, Answered] = {}
    for line_no, line in sample_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        sid = record.get("id") if isinstance(record, dict) else None
        if isinstance(sid, str) and (ids is None or sid in ids) and sid not in found:
            found[sid] = Answered(line_no, record.get("answer"), answer_key(record))
    return found


def conflicts_between(a: dict[str, Answered], b: dict[str, Answered], a_name: str, b_name: str,
                      ids: Iterable[str] | None = None) -> list[IdConflict]:
    """The ids (of `ids`, else all) that both `a` and `b` hold with other answers, in `a`'s line order."""
    wanted = set(a) & set(b) if ids is None else {i for i in ids if i in a and i in b}
    return [IdConflict(i, f"{a_name}, line {a[i].line}", f"{b_name}, line {b[i].line}", a[i].answer, b[i].answer)
            for i in sorted(wanted, key=lambda i: a[i].line) if a[i].key != b[i].key]


def run_inputs(path: str | os.PathLike[str]) -> tuple[str, ...] | None:
    """The SHA-256 of each scene file the run of a run folder (or of the samples file in one) was
    generated from, as its manifest records them; None without a readable manifest."""
    from pathlib import Path

    from veriscene.engine.manifest import scene_inputs

    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    try:
        manifest = orjson.loads((folder / "manifest.json").read_bytes())
        return tuple(str(i.get("sha256")) for i in scene_inputs(manifest["config"]))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None
