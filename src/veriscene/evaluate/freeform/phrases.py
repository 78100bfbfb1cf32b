"""The phrase grammar of the rule-based extractor (`claims.RuleExtractor`): where a noun phrase,
a relation phrase or a list of attributes said with a verb starts in a sentence's tokens, and
what it says. A noun phrase is an optional determiner or number, attribute words, and a head
noun: a known name, or any other word after a determiner or an attribute, unless it names no
object (`words.NON_OBJECT_WORDS`)."""

from __future__ import annotations

from collections.abc import Sequence

from veriscene import vocab
from veriscene.answers.normalize import normalize_phrase, singular
from veriscene.answers.numbers import SCALES, TENS, UNITS
from veriscene.evaluate.freeform.claim_model import Mention
from veriscene.evaluate.freeform.hedges import HEDGE_ADJECTIVES, HEDGE_ADVERBS
from veriscene.evaluate.freeform.lexicon import Lexicon
from veriscene.evaluate.freeform.words import (
    COUNTABLE_GENERIC,
    DEGREE_WORDS,
    DETERMINERS,
    EVERY,
    GENERIC_NOUNS,
    INDEFINITE,
    NEGATORS,
    NON_OBJECT_WORDS,
    NOT_NOUNS,
    POSITIONS,
    STOPWORDS,
    SUBSET_WORDS,
    VERBS,
)

_NUMBER_WORDS = {**UNITS, **{k: v for k, v in TENS.items()}, "a dozen": 12, "dozen": 12}


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token) if token not in SCALES else None


def opens_indefinite(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i] opens a noun phrase of a new thing: an indefinite determiner or a number
    ("a lamp", "two chairs", "some cups"), not "the", "this" or "its"."""
    return i < len(tokens) and (tokens[i] in INDEFINITE or _number(tokens[i]) is not None)


class PhraseGrammar:
    """The phrases of a sentence's tokens, read with a `Lexicon`: relation phrases (its
    predicates and `PREDICATE_PHRASES`, longest first), names (multi-word ones too), noun
    phrases and attribute lists."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._phrases = lexicon.phrase_table()
        self._multiword_names = sorted((tuple(n.split()) for n in lexicon.names if " " in n), key=len, reverse=True)

    def _predicate_at(self, tokens: Sequence[str], i: int) -> tuple[int, str] | None:
        for words, canonical in self._phrases:
            if tuple(tokens[i:i + len(words)]) == words:
                return len(words), canonical
        return None

    def _is_name(self, token: str) -> bool:
        return singular(token) in self.lexicon.names or token in self.lexicon.names

    def _mention_at(self, tokens: Sequence[str], i: int) -> tuple[int, Mention | None, bool]:
        """(tokens used, mention or None, negated) for a noun phrase starting at i."""
        j, count, determined, negated, every = i, None, False, False, False
        if (tokens[i] == "that" and i > 0 and tokens[i - 1].isalpha() and tokens[i - 1] not in STOPWORDS
                and not (i + 1 < len(tokens) and self._is_name(tokens[i + 1]))):
            return 1, None, False  # "a rug that covers the floor": a relative pronoun, no "cover"
        if tokens[j] in NEGATORS:
            # "no dog": a noun phrase, as after a determiner (not "no more", "no doubt")
            negated, determined, j = True, tokens[j] == "no" and tokens[j + 1:j + 2] != ["more"], j + 1
        while j < len(tokens) and (tokens[j] in DETERMINERS or tokens[j] in EVERY or _number(tokens[j]) is not None):
            every = every or tokens[j] in EVERY
            n = _number(tokens[j])
            # "one" counts after "is" / "only" ("there is one pillow"), not as a pronoun ("one of")
            one_counts = j > 0 and tokens[j - 1] in ("is", "only", "exactly", "just")
            count = n if n is not None and (tokens[j] != "one" or one_counts) else count
            determined, j = True, j + 1
        definite = any(t in ("the", "these", "those") for t in tokens[i:j])
        if determined and j + 1 < len(tokens) and tokens[j] in HEDGE_ADJECTIVES:
            j += 1  # "a possible dog": a hedge (`hedges`), no attribute
        attributes: list[str] = []
        while j < len(tokens) and self._is_modifier(tokens, j):
            if normalize_phrase(tokens[j]) in self.lexicon.attributes:
                attributes.append(normalize_phrase(tokens[j]))
            if definite and (tokens[j] in SUBSET_WORDS or tokens[j].endswith("est") and len(tokens[j]) > 4):
                count = None  # "the two smaller teddy bears", "the two largest": some of them, no count
            j += 1
            # coordinate adjectives, as captions say them: "a big, tall man"; "and" between words of
            # one type ("a black and white net", "a glass and metal table")
            if (attributes and j + 2 < len(tokens) and tokens[j] in (",", "and") and self._adjective_at(tokens, j + 1)
                    and (tokens[j] == "," or vocab.attribute_type(tokens[j + 1]) == vocab.attribute_type(attributes[-1]))):
                j += 1
        if j >= len(tokens) or not tokens[j].isalpha():
            return max(j - i, 1), None, negated
        for words in self._multiword_names:
            said = tokens[j:j + len(words)]
            # "teddy bears", "traffic lights": the last word may be plural
            if len(said) == len(words) and (*said[:-1], singular(said[-1])) in (words, (*words[:-1], singular(words[-1]))):
                return j + len(words) - i, Mention(" ".join(words), tuple(attributes), count, every), negated
        head = tokens[j]
        known = self._is_name(head)
        unknown_ok = ((determined or attributes) and head not in STOPWORDS and head not in VERBS and head not in NOT_NOUNS
                      and self._predicate_at(tokens, j) is None)
        if not known and not unknown_ok:
            return max(j - i, 1), None, negated
        name = singular(head)
        if name in GENERIC_NOUNS and not (name in COUNTABLE_GENERIC and (count is not None or attributes)):
            return j + 1 - i, None, negated
        if not known and (head in NON_OBJECT_WORDS or name in NON_OBJECT_WORDS):
            return j + 1 - i, None, negated
        # "a light background", "the lower left", "this cozy living room": unknown words before a
        # noun that names no object
        k = j + 1
        while not known and k < min(len(tokens), j + 3) and tokens[k].isalpha() and not self._is_name(tokens[k]):
            if singular(tokens[k]) in GENERIC_NOUNS or tokens[k] in NON_OBJECT_WORDS:
                return k + 1 - i, None, negated
            if tokens[k] in STOPWORDS or self._predicate_at(tokens, k) is not None:
                break
            k += 1
        # "crimson circle": an unknown word right before a known name is an attribute of it
        if not known and j + 1 < len(tokens) and self._is_name(tokens[j + 1]):
            attributes.append(head)
            count = None if definite and (head in SUBSET_WORDS or head.endswith("est")) else count
            j, name = j + 1, singular(tokens[j + 1])
        return j + 1 - i, Mention(name, tuple(attributes), count, every), negated

    def _adjective_at(self, tokens: Sequence[str], j: int) -> bool:
        """Whether tokens[j] is an attribute word before more of a noun phrase (not a name, not
        the phrase's end): the word after a comma or "and" that goes on with the adjectives."""
        return (not self._is_name(tokens[j]) and normalize_phrase(tokens[j]) in self.lexicon.attributes
                and tokens[j + 1].isalpha() and tokens[j + 1] != "and")

    def _is_modifier(self, tokens: Sequence[str], j: int) -> bool:
        """Whether tokens[j] is an attribute word or a non-object adjective before a head noun."""
        tok = tokens[j]
        if self._is_name(tok):
            return False
        if normalize_phrase(tok) in self.lexicon.attributes:
            return True
        if tok in POSITIONS:  # "the right large square", "the left circle": which one, not a place
            return j + 1 < len(tokens) and (self._is_name(tokens[j + 1])
                                            or normalize_phrase(tokens[j + 1]) in self.lexicon.attributes)
        return tok in NON_OBJECT_WORDS and j + 1 < len(tokens) and tokens[j + 1].isalpha()

    def _attribute_list_at(self, tokens: Sequence[str], j: int) -> tuple[int, tuple[str, ...], bool]:
        """(tokens used, attributes, negated) said by the words after an attribute verb at j - 1:
        "[not] [very] red(, | and) [also] shiny"; nothing when the words go on to a noun ("are
        red circles": a noun phrase, read as a mention)."""
        start, negated, attributes = j, False, []
        if j < len(tokens) and tokens[j] in ("not", "never"):
            negated, j = True, j + 1
        while j < len(tokens):
            while j < len(tokens) and (tokens[j] in DEGREE_WORDS or tokens[j] in HEDGE_ADVERBS):
                j += 1
            if j >= len(tokens) or self._is_name(tokens[j]) or normalize_phrase(tokens[j]) not in self.lexicon.attributes:
                break
            attributes.append(normalize_phrase(tokens[j]))
            j += 1
            k = j + (j < len(tokens) and tokens[j] == ",") + (j + 1 < len(tokens) and tokens[j:j + 2] == [",", "and"])
            k = k + 1 if k == j and j < len(tokens) and tokens[j] == "and" else k
            if k > j and k < len(tokens) and self._continues_list(tokens, k):
                j = k
            else:
                break
        if not attributes or (j < len(tokens) and self._starts_noun(tokens, j)):
            return 0, (), False
        return j - start, tuple(attributes), negated

    def _continues_list(self, tokens: Sequence[str], k: int) -> bool:
        while k < len(tokens) and (tokens[k] in DEGREE_WORDS or tokens[k] in HEDGE_ADVERBS):
            k += 1
        return k < len(tokens) and not self._is_name(tokens[k]) and normalize_phrase(tokens[k]) in self.lexicon.attributes

    def _starts_noun(self, tokens: Sequence[str], j: int) -> bool:
        tok = tokens[j]
        if tok in ("one", "ones"):
            return False
        return tok.isalpha() and tok not in STOPWORDS and tok not in NOT_NOUNS and self._predicate_at(tokens, j) is None
