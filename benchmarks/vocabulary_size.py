"""Throughput against vocabulary size: the data set's names, attribute values and predicates.

    python benchmarks/vocabulary_size.py                      # 0, 5,000 and 50,000 extra words
    python benchmarks/vocabulary_size.py --extra 0 50000 --scenes 200 --repeats 3

Generators draw distractors and absent names from the vocabulary of the whole input (see
`veriscene.generators.Vocabulary`). The demo world has a few dozen words; Visual Genome's raw
annotations have tens of thousands of object names and thousands of predicates. Each row takes
`--scenes` demo scene graphs (masks and depth), adds `--extra` made-up words of each kind
(names, attributes, predicates) to their vocabulary, and times `SceneRunner.run` over the scenes,
every single-image generator (multi-image ones need the engine's partner pool), in-process, one
core; the median of `--repeats` runs is printed. The samples per scene stay the same in every row
when the vocabulary only adds words no scene uses. `digest` hashes the sample ids in order (an id
covers the question with its options and the program): two releases that print the same digest
for a row made the same samples.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from veriscene.demo.world import iter_scene_graphs
from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.text import inflect_engine


def vocabulary(scenes: list, extra: int) -> Vocabulary:
    vocab = Vocabulary.from_scenes(scenes)
    for i in range(extra):
        vocab.add_names([f"thing{i:06d}"], [f"quality{i:06d}"], [f"relates{i:06d} to"])
    return vocab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", type=int, nargs="+", default=[0, 5000, 50000])
    parser.add_argument("--scenes", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("-g", "--generators", default=None, help="generator names/globs/families (default: all)")
    args = parser.parse_args()
    inflect_engine()  # imported once per process (about 2 s), not a per-scene cost
    scenes = list(iter_scene_graphs(args.scenes, seed=0))
    print(f"{'extra':>7} {'names':>7} {'samples/scene':>13} {'ms/scene':>9} {'samples/s':>10} {'digest':>16}")
    for extra in args.extra:
        vocab = vocabulary(scenes, extra)
        times, samples, digest = [], 0, hashlib.sha256()
        for _ in range(args.repeats):
            runner = SceneRunner([g() for g in select_generators(args.generators)], vocab, seed=0)
            start = time.perf_counter()
            made = [runner.run(scene) for scene in scenes]
            times.append(time.perf_counter() - start)
            samples, digest = sum(map(len, made)), hashlib.sha256()
            for sample in (s for batch in made for s in batch):
                digest.update(sample.id.encode())
        seconds = statistics.median(times)
        print(f"{extra:>7} {len(vocab.names):>7} {samples / len(scenes):>13.1f} {seconds * 1e3 / len(scenes):>9.1f} "
              f"{samples / seconds:>10.0f} {digest.hexdigest()[:16]:>16}", flush=True)


if __name__ == "__main__":
    main()
