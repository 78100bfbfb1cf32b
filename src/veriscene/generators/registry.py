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
            close = _close_selections(pattern)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"unknown generator or family '{pattern}'{hint}")
        chosen.update({n: GENERATORS[n] for n in hits})
    return [chosen[n] for n in sorted(chosen)]


_GLOB_CHARS = "*?["


def _close_selections(pattern: str) -> list[str]:
    """Up to 3 selections close to `pattern`, which matched no generator, closest first: families
    ("counting (family of 2 generators)": "countng" meant the family, not its one generator named
    "counting.compare.v1") beside generator names; for a glob ("countng.*", "multi_*"), the glob
    with its literal head corrected ("counting.*", "multi.*"), kept only when it selects something."""
    families: dict[str, int] = {}
    for cls in GENERATORS.values():
        families[cls.family] = families.get(cls.family, 0) + 1
    cut = min((pattern.find(c) for c in _GLOB_CHARS if c in pattern), default=-1)
    if cut < 0:
        labels = {n: n for n in GENERATORS} | {f: f"{f} (family of {k} generators)" if k > 1 else
                                               f"{f} (family of 1 generator)" for f, k in families.items()}
        return [labels[c] for c in difflib.get_close_matches(pattern, list(labels), n=3, cutoff=0.5)]
    head, tail = pattern[:cut], pattern[cut:]
    if not head:  # "*cuont*": no literal head to correct
        return []
    # heads a name can start with: its first len(head) characters, or its part up to any dot
    heads = {n[:len(head)] for n in GENERATORS} | {n[:i + 1] for n in GENERATORS for i, c in enumerate(n) if c == "."}
    found: dict[frozenset[str], str] = {}  # the generators a glob selects -> the first glob selecting them
    for near in difflib.get_close_matches(head, sorted(heads), n=10, cutoff=0.6):
        hits = frozenset(n for n in GENERATORS if fnmatch.fnmatch(n, near + tail))
        if hits and hits not in found:
            found[hits] = near + tail
    return list(found.values())[:3]


def _load_builtin() -> None:
    import veriscene.generators.builtin  # noqa: F401  (registers built-in generators once)
