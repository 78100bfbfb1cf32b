"""Which words of a sentence a reply hedges or leaves undecided (`claims.RuleExtractor`).

VLMs hedge: "there might be a cup on the table", "possibly a dog", "it looks like a cat", "the
man appears to be wearing a red wetsuit"; and say what they cannot decide: "I can't tell whether
there is a car", "I'm not sure if the lamp is on". Over the tokens of one sentence:

    hedged      a claim said with a hedge is kept, marked hedged (`Claim.hedged`, its text
                "maybe ..."). It is checked as a plain claim and counts as one in truthfulness
                (a hedge excuses no falsehood: "there might be a dog" where there is none is a
                hallucination, as "there is a dog" is), and states `HEDGED_WEIGHT` of the tuple
                it states in helpfulness (a reader cannot rely on it). So a hedged claim never
                earns more than the same claim said plainly, true or false: a reward cannot pay
                hedging (`score.score_claims`).
                A modal verb or a verb of seeming ("might", "may", "could", "appears to", "seems
                to", "looks like", "I think", "I'd say"; not "looks red") hedges its whole clause, the words before it too ("a cup
                might be on the table"); an adverb ("possibly", "maybe", "probably", "possible
                that") the words after it to the clause's end ("a circle, possibly next to a
                square": the square), or its whole clause when it ends it ("the cup is on the
                table probably"); a clause of hedge words alone (", I think", ", probably", ", or
                so it seems", ", if I'm not mistaken") and "hard to tell", "not sure", "unclear"
                without "whether" the whole sentence; such a clause that denies (", I think
                not", ", probably not", ", or maybe not") leaves the sentence undecided. A relation or attribute is hedged when its
                predicate or verb is ("the cup might be on the table", "the cup is possibly
                left of the plate", "the triangle is probably red"), whether or not its objects
                are. "The image appears to show ..." hedges nothing: it is how replies open.
    undecided   the words after "whether", or "if" after a word of knowing ("can't tell if",
                "not sure if"), to the clause's end, state nothing: no claim, and no absence
                either ("I can't tell whether there is a car" is no "there is no car").

A clause ends at a comma, a semicolon, a colon, or "but", "while", "whereas", "although", "though".

Negations said with a verb (`says_absence`): "there isn't a dog", "there are not any cats", "I
don't see any dogs", "the image does not contain a car" say the mention after them is absent (an
"absent" claim); "it isn't a square" and "the dog doesn't have a collar" do not.
"""

from __future__ import annotations

from collections.abc import Sequence

HEDGED_WEIGHT = 0.5  # of the tuple a plain claim states, in helpfulness (in truthfulness: a whole claim)
PLAIN, LATER, HEDGED = 0, 1, 2  # a token's hedge (`hedging`)

_CLAUSE_ENDS = frozenset({",", ";", ":", ".", "!", "?", "but", "while", "whereas", "although", "though", "however"})
# hedge the words after them, to the clause's end
_ADVERBS = frozenset({"maybe", "possibly", "perhaps", "probably", "likely", "presumably", "apparently",
                      "seemingly", "supposedly", "potentially"})
HEDGE_ADVERBS = _ADVERBS  # (read between a verb and its attributes: "is probably red", `phrases`)
# hedge their whole clause
_MODALS = frozenset({"might", "may", "could", "appears", "appear", "seems", "seem", "looks", "look"})
_BELIEF = frozenset({"think", "believe", "guess", "suspect", "assume", "suppose", "reckon"})  # after "i": "I think ..."
# "possible that", "there is a chance that": hedge the words after them, as an adverb does
HEDGING_THAT = frozenset({"possible", "probable", "conceivable", "plausible", "chance", "likely"})
# the words of a clause that only hedges the sentence: ", I think", ", probably", ", or so it
# seems", ", if I'm not mistaken", ", at least I believe so"
_TAIL_MARKERS = _ADVERBS | _BELIEF | frozenset({"seems", "appears", "mistaken", "say"})
_TAIL_WORDS = _TAIL_MARKERS | frozenset({"i", "i'm", "i'd", "am", "it", "or", "so", "if", "not", "wrong", "would",
                                         "at", "least", "most", "very", "quite", "though", "anyway", "that", "is",
                                         "'s", "it's"})
_WHOLE_IMAGE = frozenset({"image", "picture", "photo", "photograph", "scene", "frame", "illustration", "drawing"})
# "hard to tell", "difficult to say", "not sure", "unclear": the sentence is unsure
_UNSURE = frozenset({"unclear", "uncertain", "unsure", "sure", "certain", "tell", "determine", "confirm"})
_KNOWING = _UNSURE | frozenset({"know", "say", "see", "clear"})  # "can't tell if", "not sure if"


# verbs said with "n't": what follows in the clause is negated ("there isn't a dog", "I don't see any cats")
NEGATED_VERBS = frozenset({"isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "can't", "cannot",
                           "couldn't", "haven't", "hasn't", "won't"})
# words between such a verb (or "not") and the mention it says is absent: "don't see any", "isn't a single"
SEEING = frozenset({"see", "find", "notice", "spot", "observe", "detect", "contain", "show", "include", "depict"})
BEFORE_ABSENT = SEEING | frozenset({"any", "a", "an", "single", "there", "be", "is", "are", "to", "visible", "not"})


def says_absence(tokens: Sequence[str], i: int) -> bool:
    """Whether the negation tokens[i] says the next plain mention is absent: "there isn't a dog",
    "there are not any cats", "I don't see any dogs", "the image does not contain a car"; not
    "it isn't a square" (what a thing is) or "the dog doesn't have a collar" (whose it is)."""
    after_there = tokens[max(0, i - 2):i] in (["there", "is"], ["there", "are"]) or tokens[i - 1:i] == ["there"]
    return after_there or (i + 1 < len(tokens) and tokens[i + 1] in SEEING)


def _clauses(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """[start, end) of each clause of the tokens (the ending word in neither)."""
    out, start = [], 0
    for i, tok in enumerate(tokens):
        if tok in _CLAUSE_ENDS:
            out.append((start, i))
            start = i + 1
    out.append((start, len(tokens)))
    return out


def _hedges_clause(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i] is a modal or a verb of seeming that hedges its clause."""
    tok = tokens[i]
    if tok in _BELIEF:
        return i > 0 and tokens[i - 1] == "i"
    if tok == "say":  # "I'd say", "I would say"
        return tokens[max(0, i - 1):i] == ["i'd"] or tokens[max(0, i - 2):i] == ["i", "would"]
    if tok not in _MODALS:
        return False
    if tok in ("looks", "look"):  # "looks like a cat"; not "looks red" (how it looks), "look at the cat"
        return tokens[i + 1:i + 2] == ["like"]
    if tok in ("appears", "appear", "seems", "seem"):  # "appears to be", "seems like"; not "appears red"
        # "the image appears to show": how replies open, no hedge
        return tokens[i + 1:i + 2] in (["to"], ["like"]) and not (i > 0 and tokens[i - 1] in _WHOLE_IMAGE)
    return True


def _unsure(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i] says the sentence is unsure: "not sure", "hard to tell", "unclear"."""
    tok = tokens[i]
    if tok in ("unclear", "uncertain", "unsure"):
        return True
    if tok in ("sure", "certain"):
        return i > 0 and tokens[i - 1] in ("not", "never", "isn't", "i'm", "am")
    if tok in ("tell", "say", "determine", "confirm"):
        return i > 1 and tokens[i - 1] == "to" and tokens[i - 2] in ("hard", "difficult", "impossible", "tricky")
    return False


def _hedges_after(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i] hedges the words after it in its clause: an adverb ("possibly"), or
    "possible that", "there is a chance that"."""
    if tokens[i] in _ADVERBS:
        return True
    return tokens[i] in HEDGING_THAT and tokens[i + 1:i + 2] == ["that"]


def _tail(tokens: Sequence[str], start: int, end: int) -> bool:
    """Whether the clause [start, end) only hedges the sentence (", I think", ", probably")."""
    words = tokens[start:end]
    return bool(words) and all(t in _TAIL_WORDS for t in words) and any(t in _TAIL_MARKERS for t in words)


def _denies(tokens: Sequence[str], start: int, end: int) -> bool:
    """Whether the clause [start, end) of hedge words takes back what the sentence says: ", I
    think not", ", probably not", ", or maybe not", ", I don't think so" (not ", if I'm not
    mistaken")."""
    words = tokens[start:end]
    if "don't" in words and "think" in words:  # ", I don't think so"
        words = [w for w in words if w != "don't"] + ["not"]
    return "not" in words and not any(w in ("mistaken", "wrong") for w in words) and _tail(words, 0, len(words))


def _undecided_from(tokens: Sequence[str], i: int) -> bool:
    """Whether the words after tokens[i] are undecided: "whether", or "if" after a word of knowing."""
    if tokens[i] == "whether":
        return True
    return tokens[i] == "if" and any(t in _KNOWING for t in tokens[max(0, i - 4):i])


def hedging(tokens: Sequence[str]) -> tuple[list[int], list[bool]]:
    """(hedge, undecided) of each token of one sentence (see the module docstring): hedge is
    `PLAIN`, `HEDGED`, or `LATER` (hedged by a modal after it in its clause: "a cup might be
    ...", where a definite mention, "the man appears to be ...", is not hedged: its object is)."""
    hedge = [PLAIN] * len(tokens)
    undecided = [False] * len(tokens)
    clauses = _clauses(tokens)
    if len(clauses) > 1 and any(_denies(tokens, start, end) for start, end in clauses[1:]):
        return hedge, [True] * len(tokens)  # "there is a dog, I think not": neither a dog nor none
    if (any(_unsure(tokens, i) for i in range(len(tokens))) and not any(t in ("whether", "if") for t in tokens)
            or len(clauses) > 1 and any(_tail(tokens, start, end) for start, end in clauses)):
        hedge = [HEDGED] * len(tokens)
    for start, end in clauses:
        for i in range(start, end):
            if _hedges_clause(tokens, i):
                hedge[start:i] = [max(h, LATER) if h != HEDGED else h for h in hedge[start:i]]
                hedge[i:end] = [HEDGED] * (end - i)
            elif _hedges_after(tokens, i):
                # "a dog, possibly a cat": the cat; "the cup is on the table probably": the clause
                first = start if i + 1 == end and end - start > 1 else i
                hedge[first:end] = [HEDGED] * (end - first)
            if _undecided_from(tokens, i):
                undecided[i:end] = [True] * (end - i)
    return hedge, undecided
