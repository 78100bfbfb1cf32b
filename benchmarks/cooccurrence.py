"""The vocabulary of a large annotation set: name co-occurrence, its memory and its cost.

    python benchmarks/cooccurrence.py                          # 10k and 100k scenes
    python benchmarks/cooccurrence.py --scenes 10000 100000 --names 50000 --per-scene 30

The engine's scan counts, for every object name, the names it shares an image with (adversarial
absent names come from it, see `veriscene.generators.Vocabulary`); the run saves the vocabulary
as `vocabulary.json` and sends it to every worker. Demo scene graphs have a few names; Visual
Genome has about 100,000 images of about 35 objects over tens of thousands of names. Each row
here draws `--per-scene` names per scene from a Zipf law (exponent 1) over `--names` names,
counts them into a fresh Vocabulary in a fresh process, and prints: the seconds the counting took
(the scan's share of it), the co-occurrence entries kept, the process's peak memory growth, the
size of the vocabulary as sent to a worker (pickled `to_dict()`), and the median time of
`cooccurring_absent(limit=3)` for 200 scenes' names (the per-scene cost of `object.absent`).
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import statistics
import subprocess
import sys
import time


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(scenes: int, names: int, per_scene: int, seed: int) -> dict[str, float]:
    """One row, in this process."""
    import numpy as np

    from veriscene.generators import Vocabulary

    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, names + 1)
    weights /= weights.sum()
    words = [f"name{i:06d}" for i in range(names)]
    vocab = Vocabulary()
    before = _peak_mib()
    seconds = 0.0
    probes: list[list[str]] = []
    for start in range(0, scenes, 10_000):  # drawn in blocks: the draws are not the measured cost
        block = rng.choice(names, size=(min(10_000, scenes - start), per_scene), p=weights).tolist()
        t = time.perf_counter()
        for row in block:
            vocab.add_names([words[i] for i in row], [], [])
        seconds += time.perf_counter() - t
        probes.extend([words[i] for i in row] for row in block[:200 - len(probes)])
    grown = _peak_mib() - before
    vocab.cooccurring_absent(probes[0], limit=3)  # the shared frequency order is made once
    times = []
    for present in probes:
        t = time.perf_counter()
        vocab.cooccurring_absent(present, limit=3)
        times.append(time.perf_counter() - t)
    return {
        "scenes": scenes, "seconds": seconds, "entries": sum(map(len, vocab.cooccurrence.values())),
        "distinct": len(vocab.names), "grown_mib": grown,
        "sent_mib": len(pickle.dumps(vocab.to_dict(), protocol=pickle.HIGHEST_PROTOCOL)) / 2**20,
        "absent_ms": statistics.median(times) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--names", type=int, default=50_000, help="distinct names the draws come from")
    parser.add_argument("--per-scene", type=int, default=30, help="objects per scene")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--row", type=int, default=None, help=argparse.SUPPRESS)  # one row, in a child
    args = parser.parse_args()
    if args.row is not None:
        print(json.dumps(measure(args.row, args.names, args.per_scene, args.seed)))
        return
    print(f"{'scenes':>8} {'names':>7} {'count s':>8} {'us/scene':>9} {'entries':>11} {'memory MiB':>11} "
          f"{'sent MiB':>9} {'absent ms':>10}")
    for scenes in args.scenes:
        out = subprocess.run([sys.executable, __file__, "--row", str(scenes), "--names", str(args.names),
                              "--per-scene", str(args.per_scene), "--seed", str(args.seed)],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        print(f"{r['scenes']:>8} {r['distinct']:>7} {r['seconds']:>8.1f} {r['seconds'] / scenes * 1e6:>9.0f} "
              f"{r['entries']:>11,} {r['grown_mib']:>11.0f} {r['sent_mib']:>9.1f} {r['absent_ms']:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
