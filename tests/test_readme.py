"""The README's lists that a command prints too: the generators table and the command table."""

import re
from pathlib import Path

from typer.main import get_command

from veriscene.cli import app
from veriscene.generators.catalog import generator_catalog

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
_ROW = re.compile(r"^\| `([a-z_.0-9]+\.v\d+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \| (.*) \|$", re.M)


def test_the_generators_table_is_what_veriscene_generators_prints() -> None:
    rows = {m.group(1): m.groups()[1:] for m in _ROW.finditer(README)}
    catalog = generator_catalog()
    assert sorted(rows) == sorted(g["name"] for g in catalog)
    for g in catalog:
        family, answer, _, example = (x.strip() for x in rows[g["name"]])
        assert (family, answer, example) == (g["family"], g["answer_type"], g["example"]), g["name"]


def test_every_command_is_in_the_readme_table() -> None:
    for name in get_command(app).commands:  # type: ignore[attr-defined]
        assert f"| `veriscene {name}" in README, name
