"""`view --task` and `--family` (and the served list's ?task= / ?family=) take globs as `generate
-g` does ("object.*", "multi_*"); a glob matching nothing is said with the corrected globs -g
offers, on the command line and served alike (`filter_names.filter_error`) (helper-204)."""

from __future__ import annotations

import fnmatch
import html
import re
import urllib.parse
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.viewer import Catalog, Filters

from .conftest import STATS
from .test_viewer import get, serving


def _ids(run: Path, field: str, glob: str) -> list[str]:
    """The ids of the run's samples whose `field` the glob matches, in run order."""
    records = [orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines()]
    return [r["id"] for r in records if fnmatch.fnmatchcase(r[field], glob)]


@pytest.mark.parametrize("field, glob", [("task", "object.*"), ("family", "multi_*"), ("family", "count*"),
                                         ("task", "*.region.v1")])
def test_a_glob_keeps_the_samples_whose_name_it_matches(demo: Path, tmp_path: Path, field: str, glob: str) -> None:
    wanted = _ids(demo, field, glob)
    assert wanted and len(wanted) < len(_ids(demo, field, "*"))  # some samples, not all
    catalog = Catalog.open(demo)
    filters = Filters(task=glob) if field == "task" else Filters(family=glob)
    assert [catalog.entries[k].id for k in catalog.select(filters)] == wanted
    page = tmp_path / "x.html"
    result = CliRunner().invoke(app, ["view", str(demo), f"--{field}", glob, "--html", str(page),
                                      "--count", "1000"])
    assert result.exit_code == 0, result.output
    assert f"wrote {len(wanted)} of {len(wanted)} matching samples" in result.output
    with serving(Catalog.open(demo)) as base:
        status, _, listed = get(f"{base}/?{urllib.parse.urlencode({field: glob})}")
    assert status == 200
    # the glob stays chosen in the list's form (sent again with another filter), with its count
    assert f"<option value='{glob}' selected>{glob} ({len(wanted)})</option>" in listed.decode()


@pytest.mark.parametrize("field, glob, hint", [
    ("family", "mult_c*", "did you mean 'multi_c*', 'multi_*', 'multi_s*'?"),
    ("task", "*cuont*", "did you mean '*count*', '*counting*', '*point*'?"),
    ("family", "object.*", "'object.*' names tasks: filter by task instead"),
])
def test_a_glob_matching_nothing_is_said_as_generate_says_it(demo: Path, tmp_path: Path, field: str, glob: str,
                                                             hint: str) -> None:
    expected = (f"no {field} of {demo} nor of veriscene's generators matches the glob {glob!r}; {hint} {STATS}")
    result = CliRunner().invoke(app, ["view", str(demo), f"--{field}", glob, "--html", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    assert " ".join(result.output.split()).removeprefix("error: ") == expected
    assert not (tmp_path / "x.html").exists()
    with serving(Catalog.open(demo)) as base:
        status, _, page = get(f"{base}/?{urllib.parse.urlencode({field: glob})}")
    assert status == 404
    found = re.search(r"<p class='bad'>(.*?)</p>", page.decode())
    assert found and html.unescape(found.group(1)) == expected
