"""The error a bad field of a record raises, and the checks of single values every reader makes."""

from __future__ import annotations

import math
from typing import Any

from veriscene.errors import SceneValidationError


def bad(message: str, field: str | None = None) -> SceneValidationError:
    return SceneValidationError(message, field=field)


def is_number(value: Any) -> bool:
    """A finite number: no bool, NaN or infinity, nor an integer past a float's range (10**400,
    which the standard library's JSON decoder gives as an int, and no float can hold)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large to convert to float
        return False


def text_fault(value: str) -> str | None:
    """Why `value` is not text a scene file can hold, or None. A JSON string may escape half of a
    UTF-16 surrogate pair ("\\ud800") and Python's decoder reads it, but no UTF-8 file can hold
    it: the scene would be read, then kill the run that writes it."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"holds {value[exc.start]!r}, half of a UTF-16 surrogate pair: not text (no UTF-8 file can hold it)"
    return None


def object_id(raw: Any, field: str) -> str:
    """Object/image ids are compared as strings (JSON files mix 12 and "12")."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or raw == "":
        raise bad(f"id must be an integer or a non-empty string, got {raw!r}"[:200], field)
    if isinstance(raw, str) and not raw.isascii():
        fault = text_fault(raw)
        if fault is not None:
            raise bad(f"id {raw!r} {fault}"[:300], field)
    return str(raw)
