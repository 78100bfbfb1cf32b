"""The generators over a scene file in one process, as `veriscene.generate` runs them on a shard
(without reading shards and writing samples): the loop that `instruction_count.py` counts and
`runner_side_by_side.py` times."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path


def run_scenes(path: Path, count: int, *, warm: bool = False, generators: str = "*") -> tuple[int, str, float]:
    """Run every generator over the first `count` scenes of `path`: (samples, digest of their ids,
    CPU seconds of the loop). `generators`: names, globs or families (comma-separated) to run
    instead of all. With `warm`, the scenes are run once before the timed pass, so the
    timing leaves out first-call costs (lazy imports, caches filled once per process)."""
    import orjson

    from veriscene.engine import collector
    from veriscene.engine.pool import ScenePool
    from veriscene.engine.scan import scan_scenes
    from veriscene.generators import SceneRunner, select_generators
    from veriscene.scene.jsonl import scene_from_dict

    scan = scan_scenes(path)
    runner = SceneRunner([cls() for cls in select_generators(generators)], scan.vocab, seed=0, pool=ScenePool(scan.pool))
    with open(path, "rb") as fh:
        lines = [line for line in fh if line.strip()][:count]

    def once() -> tuple[int, str]:
        digest = hashlib.blake2b(digest_size=8)
        samples = 0
        with collector.paused():  # as the engine runs shards
            for line in lines:
                for sample in runner.run(scene_from_dict(orjson.loads(line))):
                    digest.update(sample.id.encode())
                    samples += 1
        return samples, digest.hexdigest()

    if warm:
        once()
    start = time.process_time()
    samples, digest = once()
    return samples, digest, time.process_time() - start
