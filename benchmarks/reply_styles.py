"""Do eval's answer parsers read what real VLMs reply? Every answer type in every reply style.

    python benchmarks/reply_styles.py                        # a 40-scene demo run, 12 samples a task
    python benchmarks/reply_styles.py --run demo_out --per-task 0 --show 3

Takes a demo run's samples (`--run`: a folder with samples.jsonl and vocabulary.json, or a new
demo run of `--scenes` scenes), and for every sample renders its CORRECT answer in the styles
real models reply in: bare, a full sentence, number words, Markdown bold, "The answer is (B).",
"B) red", LaTeX \\boxed{}, JSON {"answer": ...}, Qwen2.5-VL's bbox_2d JSON (pixels, and 0-1000),
Qwen2-VL's <|box_start|> tokens, InternVL's <ref>/<box>, Molmo's <point> tags, lists for sets,
image references ("the second image"), trailing explanations and think blocks. It renders a
WRONG answer in the same styles (the think block then names the correct one), and traps that
name the correct answer without giving it ("Not 3.", "3 or 4", "2, 3, 4", "Image 1 or 2").
Each reply is scored by `veriscene.answers.score_sample`, the function `veriscene eval` scores
with (the run's vocabulary.json as rivals, as eval does), and the script prints, per answer type
("choice" for multiple choice) and style, the share scored correct: 100% is right for correct
answers, 0% for wrong ones and traps. `--show N` prints N failing replies of each cell with the
parser's reason. `--json` writes the table.

Styles that are genuinely ambiguous are marked `*` and not counted as parser bugs:
  box/ and point/qwen25_json_1000
                         Qwen2.5-VL's bbox_2d holds pixels; a box in 0-1000 that also fits the
                         image in pixels is read as pixels (Qwen2.5-VL's own convention)
  box/pixel_bare, point/pixel_bare, box/norm1000_bare, point/norm1000_bare
                         a bare list of integers for a 0-1-format question fits both pixels
                         and 0-1000 unless a value exceeds the image side: nothing says which
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from veriscene.answers import format_box, format_point, score_sample  # noqa: E402
from veriscene.answers.match import offered_points  # noqa: E402
from veriscene.answers.rivals import as_rivals  # noqa: E402
from veriscene.sample import OPTION_LETTERS  # noqa: E402
from veriscene.text import join_words, number_word, plural  # noqa: E402

AMBIGUOUS = frozenset({
    ("box", "qwen25_json_1000"), ("point", "qwen25_json_1000"), ("box", "pixel_bare"), ("point", "pixel_bare"),
    ("box", "norm1000_bare"), ("point", "norm1000_bare"),
})
ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
ATTRIBUTE_KINDS = {
    "color": ("red", "green", "blue", "yellow", "purple", "orange", "gray", "brown"),
    "size": ("large", "small"),
    "finish": ("shiny", "matte"),
    "attribute": ("color", "finish", "size"),
    "relation": ("left of", "right of", "above", "below", "behind", "in front of", "near", "on top of"),
    "name": ("circle", "square", "triangle", "star", "hexagon", "diamond"),
}


@dataclass(frozen=True)
class Case:
    kind: str  # the answer type, or "choice" for a multiple-choice sample
    style: str
    expect: str  # "right": should score correct; "wrong" and "trap": should not
    reply: str


# --- values as text ------------------------------------------------------------------------

def size_of(sample: dict) -> tuple[int, int]:
    return tuple(sample["meta"]["image_size"])  # type: ignore[return-value]


def fmt_of(sample: dict) -> str:
    return sample["meta"].get("box_format", "norm1")


def say(sample: dict, value: Any) -> str:
    """`value` (the gold answer's JSON form) as a model writes it in a short answer."""
    kind = sample["answer_type"]
    if kind == "bool":
        return "Yes" if value else "No"
    if kind == "image_index":
        return f"Image {value + 1}"
    if kind == "str_set":
        return join_words(list(value)) if value else "None"
    if kind == "box":
        return format_box(value, size_of(sample), fmt_of(sample))
    if kind == "point":
        return format_point(value, size_of(sample), fmt_of(sample))
    return str(value)


def json_value(sample: dict, value: Any) -> Any:
    """`value` as a model puts it in {"answer": ...}."""
    kind = sample["answer_type"]
    if kind in ("box", "point"):
        return json.loads(say(sample, value))
    if kind == "str_set":
        return list(value)
    if kind == "image_index":
        return f"Image {value + 1}"
    return value


def kind_of_word(word: str) -> str | None:
    return next((k for k, words in ATTRIBUTE_KINDS.items() if word in words), None)


def wrong_value(sample: dict, rng: random.Random) -> Any:
    """A wrong answer of the sample's type: another count, image, word of the gold's kind, ..."""
    kind, gold = sample["answer_type"], sample["answer"]
    if kind == "bool":
        return not gold
    if kind == "int":
        return gold + 1 if gold < 2 or rng.random() < 0.5 else gold - 1
    if kind == "image_index":
        n = len(sample["images"])
        return rng.choice([k for k in range(max(n, 2)) if k != gold])
    if kind == "str":
        words = ATTRIBUTE_KINDS.get(kind_of_word(gold) or "name", ATTRIBUTE_KINDS["name"])
        return rng.choice([w for w in words if w != gold])
    if kind == "str_set":
        pool = ATTRIBUTE_KINDS.get(kind_of_word(gold[0]) if gold else "name") or ATTRIBUTE_KINDS["name"]
        if not gold:
            return [rng.choice(pool)]
        others = [w for w in pool if w not in gold]
        # one item swapped for another of its kind (attribute sets keep one word per kind)
        k = rng.randrange(len(gold))
        swap_pool = [w for w in ATTRIBUTE_KINDS.get(kind_of_word(gold[k]) or "name", ()) if w not in gold] or others
        return sorted([*gold[:k], rng.choice(swap_pool), *gold[k + 1:]])
    if kind == "box":
        x0, y0, x1, y1 = gold
        w, h = size_of(sample)
        dx = (x1 - x0) * 1.2 if x1 + (x1 - x0) * 1.2 <= w else -(x1 - x0) * 1.2
        return [x0 + dx, y0, x1 + dx, y1]
    if kind == "point":
        options = [p for p in offered_points(sample) or () if p != [float(v) for v in gold]]
        if options:
            return options[0]
        w, h = size_of(sample)
        return [(gold[0] + w / 3) % w, (gold[1] + h / 3) % h]
    raise ValueError(f"no wrong value for answer type {kind!r}")


# --- full sentences -------------------------------------------------------------------------

_COUNTED_RE = re.compile(r"\bhow many ((?:[a-z]+ ){0,2}?[a-z]+s)\b", re.IGNORECASE)


def count_sentence(sample: dict, n: int, words: bool) -> str:
    """"There are three shiny stars in the image." (number words or digits)."""
    m = _COUNTED_RE.search(sample["question"])
    said = number_word(n) if words else str(n)
    if m is None:
        return f"{said.capitalize()} of the images show it." if "images" in sample["question"] else f"I count {said}."
    noun = m.group(1)
    if n == 0:
        return f"There are no {noun} in the image."
    if n == 1:
        return f"There is {said} {' '.join(noun.split()[:-1] + [noun.split()[-1][:-1]])} in the image."
    return f"There are {said} {noun} in the image."


def bool_sentence(sample: dict, value: bool) -> str:
    """"Yes, there is a brown circle in the image." / "No, it isn't." by the question's verb."""
    q = sample["question"].split("\n")[0]
    if m := re.match(r"^Is there (.+?)\?$", q):
        return f"Yes, there is {m.group(1)}." if value else f"No, there is no {re.sub(r'^(a|an) ', '', m.group(1))}."
    first = q.split()[0].lower()
    if first in ("do", "does"):
        return "Yes, they do." if value and first == "do" else "Yes, it does." if value else \
            "No, they don't." if first == "do" else "No, it doesn't."
    if first == "are":
        return "Yes, they are." if value else "No, they aren't."
    return "Yes, it is." if value else "No, it is not."


_STR_SENTENCES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^What (?:color|size|shape|finish|material) is the (.+?)\?$"), "The {0} is {x}."),
    (re.compile(r"^Where is the (.+?) relative to the (.+?)\?$"), "The {0} is {x} the {1}."),
    (re.compile(r"^Is the (.+?) located .+? the (.+?) in the image\?$"), "The {0} is located {x} the {1}."),
    (re.compile(r"^What is the spatial relation of the object at .+\?$"), "The first object is {x} the second one."),
    (re.compile(r"^Which object is (.+?)\?$"), "The {x} is {0}."),
    (re.compile(r"^Among the .+?, what is the (\w+) object\?$"), "The {0} object is the {x}."),
    (re.compile(r"^Which of these differs: .+\?$"), "They differ in {x}."),
    (re.compile(r"how is the (.+?) positioned with respect to the (.+?) in (Image \d)\?$"), "In {2}, the {0} is {x} the {1}."),
    (re.compile(r"which are the (\w+)\?$"), "The {x}s are the {0}."),
]


def str_sentence(sample: dict, value: str) -> str:
    asking = re.split(r"(?<=[.?])\s+", sample["question"].split("\n")[0])[-1]
    for pattern, template in _STR_SENTENCES:
        if m := pattern.search(asking):
            return template.format(*m.groups(), x=value)
    return f"It is {value}."


def set_sentence(sample: dict, value: list[str]) -> str:
    q = sample["question"]
    if not value:
        return "There are none."
    if "kinds of objects" in q:
        things = join_words([plural(v) for v in value])
        return f"{things[0].upper()}{things[1:]} appear in every image." if "every image" in q else \
            f"Image 1 is the only image with {things}."
    if "attributes" in q:
        return f"The object is {join_words(list(value))}."
    return f"They are {join_words(list(value))} in every image."


def image_sentence(sample: dict, value: int) -> str:
    q = sample["question"].split("\n")[0]
    if m := re.match(r"^In which of the \w+ images is there (.+)\?$", q):
        return f"There is {m.group(1)} in Image {value + 1}."
    if m := re.search(r"Which image (.+)\?$", q):
        return f"Image {value + 1} {m.group(1)}."
    return f"It is Image {value + 1}."


def place_sentence(sample: dict, value: list[float], other: list[float] | None) -> str:
    """A box or point in a sentence: "The bounding box of the square is [..].", "The point
    [..] is farther from the camera than [..]."."""
    q, p = sample["question"].split("\n")[0], say(sample, value)
    if sample["answer_type"] == "box":
        if m := re.match(r"^(?:Give|Output) the bounding box of the (.+?)\.", q):
            return f"The bounding box of the {m.group(1)} is {p}."
        return f"The object is located at {p}."
    if m := re.match(r"^Which point is ([^:]+):", q):
        return f"The point {p} is {m.group(1)} than {say(sample, other)}." if other else f"The point {p} is {m.group(1)}."
    if "same object" in q:
        ref = re.match(r"^The point (\[[^\]]+\])", q)
        return f"The point {p} is on the same object as {ref.group(1)}." if ref else f"The point {p}."
    return f"The point {p} lies on a different object."


def sentence(sample: dict, value: Any, other: Any) -> str:
    kind = sample["answer_type"]
    if kind == "int":
        return count_sentence(sample, value, words=False)
    if kind == "bool":
        return bool_sentence(sample, value)
    if kind == "str":
        return str_sentence(sample, value)
    if kind == "str_set":
        return set_sentence(sample, value)
    if kind == "image_index":
        return image_sentence(sample, value)
    return place_sentence(sample, value, other)


# --- styles -----------------------------------------------------------------------------------

Style = Callable[[dict, Any, Any], "str | None"]  # (sample, value, the other value) -> reply


def _explanation(sample: dict) -> str:
    return "I looked at every object in the image carefully before answering."


def _thinking(sample: dict, other: Any) -> str:
    return f"Let me look at the image. At first it seems the answer is {say(sample, other)}. Let me check again."


COMMON: dict[str, Style] = {
    "bare": lambda s, v, o: say(s, v),
    "period": lambda s, v, o: f"{say(s, v)}.",
    "sentence": lambda s, v, o: sentence(s, v, o),
    "bold": lambda s, v, o: f"**{say(s, v)}**",
    "bold_in_sentence": lambda s, v, o: f"The answer is **{say(s, v)}**.",
    "answer_is": lambda s, v, o: f"The answer is {say(s, v)}.",
    "answer_colon": lambda s, v, o: f"Answer: {say(s, v)}",
    "heading": lambda s, v, o: f"### Answer\n{say(s, v)}",
    "boxed": lambda s, v, o: f"The final answer is $\\boxed{{{say(s, v)}}}$.",
    "json": lambda s, v, o: json.dumps({"answer": json_value(s, v)}),
    "json_fenced": lambda s, v, o: "```json\n" + json.dumps({"answer": json_value(s, v)}, indent=2) + "\n```",
    "explained_after": lambda s, v, o: f"{say(s, v)}. {_explanation(s)}",
    "explanation_label": lambda s, v, o: f"{say(s, v)}\n\nExplanation: {_explanation(s)}",
    "sentence_explained": lambda s, v, o: f"{sentence(s, v, o)} {_explanation(s)}",
    "think": lambda s, v, o: f"<think>{_thinking(s, o)}</think>\n{say(s, v)}",
    "think_sentence": lambda s, v, o: f"<think>{_thinking(s, o)}</think>\n\n{sentence(s, v, o)}",
    "think_answer_tag": lambda s, v, o: f"<think>{_thinking(s, o)}</think>\n<answer>{say(s, v)}</answer>",
    "not_other": lambda s, v, o: _not_other(s, v, o),
}


def _not_other(sample: dict, value: Any, other: Any) -> str | None:
    """"3, not 4.": the answer, then another answer denied."""
    kind = sample["answer_type"]
    if kind == "bool":
        return None
    if kind == "str_set":
        denied = [x for x in other if x not in value]
        return f"{say(sample, value)}, not {join_words(denied)}." if value and denied else None
    return f"{say(sample, value)}, not {say(sample, other)}."


def _int_styles() -> dict[str, Style]:
    return {
        "words": lambda s, v, o: number_word(v),
        "words_sentence": lambda s, v, o: count_sentence(s, v, words=True),
        "words_bold": lambda s, v, o: count_sentence(s, v, words=True).replace(
            f"{number_word(v)} ", f"**{number_word(v)}** ", 1),
        "parts_then_total": lambda s, v, o: (
            f"I count {v - 1} on the left and 1 on the right, so {v} in total." if v >= 2 else None),
        "total_then_parts": lambda s, v, o: (
            f"{count_sentence(s, v, words=False)[:-len(' in the image.')]}: {number_word(v - 1)} on the left "
            f"and one on the right." if v >= 2 and _COUNTED_RE.search(s["question"]) else None),
        "denied_then_answer": lambda s, v, o: f"Not {o}, but {v}.",
    }


def _bool_styles() -> dict[str, Style]:
    return {
        "true_false": lambda s, v, o: "True" if v else "False",
        "json_bool": lambda s, v, o: json.dumps({"answer": bool(v)}),
        "lowercase": lambda s, v, o: "yes" if v else "no",
    }


def _image_styles() -> dict[str, Style]:
    def ordinal(s: dict, v: int) -> str:
        return f"the {ORDINAL_WORDS[v]} image"
    return {
        "number_only": lambda s, v, o: str(v + 1),
        "ordinal": lambda s, v, o: ordinal(s, v).capitalize() + ".",
        "ordinal_sentence": lambda s, v, o: f"It is in {ordinal(s, v)}.",
        "image_word": lambda s, v, o: f"Image {number_word(v + 1)}",
        "image_hash": lambda s, v, o: f"Image #{v + 1}",
        "json_number": lambda s, v, o: json.dumps({"answer": v + 1}),
    }


def _set_styles() -> dict[str, Style]:
    return {
        "comma_list": lambda s, v, o: ", ".join(v) if v else "none",
        "bullets": lambda s, v, o: "\n".join(f"- {x}" for x in v) if v else "None.",
        "plural_list": lambda s, v, o: join_words([plural(x) for x in v]) if v and kind_of_word(v[0]) == "name" else None,
        "capitalised": lambda s, v, o: ", ".join(x.capitalize() for x in v) if v else None,
    }


def _norm1000(sample: dict, value: list[float]) -> list[int]:
    w, h = size_of(sample)
    return [round(c / (w if k % 2 == 0 else h) * 1000) for k, c in enumerate(value)]


def _pixels(value: list[float]) -> list[int]:
    return [round(c) for c in value]


def _label(sample: dict) -> str:
    m = re.search(r"\bthe ([a-z ]+?)(?: near| in| at|\.|\?)", sample["question"])
    return m.group(1) if m else "object"


def _place_styles() -> dict[str, Style]:
    def pairs(values: list[int]) -> str:
        return f"({values[0]},{values[1]}),({values[2]},{values[3]})"
    return {
        "pixel_bare": lambda s, v, o: json.dumps(_pixels(v)),
        "norm1000_bare": lambda s, v, o: json.dumps(_norm1000(s, v)),
        "qwen25_json_pixel": lambda s, v, o: "```json\n" + json.dumps(
            [{"bbox_2d" if len(v) == 4 else "point_2d": _pixels(v), "label": _label(s)}], indent=2) + "\n```",
        "qwen25_json_1000": lambda s, v, o: "```json\n" + json.dumps(
            [{"bbox_2d" if len(v) == 4 else "point_2d": _norm1000(s, v), "label": _label(s)}], indent=2) + "\n```",
        "qwen2_box_tokens": lambda s, v, o: (
            f"<|object_ref_start|>{_label(s)}<|object_ref_end|><|box_start|>{pairs(_norm1000(s, v))}<|box_end|>"
            if len(v) == 4 else None),
        "internvl_ref_box": lambda s, v, o: (
            f"<ref>{_label(s)}</ref><box>[{json.dumps(_norm1000(s, v))}]</box>" if len(v) == 4 else None),
        "corners_labelled": lambda s, v, o: (
            "Top-left: ({:.3f}, {:.3f}), bottom-right: ({:.3f}, {:.3f})".format(*json.loads(say(s, v)))
            if len(v) == 4 else None),
        "corners_sentence": lambda s, v, o: (
            "The top-left corner is at ({:.3f}, {:.3f}) and the bottom-right corner is at ({:.3f}, {:.3f}).".format(
                *json.loads(say(s, v))) if len(v) == 4 else None),
        "corner_pairs": lambda s, v, o: (
            "({:.3f}, {:.3f}), ({:.3f}, {:.3f})".format(*json.loads(say(s, v))) if len(v) == 4 else None),
        "parens": lambda s, v, o: "(" + say(s, v)[1:-1] + ")",
        "molmo_point": lambda s, v, o: (
            '<point x="{:.1f}" y="{:.1f}" alt="point">point</point>'.format(
                *[c / d * 100 for c, d in zip(v, size_of(s))]) if len(v) == 2 else None),
    }


TYPE_STYLES: dict[str, dict[str, Style]] = {
    "int": _int_styles(), "bool": _bool_styles(), "image_index": _image_styles(), "str_set": _set_styles(),
    "box": _place_styles(), "point": _place_styles(), "str": {},
}


def _traps(sample: dict, gold: Any, wrong: Any) -> dict[str, str]:
    """Replies that name the correct answer without giving it."""
    kind, g, w = sample["answer_type"], say(sample, gold), say(sample, wrong)
    out = {
        "either": f"{g} or {w}",
        "both_listed": f"{g}, {w}",
        "corrected": f"The answer is {g}. Wait, actually it is {w}.",
        "think_right_answer_wrong": f"<think>The answer is {g}.</think>\nThe answer is {w}.",
        "unsure": f"I'm not sure, maybe {g}.",
        "unsure_but": f"I'm not sure, but I think {g}.",
        "possibly": f"Possibly {g}.",
        "hedged_alternative": f"{g}, but it could also be {w}.",
    }
    if kind not in ("bool",):
        out["negated"] = f"Not {g}."
        out["negated_then_other"] = f"It is not {g}, it is {w}."
    if kind == "int":
        out["run_of_numbers"] = ", ".join(str(max(gold + d, 0)) for d in (-1, 0, 1) if gold + d >= 0 or d == 0)
        out["at_least"] = f"At least {g}."
        out["range"] = f"{min(gold, wrong)}-{max(gold, wrong)}"
    if kind == "bool":
        out["yes_and_no"] = "Yes and no."
    if kind == "image_index":
        out["several_images"] = f"Images {min(gold, wrong) + 1} and {max(gold, wrong) + 1}"
    if kind == "str_set" and gold:
        extra = [x for x in ATTRIBUTE_KINDS.get(kind_of_word(gold[0]) or "name", ()) if x not in gold]
        if extra:
            out["every_candidate"] = ", ".join(sorted({*gold, *extra}))
    return out


# --- multiple choice ----------------------------------------------------------------------------

def _choice_styles() -> dict[str, Callable[[str, str, str, str], str]]:
    """(letter, its option text, another letter, its text) -> reply."""
    def think(L: str, T: str, M: str, U: str) -> str:
        return f"<think>Option {M} ({U}) looks plausible at first. Let me check.</think>\n"
    return {
        "letter": lambda L, T, M, U: L,
        "letter_period": lambda L, T, M, U: f"{L}.",
        "parens": lambda L, T, M, U: f"({L})",
        "letter_paren_text": lambda L, T, M, U: f"{L}) {T}",
        "letter_dot_text": lambda L, T, M, U: f"{L}. {T}",
        "answer_is_parens": lambda L, T, M, U: f"The answer is ({L}).",
        "answer_colon": lambda L, T, M, U: f"Answer: {L}",
        "option": lambda L, T, M, U: f"Option {L}",
        "correct_option_text": lambda L, T, M, U: f"The correct option is {L}: {T}.",
        "bold": lambda L, T, M, U: f"**{L}**",
        "bold_text": lambda L, T, M, U: f"**{L}. {T}**",
        "boxed": lambda L, T, M, U: f"$\\boxed{{{L}}}$",
        "json": lambda L, T, M, U: json.dumps({"answer": L}),
        "text_only": lambda L, T, M, U: T,
        "explanation_label": lambda L, T, M, U: f"{L}\n\nExplanation: {_choice_reason(T, U)}",
        "explained_after": lambda L, T, M, U: f"{L}. {_choice_reason(T, U)}",
        "i_choose": lambda L, T, M, U: f"I choose {L}.",
        "think": lambda L, T, M, U: think(L, T, M, U) + L,
        "think_answer_tag": lambda L, T, M, U: think(L, T, M, U) + f"<answer>{L}</answer>",
    }


def _choice_reason(text: str, other: str) -> str:
    return f"The image matches {text}, not {other}."


def _choice_traps(L: str, T: str, M: str, U: str, n: int) -> dict[str, str]:
    return {
        "two_letters": f"{L} or {M}",
        "slashed": "/".join(OPTION_LETTERS[:n]),
        "negated": f"Not {L}.",
        "corrected": f"The answer is {L}. Actually, it is {M}.",
        "think_right_answer_wrong": f"<think>The answer is {L}.</think>\nAnswer: {M}",
        "hedged_alternative": f"{L}, or possibly {M}.",
        "unsure": f"I'm not sure, maybe {L}.",
        "possibly": f"Possibly {L}.",
        "listed_options": "\n".join(f"{OPTION_LETTERS[k]}. option {k}" for k in range(n)) if n > 2 else f"{L} and {M}",
    }


# --- cases ------------------------------------------------------------------------------------

def cases(sample: dict, rng: random.Random) -> Iterator[Case]:
    kind = sample["answer_type"]
    if sample.get("choices"):
        choices = sample["choices"]
        L = sample["meta"]["answer_letter"]
        i = OPTION_LETTERS.index(L)
        j = rng.choice([k for k in range(len(choices)) if k != i])
        M = OPTION_LETTERS[j]
        for name, style in _choice_styles().items():
            yield Case("choice", name, "right", style(L, choices[i], M, choices[j]))
            yield Case("choice", name, "wrong", style(M, choices[j], L, choices[i]))
        for name, reply in _choice_traps(L, choices[i], M, choices[j], len(choices)).items():
            yield Case("choice", name, "trap", reply)
        return
    if kind not in TYPE_STYLES:
        return  # free-form text is not scored by program
    gold, wrong = sample["answer"], wrong_value(sample, rng)
    styles = {**COMMON, **TYPE_STYLES[kind]}
    for name, style in styles.items():
        for expect, value, other in (("right", gold, wrong), ("wrong", wrong, gold)):
            reply = style(sample, value, other)
            if reply is not None:
                yield Case(kind, name, expect, reply)
    for name, reply in _traps(sample, gold, wrong).items():
        yield Case(kind, name, "trap", reply)


def pick(samples: list[dict], per_task: int, rng: random.Random) -> list[dict]:
    """Up to `per_task` samples of each (task, qa / mc); all with 0."""
    groups: dict[tuple[str, bool], list[dict]] = defaultdict(list)
    for s in samples:
        groups[(s["task"], bool(s.get("choices")))].append(s)
    out: list[dict] = []
    for key in sorted(groups):
        group = groups[key]
        out += group if per_task <= 0 else rng.sample(group, min(per_task, len(group)))
    return out


@dataclass
class Cell:
    n: int = 0
    correct: int = 0
    failures: list[tuple[str, str, str]] | None = None  # (task, reply, why)

    def add(self, ok: bool, bad: bool, task: str, reply: str, why: str) -> None:
        self.n += 1
        self.correct += ok
        if bad:
            self.failures = (self.failures or []) + [(task, reply, why)]


def run(samples: list[dict], rivals: Any, rng: random.Random) -> dict[tuple[str, str, str], Cell]:
    table: dict[tuple[str, str, str], Cell] = defaultdict(Cell)
    for sample in samples:
        for case in cases(sample, rng):
            result = score_sample(case.reply, sample, rivals=rivals)
            bad = result.correct != (case.expect == "right")
            why = result.reason or f"parsed {result.parsed!r}"
            table[(case.expect, case.kind, case.style)].add(result.correct, bad, sample["task"], case.reply, why)
    return table


def report(table: dict[tuple[str, str, str], Cell], show: int) -> None:
    kinds = sorted({k for _, k, _ in table})
    print("Share scored correct (right: should be 100%; wrong, trap: should be 0%). * = ambiguous style")
    for kind in kinds:
        print(f"\n{kind}")
        print(f"  {'style':28s} {'right':>14s} {'wrong':>14s}")
        styles = sorted({s for e, k, s in table if k == kind and e in ("right", "wrong")})
        for style in styles:
            cells = [table.get((e, kind, style)) for e in ("right", "wrong")]
            shown = [f"{c.correct / c.n:6.1%} of {c.n:4d}" if c else "" for c in cells]
            mark = "*" if (kind, style) in AMBIGUOUS else " "
            print(f" {mark}{style:28s} {shown[0]:>14s} {shown[1]:>14s}")
        traps = sorted(s for e, k, s in table if k == kind and e == "trap")
        for style in traps:
            c = table[("trap", kind, style)]
            print(f"  trap:{style:23s} {'':>14s} {c.correct / c.n:6.1%} of {c.n:4d}")
    if show:
        print("\nFailures (reply -> what the parser did):")
        for (expect, kind, style), cell in sorted(table.items()):
            for task, reply, why in (cell.failures or [])[:show]:
                mark = "*" if (kind, style) in AMBIGUOUS else ""
                print(f"  [{expect} {kind}/{style}{mark} {task}] {reply!r} -> {why}")


def totals(table: dict[tuple[str, str, str], Cell]) -> dict[str, tuple[int, int]]:
    """(misread, total) of right answers (ambiguous styles aside) and of wrong answers and traps."""
    out: dict[str, tuple[int, int]] = {}
    for expect in ("right", "wrong", "trap"):
        cells = [c for (e, k, s), c in table.items() if e == expect and (k, s) not in AMBIGUOUS]
        n = sum(c.n for c in cells)
        bad = sum(c.n - c.correct if expect == "right" else c.correct for c in cells)
        out[expect] = (bad, n)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="a run folder with samples.jsonl (default: a new demo run)")
    parser.add_argument("--scenes", type=int, default=40, help="demo scenes when --run is not given (default 40)")
    parser.add_argument("--per-task", type=int, default=12, help="samples per task and mode; 0: all (default 12)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=0, help="failing replies to print per cell")
    parser.add_argument("--json", type=Path, help="write the table here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.run
        if folder is None:
            from veriscene.demo.pipeline import run_demo
            folder = Path(tmp) / "run"
            run_demo(folder, scenes=args.scenes, seed=args.seed)
        samples = [orjson.loads(line) for line in (folder / "samples.jsonl").read_bytes().splitlines() if line.strip()]
        vocabulary = folder / "vocabulary.json"
        rivals = as_rivals(vocabulary) if vocabulary.is_file() else None
        rng = random.Random(args.seed)
        table = run(pick(samples, args.per_task, rng), rivals, rng)
    report(table, args.show)
    print()
    for expect, (bad, n) in totals(table).items():
        what = "scored wrong" if expect == "right" else "scored correct"
        print(f"{expect:6s} replies {what}: {bad} of {n} ({bad / max(n, 1):.1%}; ambiguous styles aside)")
    if args.json:
        rows = [{"expect": e, "kind": k, "style": s, "n": c.n, "correct": c.correct,
                 "ambiguous": (k, s) in AMBIGUOUS} for (e, k, s), c in sorted(table.items())]
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
