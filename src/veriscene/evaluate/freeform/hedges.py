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

Where a hedge reaches. A clause ends at a semicolon, a colon, or "but", "while", "whereas",
"although", "though", "however"; a comma ends one only between two verbs, when the words since the
clause began hold a verb and the words after the comma (to the next) hold one too ("maybe there is
a dog, and a cat is on the bed": the cat is plain). So a hedge reaches over the commas of a list or
a parenthesis: "maybe there is a dog, a cat and a bird", "there might be a dog, a cat and a bird",
"I think there's a dog and, further back, a cat" hedge every animal; but a modal after "and",
"since", "because", "so" or "or" whose words before hold a verb hedges from there on ("a dog is on
the bed and it may be sleeping": not the dog; "there is a dog and there may be a cat": the cat); "I can't tell whether there
is a dog, a cat or a car" leaves all three undecided. Two narrower reaches: an adverb opening an
item of a list hedges that item ("a dog, maybe a cat, and a bird": the cat), and a modal in a
relative clause hedges the relative clause ("a dog, which might be on the bed, and a cat"; without
commas, "a dog that might be on the bed": the bed and where the dog is, not the dog).
(A clause of hedge words alone, ", I think", is still told between commas.)

Hedges read (how chat VLMs hedge): modals and verbs of seeming ("might", "may", "could", "seems
to be", "appears to be", "there appears", "it appears (that)", "it seems", "it would seem", "looks
like", "what looks like", "resembling"); belief ("I think", "I believe", "I guess", "I suspect",
"I'd say", "I'd guess", "I feel like", "my guess is", "if I had to guess"); adverbs ("maybe",
"perhaps", "possibly", "probably", "likely", "presumably", "apparently", "seemingly",
"supposedly", "potentially", "conceivably", "plausibly", "chances are", "it's possible (that)",
"a possible dog"); the sentence said unsure ("hard to tell", "difficult to make out", "not sure",
"I can't be sure", "I'm not entirely certain", "I cannot say for sure", "not clear", "unclear",
"as far as I can tell"). Not hedges: "I'm sure", "I'm fairly confident", "it is clear that",
"looks red" (how it looks), "the image appears to show" (how replies open).

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
                      "seemingly", "supposedly", "potentially", "conceivably", "plausibly"})
HEDGE_ADVERBS = _ADVERBS  # (read between a verb and its attributes: "is probably red", `phrases`)
# hedge their whole clause
_MODALS = frozenset({"might", "may", "could", "appears", "appear", "seems", "seem", "looks", "look"})
_BELIEF = frozenset({"think", "believe", "guess", "suspect", "assume", "suppose", "reckon", "feel"})  # "I think ..."
_BELIEVER = frozenset({"i", "i'd", "we"})  # who believes: "I think", "I'd guess", "we believe"
# hedge the words after them, as an adverb does: "something resembling a dog"
_RESEMBLING = frozenset({"resembling", "resembles", "resemble"})
# a negation before "sure", "certain", "clear" makes the sentence unsure ("not sure", "can't be
# certain", "cannot say for sure", "not entirely clear"); these words may stand between them
_NEGATIONS = frozenset({"not", "never", "no", "isn't", "aren't", "can't", "cannot", "couldn't", "don't", "doesn't",
                        "wasn't", "hardly"})
_BETWEEN_NEGATION = frozenset({"be", "say", "tell", "for", "entirely", "completely", "totally", "quite", "fully",
                               "really", "exactly", "too", "so", "very", "100", "100%", "absolutely", "it", "that",
                               "i'm", "am", "is"})
# a clause begins anew after a comma only between two verbs (`_reaches`)
_FINITE = frozenset({"is", "are", "was", "were", "am", "has", "have", "had", "do", "does", "did", "can", "could",
                     "may", "might", "will", "would", "should", "must", "shall", "see", "sees", "contains", "shows",
                     "includes", "features", "depicts", "sits", "stands", "lies", "hangs", "rests", "holds", "wears",
                     "appears", "seems", "looks", "think", "believe", "guess"})
_CONTRACTED = ("'s", "'re", "'m", "'ll", "'d", "'ve")  # "there's", "they're", "it'll": a verb
_RELATIVE = frozenset({"which", "who", "that", "where", "whose"})
# a modal after one of these, the words before it holding a verb, hedges from it on: "a dog is on
# the bed and it may be sleeping" (`_clause_start`)
_JOINING = frozenset({"and", "since", "because", "so", "or"})
# "possible that", "there is a chance that": hedge the words after them, as an adverb does
HEDGING_THAT = frozenset({"possible", "probable", "conceivable", "plausible", "chance", "likely"})
# adjectives that hedge the noun they stand before: "a possible dog", "an apparent cat" (no attribute of it)
HEDGE_ADJECTIVES = frozenset({"possible", "probable", "likely", "apparent", "potential", "presumed", "supposed",
                              "plausible"})
# the words of a clause that only hedges the sentence: ", I think", ", probably", ", or so it
# seems", ", if I'm not mistaken", ", at least I believe so"
_TAIL_MARKERS = _ADVERBS | _BELIEF | frozenset({"seems", "appears", "mistaken", "say", "far"})
_TAIL_WORDS = _TAIL_MARKERS | frozenset({"i", "i'm", "i'd", "am", "it", "or", "so", "if", "not", "wrong", "would",
                                         "at", "least", "most", "very", "quite", "though", "anyway", "that", "is",
                                         "'s", "it's", "as", "can", "tell", "see", "had", "to", "my", "best"})
# (", as far as I can tell", "if I had to guess, ...", "my best guess, ...")
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


# every word that can start a hedge, an unsure or undecided reading (`hedging` reads no sentence without one)
_TRIGGERS = (_ADVERBS | _MODALS | _BELIEF | _RESEMBLING | HEDGING_THAT | HEDGE_ADJECTIVES | _TAIL_MARKERS | _UNSURE
             | frozenset({"say", "chances", "clear", "make", "discern", "identify", "distinguish", "know", "far",
                          "whether", "if", "unclear", "uncertain", "unsure"}))


def _clauses(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """[start, end) of each clause of the tokens between commas (the ending word in neither)."""
    out, start = [], 0
    for i, tok in enumerate(tokens):
        if tok in _CLAUSE_ENDS:
            out.append((start, i))
            start = i + 1
    out.append((start, len(tokens)))
    return out


def _verb(tok: str) -> bool:
    return tok in _FINITE or tok in NEGATED_VERBS or tok.endswith(_CONTRACTED) and tok not in ("i'd",)


def _reaches(tokens: Sequence[str], segments: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, end) of each stretch a hedge reaches over (see the module docstring): the clauses
    `segments` (`_clauses`) joined over a comma unless there is a verb before it (since the
    stretch began) and after it (to the next comma)."""
    out, start, verb = [], 0, False
    for k, (seg_start, seg_end) in enumerate(segments):
        has_verb = any(_verb(t) for t in tokens[seg_start:seg_end])
        if k and (tokens[seg_start - 1] != "," or verb and has_verb):
            out.append((start, seg_start - 1))
            start, verb = seg_start, False
        verb = verb or has_verb
    out.append((start, len(tokens)))
    return out


def _segment(tokens: Sequence[str], i: int, end: int) -> int:
    """The end of the comma segment of tokens[i], within a stretch ending at `end`."""
    return next((j for j in range(i, end) if tokens[j] == ","), end)


def _clause_start(tokens: Sequence[str], first: int, i: int) -> int:
    """Where the clause of the modal tokens[i] begins, in a stretch beginning at `first`: after the
    last "and" ("since", "because", "so", "or") before it that the words since `first` reach with
    a verb ("a dog is on the bed and it may be sleeping": "it may be sleeping"; "there is a dog
    and there may be a cat": the cat); `first` when there is none ("a dog and a cat might be
    there")."""
    start = first
    for j in range(first + 1, i):
        if tokens[j] in _JOINING and any(_verb(t) for t in tokens[start:j]):
            start = j + 1
    return start


def _hedges_clause(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i] is a modal, a verb of seeming or of belief that hedges its clause."""
    tok = tokens[i]
    before = tokens[i - 1] if i > 0 else ""
    if tok in _BELIEF:
        if tok == "feel":  # "I feel like there is a dog"
            return before in _BELIEVER and tokens[i + 1:i + 2] == ["like"]
        # "I think", "I'd guess"; "my guess is", "if I had to guess"
        return before in _BELIEVER or tok == "guess" and before in ("my", "best", "to")
    if tok == "say":  # "I'd say", "I would say"
        return before == "i'd" or tokens[max(0, i - 2):i] == ["i", "would"]
    if tok == "chances":  # "chances are there is a dog"
        return tokens[i + 1:i + 2] == ["are"]
    if tok not in _MODALS:
        return False
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if tok in ("looks", "look"):  # "looks like a cat"; not "looks red" (how it looks), "look at the cat"
        return after == "like"
    if tok in ("appears", "appear", "seems", "seem"):  # "appears to be", "seems like"; not "appears red"
        if before in _WHOLE_IMAGE:  # "the image appears to show": how replies open, no hedge
            return False
        # "it appears (that) there is", "there appears to be", "it would seem"
        return after in ("to", "like") or before in ("it", "would", "there") and after in ("that", "there", "as", "")
    return True


def _knowing_subject(tokens: Sequence[str], j: int) -> bool:
    """Whether the negation tokens[j] before "clear" says the reply is unsure: its subject is
    "it", "that", "this" or the speaker ("it's not clear", "it is not entirely clear", "I'm not
    clear"), not a thing ("the water is not clear")."""
    before = tokens[j - 1]
    if before in ("is", "was") and j > 1:
        before = tokens[j - 2]
    return before in ("it", "that", "this", "it's", "that's", "i'm", "i", "am")


def _unsure(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i] says the sentence is unsure: "not sure", "hard to tell", "unclear"."""
    tok = tokens[i]
    if tok in ("unclear", "uncertain", "unsure"):
        return True
    if tok in ("sure", "certain", "clear"):  # "not sure", "I can't be certain", "cannot say for sure"
        j = i - 1
        while j >= 0 and tokens[j] in _BETWEEN_NEGATION:
            j -= 1
        if tok == "clear" and j > 0 and not _knowing_subject(tokens, j):
            return False  # "the water is not clear": how a thing looks, not what the reply knows
        return j >= 0 and tokens[j] in _NEGATIONS
    if tok in ("tell", "say", "determine", "confirm", "make", "discern", "identify", "distinguish", "know"):
        return i > 1 and tokens[i - 1] == "to" and tokens[i - 2] in ("hard", "difficult", "impossible", "tricky")
    if tok == "far":  # "as far as I can tell"
        return tokens[max(0, i - 1):i + 5] in (["as", "far", "as", "i", "can", "tell"], ["as", "far", "as", "i", "can", "see"]) \
            or tokens[i:i + 5] in (["far", "as", "i", "can", "tell"], ["far", "as", "i", "can", "see"])
    return False


def _hedges_after(tokens: Sequence[str], i: int) -> bool:
    """Whether tokens[i] hedges the words after it in its clause: an adverb ("possibly"),
    "possible that", "it's possible there", "a possible dog", "resembling"."""
    tok = tokens[i]
    if tok in _ADVERBS or tok in _RESEMBLING:
        return True
    before = tokens[i - 1] if i > 0 else ""
    if tok in HEDGE_ADJECTIVES and before in ("a", "an"):
        return True
    if tok not in HEDGING_THAT:
        return False
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    return after in ("that", "there") or before == "it's" or tokens[max(0, i - 2):i] == ["it", "is"]


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
    if _TRIGGERS.isdisjoint(tokens):  # (most sentences: no word that hedges or leaves undecided)
        return hedge, undecided
    clauses = _clauses(tokens)
    if len(clauses) > 1 and any(_denies(tokens, start, end) for start, end in clauses[1:]):
        return hedge, [True] * len(tokens)  # "there is a dog, I think not": neither a dog nor none
    if (any(_unsure(tokens, i) for i in range(len(tokens))) and not any(t in ("whether", "if") for t in tokens)
            or len(clauses) > 1 and any(_tail(tokens, start, end) for start, end in clauses)):
        hedge = [HEDGED] * len(tokens)
    for start, end in _reaches(tokens, clauses):
        segment_start = start  # of the comma segment of tokens[i]
        for i in range(start, end):
            if i > start and tokens[i - 1] == ",":
                segment_start = i
            if _hedges_clause(tokens, i):
                first, last = start, end
                if tokens[segment_start] in _RELATIVE:  # "a dog, which might be on the bed, and a cat"
                    first, last = segment_start, _segment(tokens, i, end)
                elif i - 1 > segment_start and tokens[i - 1] in _RELATIVE:  # "a dog that might be asleep"
                    first, last = i - 1, _segment(tokens, i, end)
                else:  # "a dog is on the bed and it may be sleeping": not the dog
                    first = _clause_start(tokens, first, i)
                if (tokens[i] in _BELIEF and i - 1 > first and tokens[i - 1] in _BELIEVER
                        and any(t not in _TAIL_WORDS for t in tokens[i + 1:last])):
                    first = i - 1  # "a dog and I think a cat": what follows "I think" (at the end: the clause)
                hedge[first:i] = [max(h, LATER) if h != HEDGED else h for h in hedge[first:i]]
                hedge[i:last] = [HEDGED] * (last - i)
            elif _hedges_after(tokens, i):
                # "a dog, possibly a cat": the cat; "the cup is on the table probably": the clause;
                # an item of a list: that item ("a dog, maybe a cat, and a bird")
                opens = i == segment_start or i == segment_start + 1 and tokens[segment_start] in ("and", "or")
                last = _segment(tokens, i, end) if segment_start > start and opens else end
                first = start if i + 1 == end and end - start > 1 else i
                if tokens[i] in HEDGE_ADJECTIVES and tokens[i - 1:i] in (["a"], ["an"]):
                    first = i - 1  # "a possible dog": the mention, from its determiner
                hedge[first:last] = [HEDGED] * (last - first)
            if _undecided_from(tokens, i):
                undecided[i:end] = [True] * (end - i)
    return hedge, undecided
