"""Attributes from a vision-language model on an OpenAI-compatible server (a fake one, real HTTP)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from veriscene.evaluate.adapters.base import ModelConfigError

pytest.importorskip("httpx")  # in the test extra: never skipped by `make test`

from veriscene.annotate import VLMAttributes, annotate, annotate_images  # noqa: E402
from veriscene.annotate.vlm import type_words  # noqa: E402
from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel  # noqa: E402
from veriscene.io.rejects import RejectReport  # noqa: E402

from ..evaluate.fake_server import Faults, FakeServer  # noqa: E402
from .test_pipeline import draw_scene, fake_detector  # noqa: E402

REPLIES = {("cup", "color"): "It is red.", ("cup", "material"): "ceramic",
           ("ball", "color"): "It isn't red, it is blue", ("ball", "material"): "none",
           ("box", "color"): "Hard to say, maybe purple or pink.", ("box", "material"): "cardboard"}


def answer(text: str, images: list[str]) -> str:
    found = re.search(r"shows a (\w+), cut out .* What is its (\w+)\?", text)
    assert found and len(images) == 1
    return REPLIES[(found.group(1), found.group(2))]


def test_attributes_from_the_model(tmp_path: Path) -> None:
    draw_scene(tmp_path / "p.png")
    with FakeServer(answer, faults=Faults(rate_500=0.3)) as server:  # some requests need a retry
        model = OpenAIChatModel("fake-vlm", server.url, backoff_base=0.001)
        (s,) = annotate_images(tmp_path / "p.png", detector=fake_detector, attributes_model=VLMAttributes(model))
    ball, cup, box = range(3)
    assert s.attributes[cup] == ("ceramic", "red")
    assert s.attributes[ball] == ("blue",)  # the denied word is not the answer; "none" gives nothing
    assert s.attributes[box] == ()  # two colours named, and a material not among the words
    made_by = s.meta["annotated_by"]["attributes"]
    assert made_by["kinds"] == ["color", "material"] and made_by["model"]["model"] == "fake-vlm"
    assert s.meta["sparse"] == ["attributes", "relations"]


def test_a_server_refusing_every_request_stops_the_run(tmp_path: Path) -> None:
    for k in range(3):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    with FakeServer(answer) as server:
        url = server.url
    model = OpenAIChatModel("fake-vlm", url, max_retries=0)  # the server is gone: every connection is refused
    report = RejectReport()
    # no server ever answered: a configuration error, said after the first request (not after
    # every image's) with the URL, as `eval` says it
    with pytest.raises(ModelConfigError, match=f"no server answers at {url}/chat/completions .*is base_url right"):
        list(annotate_images(tmp_path / "photos", detector=fake_detector, report=report,
                             attributes_model=VLMAttributes(model, ["color"])))


def test_cli_and_kinds(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    assert type_words("finish") == ["matte", "shiny", "glossy", "dull", "metallic"]
    with pytest.raises(ValueError, match="unknown attribute type 'flavour'"):
        type_words("flavour")
    draw_scene(tmp_path / "photos" / "p.png")
    detector = tmp_path / "detector.py"  # the CLI takes model folders: check its wiring up to loading
    done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector", str(detector),
                                    "--attributes-model", "fake", "--out", str(tmp_path / "s.jsonl")])
    assert done.exit_code == 2 and "--base-url" in done.output  # a usage error
    with FakeServer(answer) as server:
        summary = annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=fake_detector,
                           attributes_model=VLMAttributes(OpenAIChatModel("fake-vlm", server.url), ["material"]))
    assert summary.scenes_written == 1


def relation_answer(text: str, images: list[str]) -> str:
    found = re.search(r"marks a (\w+), the blue outline a (\w+)\.", text)
    assert found and len(images) == 1
    return {("cup", "ball"): "The cup is next to the ball.", ("ball", "cup"): "none"}.get(found.groups(), "on")


def test_relations_from_the_model(tmp_path: Path) -> None:
    from veriscene.annotate import VLMRelations

    draw_scene(tmp_path / "p.png")
    with FakeServer(relation_answer) as server:
        relater = VLMRelations(OpenAIChatModel("fake-vlm", server.url), near=0.3)
        (s,) = annotate_images(tmp_path / "p.png", detector=fake_detector, relations_model=relater, relations=False)
    ball, cup, box = range(3)
    assert (cup, "next to", ball) in s.relations and not any(r[0] == ball and r[2] == cup for r in s.relations)
    assert (box, "on", ball) in s.relations  # the box's corner overlaps the ball's: near enough
    assert s.meta["sparse"] == ["attributes", "relations"]
    assert s.meta["annotated_by"]["relation_model"]["predicates"][:3] == ["on", "in", "holding"]
    assert relater.pairs([[0, 0, 10, 10], [50, 0, 60, 10]], 100, 100) == []  # 40 px apart: not near
    assert VLMRelations(OpenAIChatModel("m", server.url), near=0.5).pairs(
        [[0, 0, 10, 10], [50, 0, 60, 10]], 100, 100) == [(0, 1), (1, 0)]
    with pytest.raises(ValueError, match="at least one predicate"):
        VLMRelations(OpenAIChatModel("m", server.url), predicates=[" "])
