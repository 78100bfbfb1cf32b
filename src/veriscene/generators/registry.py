"""The generator registry: versioned names, families, requirements, templates, default config.

    @register("object.count.v1", family="counting")
    class CountObjects(Generator): ...

Duplicate names are rejected; unknown names get close matches. All built-in generators are
imported in one place (`veriscene.generators.builtin`).

The built-in generators are registered by a call after their class,
``register("object.count.v1", family="counting")(CountObjects)``, the same registration: the
compiled build (`veriscene.compiled`) compiles their modules with mypyc, which builds a class
under a decorator of its own as a plain Python class (slower, and unable to subclass the
compiled classes beside it). Their classes are marked
``@mypyc_attr(allow_interpreted_subclasses=True)`` so that a plugin's class may subclass them
there too; a plugin's own class is registered with the decorator in either build.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from typing import Callable, TypeVar

from veriscene.generators.base import Generator
from veriscene.sample import without_version

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
        raise UnknownGenerator(f"unknown generator '{name}'{hint}", close) from None


class UnknownGenerator(KeyError):
    """A generator name, family or glob that selects nothing; `suggestions`: the close names or
    globs the message offers (empty: none close, so the name may be a plugin's not loaded)."""

    def __init__(self, message: str, suggestions: list[str]) -> None:
        super().__init__(message)
        self.suggestions = suggestions


def _matches(name: str, family: str, pattern: str) -> bool:
    """Whether a pattern selects the generator `name` of `family`: a glob over either ("multi_*"
    selects the multi_compare, multi_aggregate, ... families; "multi.*" their generators), or the
    name without its version ("object.count": every version of object.count registered)."""
    return (fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(family, pattern)
            or without_version(name) == pattern)


def select_generators(patterns: str | None = None) -> list[type[Generator]]:
    """Generators whose name or family matches any comma-separated glob pattern (all if None),
    sorted by name. A pattern matching nothing raises UnknownGenerator (a KeyError) with close
    matches."""
    _load_builtin()
    if not patterns:
        return [GENERATORS[n] for n in sorted(GENERATORS)]
    chosen: dict[str, type[Generator]] = {}
    for pattern in (p.strip() for p in patterns.split(",") if p.strip()):
        hits = [n for n, g in GENERATORS.items() if _matches(n, g.family, pattern)]
        if not hits:
            close = _close_selections(pattern)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            if not any(c in pattern for c in _GLOB_CHARS):
                raise UnknownGenerator(f"unknown generator or family '{pattern}'{hint}", close)
            listed = hint or "; `veriscene generators` lists the names and families"
            raise UnknownGenerator(f"no generator name or family matches the glob '{pattern}'{listed}", close)
        chosen.update({n: GENERATORS[n] for n in hits})
    return [chosen[n] for n in sorted(chosen)]


_GLOB_CHARS = "*?["
_GLOB_PART = re.compile(r"(\*|\?|\[[^\]]*\])")  # a glob's wildcards, between its literal parts


def _close_selections(pattern: str) -> list[str]:
    """Up to 3 selections close to `pattern`, which matched no generator, closest first: families
    ("counting (family of 2 generators)": "countng" meant the family, not its one generator named
    "counting.compare.v1") beside generator names; for a glob, the glob with one literal part
    corrected, kept only when it selects something: its head against the starts of names and
    families ("countng.*" -> "counting.*", "mult_c*" -> "multi_c*"), a later part against the
    words of names and families ("*cuont*" -> "*count*")."""
    families: dict[str, int] = {}
    for cls in GENERATORS.values():
        families[cls.family] = families.get(cls.family, 0) + 1
    parts = _GLOB_PART.split(pattern)  # literal parts at even positions, wildcards at odd ones
    if len(parts) == 1:
        labels = {n: n for n in GENERATORS} | {f: f"{f} (family of {k} generators)" if k > 1 else
                                               f"{f} (family of 1 generator)" for f, k in families.items()}
        return [labels[c] for c in difflib.get_close_matches(pattern, list(labels), n=3, cutoff=0.5)]
    selectable = [*GENERATORS, *families]
    # heads a name or family can start with: its first characters (one fewer or more than given:
    # a letter left out or typed twice), or its part up to a dot (as many dots as given, or one:
    # "relaton.*" -> "relation.*", not "relation.query.*")
    dots = max(1, parts[0].count("."))
    heads = sorted({n[:len(parts[0]) + d] for n in selectable for d in (-1, 0, 1)}
                   | {n[:i + 1] for n in selectable for i, c in enumerate(n) if c == "." and n[:i].count(".") < dots})
    words = sorted({w for n in selectable for w in re.split(r"[._]", n) if w} | set(selectable))
    found: dict[frozenset[str], str] = {}  # the generators a glob selects -> the first glob selecting them
    for at in range(0, len(parts), 2):
        given = parts[at]
        if len(given) < 2 or given in (".", "_"):
            continue
        for near in difflib.get_close_matches(given, heads if at == 0 else words, n=10, cutoff=0.6):
            glob = "".join(parts[:at] + [near] + parts[at + 1:])
            hits = frozenset(n for n, g in GENERATORS.items() if _matches(n, g.family, glob))
            if hits and hits not in found:
                found[hits] = glob
    return list(found.values())[:3]


def _load_builtin() -> None:
    import veriscene.generators.builtin  # noqa: F401  (registers built-in generators once)
