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


def _options() -> dict[str, set[str]]:
    """Command name -> every spelling of its options (`--out`, `-o`, `--no-chart`, ...)."""
    commands = get_command(app).commands  # type: ignore[attr-defined]
    return {name: {o for p in command.params for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))
                   if o.startswith("-")}
            for name, command in commands.items()}


# `veriscene CMD ...` up to the end of its line or of its inline code; a `\` continuation joined.
_COMMAND = re.compile(r"veriscene ([a-z][a-z-]*)([^`\n]*)")
_OPTION = re.compile(r"(?<![\w\[-])(--?[a-zA-Z][\w-]*)")


def test_every_option_the_readme_gives_a_command_is_one_of_its_options() -> None:
    options = _options()
    wrong = []
    for command, rest in _COMMAND.findall(README.replace("\\\n", " ")):
        if command not in options:  # prose: "veriscene eval` and ...", "veriscene 0.3.0 runs here"
            continue
        for option in _OPTION.findall(rest.split("#")[0]):  # a shell comment is prose
            if option.split("=")[0] not in options[command]:
                wrong.append(f"veriscene {command} {option}")
    assert not wrong, wrong


def test_every_option_of_every_command_is_in_the_readme() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    missing = []
    for name, command in commands.items():
        for param in command.params:
            spellings = [o for o in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ()))
                         if o.startswith("--") and o != "--help"]
            if spellings and not any(re.search(re.escape(o) + r"(?![\w-])", README) for o in spellings):
                missing.append(f"veriscene {name} {spellings[0]}")
    assert not missing, missing


def test_every_python_name_the_readme_gives_can_be_imported() -> None:
    """`veriscene.io.export.export`, `veriscene.text.UNIT_NOUNS`, ...: a module, then attributes."""
    import importlib

    wrong = []
    for name in sorted(set(re.findall(r"`(veriscene(?:\.\w+)+)", README))):
        parts = name.split(".")
        if parts[-1] in ("yaml", "json", "py"):  # a file: veriscene.yaml of an lmms-eval task
            continue
        found = next((k for k in range(len(parts), 0, -1) if _importable(".".join(parts[:k]))), 0)
        obj: object = importlib.import_module(".".join(parts[:found])) if found else None
        for attribute in parts[found:]:
            obj = getattr(obj, attribute, None)
        if obj is None:
            wrong.append(name)
    assert not wrong, wrong


def _importable(module: str) -> bool:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces to
    hyphens (no page here repeats a heading, so no "-1" suffixes)."""
    heads = re.findall(r"^#{1,6} (.+)$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_links_between_the_readme_and_docs_lead_somewhere() -> None:
    """Every relative link of README.md, CHANGELOG.md and docs/*.md names a file that exists, and every
    #anchor a heading of the page it points into."""
    root = Path(__file__).parents[1]
    pages = [root / "README.md", root / "CHANGELOG.md", *sorted((root / "docs").glob("*.md"))]
    wrong = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                wrong.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked.read_text(encoding="utf-8")):
                wrong.append(f"{page.name}: {target} (no such heading)")
    assert not wrong, wrong
