"""What every model adapter takes and gives back.

A `Request` is one prompt (system text, user text, image files) with the key the runner uses to
put the reply back in place. An adapter's `generate(requests, on_done)` answers all of them in
any order it likes (concurrently, in batches) and calls ``on_done(completion)`` once per request,
from the calling thread, as soon as that request is finished. A request that could not be
answered (after retries) still gets exactly one completion, with `error` set: nothing is lost.
"""

from __future__ import annotations

import base64
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from veriscene.evaluate.prompts import Prompt
from veriscene.scene.image_files import payload
from veriscene.scene.mark_drawing import marked_payload


class ModelConfigError(ValueError):
    """The model cannot be used at all (bad URL, unknown model, refused key): stop the run."""


@dataclass(frozen=True)
class Request:
    key: str  # the sample id
    prompt: Prompt


@dataclass(frozen=True)
class Completion:
    """The outcome of one request.

    text        the model's reply ("" when the model returned no content)
    latency_s   wall time of the successful attempt (seconds), None when served from cache
    attempts    HTTP attempts made (1 = no retry); 0 for local models and cache hits
    error       why the request failed for good, or None
    info        adapter extras: finish_reason, usage tokens, HTTP status of the last attempt
    """

    key: str
    text: str
    latency_s: float | None = None
    attempts: int = 0
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


OnDone = Callable[[Completion], None]


class Model(ABC):
    """A model adapter. `name` identifies the model in results and cache keys; `params` holds the
    generation parameters (part of the cache key: a change in them never reuses a cached reply)."""

    name: str = "model"
    params: dict[str, Any]

    def identity(self) -> dict[str, Any]:
        """What makes two runs send the same request: adapter kind, model name, parameters."""
        return {"adapter": type(self).__name__, "model": self.name, "params": self.params}

    @abstractmethod
    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        """Answer every request; call `on_done` exactly once per request, from this thread."""

    def close(self) -> None:
        """Release connections / memory."""


# --- images ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _read_image(path: str, mtime_ns: int, size: int) -> tuple[str, str]:
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    # its own bytes when any server decodes them as the boxes were drawn; else upright RGB
    # (EXIF-turned, animated, 16-bit, transparent, CMYK, TIFF...: `scene.image_files.payload`)
    sent, mime, _ = payload(path, data)
    return digest, f"data:{mime};base64,{base64.b64encode(sent).decode('ascii')}"


@lru_cache(maxsize=64)
def _read_marked(path: str, mtime_ns: int, size: int, marks: bytes) -> tuple[str, str]:
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    sent, mime = marked_payload(path, orjson.loads(marks), data)  # the image with its marks drawn
    return digest, f"data:{mime};base64,{base64.b64encode(sent).decode('ascii')}"


def image_payload(path: Path, marks: Sequence[dict[str, Any]] | None = None) -> tuple[str, str]:
    """(sha256 of the file's bytes, base64 data URL) of an image file, with `marks` drawn on it
    when given (`veriscene.scene.marks`: points a question names by label); clear error when it
    is missing (FileNotFoundError) or cannot be decoded (`scene.image_files.ImageFileError`,
    naming it)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"image file {path} does not exist") from None
    if marks:
        return _read_marked(str(path), st.st_mtime_ns, st.st_size, orjson.dumps(list(marks)))
    return _read_image(str(path), st.st_mtime_ns, st.st_size)


def image_hash(path: Path) -> str:
    """sha256 of an image file's bytes (the request cache's key; nothing decoded)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"image file {path} does not exist") from None
    return _file_digest(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4096)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
