"""The text a trainer sees: the user prompt with image placeholders and the assistant's answer.

`answer_text(sample)` is the ONE place that turns a sample's program result into the target string
of supervised formats (LLaVA, ShareGPT, TRL completions, parquet `answer_text`):

    mc           "B"            (meta["answer_letter"]); mc_style="letter_text" gives "B. red"
    bool         "Yes" / "No"
    int          "3"
    float        "0.25"         (up to 6 significant digits, no trailing zeros)
    str          "red"
    str_set      "cup, dog"     (comma-joined in the stored, sorted, order); "none" for the empty
                 set, as the questions ask ("Answer none if none are.") and the choices say it
    box          "[0.124, 0.301, 0.552, 0.800]" in meta["box_format"] (default "norm1", three
                 decimals; "norm1000" and "pixel" give integers) with meta["image_size"] = [w, h], rendered by
                 veriscene.answers.coords.format_box (the project's one place for box formats)
    point        "[0.402, 0.650]"  likewise (coords.format_point)
    image_index  "Image 2"      (answer 1 is 0-based; questions and answers say 1-based)
    text         as is          (captions / descriptions)

A record holding a rationale under `REASONING` (an export with reasoning targets,
`veriscene.io.reasoning`) has it before the answer: "<think>\n...\n</think>\n<answer>B</answer>".
"""

from __future__ import annotations

from typing import Any

from veriscene.answers.coords import DEFAULT_BOX_FORMAT, format_box, format_point
from veriscene.sample import OPTION_LETTERS

MC_STYLES = ("letter", "letter_text")
REASONING = "_reasoning"  # a record's rationale, added by an export with reasoning targets
LEAKS = "_leaks"  # what would answer it if said before it (`rationale_leaks`), added with REASONING
IMAGE_PLACEHOLDER = "<image>"


def _sid(sample: dict[str, Any]) -> str:
    return str(sample.get("id", "?"))


def _render_box(sample: dict[str, Any], value: Any) -> str:
    """Box / point in absolute pixels -> text in meta["box_format"] (veriscene.answers.coords)."""
    meta = sample.get("meta") or {}
    box_format = meta.get("box_format") or DEFAULT_BOX_FORMAT
    image_size = meta.get("image_size")
    try:
        if sample.get("answer_type") == "point":
            return format_point(value, image_size, box_format)
        return format_box(value, image_size, box_format)
    except ValueError as exc:
        raise ValueError(f"sample {_sid(sample)}: {exc}") from None


def _format_float(value: float) -> str:
    return f"{float(value):.6g}"


def answer_letter(sample: dict[str, Any]) -> str:
    """Option letter of a multiple-choice sample: meta["answer_letter"], else found in choices."""
    meta = sample.get("meta") or {}
    letter = meta.get("answer_letter")
    if isinstance(letter, str) and letter:
        return letter
    choices = sample.get("choices") or []
    rendered = _plain_answer(sample)
    for i, choice in enumerate(choices):
        if str(choice) == rendered and i < len(OPTION_LETTERS):
            return OPTION_LETTERS[i]
    raise ValueError(
        f"sample {_sid(sample)}: multiple-choice sample has no meta['answer_letter'] and "
        f"its answer "
        f"{rendered!r} is not one of its choices {choices!r}"
    )


def _plain_answer(sample: dict[str, Any]) -> str:
    """The answer rendered by type, ignoring multiple choice."""
    kind = sample.get("answer_type")
    value: Any = sample.get("answer")
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"sample {_sid(sample)}: bool answer expected, got {value!r}")
        return "Yes" if value else "No"
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return _format_float(value)
    if kind in ("str", "text"):
        return str(value)
    if kind == "str_set":  # (an empty target taught the model to say nothing, which scores 0)
        return ", ".join(str(v) for v in value) if value else "none"
    if kind in ("box", "point"):
        return _render_box(sample, value)
    if kind == "image_index":
        return f"Image {int(value) + 1}"
    raise ValueError(f"sample {_sid(sample)}: unknown answer_type {kind!r}")


def check_mc_style(mc_style: str) -> None:
    """Raise ValueError unless `mc_style` is one of MC_STYLES (checked once, before an export)."""
    if mc_style not in MC_STYLES:
        raise ValueError(f"unknown mc_style {mc_style!r}; expected one of {', '.join(MC_STYLES)}")


def answer_text(sample: dict[str, Any], *, mc_style: str = "letter") -> str:
    """The assistant's target text for a sample record (see the module docstring for the rules)."""
    reasoning = sample.get(REASONING)
    if reasoning:
        from veriscene.rationale import reasoning_target

        return reasoning_target(reasoning, _answer_text(sample, mc_style))
    return _answer_text(sample, mc_style)


def _answer_text(sample: dict[str, Any], mc_style: str) -> str:
    check_mc_style(mc_style)
    meta = sample.get("meta") or {}
    if meta.get("mode") == "mc":
        letter = answer_letter(sample)
        if mc_style == "letter":
            return letter
        choices = sample.get("choices") or []
        index = OPTION_LETTERS.find(letter)
        text = str(choices[index]) if 0 <= index < len(choices) else _plain_answer(sample)
        return f"{letter}. {text}"
    return _plain_answer(sample)


# the last line of a multiple-choice question (`generators.runner.MC_INSTRUCTION`), and what it
# becomes where the targets are the option's letter and text (mc_style="letter_text", `letter_text_question`)
MC_LETTER_INSTRUCTION = "Answer with the option's letter from the given choices."
MC_LETTER_TEXT_INSTRUCTION = "Answer with the option's letter and its text from the given choices."


def letter_text_question(record: dict[str, Any], generated_key: str) -> dict[str, Any]:
    """A multiple-choice record as exported with "B. red" targets (mc_style="letter_text"): its
    question asks for the option's letter and text (`MC_LETTER_TEXT_INSTRUCTION`) where it asked for
    the letter alone, and keeps the question as generated under `generated_key` (which the rewards'
    ground truth reads). Before, the prompt said "Answer with the option's letter from the given
    choices." and the target was "B. brown": a model was trained to answer otherwise than asked.
    Other records are returned as they are."""
    question, meta = record.get("question"), record.get("meta")
    if not (isinstance(meta, dict) and meta.get("mode") == "mc" and isinstance(question, str)
            and MC_LETTER_INSTRUCTION in question):
        return record
    head, _, tail = question.rpartition(MC_LETTER_INSTRUCTION)
    return {**record, "question": head + MC_LETTER_TEXT_INSTRUCTION + tail,
            generated_key: record.get(generated_key, question)}


def check_system(system: Any) -> None:
    """ValueError unless `system` (a system message for every record) is None or non-blank text."""
    if system is not None and (not isinstance(system, str) or not system.strip()):
        raise ValueError(f"the system message must be non-empty text, got {system!r}")


def prompt_text(question: str, n_images: int, *, separator: str = "") -> str:
    """The question with one `<image>` placeholder per image in front (kept if already present).

    LLaVA puts "<image>\\n" before the question (separator="\\n"); LLaMA-Factory and verl count
    placeholders, which must equal the number of images.
    """
    present = question.count(IMAGE_PLACEHOLDER)
    if present == n_images:
        return question
    if present:
        raise ValueError(
            f"question has {present} {IMAGE_PLACEHOLDER} placeholders for {n_images} images"
        )
    return (IMAGE_PLACEHOLDER + separator) * n_images + question
