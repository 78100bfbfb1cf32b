"""The card's Citation section: veriscene's entry with the release, and each source's entries."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from veriscene.card import CardFacts, SampleTally, SceneFacts
from veriscene import __version__
from veriscene.card_cite import CLEVR, GQA, VISUAL_GENOME, citation_section, release_year, veriscene_bibtex


def facts(sources: dict[str, int] | None, version: str | None = "0.10.0") -> CardFacts:
    manifest = {"config": {"veriscene_version": version}} if version is not None else None
    scenes = SceneFacts("scenes.jsonl", scenes=sum((sources or {}).values()), sources=Counter(sources or {}))
    return CardFacts(Path("run"), manifest, SampleTally(), scenes=scenes if sources is not None else None)


def bibtex_blocks(text: str) -> list[str]:
    return [block.split("\n```", 1)[0] for block in text.split("```bibtex\n")[1:]]


def test_veriscene_entry_names_the_release() -> None:
    assert veriscene_bibtex("0.10.0") == (
        "@software{veriscene,\n"
        "  title   = {veriscene: verifiable vision-language data from scene graphs},\n"
        "  author  = {{veriscene developers}},\n"
        "  version = {0.10.0},\n"
        "  year    = {2026},\n"
        "  note    = {Questions generated from scene graphs, each with the program that computes its answer}\n"
        "}")
    assert "version" not in veriscene_bibtex(None) and "year" not in veriscene_bibtex(None)


@pytest.mark.parametrize("version, year", [
    ("0.1.0", 2026),
    ("0.11.0", 2026),
    (__version__, 2026),  # the installed release: a release in another year adds FIRST_RELEASE_OF_YEAR's line
    ("0.11.0.dev0", 2026),
    ("0.0.9", None),  # before the first release
    ("99.0.0", None),  # after the installed one: its year not known here
    ("unknown", None),
])
def test_a_release_s_year(version: str, year: int | None) -> None:
    assert release_year(version) == year
    assert ("  year    = {2026},\n" in veriscene_bibtex(version)) is (year is not None)


@pytest.mark.parametrize("sources, entries", [
    (None, []),
    ({}, []),
    ({"clevr": 3}, [CLEVR]),
    ({"gqa": 2, "visual_genome": 1}, [GQA, VISUAL_GENOME]),  # Visual Genome once, though both name it
])
def test_sources_are_cited_after_veriscene(sources: dict[str, int] | None, entries: list[str]) -> None:
    text = citation_section(facts(sources))
    assert text.startswith("## Citation\n\nThe data was generated with veriscene")
    assert bibtex_blocks(text) == [veriscene_bibtex("0.10.0")] + (["\n\n".join(entries)] if entries else [])


def test_every_split_s_sources_are_cited_and_unknown_ones_named() -> None:
    text = citation_section(facts({"coco": 1}), {"test": facts({"open_images": 1, "label_map": 2}, None)})
    assert "converted from COCO, Open Images annotations: cite them too" in text
    assert bibtex_blocks(text)[1].startswith("@inproceedings{lin2014coco,")
    assert "@article{kuznetsova2020openimages," in bibtex_blocks(text)[1]
    assert text.endswith("Scene graphs were also converted from `label_map` annotations: cite the data set they "
                         "came from as its publishers ask.")


def test_a_card_ends_with_its_citation() -> None:
    from veriscene.card_text import render_card

    alone = facts({"clevr": 1}, None)  # a samples file without its manifest: the release unknown
    text = render_card(alone, name="x")
    assert text.endswith(citation_section(alone) + "\n")
    assert bibtex_blocks(text)[-2:] == [veriscene_bibtex(None), CLEVR]
