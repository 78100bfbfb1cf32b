"""Attributes and relations of detected objects from a vision-language model served elsewhere
(vLLM, or any OpenAI-compatible server), through the evaluation adapters
(`veriscene.evaluate.adapters`).

For each object and each attribute type asked (`kinds`, types of `veriscene.vocab`: color,
material, ...), the model sees the object's crop (its box widened by `context` of its size on each
side) and an open question: "What is the material of this chair? Answer with one word from: metal,
wooden, ... or none." The reply is read as the evaluation reads answers (`parse_answer`, the type's
words as vocabulary, a denied word refused), and a word of the type becomes the object's attribute;
"none", another word or an unreadable reply gives none. Requests of one image go to the server at
once (the adapter's `concurrency`); a failed request (after the adapter's retries) gives no attribute
and is reported as a rejected attribute of its object (field ``objects[k].attributes.<kind>``) and
counted (``attribute_requests_failed``); when every request of an image fails the image is rejected
(the model stage failed). A refused key, an unknown model or URL (HTTP 401, 403, 404) stops the run.

Relations (`VLMRelations`): for each pair of objects whose boxes are near (`near` of the image's
longer side apart, or overlapping), the model sees the part of the image holding both, the first
outlined in red and the second in blue, and is asked which of `predicates` the red one stands in to
the blue one, or none: "What is the red-outlined man doing with the blue-outlined horse? Answer
with one of: on, riding, holding, ..., or none." The predicate read becomes a relation. A failed
request is reported as a rejected relation (field ``relations[a,b]``) and counted
(``relation_requests_failed``), as attributes are.

A request fails on the server when no server answered it after the adapter's retries (timeouts,
HTTP 429 and 5xx, no connection: `batches.server_fault`); an image with such a failure (rejected,
or written without those attributes or relations) is done again by ``--resume``. One the server
refused (another 4xx, a reply with no answer) is not.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Sequence

from PIL import Image, ImageDraw

from veriscene.annotate.batches import Counted, ServerFailure, server_fault
from veriscene.answers import parse_answer
from veriscene.vocab import ATTRIBUTE_TYPES

# Predicates a relation stage asks about by default: the commonest non-spatial ones of Visual Genome
# (left/right/above/below come from the boxes)
PREDICATES = ("on", "in", "holding", "wearing", "riding", "sitting on", "standing on", "carrying",
              "eating", "using", "looking at", "attached to", "hanging on", "covering", "under", "behind",
              "in front of", "next to")
RELATION_PROMPT = ("The red outline marks a {a}, the blue outline a {b}. What is the {a} doing with the {b}, or "
                   "where is it relative to the {b}? Answer with one of: {words}; or answer none if none of "
                   "them fits or you cannot tell.")

PROMPT = ("The picture shows a {name}, cut out of a larger image. What is its {kind}? Answer with one word "
          "from: {words}; or answer none if none of them fits or you cannot tell.")


def _completions(model: Any, requests: list[Any], what: str) -> dict[str, Any]:
    """The completions of `requests` by key; RuntimeError when every one failed (`ServerFailure`
    when no server answered them: timeouts, HTTP 5xx, no connection, `batches.server_fault`)."""
    replies: dict[str, Any] = {}
    model.generate(requests, lambda done: replies.__setitem__(done.key, done))
    if requests and all(not c.ok for c in replies.values()):
        errors = sorted({c.error for c in replies.values() if c.error})
        message = f"every request to the {what} model failed: {'; '.join(errors)[:200]}"
        server = all(server_fault(c) for c in replies.values())
        raise ServerFailure(message) if server else RuntimeError(message)
    return replies


def _failed(replies: dict[str, Any], field: Any, what: str, level: str) -> Counted:
    """An empty `Counted` holding the failed requests of `replies`: each reported as a problem
    (``field(key)``), and counted under ``<what>_requests_failed``; those the server failed on
    counted in `server` (a resume asks again)."""
    failed = [(key, c) for key, c in sorted(replies.items()) if not c.ok]
    problems = [(field(key), f"the {what} model's request failed: {c.error}"[:300]) for key, c in failed]
    return Counted(counts={f"{what}_requests_failed": len(problems)}, problems=problems, level=level,
                   server=sum(server_fault(c) for _, c in failed))


def widened(image: Image.Image, box: Sequence[float], share: float) -> tuple[int, int, int, int]:
    """`box` grown by `share` of its width and height on each side, in whole pixels, within the image."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * share, (y1 - y0) * share
    return (max(int(x0 - dx), 0), max(int(y0 - dy), 0),
            min(int(x1 + dx + 0.999), image.width), min(int(y1 + dy + 0.999), image.height))


def type_words(kind: str) -> list[str]:
    """The attribute words of type `kind` (`veriscene.vocab.ATTRIBUTE_TYPES`), in their order there."""
    words = [word for word, k in ATTRIBUTE_TYPES.items() if k == kind]
    if not words:
        known = sorted(set(ATTRIBUTE_TYPES.values()))
        raise ValueError(f"unknown attribute type {kind!r}; known: {', '.join(known)}")
    return words


class VLMAttributes:
    """An attribute stage: (image, [(name, box), ...]) -> one list of attribute words per object."""

    def __init__(self, model: Any, kinds: Sequence[str] = ("color", "material"), *, context: float = 0.1) -> None:
        self.model = model  # a veriscene.evaluate.adapters Model (OpenAIChatModel, ...)
        self.kinds = list(dict.fromkeys(kinds))
        self.words = {kind: type_words(kind) for kind in self.kinds}
        if not 0.0 <= context <= 1.0:
            raise ValueError(f"context must be between 0 and 1, got {context}")
        self.context = context

    def describe(self) -> dict[str, Any]:
        return {"model": self.model.identity(), "kinds": self.kinds, "context": self.context}

    def __call__(self, image: Image.Image, objects: Sequence[tuple[str, Sequence[float]]]) -> Counted:
        from veriscene.evaluate.adapters.base import Request
        from veriscene.evaluate.prompts import Prompt

        found: list[list[str]] = [[] for _ in objects]
        if not objects or not self.kinds:
            return Counted(found)
        with tempfile.TemporaryDirectory(prefix="veriscene-crops-") as folder:
            requests = []
            for k, (name, box) in enumerate(objects):
                crop = Path(folder) / f"{k}.png"
                image.crop(widened(image, box, self.context)).save(crop)
                for kind in self.kinds:
                    text = PROMPT.format(name=name, kind=kind, words=", ".join(self.words[kind]))
                    requests.append(Request(key=f"{k}\t{kind}", prompt=Prompt(None, text, (crop,))))
            replies = _completions(self.model, requests, "attribute")
        for key, completion in sorted(replies.items()):
            if not completion.ok:
                continue
            at, kind = key.split("\t")
            words = self.words[kind]
            read = parse_answer(completion.text, "str", vocabulary=[*words, "none"])
            if read.ok and read.value in words:
                found[int(at)].append(read.value)
        failed = _failed(replies, lambda key: "objects[{}].attributes.{}".format(*key.split("\t")), "attribute",
                         "attribute")
        return Counted(found, failed.counts, failed.problems, failed.level, failed.server)


class VLMRelations:
    """A relation stage: (image, [(name, box), ...]) -> [(a, predicate, b), ...] between near objects."""

    def __init__(self, model: Any, predicates: Sequence[str] = PREDICATES, *, near: float = 0.05,
                 max_pairs: int = 30) -> None:
        self.model = model
        self.predicates = list(dict.fromkeys(p.strip() for p in predicates if p.strip()))
        if not self.predicates:
            raise ValueError("a relation stage needs at least one predicate to ask about")
        if not 0.0 <= near <= 1.0 or max_pairs < 1:
            raise ValueError(f"near must be between 0 and 1 and max_pairs at least 1, got {near}, {max_pairs}")
        self.near, self.max_pairs = near, max_pairs

    def describe(self) -> dict[str, Any]:
        return {"model": self.model.identity(), "predicates": self.predicates, "near": self.near,
                "max_pairs": self.max_pairs}

    def pairs(self, boxes: Sequence[Sequence[float]], width: int, height: int) -> list[tuple[int, int]]:
        """Ordered pairs of objects whose boxes are at most `near` of the longer image side apart,
        closest first (the first `max_pairs`)."""
        reach = self.near * max(width, height)
        found = []
        for a, (ax0, ay0, ax1, ay1) in enumerate(boxes):
            for b, (bx0, by0, bx1, by1) in enumerate(boxes):
                gap = max(bx0 - ax1, ax0 - bx1, by0 - ay1, ay0 - by1, 0.0)
                if a != b and gap <= reach:
                    found.append((gap, a, b))
        return [(a, b) for _, a, b in sorted(found)[: self.max_pairs]]

    def _view(self, image: Image.Image, box_a: Sequence[float], box_b: Sequence[float]) -> Image.Image:
        both = (min(box_a[0], box_b[0]), min(box_a[1], box_b[1]), max(box_a[2], box_b[2]), max(box_a[3], box_b[3]))
        left, top, right, bottom = widened(image, both, 0.1)
        view = image.crop((left, top, right, bottom))
        pen = ImageDraw.Draw(view)
        line = max(2, round(max(view.size) / 150))
        for box, colour in ((box_a, (255, 0, 0)), (box_b, (0, 0, 255))):
            pen.rectangle((box[0] - left, box[1] - top, box[2] - left - 1, box[3] - top - 1), outline=colour, width=line)
        return view

    def __call__(self, image: Image.Image, objects: Sequence[tuple[str, Sequence[float]]]) -> Counted:
        from veriscene.evaluate.adapters.base import Request
        from veriscene.evaluate.prompts import Prompt

        pairs = self.pairs([box for _, box in objects], image.width, image.height)
        if not pairs:
            return Counted()
        words = ", ".join(self.predicates)
        with tempfile.TemporaryDirectory(prefix="veriscene-pairs-") as folder:
            requests = []
            for a, b in pairs:
                view = Path(folder) / f"{a}-{b}.png"
                self._view(image, objects[a][1], objects[b][1]).save(view)
                text = RELATION_PROMPT.format(a=objects[a][0], b=objects[b][0], words=words)
                requests.append(Request(key=f"{a}\t{b}", prompt=Prompt(None, text, (view,))))
            replies = _completions(self.model, requests, "relation")
        found = []
        for key, completion in sorted(replies.items()):
            if not completion.ok:
                continue
            read = parse_answer(completion.text, "str", vocabulary=[*self.predicates, "none"])
            if read.ok and read.value in self.predicates:
                a, b = (int(v) for v in key.split("\t"))
                found.append((a, read.value, b))
        failed = _failed(replies, lambda key: "relations[{},{}]".format(*key.split("\t")), "relation", "relation")
        return Counted(sorted(found), failed.counts, failed.problems, failed.level, failed.server)
