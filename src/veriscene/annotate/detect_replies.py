"""Reading a detector model's reply (`veriscene.annotate.vlm_detect`) tolerantly: JSON inside
```json fences or among prose (of several lists, the one holding the most objects, the last of
equals), a single object instead of a list, a wrapper object ``{"objects": [...]}``, a list cut
short by the token limit (its complete entries are kept); box keys `BOX_KEYS`, label keys
`LABEL_KEYS`."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

LABEL_KEYS = ("label", "name", "object")
BOX_KEYS = ("bbox_2d", "bbox", "box", "box_2d")
# keys a wrapper object holds its list of objects under ({"objects": [...]}, JSON mode's usual shape)
LIST_KEYS = ("objects", "detections", "items", "results", "boxes", "annotations", "predictions")
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def json_values(text: str) -> Iterator[Any]:
    """Every JSON list or object in `text`, left to right (not searching inside one found)."""
    decoder = json.JSONDecoder()
    at = 0
    while True:
        starts = [p for p in (text.find("[", at), text.find("{", at)) if p >= 0]
        if not starts:
            return
        at = min(starts)
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:  # not JSON here (JSONDecodeError), or an integer of too many digits
            at += 1
            continue
        yield value


def unwrapped(value: Any) -> Any:
    """The list of objects a wrapper object holds (``{"objects": [...]}``: under one of
    `LIST_KEYS`, else its only list of objects), when it is no entry itself (no label, no box);
    else `value` as it is."""
    if not isinstance(value, dict) or any(k in value for k in (*LABEL_KEYS, *BOX_KEYS)):
        return value
    known = [value[k] for k in LIST_KEYS if isinstance(value.get(k), list)]
    if known:
        return known[0]
    lists = [v for v in value.values() if isinstance(v, list) and any(isinstance(i, dict) for i in v)]
    return lists[0] if len(lists) == 1 else value


def _entries_among(values: list[Any]) -> list[Any] | None:
    """The entries among JSON `values` (wrapper objects unwrapped): the list holding the most
    objects, the last of equals ("I would answer [] ... here they are: [...]"); else the objects
    found (a single one, or the complete ones of a list cut short: a cut entry's inner lists,
    such as ``"attributes": []``, are no answer); else the first list (an empty one: none)."""
    values = [unwrapped(v) for v in values]
    lists = [v for v in values if isinstance(v, list)]
    held = [(sum(isinstance(item, dict) for item in found), k) for k, found in enumerate(lists)]
    most = max(held, default=(0, -1))
    if most[0]:
        return lists[most[1]]
    objects = [v for v in values if isinstance(v, dict)]
    if objects:
        return objects
    return lists[0] if lists else None


def read_entries(text: str) -> list[Any]:
    """The entries of a reply (fenced JSON first, else JSON anywhere in it); ValueError when the
    reply holds no JSON list or object."""
    fenced = [value for part in _FENCE.findall(text) for value in json_values(part)]
    for values in (fenced, list(json_values(text))):
        found = _entries_among(values)
        if found is not None:
            return found
    raise ValueError(f"no JSON list of objects in the reply: {text[:150]!r}")


def _finite(value: Any) -> bool:
    """Whether `value` is a finite JSON number (an integer too large for a float is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # 1 followed by 400 zeros
        return False


def entry_label(item: dict[str, Any]) -> str | None:
    """The entry's label, whitespace collapsed; None when it has no non-empty text label."""
    label = next((item[k] for k in LABEL_KEYS if k in item), None)
    if not isinstance(label, str) or not label.strip():
        return None
    return " ".join(label.split())


def entry_box(item: dict[str, Any]) -> list[float] | None:
    """The entry's four box numbers as given; None when it has no box of four finite numbers."""
    box = next((item[k] for k in BOX_KEYS if k in item), None)
    if not isinstance(box, (list, tuple)) or len(box) != 4 or not all(_finite(v) for v in box):
        return None
    return [float(v) for v in box]
