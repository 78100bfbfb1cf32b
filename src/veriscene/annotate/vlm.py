"""Attributes of detected objects from a vision-language model served elsewhere (vLLM, or any
OpenAI-compatible server), through the evaluation adapters (`veriscene.evaluate.adapters`).

For each object and each attribute type asked (`kinds`, types of `veriscene.vocab`: color,
material, ...), the model sees the object's crop (its box widened by `context` of its size on each
side) and an open question: "What is the material of this chair? Answer with one word from: metal,
wooden, ... or none." The reply is read as the evaluation reads answers (`parse_answer`, the type's
words as vocabulary, a denied word refused), and a word of the type becomes the object's attribute;
"none", another word or an unreadable reply gives none. Requests of one image go to the server at
once (the adapter's `concurrency`); failed requests (after the adapter's retries) give no attribute,
and when every request of an image fails the image is rejected (the model stage failed).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Sequence

from PIL import Image

from veriscene.answers import parse_answer
from veriscene.vocab import ATTRIBUTE_TYPES

PROMPT = ("The picture shows a {name}, cut out of a larger image. What is its {kind}? Answer with one word "
          "from: {words}; or answer none if none of them fits or you cannot tell.")


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

    def _crop(self, image: Image.Image, box: Sequence[float]) -> Image.Image:
        x0, y0, x1, y1 = box
        dx, dy = (x1 - x0) * self.context, (y1 - y0) * self.context
        return image.crop((max(int(x0 - dx), 0), max(int(y0 - dy), 0),
                           min(int(x1 + dx + 0.999), image.width), min(int(y1 + dy + 0.999), image.height)))

    def __call__(self, image: Image.Image, objects: Sequence[tuple[str, Sequence[float]]]) -> list[list[str]]:
        from veriscene.evaluate.adapters.base import Request
        from veriscene.evaluate.prompts import Prompt

        found: list[list[str]] = [[] for _ in objects]
        if not objects or not self.kinds:
            return found
        replies: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix="veriscene-crops-") as folder:
            requests = []
            for k, (name, box) in enumerate(objects):
                crop = Path(folder) / f"{k}.png"
                self._crop(image, box).save(crop)
                for kind in self.kinds:
                    text = PROMPT.format(name=name, kind=kind, words=", ".join(self.words[kind]))
                    requests.append(Request(key=f"{k}\t{kind}", prompt=Prompt(None, text, (crop,))))
            self.model.generate(requests, lambda done: replies.__setitem__(done.key, done))
        if all(not c.ok for c in replies.values()):
            errors = sorted({c.error for c in replies.values() if c.error})
            raise RuntimeError(f"every request to the attribute model failed: {'; '.join(errors)[:200]}")
        for key, completion in sorted(replies.items()):
            if not completion.ok:
                continue
            k, kind = key.split("\t")
            words = self.words[kind]
            read = parse_answer(completion.text, "str", vocabulary=[*words, "none"])
            if read.ok and read.value in words:
                found[int(k)].append(read.value)
        return found
