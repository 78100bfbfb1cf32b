"""The data set's own words, with their kinds, as rivals of a `str` gold answer.

A reply to a `str` question is read by finding candidate words in it, and a reply that names
two candidates of the gold answer's kind fails (`candidates`). The built-in candidates are the
demo's shapes and `veriscene.vocab`'s attribute and relation words; a data set of other words
("cat", "dog", "holding", "wearing") needs its own, or "There is a cat. There is a dog." earns
credit for both. Those words are in the run's `vocabulary.json` (written by `veriscene generate`
and `veriscene demo`, `veriscene.generators.vocabulary.Vocabulary.to_dict`):

    names       -> kind "name"
    predicates  -> kind "relation"
    attributes  -> their type (`vocab.attribute_type`: "red" -> "color"; "attribute" if unknown)

`load_rivals(path)` reads a file once (cached by path, size and modification time); `as_rivals`
accepts what a caller may hold (None, a path, the file's dict, a `Vocabulary`, `Rivals`).
`Rivals` compare by identity, so the kind tables built from them are cached per object.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

import orjson

from veriscene import vocab

NAME = "name"
RELATION = "relation"
VOCABULARY_FILE = "vocabulary.json"


@dataclass(frozen=True, eq=False)
class Rivals:
    """Words of one data set and their kinds: ((word, kind), ...), sorted; `source` says where
    they come from (a file path, or "<dict>"). Compared and hashed by identity (`eq=False`):
    a table of tens of thousands of words is never hashed word by word per reply."""

    words: tuple[tuple[str, str], ...]
    source: str = "<dict>"

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def from_vocabulary(cls, data: Mapping[str, Any] | Any, source: str = "<dict>") -> Rivals:
        """From a `vocabulary.json` dict or a `Vocabulary` (its names, predicates, attributes).
        Raises ValueError naming `source` and the field when a field is not a mapping / list."""
        if not isinstance(data, Mapping):
            to_dict = getattr(data, "to_dict", None)
            if not callable(to_dict):
                raise TypeError(f"{source}: a vocabulary must be a dict or a Vocabulary, got {type(data).__name__}")
            data = to_dict()
        pairs: set[tuple[str, str]] = set()
        for field, kind_of in (("names", lambda w: NAME), ("predicates", lambda w: RELATION),
                               ("attributes", vocab.attribute_type)):
            words = data.get(field) or {}
            if isinstance(words, (str, bytes)) or not hasattr(words, "__iter__"):
                raise ValueError(f"{source}: field {field!r} must be a mapping of word -> count or a list "
                                 f"of words, got {type(words).__name__}")
            for word in words:
                if isinstance(word, str) and word.strip():
                    pairs.add((word, kind_of(word)))
        return cls(tuple(sorted(pairs)), source)


@lru_cache(maxsize=16)
def _load(path: str, size: int, mtime_ns: int) -> Rivals:
    try:
        data = orjson.loads(Path(path).read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a vocabulary file must hold a JSON object, got {type(data).__name__}")
    return Rivals.from_vocabulary(data, source=path)


def load_rivals(path: str | os.PathLike[str]) -> Rivals:
    """The rivals of a `vocabulary.json` (or of the run folder holding one), read once: the
    same object is returned while the file is unchanged. FileNotFoundError names the path."""
    p = Path(path)
    if p.is_dir():
        p = p / VOCABULARY_FILE
    if not p.is_file():
        raise FileNotFoundError(f"no vocabulary file at {p}")
    stat = p.stat()
    return _load(str(p.resolve()), stat.st_size, stat.st_mtime_ns)


def run_rivals(samples_path: str | os.PathLike[str]) -> Rivals | None:
    """The rivals of a run folder, or of the run a samples file belongs to (`vocabulary.json` in
    the folder, or beside the file), or None."""
    path = Path(samples_path)
    found = (path if path.is_dir() else path.parent) / VOCABULARY_FILE
    return load_rivals(found) if found.is_file() else None


RivalsLike = Union[Rivals, str, "os.PathLike[str]", Mapping[str, Any], Any, None]


def as_rivals(value: RivalsLike) -> Rivals | None:
    """`Rivals` from None, `Rivals`, a path (file or run folder), a vocabulary dict or a
    `Vocabulary`."""
    if value is None or isinstance(value, Rivals):
        return value
    if isinstance(value, (str, os.PathLike)):
        return load_rivals(value)
    if isinstance(value, Mapping):
        return _from_mapping(value)
    return Rivals.from_vocabulary(value, source=type(value).__name__)


_BY_ID: dict[int, tuple[Mapping[str, Any], Rivals]] = {}


def _from_mapping(value: Mapping[str, Any]) -> Rivals:
    """A dict given again (a reward factory's option, each call) gives the same `Rivals`."""
    held = _BY_ID.get(id(value))
    if held is not None and held[0] is value:
        return held[1]
    rivals = Rivals.from_vocabulary(value)
    if len(_BY_ID) > 16:
        _BY_ID.clear()
    _BY_ID[id(value)] = (value, rivals)
    return rivals
