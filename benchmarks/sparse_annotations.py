"""What taking sparse attributes and relations as complete costs in wrong samples, and what is left.

    python benchmarks/sparse_annotations.py                        # 300 Visual Genome-shaped scenes
    python benchmarks/sparse_annotations.py --scene-graphs scenes.jsonl

Visual Genome's annotators wrote some attributes and relations of each object, not all that hold,
and its reader marks each scene so (``meta["sparse"]``). This script takes one scene file
(`--scene-graphs`, else `--scenes` Visual Genome-shaped ones made by `_scenes.vg_shaped_scenes`),
writes it twice with `veriscene.convert(..., "veriscene_jsonl", sparse=...)`: read as complete
(the field's usual reading) and marked sparse. It generates a run on each with every generator,
verifies both, then re-executes the first run's samples on the scenes marked sparse: a program
that now fails stated something the annotation leaves open ("no" to "Is any car red?" where the
car's colour is not annotated, "How many red cars?", "the cup on the table"). It prints:

- samples of each run and the mismatches `verify` found (0 expected);
- how many of the complete run's samples the sparse scenes refuse, in all and per task;
- per task, the samples of each run, and the yes share of the yes/no tasks on the sparse run.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import orjson

from _scenes import vg_shaped_scenes  # benchmarks/_scenes.py
from veriscene import generate, verify
from veriscene.io.convert import convert
from veriscene.errors import ExecutionFailure
from veriscene.program import execute
from veriscene.scene.jsonl import read_scenes


def _rows(run: Path) -> list[dict]:
    return [orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=300, help="Visual Genome-shaped scenes to make")
    parser.add_argument("--scene-graphs", type=Path, help="a veriscene JSONL file to use instead")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    source = args.scene_graphs or vg_shaped_scenes(args.cache, args.scenes)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runs: dict[str, list[dict]] = {}
        for label, sparse in (("complete", False), ("sparse", True)):
            scenes = work / f"{label}.jsonl"
            convert(source, scenes, "veriscene_jsonl", sparse=sparse)
            summary = generate(scenes, work / label)
            report = verify(work / label)
            runs[label] = _rows(work / label)
            print(f"{label:>8}: {summary.samples:,} samples, {report.mismatches} mismatches, "
                  f"{len(report.problems) - report.mismatches} unverifiable")
        marked = {s.image_id: s for s in read_scenes(work / "sparse.jsonl")}
        refused: Counter[str] = Counter()
        for r in runs["complete"]:
            try:
                execute(r["program"], [marked[img["id"]] for img in r["images"]])
            except ExecutionFailure:
                refused[r["task"]] += 1
    before, after = (Counter(r["task"] for r in runs[k]) for k in ("complete", "sparse"))
    total = len(runs["complete"])
    print(f"samples of the complete run the sparse scenes refuse: {sum(refused.values()):,} of {total:,} "
          f"({sum(refused.values()) / max(total, 1):.0%})")
    yes: Counter[str] = Counter()
    for r in runs["sparse"]:
        if r["answer_type"] == "bool" and r["answer"] is True:
            yes[r["task"]] += 1
    print(f"\n{'task':<34} {'complete':>8} {'refused':>8} {'sparse':>8} {'yes (sparse)':>12}")
    for task in sorted(set(before) | set(after), key=lambda t: (-refused[t], t)):
        share = f"{yes[task] / after[task]:.0%}" if after[task] and any(
            r["task"] == task and r["answer_type"] == "bool" for r in runs["sparse"]) else "-"
        print(f"{task:<34} {before[task]:>8,} {refused[task]:>8,} {after[task]:>8,} {share:>12}")


if __name__ == "__main__":
    main()
