"""The deterministic part of six generators' proposals over a whole shard at once, on the
columns of `_batched_columns`, turned back into per-scene Python lists, and the check that
they are today's (`batched_enumeration.py` times and asserts these).

Each function returns (offsets per scene, answer keys, columns of the candidates): flat arrays
in today's per-scene order, the answer groups found by one sort (`grouped`), what a picker
reading arrays would use.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

import _batched_columns as bc  # benchmarks/_batched_columns.py
from veriscene.generators import base as gbase
from veriscene.generators import common, get_generator, runner as grunner
from veriscene.generators.base import GenContext
from veriscene.generators.common import MAX_PAIRED_OBJECTS
from veriscene.program.context import ExecutionContext
from veriscene.scene.model import Scene
from veriscene.vocab import related_attributes


# -- what `propose` yields today, for the check ------------------------------------------------

def current_batches(name: str, scenes: Sequence[Scene], vocab: Any) -> list[tuple[list[Any], list[Any]]]:
    """Per scene: (keys, argument tuples) of the generator's one batch, its rng seeded as the
    runner seeds it (run seed 0)."""
    gen = get_generator(name)()
    recorded: list[Any] = []
    original = gbase.Batch.of.__func__  # type: ignore[attr-defined]

    def of(cls: type, keys: Sequence[Any], args: Sequence[Any], make: Any) -> Any:
        recorded.append(list(args))
        return original(cls, keys, args, make)

    gbase.Batch.of = classmethod(of)  # type: ignore[method-assign, assignment]
    try:
        out = []
        for scene in scenes:
            exec_ctx = ExecutionContext(scene, categories=vocab.category_sets)
            rng = grunner.reseed(grunner.Draws(np.random.PCG64(0)), grunner.derive_seed(0, scene.image_id), name)
            recorded.clear()
            batch: Any
            (batch,) = list(gen.propose(GenContext(scene, exec_ctx.index(0), exec_ctx, rng, vocab)))
            args = recorded[0] if recorded else list(batch.make.args[0])  # counting.compare: its pairs
            out.append((list(batch.keys), args))
        return out
    finally:
        gbase.Batch.of = classmethod(original)  # type: ignore[method-assign, assignment]


# -- the six generators' (a) part over the whole shard -------------------------------------------

class Shard:
    """The columns and per-name tables of a shard's scenes."""

    def __init__(self, scenes: Sequence[Scene]) -> None:
        self.scenes = scenes
        self.cols = bc.build_columns(scenes)
        self.tables = bc.name_tables(self.cols)
        self.related = related_pairs(self.cols.attrs)
        self.n_scenes = len(scenes)
        self.draw_seconds = 0.0  # spent drawing the subsets of dense scenes (per scene: part (b))

    def per_scene(self, scene_of: np.ndarray) -> np.ndarray:
        """(S + 1,) offsets of rows sorted by scene."""
        return np.searchsorted(scene_of, np.arange(self.n_scenes + 1))


Result = tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]  # (offsets, keys, columns of the candidates)


def grouped(first: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Positions of the candidates ordered by scene, then key, then position: each scene's
    answer groups as runs (what `CandidatePool` builds with a dict per scene)."""
    scene = np.repeat(np.arange(len(first) - 1), np.diff(first))
    return np.lexsort((keys, scene))


def object_exists(shard: Shard) -> Result:
    cols = shard.cols
    s, n, _ = bc.scene_names(cols)
    keys = np.ones(len(n), dtype=bool)
    first = shard.per_scene(s)
    grouped(first, keys)
    return first, keys, {"name": n}


def object_count(shard: Shard) -> Result:
    cols = shard.cols
    nn, na = len(cols.names), len(cols.attrs) + 1
    s, n, members = bc.scene_names(cols)
    ok = bc.countable(cols, shard.tables, s, n)
    sn = s * nn + n
    ann = np.unique((cols.scene[cols.ann_row] * nn + cols.name[cols.ann_row]) * na + cols.ann_attr + 1)
    held, held_count = np.unique((cols.scene[cols.hav_row] * nn + cols.name[cols.hav_row]) * na
                                 + cols.hav_attr + 1, return_counts=True)
    attr_ok = ok[np.searchsorted(sn, ann // na)]
    key = np.concatenate([(sn * na)[ok], ann[attr_ok]])
    count = np.concatenate([members[ok], held_count[np.searchsorted(held, ann[attr_ok])]])
    order = np.argsort(key, kind="stable")
    key, count = key[order], count[order]
    first = shard.per_scene(key // na // nn)
    grouped(first, count)
    return first, count, {"name": key // na % nn, "attr": key % na - 1}


def attribute_count(shard: Shard) -> Result:
    cols = shard.cols
    na = len(cols.attrs)
    held = np.unique(cols.scene[cols.ann_row] * na + cols.ann_attr)
    src, dst = shard.related
    attr = held % na
    lo = np.searchsorted(src, attr, "left")
    reps = np.searchsorted(src, attr, "right") - lo
    row = np.repeat(np.arange(len(held)), reps)
    other = held[row] // na * na + dst[bc._ranges(lo, reps)]
    at = np.minimum(np.searchsorted(held, other), len(held) - 1)
    clash = np.zeros(len(held), dtype=bool)
    np.logical_or.at(clash, row, held[at] == other)
    present = held[~clash]
    having, having_count = np.unique(cols.scene[cols.hav_row] * na + cols.hav_attr, return_counts=True)
    count = having_count[np.searchsorted(having, present)]
    first = shard.per_scene(present // na)
    grouped(first, count)
    return first, count, {"attr": present % na}


def related_pairs(attrs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(a, w) id pairs, sorted by a, of every word w != a of the shard's words that may
    describe the value of a (`vocab.related_attributes`): a table per vocabulary."""
    at = {w: i for i, w in enumerate(attrs)}
    src, dst = [], []
    for i, a in enumerate(attrs):
        for w in sorted(related_attributes(a)):
            if w != a and w in at:
                src.append(i)
                dst.append(at[w])
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)


def counting_compare(shard: Shard) -> Result:
    cols = shard.cols
    s, n, members = bc.scene_names(cols)
    ok = bc.countable(cols, shard.tables, s, n)
    s, n, members = s[ok], n[ok], members[ok]
    keep = _drawn_rows(shard, "counting.compare.v1", s, n)  # (ids sort as their names: the same draws)
    s, n, members = s[keep], n[keep], members[keep]
    i, j = bc.group_pairs(shard.per_scene(s))
    truths = np.stack([members[i] > members[j], members[i] < members[j], members[i] == members[j]], axis=1).ravel()
    first = shard.per_scene(np.repeat(s[i], 3))
    grouped(first, truths)
    return first, truths, {"a": n[i], "b": n[j], "count_a": members[i], "count_b": members[j]}


def _drawn_rows(shard: Shard, name: str, scene: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Rows (sorted by scene) kept: every row, but on a scene with more than
    `MAX_PAIRED_OBJECTS` items, those its generator draws from its stream (`common.sorted_subset`,
    the first draw of its `propose`), drawn here per scene (timed apart: `shard.draw_seconds`)."""
    first = shard.per_scene(scene)
    dense = np.nonzero(np.diff(first) > MAX_PAIRED_OBJECTS)[0].tolist()
    keep = np.ones(len(scene), dtype=bool)
    start = time.perf_counter()
    for s in dense:
        lo, hi = int(first[s]), int(first[s + 1])
        rng = grunner.reseed(grunner.Draws(np.random.PCG64(0)), grunner.derive_seed(0, shard.scenes[s].image_id), name)
        own = items[lo:hi].tolist()
        wanted = set(common.sorted_subset(rng, own, MAX_PAIRED_OBJECTS))
        keep[lo:hi] = [item in wanted for item in own]
    shard.draw_seconds += time.perf_counter() - start
    return keep


def _pairable(shard: Shard, name: str, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, offsets per scene) of the objects a pairwise generator pairs."""
    rows = np.nonzero(usable)[0]
    keep = _drawn_rows(shard, name, shard.cols.scene[rows], shard.cols.local[rows])
    rows = rows[keep]
    return rows, shard.per_scene(shard.cols.scene[rows])


_AXES = ("horizontal", "vertical")
_ANSWERS = ("left", "right", "above", "below")


def spatial_relation(shard: Shard, margin: float = 0.02) -> Result:
    cols = shard.cols
    rows, first = _pairable(shard, "spatial.relation.v1", bc.referable(cols, shard.tables))
    i, j = bc.group_pairs(first)
    a, o = rows[i], rows[j]
    box, scene = cols.boxes, cols.scene[a]
    answers, present = [], []
    for axis, (lo, hi, side) in enumerate(((0, 2, cols.width), (1, 3, cols.height))):
        gap = margin * side[scene]
        before = box[a, hi] + gap <= box[o, lo]
        after = ~before & (box[o, hi] + gap <= box[a, lo])
        answers.append(np.where(before, 2 * axis, 2 * axis + 1))
        present.append(before | after)
    mask = np.stack(present, axis=1).ravel()
    code = np.stack(answers, axis=1).ravel()[mask]
    pair = np.repeat(np.arange(len(a)), 2)[mask]
    first = shard.per_scene(scene[pair])
    grouped(first, code)
    return first, code, {"a": cols.local[a][pair], "o": cols.local[o][pair], "answer": code}


def size_compare(shard: Shard, ratio: float = 1.5) -> Result:
    cols = shard.cols
    usable = bc.referable(cols, shard.tables, frozenset(["size"])) & shard.tables.sized[cols.name]
    rows, first = _pairable(shard, "size.compare.v1", usable)
    i, j = bc.group_pairs(first)
    a, o = rows[i], rows[j]
    area_a, area_o = cols.areas[a], cols.areas[o]
    lower = np.minimum(area_a, area_o)
    with np.errstate(divide="ignore", invalid="ignore"):
        clear = (lower > 0) & (np.maximum(area_a, area_o) / lower >= ratio)
    clear &= np.sign(area_a - area_o) == np.sign(cols.box_area[a] - cols.box_area[o])
    a, o = a[clear], o[clear]
    truths = np.stack([cols.areas[a] > cols.areas[o], cols.areas[a] < cols.areas[o]], axis=1).ravel()
    first = shard.per_scene(np.repeat(cols.scene[a], 2))
    grouped(first, truths)
    return first, truths, {"a": np.repeat(cols.local[a], 2), "o": np.repeat(cols.local[o], 2)}


BATCHED: dict[str, Callable[[Shard], Result]] = {
    "object.exists.v1": object_exists, "object.count.v1": object_count, "attribute.count.v1": attribute_count,
    "counting.compare.v1": counting_compare, "spatial.relation.v1": spatial_relation,
    "size.compare.v1": size_compare,
}


# -- per scene, as today's picking reads it; and the check ---------------------------------------

def to_python(name: str, shard: Shard, result: Result) -> list[tuple[list[Any], list[tuple[Any, ...]]]]:
    """Per scene: (keys, candidates) as Python lists, the candidates in the form `same_as_today`
    compares (object indices where today's hold referring expressions)."""
    first, keys, cand = result
    names, attrs = shard.cols.names, shard.cols.attrs
    offsets = first.tolist()
    key_list = keys.tolist()
    rows: list[tuple[Any, ...]]
    if name == "object.exists.v1":
        rows = [(names[n], True) for n in cand["name"].tolist()]
    elif name == "object.count.v1":
        rows = [(names[n], (attrs[a],) if a >= 0 else (), c)
                for n, a, c in zip(cand["name"].tolist(), cand["attr"].tolist(), key_list)]
    elif name == "attribute.count.v1":
        rows = [(attrs[a], c) for a, c in zip(cand["attr"].tolist(), key_list)]
    elif name == "counting.compare.v1":
        # three candidates (more, fewer, as many) per pair: the pairs alone, as today's batch holds them
        pairs = [((names[a], ca), (names[b], cb)) for a, b, ca, cb in
                 zip(cand["a"].tolist(), cand["b"].tolist(), cand["count_a"].tolist(), cand["count_b"].tolist())]
        pair_first = [f // 3 for f in offsets]
        return [(key_list[lo:hi], pairs[plo:phi]) for lo, hi, plo, phi in
                zip(offsets[:-1], offsets[1:], pair_first[:-1], pair_first[1:])]
    elif name == "spatial.relation.v1":
        rows = [(a, o, _AXES[k // 2], _ANSWERS[k]) for a, o, k in
                zip(cand["a"].tolist(), cand["o"].tolist(), key_list)]
        key_list = [_ANSWERS[k] for k in key_list]
    else:  # size.compare
        rows = [(a, o, ("largest", "smallest")[r % 2], t) for r, (a, o, t) in
                enumerate(zip(cand["a"].tolist(), cand["o"].tolist(), key_list))]
    return [(key_list[lo:hi], rows[lo:hi]) for lo, hi in zip(offsets[:-1], offsets[1:])]


def today_in_form(name: str, keys: list[Any], args: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """(keys, candidates) of today's batch in `to_python`'s form, and the rest: the candidates
    of names drawn as absent (object.exists, attribute.count: after the present ones; object.count:
    counts of 0, sorted in among them), which the batched part leaves to the per-scene draws."""
    if name == "object.exists.v1":
        k = sum(1 for _, expected in args if expected)
        return keys[:k], [tuple(a) for a in args[:k]], args[k:]
    if name == "object.count.v1":
        kept = [a for a in args if a[2] > 0]
        return [a[2] for a in kept], kept, [a for a in args if a[2] == 0]
    if name == "attribute.count.v1":
        k = len(args) - 1 if args and args[-1][1] == 0 else len(args)
        return keys[:k], [(a, c) for a, c, _ in args[:k]], args[k:]
    if name == "counting.compare.v1":
        return keys, [tuple(p) for p in args], []
    return keys, [(a.index, o.index, axis, answer) for a, o, axis, answer in args], []


def check(name: str, shard: Shard, batched: list[tuple[list[Any], list[Any]]],
          today: list[tuple[list[Any], list[Any]]]) -> int:
    """Assert that every scene's batched keys and candidates equal today's (present part);
    returns the candidates compared."""
    compared = 0
    for s, ((keys, rows), (t_keys, t_args)) in enumerate(zip(batched, today)):
        want_keys, want_rows, rest = today_in_form(name, t_keys, t_args)
        where = f"{name}, scene {s} ({shard.scenes[s].image_id})"
        assert rows == want_rows, f"{where}: candidates differ\n batched {rows[:6]}\n today   {want_rows[:6]}"
        assert keys == want_keys, f"{where}: answer keys differ\n batched {keys[:6]}\n today   {want_keys[:6]}"
        if name != "object.count.v1":  # (its zeros: one absent name and the hard zeros, any number)
            assert len(rest) <= (4 if name == "object.exists.v1" else 1), f"{where}: {len(rest)} drawn"
        compared += len(rows)
    return compared
