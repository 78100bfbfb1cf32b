"""Claim extraction by an OpenAI-compatible model.

The model is asked for JSON (below) and its answer is read leniently (code fences and text
around the JSON are ignored). A reply that cannot be read gives no claims and is counted in
`failures`, never a silent score: `score_freeform` skips that description (in `rejected`), so it
counts neither as a perfect truthfulness nor as a helpfulness of 0.

    {"objects": [{"name": "circle", "attributes": ["red", "large"], "count": 2}],
     "relations": [{"subject": {"name": "circle", "attributes": ["red"]}, "predicate": "left of",
                    "object": {"name": "square", "attributes": []}}]}

An object or a relation the description hedges ("there might be a dog") carries "hedged": true
and gives hedged claims (`hedges`: they weigh half); what it leaves undecided ("I can't tell
whether there is a car") is left out, as what it says is absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import orjson

from veriscene.evaluate.adapters.base import Completion, Request
from veriscene.evaluate.freeform.claims import Claim, Mention, mention_claims
from veriscene.evaluate.prompts import Prompt

INSTRUCTION = """Extract every factual claim of the description below about the image.
Return only JSON of this form:
{"objects": [{"name": "<noun, singular>", "attributes": ["<adjective>", ...], "count": <integer or null>,
              "hedged": <true if the description is unsure of it ("might", "possibly", "looks like")>}],
 "relations": [{"subject": {"name": "...", "attributes": [...]}, "predicate": "<e.g. left of, above, near>",
                "object": {"name": "...", "attributes": [...]}, "hedged": <true or false>}]}
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


def parse_claims(text: str) -> list[Claim] | None:
    """Claims from the model's JSON answer; None when it holds no readable JSON object."""
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
    for rel in data.get("relations") or []:
        if not isinstance(rel, dict) or not isinstance(rel.get("predicate"), str):
            continue
        s, o = _mention(rel.get("subject")), _mention(rel.get("object"))
        if s is not None and o is not None:
            claims.append(Claim("relation", Mention(s.name, s.attributes), predicate=rel["predicate"].strip().lower(),
                                object=Mention(o.name, o.attributes), hedged=_hedged(rel)))
    return claims


class LLMExtractor:
    """Asks a chat model (any `Model`, usually `OpenAIChatModel`) to list the claims."""

    name = "llm"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.failures = 0

    def extract_many(self, texts: Sequence[str]) -> list[list[Claim] | None]:
        requests = [Request(key=str(i), prompt=Prompt(system=None, text=INSTRUCTION + t, images=()))
                    for i, t in enumerate(texts)]
        out: list[list[Claim] | None] = [None] * len(texts)

        def done(c: Completion) -> None:
            claims = parse_claims(c.text) if c.ok else None
            if claims is None:
                self.failures += 1
            out[int(c.key)] = claims

        self.model.generate(requests, done)
        return out
