"""A model asked through the request cache: a reply once received is never requested again.

`eval` caches the evaluated model's replies itself (`runner`); the claim extractor of free-form
scoring (`freeform.llm_claims.LLMExtractor`, `--extractor llm`) asks its model through
`CachedModel`, in the same cache file (`RequestCache`, OUT/requests.sqlite of an evaluation run,
or `--cache FILE`), so that a resumed `eval`, an `eval` run again, or `score-freeform` of its
results sends no extraction already answered. A request's key is `cache.request_key` of the
model's identity (adapter, name, generation parameters) under "claim_extractor" and the prompt
(the extraction instruction and the reply): another extractor model, other parameters or another
reply is asked again. Failed requests are not cached (`RequestCache.put`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from veriscene.evaluate.adapters.base import Completion, Model, OnDone, Request
from veriscene.evaluate.cache import RequestCache, request_key


class CachedModel(Model):
    """`model`, whose replies are looked up in `cache` first and stored there as they come;
    `sent` and `from_cache` count the requests of each kind. Closing it closes the cache, not
    `model` (its owner closes it)."""

    def __init__(self, model: Model, cache: RequestCache, role: str = "claim_extractor") -> None:
        self.model = model
        self.cache = cache
        self.name = model.name
        self.params = model.params
        self._keyed = {role: model.identity()}  # a cache key's model part: no reply of the evaluated model
        self.sent = 0
        self.from_cache = 0

    def identity(self) -> dict[str, Any]:
        return self.model.identity()

    def generate(self, requests: Sequence[Request], on_done: OnDone) -> None:
        keys: dict[str, str] = {}  # request key -> cache key, of the requests sent
        misses: list[Request] = []
        for request in requests:
            key = request_key(self._keyed, request)
            hit = self.cache.get(key, request.key)
            if hit is not None:
                self.from_cache += 1
                on_done(hit)
            else:
                keys[request.key] = key
                misses.append(request)

        def done(completion: Completion) -> None:
            key = keys.pop(completion.key, None)
            if key is not None:
                self.cache.put(key, self.name, completion)  # (a failed request is not stored)
            on_done(completion)

        self.sent += len(misses)
        if misses:
            self.model.generate(misses, done)

    def counts(self) -> dict[str, int]:
        """{"sent": requests sent to the model, "from_cache": those answered from the cache}."""
        return {"sent": self.sent, "from_cache": self.from_cache}

    def close(self) -> None:
        self.cache.close()


def cached(model: Any, cache: RequestCache | str | os.PathLike[str] | None) -> Any:
    """`model` asked through the request cache file `cache` (a `CachedModel`), or `model` as it is
    when there is no cache or it is no `Model` (an extractor's spec, or none)."""
    if cache is None or not isinstance(model, Model):
        return model
    return CachedModel(model, cache if isinstance(cache, RequestCache) else RequestCache(Path(cache)))
