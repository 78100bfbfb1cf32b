"""How often a turn of a multi-turn export states the answer of a LATER turn's question before it
is asked (`veriscene.rationale_leaks`), with reasoning targets and with plain ones.

    .venv/bin/python benchmarks/reasoning_leaks.py RUN [--turns 4]

RUN is a generation run (e.g. `veriscene demo --out RUN --scenes 20`). Exports llava with --turns
(plain, and --reasoning), and for every turn after the first counts whether the targets before it
in its conversation state its answer, two ways:

- markers: `rationale_leaks.answer_markers` (what the export's dealing avoids), per final op, with
  the later turns it has no marker for (unchecked);
- literal, a check independent of the markers: the earlier targets contain, word for word, the
  later turn's answer when it is a box, a point or a list of several items (qa only: an mc answer
  is a letter), or the sentence its rationale says last (the one that gives its answer: "One
  triangle is as many as one square.", "Altogether 1 + 2 = 3: three triangles."; before a
  sentence "That is (not) the ... at [...]", which says nothing alone, the one it follows). It finds only
  answers repeated verbatim, so it is a floor for what the markers should find, never more.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from veriscene.io.export import export
from veriscene.program import ExecutionContext
from veriscene.rationale import node_sentences
from veriscene.rationale_leaks import answer_markers, leaks
from veriscene.rewards.process import sample_box_format
from veriscene.scene.jsonl import read_scenes

_ANSWER_RE = re.compile(r"<answer>(.*)</answer>", re.S)


@dataclass
class Counts:
    conversations: int = 0
    later: int = 0
    checked: int = 0
    leaked: Counter = field(default_factory=Counter)  # by the markers, per final op
    literal: Counter = field(default_factory=Counter)  # by the literal check, per final op
    unchecked: Counter = field(default_factory=Counter)  # no marker, per final op


def literal_leak(sample: dict[str, Any], ctx: ExecutionContext, reply: str, earlier: str) -> bool:
    """Whether `earlier` holds the later turn's answer or answering sentence word for word."""
    answer = (m.group(1) if (m := _ANSWER_RE.search(reply)) else reply).strip()
    specific = "[" in answer or answer.count(",") >= 1
    if sample["meta"].get("mode") == "qa" and specific and answer in earlier:
        return True
    said = list(node_sentences(sample, ctx).values())
    while len(said) > 1 and said[-1].startswith("That "):  # "That is not the star at [...]." says no more alone
        said.pop()
    return bool(said) and said[-1].rstrip(".") in earlier


def count(run: Path, turns: int, reasoning: bool) -> Counts:
    samples = {s["id"]: s for s in map(json.loads, (run / "samples.jsonl").read_text().splitlines())}
    scenes = {s.image_id: s for s in read_scenes(run / "scenes.jsonl")}
    with tempfile.TemporaryDirectory() as tmp:
        export(run, Path(tmp) / "l.json", "llava", turns=turns, reasoning=reasoning)
        records = json.loads((Path(tmp) / "l.json").read_text())
    counts = Counts()
    for record in records:
        if not isinstance(record["veriscene"], list) or len(record["veriscene"]) < 2:
            continue
        counts.conversations += 1
        replies = [m["value"] for m in record["conversations"] if m["from"] == "gpt"]
        for k, prov in enumerate(record["veriscene"][1:], start=1):
            sample = samples[prov["sample_id"]]
            op = sample["program"][-1]["op"]
            ctx = ExecutionContext([scenes[i["id"]] for i in sample["images"]])
            markers = answer_markers(sample, ctx, sample_box_format(sample))
            earlier = "\n".join(replies[:k])
            counts.later += 1
            counts.checked += bool(markers)
            if not markers:
                counts.unchecked[op] += 1
            if leaks(markers, earlier):
                counts.leaked[op] += 1
            if literal_leak(sample, ctx, replies[k], earlier):
                counts.literal[op] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--turns", type=int, default=4)
    args = parser.parse_args()
    for reasoning in (False, True):
        c = count(args.run, args.turns, reasoning)
        print(f"{'reasoning' if reasoning else 'plain'} targets, --turns {args.turns}: {c.conversations} conversations "
              f"of 2+, {c.later} later turns, {c.checked} checkable ({c.later - c.checked} not: "
              f"{dict(c.unchecked.most_common())}); answered before they are asked: by the markers "
              f"{sum(c.leaked.values())} {dict(c.leaked.most_common())}, word for word {sum(c.literal.values())} "
              f"{dict(c.literal.most_common())}")


if __name__ == "__main__":
    main()
