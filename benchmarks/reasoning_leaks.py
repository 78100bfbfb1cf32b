"""How often a turn of a multi-turn export states the answer of a LATER turn's question before it
is asked (`veriscene.rationale_leaks`), with reasoning targets and with plain ones.

    .venv/bin/python benchmarks/reasoning_leaks.py RUN [--turns 4]

RUN is a generation run (e.g. `veriscene demo --out RUN --scenes 20`). Exports llava with --turns
(plain, and --reasoning), and for every turn after the first counts whether the targets before it
in its conversation state its answer. Prints the counts per final op.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from veriscene.io.export import export
from veriscene.program import ExecutionContext
from veriscene.rationale import rationale
from veriscene.rationale_leaks import answer_markers, leaks
from veriscene.rewards.process import sample_box_format
from veriscene.scene.jsonl import read_scenes


def count(run: Path, turns: int, reasoning: bool) -> tuple[int, int, Counter, int]:
    samples = {s["id"]: s for s in map(json.loads, (run / "samples.jsonl").read_text().splitlines())}
    scenes = {s.image_id: s for s in read_scenes(run / "scenes.jsonl")}
    with tempfile.TemporaryDirectory() as tmp:
        export(run, Path(tmp) / "l.json", "llava", turns=turns, reasoning=reasoning)
        records = json.loads((Path(tmp) / "l.json").read_text())
    later = checked = conversations = 0
    leaked: Counter = Counter()
    for record in records:
        if not isinstance(record["veriscene"], list) or len(record["veriscene"]) < 2:
            continue
        conversations += 1
        replies = [m["value"] for m in record["conversations"] if m["from"] == "gpt"]
        for k, prov in enumerate(record["veriscene"][1:], start=1):
            sample = samples[prov["sample_id"]]
            ctx = ExecutionContext([scenes[i["id"]] for i in sample["images"]])
            markers = answer_markers(sample, ctx, sample_box_format(sample), rationale(sample, ctx))
            later += 1
            checked += bool(markers)
            if leaks(markers, "\n".join(replies[:k])):
                leaked[sample["program"][-1]["op"]] += 1
    return later, checked, leaked, conversations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--turns", type=int, default=4)
    args = parser.parse_args()
    for reasoning in (False, True):
        later, checked, leaked, convs = count(args.run, args.turns, reasoning)
        print(f"{'reasoning' if reasoning else 'plain'} targets, --turns {args.turns}: {convs} conversations of 2+, "
              f"{later} later turns, {checked} checkable, {sum(leaked.values())} answered before they are asked "
              f"({dict(leaked.most_common())})")


if __name__ == "__main__":
    main()
