"""Request cache: a reply once received is never requested again.

SQLite in WAL mode, one row per successful reply, keyed by the sha256 of the request's identity:
adapter kind, model name, generation parameters, system text, user text and the sha256 of every
image's bytes (so a changed image or parameter never reuses a stale reply). Failed requests are
not cached. Writes commit at once, so a killed run keeps every reply it had received; the run's
results file may lag behind, and the resumed run takes the missing replies from here.

The default cache is ``OUT/requests.sqlite`` of each evaluation run; pass one path to several
runs to share replies between them.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from veriscene.evaluate.adapters.base import Completion, Request, image_hash
from veriscene.option_names import option

CACHE_FILE = "requests.sqlite"  # an evaluation run's cache, in its folder (OUT/requests.sqlite)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    info BLOB,
    latency_s REAL,
    created REAL NOT NULL
)
"""


def request_key(identity: dict[str, Any], request: Request) -> str:
    """sha256 over the model identity and the request's content (images by content hash)."""
    prompt = request.prompt
    content: dict[str, Any] = {"model": identity, "system": prompt.system, "text": prompt.text,
                               "images": [image_hash(p) for p in prompt.images]}
    if any(prompt.marks):  # the points drawn on the images (only then: the keys of other requests stay)
        content["marks"] = [list(m) if m else None for m in prompt.marks]
    payload = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()


class RequestCache:
    """Thread-safe get / put of replies by request key."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process kills
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"request cache {self.path} is not a usable SQLite file ({exc}): remove it (the "
                             "replies it held are asked again; those in the run's results.jsonl are kept), or "
                             f"pass another {option('cache=PATH or cache=False', '--cache file or --no-cache')}") \
                from None
        self.hits = 0
        self.writes = 0

    def get(self, key: str, request_key_of: str, before: float | None = None) -> Completion | None:
        """The cached reply for cache key `key`, as a completion for request `request_key_of`;
        with `before` (a `time.time()`), only a reply cached before then."""
        with self._lock:
            if before is None:
                row = self._db.execute("SELECT text, info, latency_s FROM replies WHERE key = ?", (key,)).fetchone()
            else:
                row = self._db.execute("SELECT text, info, latency_s FROM replies WHERE key = ? AND created < ?",
                                       (key, before)).fetchone()
        if row is None:
            return None
        self.hits += 1
        info = orjson.loads(row[1]) if row[1] else {}
        return Completion(key=request_key_of, text=row[0], latency_s=row[2], attempts=0, info=info, cached=True)

    def put(self, key: str, model: str, completion: Completion) -> None:
        if not completion.ok:
            return
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO replies (key, model, text, info, latency_s, created) VALUES (?, ?, ?, ?, ?, ?)",
                (key, model, completion.text, orjson.dumps(completion.info), completion.latency_s, time.time()),
            )
            self._db.commit()
            self.writes += 1

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> RequestCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
