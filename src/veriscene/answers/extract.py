"""Pre-processing of raw model replies: reasoning blocks, answer tags and answer markers.

`read_reply` turns a raw reply into a `Reply`:

    body   the reply as plain text (`markup.plain`: code fences, JSON {"answer": ...},
           "### Answer" headings and Markdown tables unwrapped) without reasoning blocks (``<think>...</think>``, an unterminated
           ``<think>`` up to the end or to an answer tag, everything before a lone
           ``</think>``) and, when an answer tag is present, only the content of the last
           ``<answer>...</answer>`` (an unterminated ``<answer>`` runs to the end)
    focus  the explicit final answer inside the body, when the model marked one, in priority
           order: the last LaTeX ``\\boxed{...}``, the text after the last "answer is" /
           "Answer:" / "Final answer:" marker, a first line followed by a paragraph labelled
           "Explanation:" (or "Reasoning:", ...) in a reply without bold, or the only **bold**
           span; trimmed to its
           sentence and cut before "because", "since", ", or maybe", "(or", ... ; a run of
           different numbers ("3 4 5", "3 and 4 and 5", "3; 4; 5") is cut to its first, the
           rest becoming a rival; None when nothing is marked
    rivals other answers the reply marks besides the focus, when they differ from it: earlier
           answer tags, earlier ``\\boxed{}``, earlier "Answer: X" lines (not "Answer: Let me
           think"), the rest of a run of numbers ("<answer>Yes</answer><answer>No</answer>":
           focus "No", rival "Yes"); `marked` keeps a run whole for boxes and points
           ("0.1, 0.2, 0.5, 0.6")

`correction_after_focus` gathers what the reply offers besides its marked answer: the rivals, a
self-correction after it ("The answer is yes... actually no") and alternatives offered after it
("The answer is 3. It might also be 4.", "3 (or 4)", "Image 2, or maybe 3"). Parsers read
`focus` first and fall back to `body` when the focus holds no candidate value; a focus whose
revision reads as another value (or fails to read) fails, so hedging costs the reward. Tag
names are configurable (e.g. ``answer_tags=("answer", "final")``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from veriscene.answers.markup import plain
from veriscene.answers.numbers import find_numbers
from veriscene.answers.options import check_tags
from veriscene.answers.visible import squeeze_space, visible

DEFAULT_THINK_TAGS = ("think", "thinking")
DEFAULT_ANSWER_TAGS = ("answer",)

_MARKER_RE = re.compile(
    r"(?:\b(?:final|correct|right|short|my|best)\s+)?\banswers?\s*(?:is|would be|will be|should be|:|=|-)\s*:?"
    r"|\b(?:final\s+)?(?:answer|result|output|response|solution)\s*:",
    re.IGNORECASE)
# Where a marked answer's explanation starts.
_CUT_RE = re.compile(
    r"\s+(?:because|since|as it|as there|as the|given that|due to|which|so that|but|although|"
    r"though|while|whereas|considering)\b|\s+-\s+|;|\n"
    # an alternative offered after the answer: "3 (or 4)", "Image 2, or maybe 3", "3, if not 4"
    r"|\s*\(\s*or\b|,?\s+or\s+(?:maybe|possibly|perhaps|potentially|probably|even)\b|,?\s+if\s+not\b"
    r"|\s*[(,]\s*(?:possibly|perhaps|maybe)\b",
    re.IGNORECASE)
# End of sentence: . ! ? followed by space or end; not a decimal point, nor an option label
# "B." followed by the option's lowercase text ("B. blue square").
_SENTENCE_END_RE = re.compile(r"(?<!\b[A-Ha-h])[.!?](?=\s|$)|(?<=\b[A-Ha-h])[.!?](?=\s+[A-Z0-9(\[]|\s*$)")
_LIST_END_RE = re.compile(r"[.!?]\s+(?=[A-Z])|[.!?]\s*$|\n\s*\n")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL)
# A short answer on the first line, then a paragraph labelled as its explanation:
# "Hexagon\n\nExplanation: ...".
_LEAD_ANSWER_RE = re.compile(
    r"^\s*([^\n]+?)[ \t]*\n[ \t]*\n\s*[*_#]*\s*(?:explanation|reasoning|reason|rationale|justification)\b[*_\s]*:",
    re.IGNORECASE)
# "Answer: X" starting a line: a marked answer even when a later one is the focus.
_LINE_MARKER_RE = re.compile(
    r"^[\s>*#\-]*(?:final\s+)?answer\s*[:=]\s*(?P<rest>.*)$", re.IGNORECASE | re.MULTILINE)
# "Answer: Let me think." starts reasoning, not an answer.
_REASONING_LEAD_RE = re.compile(
    r"(?:let|let's|lets|i|i'll|i'm|we|we'll|first|firstly|to|looking|based|step|here|here's|ok|okay|well|"
    r"sure|hmm+)\b", re.IGNORECASE)
# Between the numbers of a list: "3 4 5", "3, 4 and 5", "3; 4; 5", "3 & 4", "3, or 4" ("3 or 4"
# and "3-4" are left to `quantities`, which fails them as alternatives or a range).
_LIST_GAP_RE = re.compile(r"\s+|\s*(?:[,;&]|,?\s*\band\b|,\s*or\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    raw: str
    body: str
    focus: str | None
    list_focus: str | None = None  # the marked answer trimmed for lists: not cut at ";" or lines
    marked: str | None = None  # the focus before a run of numbers was cut ("0.1, 0.2, 0.3, 0.4")
    rivals: tuple[str, ...] = ()  # other marked answers that differ from the focus (see above)
    after: str | None = None  # the body after the focus (None: find the focus in the body)
    list_after: str | None = None  # the body after the list focus
    source: str = ""  # where the focus came from: "boxed", "marker", "lead", "bold", "" (see above)

    @property
    def text(self) -> str:
        """The focus when the model marked an answer, else the whole body."""
        return self.focus if self.focus is not None else self.body


def _tag_re(tag: str, closing: bool) -> str:
    return rf"<\s*{'/' if closing else ''}\s*{re.escape(tag)}\s*>"


def strip_reasoning(text: str, think_tags: Sequence[str] = DEFAULT_THINK_TAGS,
                    answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> str:
    """Remove reasoning blocks: closed, unterminated, and ones whose opening tag was in the prompt."""
    answer_open = "|".join(_tag_re(t, False) for t in answer_tags) or r"(?!)"
    for tag in think_tags:
        open_re, close_re = _tag_re(tag, False), _tag_re(tag, True)
        # Closed blocks end at a closing tag, so none runs past the last one: searched only up to
        # it (an opening tag after it was read to the text's end again, one per opening tag:
        # quadratic in a reply of many)
        closes = list(re.finditer(close_re, text, flags=re.IGNORECASE))
        if closes:
            last = closes[-1].end()
            text = re.sub(rf"{open_re}.*?{close_re}", " ", text[:last], flags=re.IGNORECASE | re.DOTALL) + text[last:]
        # Lone closing tag: the opening one was part of the prompt (R1 / Qwen3 chat templates).
        closes = list(re.finditer(close_re, text, flags=re.IGNORECASE))
        if closes:
            text = text[closes[-1].end():]
        # Unterminated block: drop up to an answer tag, or to the end.
        m = re.search(open_re, text, flags=re.IGNORECASE)
        if m:
            rest = text[m.end():]
            a = re.search(answer_open, rest, flags=re.IGNORECASE)
            text = text[:m.start()] + (rest[a.start():] if a else "")
    return text


def answer_tag_contents(text: str, answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> list[str]:
    """Contents of every answer tag, in order (an unterminated one runs to the end)."""
    found: list[tuple[int, str]] = []
    for tag in answer_tags:
        open_re, close_re = _tag_re(tag, False), _tag_re(tag, True)
        for m in re.finditer(rf"{open_re}(.*?)(?:{close_re}|$)", text, flags=re.IGNORECASE | re.DOTALL):
            found.append((m.start(), m.group(1)))
    return [content for _, content in sorted(found, key=lambda f: f[0])]


def answer_tag_content(text: str, answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> str | None:
    """Content of the last answer tag (an unterminated one runs to the end), or None."""
    contents = answer_tag_contents(text, answer_tags)
    return contents[-1] if contents else None


def answer_section(text: str, think_tags: Sequence[str] = DEFAULT_THINK_TAGS,
                   answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> str:
    """The part of a reply that answers, for replies scored sentence by sentence (descriptions):
    without its reasoning blocks (`strip_reasoning`), and the last answer tag's content when there
    is one. A reasoning model's scratch work is not its description."""
    body = strip_reasoning(text, think_tags, answer_tags)
    tagged = answer_tag_content(body, answer_tags)
    return (body if tagged is None else tagged).strip()


_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BRACE_RE = re.compile(r"[{}]")


def _closing_braces(text: str) -> dict[int, int]:
    """Offset of each "{" -> offset of the "}" that closes it (unclosed ones are absent), in one
    pass over the braces."""
    opened: list[int] = []
    out: dict[int, int] = {}
    for m in _BRACE_RE.finditer(text):
        if m.group() == "{":
            opened.append(m.start())
        elif opened:
            out[opened.pop()] = m.start()
    return out


def boxed_spans(text: str) -> list[tuple[str, int]]:
    """(content, end offset) of every ``\\boxed{...}`` / ``\\fbox{...}`` (balanced braces), in
    order, ``\\text{}`` unwrapped; an unbalanced one runs to the end. Of boxes nested in boxes
    only the outermost and the innermost are kept ("\\boxed{\\boxed{3}}" gives "\\boxed{3}"
    and "3"): the braces are matched once and the kept contents do not overlap, so the time
    grows with the reply, not its square (a reply of 14,000 "\\boxed{" took minutes)."""
    starts = list(_BOXED_RE.finditer(text))
    if not starts:
        return []
    closing = _closing_braces(text)
    out: list[tuple[str, int]] = []
    outer_end = -1  # end of the outermost box seen so far
    for k, m in enumerate(starts):
        i = m.end()
        close = closing.get(i - 1)
        j = close + 1 if close is not None else len(text)
        outermost = m.start() >= outer_end
        innermost = k + 1 == len(starts) or starts[k + 1].start() >= j
        if outermost:
            outer_end = j
        if not (outermost or innermost):
            continue
        content = text[i:j - 1] if close is not None else text[i:]
        content = re.sub(r"\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}", r"\1", content)
        out.append((content.replace("\\,", "").replace("\\%", "%").strip(), j))
    return out


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` / ``\\fbox{...}`` (see `boxed_spans`), or None."""
    spans = boxed_spans(text)
    return spans[-1][0] if spans else None


def _sentence_of(text: str, for_list: bool) -> str:
    """A marked answer up to the end of its sentence (for lists: of its paragraph)."""
    text = text.strip().lstrip(":").strip()
    m = (_LIST_END_RE if for_list else _SENTENCE_END_RE).search(text)
    return text[:m.start()] if m and m.start() > 0 else text


def _strip_marks(text: str) -> str:
    return text.strip().strip("*_`\"' ").strip()


def trim_marked(text: str, for_list: bool = False) -> str:
    """A marked answer up to the end of its sentence and before its explanation or an
    alternative offered after it ("3 (or 4)"). For lists (`for_list`) only a new capitalised
    sentence or a blank line ends it ("cat; dog\n- cow")."""
    text = _sentence_of(text, for_list)
    m = None if for_list else _CUT_RE.search(text)
    if m and m.start() > 0:
        text = text[:m.start()]
    return _strip_marks(text)


def number_run(text: str) -> tuple[str, str] | None:
    """(the first number, the rest) when `text` is only a run of two or more different numbers
    ("3 4 5", "3 and 4 and 5", "3; 4; 5", "3, 4", "3, or 4"); else None. Not a box or point written in
    brackets ("[3, 4]"), nor a range or alternatives ("3-4", "3 or 4": `quantities` fails them)."""
    nums = find_numbers(text)
    if len(nums) < 2 or len({n.value for n in nums}) < 2:
        return None
    if _strip_marks(text[:nums[0].start]) or _strip_marks(text[nums[-1].end:]).rstrip(".!"):
        return None
    if not all(_LIST_GAP_RE.fullmatch(text[a.end:b.start]) for a, b in zip(nums, nums[1:])):
        return None
    return text[nums[0].start:nums[0].end], text[nums[1].start:]


class _Marked(NamedTuple):
    text: str  # the focus
    after: str  # what follows it
    whole: str  # the focus before a run of numbers was cut
    rest: str | None  # the rest of that run


def _marked(region: str, for_list: bool, trim: bool = True) -> _Marked | None:
    """The marked answer at the start of `region` (the text after a marker, a boxed or bold
    content), what follows it, and a run of numbers cut to its first."""
    if not for_list:
        sentence = _strip_marks(_sentence_of(region, False))
        run = number_run(sentence)
        if run is not None:
            at = region.find(sentence)
            return _Marked(run[0], region[at + len(sentence):] if at >= 0 else "", sentence, run[1])
    text = trim_marked(region, for_list) if trim else region.strip()
    if not text:
        return None
    at = region.find(text)
    return _Marked(text, region[at + len(text):] if at >= 0 else "", text, None)


# Another answer offered right beside a marked span: "blue or **green**", "**4** or 3",
# "3 or \\boxed{4}", "red/**green**" (the bold span was read alone: 1.0 for a hedge).
_OR_BEFORE_RE = re.compile(r"(?:\bor|\bvs\.?|\bversus|/|\|)\s*$", re.IGNORECASE)
_OR_AFTER_RE = re.compile(r"\s*(?:,\s*)?(?:or\b|vs\b|versus\b|/|\|)", re.IGNORECASE)


_SIMPLE_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{([^{}]*)\}")


def _offered_beside(body: str, start: int, end: int) -> bool:
    """Whether the span body[start:end] has "or" (or "/", "vs") right before or after it."""
    return bool(_OR_BEFORE_RE.search(body, max(0, start - 12), max(0, start))) or bool(_OR_AFTER_RE.match(body, end))


def unmark_offered(body: str) -> str:
    """`body` with each bold or \\boxed{} span that has another answer offered right beside it
    replaced by its content: "blue or **green**" is read as "blue or green", a hedge, not as
    the marked answer green."""
    if "**" not in body and "__" not in body and "box" not in body:
        return body

    def unwrap(m: re.Match[str]) -> str:
        inner = next(g for g in m.groups() if g is not None)
        return inner if _offered_beside(m.string, m.start(), m.end()) else m.group(0)
    return _SIMPLE_BOXED_RE.sub(unwrap, _BOLD_RE.sub(unwrap, body))


def _marked_answer(body: str, for_list: bool = False) -> tuple[_Marked | None, str]:
    """The marked answer of `body` (see the module docstring) and where it came from:
    "boxed", "marker", "lead", "bold" or "" (nothing marked)."""
    boxed = boxed_spans(body)
    if boxed:
        content, end = boxed[-1]
        found = _marked(content, for_list, trim=False)
        return (found._replace(after=found.after + body[end:]) if found else None), "boxed"
    unbold = body.replace("**", "").replace("__", "")
    markers = list(_MARKER_RE.finditer(unbold))
    if markers:
        found = _marked(unbold[markers[-1].end():], for_list)
        if found is not None:
            return found, "marker"
    lead = _LEAD_ANSWER_RE.match(body)
    if lead is not None and not _BOLD_RE.search(body):
        found = _marked(lead.group(1), for_list)
        return (found._replace(after=found.after + body[lead.end(1):]) if found else None), "lead"
    matches = [m for m in _BOLD_RE.finditer(body) if (m.group(1) or m.group(2)).strip()
               and not (m.group(1) or m.group(2)).strip().endswith(":")]
    if len({(m.group(1) or m.group(2)).strip().lower() for m in matches}) == 1:
        found = _marked(matches[0].group(1) or matches[0].group(2), for_list)
        return (found._replace(after=found.after + body[matches[0].end():]) if found else None), "bold"
    return None, ""


def _rivals(tags: list[str], body: str, focus: _Marked | None, source: str) -> tuple[str, ...]:
    """Other answers the reply marks that differ from the focus: earlier answer tags, earlier
    boxed answers, "Answer: X" lines (not the one the focus comes from), the rest of a run."""
    if focus is None and len(tags) < 2:
        return ()
    said = {focus.text, focus.whole} if focus is not None else set()
    found: list[str] = [t for t in tags[:-1] if t.strip() and t.strip() != tags[-1].strip()]
    if source == "boxed":
        found += [content for content, _ in boxed_spans(body)[:-1]]
    if source in ("boxed", "marker"):
        for m in _LINE_MARKER_RE.finditer(body.replace("**", "").replace("__", "")):
            line = trim_marked(m.group("rest"))
            if line and "\\boxed" not in m.group("rest") and not _REASONING_LEAD_RE.match(line):
                found.append(line)
    if focus is not None and focus.rest is not None:
        found.append(focus.rest)
    out: dict[str, None] = {}  # in order, once each (a list searched per item was quadratic)
    for text in (t.strip() for t in found):
        if text and text not in said:
            out.setdefault(text, None)
    return tuple(out)


def read_reply(reply: str, *, think_tags: Sequence[str] = DEFAULT_THINK_TAGS,
               answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> Reply:
    """Split a raw reply into its body, the explicitly marked answer and the other answers it
    marks (see the module docstring), read as it looks on screen (`visible`: fullwidth and
    look-alike letters as ASCII, zero-width characters dropped)."""
    if not isinstance(reply, str):
        raise TypeError(f"reply must be a string, got {type(reply).__name__}")
    check_tags("think_tags", think_tags)  # "think" would be the tags t, h, i, n, k
    check_tags("answer_tags", answer_tags)
    # "yеs" with a Cyrillic "е" is yes; 4,000 spaces are one (`visible`)
    body = strip_reasoning(squeeze_space(visible(reply)), think_tags, answer_tags)
    tags = answer_tag_contents(body, answer_tags)
    if tags:
        body = tags[-1]
    body = unmark_offered(plain(body).strip())
    focus, source = _marked_answer(body)
    listed, _ = _marked_answer(body, for_list=True)
    rivals = _rivals(tags, body, focus, source)
    if focus is None and rivals and body:
        # several different answer tags, the last unmarked: the last tag is the answer given
        focus = _Marked(body, "", body, None)
    return Reply(raw=reply, body=body, focus=focus.text if focus else None,
                 list_focus=listed.text if listed else None, marked=focus.whole if focus else None,
                 rivals=rivals, after=focus.after if focus else None,
                 list_after=listed.after if listed else None, source=source if focus else "")


# A self-correction after the marked answer: "The answer is yes... actually no".
_CORRECTION_RE = re.compile(
    r"\b(?:actually|wait|sorry|correction|i\s+mean|or\s+rather|rather|on\s+second\s+thought|scratch\s+that|"
    r"hmm+|no,?\s+wait)\b", re.IGNORECASE)
# Another answer offered after the marked one: "It might also be 4", "(or possibly C)",
# "but it could be 4", "or maybe 3", "alternatively C", "3, if not 4".
_OFFERED_RE = re.compile(
    r"\(\s*or\b|\bor\s+(?:maybe|possibly|perhaps|potentially|probably|even|else)\b|\bif\s+not\b"
    r"|[(,]\s*(?:possibly|perhaps|maybe)\b"
    r"|\balternatively\b|\bor\s+(?:it|that|this)\s+(?:is|could|might|may)\b"
    r"|\b(?:could|might|may|can)\s+(?:also|possibly|perhaps|equally|well|just\s+as\s+well)\s+be\b"
    r"|\b(?:it|this|that|they|the\s+answer)\s+(?:could|might|may)\s+(?:also\s+)?be\b",
    re.IGNORECASE)


# A self-correction that changes the answer, in a reply without a marked answer: "C. Wait,
# actually D." (fewer words than `_CORRECTION_RE`: "hmm" and "rather" start reasoning too).
_CHANGED_RE = re.compile(
    r"\b(?:actually|wait|sorry|correction|i\s+mean|or\s+rather|on\s+second\s+thought|scratch\s+that)\b",
    re.IGNORECASE)


def last_correction(text: str) -> tuple[str, str, str] | None:
    """(the text before the last self-correction, its words, the text after it) in a reply
    without a marked answer ("C. Wait, actually D." -> ("C. ", "Wait, actually D.", " D."));
    None when there is none. Readers fail the reply when both sides read as different values:
    the answer said first does not count, nor the one after (a reply that changes its answer is
    no answer, as "The answer is C... actually D" is not). Only the last is read: the time stays
    linear in replies of many."""
    m = None
    for m in _CHANGED_RE.finditer(text):
        pass
    if m is None:
        return None
    return text[:m.start()], text[m.start():][:60].strip(), text[m.end():]


def _clause(text: str) -> str:
    """`text` up to the end of its sentence or line."""
    m = re.search(r"\n", text)
    text = text[:m.start()] if m else text
    m = _SENTENCE_END_RE.search(text)
    return text[:m.start()] if m and m.start() > 0 else text


# Another answer granted after it is named: "B is also plausible", "but yes is also possible",
# "with 5 as a close second".
_GRANTED_RE = re.compile(
    r"\b(?:is|are|seems|looks|would\s+be|could\s+be|might\s+be|may\s+be)\s+(?:also|equally|too)\s+"
    r"(?:possible|plausible|likely|correct|right|valid|true|an?\s+(?:option|possibility|candidate|answer))\b"
    # "D would also be right", "B could equally be correct" ("C. D would also be right." picked C)
    r"|\b(?:would|could|might|may|can)\s+(?:also|equally)\s+be\s+"
    r"(?:possible|plausible|likely|correct|right|valid|true|fine|acceptable|an?\s+(?:option|possibility|candidate|answer))\b"
    r"|\b(?:is|are)\s+(?:possible|plausible|correct)\s+(?:too|as\s+well)\b"
    r"|\bas\s+(?:a\s+)?(?:close\s+)?(?:second|runner[\s-]up|alternative|backup|fallback)\b"
    # "4 stars, 5 if you count shadows" (read as 4): another answer under another reading
    r"|\bif\s+(?:you|we|one)\s+(?:also\s+)?(?:count|include|consider|add)\b", re.IGNORECASE)
_CLAUSE_START_RE = re.compile(r"[.!?;,:(\n]|\b(?:but|although|though|while|whereas|and|or|with)\b", re.IGNORECASE)


def offered_alternatives(text: str) -> list[tuple[str, str]]:
    """(the offering words, the clause they offer) for each alternative offered in `text`:
    "It might also be 4 or 5." -> [("It might also be 4 or 5", " 4 or 5")]; "although B is
    also plausible" -> [("B is also plausible", " B ")]."""
    out: list[tuple[str, str]] = []
    for m in _OFFERED_RE.finditer(text):
        clause = _clause(text[m.end():])
        out.append(((m.group(0) + clause)[:60].strip(), clause))
    # commas and decimal points inside brackets ("[0.69, 0.58]") start no clause
    masked = re.sub(r"\[[^\[\]]*\]|\([^()]*\)", lambda b: b.group(0)[0] + re.sub(r"[,;:.]", " ", b.group(0)[1:]), text)
    for m in _GRANTED_RE.finditer(text):
        starts = [b.end() for b in _CLAUSE_START_RE.finditer(masked, 0, m.start())]
        clause = text[starts[-1] if starts else 0:m.start()]
        out.append(((clause + m.group(0)).strip()[:60], clause))
    return out


def correction_after_focus(reply: Reply) -> tuple[str, str] | None:
    """(words to quote, text to read) when the reply offers another answer besides its marked
    one: its rivals (other marked answers that differ), a self-correction after the focus
    ("The answer is 3... actually 4": the text after "actually") and alternatives offered after
    it ("The answer is 3. It might also be 4.": "4"); None when it offers none. The texts are
    joined by new lines: a parser that reads them as another value, or fails to, rejects the
    focus."""
    if reply.focus is None:
        return None
    run = reply.marked if reply.marked is not None and reply.marked != reply.focus else None
    parts = [(f"{'the list goes on' if run and run.endswith(r) else 'another marked answer'}: {r[:40]!r}", r)
             for r in reply.rivals]
    tail = reply.list_after if reply.focus == reply.list_focus and reply.list_after is not None else reply.after
    if tail is None:
        at = reply.body.rfind(reply.focus)
        tail = reply.body[at + len(reply.focus):] if at >= 0 else ""
    m = _CORRECTION_RE.search(tail)
    offered = offered_alternatives(tail[:m.start()] if m else tail)
    parts += offered
    if m is not None:
        parts.append((tail[m.start():][:60].strip(), tail[m.end():]))
    if not parts:
        return None
    return parts[0][0], "\n".join(text for _, text in parts)


_LEADING_MARKS = " \t\n\r\f\v\"'`*_>#-:"
_TRAILING_MARKS = " \t\n\r\f\v\"'`*_.!?,;:"


def strip_edges(text: str) -> str:
    """Remove surrounding quotes, markdown and trailing punctuation: '"**Red.**"' -> 'Red'.
    (Stripped, not matched: a pattern for the trailing marks was tried at each mark of a long
    run of them, "C . . . ... x" read in seconds.)"""
    text = text.replace("**", "").replace("__", "").strip()
    return text.lstrip(_LEADING_MARKS).rstrip(_TRAILING_MARKS)
