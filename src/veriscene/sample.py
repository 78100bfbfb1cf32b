"""The sample record: one question with the program that computes its answer.

Field names are final (ARCHITECTURE.md); extras go in `meta`. A record is plain JSON:

    id                 stable content hash of (task, scene ids, program, template id, question)
    task               generator name, e.g. "object.count.v1"
    family             generator family, e.g. "counting"
    images             [{"id": image_id, "path": image path or null}, ...] (several for multi-image);
                       an image whose question names points drawn on it by label also has
                       "marks": [{"label": "A", "point": [x, y]}, ...] (pixels; `scene.marks`)
    question           rendered question text (multiple-choice options are listed in it)
    answer             the program's result as JSON (see ANSWER_TYPES)
    answer_type        one of ANSWER_TYPES
    choices            list of option strings for multiple choice, else null
    program            list of {"op", "inputs", "args"} nodes
    template_id        which paraphrase template rendered the question
    generator_version  integer version of the generator
    seed               per-scene seed the generator used
    meta               extras: mode ("qa" | "mc" | "caption"), answer_letter (mc), box_format,
                       image_size [w, h], generator config, ...
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from mypy_extensions import mypyc_attr

# Answer types and their JSON form:
#   bool          true / false                 (questions answered yes / no)
#   int           integer                      (counts)
#   float         number
#   str           a word or phrase             (names, attribute values, predicates)
#   str_set       sorted list of strings
#   box           [x0, y0, x1, y1] absolute pixels of the image; the question renders it in
#                 meta["box_format"] ("norm1" default: 0-1 with three decimals; "pixel"; "norm1000")
#   point         [x, y] absolute pixels, rendered like boxes
#   image_index   0-based int; questions say "Image 1", "Image 2", ... (1-based)
#   text          free-form description (scored by free-form matching, not exact match)
ANSWER_TYPES = ("bool", "int", "float", "str", "str_set", "box", "point", "image_index", "text")
MODES = ("qa", "mc", "caption")
SAMPLE_FIELDS = (
    "id", "task", "family", "images", "question", "answer", "answer_type", "choices",
    "program", "template_id", "generator_version", "seed", "meta",
)
OPTION_LETTERS = "ABCDEFGH"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def answer_problem(kind: str, answer: Any) -> str | None:
    """What makes `answer` no value of answer type `kind` (one of ANSWER_TYPES; their JSON forms
    above), else None: what no target can be rendered from and no reply scored against. Boxes and
    points are a list of 4 or 2 numbers; their conventions are checked where they are rendered."""
    expected = {"bool": "true or false", "int": "a whole number", "float": "a number", "str": "a string",
                "text": "a string", "str_set": "a list of strings", "box": "a list of 4 numbers",
                "point": "a list of 2 numbers", "image_index": "a whole number >= 0"}[kind]
    if kind == "bool":
        ok = isinstance(answer, bool)
    elif kind == "int":
        ok = isinstance(answer, int) and not isinstance(answer, bool)
    elif kind == "float":
        ok = _number(answer)
    elif kind in ("str", "text"):
        ok = isinstance(answer, str)
    elif kind == "str_set":
        ok = isinstance(answer, list) and all(isinstance(v, str) for v in answer)
    elif kind in ("box", "point"):
        ok = isinstance(answer, list) and len(answer) == (4 if kind == "box" else 2) and all(map(_number, answer))
    else:  # image_index
        ok = isinstance(answer, int) and not isinstance(answer, bool) and answer >= 0
    return None if ok else f"answer_type {kind} takes {expected}, got {answer!r:.80}"

_VERSION = re.compile(r"\.v\d+$")  # a task's (generator's) version suffix: "object.count.v1"


def without_version(task: str) -> str:
    """A task (generator) name without its version: "object.count.v1" -> "object.count"; what
    `-g` and the viewer's task filter take for the name."""
    return _VERSION.sub("", task)


_ID_HASH = hashlib.blake2b(digest_size=12)  # copied per id: cheaper than making one with its parameters


def sample_id(task: str, image_ids: list[str], program: list[dict[str, Any]], template_id: str,
              question: str) -> str:
    """Content hash: identical inputs give the identical id on every machine and worker count
    (the BLAKE2b of ``orjson.dumps([task, image_ids, program, template_id, question])``, made by
    `identified`, the one place those bytes are written)."""
    return identified(task, image_ids, program, template_id, question)[0]


_fragment = orjson.Fragment


def identified(task: str, image_ids: list[str], program: list[dict[str, Any]], template_id: str,
               question: str) -> tuple[str, bytes]:
    """The sample id (`sample_id`) and the program's JSON, which the id hashes: the runner keeps the JSON
    in its `Sample` (`Sample.of(program_json=...)`) and the engine writes it as it is in the
    sample's line (`sample_line`), where the program was otherwise serialised a second time
    (half the bytes of a demo sample, about 7,700 instructions; the second call of orjson here
    and the record's copy in `sample_line` cost back most of it: 2,100 fewer a sample in a
    whole run, callgrind)."""
    program_json = orjson.dumps(program)
    digest = _ID_HASH.copy()  # the record's JSON written whole: a Fragment is written as it is
    digest.update(orjson.dumps([task, image_ids, _fragment(program_json), template_id, question]))
    return digest.hexdigest(), program_json


_APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE


def sample_line(sample: "Sample") -> bytes:
    """The sample's line of a samples.jsonl, newline included: ``orjson.dumps(sample,
    option=orjson.OPT_APPEND_NEWLINE)``, with the program's JSON kept by `Sample.of` (when it
    was given one) written as it is rather than made again. Programs are not changed after the
    sample is made (its id hashes them): a sample whose program was changed in place is written
    with the JSON it was made with."""
    record = sample.__dict__
    program_json = record.get("_program_json")
    if program_json is None:
        return orjson.dumps(sample, option=_APPEND_NEWLINE)
    record = record.copy()  # (a dict, unlike the dataclass, has orjson write its "_" keys: taken out)
    del record["_program_json"]
    record["program"] = _fragment(program_json)
    return orjson.dumps(record, option=_APPEND_NEWLINE)


_new_object, _set_attribute = object.__new__, object.__setattr__  # (a frozen dataclass's own raises)


# compiled (veriscene.compiled) as a class of Python's own: its records are kept in its `__dict__`
@mypyc_attr(native_class=False)
@dataclass(frozen=True, init=False)
class Sample:
    id: str
    task: str
    family: str
    images: list[dict[str, Any]]
    question: str
    answer: Any
    answer_type: str
    choices: list[str] | None
    program: list[dict[str, Any]]
    template_id: str
    generator_version: int
    seed: int
    meta: dict[str, Any] = field(default_factory=dict)

    def __init__(self, id: str, task: str, family: str, images: list[dict[str, Any]], question: str, answer: Any,
                 answer_type: str, choices: list[str] | None, program: list[dict[str, Any]], template_id: str,
                 generator_version: int, seed: int, meta: dict[str, Any] | None = None) -> None:
        # The dataclass's own __init__, in one step: a frozen dataclass sets each field through
        # object.__setattr__ (2.2 us a sample, against 0.4). The fields go in in record order,
        # which is the order orjson writes them in.
        self.__dict__.update(
            id=id, task=task, family=family, images=images, question=question, answer=answer, answer_type=answer_type,
            choices=choices, program=program, template_id=template_id, generator_version=generator_version,
            seed=seed, meta={} if meta is None else meta)

    @classmethod
    def of(cls, *, id: str, task: str, family: str, images: list[dict[str, Any]], question: str, answer: Any,
           answer_type: str, choices: list[str] | None, program: list[dict[str, Any]], template_id: str,
           generator_version: int, seed: int, meta: dict[str, Any], program_json: bytes | None = None) -> "Sample":
        """`Sample(...)` as the runner makes one per sample: a class called with keywords first
        collects them in a dict (a third of the cost of `Sample(...)`), a function does not.
        `program_json`: the program's JSON (`orjson.dumps(program)`, from `identified`), kept
        for `sample_line` to write as it is (as `_program_json`, which orjson leaves out of the
        dataclass, as it does every "_" attribute, and which is no field: not compared, not in
        `to_dict`)."""
        sample = _new_object(cls)
        record = {  # in record order, which orjson writes
            "id": id, "task": task, "family": family, "images": images, "question": question, "answer": answer,
            "answer_type": answer_type, "choices": choices, "program": program, "template_id": template_id,
            "generator_version": generator_version, "seed": seed, "meta": meta}
        if program_json is not None:
            record["_program_json"] = program_json
        _set_attribute(sample, "__dict__", record)
        return sample

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict (shallow: nested lists and dicts are shared, not copied)."""
        return {name: getattr(self, name) for name in SAMPLE_FIELDS}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Sample":
        """The Sample of a record (a samples.jsonl line, decoded); keys besides `SAMPLE_FIELDS`
        are left out. TypeError for anything but a dict (None, the line not yet decoded, a
        Sample), ValueError for a record without a field or with a `meta` that is no object."""
        if not isinstance(d, Mapping):
            hint = " (decode the line first: orjson.loads(line))" if isinstance(d, (str, bytes)) else (
                " (it is one already)" if isinstance(d, Sample) else "")
            raise TypeError(f"a sample record must be a dict of the fields {', '.join(SAMPLE_FIELDS)}; "
                            f"got {type(d).__name__}{hint}")
        missing = [k for k in SAMPLE_FIELDS if k not in d]
        if missing:
            raise ValueError(f"sample record is missing fields {missing}")
        if d["meta"] is not None and not isinstance(d["meta"], dict):  # .mode reads it
            raise ValueError(f"sample record field 'meta' must be an object or null, got {d['meta']!r}"[:300])
        return cls(**{k: d[k] for k in SAMPLE_FIELDS})

    @property
    def mode(self) -> str:
        return str(self.meta.get("mode", "qa"))
