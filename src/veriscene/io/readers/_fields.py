"""The error a bad field of a record raises, and the checks of single values every reader makes."""

from __future__ import annotations

import math
from typing import Any

from veriscene.errors import SceneValidationError


def bad(message: str, field: str | None = None) -> SceneValidationError:
    return SceneValidationError(message, field=field)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def object_id(raw: Any, field: str) -> str:
    """Object/image ids are compared as strings (JSON files mix 12 and "12")."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str)) or raw == "":
        raise bad(f"id must be an integer or a non-empty string, got {raw!r}"[:200], field)
    return str(raw)
