"""Would enumerating candidates of a whole shard at once, in numpy, reach 15,000 samples/s per
worker? A measurement, not a product change (src/ is untouched).

    python benchmarks/batched_enumeration.py                      # 1,000 demo scenes
    python benchmarks/batched_enumeration.py --data vg            # 1,000 Visual Genome-shaped scenes
    python benchmarks/batched_enumeration.py --whole              # also: all 46 generators in one run
    python benchmarks/batched_enumeration.py --repeats 3 --engine-rate 5825

1. Today's cost of eight generators, each run alone through `SceneRunner` (as
   `generator_costs.py` runs them), split inside `SceneRunner._ask` (same samples: the split
   mirrors its code) into (a) what is deterministic given the scene: `propose` (less its random
   draws) and grouping the candidates by answer (`CandidatePool`); and (b) the rest: the draws
   `propose` makes (absent names, subsets of dense scenes: the helpers in `_DRAW_HELPERS`,
   timed where `propose` calls them), re-seeding and contexts, picking (making the picked
   candidate, building and running its program) and rendering (question, options, sample id and
   record). Per scene, median of `--repeats`; the split is timed with `time.perf_counter` (0.05
   us a call; `process_time` costs 0.6 us, which would weigh on parts of a few us), so on a
   loaded machine its parts include waits, in the same proportion.
2. The (a) part of six of them (object.exists, object.count, attribute.count, counting.compare,
   spatial.relation, size.compare) for the whole file at once (`_batched_generators`): columns
   of every object (`_batched_columns`), candidates, answer keys and answer groups by array
   operations over all scenes ("batched": flat arrays and per-scene offsets, what a picker
   reading arrays would use), then split per scene into Python lists ("+split": what today's `CandidatePool` reads,
   which would still group them). Checked (asserted): for every scene, the keys and candidates
   (their objects, names, counts, order) equal what `propose` yields, so the prototype could
   feed today's per-scene picking with the same samples; where a generator also draws names
   absent from the scene (object.exists, object.count, attribute.count) the present part, the
   draws staying per scene; on scenes past `MAX_PAIRED_OBJECTS` the subset is drawn per scene
   as `propose` draws it (timed apart, not in "batched"). The shard's columns and per-name
   tables are timed once (shared by every generator). Median of 5 x `--repeats` rounds.
3. With `--whole`: the same split of a run of all generators together (as `veriscene.generate`
   runs them, without reading and writing), with picking and rendering split further (`SUBPARTS`),
   and the projection: the share of a whole `veriscene.generate` run (one worker, this file,
   timed first, without the split) spent in `SceneRunner.run`, times the (a) share of the
   split, gives (a)'s time in a run; with it sped up by the six prototypes' measured factor (and
   with it free), the samples/s a worker would make, from `--engine-rate` (samples/s of
   `engine_scale.py --sizes 10000 --workers 1`) and from the CPU rate of that generate; and what
   is left of a scene's time when 15,000 samples/s is asked.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

import orjson

import _batched_columns as bc  # benchmarks/_batched_columns.py
from _batched_generators import BATCHED, Shard, related_pairs, check, current_batches, to_python
from _scenes import base_scenes, tiled, vg_shaped_scenes  # benchmarks/_scenes.py
from veriscene.engine import collector
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import scan_scenes
from veriscene.generators import SceneRunner, get_generator, select_generators
from veriscene.generators import base as gbase
from veriscene.generators import candidate_pool, common, relation_options, runner as grunner, vocabulary_draws
from veriscene.generators.base import GenContext
from veriscene.scene.jsonl import scene_from_dict
from veriscene.scene.model import Scene

PROTOTYPED = ("object.exists.v1", "object.count.v1", "attribute.count.v1", "counting.compare.v1",
              "spatial.relation.v1", "size.compare.v1")
MEASURED = PROTOTYPED + ("relation.query.v1", "object.extreme_among.v1")
# Helpers through which generators draw from the scene's random stream (names absent from the
# scene, subsets of dense scenes, weighted options): timed where `propose` calls them.
_DRAW_HELPERS = (common.sample_up_to, common.sorted_subset, common.paired_objects, common.shuffled,
                 vocabulary_draws.absent_sample, vocabulary_draws.likely_wrong_attributes,
                 vocabulary_draws.likely_wrong_names, vocabulary_draws.weighted_sample,
                 vocabulary_draws.likely_set_names, vocabulary_draws.likely_set_attributes,
                 relation_options.wrong_options)
PARTS = ("propose", "group", "draws", "setup", "pick", "render")  # (a): propose and group
# pick: making the picked candidate (`CandidatePool._made`: phrases, distractors), building its
# program, running it; render: the options (`SceneRunner._choices`), the id hash (`identified`)
SUBPARTS = ("make", "build", "run (picked)", "run (up front, in group)", "options", "sample id")


class Timer:
    """Seconds per (generator, part) of `SceneRunner._ask`, split as the module docstring says."""

    def __init__(self) -> None:
        self.seconds: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(PARTS, 0.0))
        self.in_propose = False
        self.depth = 0
        self.draws = 0.0
        # inside picking and rendering, all generators together: seconds per sub-part (`SUBPARTS`)
        self.sub: dict[str, float] = dict.fromkeys(SUBPARTS, 0.0)
        self.phase = "pick"  # where a program run is counted: "group" (run up front) or "pick"
        # picking (not rendering: options are the second mode's) in a generator's first mode and
        # in its second: (seconds, samples)
        self.modes = [[0.0, 0], [0.0, 0]]

    def install(self) -> None:
        """Time the draw helpers wherever a generator module imported them, and `_ask`."""
        timer = self

        def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any, **kwargs: Any) -> Any:
                if not timer.in_propose or timer.depth:
                    return fn(*args, **kwargs)
                timer.depth += 1
                start = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    timer.draws += time.perf_counter() - start
                    timer.depth -= 1
            return timed

        wrapped = {id(fn): wrap(fn) for fn in _DRAW_HELPERS}
        for name, module in list(sys.modules.items()):
            if name.startswith("veriscene.generators") and module is not None:
                for attr, value in list(vars(module).items()):
                    if id(value) in wrapped and callable(value):
                        setattr(module, attr, wrapped[id(value)])
        grunner.SceneRunner._ask = lambda runner, *args: _timed_ask(timer, runner, *args)  # type: ignore[method-assign]

        def sub(label: Callable[[], str], fn: Callable[..., Any]) -> Callable[..., Any]:
            def timed(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    timer.sub[label()] += time.perf_counter() - start
            return timed

        pool_cls, cand_cls = candidate_pool.CandidatePool, gbase.Candidate
        pool_cls._made = sub(lambda: "make", pool_cls._made)  # type: ignore[method-assign]
        candidate_pool.answer_of = sub(
            lambda: "run (up front, in group)" if timer.phase == "group" else "run (picked)", candidate_pool.answer_of)
        grunner.SceneRunner._choices = sub(lambda: "options", grunner.SceneRunner._choices)  # type: ignore[method-assign]
        grunner.identified = sub(lambda: "sample id", grunner.identified)
        built = cand_cls.get_program

        def get_program(cand: Any) -> Any:
            if cand.program is not None:
                return cand.program
            start = time.perf_counter()
            try:
                return built(cand)
            finally:
                timer.sub["build"] += time.perf_counter() - start
        cand_cls.get_program = get_program  # type: ignore[method-assign, assignment]


def _timed_ask(timer: Timer, self: SceneRunner, gen: Any, scene: Scene, index: Any, exec_ctx: Any,
               scene_seed: int, seed_start: bytes, per_mode: int, anchor_path: str | None) -> list[Any]:
    """`SceneRunner._ask`, the same steps, with a clock between them."""
    clock = time.perf_counter
    cost = timer.seconds[gen.name]
    t0 = clock()
    made: list[Any] = []
    settings = self._settings[gen.name]
    rng = grunner.reseed_from(settings.rng, seed_start + settings.seed_end)
    if settings.multi:
        ctx: GenContext = gbase.GroupContext(scene, index, exec_ctx, rng, self.vocab, self.pool)  # type: ignore[arg-type]
    else:
        ctx = GenContext(scene, index, exec_ctx, rng, self.vocab)
    t1 = clock()
    cost["setup"] += t1 - t0
    if gen.in_order:  # proposes as it is picked: all of it counted as picking
        pool: candidate_pool.CandidatePool = candidate_pool.InOrder(self, gen, ctx, gen.propose(ctx))
        t2 = t3 = clock()
    else:
        timer.in_propose, timer.draws = True, 0.0
        proposed = list(gen.propose(ctx))
        timer.in_propose = False
        t2 = clock()
        cost["propose"] += t2 - t1 - timer.draws
        cost["draws"] += timer.draws
        timer.phase = "group"
        pool = candidate_pool.CandidatePool(self, gen, ctx, proposed)
        timer.phase = "pick"
        t3 = clock()
        cost["group"] += t3 - t2
        if (index.exhaustive is not None or index.sparse) and gen.answer_type == "bool" and not (
                pool.viable(candidate_pool.YES) and pool.viable(candidate_pool.NO)):
            self.stats[f"one_sided:{gen.name}"] += 1
            return made
    render = 0.0
    for position, mode in enumerate(settings.modes):
        m0, before, rendered = clock(), len(made), render
        for cand, answer in pool.pick(per_mode):
            r0 = clock()
            sample = self._render(gen, settings, ctx, cand, answer, mode, scene_seed, anchor_path)
            render += clock() - r0
            if sample is not None:
                made.append(sample)
        if position < 2 and len(settings.modes) == 2:  # picking in the first mode (qa) against the second (mc)
            timer.modes[position][0] += clock() - m0 - (render - rendered)
            timer.modes[position][1] += len(made) - before
    if not pool.any_valid:
        self.stats[f"no_candidates:{gen.name}"] += 1
    cost["pick"] += clock() - t3 - render
    cost["render"] += render
    return made


def run_split(names: Sequence[str], scenes: Sequence[Scene], vocab: Any, pool: ScenePool,
              timer: Timer) -> tuple[dict[str, dict[str, float]], float, int, dict[str, Any]]:
    """(seconds per generator and part, seconds of the whole loop, samples, seconds per sub-part)
    of one run of `names` together over `scenes`."""
    timer.seconds.clear()
    timer.sub = dict.fromkeys(SUBPARTS, 0.0)
    timer.modes = [[0.0, 0], [0.0, 0]]
    runner = SceneRunner([get_generator(n)() for n in names], vocab, seed=0, pool=pool)
    start = time.perf_counter()
    with collector.paused():
        samples = sum(len(runner.run(scene)) for scene in scenes)
    loop = time.perf_counter() - start  # (wall time, as the parts: their shares are what is used)
    (first_s, first_n), (second_s, second_n) = timer.modes
    sub = {**timer.sub, "first mode": first_s, "first mode samples": first_n, "second mode": second_s,
           "second mode samples": second_n}
    return {k: dict(v) for k, v in timer.seconds.items()}, loop, samples, sub


# -- timing and the projection -----------------------------------------------------------------

def time_batched(scenes: Sequence[Scene], repeats: int) -> tuple[float, float, dict[str, tuple[float, float, float]]]:
    """Median seconds of (the shard's columns and name tables, reading the referring-expression
    table twice is in each pairwise generator), and per generator (enumeration as arrays, with
    the split into per-scene Python lists, the draws of dense scenes inside it)."""
    cols_t, tables_t = [], []
    per: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for _ in range(repeats):
        t0 = time.perf_counter()
        shard = Shard.__new__(Shard)
        shard.scenes, shard.n_scenes, shard.draw_seconds = scenes, len(scenes), 0.0
        shard.cols = bc.build_columns(scenes)
        t1 = time.perf_counter()
        shard.tables = bc.name_tables(shard.cols)
        shard.related = related_pairs(shard.cols.attrs)
        t2 = time.perf_counter()
        cols_t.append(t1 - t0)
        tables_t.append(t2 - t1)
        for name, fn in BATCHED.items():
            shard.draw_seconds = 0.0
            a = time.perf_counter()
            result = fn(shard)
            b = time.perf_counter()
            to_python(name, shard, result)
            c = time.perf_counter()
            per[name].append((b - a - shard.draw_seconds, c - b, shard.draw_seconds))
    return (statistics.median(cols_t), statistics.median(tables_t),
            {name: tuple(statistics.median(r[k] for r in runs) for k in range(3)) for name, runs in per.items()})  # type: ignore[misc]


def medians(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {g: {p: statistics.median(r[g][p] for r in runs) for p in PARTS} for g in runs[0]}


def engine_share(path: Path) -> tuple[float, float, int]:
    """(seconds of a whole `veriscene.generate` of `path`, one worker, seconds of it inside
    `SceneRunner.run`, samples)."""
    from veriscene import generate

    spent = [0.0]
    original = grunner.SceneRunner.run

    def run(self: SceneRunner, *args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent[0] += time.process_time() - start

    grunner.SceneRunner.run = run  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as out:
            start = time.process_time()
            summary = generate(str(path), out, workers=1, overwrite=True)
            total = time.process_time() - start
    finally:
        grunner.SceneRunner.run = original  # type: ignore[method-assign]
    return total, spent[0], summary.samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=["demo", "vg"], default="demo")
    parser.add_argument("--scenes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--whole", action="store_true", help="also split a run of all generators and project")
    parser.add_argument("--engine-rate", type=float,
                        help="samples/s of a whole run per worker today (engine_scale.py --sizes 10000 --workers 1; "
                             "default for demo scenes: 5,825, release 0.27.0 at load 1.2)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    if args.data == "vg":
        path = vg_shaped_scenes(args.cache, args.scenes)
    else:
        path = tiled(args.cache, base_scenes(args.cache, args.scenes), args.scenes)
    scan = scan_scenes(path)
    pool = ScenePool(scan.pool)
    with open(path, "rb") as fh:
        scenes = [scene_from_dict(orjson.loads(line)) for line in fh if line.strip()][:args.scenes]
    n = len(scenes)
    assert all(bc.plain(s) for s in scenes), "the prototype handles scenes without crowd/exhaustive/sparse meta"
    print(f"{n} {args.data} scenes, median of {args.repeats}")

    # 1. the check: per scene, the batched candidates are today's
    shard = Shard(scenes)
    for name, fn in BATCHED.items():
        compared = check(name, shard, to_python(name, shard, fn(shard)), current_batches(name, scenes, scan.vocab))
        print(f"check {name}: {n} scenes, {compared:,} candidates the same (keys and order)")

    if args.whole:  # before the timer is installed: a run as users make it
        total, in_run, engine_samples = engine_share(path)
    # 2. today's split of each generator run alone, and the batched (a)
    timer = Timer()
    timer.install()
    runs = defaultdict(list)
    for _ in range(args.repeats):
        for name in MEASURED:
            runs[name].append(run_split([name], scenes, scan.vocab, pool, timer)[0])
    alone = {name: medians(r)[name] for name, r in runs.items()}
    cols_s, tables_s, batched = time_batched(scenes, 5 * args.repeats)  # (cheap: more rounds against the noise)
    us = 1e6 / n
    print(f"\nshared by all generators, batched: columns {cols_s * us:.1f} us/scene, name tables {tables_s * us:.1f}")
    print(f"{'generator (alone), us per scene':34s} {'(a) now':>8} {'batched':>8} {'speedup':>7} {'+split':>7} "
          f"{'(b) draws':>9} {'setup':>6} {'pick':>6} {'render':>6} {'(b) sum':>7}")
    speedups = []
    for name in MEASURED:
        c = alone[name]
        now = (c["propose"] + c["group"]) * us
        b_sum = (c["draws"] + c["setup"] + c["pick"] + c["render"]) * us
        tail = f"{c['draws'] * us:9.1f} {c['setup'] * us:6.1f} {c['pick'] * us:6.1f} {c['render'] * us:6.1f} {b_sum:7.1f}"
        if name in batched:
            arrays, to_py, _ = batched[name]
            speedups.append((now, arrays * us))
            print(f"{name:34s} {now:8.1f} {arrays * us:8.2f} {now / (arrays * us):6.0f}x {to_py * us:7.1f} {tail}")
        else:
            print(f"{name:34s} {now:8.1f} {'-':>8} {'-':>7} {'-':>7} {tail}")
    total_now, total_batched = sum(a for a, _ in speedups), sum(b for _, b in speedups) + (cols_s + tables_s) * us
    speedup = total_now / total_batched
    print(f"six prototyped, (a) together: {total_now:.1f} us/scene now, {total_batched:.1f} batched with the "
          f"columns and tables charged to them alone: {speedup:.1f}x")
    if not args.whole:
        return

    # 3. a run of all generators, split; the projection
    whole_runs = [run_split([c.name for c in select_generators("*")], scenes, scan.vocab, pool, timer)
                  for _ in range(args.repeats)]
    parts = medians([w[0] for w in whole_runs])
    loop = statistics.median(w[1] for w in whole_runs)
    samples = whole_runs[0][2]
    sums = {p: sum(parts[g][p] for g in parts) for p in PARTS}
    a_part = sums["propose"] + sums["group"]
    outside = loop - sum(sums.values())
    print(f"\nall {len(parts)} generators together: {loop * us / 1000:.2f} ms per scene in the runner, "
          f"{samples / n:.1f} samples per scene; per scene (ms): "
          + ", ".join(f"{p} {sums[p] * us / 1000:.2f}" for p in PARTS) + f", the runner's per-scene rest {outside * us / 1000:.2f}")
    print(f"(a) = propose + group: {a_part * us / 1000:.2f} ms per scene, {a_part / loop:.0%} of the runner's loop")
    for label, key in (("(a)", lambda g: parts[g]["propose"] + parts[g]["group"]),
                       ("pick + render", lambda g: parts[g]["pick"] + parts[g]["render"])):
        top = sorted(parts, key=key, reverse=True)[:8]
        print(f"largest {label}, us per scene: " + ", ".join(f"{g[:-3]} {key(g) * us:.0f}" for g in top))
    subs = {k: statistics.median(w[3][k] for w in whole_runs) for k in whole_runs[0][3]}
    print("inside pick and render, ms per scene: " + ", ".join(f"{k} {subs[k] * us / 1000:.2f}" for k in SUBPARTS))
    # The first mode's picks pay what a generator computes on first use (tables its programs
    # build, per-scene caches of its `make`, the picked candidate made and run once): much of it
    # deterministic given the scene, yet counted in (b) above
    first = subs["first mode"] / max(subs["first mode samples"], 1)
    second = subs["second mode"] / max(subs["second mode samples"], 1)
    first_use = max(first - second, 0.0) * subs["first mode samples"]
    print(f"picking, generators with two modes: {first * 1e6:.1f} us per sample in the first, "
          f"{second * 1e6:.1f} in the second ({subs['first mode samples'] / n:.1f} and "
          f"{subs['second mode samples'] / n:.1f} per scene): paid on first use, {first_use * us / 1000:.2f} ms "
          f"per scene ({first_use / loop:.0%} of the loop)")
    share = in_run / total
    cpu_rate = engine_samples / total
    print(f"veriscene.generate of the same file (1 worker): {total:.1f} s, {share:.0%} in SceneRunner.run, "
          f"{cpu_rate:,.0f} samples/s of CPU time")
    rates = [(cpu_rate, "this generate")]
    engine_rate = args.engine_rate or (5825.0 if args.data == "demo" else None)
    if engine_rate:
        rates.insert(0, (engine_rate, "--engine-rate"))
    for rate, source in rates:
        per_scene = samples / n / rate  # seconds of a whole run per scene at that rate
        scale = per_scene * share / loop  # the loop's parts as seconds of such a run
        a_engine = a_part * scale
        for label, factor in ((f"(a) {speedup:.1f}x faster", speedup), ("(a) free", float("inf"))):  # noqa: B007
            left = per_scene - a_engine * (1 - 1 / factor)
            print(f"projection from {rate:,.0f} samples/s ({source}), {label}: {per_scene * 1e3:.2f} -> "
                  f"{left * 1e3:.2f} ms per scene, {samples / n / left:,.0f} samples/s per worker")
        left = per_scene - a_engine - first_use * scale  # the most a batched design could take
        print(f"projection from {rate:,.0f} samples/s ({source}), (a) and the first-use part free: "
              f"{left * 1e3:.2f} ms per scene, {samples / n / left:,.0f} samples/s per worker")
        # with every cost paid per scene and generator free, today's per-sample work alone:
        # picking as in a second mode (warm), rendering, and the run outside the runner
        # (`scale` turns seconds of the whole loop into seconds per scene of a run)
        per_sample = {"warm picking": second * n * scale, "rendering": sums["render"] * scale * n / samples,
                      "outside the runner": per_scene * (1 - share) * n / samples}
        floor = sum(per_sample.values()) * samples / n
        print("  per-sample work alone (every cost per scene and generator free): "
              + ", ".join(f"{k} {v * 1e6:.1f}" for k, v in per_sample.items())
              + f" us per sample: {floor * 1e3:.2f} ms per scene, {samples / n / floor:,.0f} samples/s per worker")
        target = samples / n / 15000
        left = per_scene - a_engine * (1 - 1 / speedup)
        rest = {p: sums[p] * scale * 1e3 for p in ("draws", "setup", "pick", "render")}
        rest["runner per scene"] = outside * scale * 1e3
        rest["outside the runner"] = per_scene * (1 - share) * 1e3
        print(f"  15,000 samples/s needs {target * 1e3:.2f} ms per scene: after batching (a), "
              f"{(left - target) * 1e3:.2f} ms more ({1 - target / left:.0%} of what is left) must go; what is "
              "left (ms per scene): " + ", ".join(f"{k} {v:.2f}" for k, v in rest.items()))


if __name__ == "__main__":
    main()
