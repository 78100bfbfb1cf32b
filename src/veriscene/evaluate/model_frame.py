"""`model_image_size`: the size of the image the model saw, when it answers pixel boxes and points
in the frame of a resized image (Qwen2.5-VL served by vLLM answers in the pixels of the image
its processor resized to multiples of 28; a server that resizes every image to 448x448 answers
in those).

Same name and semantics as the rewards' (`veriscene.rewards.truth`, `GroundTruth.score`): an open
box or point question asked in the "pixel" convention has the reply's coordinates read in the
frame of the image the model saw and scaled back to the original image before the comparison;
a point a reply gives in pixels for a mark drawn on the images ("The point at (312, 140) is
closer.": single-image marked questions, `multi.marked_point.v1`) is read in that frame too, each
image at its own size (`answers.mark_replies`); every other question (normalised conventions,
multiple choice, other answer types) is scored as without it. The scaling is the rewards' own code (`GroundTruth.score`), so `eval` and a reward
give the same number for the same reply and size. The prompt is unchanged: it states the
original image's size, as the exported questions the rewards score do.

Given as (width, height) for every sample, or in Python as a function
``fn(width, height) -> (width, height)`` of the original image's size (for servers whose resize
depends on it). Or, so that nobody writes that function by hand, the model's processor's own rule
(`resize_rules`): "qwen2-vl" (Qwen2-VL / Qwen2.5-VL with their folders' limits),
"qwen2-vl:min_pixels=N,max_pixels=N", "config:/path/to/model" (read from the folder's
preprocessor_config.json; a processor not understood is refused naming the file and field), or
"config" alone (the run's hf:PATH model folder, read when the run's model is known: `for_model`).

Several models, one setting: a mapping of model names to sizes (the CLI's repeatable
``--model-image-size NAME=WxH``), from which each run takes its model's (`for_model`): models of
different input resolutions evaluated by one script with one list of options. A name is the
model spec ("openai:Qwen/Qwen2.5-VL-7B-Instruct"), the part after its kind
("Qwen/Qwen2.5-VL-7B-Instruct") or its last path components ("Qwen2.5-VL-7B-Instruct";
"run1/final" for "hf:/ckpt/run1/final", so that two checkpoints named "final" are told apart; for
a Model or a function, its name); a size is (width, height), "WxH", a rule, a function as above, or None
(the CLI's ``NAME=original``: the model answers in the original image's pixels). The key "*"
(the CLI's bare ``WxH`` beside named ones) is the size of every model not named. A model the
mapping does not name and that has no "*" is refused before anything is read, naming the names
given and the one it looks like: a misspelt name scoring a resizing model in the original frame
would make its every pixel box wrong, said nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

from veriscene.answers import MatchResult, parse_box_format
from veriscene.evaluate import resize_rules as rules
from veriscene.option_names import option
from veriscene.rewards import truth_checks as checks

OneSize = Union[Sequence[int], str, Callable[[int, int], Sequence[int]], None]
ModelImageSize = Union[OneSize, Mapping[str, OneSize]]

OPTION = "model_image_size"  # the option's name in evaluate(), the rewards and summary.json settings
CLI_OPTION = "--model-image-size"
EVERY_MODEL = "*"  # the key of a mapping's size for the models it does not name
ORIGINAL = "original"  # the CLI's NAME=original: that model answers in the original image's pixels

_WxH = re.compile(r"^\s*(\d+)\s*[x,X×]\s*(\d+)\s*$")


def parse_size_text(text: str, option: str = "--model-image-size") -> tuple[int, int]:
    """'WIDTHxHEIGHT' (or 'W,H') of the CLI as (width, height); a ValueError naming `option`."""
    match = _WxH.match(text)
    if match is None or min(int(match[1]), int(match[2])) <= 0:
        raise ValueError(f"{option} must be WIDTHxHEIGHT of the image the model saw, in pixels (e.g. 644x476), "
                         f"or its processor's rule ({rules.QWEN2_VL}, {rules.QWEN2_VL}:max_pixels=N, "
                         f"{rules.CONFIG}:/path/to/model), got {text!r}")
    return int(match[1]), int(match[2])


def check_model_image_size(value: Any, where: str = OPTION) -> Any:
    """`value` checked: None (or "original"), (width, height), "WxH", a function of the original (width, height),
    or a mapping of model names to those (module notes); a ValueError / TypeError naming `where`
    (and the name) otherwise, before any request is made. A mapping comes back as a dict of
    checked sizes."""
    if isinstance(value, Mapping):
        if not value:
            raise ValueError(f"{where} names no model: give sizes by model name, or one size for every model")
        sized: dict[str, Any] = {}
        for name, size in value.items():
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"{where}: a model name must be a non-empty str, got {name!r}")
            sized[name] = _one_size(size, f"{where}[{name!r}]")
        return sized
    return _one_size(value, where)


def _one_size(value: Any, where: str) -> tuple[int, int] | Callable[[int, int], Any] | None:
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        if value.strip().lower() == ORIGINAL:  # as the CLI's NAME=original
            return None
        if rules.is_rule_text(value):  # "qwen2-vl[:...]", "config[:PATH]" (`resize_rules`)
            return rules.parse_rule(value, where)
        return parse_size_text(value, where)
    return checks.model_size(value, where)


def parse_size_options(texts: Sequence[str], option: str = CLI_OPTION) -> Any:
    """The CLI's repeatable `option`: one "WxH" (every model's size, as before) as (width, height);
    "NAME=WxH" and "NAME=original" (that model answers in the original image's pixels) as a
    mapping, a bare "WxH" or "original" beside them the size of the models not named ("*"). A
    ValueError naming the text at fault: a bad size, an empty name, a name or the bare size
    given twice. None for no text."""
    if not texts:
        return None
    sizes: dict[str, tuple[int, int] | None] = {}
    for text in texts:
        name, sep, size = _split_named(text)
        name = name.strip()
        if sep and not name:
            raise ValueError(f"{option} {text!r}: no model name before '=' (NAME=WIDTHxHEIGHT, e.g. "
                             "qwen2.5-vl=644x476)")
        key = name or EVERY_MODEL
        if key in sizes:
            what = f"model {name!r}" if name else "every model (a size without NAME=)"
            raise ValueError(f"{option} gives the size of {what} twice; give it once")
        if size.strip().lower() == ORIGINAL:
            sizes[key] = None
        elif rules.is_rule_text(size):
            sizes[key] = rules.parse_rule(size, option)
        else:
            label = f"{option} {text!r}: the size" if name else option
            sizes[key] = parse_size_text(size, label)
    if list(sizes) == [EVERY_MODEL]:
        return sizes[EVERY_MODEL]  # one size for every model: the form before names
    return sizes


def _is_size_text(text: str) -> bool:
    return bool(_WxH.match(text)) or text.strip().lower() == ORIGINAL or rules.is_rule_text(text)


def _split_named(text: str) -> tuple[str, str, str]:
    """"NAME=SIZE" as (NAME, "=", SIZE), a bare size as ("", "", SIZE). A rule's options hold "="
    too ("m=qwen2-vl:max_pixels=1003520"): the split is at the last "=" whose right side is a size
    (a model name may hold "=" itself), else at the last "=" (its error then names the size)."""
    if "=" not in text or _is_size_text(text):
        return "", "", text
    cuts = [k for k, char in enumerate(text) if char == "="]
    for k in reversed(cuts):
        if _is_size_text(text[k + 1:]):
            return text[:k], "=", text[k + 1:]
    return text.rpartition("=")


def model_names(model: Any) -> tuple[str, ...]:
    """The names a size mapping may give `model` by (module notes): for a spec "kind:NAME" the
    spec, NAME and NAME's last path components, the fewest last ("hf:/ckpt/run1/final":
    "ckpt/run1/final", "run1/final", "final"); for a Model or a function, its name and those."""
    if isinstance(model, str):
        kind, sep, rest = model.partition(":")
        names = [model, rest] if sep and rest else [model]
    else:
        names = [str(getattr(model, "name", None) or getattr(model, "__name__", "") or type(model).__name__)]
    parts = [part for part in names[-1].replace("\\", "/").split("/") if part]
    for k in range(len(parts)):
        tail = "/".join(parts[k:])
        if tail not in names:
            names.append(tail)
    return tuple(names)


def for_model(value: Any, model: Any, where: str = OPTION) -> Any:
    """The size of `model` (a spec, Model or function) from a checked `value`
    (`check_model_image_size`): `value` itself unless it is a mapping; the mapping's entry for one
    of the model's names (`model_names`), else its "*"; a ValueError naming the names given when
    none fits, or when two entries naming the model differ."""
    if not isinstance(value, Mapping):
        return _own(value, model, where)
    names = model_names(model)
    found = [(key, value[key]) for key in names if key in value]
    if len({id(size) if callable(size) and not isinstance(size, rules.ResizeRule) else _said(size)
            for _, size in found}) > 1:
        said = ", ".join(f"{key}={_said(size)}" for key, size in found)
        raise ValueError(f"{where} gives the model {names[0]!r} two sizes ({said}): give one")
    if found:
        return _own(found[0][1], model, f"{where}[{found[0][0]!r}]")
    if EVERY_MODEL in value:
        return _own(value[EVERY_MODEL], model, where)
    import difflib

    given = [key for key in value if key != EVERY_MODEL]
    lowered = {key.lower(): key for key in given}  # (names match exactly; a case apart is hinted at)
    close = difflib.get_close_matches(names[-1].lower(), list(lowered), n=1, cutoff=0.6)
    name = names[-1]
    # the name given that is close to the model's: a misspelling of it, or another model's
    hint = f" ({lowered[close[0]]!r} given is close: is it this model, {name!r}, misspelt?)" if close else ""
    if where.startswith("--"):  # the CLI's spelling, else the mapping's
        add = (f"add {where} {name}=WIDTHxHEIGHT, or {name}={ORIGINAL} when it answers in the original image's "
               "pixels (a size without NAME= is every other model's)")
    else:
        add = (f"add {name!r}: (width, height), or {name!r}: None when it answers in the original image's pixels "
               f"({EVERY_MODEL!r}: every other model's)")
    raise ValueError(f"{where} gives sizes for the models {', '.join(repr(k) for k in given)}, none for this run's "
                     f"model {names[0]!r}{hint}: {add}")


def unstated_resize(model: Any) -> str | None:
    """What to say of a run given no `model_image_size` whose model is "hf:PATH" with a processor
    that resizes images (its folder's preprocessor_config.json, `resize_rules.from_config`): its
    pixel boxes and points are then read in the original image's pixels, most likely wrongly.
    A processor whose resize no size undoes (a centre crop: CLIP, LLaVA-1.5; tiles: LLaVA-NeXT; a
    type not understood) or a configuration file that cannot be read is said too, with the reason
    read from the file: such a model's pixel answers are the most off. None for other models, a
    folder that keeps the original size, or a folder holding no configuration file.
    Said, not acted on: reading the folder unasked would score the same replies differently by
    hf: and by a server (openai:) of the same model, and a resumed run differently from its start."""
    if not (isinstance(model, str) and model.startswith("hf:") and model[3:]):
        return None
    config = option(f"{OPTION}='config'", f"{CLI_OPTION} config")
    original = option(f"{OPTION}='original'", f"{CLI_OPTION} original")
    try:
        size = rules.from_config(model[3:])
    except ValueError as exc:
        if not rules.holds_config(model[3:]):
            return None
        return (f"the processor of {model} cannot be undone here ({exc}): pixel boxes and points in its replies "
                f"are read in the original image's pixels, most likely wrongly; ask such questions in a normalised "
                f"convention, or give {original} to keep them as they are and silence this")
    if size is None:
        return None
    said = _said(size)
    return (f"the processor of {model} resizes images ({said}): pixel boxes and points in its replies are read in "
            f"the original image's pixels; give {config} to read them in the frame the model saw "
            f"({original} to keep them as they are and silence this)")


def _own(size: Any, model: Any, where: str) -> Any:
    """`size`, or for "config" alone (`resize_rules.OWN_CONFIG`) the rule of the hf: model's folder."""
    return rules.own_config(model, where) if size == rules.OWN_CONFIG else size


def _said(size: Any) -> str:
    shown = describe(size)
    return ORIGINAL if shown is None else f"{shown[0]}x{shown[1]}" if isinstance(shown, list) else str(shown)


def describe(value: Any) -> list[int] | str | None:
    """How summary.json's settings state it: [width, height], 'function NAME', or None."""
    if value is None:
        return None
    if isinstance(value, (rules.ResizeRule, str)):  # a rule, or "config" not yet read
        return str(value)
    if callable(value):
        return f"function {getattr(value, '__qualname__', type(value).__name__)}"
    return [int(v) for v in value]


def marked(sample: Mapping[str, Any]) -> bool:
    """Whether `sample` may be answered by a point given for a mark drawn on its images: an open
    question whose answer is a mark's label (``meta["mark_labels"]``) or an image (marked images,
    `multi.marked_point.v1`); `score_sample` reads the marks, if any, itself."""
    if sample.get("choices"):
        return False
    if sample.get("answer_type") == "str":
        return bool((sample.get("meta") or {}).get("mark_labels"))
    return sample.get("answer_type") == "image_index"


def rescales(sample: Mapping[str, Any], score_options: Mapping[str, Any]) -> bool:
    """Whether `model_image_size` can change the score of `sample`: an open box / point question
    in the "pixel" convention (checked on the record's fields, before any ground truth is built),
    or a question about marks drawn on its images (`marked`)."""
    if marked(sample):
        return True
    if sample.get("answer_type") not in ("box", "point") or sample.get("choices"):
        return False
    meta = sample.get("meta") or {}
    try:
        return parse_box_format(score_options.get("box_format") or meta.get("box_format")) == "pixel"
    except ValueError:
        return False  # (score_sample says what is wrong with it)


def seen_size(value: Any, sample: Mapping[str, Any]) -> tuple[int, int] | None:
    """The (width, height) the model saw of this sample's image: `value` itself, or the function's
    answer for the original size (None when the sample states no size: scored as without it)."""
    if not callable(value):
        return value
    original = (sample.get("meta") or {}).get("image_size")
    if original is None:
        return None
    w, h = checks.size(original)
    return checks.model_size(value(w, h), f"model_image_size({w}, {h})")


def _checked(value: Any) -> Any:
    """`value` (a size, or a function of the original size) with a function's answers checked."""
    if not callable(value):
        return value
    return lambda w, h: checks.model_size(value(w, h), f"model_image_size({w}, {h})")


def score_in_model_frame(reply: str, sample: Mapping[str, Any], value: Any,
                         score_options: Mapping[str, Any]) -> MatchResult | None:
    """The reply's score with its coordinates read in the frame the model saw (`GroundTruth.score`),
    or None when `value` changes nothing for this sample (scored as usual then)."""
    if value is None or not rescales(sample, score_options):
        return None
    if marked(sample):  # each image's frame from its own size (`score_sample`'s marks_frame)
        from veriscene.answers import score_sample

        return score_sample(reply, sample, marks_frame=_checked(value), **score_options)
    seen = seen_size(value, sample)
    if seen is None:
        return None
    from dataclasses import replace

    from veriscene.rewards.truth import GroundTruth

    truth = GroundTruth.from_sample(sample)
    if score_options.get("box_format"):
        truth = replace(truth, box_format=score_options["box_format"])
    return truth.score(reply, model_image_size=seen, **score_options)
