"""How often a turn of a multi-turn export states the answer of a LATER turn's question before it
is asked (`veriscene.rationale_leaks`), with reasoning targets and with plain ones.

    .venv/bin/python benchmarks/reasoning_leaks.py RUN [--turns 4] [--vg-shaped N [--cache DIR]]

RUN is a generation run (e.g. `veriscene demo --out RUN --scenes 20`; its scenes are those its
manifest names, as for `export --reasoning`). Exports llava with --turns
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

Captions of whole images (`rationale_captions.is_caption`) have no markers of their own, but their
targets say a lot: the caption lists every object with its attributes, and its think block their
boxes. The turns after an earlier caption in their conversation are counted apart ("after a
caption"), and given away by its target (think block and answer) when:

- boxes: the answer's markers are stated by the caption's target alone ("a small red circle at
  [...]" answers "What is in the box [...]?");
- options: a multiple-choice turn whose options the caption names one only, the right one (the
  others are not in the image, so the caption rules them out);
- named (a hint, not counted as given away): the answer is one of the objects the caption lists
  (a description of one object is then a choice among them).

An object is named as a caption lists it: "a large red circle", "two large red circles", after a
colon, a comma, a semicolon or "and", followed by " at", " and", a comma or a full stop.

    --vg-shaped N  makes the run first: N Visual Genome-shaped scenes (`_scenes.vg_shaped_scenes`,
                   groups=0.3, cached in --cache), every generator (RUN is its folder)
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

from _scenes import vg_shaped_scenes  # benchmarks/_scenes.py

from veriscene import generate
from veriscene.io.export import export
from veriscene.io.reasoning import reasoning_scenes
from veriscene.program import ExecutionContext
from veriscene.rationale import node_sentences
from veriscene.rationale_captions import is_caption
from veriscene.rationale_leaks import answer_markers, leaks
from veriscene.rewards.process import sample_box_format
from veriscene.scene.jsonl import read_scenes
from veriscene.text import number_word
from veriscene.text_nouns import plural

_ANSWER_RE = re.compile(r"<answer>(.*)</answer>", re.S)
_COUNTS = "|".join([r"\d+", "many", *(number_word(n) for n in range(2, 21))])


@dataclass
class Counts:
    conversations: int = 0
    later: int = 0
    checked: int = 0
    leaked: Counter = field(default_factory=Counter)  # by the markers, per final op
    literal: Counter = field(default_factory=Counter)  # by the literal check, per final op
    unchecked: Counter = field(default_factory=Counter)  # no marker, per final op
    after_caption: Counter = field(default_factory=Counter)  # an earlier turn is a caption, per final op
    caption_boxes: Counter = field(default_factory=Counter)  # its markers stated by an earlier caption
    caption_options: Counter = field(default_factory=Counter)  # mc: the caption names the right option only
    caption_named: Counter = field(default_factory=Counter)  # the answer is an object the caption lists
    caption_given: Counter = field(default_factory=Counter)  # by boxes or options (a turn once)


def names(text: str, phrase: str) -> bool:
    """Whether `text` lists `phrase` ("a red circle", "red grass") as a caption lists an object:
    with its article, or in the plural after a count ("two red circles")."""
    bare = re.sub(r"^an? ", "", phrase)
    said = re.escape(phrase) + "|" + rf"(?:{_COUNTS}) {re.escape(plural(bare))}"
    return re.search(rf"(?i)(?:^|[:;,]\s|\band\s)(?:{said})(?=\s+at\b|\s+and\b|[,.;]|$)", text, re.M) is not None


def caption_gives(sample: dict[str, Any], markers: list[Any], caption: str, counts: Counts, op: str) -> None:
    """Count what an earlier caption's target `caption` gives away of `sample` (see the docstring)."""
    counts.after_caption[op] += 1
    boxes = leaks(markers, caption)
    answer, choices = sample["answer"], sample.get("choices") or []
    options = sample["meta"].get("mode") == "mc" and [c for c in choices if names(caption, str(c))] == [answer]
    counts.caption_boxes[op] += boxes
    counts.caption_options[op] += options
    counts.caption_given[op] += boxes or options
    counts.caption_named[op] += isinstance(answer, str) and names(caption, answer)


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
    scenes = {s.image_id: s for path in reasoning_scenes(run, None) for s in read_scenes(path)}
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
            captions = [replies[j] for j, before in enumerate(record["veriscene"][:k])
                        if is_caption(samples[before["sample_id"]]["program"])]
            if captions:
                caption_gives(sample, markers, "\n".join(captions), counts, op)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--vg-shaped", type=int, default=0, metavar="N")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    if args.vg_shaped:
        generate(vg_shaped_scenes(args.cache, args.vg_shaped, groups=0.3), args.run, overwrite=True)
    for reasoning in (False, True):
        c = count(args.run, args.turns, reasoning)
        print(f"{'reasoning' if reasoning else 'plain'} targets, --turns {args.turns}: {c.conversations} conversations "
              f"of 2+, {c.later} later turns, {c.checked} checkable ({c.later - c.checked} not: "
              f"{dict(c.unchecked.most_common())}); answered before they are asked: by the markers "
              f"{sum(c.leaked.values())} {dict(c.leaked.most_common())}, word for word {sum(c.literal.values())} "
              f"{dict(c.literal.most_common())}")
        print(f"  after a caption: {sum(c.after_caption.values())} later turns {dict(c.after_caption.most_common())}; "
              f"given away by its target: by boxes {sum(c.caption_boxes.values())}, by naming the right option only "
              f"{sum(c.caption_options.values())} (either {sum(c.caption_given.values())} "
              f"{dict(c.caption_given.most_common())}); "
              f"the answer among the objects it lists {sum(c.caption_named.values())}")


if __name__ == "__main__":
    main()
