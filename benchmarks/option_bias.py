"""How much a multiple choice's options alone tell its answer, per task, on three kinds of scenes.

Generates every generator over N scenes each of the demo world (masks, depth), COCO-shaped
instances (80 categories, read with `--from coco`) and Visual Genome-shaped scene graphs (a
50,000-name Zipf vocabulary, group names), then prints `veriscene.stats`'s figures per task:
`options_alone` (a guess that sees only the option texts, cross-fitted over two halves of the
samples) beside `options_chance` (mean 1/k), and the values that are right far more often than
chance where offered. A task whose guess is well above chance can be answered without the image.

    python benchmarks/option_bias.py --scenes 300
    python benchmarks/option_bias.py --scenes 300 --data vg --generators "object.*"

Prints one table per data set and, last, the tasks whose guess is above chance by more than
`--z` standard errors of a guess at chance (sqrt(c(1 - c) / n) for chance c over n questions: at
300 questions and chance 25%, 2.5 points), so that noise is not listed.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scenes import base_scenes, coco_shaped_instances, vg_shaped_scenes  # noqa: E402

DATA = ("demo", "coco", "vg")


def scenes_of(kind: str, cache: Path, n: int) -> tuple[Path, str]:
    """(input file, its format) of `n` scenes of one kind."""
    if kind == "demo":
        base_scenes(cache, n)
        return cache / f"demo-base-{n}.jsonl", "jsonl"
    if kind == "coco":
        return coco_shaped_instances(cache, n), "coco"
    return vg_shaped_scenes(cache, n, groups=0.3), "jsonl"


def measure(kind: str, cache: Path, n: int, generators: str | None, work: Path) -> list[dict]:
    """The task rows of `veriscene.stats` for a fresh run over `n` scenes of `kind`."""
    from veriscene import generate
    from veriscene.stats import stats

    path, fmt = scenes_of(kind, cache, n)
    run = work / kind
    generate(path, run, generators=generators, from_format=fmt, workers=1, overwrite=True)
    return [row for row in stats(run).task_rows() if row["options_alone"] is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=300, help="scenes per data set")
    parser.add_argument("--data", nargs="+", choices=DATA, default=list(DATA))
    parser.add_argument("--generators", "-g", default=None, help="names, globs or families (default all)")
    parser.add_argument("--z", type=float, default=3.0, help="list tasks this many standard errors above chance")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    flagged: list[tuple[float, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.data:
            rows = measure(kind, args.cache, args.scenes, args.generators, Path(tmp))
            print(f"\n{kind}: {args.scenes} scenes, {len(rows)} tasks with multiple choice")
            print(f"{'task':36s} {'questions':>9s} {'options alone':>13s} {'chance':>7s} {'gap':>6s} {'z':>5s}  telling")
            for row in sorted(rows, key=lambda r: r["options_chance"] - r["options_alone"]):
                gap = row["options_alone"] - row["options_chance"]
                chance, n = row["options_chance"], row["options_samples"]
                z = gap / math.sqrt(chance * (1 - chance) / n) if 0 < chance < 1 and n else 0.0
                telling = "; ".join(f"{t['option']!r} {t['right']}/{t['offered']}" for t in row["options_telling"])
                print(f"{row['task']:36s} {row['options_samples']:9d} {row['options_alone']:13.1%} "
                      f"{row['options_chance']:7.1%} {gap:+6.1%} {z:5.1f}  {telling}")
                if z > args.z:
                    flagged.append((gap, kind, row["task"], z))
    print(f"\ntasks more than {args.z:g} standard errors above chance: {len(flagged)}")
    for gap, kind, task, z in sorted(flagged, reverse=True):
        print(f"  {kind:5s} {task:36s} {gap:+.1%} (z {z:.1f})")


if __name__ == "__main__":
    main()
