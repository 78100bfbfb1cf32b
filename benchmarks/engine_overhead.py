"""What a run costs outside the generators, part by part, beside what the generators cost.

    python benchmarks/engine_overhead.py --scenes 300
    python benchmarks/engine_overhead.py --scenes 300 --data vg --rounds 7

A `veriscene generate` run spends most of its time in the generators (`SceneRunner.run`); the
rest is the engine's own work per scene and per sample: the scan of the input (line offsets,
vocabulary, partner pool), reading and checking each scene record, writing each sample as a JSONL
line, counting it in the run's summary, listing the multi-image samples a later shard may repeat,
writing each shard (its file synced to disk, its SHA-256 taken) and merging the shards. This
script takes the first `--scenes` scenes of a demo (or Visual Genome-shaped) scene file, runs the
generators over them as a shard does, keeping every scene's samples, then runs each part of the
engine's work on the same scenes and samples on its own. Each part is measured in CPU time (the
process's, so other processes on the machine do not count), `--rounds` times in turn with the
others, and the median is printed: microseconds per sample and the share of the generators' CPU
time over the same scenes. A part's share is a ratio of two times taken at the same hour, so it
moves little with the machine's load; the microseconds do.

Sample ids (`veriscene.sample.sample_id`, a hash of the serialised task, images, program,
template and question) are made by the runner, so their cost is part of the generators' time;
they are timed apart here all the same (marked "within"). The shard write includes `fsync`,
whose wall time is not CPU time: its wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from operator import itemgetter
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=300, help="scenes run and measured")
    parser.add_argument("--data", choices=["demo", "vg"], default="demo")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every part (the median is printed)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()

    import orjson

    from _scenes import base_scenes, tiled, vg_shaped_scenes  # benchmarks/_scenes.py
    from veriscene.engine import collector
    from veriscene.engine.pool import ScenePool
    from veriscene.engine.scan import scan_scenes
    from veriscene.engine.shard_pass import _merge
    from veriscene.engine.shards import ShardOutput, SharedRows, _parse_scene, id_hash, write_shard
    from veriscene.engine.summary import RunSummary
    from veriscene.generators import SceneRunner, select_generators
    from veriscene.sample import sample_id

    n = args.scenes
    path = vg_shaped_scenes(args.cache, n) if args.data == "vg" else tiled(args.cache, base_scenes(args.cache, n), n)
    scan = scan_scenes(path)
    runner = SceneRunner([cls() for cls in select_generators("*")], scan.vocab, seed=0, pool=ScenePool(scan.pool))
    with open(path, "rb") as fh:
        lines = [line for line in fh if line.strip()][:n]
    scenes = [_parse_scene(line) for line in lines]
    with collector.paused():
        made = [runner.run(scene) for scene in scenes]  # also parses and indexes the pooled partners once
    samples = sum(map(len, made))
    pool_ids = frozenset(entry.image_id for entry in scan.pool)
    dumps, line_end, image_id = orjson.dumps, orjson.OPT_APPEND_NEWLINE, itemgetter("id")
    shards = Path(tempfile.mkdtemp(prefix="engine-overhead-", dir=args.cache))
    shard_data = b"".join(dumps(sample, option=line_end) for scene_samples in made for sample in scene_samples)
    written: list[float] = []  # wall seconds of the shard writes

    def generators() -> None:
        for scene in scenes:
            runner.run(scene)

    def scanned() -> None:
        scan_scenes(path)

    def parsed() -> None:
        for line in lines:
            _parse_scene(line)

    def ids() -> None:
        for scene_samples in made:
            for s in scene_samples:
                sample_id(s.task, [image["id"] for image in s.images], s.program, s.template_id, s.question)

    def serialised() -> None:
        data = bytearray()
        for scene_samples in made:
            for sample in scene_samples:
                data += dumps(sample, option=line_end)

    def counted() -> None:
        summary = RunSummary()
        for scene_samples in made:
            summary.add_all(scene_samples)

    def shared_rows() -> None:
        shared = SharedRows()
        line = 0
        for scene_samples in made:
            for sample in scene_samples:
                images = sample.images
                if len(images) > 1 and pool_ids.issuperset(map(image_id, images)):
                    shared.lines.append(line)
                    shared.hashes.append(id_hash(sample.id))
                line += 1

    def shard_written() -> None:
        start = time.perf_counter()
        output = ShardOutput(0, shard_data, [], RunSummary(scenes=n, samples=samples).counts(), 1, n)
        write_shard(shards, output, "jsonl")
        written.append(time.perf_counter() - start)

    def merged() -> None:
        _merge(shards, shards, 1, "jsonl")

    parts: list[tuple[str, Callable[[], None], str]] = [
        ("generators", generators, ""), ("scan", scanned, ""), ("parse", parsed, ""), ("sample ids", ids, "within"),
        ("serialise", serialised, ""), ("count", counted, ""), ("shared rows", shared_rows, ""),
        ("write shard", shard_written, ""), ("merge", merged, ""),
    ]
    times: dict[str, list[float]] = {name: [] for name, _, _ in parts}
    with collector.paused():  # as shards run
        for _ in range(args.rounds):
            for name, part, _ in parts:
                start = time.process_time()
                part()
                times[name].append(time.process_time() - start)
    shutil.rmtree(shards, ignore_errors=True)

    median = {name: statistics.median(t) for name, t in times.items()}
    base = median["generators"]
    print(f"{args.data} scenes 1-{n}: {samples} samples ({samples / n:.1f} per scene, {len(shard_data) / samples:.0f} "
          f"bytes each), {args.rounds} rounds, CPU time (median)")
    print(f"{'part':12s} {'us/sample':>10s} {'% of gen':>9s}")
    outside = 0.0
    for name, _, note in parts:
        share = median[name] / base * 100
        if name != "generators" and not note:
            outside += share
        extra = f"  (wall {statistics.median(written) / samples * 1e6:.2f} us/sample with fsync)" if name == "write shard" else ""
        print(f"{name:12s} {median[name] / samples * 1e6:10.2f} {share:8.1f}%"
              + (f"  ({note} the generators' time)" if note else "") + extra)
    print(f"{'outside':12s} {'':10s} {outside:8.1f}%  (the parts not within the generators, added up)")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
