"""The run's sample a data set row answers, found by what the row holds when it has no `sample_id`.

`veriscene export RUN --to trl` writes a `sample_id` column, and the rewards find a row's sample by
it. A row without one (a data set whose prompts the user wrote again, or whose `sample_id` column
was dropped) is found, when that can be told, by what else it holds:

    answer     its gold (the `ground_truth` or `answer` column): only samples of that answer
    prompt     the text of its prompt: samples whose question it holds (a question of several
               images is matched without its "<image>" placeholders); a prompt holding none of
               the questions (the user's own wording) rules nothing out
    images     its images (PIL images as TRL passes them, {"bytes", "path"} cells, bytes or file
               paths): samples showing the same pixels, in order (each image's RGB pixels
               hashed): they part the samples the answer and prompt leave, and when those
               leave one, its images must be the row's (when both can be read)
    provenance what a verl row's `extra_info` holds (verl passes no prompt): its `image_ids` (the
               scene images, in order), `task` and `program` (JSON text or a list): only samples
               of those; a row whose image ids, task or program no sample of its gold has is
               refused (a row of another image or run), never guessed

One sample left: the row's. None or several: the row cannot be told (`Unfound`, saying which
and how to fix it), never guessed.

What is kept between rows is bounded (least recently used dropped first, `evaluate.freeform.
bounded`): what was found for a gold and prompt, up to `ROWS_KEPT` (4,096) distinct ones (a
GRPO group's rows share one, scored in one batch; a data set of the user's own prompts has as many
as rows; each kept as a 16-byte digest of its gold, prompt and provenance), and the pixel digests of `IMAGES_KEPT` (65,536)
samples and image paths (a digest and its path or id: about 200 bytes). A dropped one is worked out again
when a row asks for it (the same answer): the bounds cost time, never a different answer.
benchmarks/freeform_locate_memory.py measures them on 20,000 rows.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from veriscene.evaluate.freeform.bounded import Bounded

PLACEHOLDER = "<image>"
_SPACE = re.compile(r"\s+")
_SHOWN = 3  # sample ids named in a message
ROWS_KEPT = 4096  # what was found for a row's gold and prompt (and provenance), kept for the next such row
IMAGES_KEPT = 65_536  # pixel digests kept, of samples and of image paths each


@dataclass(frozen=True)
class Unfound:
    """Why a row without `sample_id` could not be told to answer one sample of the run."""

    reason: str


@dataclass(frozen=True)
class _Found:
    found: str | Unfound
    cache: bool  # kept for the next row of the same gold and prompt (not when its images decided)


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.replace(PLACEHOLDER, " ")).strip().lower()


def prompt_text(prompt: Any) -> str:
    """The text of a prompt: a str, or chat messages whose content is a str or text parts."""
    if isinstance(prompt, str):
        return _norm(prompt)
    parts: list[str] = []
    for message in prompt if isinstance(prompt, Sequence) else ():
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, Sequence):
            parts.extend(str(p.get("text")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return _norm(" ".join(parts))


def _shortened(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[:most] + "..."


def describe_row(text: str, answer: Any = None, has_answer: bool = False, image_ids: Sequence[str] = ()) -> str:
    """"the row (gold ..., prompt '...')": a row without `sample_id` named in a message by its
    gold and prompt text (each cut to 60 characters), and its image ids when given."""
    said = ([f"gold {_shortened(repr(answer))}"] if has_answer else []) + ([f"prompt {_shortened(text)!r}"] if text else [])
    said += [f"image ids {_shortened(', '.join(image_ids))}"] if image_ids else []
    return f"the row ({', '.join(said)})" if said else "the row"


FIX = ("give the row its sample_id column (veriscene export RUN --to trl writes it; a verl row: extra_info.sample_id, "
       "which --to verl writes)")


def _ids(value: Any) -> tuple[str, ...]:
    """Image ids as given (a list, a numpy array read by pandas, one id), as strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        return (str(value),)


def _program_key(program: Any) -> bytes | None:
    """A program as `extra_info` holds it (JSON text) or as a sample does (a list), comparable."""
    if program is None:
        return None
    if isinstance(program, (str, bytes)):
        try:
            program = orjson.loads(program)
        except orjson.JSONDecodeError:
            return answer_key(str(program))
    return answer_key(program)


def answer_key(answer: Any) -> bytes:
    return orjson.dumps(answer, option=orjson.OPT_SORT_KEYS)


def image_digest(image: Any, root: Path | None = None) -> str | None:
    """A digest of an image's RGB pixels and size (None when it cannot be read): a PIL image, a
    {"bytes", "path"} cell, bytes, or a path (relative ones against `root`)."""
    from PIL import Image

    try:
        if isinstance(image, Mapping):
            image = image.get("bytes") or image.get("path")
        if isinstance(image, (bytes, bytearray)):
            image = Image.open(io.BytesIO(image))
        elif isinstance(image, (str, Path)):
            path = Path(image)
            image = Image.open(path if path.is_absolute() or root is None else root / path)
        if not isinstance(image, Image.Image):
            return None
        rgb = image.convert("RGB")
    except (OSError, ValueError):
        return None
    return hashlib.blake2b(rgb.tobytes() + repr(rgb.size).encode(), digest_size=16).hexdigest()


class SampleLocator:
    """Finds the sample a row without `sample_id` answers (see the module docstring) among
    `samples` (records with "id", "answer", "question" and "images" [{"id", "path"?}]); `root`:
    the folder their image paths are relative to. `most_rows` / `most_images`: the bounds of what
    is kept (by default `ROWS_KEPT`, `IMAGES_KEPT`: see the module docstring)."""

    def __init__(self, samples: Iterable[Mapping[str, Any]], root: Path | None = None, *,
                 most_rows: int | None = None, most_images: int | None = None) -> None:
        self.root = root
        self._samples: dict[str, Mapping[str, Any]] = {}
        self._by_answer: dict[bytes, list[str]] = defaultdict(list)
        for s in samples:
            sid = s.get("id")
            if not isinstance(sid, str) or sid in self._samples:
                continue
            self._samples[sid] = s
            self._by_answer[answer_key(s.get("answer"))].append(sid)
        self._questions = {sid: _norm(str(s.get("question") or "")) for sid, s in self._samples.items()}
        most_images = IMAGES_KEPT if most_images is None else most_images
        self._digests: Bounded[str, tuple[str | None, ...]] = Bounded(most_images)  # sample id -> its images' digests
        # image path -> its digest (an image many samples show: read once while kept)
        self._path_digests: Bounded[str, str | None] = Bounded(most_images)
        self._found: Bounded[bytes, str | Unfound] = Bounded(ROWS_KEPT if most_rows is None else most_rows)

    def __len__(self) -> int:
        return len(self._samples)

    def cache_sizes(self) -> dict[str, int]:
        """How much is kept now: rows told ("rows"), samples' and paths' digests ("samples", "paths")."""
        return {"rows": len(self._found), "samples": len(self._digests), "paths": len(self._path_digests)}

    def locate(self, *, answer: Any = None, has_answer: bool = False, prompt: Any = None,
               images: Any = None, image_ids: Any = None, task: Any = None, program: Any = None) -> str | Unfound:
        """The id of the one sample the row answers, or `Unfound` saying why not. `answer`
        (with `has_answer`): the row's gold; `prompt`: its prompt; `images`: its images;
        `image_ids`, `task`, `program`: its provenance (a verl row's extra_info)."""
        text = prompt_text(prompt) if prompt is not None else ""
        row_images = list(images) if isinstance(images, Sequence) and not isinstance(images, (str, bytes)) else (
            [images] if images is not None else [])
        ids, program_key = _ids(image_ids), _program_key(program)
        task = str(task) if task is not None and task != "" else None
        # (kept as a digest: a caption's gold and a prompt are kilobytes of text, a key 16 bytes)
        key = hashlib.blake2b(orjson.dumps([answer_key(answer).decode() if has_answer else None, text, bool(row_images),
                                            ids, task, program_key.decode() if program_key else None]),
                              digest_size=16).digest()
        # (a group's rows share their prompt and gold; the images are read only to part samples)
        if key in self._found:
            return self._shown_by(self._found[key], row_images, text, answer, has_answer)
        found = self._locate(answer, has_answer, text, row_images, ids, task, program_key)
        if found.cache:  # (what images decide is not kept)
            self._found[key] = found.found
            return self._shown_by(found.found, row_images, text, answer, has_answer)
        return found.found

    def _locate(self, answer: Any, has_answer: bool, text: str, row_images: list[Any], ids: tuple[str, ...],
                task: str | None, program_key: bytes | None) -> _Found:
        row = describe_row(text, answer, has_answer, ids)
        candidates = self._by_answer.get(answer_key(answer), []) if has_answer else list(self._samples)
        said = []
        if has_answer:
            said.append("gold")
            if not candidates:
                return _Found(Unfound(f"{row}: no sample of the run has the row's gold answer (a row of another run "
                                      "or data set?)"), False)
        for name, given, value in (("image ids", ids, self._image_ids), ("task", task, self._task),
                                   ("program", program_key, self._program)):
            if not given:
                continue
            kept = [sid for sid in candidates if value(sid) == given]
            if not kept:
                return _Found(Unfound(f"{row} has no sample_id, and no sample of the run of its "
                                      f"{' and '.join(said) or 'rows'} has its {name} (a row of another image or run?): "
                                      f"which it answers cannot be told; {FIX}"), False)
            candidates, said = kept, [*said, name]
        if len(candidates) > 1 and text:
            asked = [sid for sid in candidates if self._questions[sid] and self._questions[sid] in text]
            if asked:
                candidates, said = asked, [*said, "question"]
        unmatched = ""  # why the row's images parted no samples
        if len(candidates) > 1 and row_images:
            digests = tuple(image_digest(i) for i in row_images)
            unread = [k for k, d in enumerate(digests, 1) if d is None]
            shown = [sid for sid in candidates if self._image_digests(sid) == digests] if not unread else []
            if shown:
                candidates, said = shown, [*said, "images"]
            elif unread:
                unmatched = f"; its image {unread[0]} cannot be read (a PIL image, image bytes or a path)"
            else:
                unmatched = "; its images show the pixels of none of them (re-encoded, resized or cropped?)"
        found: str | Unfound
        if len(candidates) == 1:
            found = candidates[0]
        elif not candidates:
            found = Unfound(f"{row}: no sample of the run has the row's question")
        else:
            names = ", ".join(repr(s) for s in candidates[:_SHOWN]) + (" ..." if len(candidates) > _SHOWN else "")
            found = Unfound(f"{row} has no sample_id and {len(candidates)} samples of the run share its "
                            f"{' and '.join(said) or 'prompt'} ({names}){unmatched}: which it answers cannot be told; "
                            f"{FIX}")
        return _Found(found, "images" not in said and (isinstance(found, str) or not row_images))

    def _image_ids(self, sid: str) -> tuple[str, ...]:
        return tuple(str(i.get("id")) for i in self._samples[sid].get("images") or [] if isinstance(i, Mapping))

    def _task(self, sid: str) -> str | None:
        task = self._samples[sid].get("task")
        return None if task is None else str(task)

    def _program(self, sid: str) -> bytes | None:
        return _program_key(self._samples[sid].get("program"))

    def _shown_by(self, found: str | Unfound, row_images: list[Any], text: str, answer: Any,
                  has_answer: bool) -> str | Unfound:
        """`found`, told by the row's gold and question alone, unless the row's images (given and
        read) are not the sample's: a row of another image, refused rather than guessed."""
        if not isinstance(found, str) or not row_images:
            return found
        theirs = self._image_digests(found)
        digests = tuple(image_digest(i) for i in row_images)
        if None in digests or None in theirs or digests == theirs:  # (what cannot be read tells nothing)
            return found
        return Unfound(f"{describe_row(text, answer, has_answer)} has no sample_id, and its images are not those of "
                       f"{found!r}, the one sample of its gold and question (a row of another image?): which it "
                       f"answers cannot be told; {FIX}")

    def _image_digests(self, sid: str) -> tuple[str | None, ...]:
        if sid not in self._digests:
            images = self._samples[sid].get("images") or []
            self._digests[sid] = tuple(self._path_digest(str(i["path"])) if isinstance(i, Mapping) and i.get("path")
                                       else None for i in images)
        return self._digests[sid]

    def _path_digest(self, path: str) -> str | None:
        if path not in self._path_digests:
            self._path_digests[path] = image_digest(path, self.root)
        return self._path_digests[path]
