"""Columns of a whole shard of scenes and the deterministic part of six generators' proposals
computed over all of them at once, in numpy (`batched_enumeration.py` times and checks these).

A prototype, not a product: it handles plain scenes (no crowd, stuff, exhaustive, sparse,
single or category-set meta; `plain`) and leaves the random draws to the caller (`drawn`: the
objects or names each scene's generator draws when it has more than `MAX_PAIRED_OBJECTS`).

Ids: names and attribute words are numbered in sorted order, so sorting by id sorts as Python
sorts the strings, and the per-scene candidate order of the generators falls out of sorted
integer keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from veriscene.generators.single_image.geometry import sized_thing
from veriscene.generators.vocabulary_draws import name_kind, overlapping_kinds
from veriscene.scene.masks import mask_area
from veriscene.scene.model import Scene
from veriscene.text import is_uncountable
from veriscene.vocab import BROADER_WORDS, attribute_type

_PLAIN_META = frozenset(["demo"])  # meta keys that change nothing the prototype reads


def plain(scene: Scene) -> bool:
    """Whether the prototype's rules are the generators' on this scene (no meta that changes
    which names are countable or nameable, or how attributes refer)."""
    return set(scene.meta) <= _PLAIN_META


@dataclass
class Columns:
    """Every object of a shard, one row each (M objects, S scenes)."""

    first: np.ndarray  # (S + 1,) int64: scene s holds rows first[s]:first[s + 1]
    scene: np.ndarray  # (M,) int64 scene of each row
    local: np.ndarray  # (M,) int64 the object's index in its scene
    name: np.ndarray  # (M,) int64 name id (ids in sorted order of `names`)
    names: list[str]
    attrs: list[str]  # attribute words, annotated or implied (`BROADER_WORDS`), sorted
    boxes: np.ndarray  # (M, 4) float64 xyxy pixels (the float32 values, widened)
    areas: np.ndarray  # (M,) float64 mask area when the scene has masks, else box area (`SceneIndex.areas`)
    box_area: np.ndarray  # (M,) float64 (x1 - x0) * (y1 - y0)
    width: np.ndarray  # (S,) float64
    height: np.ndarray  # (S,) float64
    ann_row: np.ndarray  # (K,) rows of the annotated (row, attribute) pairs, by row then annotation order
    ann_attr: np.ndarray  # (K,) attribute ids
    hav_row: np.ndarray  # (H,) rows of the (row, attribute) pairs that hold (annotated or implied), unique
    hav_attr: np.ndarray  # (H,)


def build_columns(scenes: Sequence[Scene]) -> Columns:
    """The shard's columns (one Python pass over the objects to number the words: what a parser
    writing columns would do as it reads)."""
    name_of: dict[str, int] = {}
    attr_of: dict[str, int] = {}
    names_raw: list[int] = []
    first = [0]
    ann_row: list[int] = []
    ann_attr: list[int] = []
    boxes, areas, widths, heights = [], [], [], []
    row = 0
    for scene in scenes:
        for name, own in zip(scene.names, scene.attributes):
            names_raw.append(name_of.setdefault(name, len(name_of)))
            for a in own:
                ann_row.append(row)
                ann_attr.append(attr_of.setdefault(a, len(attr_of)))
            row += 1
        first.append(row)
        boxes.append(scene.boxes)
        if scene.masks is not None:
            areas.append(np.array([mask_area(m) for m in scene.masks], dtype=np.float64))
        else:
            b = scene.boxes.astype(np.float64)
            areas.append((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
        widths.append(scene.width)
        heights.append(scene.height)
    for word in list(attr_of):  # implied words join the numbering
        for w in BROADER_WORDS.get(word, ()):
            attr_of.setdefault(w, len(attr_of))
    names = sorted(name_of)
    attrs = sorted(attr_of)
    name_map = _renumber(name_of, names)
    attr_map = _renumber(attr_of, attrs)
    counts = np.diff(np.array(first, dtype=np.int64)).astype(np.int64)
    box = np.concatenate(boxes).astype(np.float64) if boxes else np.zeros((0, 4))
    a_row = np.array(ann_row, dtype=np.int64)
    a_attr = attr_map[np.array(ann_attr, dtype=np.int64)] if ann_attr else np.zeros(0, dtype=np.int64)
    # (row, implied word) pairs from a table per attribute id: implied ids of each id
    implied_src, implied_dst = [], []
    for word, i in attr_of.items():
        for w in BROADER_WORDS.get(word, ()):
            implied_src.append(attr_map[i])
            implied_dst.append(attr_map[attr_of[w]])
    src, dst = np.array(implied_src, dtype=np.int64), np.array(implied_dst, dtype=np.int64)
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    lo, hi = np.searchsorted(src, a_attr, "left"), np.searchsorted(src, a_attr, "right")
    reps = hi - lo
    ext_row = np.repeat(a_row, reps)
    ext_attr = dst[_ranges(lo, reps)]
    pair = np.unique(np.concatenate([a_row, ext_row]) * len(attrs) + np.concatenate([a_attr, ext_attr]))
    return Columns(
        first=np.array(first, dtype=np.int64), scene=np.repeat(np.arange(len(scenes)), counts),
        local=np.arange(row) - np.repeat(np.array(first[:-1], dtype=np.int64), counts),
        name=name_map[np.array(names_raw, dtype=np.int64)] if names_raw else np.zeros(0, dtype=np.int64),
        names=names, attrs=attrs, boxes=box,
        areas=np.concatenate(areas) if areas else np.zeros(0),
        box_area=(box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]),
        width=np.array(widths, dtype=np.float64), height=np.array(heights, dtype=np.float64),
        ann_row=a_row, ann_attr=a_attr, hav_row=pair // len(attrs), hav_attr=pair % len(attrs))


def _renumber(first_seen: dict[str, int], ordered: list[str]) -> np.ndarray:
    """first-seen id -> sorted id."""
    out = np.empty(len(first_seen), dtype=np.int64)
    for rank, word in enumerate(ordered):
        out[first_seen[word]] = rank
    return out


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of range(s, s + n) for each start s and length n."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    offsets = np.repeat(ends - lengths, lengths)
    return np.repeat(starts, lengths) + (np.arange(total) - offsets)


def group_pairs(first: np.ndarray, ordered: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) positions of every pair i != j within each group [first[g], first[g + 1]), i-major
    then j ascending (ordered pairs), or only i < j (`ordered=False`)."""
    sizes = np.diff(first).astype(np.int64)
    i = np.repeat(np.arange(first[-1]), np.repeat(sizes, sizes))
    j = _ranges(np.repeat(first[:-1], sizes), np.repeat(sizes, sizes))
    keep = (i != j) if ordered else (i < j)
    return i[keep], j[keep]


def split(values: list, first: Sequence[int]) -> list[list]:  # type: ignore[type-arg]
    """values[first[s]:first[s + 1]] for each group s, as Python lists."""
    return [values[a:b] for a, b in zip(first[:-1], first[1:])]


@dataclass
class NameTables:
    """Per name id: what the generators ask of a name by its spelling alone (computed once per
    shard's vocabulary; a run would keep them for the whole vocabulary)."""

    uncountable: np.ndarray  # (names,) bool: `text.is_uncountable`
    sized: np.ndarray  # (names,) bool: `geometry.sized_thing`
    kind: np.ndarray  # (names,) int64 kind id (`name_kind`)
    overlap_name: np.ndarray  # (P,) name id, sorted, of (name, kind that may name its objects) pairs
    overlap_kind: np.ndarray  # (P,) that kind's id (`overlapping_kinds`)


def name_tables(columns: Columns) -> NameTables:
    kinds: dict[str, int] = {}
    kind = [kinds.setdefault(name_kind(n), len(kinds)) for n in columns.names]
    o_name, o_kind = [], []
    for i, n in enumerate(columns.names):
        for k in sorted(overlapping_kinds(name_kind(n))):
            if k in kinds:  # a kind no name of the shard has is never held
                o_name.append(i)
                o_kind.append(kinds[k])
    return NameTables(np.array([is_uncountable(n) for n in columns.names], dtype=bool),
                      np.array([sized_thing(n) for n in columns.names], dtype=bool),
                      np.array(kind, dtype=np.int64), np.array(o_name, dtype=np.int64),
                      np.array(o_kind, dtype=np.int64))


def scene_names(columns: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scene, name id, objects) of each distinct name of each scene, sorted by scene then name."""
    keys, counts = np.unique(columns.scene * len(columns.names) + columns.name, return_counts=True)
    return keys // len(columns.names), keys % len(columns.names), counts


def countable(columns: Columns, tables: NameTables, scene: np.ndarray, name: np.ndarray) -> np.ndarray:
    """Per (scene, name) row of `scene_names`: not uncountable (`common.uncountable_names`: not a
    substance, nor naming alike: another name of the scene of a kind that may name its objects)."""
    n_kinds = int(tables.kind.max()) + 1 if len(tables.kind) else 1
    kind = tables.kind[name]
    held, held_count = np.unique(scene * n_kinds + kind, return_counts=True)
    lo = np.searchsorted(tables.overlap_name, name, "left")
    reps = np.searchsorted(tables.overlap_name, name, "right") - lo
    row = np.repeat(np.arange(len(name)), reps)
    other = tables.overlap_kind[_ranges(lo, reps)]
    key = scene[row] * n_kinds + other
    at = np.minimum(np.searchsorted(held, key), len(held) - 1)
    count = np.where(held[at] == key, held_count[at], 0)
    alike = np.zeros(len(name), dtype=bool)
    np.logical_or.at(alike, row, count > (other == kind[row]))
    return ~(tables.uncountable[name] | alike)


def referable(columns: Columns, tables: NameTables, excluded_types: frozenset[str] = frozenset()) -> np.ndarray:
    """(M,) bool: the object has a referring expression by its name and at most two of its own
    attributes not of `excluded_types` (`describe.refer_by_attributes`, no relations): its name
    is unique in the scene, or a subset of one or two of its attributes is held (annotated or
    implied) by no other object of its name."""
    n_attrs = len(columns.attrs)
    group = np.unique(columns.scene * len(columns.names) + columns.name, return_inverse=True)[1].ravel()
    unique_name = np.bincount(group)[group] == 1
    usable = np.array([attribute_type(a) not in excluded_types for a in columns.attrs], dtype=bool)
    keep = usable[columns.ann_attr]
    a_row, a_attr = columns.ann_row[keep], columns.ann_attr[keep]
    # singles: objects of the (scene, name) having the word
    held = group[columns.hav_row] * n_attrs + columns.hav_attr
    held_keys, held_counts = np.unique(held, return_counts=True)
    own = group[a_row] * n_attrs + a_attr
    by_one = held_counts[np.searchsorted(held_keys, own)] == 1
    found = np.zeros(len(columns.name), dtype=bool)
    found[a_row[by_one]] = True
    # pairs: objects of the (scene, name) having both words (a < b by id)
    hav_first = np.searchsorted(columns.hav_row, np.arange(len(columns.name) + 1))
    hi, hj = group_pairs(hav_first, ordered=False)
    pair_keys, pair_counts = np.unique((group[columns.hav_row[hi]] * n_attrs + columns.hav_attr[hi]) * n_attrs
                                       + columns.hav_attr[hj], return_counts=True)
    order = np.lexsort((a_attr, a_row))  # own words by row, then id
    a_row, a_attr = a_row[order], a_attr[order]
    ann_first = np.searchsorted(a_row, np.arange(len(columns.name) + 1))
    pi, pj = group_pairs(ann_first, ordered=False)
    want = (group[a_row[pi]] * n_attrs + a_attr[pi]) * n_attrs + a_attr[pj]
    at = np.minimum(np.searchsorted(pair_keys, want), max(len(pair_keys) - 1, 0))
    by_two = (pair_keys[at] == want) & (pair_counts[at] == 1) if len(pair_keys) else np.zeros(len(want), bool)
    found[a_row[pi[by_two]]] = True
    return unique_name | found
