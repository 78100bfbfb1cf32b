"""Where generation time goes: each generator's cost per scene, split into a fixed part (paid
once per scene: enumerating candidates, per-scene lookups) and a part per sample.

    python benchmarks/generator_costs.py                        # 1,000 demo scenes, all generators
    python benchmarks/generator_costs.py --data vg --scenes 500 -g "multi*" --repeats 3
    python benchmarks/generator_costs.py --scene-graphs coco.jsonl --scenes 0   # your own scene graphs

Each generator runs alone (qa and mc) over the same scenes, once with `per_scene=1` and once with
`per_scene=--more` (default 3), in this process, with partners from the pool a run would use
(the engine's scan of the file). A generator's cost per scene is modelled as fixed + per sample x
samples: the two runs give both. CPU time of this process (`time.process_time`), the median of
`--repeats` (the two runs interleaved). The last rows run all selected generators together (as `veriscene.generate` does,
without reading and writing): lower than the sum of the rows, because generators share a scene's
lookup tables and decoded masks, which each one alone builds for itself. The last two lines are
the runner's own share, measured with stand-in generators (not registered): per scene and
generator with `--stand-ins` generators that propose nothing, and per sample with as many that
each ask one question of a one-step program (`count` of the scene's objects) in each mode.

`--shares` prints instead each generator's share of a run of all selected generators together
(one runner, as `veriscene.generate` runs them: the lookup tables and decoded masks shared):
the wall time of each generator's `SceneRunner._ask` (proposing, picking, running the picked
programs, rendering) per scene, timed with `time.perf_counter` around the call, the median of
`--repeats` passes after a warm-up pass, and its percent of the whole pass (the rest, under
"outside the generators": the runner's loop over them, scene contexts). The `--top` dearest
first. Pure Python only (a compiled runner cannot be subclassed to time it).

Columns: ms per scene at per_scene=1, samples per scene at 1 and at --more, us per sample at 1,
then the fit: fixed ms per scene and us per further sample, and the fixed share of the time at 1
("-" where the second run makes fewer than MIN_MORE further samples per scene: a generator whose
scenes cannot supply more questions, whose fit would be noise).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

import orjson

from _scenes import base_scenes, file_scenes, tiled, vg_shaped_scenes  # benchmarks/_scenes.py
from veriscene.compiled import compiled_modules
from veriscene.engine import collector
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import scan_scenes
from veriscene.generators import SceneRunner, select_generators
from veriscene.generators.base import Candidate, GenContext, Generator
from veriscene.generators.vocabulary import Vocabulary
from veriscene.scene.jsonl import scene_from_dict
from veriscene.scene.model import Scene


class _Nothing(Generator):
    """Proposes nothing: what the runner costs per scene and generator by itself."""

    family = "bench"
    answer_type = "int"
    templates = {"default": ("How many objects are there?",)}

    def propose(self, ctx: GenContext) -> Iterator[Candidate]:
        return iter(())


def _count_program() -> list[dict[str, Any]]:
    return [{"op": "scene", "inputs": [], "args": [0]}, {"op": "count", "inputs": [0], "args": []}]


class _Count(_Nothing):
    """One question per scene, a one-step program: the runner's cost per sample (pick, run the
    program, render the question and its options, hash the sample id)."""

    templates = {"default": ("How many objects are there?", "Count the objects in the image.")}

    def propose(self, ctx: GenContext) -> Iterator[Candidate]:
        yield Candidate(None, {}, expected=len(ctx.scene), distractors=list(range(12)), build=_count_program)


def stand_ins(cls: type[Generator], k: int) -> list[Generator]:
    """k instances of `cls` under distinct names (their samples get distinct ids)."""
    return [type(f"{cls.__name__}{i}", (cls,), {"name": f"bench.{cls.__name__.strip('_').lower()}{i}.v1",
                                                 "version": 1})() for i in range(k)]


MIN_MORE = 0.5  # further samples per scene the second run must make for a fit


def once(generators: Sequence[Generator], scenes: Sequence[Scene], vocab: Vocabulary,
         pool: ScenePool) -> tuple[float, int]:
    """(CPU seconds, samples) of running `generators` over `scenes` with a fresh runner."""
    runner = SceneRunner(generators, vocab, seed=0, pool=pool)
    start = time.process_time()
    with collector.paused():  # as the engine runs shards
        samples = sum(len(runner.run(scene)) for scene in scenes)
    return time.process_time() - start, samples


def paired(one: Sequence[Generator], more: Sequence[Generator], scenes: Sequence[Scene], vocab: Vocabulary,
           pool: ScenePool, repeats: int) -> tuple[tuple[float, int], tuple[float, int]]:
    """Median (CPU seconds, samples) of `one` and of `more`, their runs interleaved so that a
    change in the machine's speed shows in both."""
    runs: tuple[list[tuple[float, int]], list[tuple[float, int]]] = ([], [])
    for _ in range(repeats):
        for generators, found in zip((one, more), runs):
            found.append(once(generators, scenes, vocab, pool))
    return tuple((statistics.median(t for t, _ in found), found[0][1]) for found in runs)  # type: ignore[return-value]


def _timed_runner() -> type[SceneRunner]:
    """A runner class that adds up the wall time of each generator's `_ask` (in `spent`,
    seconds). Made when asked for: a compiled `SceneRunner` cannot be subclassed here."""

    class Timed(SceneRunner):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.spent: dict[str, float] = {}

        def _ask(self, gen: Generator, *args: Any) -> Any:
            start = time.perf_counter()
            made = super()._ask(gen, *args)
            self.spent[gen.name] = self.spent.get(gen.name, 0.0) + time.perf_counter() - start
            return made

    return Timed


def shares(classes: Sequence[type[Generator]], scenes: Sequence[Scene], vocab: Vocabulary, pool: ScenePool,
           repeats: int, top: int) -> None:
    """Print each generator's share of a run of all of `classes` together (see the docstring)."""
    if "generators/runner.py" in compiled_modules():
        raise SystemExit("--shares times the pure Python runner (this one is compiled: run without the build)")
    runner: Any = _timed_runner()([cls() for cls in classes], vocab, seed=0, pool=pool)
    passes: list[tuple[float, dict[str, float], int]] = []
    for round_ in range(repeats + 1):  # the first pass warms up (lazy imports, per-process caches)
        runner.spent = {}
        start = time.perf_counter()
        with collector.paused():  # as the engine runs shards
            samples = sum(len(runner.run(scene)) for scene in scenes)
        if round_:
            passes.append((time.perf_counter() - start, runner.spent, samples))
    whole = statistics.median(p[0] for p in passes)
    n, samples = len(scenes), passes[0][2]
    spent = {name: statistics.median(p[1].get(name, 0.0) for p in passes) for name in passes[0][1]}
    print(f"all together: {whole * 1e3 / n:.3f} ms per scene, {samples / n:.1f} samples per scene, "
          f"{samples / whole:,.0f} samples/s (wall time)")
    print(f"{'generator':34s} {'ms/scene':>8} {'share':>6}")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1])[:top]:
        print(f"{name:34s} {seconds * 1e3 / n:8.3f} {seconds / whole * 100:5.1f}%")
    outside = whole - sum(spent.values())
    print(f"{'outside the generators':34s} {outside * 1e3 / n:8.3f} {outside / whole * 100:5.1f}%")


def row(label: str, n: int, one: tuple[float, int], more: tuple[float, int]) -> str:
    (t1, s1), (t3, s3) = one, more
    per = f"{t1 * 1e6 / s1:8.1f}" if s1 else f"{'-':>8}"
    cells = f"{label:34s} {t1 * 1e3 / n:8.3f} {s1 / n:6.2f} {s3 / n:6.2f} {per}"
    if (s3 - s1) < MIN_MORE * n:  # too few further samples for a fit (the scene cannot supply them)
        return cells + f" {'-':>8} {'-':>8} {'-':>6}"
    per_sample = (t3 - t1) / (s3 - s1)
    fixed = max(t1 - per_sample * s1, 0.0)
    return cells + f" {fixed * 1e3 / n:8.3f} {per_sample * 1e6:8.1f} {fixed / t1 * 100 if t1 else 0:5.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=["demo", "vg"], default="demo")
    parser.add_argument("--scenes", type=int, default=1000, help="scenes (with --scene-graphs: the first N, 0: all)")
    parser.add_argument("--scene-graphs", type=Path, help="a veriscene JSONL file to use instead of --data")
    parser.add_argument("-g", "--generators", default="*", help="generator names/globs/families (default: all)")
    parser.add_argument("--more", type=int, default=3, help="the second run's per_scene")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--stand-ins", type=int, default=20, help="stand-in generators for the runner's share")
    parser.add_argument("--shares", action="store_true",
                        help="each generator's share of a run of all of them together, not each one alone")
    parser.add_argument("--top", type=int, default=10, help="with --shares: the generators listed")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    if args.more < 2:
        parser.error("--more must be at least 2")
    if args.scene_graphs is not None:
        name, lines = file_scenes(args.scene_graphs, args.scenes)
        path = tiled(args.cache, lines, len(lines), name)  # the lines themselves, as one file
        args.data = str(args.scene_graphs)
    elif args.data == "vg":
        path = vg_shaped_scenes(args.cache, args.scenes)
    else:
        path = tiled(args.cache, base_scenes(args.cache, args.scenes), args.scenes)
    scan = scan_scenes(path)
    pool = ScenePool(scan.pool)
    with open(path, "rb") as fh:
        scenes = [scene_from_dict(orjson.loads(line)) for line in fh if line.strip()]
    classes = select_generators(args.generators)
    n = len(scenes)
    if args.shares:
        print(f"{n} {args.data} scenes, {len(classes)} generators together, median of {args.repeats}")
        shares(classes, scenes, scan.vocab, pool, args.repeats, args.top)
        return
    print(f"{n} {args.data} scenes, {len(classes)} generators, per_scene 1 and {args.more}, median of {args.repeats}")
    print(f"{'generator':34s} {'ms/scene':>8} {'s/sc 1':>6} {f's/sc {args.more}':>6} {'us/smp':>8} "
          f"{'fixed ms':>8} {'us/more':>8} {'fixed':>6}")
    once([cls() for cls in classes], scenes[:50], scan.vocab, pool)  # warm-up: lazy imports, caches
    rows = []
    for cls in classes:
        one, more = paired([cls()], [cls(cls.Config(per_scene=args.more))], scenes, scan.vocab, pool, args.repeats)
        rows.append((one[0], row(cls.name, n, one, more), one, more))
    for _, text, _, _ in sorted(rows, key=lambda r: -r[0]):
        print(text, flush=True)
    total_one = (sum(r[2][0] for r in rows), sum(r[2][1] for r in rows))
    total_more = (sum(r[3][0] for r in rows), sum(r[3][1] for r in rows))
    print(row("sum of the rows", n, total_one, total_more))
    together_one, together_more = paired([cls() for cls in classes], [cls(cls.Config(per_scene=args.more))
                                                                       for cls in classes],
                                         scenes, scan.vocab, pool, args.repeats)
    print(row("all together", n, together_one, together_more))
    for label, (seconds, samples) in (("per_scene 1", together_one), (f"per_scene {args.more}", together_more)):
        print(f"all together, {label}: {samples:,} samples, {samples / seconds:,.0f} samples/s of CPU time")
    k = args.stand_ins
    (idle, _), (counting, asked) = paired(stand_ins(_Nothing, k), stand_ins(_Count, k), scenes, scan.vocab, pool,
                                          args.repeats)
    print(f"runner alone: {idle * 1e6 / (n * k):.1f} us per scene and generator; "
          f"{(counting - idle) * 1e6 / max(asked, 1):.1f} us per sample of a one-step program ({asked:,} samples)")


if __name__ == "__main__":
    main()
