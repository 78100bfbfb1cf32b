"""A reply as a reader sees it: characters that look like ASCII read as ASCII, invisible ones dropped.

A policy trained on the reward can hide a hedge from the answer readers while a person still
reads it: "no or yеs" (a Cyrillic "е") was read as no, "small ｏｒ large" (fullwidth "or") as
small, "[0.61, 0.43]\\u200b \\u200bor\\u200b [0.13, 0.32]" (zero-width spaces around "or") as the
first point, "Image 2 or Imаgе 1" as Image 2. `visible` is applied to every reply before it is
read (`extract.read_reply`):

    fullwidth forms        "Ｃ", "３", "［", "ｏｒ"  -> "C", "3", "[", "or" (U+FF01-FF5E, and the
                           ideographic space U+3000 -> " ")
    mathematical letters   "𝐲𝐞𝐬", "𝟑" (U+1D400-1D7FF)  -> "yes", "3" (their NFKC forms)
    look-alike letters     Cyrillic and Greek letters drawn as Latin ones: "а е о р с у х ѕ і ј"
                           and "ο α ν ι κ ρ", capitals alike -> Latin (the readers read English)
    invisible characters   zero-width space, non-joiner and joiner, word joiner, soft hyphen,
                           byte order mark, direction marks -> a space: an unseen break still
                           parts words ("left\\u200bright" is two words, "Image 3\\u200bImage 1"
                           two images; dropped, the first read as nothing, the second as
                           Image 1), so a word split by one is no word ("n\\u200bo" is read
                           as "n o", no answer: nothing hidden earns a reward)

An ASCII reply is returned as it is (one check); otherwise the cost is one pass over the reply.

`squeeze_space` then shortens every run of spaces and tabs to one space and every run of blank
lines to one blank line, as a page shows them. A policy can write thousands of spaces: the
readers' patterns that start with optional space were tried at each space of a run and read it
again to its end, and "C", 2,000 spaces and "x" took 7.6 s to score as multiple choice, "red",
4,000 spaces and "x" 3.6 s as a word (quadratic or worse in the run's length).
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u202a\u202b\u202c\u202d\u202e"
_LOOKALIKES = {
    # Cyrillic
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
    "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ё": "e", "ї": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W",
    # Greek
    "ο": "o", "α": "a", "ν": "v", "ι": "i", "κ": "k", "ρ": "p",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin letters drawn as others
    "ı": "i", "ȷ": "j",
}


def _table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): " " for c in _INVISIBLE}
    table.update({ord(k): v for k, v in _LOOKALIKES.items()})
    table.update({c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
    table[0x3000] = " "
    return table


_TABLE = _table()


_SPACE_RUN_RE = re.compile(r"[^\S\n]+")
_BLANK_LINES_RE = re.compile(r"\n(?: ?\n)+")


def squeeze_space(text: str) -> str:
    """`text` with runs of spaces and tabs as one space and runs of blank lines as one blank
    line (a line of spaces is blank); a single line break is kept."""
    return _BLANK_LINES_RE.sub(lambda m: "\n\n" if m.group().count("\n") > 1 else m.group(),
                               _SPACE_RUN_RE.sub(" ", text))


def visible(text: str) -> str:
    """`text` as it reads on screen (see the module docstring)."""
    if text.isascii():
        return text
    text = text.translate(_TABLE)
    if any("\U0001d400" <= c <= "\U0001d7ff" for c in text):
        text = "".join(unicodedata.normalize("NFKC", c) if "\U0001d400" <= c <= "\U0001d7ff" else c for c in text)
    return text
