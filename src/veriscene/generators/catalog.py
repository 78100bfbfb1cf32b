"""A JSON-ready description of every registered generator (for `veriscene generators`)."""

from __future__ import annotations

from typing import Any

from veriscene.generators.registry import select_generators


def generator_catalog() -> list[dict[str, Any]]:
    rows = []
    for cls in select_generators():
        first_group = next(iter(cls.templates.values()), ())
        rows.append({
            "name": cls.name,
            "family": cls.family,
            "version": cls.version,
            "answer_type": cls.answer_type,
            "modes": list(cls.modes),
            "requires": list(cls.requires),
            "templates": sum(len(t) for t in cls.templates.values()),
            "example_template": first_group[0] if first_group else "",
            "description": cls.description,
        })
    return rows
