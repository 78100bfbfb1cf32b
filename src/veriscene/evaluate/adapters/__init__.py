"""Model adapters and `load_model`, which reads a model spec:

    openai:NAME     OpenAI-compatible chat completions server (needs base_url)
    hf:PATH         local Hugging Face transformers model folder (the ``ml`` extra)
    replay:FILE     replies stored in a JSONL file (``{"id", "reply"}`` per line)

A `Model` instance is accepted as is, and a Python function ``fn(request) -> str`` is wrapped
in a `FunctionModel` named by the function.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from veriscene.evaluate.adapters.base import Completion, Model, ModelConfigError, Request
from veriscene.evaluate.adapters.replay import FunctionModel, ReplayModel
from veriscene.option_names import option

KINDS = ("openai", "hf", "replay")


def _check_options(adapter: type, options: dict[str, Any], kind: str) -> None:
    """TypeError for an option the adapter does not take, naming the one it looks like."""
    import inspect

    taken = [p.name for p in inspect.signature(adapter).parameters.values()
             if p.kind is inspect.Parameter.KEYWORD_ONLY]
    for name in options:
        if name not in taken:
            close = difflib.get_close_matches(name, taken, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"{kind} models take no option {name!r}{hint}; they take {', '.join(taken)}")


def load_model(spec: str | Model | Callable[[Request], str], *, base_url: str | None = None,
               **options: Any) -> Model:
    """A model adapter from a spec string (see the module docstring); `options` go to the adapter
    (openai: concurrency, timeout, max_retries, max_retry_wait, temperature, max_tokens, extra_params, api_key_env;
    hf: batch_size, max_new_tokens, device, dtype)."""
    if isinstance(spec, Model):
        return spec
    if callable(spec):
        if options:
            raise ModelConfigError(f"a function as the model takes no options {sorted(options)}: "
                                   "wrap it in FunctionModel(fn, name=..., params=...)")
        return FunctionModel(spec, name=getattr(spec, "__name__", "function"))
    kind, sep, rest = str(spec).partition(":")
    if not sep or not rest or kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1) if sep and rest else []
        hint = f" (did you mean {close[0]}:{rest}?)" if close else ""
        raise ModelConfigError(f"model spec {spec!r} must be one of openai:NAME, hf:PATH, replay:FILE{hint}, "
                               "a Model, or a function fn(request) -> str")
    if kind == "openai":
        if not base_url:
            raise ModelConfigError(f"openai:NAME needs {option('base_url', '--base-url')}, e.g. "
                                   "http://localhost:8000/v1")
        from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel

        _check_options(OpenAIChatModel, options, "openai:NAME")
        return OpenAIChatModel(rest, base_url, **options)
    if kind == "hf":
        from veriscene.evaluate.adapters.transformers_local import TransformersModel

        _check_options(TransformersModel, options, "hf:PATH")
        return TransformersModel(rest, **options)
    unknown = sorted(set(options) - {"name"})
    if unknown:
        raise ModelConfigError(f"replay models take no options {unknown}")
    return ReplayModel(rest, **options)


__all__ = ["KINDS", "Completion", "FunctionModel", "Model", "ModelConfigError", "ReplayModel", "Request", "load_model"]
