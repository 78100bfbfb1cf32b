"""Claims in a free-form reply, and the rule-based extractor.

A reply states claims of four kinds (PROVE-style tuples, plus counts):

    entity      ("circle",)                          there is a circle
    attribute   ("circle", "red")                    the circle is red
    relation    ("circle", "left of", "square")      the circle is to the left of the square
    count       ("circle", 2)                        there are two circles (with the mention's attributes)

Each claim keeps the whole mention it came from (name plus every attribute said with it), so the
scorer can ground "the small red circle" to one object before checking its relations, and the
images its wording ties it to ("Image 2 has a square": `image_refs`), if any.

`RuleExtractor` reads English with a lexicon of object names, attribute words and relation
phrases (the scene file's vocabulary, `veriscene.vocab` and common synonyms; places such as "on"
on any scene, `SPATIAL_PREDICATES`). A noun phrase is an
optional determiner or number, attribute words, and a head noun: a known name, or any other word
after a determiner or an attribute (so "a purple pentagon" or "a dog" are caught as entities the
scene graph may not support), unless it is a word that names no object ("a simple composition",
"a detailed description": `NON_OBJECT_WORDS`). Attributes said of a mention with a verb ("the
circle is red and shiny", "it looks small") are attribute claims like "the red circle".
Negated mentions state nothing of the object ("the square is not red"), but "there is no dog",
negated and qualified by no predicate, is an "absent" claim: false where a dog is annotated; so
are "there isn't a dog" and "I don't see any dogs" (`NEGATED_VERBS`). A claim said with a hedge
("there might be a dog", "possibly a dog") is kept, marked `hedged` ("maybe dog"); one the reply
leaves undecided ("I can't tell whether there is a car") is none (`hedges`). A question asserts
nothing: the words of a sentence ending in "?" ("Is that a dog?", "What could that be, a cat?"),
and a question in parentheses ("a dog (a cat?) on the bed"), between dashes ("a dog - is it brown? -
on the bed") or quoted in a sentence that goes on ('a sign saying "Why?" and a car': the sign and
the car are claims, the quoted words none), are no claims, true or false (a tag question, "There
is a dog, isn't there?", says its sentence with a hedge: "maybe dog"); so a
reply asking where it would be wrong earns what leaving that out earns, never more than stating
the truth (benchmarks/reward_gaming.py: `half_right_asked`).
A likeness ("a dog-like shape", "a bird-like dog") names no object by its "X-like" word.
Relations link the mention next to a relation phrase on each side ("and" lists, see `linking`);
"which" refers back. "Both circles are small" is said of each circle ("every circle is small").
A relation phrase right after another's object ("a man on a motorcycle next to a bus") may be said
of that object or of the subject: the claim names both ("man or motorcycle near bus",
`Claim.alternatives`), and in a chain every noun before it ("a cup on a table beside a chair near
the window": "cup, table or chair near window"); the scorer takes the reading most favourable to
the reply (`facts.SceneFacts.verdict`). A comma, "and" or a verb between them says it of the
subject alone ("a man on a motorcycle, next to a bus"; "A is below B and left of C"; "the cup
on the table is next to the chair").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from veriscene.answers.normalize import singular
from veriscene.evaluate.freeform.claim_model import Claim, Mention
from veriscene.evaluate.freeform.hedges import (
    BEFORE_ABSENT,
    HEDGE_ADVERBS,
    HEDGED,
    HEDGING_THAT,
    NEGATED_VERBS,
    PLAIN,
    hedging,
    says_absence,
)
from veriscene.evaluate.freeform.image_refs import split_by_image
from veriscene.evaluate.freeform.lexicon import SPATIAL_PREDICATES, Lexicon  # noqa: F401  (re-exported: defined here before)
from veriscene.evaluate.freeform.linking import (
    BACK_REFERENCES,
    COPULAS,
    NEW_THING,
    attachable,
    clause_subjects,
    inverted,
    opens_clause,
    split_group,
)
from veriscene.evaluate.freeform.phrases import PhraseGrammar, opens_indefinite
from veriscene.evaluate.freeform.words import (  # noqa: F401  (PREDICATE_PHRASES: re-exported)
    ATTRIBUTE_VERBS,
    COUNTABLE_GENERIC,
    DEFINITE,
    GENERIC_NOUNS,
    NEGATORS,
    PREDICATE_PHRASES,
    PRONOUNS,
    VERBS,
    WHOLE_IMAGE,
)

# the words before a "be" that says attributes ("will be red", "might be red", "appears to be red"), the
# adverbs between them skipped ("might also be red"); another "be" says none ("Will the cup be red?", "Let
# the cup be red", 'labelled "be red"')
_BE_AFTER = frozenset({"to", "will", "would", "might", "may", "could", "can", "should", "must", "shall", "it'll",
                       "they'll", "cannot"})
_BE_ADVERBS = HEDGE_ADVERBS | frozenset({"also", "well", "still", "actually", "certainly", "definitely", "indeed",
                                         "surely", "both", "all", "each", "not", "never"})


def _modal_be(tokens: Sequence[str], i: int) -> bool:
    """Whether the "be" at tokens[i] follows a modal or "to" (adverbs between skipped)."""
    j = i - 1
    while j >= 0 and tokens[j] in _BE_ADVERBS:
        j -= 1
    return j >= 0 and tokens[j] in _BE_AFTER


# an existential: "there is", "there's", "there might be", "there seem to be"
_THERE_IS = frozenset({"there's", "there're"})
_AFTER_THERE = frozenset({"is", "are", "was", "were", "be", "seems", "seem", "appears", "appear", "might", "may",
                          "could", "must", "will", "would", "can", "should"})

# words between an existential's "and" and a new thing: "and maybe a lamp", "and I think a lamp", "and also a lamp"
_BEFORE_NEW_THING = HEDGE_ADVERBS | frozenset({"i", "i'd", "think", "believe", "guess", "suspect", "say", "also"})


def _past_hedge_words(tokens: Sequence[str], i: int) -> int:
    """The index of the first token from i that is none of `_BEFORE_NEW_THING`."""
    while i < len(tokens) and tokens[i] in _BEFORE_NEW_THING:
        i += 1
    return i


_ASIDE_QUESTION = re.compile(r"\([^()]*\?\s*\)")  # a question in parentheses
_LIKENESS = re.compile(r"\b[a-z]+-like\b")  # "dog-like": a likeness, no dog
# a question between dashes: "a dog on the bed - is it brown? - and a car", "\u2014 a cat? \u2014"
# (its words hold no dash but a word's hyphen, so each match's scan stops at the next dash: linear)
_DASHED_QUESTION = re.compile(r"(?:\s-|[\u2013\u2014])\s*(?:[^-\u2013\u2014.!?;\n]|(?<=\S)-)*\?\s*(?:-\s|[\u2013\u2014])")
# a quoted question the sentence goes on after (sign text, a name): 'a sign saying "Why?" and a car';
# read before the text is lowered: the sentence goes on when a lower-case word or a comma follows
_QUOTED_QUESTION = re.compile(r"[\"\u201c][^\"\u201c\u201d\n]*\?[\"\u201d](?=\s*[a-z,;:)])")
_QUESTION_MARKS = str.maketrans({"\uff1f": "?"})  # (fullwidth)
_SENTENCE_ENDS = frozenset({".", "!", "?", ";"})


_TAG_VERBS = frozenset({"isn't", "aren't", "wasn't", "weren't", "doesn't", "don't", "didn't", "hasn't", "haven't",
                        "can't", "won't", "couldn't", "wouldn't", "shouldn't", "is", "are", "does", "do"})
_TAG_SUBJECTS = frozenset({"there", "it", "they", "he", "she", "you", "we", "i", "this", "that"})
_TAG_WORDS = frozenset({"right", "correct", "no", "yes", "eh", "yeah", "true"})
_ASKING = frozenset({"is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would", "should",
                     "may", "might", "what", "which", "who", "where", "when", "why", "how", "whose", "isn't",
                     "aren't", "doesn't", "don't", "didn't"})


def _tag_at(tokens: Sequence[str], start: int, end: int) -> int | None:
    """Where the tag of a tag question tokens[start:end] (its "?" at `end`) begins, its comma:
    "there is a dog, isn't there?", "the cup is red, right?"; None for any other question
    (one that opens asking, "is that a dog, or a cat?", has no tag)."""
    words = tokens[start:end]
    if not words or words[0] in _ASKING:
        return None
    if len(words) >= 3 and words[-3] == "," and words[-2] in _TAG_VERBS and words[-1] in _TAG_SUBJECTS:
        return end - 3
    if len(words) >= 2 and words[-2] == "," and words[-1] in _TAG_WORDS:
        return end - 2
    return None


def _assertions(tokens: list[str]) -> list[str]:
    """The tokens of a sentence without its questions: each run of words ending in "?" (from the
    last sentence end) asserts nothing ("Is that a dog?", "What could that be, a cat?"), but a tag
    question says its statement with a hedge ("There is a dog, isn't there?": `_tag_at`)."""
    if "?" not in tokens:
        return tokens
    out: list[str] = []
    start = 0
    for k, tok in enumerate(tokens):
        if tok in _SENTENCE_ENDS:
            tag = _tag_at(tokens, start, k) if tok == "?" else None
            if tag is not None:  # "there is a dog, isn't there?": said, with a hedge (", i think")
                out.extend([*tokens[start:tag], ",", "i", "think", "."])
            elif tok != "?":
                out.extend(tokens[start:k + 1])
            start = k + 1
    out.extend(tokens[start:])
    return out


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]")


@dataclass(frozen=True)
class Said:
    """Attributes said of a mention with a verb ("the circle is red", "it seems small")."""

    attributes: tuple[str, ...]
    hedged: bool = False


@dataclass(frozen=True)
class Predicate:
    """A relation phrase of a sentence, read onto a predicate ("next to": "near"), and whether it
    is said with a hedge ("the cup might be on the table")."""

    name: str
    hedged: bool = False


class RuleExtractor(PhraseGrammar):
    """Claims from English text with a `Lexicon` (see the module docstring); its phrases read by
    `phrases.PhraseGrammar`."""

    name = "rules"

    def extract(self, text: str) -> list[Claim]:
        claims: dict[str, Claim] = {}
        # a question inside a sentence asserts nothing, the rest of the sentence does: 'a sign saying
        # "Why?" and a red car' (not the whole sentence a question: it goes on after the quote)
        text = _QUOTED_QUESTION.sub(" ", text.translate(_QUESTION_MARKS))
        # typographic apostrophes as ASCII ones: "isn\u2019t" is "isn't", a negation, not "isn" "t"
        text = text.lower().translate(_APOSTROPHES)
        text = _ASIDE_QUESTION.sub(" ", text)  # "a dog (a cat?) on the bed": the dog on the bed
        text = _LIKENESS.sub(" ", text)  # "a dog-like shape": a shape, no dog
        text = _DASHED_QUESTION.sub(" ", text)  # "a dog - is it brown? - on the bed": the dog on the bed
        for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text):
            for clause, scope in split_by_image(_assertions(_WORD_RE.findall(sentence.replace("-", " ")))):
                for claim in self._sentence(clause):
                    claim = replace(claim, images=scope)
                    claims.setdefault(f"{claim.kind}|{claim.text}", claim)
        # a claim said plainly somewhere is not hedged by being said with a hedge elsewhere too
        return [c for c in claims.values() if not (c.hedged and f"{c.kind}|{replace(c, hedged=False).text}" in claims)]

    # -- one sentence: tokens -> elements (mentions, predicates, other words) -> claims --------
    def _elements(self, tokens: Sequence[str]) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        i, negated_clause = 0, False
        hedged, undecided = hedging(tokens)
        absent_next = False  # after "isn't", "don't see any": the next plain mention is absent
        existential = False  # in a clause of "there is": "and a lamp" after its place is a new thing
        while i < len(tokens):
            tok = tokens[i]
            if tok in _THERE_IS or tok == "there" and i + 1 < len(tokens) and tokens[i + 1] in _AFTER_THERE:
                existential = True
            pred = self._predicate_at(tokens, i)
            if pred is not None and not (tok == "by" and not out):
                absent_next = False  # "the square is not next to the circle": no absence
                # hedged where the predicate is: "the cup might be on the table", "possibly left of"
                out.append(("pred", Predicate(pred[1], hedged[i] == HEDGED)))
                i += pred[0]
                continue
            if tok in (",", ";", ":") or tok in ("and", "while", "whereas", "but"):
                negated_clause = False if tok not in ("and",) else negated_clause
                absent_next = absent_next and tok == "and" and negated_clause
                # "there is a cat on the sofa and a lamp": the lamp is there, the cat not on it
                new_thing = (tok == "and" and existential and len(out) >= 2 and out[-1][0] == "mention"
                             and out[-2][0] == "pred" and opens_indefinite(tokens, _past_hedge_words(tokens, i + 1)))
                existential = existential and tok == "and"
                out.append(("sep", NEW_THING if new_thing else tok))
                i += 1
                continue
            if tok in ATTRIBUTE_VERBS or tok == "be" and _modal_be(tokens, i):  # "the circle is red", "might be red"
                used, attributes, negated = self._attribute_list_at(tokens, i + 1)
                if attributes:
                    out.append(("word", tok))
                    # hedged by a hedge before the verb or among its words: "is probably red"
                    unsure = hedged[i] != PLAIN or HEDGED in hedged[i + 1:i + 1 + used]
                    said = None if negated or negated_clause or undecided[i] else Said(attributes, unsure)
                    out.append(("attrs", said))
                    i += 1 + used
                    continue
            if tok == "that" and i > 0 and tokens[i - 1] in HEDGING_THAT:  # "possible that a dog ...": no determiner
                i += 1
                continue
            if tok in NEGATORS or tok in NEGATED_VERBS:
                negated_clause = True
                absent_next = says_absence(tokens, i)
                if tok in NEGATED_VERBS:
                    i += 1
                    continue
            used, mention, negated = self._mention_at(tokens, i)
            if mention is not None and undecided[i]:  # "I can't tell whether there is a car": nothing
                out.append(("mention", None))
            elif mention is not None:
                # hedged, unless definite: "the man appears to be wearing a red wetsuit", "there
                # might be a cup on the table" hedge the wetsuit and the cup, not the man or the table
                mention = replace(mention, hedged=hedged[i] != PLAIN and tok not in DEFINITE)
                out.append(("mention", None if (negated or negated_clause) else mention))
                plain = not mention.attributes and mention.count is None
                if plain and (negated or absent_next and tokens[i] not in NEGATORS):
                    out.append(("neg", mention))  # "there is no dog": the scene says whether it is so
                absent_next = False
            elif (tok in BACK_REFERENCES or tok in COPULAS) and used == 1:
                out.append(("word", tok))
            elif absent_next and tok not in BEFORE_ABSENT:
                absent_next = False
            elif used > 1 or tok in PRONOUNS or singular(tok) in GENERIC_NOUNS and tok not in VERBS:
                # a noun phrase naming no object ("the bottom", "it", "them"): what a predicate
                # before it relates to, so the mentions after it are not
                out.append(("blank", tokens[i + used - 1]))  # its head word
            i += used
        return out

    def _sentence(self, tokens: Sequence[str]) -> list[Claim]:
        elements = self._elements(tokens)
        claims: list[Claim] = _absences(elements)
        elements = [e for e in elements if e[0] != "neg"]
        last: Mention | None = None  # the mention an attribute verb speaks of
        for kind, value in elements:
            if kind == "mention":
                last = value  # type: ignore[assignment]
                if isinstance(value, Mention):
                    claims.extend(_hedged(mention_claims(value), value.hedged))
            elif kind == "attrs" and isinstance(value, Said) and last is not None:
                claims.extend(_hedged(predicative_claims(last, value.attributes), last.hedged or value.hedged))
        # groups of elements between predicates
        groups: list[list[tuple[str, object]]] = [[]]
        predicates: list[Predicate] = []
        for kind, value in elements:
            if kind == "pred":
                assert isinstance(value, Predicate)
                predicates.append(value)
                groups.append([])
            else:
                groups[-1].append((kind, value))
        subjects = clause_subjects(groups[0])
        chain: list[Mention] = []  # the nouns besides the subjects the next relation may be said of
        for k, predicate in enumerate(predicates):
            following = groups[k + 1]
            opens, first = opens_clause(groups[k], at_start=k == 0)
            flipped = inverted(following, first) if opens else None  # "below the star is a triangle"
            final = k + 1 == len(predicates)
            if flipped is not None:
                objects, subjects, next_subjects = flipped
                chain = []
            else:
                objects, next_subjects = split_group(following, subjects, last=final)
            for s in subjects:
                for o in objects:
                    if s is not None and o is not None:
                        alternatives = tuple(dict.fromkeys(m for m in chain if m != s))
                        claims.append(Claim("relation", s, predicate=predicate.name, object=o,
                                            hedged=s.hedged or o.hedged or predicate.hedged, alternatives=alternatives))
            trailing = attachable(following, last=final or flipped is not None)
            chain = [*chain, *trailing] if trailing else []
            subjects = next_subjects
        return claims


def _hedged(claims: list[Claim], hedged: bool) -> list[Claim]:
    return [replace(c, hedged=True) for c in claims] if hedged else claims


def mention_claims(m: Mention) -> list[Claim]:
    out: list[Claim] = []
    if m.name not in COUNTABLE_GENERIC:
        out.append(Claim("entity", Mention(m.name)))
        out.extend(Claim("attribute", m, attribute=a) for a in m.attributes)
    if m.count is not None:
        out.append(Claim("count", m, count=m.count))
    return out


def predicative_claims(m: Mention, attributes: Sequence[str]) -> list[Claim]:
    """Attribute claims of "the small circle is red and shiny": each attribute said of the object
    the mention names, found by the attributes it was named with ("the small circle" is the small
    one, red or not); a mention named without any ("the circle is red") is some object of its name."""
    if m.name in COUNTABLE_GENERIC:
        return []
    if m.every:  # "both circles are small": each circle (of the attributes it was named with)
        return [Claim("attribute", Mention(m.name, m.attributes, every=True), attribute=a)
                for a in attributes if a not in m.attributes]
    return [Claim("attribute", Mention(m.name, m.attributes or (a,)), attribute=a)
            for a in attributes if a not in m.attributes]


def _absences(elements: Sequence[tuple[str, object]]) -> list[Claim]:
    """"absent" claims of negated mentions that nothing after them qualifies: "there is no dog (in
    the image)" says the scene has none; "there is no dog near the square" and "no circle is
    green" (a verb after it) are left alone."""
    out = []
    for k, (kind, value) in enumerate(elements):
        if kind != "neg":
            continue
        rest = elements[k + 1:]
        end = next((n for n, (kd, _) in enumerate(rest) if kd == "sep"), len(rest))
        qualified = [n for n, (kd, v) in enumerate(rest[:end]) if kd in ("attrs", "word") and v not in BACK_REFERENCES
                     or kd == "pred" and not (n + 1 < len(rest) and rest[n + 1][0] == "blank"
                                              and rest[n + 1][1] in WHOLE_IMAGE)]
        if not qualified and isinstance(value, Mention):
            out.append(Claim("absent", value, hedged=value.hedged))
    return out
