"""The server answers a list's query naming no task or family with the words `veriscene view
--family` says (`filter_names.filter_error`, one function), and a misspelt mode, outcome or sort
with the value meant, as the command line does (helper-201; before, an empty list, unsaid)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.viewer import Catalog

from .conftest import STATS
from .test_viewer import get, serving


def _said(page: bytes) -> str:
    """The page's message, as text."""
    found = re.search(r"<p class='bad'>(.*?)</p>", page.decode())
    assert found, page[:300]
    return html.unescape(found.group(1))


def _cli(demo: Path, tmp_path: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["view", str(demo), *args, "--html", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    return " ".join(result.output.split()).removeprefix("error: ")


@pytest.mark.parametrize("query, option, said", [
    ("family=segmentaton", ("--family", "segmentaton"), "no family 'segmentaton' in {run} nor among veriscene's "
                                                        f"generators; did you mean 'segmentation'? {STATS}"),
    ("task=object.cont.v1", ("--task", "object.cont.v1"), "no task 'object.cont.v1' in {run} nor among veriscene's "
     f"generators; did you mean 'object.count.v1', 'object.absent.v1', 'object.exists.v1'? {STATS}"),
    ("mode=captions", ("--mode", "captions"), "mode must be one of qa, mc, caption, got 'captions'; did you mean "
                                              "'caption'?"),
])
def test_a_query_naming_nothing_is_said_as_the_cli_says_it(demo: Path, tmp_path: Path, query: str,
                                                            option: tuple[str, str], said: str) -> None:
    expected = said.format(run=demo)
    with serving(Catalog.open(demo)) as base:
        for route in ("/", "/sample/0"):  # the list, and a sample opened from it (previous / next within it)
            status, _, page = get(f"{base}{route}?{query}")
            assert status == 404
            assert _said(page) == expected
        status, _, page = get(f"{base}/?family=segmentation")  # a known one: its list
        assert status == 200 and b"segmentation." in page
    assert _cli(demo, tmp_path, *option) == expected


def test_close_values_of_the_other_filters_are_named() -> None:
    from veriscene.viewer import Filters

    for given, meant in ((dict(outcome="wrnog"), "'wrong'"), (dict(sort="truth"), "'truthfulness'")):
        with pytest.raises(ValueError) as caught:
            Filters(**given)
        assert str(caught.value).endswith(f"; did you mean {meant}?")


def test_a_known_family_without_samples_is_noted_on_the_list(demo: Path, tmp_path: Path) -> None:
    import veriscene

    counting = tmp_path / "counting"
    veriscene.generate(demo / "scenes.jsonl", counting, generators="counting")
    with serving(Catalog.open(counting)) as base:
        status, _, page = get(f"{base}/?family=depth")  # a family of veriscene's, not of this run
        assert status == 200
        assert _said(page) == ("No sample matches the filters given: `veriscene stats RUN` lists the run's tasks, "
                               "families and modes.")
        status, _, page = get(f"{base}/")
        assert b"No sample matches" not in page
