"""The combined free-form score (the F1 of truthfulness and helpfulness; 0 for a reply without
claims), which neither listing everything nor saying nothing raises, and the helpfulness of a
comparison caption, which counts the names each image holds said of that image (its gold 1.0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.evaluate.conftest import samples
from veriscene.evaluate.freeform import score_texts
from veriscene.evaluate.freeform.api import FreeformReport
from veriscene.evaluate.freeform.responses import response_item
from veriscene.evaluate.freeform.score import ReplyScore, combined_score
from veriscene.evaluate.freeform.scorer import sample_item
from veriscene.evaluate.report import freeform_markdown
from veriscene.scene.jsonl import read_scenes


def test_combined_score_is_the_f1_and_zero_without_claims() -> None:
    assert combined_score(1.0, 1.0) == 1.0
    assert combined_score(0.5, 1.0) == pytest.approx(2 / 3)
    assert combined_score(1.0, 0.05) == pytest.approx(2 * 0.05 / 1.05)
    assert combined_score(0.0, 1.0) == 0.0
    assert combined_score(0.7, None) == 0.0  # no checkable claim: nothing earned


def _scored(demo_run: Path, task: str, reply: Any, n: int = 8) -> list[ReplyScore]:
    """Scores of `reply(sample, names, attributes)` to the first `n` samples of `task`."""
    scene_map = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    names = sorted({name for s in scene_map.values() for name in s.names})
    attributes = sorted({a for s in scene_map.values() for o in s.attributes for a in o})
    picked = [s for s in samples(demo_run) if s["task"] == task][:n]
    assert picked
    items = []
    for s in picked:
        item = sample_item([i["id"] for i in s["images"]], reply(s, names, attributes), s["question"], s, scene_map)
        assert not isinstance(item, str)
        items.append(item)
    return score_texts(items, scene_map, matcher="lexical")[0]


def _every_name_and_attribute(s: dict[str, Any], names: list[str], attributes: list[str]) -> str:
    return " ".join(f"There is a {a} {n}." for n in names for a in attributes)


def test_listing_everything_earns_helpfulness_but_not_the_combined_score(demo_run: Path) -> None:
    gold = _scored(demo_run, "region.describe.v1", lambda s, n, a: s["answer"])
    listed = _scored(demo_run, "region.describe.v1", _every_name_and_attribute)
    assert all(r.helpfulness == 1.0 and r.combined == 1.0 for r in gold)
    assert all(r.helpfulness == 1.0 for r in listed)  # helpfulness alone is gamed: read the two together
    assert max(r.combined for r in listed) < 0.25


def test_a_reply_without_claims_scores_zero_combined(demo_run: Path) -> None:
    for reply in ("", "The image shows a number of objects of various shapes on a plain background."):
        for r in _scored(demo_run, "scene_graph.caption.v1", lambda s, n, a, text=reply: text, n=3):
            assert r.truthfulness is None and r.combined == 0.0
            assert r.to_dict()["combined"] == 0.0


def test_a_comparison_caption_is_scored_on_the_names_each_image_holds(demo_run: Path) -> None:
    task = "multi.compare_caption.v1"
    gold = _scored(demo_run, task, lambda s, n, a: s["answer"])
    assert all(r.helpfulness == 1.0 and r.truthfulness == 1.0 for r in gold)  # (0.16 before: all tuples)
    # every object listed, tied to no image: true, but it says nothing of which image holds what
    untied = _scored(demo_run, task, _every_name_and_attribute)
    assert all(r.helpfulness == 0.0 and r.combined == 0.0 for r in untied)
    # every name claimed of every image: all the facts, and the false ones cost truthfulness
    every = _scored(demo_run, task, lambda s, names, a: " ".join(
        f"Image {k + 1} contains a {name}." for k in range(len(s["images"])) for name in names))
    assert all(r.helpfulness == 1.0 for r in every)
    assert sum(r.combined for r in every) < sum(r.combined for r in gold)
    # half the caption's sentences: about half the facts, all true
    half = _scored(demo_run, task, lambda s, n, a: _first_half(s["answer"]))
    assert all(r.truthfulness in (None, 1.0) for r in half)
    assert 0.0 < sum(r.helpfulness for r in half) / len(half) < 1.0


def _first_half(text: str) -> str:
    sentences = text.split(". ")
    return ". ".join(sentences[: max(1, len(sentences) // 2)]).rstrip(".") + "."


def test_a_comparison_line_without_its_sample_is_read_by_its_task(demo_run: Path) -> None:
    scene_map = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    s = next(x for x in samples(demo_run) if x["task"] == "multi.compare_caption.v1")
    images = [i["id"] for i in s["images"]]
    item = response_item({"id": "elsewhere", "task": s["task"]}, images, s["answer"], {}, scene_map)
    assert not isinstance(item, str) and item.comparison
    plain = response_item({"id": "elsewhere"}, images, s["answer"], {}, scene_map)
    assert not isinstance(plain, str) and not plain.comparison


def test_the_summary_counts_replies_without_claims_zero_in_combined_and_says_them() -> None:
    records = [{"helpfulness": 1.0, "truthfulness": 1.0, "combined": 1.0, "hallucinations": []},
               {"helpfulness": 0.0, "truthfulness": None, "combined": 0.0, "hallucinations": []},
               # a record written before the combined score: computed from the two
               {"helpfulness": 0.5, "truthfulness": 1.0, "hallucinations": []}]
    summary = FreeformReport("rules", "lexical", records=records).summary(n_boot=20)
    assert summary["truthfulness"] == 1.0 and summary["truthfulness_n"] == 2 and summary["no_claims"] == 1
    assert summary["combined"] == pytest.approx((1.0 + 0.0 + 2 / 3) / 3)
    assert summary["combined_ci"][0] <= summary["combined"] <= summary["combined_ci"][1]
    text = freeform_markdown(summary)
    assert "| combined |" in text
    assert "mean of the 2 replies stating a checkable claim: 1 without one are left out of it" in text


_ABSENT = " ".join(f"There is no {w}." for w in ("zebra", "car", "tree", "person", "house", "boat", "cloud", "lamp",
                                                 "chair", "table", "bottle", "phone", "book", "clock", "horse"))


def test_true_absences_are_no_padding(demo_run: Path) -> None:
    """A true "there is no X" states no fact of the graph and is not counted in truthfulness (a false
    one is): padding a reply with absences of things no image holds raised its truthfulness and
    combined score (a region description with three false claims: 0.47 -> 0.84 with 15 of them)."""
    wrong = " There is a large purple circle. There are two green stars. There is a tiny blue hexagon."
    for task in ("region.describe.v1", "scene_graph.caption.v1", "multi.compare_caption.v1"):
        plain = _scored(demo_run, task, lambda s, n, a: s["answer"] + wrong, n=4)
        padded = _scored(demo_run, task, lambda s, n, a: f"{s['answer']}{wrong} {_ABSENT}", n=4)
        for p, q in zip(plain, padded):
            assert q.truthfulness == pytest.approx(p.truthfulness) and q.combined == pytest.approx(p.combined)
            assert [c["text"] for c in q.claims if c["kind"] == "absent"]  # (listed, with their verdict)
    only = _scored(demo_run, "scene_graph.caption.v1", lambda s, n, a: _ABSENT, n=2)
    assert all(r.truthfulness is None and r.combined == 0.0 for r in only)
    # a false absence still costs
    s = next(x for x in samples(demo_run) if x["task"] == "scene_graph.caption.v1")
    scene = next(x for x in read_scenes(demo_run / "scenes.jsonl") if x.image_id == s["images"][0]["id"])
    false = _scored(demo_run, "scene_graph.caption.v1", lambda x, n, a: f"{x['answer']} There is no {scene.names[0]}.",
                    n=1)[0]
    assert false.truthfulness is not None and false.truthfulness < 1.0
