"""Verbs that agree with the phrases put into a template ("What color are the jeans?").

Templates are written for a singular phrase in each slot ("What color is {the_ref}?"). A
candidate names the slots whose phrase takes a plural verb (`Candidate.plural`: "the jeans", a
name plural in form, `text.takes_plural_verb`), and the template is rendered with the verbs beside
those slots made plural (`agree`): the runner does so for every question.
"""

from __future__ import annotations

import re
from typing import Sequence

from veriscene.scene.describe import Referent
from veriscene.text import takes_plural_verb

# The verbs a template says beside a slot, written for a singular phrase, and their plural forms.
_PLURAL_VERBS = {"is": "are", "Is": "Are", "does": "do", "Does": "Do", "has": "have", "Has": "Have",
                 "was": "were", "Was": "Were"}
# before the slot, maybe after "the" and an adjective slot ("is the {ext} {name}"); after it,
# unless another noun phrase follows, whose verb it is ("On which side of {the_b} is {the_a}?")
_VERB_BEFORE = r"\b({verbs}) ((?:the )?(?:\{{ext\}} )?\{{{slot}\}})"
_VERB_AFTER = r"(\{{{slot}\}}) ({verbs})\b(?! \{{the_| the \{{)"


def agree(template: str, plural_slots: Sequence[str]) -> str:
    """`template` (written for singular phrases) with the verbs beside each slot of
    `plural_slots` made plural, and "its" made "their": ("What is {the_ref} made of?",
    ["the_ref"]) -> "What are {the_ref} made of?" ("the jeans"), "Does {the_a} take up ..." ->
    "Do {the_a} ...", "{the_a} is {rel} ..." -> "{the_a} are {rel} ...", "Is the {ext} {name}"
    -> "Are the {ext} {name}". A verb in a slot ({rel}) is the generator's to agree
    (`agreeing_relation_phrase`)."""
    if not plural_slots:
        return template
    verbs = "|".join(_PLURAL_VERBS)
    for slot in plural_slots:
        template = re.sub(_VERB_BEFORE.format(verbs=verbs, slot=slot),
                          lambda m: f"{_PLURAL_VERBS[m.group(1)]} {m.group(2)}", template)
        template = re.sub(_VERB_AFTER.format(verbs=verbs, slot=slot),
                          lambda m: f"{m.group(1)} {_PLURAL_VERBS[m.group(2)]}", template)
    return re.sub(r"\bits\b", "their", template)


def plural_slots(**phrases: Referent | str) -> tuple[str, ...]:
    """The slots (`Candidate.plural`) whose phrase takes a plural verb: a referent of a name plural
    in form (`Referent.plural`), or a name that is ("jeans": `takes_plural_verb`)."""
    return tuple(slot for slot, p in phrases.items()
                 if (p.plural if isinstance(p, Referent) else takes_plural_verb(p)))
