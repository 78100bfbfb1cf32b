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
- free-form scoring leaves claims about other names open (`evaluate.freeform.score`);
- programs take the set's names as the scene's ``meta["exhaustive"]`` (`names_in_full`,
  `program.context.SceneIndex.in_full`): `filter_name` of another name gives a set that may
  miss objects, whose absence or count fails as unknown (`veriscene.program.ops`). Generation
  gives them the run's `Vocabulary.category_sets`; `verify` collects the lists from the scene
  files it reads and the run's vocabulary.json (`record_set_names`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
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


def record_set_names(sets: dict[str, set[str]], meta: Any, names: Iterable[str]) -> bool:
    """Add to `sets` (set id -> names) the names of a scene of a closed category list (its
    ``meta["category_set"]``) with the list its meta carries, as the scan records them
    (`Vocabulary.add_set_scene`): `verify` collects a run's lists so in its pass over the scene
    files. Nothing for a scene of no set; False where its list is not its set's (left out, its
    own names kept)."""
    set_id = meta.get("category_set") if isinstance(meta, dict) else None
    if not isinstance(set_id, str) or not set_id:
        return True
    found = sets.setdefault(set_id, set())
    found.update(names)
    try:
        listed = listed_categories(meta)
    except ValueError:
        return False
    if listed is not None:
        found.update(listed[1])
    return True


def names_in_full(set_id: str, meta: Mapping[str, Any], names: Iterable[str],
                  categories: Mapping[str, Collection[str]] | None) -> frozenset[str]:
    """The names a scene of closed category list `set_id` (its ``meta["category_set"]``)
    annotates in full, for programs (`program.context.SceneIndex.in_full`). Its set's names from `categories` (set id -> names: the run's `Vocabulary.category_sets`,
    or what `verify` collects from the scene files) where they hold the set; else the list the
    scene carries (``meta["categories"]``, `listed_categories`; one that is not its set's is not
    read, as the scan reads none); else none beyond its own. Always with the scene's own
    `names`: a name the image annotates is a category of its set. Without a list, absences of
    names the scene does not show are unknown (fewer answers, never a wrong one)."""
    known = categories.get(set_id) if categories else None
    if known is None:
        try:
            listed = listed_categories(meta)
        except ValueError:
            listed = None
        known = () if listed is None else listed[1]
    found = frozenset(known)  # (the same object where `known` is one)
    return found if found.issuperset(names) else found.union(names)
