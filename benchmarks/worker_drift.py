"""Does a worker slow down or grow over a long run? Samples/s and peak memory per chunk of scenes.

    python benchmarks/worker_drift.py --size 100000 --scenes 16000 --chunk 2000

One process generates with every generator over the first `--scenes` scenes of a tiled demo
file (`_scenes.py`), partners from the engine's pool, the collector paused per 200 scenes as in
shards (`veriscene.engine.collector`). It prints, per `--chunk` scenes, samples per second of
CPU time and the peak RSS so far: a flat line means nothing accumulates per scene (caches are
bounded, no garbage is left for the collector). The first chunk is slower: it fills the
partner cache. Scenes are generated, not written.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import orjson

from _scenes import base_scenes, tiled  # benchmarks/_scenes.py
from veriscene.engine import collector
from veriscene.engine.pool import ScenePool
from veriscene.engine.scan import scan_scenes
from veriscene.engine.summary import peak_memory_mb
from veriscene.generators import SceneRunner, select_generators
from veriscene.scene.jsonl import scene_from_dict
from veriscene.text import inflect_engine

SHARD = 200  # scenes per paused-collector block, the engine's default shard size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="scenes in the tiled file (sets the pool)")
    parser.add_argument("--scenes", type=int, default=16_000, help="scenes generated")
    parser.add_argument("--chunk", type=int, default=2_000, help="scenes per printed row")
    parser.add_argument("-g", "--generators", default=None, help="generator names/globs/families (default: all)")
    parser.add_argument("--base", type=int, default=5000)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    path = tiled(args.cache, base_scenes(args.cache, args.base), args.size)
    scan = scan_scenes(path, seed=0)
    runner = SceneRunner([g() for g in select_generators(args.generators)], scan.vocab, pool=ScenePool(scan.pool))
    inflect_engine()  # its one-time import is not per-scene work
    print(f"{'scenes':>8} {'samples/s (CPU)':>16} {'peak MiB':>9}")
    with open(path, "rb") as fh:
        lines = itertools.islice(fh, args.scenes)
        done = samples = 0
        start = time.process_time()
        while block := list(itertools.islice(lines, SHARD)):
            with collector.paused():
                for line in block:
                    samples += len(runner.run(scene_from_dict(orjson.loads(line))))
                    done += 1
                    if done % args.chunk == 0:
                        rate = samples / (time.process_time() - start)
                        print(f"{done:>8} {rate:>16.0f} {peak_memory_mb():>9.0f}", flush=True)
                        start, samples = time.process_time(), 0


if __name__ == "__main__":
    main()
