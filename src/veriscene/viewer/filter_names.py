"""Task and family filters naming nothing: a misspelling, said as an error with the close names.
A filter may be a glob ("object.*", "multi_*": `entries.name_matches`); one matching nothing gets
the corrected globs `generate -g` offers (`_close_globs`).

`veriscene view RUN --family segmentaton --html x.html` wrote an empty page and exited 0. A name
is known when a sample read has it, the run's manifest records a generator of it (samples past
`--limit`), or a generator registered here has it (built-in or a plugin loaded): a known family
the run has no sample of ("--family depth" of a run made with `-g counting`) stays a note.
`filter_error` is asked by `view --html` (`write_html`), `view` served before it serves, and
the server of each list's query (`?family=...`): the same words wherever a filter is given.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

from veriscene.engine.manifest import read_manifest
from veriscene.errors import DataError
from veriscene.viewer.entries import Filters, is_glob, name_matches

if TYPE_CHECKING:
    from veriscene.viewer.catalog import Catalog


def run_names(path: Path, names_read: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(family, task) of the samples read and of the generators the run's manifest records (the
    run folder `path`, or the folder of a samples file `path`); an unreadable manifest adds none."""
    names = set(names_read)
    folder = path if path.is_dir() else path.parent
    try:
        manifest = read_manifest(folder) or {}
    except (DataError, OSError):
        return names
    generators = manifest.get("config", {}).get("generators")
    if isinstance(generators, dict):
        names |= {(str(g.get("family", "")), str(name)) for name, g in generators.items() if isinstance(g, dict)}
    return names


def unknown_filter(filters: Filters, path: Path, names_read: set[tuple[str, str]]) -> str | None:
    """The error to stop on for a task or family filter that names no family (task) of the run
    nor of any registered generator, with the close names; None when each names one."""
    from veriscene.generators.registry import select_generators  # (imports the generators: only here)

    in_run = run_names(path, names_read)
    registered = {(cls.family, cls.name) for cls in select_generators()}
    for field, given, at in (("family", filters.family, 0), ("task", filters.task, 1)):
        if not given or any(name_matches(pair[at], given) for pair in in_run | registered):
            continue
        here = sorted({pair[at] for pair in in_run})
        known = here + sorted({pair[at] for pair in registered} - set(here))  # the run's first
        if is_glob(given):
            close = _close_globs(given, known)
            what = f"no {field} of {path} nor of veriscene's generators matches the glob {given!r}"
        else:
            close = difflib.get_close_matches(given, known, n=3, cutoff=0.6)
            what = f"no {field} {given!r} in {path} nor among veriscene's generators"
        other, others = ("task", "tasks") if at == 0 else ("family", "families")
        if close:
            hint = f"did you mean {', '.join(repr(c) for c in close)}?"
        elif any(name_matches(pair[1 - at], given) for pair in in_run | registered):  # '--family object.*'
            hint = f"{given!r} names {others}: filter by {other} instead"
        elif at == 0:
            hint = f"the run's families: {', '.join(here) or 'none read'}"
        else:  # the tasks would run to a screenful
            hint = f"the run has {len(here)} tasks, e.g. {', '.join(here[:5]) or 'none read'}"
        return f"{what}; {hint} (`veriscene stats RUN` lists the run's tasks, families and modes)"
    return None


def _close_globs(glob: str, known: list[str]) -> list[str]:
    """Up to 3 globs close to `glob`, which matches none of the `known` names (tasks, or
    families): those `generate -g` offers for it (`registry.UnknownGenerator.suggestions`: the
    glob with one literal part corrected, "mult_c*" -> "multi_c*", "*cuont*" -> "*count*") that
    match one of them."""
    from veriscene.generators.registry import UnknownGenerator, select_generators

    try:
        select_generators(glob)
    except UnknownGenerator as exc:
        return [c for c in exc.suggestions if any(name_matches(name, c) for name in known)][:3]
    return []  # it selects generators by the other name (a family's glob given as a task)


def filter_error(catalog: Catalog, filters: Filters) -> str | None:
    """`unknown_filter` of the filters a listing of `catalog` is given (None for the scenes of
    scene files opened alone, and when no task or family is given). A name it finds unknown is in
    no sample read (those are known), so no sample can match: no listing is needed to tell."""
    if catalog.scene_rows is not None or not (filters.task or filters.family):
        return None
    return unknown_filter(filters, catalog.path, catalog.names_read)
