"""Generation throughput and peak memory over N demo scene graphs (no rendering).

    python benchmarks/generate_throughput.py            # N = 1k and 10k, all generators, qa+mc
    python benchmarks/generate_throughput.py --sizes 1000 --repeats 5

Prints, per N: scene-graph synthesis time, then the median over `--repeats` runs of samples per
second and scenes per second for generation only (scenes are made once, outside the timing), and
peak resident memory of the process. One process, one core.
"""

from __future__ import annotations

import argparse
import statistics
import time

from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.summary import peak_memory_mb
from veriscene.generators import SceneRunner, Vocabulary, select_generators


def run_once(scenes, vocab, seed: int, generators: str | None) -> tuple[int, float]:
    runner = SceneRunner([g() for g in select_generators(generators)], vocab, seed=seed)
    start = time.perf_counter()
    n = 0
    for scene in scenes:
        n += len(runner.run(scene))
    return n, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--generators", default=None, help="comma-separated names, globs or families")
    args = parser.parse_args()
    print(f"{'scenes':>8} {'make s':>8} {'samples':>9} {'gen s (median)':>15} {'samples/s':>10} {'scenes/s':>9} {'peak MiB':>9}")
    for n in args.sizes:
        t0 = time.perf_counter()
        scenes = list(iter_scene_graphs(n, seed=0))
        make_s = time.perf_counter() - t0
        vocab = Vocabulary.from_scenes(scenes)
        times, counts = [], []
        for r in range(args.repeats):
            count, seconds = run_once(scenes, vocab, seed=r, generators=args.generators)
            times.append(seconds)
            counts.append(count)
        med = statistics.median(times)
        samples = int(statistics.median(counts))
        print(f"{n:>8} {make_s:>8.1f} {samples:>9} {med:>15.2f} {samples / med:>10.0f} {n / med:>9.0f} {peak_memory_mb():>9.0f}")


if __name__ == "__main__":
    main()
