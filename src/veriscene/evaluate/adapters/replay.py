"""Adapters without a model: replay stored replies, or answer with a Python function.

`ReplayModel` ("replay:FILE") scores replies computed elsewhere: FILE is JSONL with one
``{"id": SAMPLE_ID, "reply": TEXT}`` per line, or one JSON document (a list of such records, or
an object of sample id -> reply text, as ``json.dump`` writes them) (a previous run's results.jsonl works as is;
"response" / "output" / "text" are accepted for "reply"), or lmms-eval's ``--log_samples`` file of
a task folder ``veriscene export --to lmms_eval`` wrote (``{"doc_id": N, "doc": {"id": SAMPLE_ID,
...}, "filtered_resps": [TEXT], "resps": [[TEXT]]}``: the reply lmms-eval scored, its first
filtered response). A sample without a stored reply gets
an error completion naming the file, never a silent empty answer. The model's identity holds
the file's SHA-256, so an evaluation folder made from one version of FILE refuses to resume
with another (its results, and its cached replies, would be stale): use another --out folder.

`FunctionModel` wraps ``fn(request) -> str`` (tests, rule-based baselines). Its identity holds a
fingerprint of the function (its qualified name, its code and the plain values it closes over or
is bound to), so a folder made with one function refuses to resume with another of the same
`name`. A function whose replies depend on anything else (a file it reads, a model object)
should be told apart by `name=` or `params=`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from veriscene.errors import DataError
from veriscene.evaluate.adapters.base import Completion, Model, ModelConfigError, OnDone, Request

REPLY_FIELDS = ("reply", "response", "output", "text")


def _json_type(value: Any) -> str:
    """A JSON value's kind as a replies file's author wrote it: "null", "a number (3)", "a list"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    return "a list" if isinstance(value, list) else "an object"


def read_replies(path: str | os.PathLike[str]) -> dict[str, str]:
    """sample id -> reply text from a JSONL file; a bad line raises `DataError` with file, line and
    field (bad data: `veriscene eval` exits 1), a missing file `ModelConfigError` (exit 2).

    A line of status "error" (an earlier run's failed request, whose results record has "reply":
    "") is no reply: its sample is asked of the file again and gets "no reply in FILE", not an empty
    reply scored as a wrong answer. A reply that is no string (3, null, a list) and an id given two
    other replies (two models' files joined) are refused, naming the lines; the same reply twice is
    taken once."""
    return _read(path)[0]


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, str], bool]:
    """(`read_replies`, whether the file is lmms-eval's ``--log_samples`` file: its lines are)."""
    path = Path(path)
    if not path.exists():
        raise ModelConfigError(f"replay file {path} does not exist")
    whole = _one_document(path)
    if whole is not None:
        return whole, False
    replies: dict[str, str] = {}
    lmms_eval = False
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise DataError(f"{path}, line {line_no}: not valid JSON ({exc})") from None
            entry = _entry(record, f"{path}, line {line_no}")
            if entry is None:
                continue  # a failed request of an earlier run has no reply to replay
            sid, text = entry
            if sid in replies and replies[sid] != text:
                raise DataError(f"{path}, line {line_no}: sample {sid} has another reply on line "
                                f"{_first_line(path, sid)}: a replies file holds one reply a sample (two files "
                                "joined?); keep one of the lines")
            replies[sid] = text
            lmms_eval = lmms_eval or "doc_id" in record
    return replies, lmms_eval


def _one_document(path: Path) -> dict[str, str] | None:
    """The replies of a file that is one JSON document, as a notebook's ``json.dump`` writes them:
    a list of the records a JSONL file has one a line (``[{"id": ..., "reply": ...}, ...]``, each
    named by its item), or an object of sample id -> reply text (``{"9f0c...": "yes", ...}``).
    None for a JSONL file (its first line a whole JSON value that is no such object)."""
    with open(path, "rb") as fh:
        first = next((line for line in fh if line.strip()), b"")
    try:
        record = orjson.loads(first)
        record_keys = ("id", "doc_id", "status", *REPLY_FIELDS, *LMMS_EVAL_FIELDS)  # a record's, not a sample id
        if not isinstance(record, list) and not (isinstance(record, dict)
                                                 and not any(k in record for k in record_keys)):
            return None  # a line of JSONL (or a bad one, said by its line)
    except orjson.JSONDecodeError:
        if first.strip() not in (b"[", b"{"):  # json.dump(..., indent=N) opens its document alone on a line
            return None  # a bad line of JSONL, said by its line (a large file is not read whole for it)
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return None
    replies: dict[str, str] = {}
    if isinstance(document, list):
        for n, item in enumerate(document):
            entry = _entry(item, f"{path}, item {n} of its list")
            if entry is None:
                continue
            sid, text = entry
            if sid in replies and replies[sid] != text:
                raise DataError(f"{path}, item {n} of its list: sample {sid} has another reply before it: a replies "
                                "file holds one reply a sample (two files joined?); keep one of them")
            replies[sid] = text
        return replies
    if isinstance(document, dict):
        for sid, text in document.items():
            if not sid:
                raise DataError(f"{path}: a key is empty, not a sample id (an object of sample id -> reply text)")
            if not isinstance(text, str):
                raise DataError(f"{path}, key {sid!r}: the value is {_json_type(text)}, not the reply's text (an "
                                "object of sample id -> reply text)")
            replies[sid] = text
        return replies
    return None


LMMS_EVAL_FIELDS = ("filtered_resps", "resps")  # lmms-eval's --log_samples: the reply it scored first


def _entry(record: Any, where: str) -> tuple[str, str] | None:
    """(sample id, reply text) of one line of a replies file (`where`: its file and line, for the
    errors), or None for an earlier run's failed request. A line of lmms-eval's ``--log_samples``
    (``doc_id``, ``doc``, ``filtered_resps``) gives the id its doc keeps and its first filtered
    response."""
    if isinstance(record, dict) and "id" not in record and "doc_id" in record \
            and any(f in record for f in LMMS_EVAL_FIELDS):
        return _lmms_eval_entry(record, where)
    if not isinstance(record, dict) or "id" not in record:
        raise DataError(f"{where}: field 'id' is missing")
    sid = record["id"]
    if not isinstance(sid, str) or not sid:
        what = "empty" if sid == "" else _json_type(sid)
        raise DataError(f"{where}: field 'id' is {what}, not a sample id (the string of the sample's \"id\")")
    if record.get("status") == "error":
        return None
    field = next((f for f in REPLY_FIELDS if f in record), None)
    if field is None:
        raise DataError(f"{where}: no reply: give the reply text in one of the fields {list(REPLY_FIELDS)}")
    text = record[field]
    if not isinstance(text, str):
        raise DataError(f"{where}: field {field!r} is {_json_type(text)}, not the reply's text: write it as a JSON "
                        "string (\"3\", \"yes\"), or leave the sample's line out (it is then counted as an error, "
                        "no reply)")
    return sid, text


def _lmms_eval_entry(record: dict[str, Any], where: str) -> tuple[str, str]:
    """(sample id, reply) of a line of lmms-eval's ``--log_samples`` file: the id of its ``doc`` (a
    row of the task's data file, which `veriscene export --to lmms_eval` writes with the sample's
    id) and the first of ``filtered_resps`` (what its ``process_results`` scored), else of
    ``resps``, a list in a list as lmms-eval nests them."""
    doc = record.get("doc")
    sid = doc.get("id") if isinstance(doc, dict) else None
    if not isinstance(sid, str) or not sid:
        raise DataError(f"{where}: an lmms-eval samples line (doc_id {record.get('doc_id')!r}) whose field "
                        "'doc.id' is missing or no sample id: only the tasks `veriscene export --to lmms_eval` "
                        "writes keep the sample's id in their docs")
    field = next(f for f in LMMS_EVAL_FIELDS if f in record)
    text: Any = record[field]
    said = field
    while isinstance(text, list) and text:
        text, said = text[0], f"{said}[0]"
    if not isinstance(text, str):
        raise DataError(f"{where}: field {said!r} of an lmms-eval samples line is {_json_type(text)}, not the "
                        "reply's text")
    return sid, text


def _first_line(path: Path, sid: str) -> int:
    """The number of the first line of `path` giving sample `sid` a reply (read again only to name
    it in an error: no line number is held per reply)."""
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            entry = _entry(orjson.loads(line), "") if line.strip() else None
            if entry is not None and entry[0] == sid:
                return line_no
    raise AssertionError(f"{sid} is on no line of {path}")  # (it was read from one)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class ReplayModel(Model):
    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        self.path = Path(path)
        self.replies, self.lmms_eval = _read(self.path)
        self.sha256 = file_sha256(self.path)
        self.name = name or f"replay:{self.path.name}"
        self.params: dict[str, Any] = {}
        self.found = 0  # requests the file had a reply for (the others: "no reply in FILE")

    def identity(self) -> dict[str, Any]:
        found = {"adapter": "replay", "model": self.name, "file": str(self.path.resolve()), "sha256": self.sha256}
        # (only for such files, which no earlier release read: other replays keep their identity)
        return {**found, "format": "lmms_eval"} if self.lmms_eval else found

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        for r in requests:
            if r.key in self.replies:
                self.found += 1
                on_done(Completion(key=r.key, text=self.replies[r.key], latency_s=0.0))
            else:
                # the same words for every sample (the record names it), so that failures group by reason
                on_done(Completion(key=r.key, text="", error=f"no reply in {self.path}"))


_PLAIN = (str, int, float, bool, bytes, type(None))


def _plain(value: Any, depth: int = 0) -> Any:
    """`value` as it may enter a fingerprint: plain values (and tuples, lists, dicts of them, a
    few levels deep) as they are, anything else by its type's name (its repr may hold an address,
    which changes from one process to the next)."""
    if isinstance(value, _PLAIN):
        return value
    if depth < 3 and isinstance(value, (tuple, list)) and len(value) <= 64:
        return [_plain(v, depth + 1) for v in value]
    if depth < 3 and isinstance(value, dict) and len(value) <= 64:
        return [[str(k), _plain(v, depth + 1)] for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]
    return f"<{type(value).__qualname__}>"


def _code(code: Any) -> list[Any]:
    """A code object's bytecode, constants (nested code objects too) and names."""
    return [code.co_code.hex(), [_code(c) if hasattr(c, "co_code") else _plain(c) for c in code.co_consts],
            list(code.co_names)]


def function_fingerprint(fn: Callable[..., Any]) -> dict[str, str]:
    """What tells one Python function from another across processes: its qualified name and the
    SHA-256 of its code, defaults and the plain values it closes over (`functools.partial`
    arguments, a bound method's plain attributes are taken too). Two functions that differ
    only in what they read from elsewhere (a global, a file) look the same."""
    parts: list[Any] = []
    target: Any = fn
    while hasattr(target, "func") and hasattr(target, "args"):  # functools.partial
        parts.append([_plain(target.args), _plain(getattr(target, "keywords", {}))])
        target = target.func
    if hasattr(target, "__self__") and not isinstance(target.__self__, type):  # a bound method
        parts.append(_plain(getattr(target.__self__, "__dict__", {})))
    if not hasattr(target, "__code__") and callable(target) and hasattr(type(target), "__call__"):
        parts.append(_plain(getattr(target, "__dict__", {})))  # an object with __call__
        target = type(target).__call__
    function = getattr(target, "__func__", target)
    code = getattr(function, "__code__", None)
    if code is not None:
        cells = [_plain(c.cell_contents) if c.cell_contents is not None else None
                 for c in (function.__closure__ or ())]
        parts.append([_code(code), _plain(function.__defaults__), cells])
    name = f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', type(function).__qualname__)}"
    digest = hashlib.sha256(orjson.dumps([name, parts], option=orjson.OPT_NON_STR_KEYS)).hexdigest()
    return {"name": name, "sha256": digest}


class FunctionModel(Model):
    def __init__(self, fn: Callable[[Request], str], name: str = "function", params: dict[str, Any] | None = None) -> None:
        if not callable(fn):
            raise ModelConfigError(f"FunctionModel takes a function fn(request) -> str, got {fn!r}")
        if not isinstance(name, str) or not name.strip():  # the name is the model's identity in run.json
            raise TypeError(f"FunctionModel name must be a non-empty str, got {name!r}")
        if params is not None and not isinstance(params, dict):
            raise TypeError(f"FunctionModel params must be a dict of the function's parameters (recorded with its "
                            f"identity) or None, got {params!r}")
        self.fn = fn
        self.name = name
        self.params = dict(params or {})

    def identity(self) -> dict[str, Any]:
        """The base identity and the function's fingerprint: another function under the same
        name is another model (its earlier replies in an `out` folder or a cache are not its)."""
        return {**super().identity(), "function": function_fingerprint(self.fn)}

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        for r in requests:
            started = time.perf_counter()
            try:
                text = self.fn(r)
            except Exception as exc:  # noqa: BLE001 - a failing baseline fails one request, reported
                on_done(Completion(key=r.key, text="", error=f"{type(exc).__name__}: {exc}"))
                continue
            if not isinstance(text, str):  # None (no return) broke the request cache and ended the run
                on_done(Completion(key=r.key, text="", error=f"TypeError: the function returned "
                                                             f"{type(text).__name__}, not the reply as a str"))
                continue
            on_done(Completion(key=r.key, text=text, latency_s=time.perf_counter() - started))
