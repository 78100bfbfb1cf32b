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
leaves undecided ("I can't tell whether there is a car") is none (`hedges`).
Relations link the mention next to a relation phrase on each side ("and" lists, see `linking`);
"which" refers back. "Both circles are small" is said of each circle ("every circle is small").
A relation phrase right after another's object ("a man on a motorcycle next to a bus") may be said
of that object or of the subject: the claim names both ("man or motorcycle near bus",
`Claim.alternatives`), and in a chain every noun before it ("a cup on a table beside a chair near
the window": "cup, table or chair near window"); the scorer takes the reading most favourable to
the reply (`score.SceneFacts.verdict`). A comma, "and" or a verb between them says it of the
subject alone ("a man on a motorcycle, next to a bus"; "A is below B and left of C"; "the cup
on the table is next to the chair").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from veriscene import vocab
from veriscene.answers.normalize import normalize_phrase, singular
from veriscene.answers.numbers import SCALES, TENS, UNITS
from veriscene.evaluate.freeform.hedges import BEFORE_ABSENT, NEGATED_VERBS, PLAIN, hedging, says_absence
from veriscene.evaluate.freeform.image_refs import ImageScope, split_by_image
from veriscene.evaluate.freeform.linking import (
    BACK_REFERENCES,
    COPULAS,
    clause_subjects,
    attachable,
    inverted,
    opens_clause,
    split_group,
)
from veriscene.evaluate.freeform.words import (
    ATTRIBUTE_VERBS,
    COUNTABLE_GENERIC,
    DEFINITE,
    DEGREE_WORDS,
    DETERMINERS,
    EVERY,
    GENERIC_NOUNS,
    NEGATORS,
    NON_OBJECT_WORDS,
    NOT_NOUNS,
    POSITIONS,
    PREDICATE_PHRASES,
    PRONOUNS,
    STOPWORDS,
    SUBSET_WORDS,
    VERBS,
    WHOLE_IMAGE,
)

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?]")
_NUMBER_WORDS = {**UNITS, **{k: v for k, v in TENS.items()}, "a dozen": 12, "dozen": 12}


@dataclass(frozen=True)
class Mention:
    name: str
    attributes: tuple[str, ...] = ()
    count: int | None = None
    every: bool = False  # "both circles", "all the squares": what is said of it holds of each
    hedged: bool = field(default=False, compare=False)  # said with a hedge ("there might be a cup": `hedges`)

    @property
    def phrase(self) -> str:
        return " ".join([*self.attributes, self.name])


@dataclass(frozen=True)
class Said:
    """Attributes said of a mention with a verb ("the circle is red", "it seems small")."""

    attributes: tuple[str, ...]
    hedged: bool = False


@dataclass(frozen=True)
class Claim:
    kind: str  # "entity" | "attribute" | "relation" | "count" | "absent" ("there is no dog")
    subject: Mention
    attribute: str | None = None
    predicate: str | None = None
    object: Mention | None = None
    count: int | None = None
    images: ImageScope | None = None  # the images the wording names; None: some image of the sample
    hedged: bool = False  # said with a hedge ("there might be a dog"): weighs `hedges.HEDGED_WEIGHT`
    # a relation a reader may say of other nouns than `subject` too ("a man on a motorcycle next
    # to a bus": the motorcycle; `attachable`): those mentions, in the order said
    alternatives: tuple[Mention, ...] = ()

    @property
    def text(self) -> str:
        return (("maybe " if self.hedged else "") + self.statement
                + (f" [{_scope_text(self.images)}]" if self.images is not None else ""))

    @property
    def statement(self) -> str:
        """The claim without the images it is tied to."""
        if self.kind == "entity":
            return self.subject.name
        if self.kind == "attribute":
            return f"{'every ' if self.subject.every else ''}{self.subject.name} is {self.attribute}"
        if self.kind == "count":
            return f"{self.count} x {self.subject.phrase}"
        if self.kind == "absent":
            return f"no {self.subject.name}"
        assert self.object is not None
        said = [self.subject.phrase, *(m.phrase for m in self.alternatives)]
        subject = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} or {said[-1]}"  # "A, B or C"
        return f"{subject} {self.predicate} {self.object.phrase}"

    def readings(self) -> list[Claim]:
        """The claim as said of each noun it may be said of (itself when there is one)."""
        if not self.alternatives:
            return [self]
        return [replace(self, subject=m, alternatives=()) for m in (self.subject, *self.alternatives)]


def _scope_text(scope: ImageScope) -> str:
    if scope.every:
        return "every image"
    return "image " + ", ".join(str(i + 1) for i in scope.images)


# Places every lexicon reads as relation phrases, beside the directions and "near" (`vocab`'s
# converse predicates; "under", "next to", "beside" are `PREDICATE_PHRASES`): "a teddy bear on a
# chair" is a relation on any scene, one whose scenes annotate no relation (COCO) too
SPATIAL_PREDICATES = ("on", "on top of")


@dataclass
class Lexicon:
    """Known object names, attribute words and predicates (all normalised); and, of scenes that
    annotate a category list in full and nothing else (``meta["category_set"]``: COCO), the names
    of each list's scenes as they give them (`score.add_scene_words`): the categories the scorer
    takes as annotated in full on them (`score.category_classes`)."""

    names: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=lambda: {normalize_phrase(w) for w in vocab.ATTRIBUTE_TYPES})
    predicates: set[str] = field(default_factory=lambda: set(vocab.CONVERSE_PREDICATES) | set(SPATIAL_PREDICATES))
    category_sets: dict[str, set[str]] = field(default_factory=dict)  # category set id -> names
    # object name -> how many of its objects each WordNet synset id was given (``meta["synsets"]``,
    # Visual Genome's): names sharing one are read as one (`names.synset_classes`)
    synsets: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, names: Iterable[str] = (), attributes: Iterable[str] = (), predicates: Iterable[str] = ()) -> None:
        self.names.update(normalize_phrase(n) for n in names)
        self.attributes.update(normalize_phrase(a) for a in attributes)
        self.predicates.update(predicates)

    def phrase_table(self) -> list[tuple[tuple[str, ...], str]]:
        table = dict(PREDICATE_PHRASES)
        table.update({p: p for p in self.predicates})
        return sorted(((tuple(k.split()), v) for k, v in table.items()), key=lambda kv: -len(kv[0]))


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token) if token not in SCALES else None


class RuleExtractor:
    """Claims from English text with a `Lexicon` (see the module docstring)."""

    name = "rules"

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._phrases = lexicon.phrase_table()
        self._multiword_names = sorted((tuple(n.split()) for n in lexicon.names if " " in n), key=len, reverse=True)

    def extract(self, text: str) -> list[Claim]:
        claims: dict[str, Claim] = {}
        for sentence in re.split(r"(?<=[.!?;])\s+|\n+", text.lower()):
            for clause, scope in split_by_image(_WORD_RE.findall(sentence.replace("-", " "))):
                for claim in self._sentence(clause):
                    claim = replace(claim, images=scope)
                    claims.setdefault(f"{claim.kind}|{claim.text}", claim)
        # a claim said plainly somewhere is not hedged by being said with a hedge elsewhere too
        return [c for c in claims.values() if not (c.hedged and f"{c.kind}|{replace(c, hedged=False).text}" in claims)]

    # -- one sentence: tokens -> elements (mentions, predicates, other words) -> claims --------

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
            while j < len(tokens) and tokens[j] in DEGREE_WORDS:
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
        while k < len(tokens) and tokens[k] in DEGREE_WORDS:
            k += 1
        return k < len(tokens) and not self._is_name(tokens[k]) and normalize_phrase(tokens[k]) in self.lexicon.attributes

    def _starts_noun(self, tokens: Sequence[str], j: int) -> bool:
        tok = tokens[j]
        if tok in ("one", "ones"):
            return False
        return tok.isalpha() and tok not in STOPWORDS and tok not in NOT_NOUNS and self._predicate_at(tokens, j) is None

    def _elements(self, tokens: Sequence[str]) -> list[tuple[str, object]]:
        out: list[tuple[str, object]] = []
        i, negated_clause = 0, False
        hedged, undecided = hedging(tokens)
        absent_next = False  # after "isn't", "don't see any": the next plain mention is absent
        while i < len(tokens):
            tok = tokens[i]
            pred = self._predicate_at(tokens, i)
            if pred is not None and not (tok == "by" and not out):
                absent_next = False  # "the square is not next to the circle": no absence
                out.append(("pred", pred[1]))
                i += pred[0]
                continue
            if tok in (",", ";", ":") or tok in ("and", "while", "whereas", "but"):
                negated_clause = False if tok not in ("and",) else negated_clause
                absent_next = absent_next and tok == "and" and negated_clause
                out.append(("sep", tok))
                i += 1
                continue
            if tok in ATTRIBUTE_VERBS:  # "the circle is red and shiny"
                used, attributes, negated = self._attribute_list_at(tokens, i + 1)
                if attributes:
                    out.append(("word", tok))
                    said = None if negated or negated_clause or undecided[i] else Said(attributes, hedged[i] != PLAIN)
                    out.append(("attrs", said))
                    i += 1 + used
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
        predicates: list[str] = []
        for kind, value in elements:
            if kind == "pred":
                predicates.append(str(value))
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
                        claims.append(Claim("relation", s, predicate=predicate, object=o, hedged=s.hedged or o.hedged,
                                            alternatives=alternatives))
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
