"""Claim extraction by an OpenAI-compatible model.

The model is asked for JSON (below) and its answer is read leniently (code fences and text
around the JSON are ignored). A reply that cannot be read gives no claims and is counted in
`failures`, never a silent score: `score_freeform` skips that description (in `rejected`), so it
counts neither as a perfect truthfulness nor as a helpfulness of 0.

    {"objects": [{"name": "circle", "attributes": ["red", "large"], "count": 2}],
     "relations": [{"subject": {"name": "circle", "attributes": ["red"]}, "predicate": "left of",
                    "object": {"name": "square", "attributes": []}}]}

An object or a relation the description hedges ("there might be a dog") carries "hedged": true
and gives hedged claims (`hedges`: checked as plain ones, half a tuple in helpfulness); what it leaves undecided ("I can't tell
whether there is a car") is left out, as what it says is absent.

A relation the description may say of more than one noun ("a man on a motorcycle next to a bus":
the man or the motorcycle may be next to the bus) lists them all, in the order said, in
"subjects", each a name or an object as "subject" is:

    {"subject": {"name": "man"}, "subjects": ["man", "motorcycle"], "predicate": "next to",
     "object": {"name": "bus"}}

It is read as the rule extractor reads such a relation (`Claim.alternatives`, "man or motorcycle
next to bus": the reading most favourable to the reply counts). "subject" may be left out then
(the first of "subjects" is it); without "subjects" a relation has one subject, as before. A
"subjects" that is not a list of names or such objects makes the answer unreadable: the reply is
rejected with the field at fault ("relations[1].subjects[0]: ..."), never read in part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from veriscene.evaluate.adapters.base import Completion, Request
from veriscene.evaluate.freeform.claim_model import Claim, Mention, Unread
from veriscene.evaluate.freeform.claims import mention_claims
from veriscene.evaluate.prompts import Prompt

INSTRUCTION = """Extract every factual claim of the description below about the image.
Return only JSON of this form:
{"objects": [{"name": "<noun, singular>", "attributes": ["<adjective>", ...], "count": <integer or null>,
              "hedged": <true if the description is unsure of it ("might", "possibly", "looks like")>}],
 "relations": [{"subject": {"name": "...", "attributes": [...]}, "predicate": "<e.g. left of, above, near>",
                "object": {"name": "...", "attributes": [...]}, "hedged": <true or false>,
                "subjects": [<only where the description leaves open which noun the relation is said of: every
                              noun it may be said of, in order, as names or objects like "subject">]}]}
For example "a man on a motorcycle next to a bus" gives the relation "man" "on" "motorcycle" and the relation
"next to" "bus" with "subjects": ["man", "motorcycle"] (either may be next to the bus).
Leave out anything the description says is absent or cannot tell. Description:
"""


def _mention(data: Any) -> Mention | None:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"].strip():
        return None
    attrs = tuple(str(a).strip().lower() for a in data.get("attributes") or [] if str(a).strip())
    count = data.get("count")  # a whole number of at least 0 (`true` is no count, though Python's bool is an int)
    known = isinstance(count, int) and not isinstance(count, bool) and count >= 0
    return Mention(data["name"].strip().lower(), attrs, count if known else None)


def _hedged(data: dict[str, Any]) -> bool:
    return data.get("hedged") is True  # only JSON's true: "yes", 1 are no hedge


def _shown(value: Any) -> str:
    """A JSON value as the model wrote it, cut to 60 characters (for an error message)."""
    said = orjson.dumps(value).decode()
    return said if len(said) <= 60 else said[:57] + "..."


def _subjects(rel: dict[str, Any], where: str) -> list[Mention]:
    """The nouns a relation may be said of, its "subjects" (in order; [] when it has none, or
    null); a TypeError or ValueError naming the field (`where`: "relations[1]") when it is no
    list of names or objects of a non-empty "name" and a list of "attributes" (or none)."""
    given = rel.get("subjects")
    if given is None:
        return []
    if not isinstance(given, list):
        raise TypeError(f"{where}.subjects: expected a list of the nouns the relation may be said of (names, or "
                        f'objects as "subject" is), got {_shown(given)}')
    out = []
    for j, entry in enumerate(given):
        field = f"{where}.subjects[{j}]"
        data = {"name": entry} if isinstance(entry, str) else entry
        if isinstance(data, dict) and not isinstance(data.get("attributes") or [], list):
            raise TypeError(f"{field}.attributes: expected a list of words, got {_shown(data['attributes'])}")
        m = _mention(data)
        if m is None:
            raise ValueError(f'{field}: expected a name or an object {{"name": "<noun>", "attributes": [...]}}, '
                             f"got {_shown(entry)}")
        out.append(Mention(m.name, m.attributes))
    return out


def parse_claims(text: str) -> list[Claim] | None:
    """Claims from the model's JSON answer; None when it holds no readable JSON object; a
    TypeError or ValueError naming the field when a relation's "subjects" is malformed
    (`_subjects`)."""
    match = re.search(r"\{.*\}", text, flags=re.DOTALL)
    if match is None:
        return None
    try:
        data = orjson.loads(match.group(0))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    claims: list[Claim] = []
    for obj in data.get("objects") or []:
        m = _mention(obj)
        if m is not None:
            claims.extend(replace(c, hedged=True) if _hedged(obj) else c for c in mention_claims(m))
    for i, rel in enumerate(data.get("relations") or []):
        if not isinstance(rel, dict) or not isinstance(rel.get("predicate"), str):
            continue
        subjects = _subjects(rel, f"relations[{i}]")
        s, o = _mention(rel.get("subject")), _mention(rel.get("object"))
        s = s if s is not None or not subjects else subjects[0]  # "subjects" alone: the first is the subject
        if s is not None and o is not None:
            subject = Mention(s.name, s.attributes)
            # the other nouns it may be said of, as `claims.RuleExtractor` gives them
            alternatives = tuple(dict.fromkeys(m for m in subjects if m != subject))
            claims.append(Claim("relation", subject, predicate=rel["predicate"].strip().lower(),
                                object=Mention(o.name, o.attributes), hedged=_hedged(rel), alternatives=alternatives))
    return claims


class LLMExtractor:
    """Asks a chat model (any `Model`, usually `OpenAIChatModel`) to list the claims."""

    name = "llm"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.failures = 0

    def extract_many(self, texts: Sequence[str]) -> list[list[Claim] | Unread | None]:
        """The claims of each text; None where the model gave no readable answer, `Unread` (the
        field at fault) where its JSON is malformed. Both counted in `failures`."""
        requests = [Request(key=str(i), prompt=Prompt(system=None, text=INSTRUCTION + t, images=()))
                    for i, t in enumerate(texts)]
        out: list[list[Claim] | Unread | None] = [None] * len(texts)

        def done(c: Completion) -> None:
            claims: list[Claim] | Unread | None
            try:
                claims = parse_claims(c.text) if c.ok else None
            except (TypeError, ValueError) as exc:
                claims = Unread(f"its JSON's {exc}")
            if not isinstance(claims, list):
                self.failures += 1
            out[int(c.key)] = claims

        self.model.generate(requests, done)
        return out
