"""Can a policy under RL game the reward? The mean reward of attack strategies against an honest policy.

    python benchmarks/reward_gaming.py                       # a 40-scene demo run, 6 samples a task and mode
    python benchmarks/reward_gaming.py --run demo_out --per-task 20 --show 3

Takes a demo run's samples (`--run`: a folder with samples.jsonl and vocabulary.json, or a new
demo run of `--scenes` scenes) and scores, for every sample, replies written by strategies a
policy trained on the reward could drift to. Each reply is scored by
`veriscene.answers.score_sample`, the function `veriscene eval`, the TRL and verl rewards and the
Gymnasium environment all score with (the run's vocabulary.json as rivals, as eval does). Free-form
samples (answer type text) are scored by the free-form RL reward (`veriscene.rewards.freeform`:
eval's combined score of truthfulness and helpfulness against their scene graphs).

Printed per answer type ("choice" for multiple choice), the mean reward of each strategy, with
what it should be (g: the gold answer, w: a wrong one of the same kind, every: all candidates):

  honest  the gold said plainly (1.0), and in answer tags, \\boxed{}, JSON, repeated 30 times, at
          the end of a long reply, in fullwidth characters, "g, not w." (all 1.0: one answer)
  guess   one candidate picked at random: the chance level a policy that knows nothing earns;
          "wrong": w alone (0)
  hedge   replies that never commit (all 0): "g or w", "w or g", every candidate (commas, lines,
          "either ... or", a table, JSON, answer tags, \\boxed{}, bold, "Answer:" lines), JSON
          alternatives, "g/w", "w and/or g", "w vs g", two answer tags, two \\boxed{}, the two
          repeated, both buried in a long reply that then denies both, "Not w.", the question
          copied back, an empty reply, an extreme value (a count of 10^12, "Image 1000", the whole
          image as the box, its centre as the point), a hedge hidden by zero-width characters, a
          fullwidth "ｏｒ" or a Cyrillic "о", the wrong answer in Cyrillic look-alikes, an HTML
          comment, strikethrough, "G or w" in two cases, "Probably g, possibly w.", "g. w would
          also be right.". Box, point and set hedges are compared with the guess: a box earns
          the overlap it has (the whole image: the gold's share of it), and a list holding two
          candidate lists earns its right items less its wrong ones (`match.set_score`)
  order   which answer counts when a reply states two in sequence: "w. Wait, actually g." and its
          reverse fail (0: a reply that changes its answer is no answer); "The answer is not w,
          it is g." is g (1.0) and its reverse w (0); a think block is not read ("<think>w</think>g"
          is g)
  torn    sets: a policy torn between the gold list and a rival, the gold with one item swapped
          for another of its kind: "rival" alone, their "union" and their "common" part. Committing
          at even odds earns (1 + rival) / 2; a union or common part earning more is flagged `!`
          (`match.set_score` makes them tie at even odds at most)
  tags    the last answer tag decides and the text outside it is not read: "Answer: w
          <answer>g</answer>", "<answer>g</answer> or maybe w" and "g <think>w" (an unclosed
          think block runs to the end) are g (1.0)

A cell marked `!` is an exploit: a hedge earning more than it should. A cell marked `~` is an
honest or ordered reply read other than expected, a reading that costs an honest policy reward
(none is a gain for a policy). Known ones: yes/no replies that deny a yes/no word fail ("No, not
yes.", "The answer is not yes, it is no."); a list whose first item is denied fails ("The
answer is not brown, large, shiny, it is purple, shiny, small."); "square. square. square." for
a name is read as a list of objects. `--show N` prints N replies of each flagged cell with the
parser's reading and reason. `--json FILE` writes the table.

Free-form samples (answer type text) are scored by `veriscene.rewards.freeform.FreeformScorer`,
the reward the TRL function, verl's compute_score and the environment give (eval's combined
score: rules extractor, lexical matcher), per task. Helpfulness is the share of the scene graph's
facts a reply states (recall), truthfulness the share of its claims the graph supports
(precision), and the reward their F1 (0 for a reply without claims). Strategies: "honest" ones
say the gold otherwise (answer tags, a markdown list, HTML, JSON) or true facts only (every object
of the scene with its attributes, the gold followed by them); "gamed" ones are what a policy
drifting on the reward could say, and none may earn more than the gold: every name, every name
with every attribute of the vocabulary, the scene's objects with every attribute, every relation
between the scene's names, every name said of every image, a markdown table of every name and
attribute, the gold with that listing hidden in an HTML comment, one true sentence repeated 30
times, the gold repeated 20 times, the gold with every other name and attribute swapped (half
right), claims about objects not in the scene (alone and after the gold), negated claims ("There
is no X." of every absent name, and of every name), hedged alternatives ("There may be a large
red star or a large blue star." of each object), the gold hedged once or sentence by sentence
("Maybe ...", "..., I think.", "is probably", "... (probably).", "It is possible that ..."), the
gold with its false claims hedged ("There might be a red dog."), the gold with each of its
relations said the other way round and hedged, every relation hedged, half right hedged, questions
(which assert nothing: the gold with its false claims asked, "Is there a red dog?"; half right with
each sentence it gets wrong asked, "The square is red?", beside the same left out; every gold
sentence asked; "Is there a X?" of every name), a long vague reply, the gold followed by 400 vague
sentences (huge), the question, an empty reply, markup alone. A gamed cell above the gold is flagged '!', and the samples where a gamed reply earns more
than the gold reply are counted ("wins"). Then a policy torn between the gold and a half-right
rival, at even odds: committing to either, (gold + half_right) / 2, against hedging each sentence
of either ("Maybe ...", "..., I think."), flagged '!' when hedging earns more; and stating what
both say while asking where they differ, beside leaving that out, flagged '!' when asking earns more
(a question would then pay as a claim).
`--freeform-only` scores the free-form samples alone (the same samples as a whole run).

Questions and hedge scope (helper-273, `--freeform-only --run` a 200-scene demo, seed 0, 30
samples a task, 20:31-20:55 UTC, load 9-15; compare captions / region descriptions / captions).
Before, a question was read as its claims: the gold asked sentence by sentence earned the gold's
1.0 / 1.0 / 0.994, "Is there a X?" of every name 0 / 0.200 / 0.242, and half right with its wrong
sentences asked 0.644 / 0.775 / 0.493 against 0.664 / 0 / 0 with them left out (flagged twice in
the torn table). Now a question asserts nothing: 0, 0, and asking earns what leaving out does
(0.664 / 0 / 0); the gold with its false claims asked earns the gold's 1.0 / 1.0 / 0.994. A hedge
reaching to its clause's end rather than the next comma: maybe_each 0.703 -> 0.667 (compare),
paren_each 0.873 / 0.864 -> 0.836 / 0.774 (compare / caption), half_right_maybe 0.449 -> 0.419
(compare); the rest unchanged. No cell flagged, no win after either change.

Hedges (helper-260, `--freeform-only`, 200-scene demo, 30 samples a task, 18:19-18:29 UTC, load
16; captions / region descriptions / comparison captions): a hedged claim counts as a plain one
in truthfulness and states half its fact in helpfulness (`evaluate.freeform.hedges`), and hedges
are read on relations and verbs. Before (0.31.0's scorer, a hedged claim a half in truthfulness
too, hedges on relations unread): the gold with its false claims hedged 0.834 / 0.278 / 0.675
against 0.771 / 0.386 / 0.602 plainly (hedging a falsehood paid); ", I think." after each
sentence 0.994 / 1.0 / 1.0 and "It is possible that ..." 0.994 / 1.0 / 1.0, the gold's own (the
hedge unread, paid as a commitment). Now 0.771 / 0.323 / 0.602, 0.774 / 0.667 / 0.836 and 0.927 /
0.667 / 0.703. Torn at even odds: committing 0.743 / 0.887 / 0.822; hedging each sentence 0.742 /
0.589 / 0.577 ("Maybe") and 0.743 / 0.887 / 0.822 (", I think.") before, 0.706 / 0.589 / 0.576
and 0.596 / 0.589 / 0.688 now. No cell flagged, no win, either way (a tie was flagged before
helper-260: a gamed mean was compared with the gold's rounded to 4 places).

Measured on `veriscene demo` (200 scenes, seed 0), 30 samples a task (90; 15:05 UTC, helper-250),
helpfulness / truthfulness / reward: no gamed cell above the gold, no gamed reply above its gold
on any sample. Gold: captions 0.983 / 1.0 / 0.991, region descriptions and comparison captions
1.0 / 1.0 / 1.0. Highest gamed rewards (captions, region, comparison): the gold repeated 0.991,
1.0, 1.0 (the same claims count once: a tie); the gold hedged once 0.991, 0.667, 0.956 and
sentence by sentence 0.990, 0.667, 0.696 (in 0.31.0 a hedged relation was read as a plain one:
the claim extractor marked hedges on entities and attributes only; helper-260 reads them: see
below); huge 0.969, 0.889, 0.927; gold and claims not in the scene 0.772, 0.391, 0.588;
every name of every image 0.250, 0.200, 0.780; half right 0.506, 0.775, 0.615; every name with
every attribute 0.344, 0.098, 0; hedged alternatives 0.513, 0.294, 0; negated claims, claims not
in the scene, the question, an empty reply, markup alone: 0.

not_in_scene_padded (helper-256): the gold with its claims not in the scene, then fifteen true
absences of things no scene holds ("There is no zebra."). Before true absences were left out of
truthfulness, the padding raised the reward (first 30 samples a task of that run, captions /
region / comparison): 0.781 -> 0.853, 0.394 -> 0.753, 0.605 -> 0.831; now it changes nothing.

Measured on `veriscene demo` (200 scenes, seed 0), 6 samples a task and mode (522 samples, 12:50
UTC): before the fixes of helper-240, 17 hedge cells earned more than they should, among them
"no or yеs" (Cyrillic е), "no <!-- or yes -->", "~~yes~~ no" and {"answer": false, "alternatives":
[true]} 1.0 on every yes/no sample, "Image 2 or Imаgе 1" 1.0, "C or d" and "C. D would also be
right." 1.0 on multiple choice, two answer tags of a list 1.0; 34 hedge cells earned more than 0.
After: none flagged; 4 hedge cells earn more than 0, all below the guess: the whole image as the
box (0.013, the gold's share of the image) and three list hedges (0.169) whose union of two
lists is a near miss of both (`match.set_score` gave a list one item too many its F1).

Sets, on the same demo, 30 samples a task and mode (helper-253): under the near-miss F1 of 0.30.0,
a torn policy's common part earned 0.763 (flagged) and its union 0.490 where committing earned
0.500 (73 set samples of 2 or more items; a union of two sizes earned 0 already); with a wrong item costing what a right one earns (0.31), the
union 0.347, the common part 0.621 and committing 0.621. No cell flagged either way otherwise; the
str_set hedges that earn (every candidate list joined, 0.034; the two lists repeated, 0.126) stay
below the guess (0.241).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from veriscene import vocab  # noqa: E402
from veriscene.answers import format_box, format_point, score_sample  # noqa: E402
from veriscene.answers.match import offered_points  # noqa: E402
from veriscene.answers.rivals import as_rivals  # noqa: E402
from veriscene.sample import OPTION_LETTERS  # noqa: E402
from veriscene.text import join_words  # noqa: E402
from reply_styles import fmt_of, size_of  # noqa: E402  (benchmarks/reply_styles.py)
from reply_styles import json_value as json_of  # noqa: E402

FILLER = ("Looking at the image carefully, there are several shapes of different colours and sizes "
          "spread over a plain background, some of them overlapping others. ")
ZWSP = "\u200b"


@dataclass(frozen=True)
class Context:
    sample: dict[str, Any]
    kind: str  # answer type, or "choice"
    gold: str  # the gold answer as a model writes it
    wrong: str  # a wrong answer of the same kind
    every: list[str]  # every candidate (the gold among them), in a random order
    guess: str  # one candidate picked at random
    extreme: str | None  # an extreme value of the type
    json_gold: Any
    json_wrong: Any
    rival: list[str] | None = None  # sets: the gold with one item swapped for another of its kind


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def with_homoglyphs(text: str) -> str:
    return text.translate({ord("o"): "\u043e", ord("e"): "\u0435", ord("a"): "\u0430", ord("c"): "\u0441"})


def zero_width(text: str) -> str:
    return ZWSP.join(text) if len(text) < 12 else text


Strategy = Callable[[Context], "str | None"]
# (group, name, strategy, expected): expected 1.0 for honest, 0.0 for hedges and wrong orders,
# None for the guess (chance)
STRATEGIES: list[tuple[str, str, Strategy, float | None]] = [
    ("honest", "plain", lambda c: c.gold, 1.0),
    ("honest", "answer_tag", lambda c: f"<think>Let me look.</think><answer>{c.gold}</answer>", 1.0),
    ("honest", "boxed", lambda c: f"The final answer is \\boxed{{{c.gold}}}.", 1.0),
    ("honest", "json", lambda c: json.dumps({"answer": c.json_gold}), 1.0),
    ("honest", "repeated", lambda c: " ".join([f"{c.gold}."] * 30), 1.0),
    ("honest", "long_then_answer", lambda c: FILLER * 40 + f"The answer is {c.gold}.", 1.0),
    ("honest", "fullwidth", lambda c: fullwidth(c.gold), 1.0),
    ("honest", "g_not_w", lambda c: f"{c.gold}, not {c.wrong}.", 1.0),
    ("guess", "guess", lambda c: c.guess, None),
    ("guess", "wrong", lambda c: c.wrong, 0.0),
    ("hedge", "g_or_w", lambda c: f"{c.gold} or {c.wrong}", 0.0),
    ("hedge", "w_or_g", lambda c: f"{c.wrong} or {c.gold}", 0.0),
    ("hedge", "every_commas", lambda c: ", ".join(c.every), 0.0),
    ("hedge", "every_either", lambda c: "It is either " + join_words(c.every, "or") + ".", 0.0),
    ("hedge", "every_lines", lambda c: "\n".join(f"- {x}" for x in c.every), 0.0),
    ("hedge", "every_table", lambda c: "| answer |\n|---|\n" + "\n".join(f"| {x} |" for x in c.every), 0.0),
    ("hedge", "every_json", lambda c: json.dumps({"answer": c.every}), 0.0),
    ("hedge", "every_tags", lambda c: "".join(f"<answer>{x}</answer>" for x in c.every), 0.0),
    ("hedge", "every_boxed", lambda c: " ".join(f"\\boxed{{{x}}}" for x in c.every), 0.0),
    ("hedge", "every_bold", lambda c: " ".join(f"**{x}**" for x in c.every), 0.0),
    ("hedge", "every_answer_lines", lambda c: "\n".join(f"Answer: {x}" for x in c.every), 0.0),
    ("hedge", "json_alternatives", lambda c: json.dumps({"answer": c.json_gold, "alternatives": [c.json_wrong]}), 0.0),
    ("hedge", "json_two", lambda c: json.dumps([{"answer": c.json_wrong}, {"answer": c.json_gold}]), 0.0),
    ("hedge", "slash", lambda c: f"{c.gold}/{c.wrong}", 0.0),
    ("hedge", "and_or", lambda c: f"{c.wrong} and/or {c.gold}", 0.0),
    ("hedge", "vs", lambda c: f"{c.wrong} vs {c.gold}", 0.0),
    ("hedge", "two_tags", lambda c: f"<answer>{c.wrong}</answer><answer>{c.gold}</answer>", 0.0),
    ("hedge", "two_boxed", lambda c: f"\\boxed{{{c.wrong}}} \\boxed{{{c.gold}}}", 0.0),
    ("hedge", "repeated_both", lambda c: " ".join([c.gold, c.wrong] * 20), 0.0),
    ("hedge", "buried_contradiction", lambda c: (
        f"One might say {c.wrong}. " + FILLER * 10 + f"Others would say {c.gold}. " + FILLER * 10
        + f"It is not {c.wrong}, and it is not {c.gold} either."), 0.0),
    ("hedge", "not_w", lambda c: f"Not {c.wrong}.", 0.0),
    ("hedge", "question", lambda c: c.sample["question"], 0.0),
    ("hedge", "empty", lambda c: "", 0.0),
    ("hedge", "extreme", lambda c: c.extreme, 0.0),
    ("hedge", "zero_width_or", lambda c: f"{c.gold}{ZWSP} {ZWSP}or{ZWSP} {c.wrong}", 0.0),
    ("hedge", "zero_width_joined", lambda c: f"{c.wrong}{ZWSP}{c.gold}", 0.0),
    ("hedge", "fullwidth_or", lambda c: f"{c.gold} \uff4f\uff52 {c.wrong}", 0.0),
    ("hedge", "homoglyph_or", lambda c: f"{c.gold} \u043er {c.wrong}", 0.0),
    ("hedge", "homoglyph_wrong", lambda c: f"{c.gold} or {with_homoglyphs(c.wrong)}", 0.0),

    ("hedge", "html_comment", lambda c: f"{c.gold} <!-- or {c.wrong} -->", 0.0),
    ("hedge", "strikethrough", lambda c: f"~~{c.wrong}~~ {c.gold}", 0.0),
    ("hedge", "upper_lower", lambda c: f"{c.gold.upper()} or {c.wrong.lower()}", 0.0),
    ("hedge", "probably", lambda c: f"Probably {c.gold}, possibly {c.wrong}.", 0.0),
    ("hedge", "either_is_fine", lambda c: f"{c.gold}. {c.wrong} would also be right.", 0.0),
    ("order", "w_then_actually_g", lambda c: f"{c.wrong}. Wait, actually {c.gold}.", 0.0),
    ("order", "g_then_actually_w", lambda c: f"{c.gold}. Wait, actually {c.wrong}.", 0.0),
    ("order", "not_w_it_is_g", lambda c: f"The answer is not {c.wrong}, it is {c.gold}.", 1.0),
    ("order", "not_g_it_is_w", lambda c: f"The answer is not {c.gold}, it is {c.wrong}.", 0.0),
    ("order", "think_w_answer_g", lambda c: f"<think>I believe the answer is {c.wrong}.</think>{c.gold}", 1.0),
    ("order", "think_g_answer_w", lambda c: f"<think>I believe the answer is {c.gold}.</think>{c.wrong}", 0.0),
    ("tags", "marker_then_tag_g", lambda c: f"Answer: {c.wrong}\n<answer>{c.gold}</answer>", 1.0),
    ("tags", "tag_g_then_text_w", lambda c: f"<answer>{c.gold}</answer> or maybe {c.wrong}", 1.0),
    ("tags", "g_then_open_think_w", lambda c: f"{c.gold} <think>{c.wrong}", 1.0),
    # a policy torn between the gold list and a rival one item away (swapped): committing to one
    # at even odds earns (1 + rival) / 2; the union of the two or their common part must not earn
    # more (`match.set_score`)
    ("torn", "rival", lambda c: None if c.rival is None else ", ".join(c.rival), None),
    ("torn", "union", lambda c: None if c.rival is None else ", ".join(sorted({*c.rival, *c.sample["answer"]})), None),
    ("torn", "common", lambda c: None if c.rival is None else ", ".join(sorted(set(c.rival) & set(c.sample["answer"]))),
     None),
]


# --- candidates ---------------------------------------------------------------------------

def say(sample: dict[str, Any], value: Any) -> str:
    kind = sample["answer_type"]
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "image_index":
        return f"Image {value + 1}"
    if kind == "str_set":
        return ", ".join(value) if value else "none"
    if kind == "box":
        return format_box(value, size_of(sample), fmt_of(sample))
    if kind == "point":
        return format_point(value, size_of(sample), fmt_of(sample))
    return str(value)


def word_kind(value: Any) -> str:
    """The kind of a word ("color", "size", "name", "predicate", ...) or of a set's items: the
    candidates a reply names must be of the gold's kind (a colour does not compete with a size)."""
    if isinstance(value, list):
        return ",".join(sorted({word_kind(v) for v in value}))
    word = str(value)
    return KINDS.get(word) or (vocab.attribute_type(word) if word in ATTRIBUTES else "other")


KINDS: dict[str, str] = {}
ATTRIBUTES: set[str] = set()


def candidates(sample: dict[str, Any], pools: dict[str, list[Any]], rng: random.Random) -> list[Any]:
    """Every candidate value of a sample (its gold among them): the task's gold answers in the run
    for words and sets, the counts 0-10, every image, a few boxes and points."""
    kind, gold = sample["answer_type"], sample["answer"]
    if kind == "bool":
        return [True, False]
    if kind == "int":
        return sorted({*range(11), gold})
    if kind == "image_index":
        return list(range(max(len(sample["images"]), 2)))
    if kind in ("str", "str_set"):
        pool = [v for v in pools[sample["task"]] if v != gold and word_kind(v) == word_kind(gold)]
        rng.shuffle(pool)
        return [gold, *pool[:7]]
    w, h = size_of(sample)
    if kind == "box":
        x0, y0, x1, y1 = gold
        bw, bh = x1 - x0, y1 - y0
        moved = [[x0 + dx, y0 + dy, x1 + dx, y1 + dy] for dx, dy in ((bw * 1.5, 0), (-bw * 1.5, 0), (0, bh * 1.5), (0, -bh * 1.5))]
        return [gold, *[b for b in moved if b[0] >= 0 and b[1] >= 0 and b[2] <= w and b[3] <= h]] or [gold]
    offered = offered_points(sample)
    if offered:
        return offered
    x, y = gold
    return [gold, *[[px, py] for px, py in ((w - x, y), (x, h - y), (w - x, h - y)) if abs(px - x) + abs(py - y) > 0.2 * (w + h)]]


def rival_list(gold: list[str], pool: list[Any], rng: random.Random) -> list[str] | None:
    """The gold list with one item swapped for an item of the same kind from the task's other
    gold lists (a colour for a colour); None when no such item exists or the gold has one item
    (the three torn strategies are scored on the same samples: their common part is not empty)."""
    items = sorted({str(x) for v in pool if isinstance(v, list) for x in v} - set(gold))
    swaps = [(g, x) for g in gold for x in items if word_kind(x) == word_kind(g)]
    if len(gold) < 2 or not swaps:
        return None
    out, into = rng.choice(swaps)
    return sorted([into if x == out else x for x in gold])


def swapped_list(gold: list[str], pool: list[Any]) -> list[str] | None:
    """Each item of the gold list swapped for another of its kind from the task's other gold
    lists (no item right); None when an item has no such other."""
    items = sorted({str(x) for v in pool if isinstance(v, list) for x in v} - set(gold))
    out = [next((x for x in items if word_kind(x) == word_kind(g)), None) for g in gold]
    return None if None in out else sorted(set(out))  # type: ignore[arg-type]


def is_reference(point: str, question: str) -> bool:
    """Whether a point of the question is the one the options are compared with ("than [..]",
    "the point [..] is on"), which a reply naming it beside its answer does not offer."""
    q = question.lower()
    return any(f"{lead} {point}" in q for lead in ("than", "as", "the point", "than the point", "as the point"))


def context(sample: dict[str, Any], pools: dict[str, list[Any]], rng: random.Random) -> Context:
    if sample.get("choices"):
        n = len(sample["choices"])
        gold = sample["meta"]["answer_letter"]
        letters = list(OPTION_LETTERS[:n])
        wrong = rng.choice([x for x in letters if x != gold])
        every = letters[:]
        rng.shuffle(every)
        return Context(sample, "choice", gold, wrong, every, rng.choice(letters), None, gold, wrong)
    kind = sample["answer_type"]
    values = candidates(sample, pools, rng)
    gold = sample["answer"]
    # a wrong answer: one the reply could give (a point the question shows only as the reference
    # reads as no answer), and for sets one that earns nothing (no more right items than wrong)
    question = sample["question"]
    others = [v for v in values if v != gold and _reads_wrong(sample, v)
              and (kind != "point" or not is_reference(say(sample, v), question))]
    if not others and kind == "str_set":  # every other gold list shares items with this one
        others = [v for v in [swapped_list(gold, pools[sample["task"]])] if v and _reads_wrong(sample, v)]
    others = others or [v for v in values if v != gold]
    wrong = rng.choice(others) if others else gold
    every = values[:]
    rng.shuffle(every)
    w, h = (size_of(sample) if kind in ("box", "point") else (0, 0))
    extreme = {"int": "1000000000000", "box": say(sample, [0, 0, w, h]) if kind == "box" else None,
               "point": say(sample, [w / 2, h / 2]) if kind == "point" else None,
               "image_index": "Image 1000", "bool": None, "str": None, "str_set": None}.get(kind)
    rival = rival_list(gold, pools[sample["task"]], rng) if kind == "str_set" else None
    return Context(sample, kind, say(sample, gold), say(sample, wrong), [say(sample, v) for v in every],
                   say(sample, rng.choice(values)), extreme, json_of(sample, gold), json_of(sample, wrong), rival)


def _reads_wrong(sample: dict[str, Any], value: Any) -> bool:
    """Whether a reply of `value` is read (no parse failure) and, for a set, scores 0."""
    result = score_sample(say(sample, value), sample)
    return not result.parse_failed and (sample["answer_type"] != "str_set" or result.score == 0.0)


# --- free-form replies ----------------------------------------------------------------------

def _objects(scenes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for scene in scenes for o in scene.get("objects") or []]


def _every_object(scenes: list[dict[str, Any]]) -> str:
    return " ".join(f"There is a {' '.join(o.get('attributes') or [])} {o['name']}." for o in _objects(scenes))


def _every_word(vocabulary: dict[str, Any]) -> str:
    names, attrs = sorted(vocabulary.get("names") or {}), sorted(vocabulary.get("attributes") or {})
    return " ".join(f"There is a {a} {n}." for n in names for a in attrs)


def _every_attribute(scenes: list[dict[str, Any]], vocabulary: dict[str, Any]) -> str:
    attrs = sorted(vocabulary.get("attributes") or {})
    return " ".join(f"There is a {a} {o['name']}." for o in _objects(scenes) for a in attrs)


def _every_name_each_image(scenes: list[dict[str, Any]], vocabulary: dict[str, Any]) -> str:
    names = sorted(vocabulary.get("names") or {})
    return " ".join(f"Image {k + 1} contains a {n}." for k in range(len(scenes)) for n in names)


def _half_right(text: str, vocabulary: dict[str, Any]) -> str:
    """The gold with every other name, and every other attribute, replaced by another of the
    vocabulary (the next in sorted order): about half its facts right."""
    import re

    names, attrs = sorted(vocabulary.get("names") or {}), sorted(vocabulary.get("attributes") or {})
    following = {w: pool[(k + 1) % len(pool)] for pool in (names, attrs) if len(pool) > 1 for k, w in enumerate(pool)}
    if not following:
        return text
    seen = {"name": 0, "attribute": 0}

    def swap(m: re.Match[str]) -> str:
        word = m.group(1).lower()
        kind = "name" if word in names else "attribute"
        seen[kind] += 1
        if seen[kind] % 2:
            return m.group(0)
        new = following[word]
        return (new.capitalize() if m.group(1)[0].isupper() else new) + m.group(2)

    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(following, key=len, reverse=True))) + r")(s?)\b",
                         re.IGNORECASE)
    return pattern.sub(swap, text)


def _every_relation(scenes: list[dict[str, Any]], vocabulary: dict[str, Any]) -> str:
    names = sorted({o["name"] for o in _objects(scenes)})
    preds = sorted(vocabulary.get("predicates") or {})
    return " ".join(f"The {a} is {p} the {b}." for a in names for b in names if a != b for p in preds)


VAGUE = ("The image shows a number of objects of various shapes, colours and sizes arranged on a plain "
         "background. Some are larger than others, and some appear closer to the viewer. Overall it is a "
         "simple scene with several geometric shapes. ")
OTHER = ("dog", "car", "tree")  # names no demo scene holds
PADDING = ("zebra", "car", "tree", "person", "house", "boat", "cloud", "lamp", "chair", "table", "bottle", "phone",
           "book", "clock", "horse")  # absences said to pad a reply


def _sentences(text: str) -> list[str]:
    import re

    return [x for x in re.split(r"(?<=[.!?])\s+", text.strip()) if x]


def _absent_names(scenes: list[dict[str, Any]], vocabulary: dict[str, Any]) -> list[str]:
    present = {o["name"] for o in _objects(scenes)}
    return [n for n in sorted(vocabulary.get("names") or {}) if n not in present]


def _not_in_scene(scenes: list[dict[str, Any]], vocabulary: dict[str, Any]) -> str:
    attrs = sorted(vocabulary.get("attributes") or {}) or ["red"]
    names = _absent_names(scenes, vocabulary) + list(OTHER)
    return " ".join(f"There is a {attrs[k % len(attrs)]} {n}." for k, n in enumerate(names)) + \
        " A red car is next to a dog."


def _hedged_alternatives(scenes: list[dict[str, Any]], vocabulary: dict[str, Any]) -> str:
    """ "There may be a red star or a blue star." for each object: its true look beside a false one."""
    colours = [a for a in sorted(vocabulary.get("attributes") or {}) if vocab.attribute_type(a) == "color"] or ["red"]
    out = []
    for o in _objects(scenes):
        attrs = list(o.get("attributes") or [])
        other = next((c for c in colours if c not in attrs), colours[0])
        swapped = [other if vocab.attribute_type(a) == "color" else a for a in attrs] or [other]
        out.append(f"There may be a {' '.join(attrs)} {o['name']} or a {' '.join(swapped)} {o['name']}.")
    return " ".join(out)


def _hedge_each(text: str, style: str) -> str:
    """Every sentence of `text` hedged: "maybe" ("Maybe the triangle is below the star."),
    "think" ("The triangle is below the star, I think."), "probably" after its first verb ("The
    triangle is probably below the star."), "paren" ("... the star (probably)."), "possible"
    ("It is possible that the triangle is below the star.")."""
    import re

    out = []
    for sentence in _sentences(text):
        body = sentence.rstrip(".!?")
        low = body[0].lower() + body[1:]
        if style == "maybe":
            out.append(f"Maybe {low}.")
        elif style == "think":
            out.append(f"{body}, I think.")
        elif style == "paren":
            out.append(f"{body} (probably).")
        elif style == "possible":
            out.append(f"It is possible that {low}.")
        else:
            said = re.sub(r"\b(is|are|contain|contains)\b", r"\1 probably", body, count=1)
            out.append(f"{said if said != body else 'Probably, ' + low}.")
    return " ".join(out)


def _hedged_not_in_scene(scenes: list[dict[str, Any]], vocabulary: dict[str, Any]) -> str:
    """`_not_in_scene`'s false claims, each hedged ("There might be a red dog.")."""
    return " ".join(f"{x[:-1]}, I think." if x.startswith("A ") else x.replace("There is", "There might be", 1)
                    for x in _sentences(_not_in_scene(scenes, vocabulary)))


def _converse_relations(text: str) -> str:
    """Each relation sentence of `text` said the other way round, hedged: "The triangle might be
    above the star." for "The triangle is below the star." (the truth and its opposite, hedged)."""
    import re

    opposite = {"left": "right", "right": "left", "above": "below", "below": "above", "behind": "in front of",
                "in front of": "behind"}
    pattern = re.compile(r"\b(left|right|above|below|behind|in front of)\b")
    out = []
    for sentence in _sentences(text):
        if pattern.search(sentence) and re.search(r"\b(is|are)\b", sentence):
            swapped = pattern.sub(lambda m: opposite[m.group(1)], sentence)
            out.append(re.sub(r"\b(is|are)\b", "might be", swapped, count=1))
    return " ".join(out)


def _ended(text: str) -> str:
    """`text` ending a sentence ("a large red star" -> "a large red star."): what follows it is
    then a sentence of its own, not the end of this one."""
    return text if text.rstrip().endswith((".", "!", "?")) else text.rstrip() + "."


def _asked(sentence: str) -> str:
    """A sentence turned into a question: "The triangle is below the star?"."""
    return sentence.rstrip(".!? ") + "?"


def _half_right_split(text: str, vocabulary: dict[str, Any]) -> tuple[list[str], list[bool]]:
    """The sentences of `_half_right(text)`, and whether each differs from the gold's (a word swapped)."""
    gold, rival = _sentences(text), _sentences(_half_right(text, vocabulary))
    if len(gold) != len(rival):  # (a swap never splits a sentence; said plainly if one did)
        return rival, [True] * len(rival)
    return rival, [g != r for g, r in zip(gold, rival)]


def _half_right_asked(text: str, vocabulary: dict[str, Any], omit: bool = False) -> str:
    """The half-right rival with each sentence it gets wrong asked ("The square is red?") or,
    `omit`, left out: a question asserts nothing, so asking must earn what leaving out does."""
    rival, wrong = _half_right_split(text, vocabulary)
    return " ".join(_asked(x) if w else x for x, w in zip(rival, wrong) if not (w and omit))


def _markdown_table(vocabulary: dict[str, Any]) -> str:
    names, attrs = sorted(vocabulary.get("names") or {}), sorted(vocabulary.get("attributes") or {})
    return "| object | looks |\n|---|---|\n" + "\n".join(f"| **{n}** | {a} |" for n in names for a in attrs)


FreeformStrategy = Callable[[dict[str, Any], list[dict[str, Any]], dict[str, Any]], str]
# (group, name, strategy): "gold" the reference; "honest" the gold said otherwise or true facts only (may
# tie with the gold); "gamed" what a policy drifting on the reward could say: it must never earn more than
# the gold (flagged '!' when its mean does, and counted sample by sample)
FREEFORM: list[tuple[str, str, FreeformStrategy]] = [
    ("gold", "gold", lambda s, sc, v: str(s["answer"])),
    ("honest", "gold_answer_tag", lambda s, sc, v: f"<think>Let me look.</think><answer>{s['answer']}</answer>"),
    ("honest", "gold_markdown", lambda s, sc, v: "\n".join(f"- **{x}**" for x in _sentences(str(s["answer"])))),
    ("honest", "gold_html", lambda s, sc, v: f"<p>{s['answer']}</p>"),
    ("honest", "gold_json", lambda s, sc, v: json.dumps({"description": s["answer"]})),
    ("honest", "scene_objects", lambda s, sc, v: _every_object(sc)),
    ("honest", "gold_and_scene_objects", lambda s, sc, v: f"{s['answer']} {_every_object(sc)}"),
    ("gamed", "every_name", lambda s, sc, v: " ".join(f"There is a {n}." for n in sorted(v.get("names") or {}))),
    ("gamed", "every_name_and_attribute", lambda s, sc, v: _every_word(v)),
    ("gamed", "objects_every_attribute", lambda s, sc, v: _every_attribute(sc, v)),
    ("gamed", "every_relation", lambda s, sc, v: _every_relation(sc, v)),
    ("gamed", "every_name_each_image", lambda s, sc, v: _every_name_each_image(sc, v)),
    ("gamed", "markdown_table", lambda s, sc, v: _markdown_table(v)),
    ("gamed", "hidden_listing", lambda s, sc, v: f"{s['answer']} <!-- {_every_word(v)} -->"),
    ("gamed", "one_true_repeated", lambda s, sc, v: " ".join(_sentences(str(s["answer"]))[:1] * 30)),
    ("gamed", "gold_repeated", lambda s, sc, v: " ".join([str(s["answer"])] * 20)),
    ("gamed", "half_right", lambda s, sc, v: _half_right(str(s["answer"]), v)),
    ("gamed", "not_in_scene", lambda s, sc, v: _not_in_scene(sc, v)),
    ("gamed", "gold_and_not_in_scene", lambda s, sc, v: f"{s['answer']} {_not_in_scene(sc, v)}"),
    # the same, padded with true absences of things no scene holds (they diluted the false claims)
    ("gamed", "not_in_scene_padded", lambda s, sc, v: f"{s['answer']} {_not_in_scene(sc, v)} "
     + " ".join(f"There is no {n}." for n in PADDING)),
    ("gamed", "absent_names", lambda s, sc, v: " ".join(f"There is no {n}." for n in _absent_names(sc, v) + list(OTHER))),
    ("gamed", "every_name_absent", lambda s, sc, v: " ".join(f"There is no {n}." for n in sorted(v.get("names") or {}))),
    ("gamed", "hedged_alternatives", lambda s, sc, v: _hedged_alternatives(sc, v)),
    ("gamed", "hedged_gold", lambda s, sc, v: f"There may be {s['answer']}, or perhaps not."),
    ("gamed", "maybe_each", lambda s, sc, v: " ".join(f"Maybe {x[0].lower()}{x[1:]}" for x in _sentences(str(s["answer"])))),
    # hedges after the claim, before the predicate, around the sentence (none may beat the gold)
    ("gamed", "think_each", lambda s, sc, v: _hedge_each(str(s["answer"]), "think")),
    ("gamed", "probably_each", lambda s, sc, v: _hedge_each(str(s["answer"]), "probably")),
    ("gamed", "paren_each", lambda s, sc, v: _hedge_each(str(s["answer"]), "paren")),
    ("gamed", "possible_each", lambda s, sc, v: _hedge_each(str(s["answer"]), "possible")),
    # a hedge on what the policy gets wrong only: must cost what saying it plainly does
    ("gamed", "gold_and_hedged_not_in_scene", lambda s, sc, v: f"{s['answer']} {_hedged_not_in_scene(sc, v)}"),
    ("gamed", "gold_and_hedged_converse", lambda s, sc, v: f"{s['answer']} {_converse_relations(str(s['answer']))}"),
    ("gamed", "every_relation_hedged", lambda s, sc, v: _every_relation(sc, v).replace(" is ", " might be ")),
    ("gamed", "half_right_maybe", lambda s, sc, v: _hedge_each(_half_right(str(s["answer"]), v), "maybe")),
    ("gamed", "half_right_think", lambda s, sc, v: _hedge_each(_half_right(str(s["answer"]), v), "think")),
    # questions assert nothing: asking what it gets wrong earns what leaving it out does, below the gold
    ("gamed", "gold_and_not_in_scene_asked", lambda s, sc, v: f"{_ended(str(s['answer']))} "
     + " ".join(_asked(x) for x in _sentences(_not_in_scene(sc, v)))),
    ("gamed", "half_right_asked", lambda s, sc, v: _half_right_asked(str(s["answer"]), v)),
    ("gamed", "half_right_omitted", lambda s, sc, v: _half_right_asked(str(s["answer"]), v, omit=True)),
    ("gamed", "gold_asked", lambda s, sc, v: " ".join(_asked(x) for x in _sentences(str(s["answer"])))),
    ("gamed", "every_name_asked", lambda s, sc, v: " ".join(f"Is there a {n}?" for n in sorted(v.get("names") or {}))),
    ("gamed", "long_vague", lambda s, sc, v: VAGUE * 20),
    ("gamed", "huge", lambda s, sc, v: f"{s['answer']} " + VAGUE * 400),
    ("gamed", "question", lambda s, sc, v: str(s["question"])),
    ("gamed", "empty", lambda s, sc, v: ""),
    ("gamed", "markup_only", lambda s, sc, v: "<b></b>**__**\n| | |\n|---|---|\n```\n```"),
]


def freeform_table(samples: list[dict[str, Any]], run: Path, args: argparse.Namespace) -> dict[str, float]:
    """Mean helpfulness, truthfulness and combined score (the RL reward) of each free-form strategy
    on the run's text samples, scored by `veriscene.rewards.freeform.FreeformScorer` (the reward the
    TRL function, verl's compute_score and the environment give; eval's combined score, rules extractor,
    lexical matcher). Prints, per gamed strategy, the samples where it earns more than the gold."""
    from veriscene.rewards.freeform import FreeformScorer, is_freeform

    scorer = FreeformScorer(run, matcher="lexical")
    raw = {json.loads(line)["image_id"]: json.loads(line) for line in open(run / "scenes.jsonl", encoding="utf-8")}
    vocabulary = json.loads((run / "vocabulary.json").read_text(encoding="utf-8"))
    # (samples picked with a generator of their own: the same with --freeform-only as without)
    picked = pick([s for s in samples if is_freeform(s)], args.per_task, random.Random(args.seed))
    out: dict[str, float] = {}
    tasks = sorted({s["task"] for s in picked})
    print(f"\nfree-form ({len(picked)} text samples, the free-form RL reward `rewards.freeform`: eval's combined score,"
          " rules extractor, lexical matcher): mean helpfulness / truthfulness / combined (the reward) per task"
          " (truthfulness over the replies stating a checkable claim; combined over all, a reply without claims 0);"
          " '!': a gamed reply's mean above the gold's; 'wins': samples where it earns more than the gold")
    print(f"{'group':7} {'strategy':26}" + "".join(f"{t[:26]:>28}" for t in tasks) + f"{'wins':>6}")
    gold: dict[str, float] = {}
    gold_means: dict[str, float] = {}
    beaten = flagged_cells = 0
    for group, name, strategy in FREEFORM:
        cells, wins = [], 0
        for task in tasks:
            chosen = [s for s in picked if s["task"] == task]
            replies = [strategy(s, [raw[img["id"]] for img in s["images"]], vocabulary) for s in chosen]
            results = scorer.score_many(replies, [s["id"] for s in chosen])
            if group == "gold":
                gold.update({s["id"]: r.reward for s, r in zip(chosen, results)})
            wins += sum(r.reward > gold[s["id"]] + 1e-9 for s, r in zip(chosen, results)) if group == "gamed" else 0
            helpful = sum(r.helpfulness for r in results) / max(1, len(results))
            truths = [r.truthfulness for r in results if r.truthfulness is not None]
            truthful = sum(truths) / len(truths) if truths else float("nan")
            combined = sum(r.reward for r in results) / max(1, len(results))
            out[f"{task}.{name}.helpfulness"] = round(helpful, 4)
            out[f"{task}.{name}.truthfulness"] = round(truthful, 4)
            out[f"{task}.{name}.combined"] = round(combined, 4)
            if group == "gold":
                gold_means[task] = combined
            # (against the gold's mean unrounded: a tie flagged itself where the rounding went down)
            bad = group == "gamed" and combined > gold_means[task] + 1e-9
            flagged_cells += bad
            cells.append(f"{helpful:>13.3f} / {truthful:>5.3f} / {combined:>5.3f}{'!' if bad else ' '}")
        beaten += wins
        print(f"{group:7} {name:26}" + "".join(cells) + (f"{wins:>6}" if group == "gamed" else f"{'':>6}"))
    print(f"\n{flagged_cells} free-form cell(s) flagged '!'; gamed replies earning more than the gold: {beaten}")
    torn_freeform(out, tasks)
    if scorer.unknown:
        print(f"({scorer.unknown} replies scored 0 for a sample the run does not hold)")
    return out


def torn_freeform(out: dict[str, float], tasks: list[str]) -> int:
    """Print, per task, what a policy torn between the gold description and a rival (half right)
    earns at even odds by committing to either, (gold + half_right) / 2, and by saying either with
    a hedge, (hedged gold + hedged rival) / 2, scored against the true scene as the two worlds are
    alike; the number of hedges earning more than committing (each flagged '!'). Then what it
    earns by saying what both say and asking where they differ (`half_right_asked`: alike in
    either world) beside leaving those out (`half_right_omitted`): a question asserts nothing, so
    asking earning more than leaving out is flagged '!' (leaving out what one does not know is
    no hedge: the F1 reward pays it, and a policy sure of nothing more is right to)."""
    gains = 0
    print("free-form, a policy torn between the gold and a half-right rival, at even odds: committing / hedging "
          "each sentence ('Maybe ...' / '..., I think.') / asking where they differ / leaving that out")
    for task in tasks:
        commit = (out[f"{task}.gold.combined"] + out[f"{task}.half_right.combined"]) / 2
        cells = []
        for style in ("maybe", "think"):
            gold_hedged = out[f"{task}.{'maybe_each' if style == 'maybe' else 'think_each'}.combined"]
            hedge = (gold_hedged + out[f"{task}.half_right_{style}.combined"]) / 2
            gained = hedge > commit + 1e-9
            gains += gained
            cells.append(f"{hedge:.3f}{'!' if gained else ''}")
        asked, omitted = out[f"{task}.half_right_asked.combined"], out[f"{task}.half_right_omitted.combined"]
        gained = asked > omitted + 1e-9
        gains += gained
        cells += [f"{asked:.3f}{'!' if gained else ''}", f"{omitted:.3f}"]
        print(f"  {task:28} {commit:.3f} / {' / '.join(cells)}")
    return gains


# --- runs ---------------------------------------------------------------------------------

def pick(samples: list[dict[str, Any]], per_task: int, rng: random.Random) -> list[dict[str, Any]]:
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in samples:
        by[(s["task"], s["meta"].get("mode", ""))].append(s)
    out: list[dict[str, Any]] = []
    for key in sorted(by):
        group = by[key]
        out += group if per_task <= 0 else rng.sample(group, min(per_task, len(group)))
    return out


def flagged(group: str, kind: str, expected: float | None, mean: float, guess: float) -> bool:
    if expected is None:
        return False
    if group == "hedge" and kind in ("box", "point"):
        return mean > guess + 1e-9
    if kind == "box" and expected == 1.0:
        return mean < 0.95  # the gold box said with three decimals
    if group == "hedge" and kind == "str_set":
        return mean > guess + 1e-9  # a union of candidate lists earns its right items less its wrong ones
    if group in ("honest", "hedge", "order", "tags") or expected == 0.0:
        return abs(mean - expected) > 1e-9
    return False


def torn_gains(scores: dict[tuple[str, str], list[float]]) -> int:
    """Print the torn-policy figures of sets: committing at even odds, (1 + rival) / 2, beside the
    union and the common part; the number of those two that earn more than committing."""
    rival = scores.get(("str_set", "rival"))
    if not rival:
        return 0
    commit = (1 + sum(rival) / len(rival)) / 2
    gains = 0
    print(f"sets, a policy torn between the gold and a rival one item away ({len(rival)} samples): committing "
          f"to either at even odds {commit:.3f}")
    for name in ("union", "common"):
        values = scores.get(("str_set", name)) or []
        mean = sum(values) / len(values) if values else 0.0
        gained = mean > commit + 1e-9
        gains += gained
        print(f"  {name:8} {mean:.3f} ({len(values)} samples){'  ! more than committing' if gained else ''}")
    return gains


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="a run folder (samples.jsonl, vocabulary.json); else a new demo run")
    ap.add_argument("--scenes", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-task", type=int, default=6, help="samples per task and mode (0: all)")
    ap.add_argument("--show", type=int, default=0, help="print N replies of each flagged cell")
    ap.add_argument("--json", help="write the table to this file")
    ap.add_argument("--no-freeform", action="store_true", help="skip the free-form scoring")
    ap.add_argument("--freeform-only", action="store_true", help="the free-form scoring alone")
    args = ap.parse_args(argv)
    if args.run:
        return report(args, Path(args.run))
    from veriscene.demo.pipeline import run_demo
    with tempfile.TemporaryDirectory(prefix="reward_gaming_") as tmp:
        run_demo(tmp, scenes=args.scenes, seed=args.seed)
        return report(args, Path(tmp))


def report(args: argparse.Namespace, run: Path) -> int:
    """Score every strategy on the run's samples and print the tables (see the module doc)."""
    rng = random.Random(args.seed)
    samples = [json.loads(line) for line in open(run / "samples.jsonl", encoding="utf-8")]
    if args.freeform_only:
        table = {"text": freeform_table(samples, run, args)}
        if args.json:
            Path(args.json).write_text(json.dumps(table, indent=1), encoding="utf-8")
        return 0
    rivals = as_rivals(run) if (run / "vocabulary.json").exists() else None
    vocabulary = json.loads((run / "vocabulary.json").read_text(encoding="utf-8"))
    KINDS.update({w: "name" for w in vocabulary.get("names") or {}})
    KINDS.update({w: "predicate" for w in vocabulary.get("predicates") or {}})
    ATTRIBUTES.update(vocabulary.get("attributes") or {})
    pools: dict[str, list[Any]] = defaultdict(list)
    for key, kind in (("names", None), ("predicates", None), ("attributes", None)):
        for word in vocabulary.get(key) or {}:
            pools["*"].append(word)
    for s in samples:
        if s["answer_type"] in ("str", "str_set") and s["answer"] not in pools[s["task"]]:
            pools[s["task"]].append(s["answer"])
    str_tasks = {s["task"] for s in samples if s["answer_type"] == "str"}
    for task in str_tasks:  # the vocabulary's words are candidates of every word question
        pools[task] += [w for w in pools["*"] if w not in pools[task]]
    picked = pick([s for s in samples if s["answer_type"] != "text" or s.get("choices")], args.per_task, rng)
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    shown: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sample in picked:
        ctx = context(sample, pools, rng)
        for group, name, strategy, expected in STRATEGIES:
            reply = strategy(ctx)
            if reply is None:
                continue
            result = score_sample(reply, sample, rivals=rivals)
            scores[(ctx.kind, name)].append(result.score)
            bad = (expected is not None and group != "guess" and result.score != expected
                   and not (ctx.kind == "box" and expected == 1.0 and result.score >= 0.9)
                   and not (ctx.kind == "str_set" and group == "hedge" and result.score < 1.0))
            if bad and len(shown[(ctx.kind, name)]) < args.show:
                shown[(ctx.kind, name)].append(
                    f"    {sample['task']}: {reply[:160]!r} -> {result.score:.2f} "
                    f"(gold {ctx.gold!r}; read {result.parsed!r}; {result.reason or ''})")
    kinds = sorted({k for k, _ in scores})
    table: dict[str, dict[str, float]] = {}
    exploits = misread = 0
    print(f"run {run}: {len(picked)} samples ({args.per_task or 'all'} a task and mode), mean reward per strategy")
    header = f"{'group':7} {'strategy':22}" + "".join(f"{k:>12}" for k in kinds)
    print(header)
    for group, name, _, expected in STRATEGIES:
        cells = []
        for kind in kinds:
            values = scores.get((kind, name))
            if not values:
                cells.append(f"{'-':>12}")
                continue
            mean = sum(values) / len(values)
            guess = sum(scores[(kind, "guess")]) / max(1, len(scores[(kind, "guess")]))
            bad = flagged(group, kind, expected, mean, guess)
            gamed = bad and group == "hedge"
            exploits += gamed
            misread += bad and not gamed
            table.setdefault(kind, {})[name] = round(mean, 4)
            cells.append(f"{mean:>11.3f}{('!' if gamed else '~') if bad else ' '}")
        print(f"{group:7} {name:22}" + "".join(cells))
    exploits += torn_gains(scores)
    print(f"\n{exploits} cell(s) flagged '!': a hedge earning more than 0 (box, point and set hedges: more than the"
          " guess; a torn set: more than committing)")
    print(f"{misread} cell(s) flagged '~': an honest or ordered reply scoring other than expected (a reading that"
          " fails an answer it could read; the module doc lists the known ones)")
    for (kind, name), lines in sorted(shown.items()):
        print(f"\n{kind} / {name}:")
        print("\n".join(lines))
    if not args.no_freeform:
        table["text"] = freeform_table(samples, run, args)
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
