"""The sample list by free-form scores: filtered by a largest helpfulness or truthfulness, sorted
lowest first, each row with its scores and the claims not in the scene graph; served, written to
HTML and given on the command line, from eval's freeform.jsonl or a `score-freeform --out` file."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

import veriscene.viewer
from tests.viewer.test_viewer import get, records, serving
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.evaluate import evaluate
from veriscene.viewer import Catalog, Filters, write_html

HALLUCINATED = "A purple pentagon floats above a dog."


def is_free(sample: dict[str, Any]) -> bool:
    return sample["answer_type"] == "text" and not sample.get("choices")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("listing")
    run_demo(out, scenes=3, seed=5)
    return out


@pytest.fixture(scope="module")
def evaluated(run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A replay whose descriptions are, in turn: the gold one, a hallucination, the gold one
    with a made-up sentence; free-form scores by the lexical matcher."""
    out = tmp_path_factory.mktemp("listing_eval")
    free = [s["id"] for s in records(run) if is_free(s)]

    def reply(s: dict[str, Any]) -> str:
        if s["id"] not in free:
            return str(s["answer"])
        return [s["answer"], HALLUCINATED, s["answer"] + " A red banana is on a table."][free.index(s["id"]) % 3]

    (out / "replies.jsonl").write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": reply(s)}) + b"\n"
                                                 for s in records(run)))
    evaluate(run, f"replay:{out / 'replies.jsonl'}", out / "eval", freeform="lexical", reports=False)
    return out / "eval"


def scores(evaluated: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(orjson.loads, (evaluated / "freeform.jsonl").read_bytes().splitlines())}


def ids_of(catalog: Catalog, chosen: Any) -> list[str]:
    return [catalog.entries[k].id for k in chosen]


def test_sorted_lowest_first_and_filtered_by_largest_score(run: Path, evaluated: Path) -> None:
    catalog = Catalog.open(run, results=evaluated)
    free = scores(evaluated)
    assert len(free) >= 6
    in_run = [s["id"] for s in records(run) if s["id"] in free]
    by_help = ids_of(catalog, catalog.select(Filters(sort="helpfulness")))
    assert by_help == sorted(in_run, key=lambda i: free[i]["helpfulness"])  # stable: ties in run order
    assert [free[i]["helpfulness"] for i in by_help][:3] == [0.0, 0.0, 0.0]
    by_truth = ids_of(catalog, catalog.select(Filters(sort="truthfulness")))
    assert [free[i]["truthfulness"] for i in by_truth] == sorted(free[i]["truthfulness"] for i in in_run)
    untrue = ids_of(catalog, catalog.select(Filters(max_truthfulness=0.95)))
    assert untrue == [i for i in in_run if free[i]["truthfulness"] <= 0.95]  # run order without a sort
    assert all(free[i]["hallucinations"] for i in untrue)
    # 0 is a limit: only the replies none of whose claims holds
    zero = Filters(max_truthfulness=0.0)
    assert not zero.empty and zero.given() == {"max_truthfulness": "0"}
    assert ids_of(catalog, catalog.select(zero)) == [i for i in in_run if free[i]["truthfulness"] == 0.0]
    both = Filters(max_helpfulness=0.5, sort="truthfulness", mode=catalog.entries[catalog.select(zero)[0]].mode)
    assert all(free[i]["helpfulness"] <= 0.5 for i in ids_of(catalog, catalog.select(both)))


@pytest.mark.parametrize("given, said", [({"sort": "score"}, "sort must be helpfulness or truthfulness"),
                                         ({"max_truthfulness": 1.5}, "max_truthfulness must be a number from 0 to 1"),
                                         ({"max_helpfulness": "half"}, "max_helpfulness must be a number")])
def test_bad_score_filters_are_refused(given: dict[str, Any], said: str) -> None:
    with pytest.raises(ValueError, match=said):
        Filters(**given)


def test_the_served_list_shows_the_scores_and_false_claims_worst_first(run: Path, evaluated: Path) -> None:
    catalog = Catalog.open(run, results=evaluated)
    free = scores(evaluated)
    chosen = list(catalog.select(Filters(sort="truthfulness")))
    with serving(catalog) as base:
        status, _, body = get(base + "/?sort=truthfulness")
        text = html.unescape(body.decode())
        assert status == 200
        assert "<th>helpfulness</th><th>truthfulness</th><th>claims not in the scene graph</th>" in text
        rows = re.findall(r"<tr><td><a href='/sample/(\d+)\?sort=truthfulness'>", text)
        assert [int(k) for k in rows] == chosen
        worst = free[catalog.entries[chosen[0]].id]
        assert worst["truthfulness"] == 0.0
        assert (f"<td>{worst['helpfulness']:.2f}</td><td>0.00</td>"
                f"<td class='bad'>{'; '.join(worst['hallucinations'])}</td>") in text
        assert "<option value='truthfulness' selected>" in text
        # a sample opened from the sorted list: previous / next in score order
        middle = html.unescape(get(base + f"/sample/{chosen[1]}?sort=truthfulness")[2].decode())
        assert f"/sample/{chosen[0]}?sort=truthfulness'>" in middle and f"/sample/{chosen[2]}?sort=truthfulness'>" in middle
        assert f"sample 2 of {len(chosen)} matching sort truthfulness" in middle
        second = free[catalog.entries[chosen[1]].id]
        assert second["truthfulness"] == 0.0  # (three hallucinated descriptions)
        assert f"truthfulness 0.00 · <span class='bad'>not in the scene graph: {'; '.join(second['hallucinations'])}" in middle
        limited = html.unescape(get(base + "/?max_truthfulness=0")[2].decode())
        assert re.findall(r"/sample/(\d+)\?max_truthfulness=0'", limited)
        assert "value='0'" in limited
        assert get(base + "/?max_helpfulness=lots")[0] == 404


def test_without_scores_the_list_says_why(run: Path, tmp_path: Path) -> None:
    lines = [s for s in records(run) if is_free(s)][:2]
    (tmp_path / "results.jsonl").write_bytes(b"".join(orjson.dumps(
        {"id": s["id"], "status": "not_scored", "reply": "A cube.", "parsed": None}) + b"\n" for s in lines))
    catalog = Catalog.open(run, results=tmp_path)  # eval --freeform off: no freeform.jsonl
    with serving(catalog) as base:
        text = html.unescape(get(base + "/?sort=helpfulness")[2].decode())
    assert f"No free-form scores of these samples in {tmp_path / 'freeform.jsonl'}" in text
    assert "page 1 of 1 (0 samples)" in text


def test_html_and_command_line_take_a_score_freeform_file(run: Path, evaluated: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    free = scores(evaluated)
    # the scores of another scoring (score-freeform --out): every description rated 0.5 but one
    other = tmp_path / "llm_scores.jsonl"
    ids = list(free)
    other.write_bytes(b"".join(orjson.dumps({"id": i, "helpfulness": 0.1 if i == ids[-1] else 0.5,
                                             "truthfulness": 0.5, "hallucinations": ["a flying cube"]}) + b"\n"
                               for i in ids))
    summary = write_html(run, tmp_path / "worst.html", results=evaluated, freeform=other, count=2,
                         filters=Filters(sort="helpfulness"))
    assert (summary.samples_written, summary.samples_matching, summary.freeform_scores) == (2, len(ids), len(ids))
    page = (tmp_path / "worst.html").read_text()
    assert "helpfulness 0.10 &middot; truthfulness 0.50" in page and "a flying cube" in page
    cards = page.split("<div id='sample-")[1:]
    assert "helpfulness 0.10" in cards[0] and "helpfulness 0.50" in cards[1]  # the lowest first

    cli = CliRunner().invoke(app, ["view", str(run), "--results", str(evaluated), "--html", str(tmp_path / "c.html"),
                                   "--max-truthfulness", "0", "--count", "50"])
    assert cli.exit_code == 0, cli.output
    zero = sum(r["truthfulness"] == 0.0 for r in free.values())
    assert f"wrote {zero} of {zero} matching samples" in cli.output
    served: list[Catalog] = []

    def fake_view(path: str, scenes: Any = None, **options: Any) -> None:
        catalog = Catalog.open(path, results=options["results"], freeform=options["freeform"])
        served.append(catalog)
        options["on_ready"]("http://127.0.0.1:8123/", catalog)

    monkeypatch.setattr(veriscene.viewer, "view", fake_view)
    cli = CliRunner().invoke(app, ["view", str(run), "--results", str(evaluated), "--freeform", str(other),
                                   "--sort", "helpfulness"])
    assert cli.exit_code == 0, cli.output
    assert f"{len(ids)} samples match the filters given: http://127.0.0.1:8123/?sort=helpfulness" in cli.output
    assert served[0].freeform[ids[-1]]["helpfulness"] == 0.1
    refused = CliRunner().invoke(app, ["view", str(run), "--sort", "truthfulness"])
    assert refused.exit_code == 2 and "--sort needs --results" in refused.output
    with pytest.raises(FileNotFoundError, match="no such file of free-form scores"):
        Catalog.open(run, results=evaluated, freeform=tmp_path / "missing.jsonl")
