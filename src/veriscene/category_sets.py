"""Closed category lists: scenes that annotate every instance of a list of names and nothing else.

A file in COCO's layout (COCO, Objects365, COCO panoptic) annotates every instance of its
categories and nothing else: a window in a COCO image is not annotated, whether there or not.
Its scenes carry ``meta["category_set"]``, the id of the list (`category_set_id`: how many names
and a digest of them sorted, "80:<16 hex>"). The first scene the reader gives of each file also
carries the list itself, ``meta["categories"]`` (the sorted names; once per file, not per
scene: Objects365's 1.7 M scenes would carry 365 names each). `listed_categories` reads it, checked
against the id.

Who reads them:
- the scan (`engine.scan_chunks`) records, per set id, the names known to be categories of the
  set (`Vocabulary.category_sets`): the list where a scene carries it, and the names of the set's
  scenes (a file converted before the list was written, or a subset without its first scene);
- generators ask a scene of a set about the absence or count of a name only if it is one of
  those (`vocabulary_draws.closed_names`; a run of one such data set alone is unchanged);
- free-form scoring leaves claims about other names open (`evaluate.freeform.score`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any


def category_set_id(names: Iterable[str]) -> str:
    """The id of a category list, a scene's ``meta["category_set"]``: how many distinct names,
    and the first 16 hex digits of the SHA-256 of them sorted, one a line ("80:1c6d...")."""
    ordered = sorted(set(names))
    digest = hashlib.sha256("\n".join(ordered).encode()).hexdigest()[:16]
    return f"{len(ordered)}:{digest}"


def listed_categories(meta: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """(set id, names) of a scene whose meta carries its category list (``meta["categories"]``
    beside ``meta["category_set"]``); None where it carries none. ValueError, naming the field,
    when the list is no list of distinct names or is not the list its id names (edited by hand,
    or another file's): such a list would close the set on the wrong names."""
    listed = meta.get("categories")
    if listed is None:
        return None
    set_id = meta.get("category_set")
    if not isinstance(set_id, str) or not set_id:
        raise ValueError(f"meta.categories: a category list needs the id of its set (meta.category_set), got "
                         f"{set_id!r}"[:200])
    if not isinstance(listed, list) or not all(isinstance(n, str) and n for n in listed):
        raise ValueError("meta.categories must be a list of non-empty names"[:200])
    if category_set_id(listed) != set_id or len(set(listed)) != len(listed):
        raise ValueError(f"meta.categories: {len(listed)} names that are not the list of category set {set_id!r} "
                         f"(its id is {category_set_id(listed)!r})")
    return set_id, tuple(listed)
