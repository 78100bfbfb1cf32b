"""The generator registry: versioned names, families, requirements, templates, default config.

    @register("object.count.v1", family="counting")
    class CountObjects(Generator): ...

Duplicate names are rejected; unknown names get close matches. All built-in generators are
imported in one place (`veriscene.generators.builtin`).
"""

from __future__ import annotations

import difflib
import fnmatch
from typing import Callable, TypeVar

from veriscene.generators.base import Generator

G = TypeVar("G", bound=type[Generator])

GENERATORS: dict[str, type[Generator]] = {}


def register(name: str, *, family: str) -> Callable[[G], G]:
    """Register a generator class under a versioned name like "object.count.v1"."""
    parts = name.rsplit(".", 1)
    if len(parts) != 2 or not parts[1].startswith("v") or not parts[1][1:].isdigit():
        raise ValueError(f"generator name '{name}' must end in a version, e.g. 'object.count.v1'")

    def decorate(cls: G) -> G:
        if name in GENERATORS:
            raise ValueError(f"generator '{name}' is already registered")
        cls.name = name
        cls.family = family
        cls.version = int(parts[1][1:])
        GENERATORS[name] = cls
        return cls

    return decorate


def get_generator(name: str) -> type[Generator]:
    _load_builtin()
    try:
        return GENERATORS[name]
    except KeyError:
        close = difflib.get_close_matches(name, GENERATORS, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown generator '{name}'{hint}") from None


def select_generators(patterns: str | None = None) -> list[type[Generator]]:
    """Generators whose name or family matches any comma-separated glob pattern (all if None),
    sorted by name. A pattern matching nothing raises KeyError with close matches."""
    _load_builtin()
    if not patterns:
        return [GENERATORS[n] for n in sorted(GENERATORS)]
    chosen: dict[str, type[Generator]] = {}
    for pattern in (p.strip() for p in patterns.split(",") if p.strip()):
        hits = [n for n, g in GENERATORS.items() if fnmatch.fnmatch(n, pattern) or g.family == pattern]
        if not hits:
            get_generator(pattern)  # raises KeyError with close matches
        chosen.update({n: GENERATORS[n] for n in hits})
    return [chosen[n] for n in sorted(chosen)]


def _load_builtin() -> None:
    import veriscene.generators.builtin  # noqa: F401  (registers built-in generators once)
