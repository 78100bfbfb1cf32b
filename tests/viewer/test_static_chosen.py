"""`write_html` keeps only the samples on its page (`Catalog.open(choose=)`): its memory does not
grow with the run, and the page is the one a catalog of the whole run makes. Before, `view --html
--limit 0` held every sample of the run (about 1.6 KiB each: 1.3 GB for 821,566 samples) to write
100 of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.viewer.test_viewer import records
from veriscene.demo.pipeline import run_demo
from veriscene.viewer import Catalog, Filters, write_html
from veriscene.viewer.images import data_uri, thumbnail


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("chosen")
    run_demo(out, scenes=6, seed=3)
    return out


def whole_page(run: Path, out: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> bytes:
    """The page as written from a catalog of every sample read (`choose` dropped)."""
    opened = Catalog.open.__func__  # type: ignore[attr-defined]

    def whole(cls: type[Catalog], *args: Any, choose: Any = None, **kw: Any) -> Catalog:
        catalog: Catalog = opened(cls, *args, **kw)
        assert catalog.chosen is None
        return catalog

    with monkeypatch.context() as patched:
        patched.setattr(Catalog, "open", classmethod(whole))
        write_html(run, out, **kwargs)
    return out.read_bytes()


def first_task_not_of(run: Path, image_id: str) -> tuple[str, int]:
    """A task of a sample of `image_id` other than its first sample's, and the position of that
    task's first sample showing it."""
    showing = [(k, s) for k, s in enumerate(records(run)) if image_id in [i["id"] for i in s["images"]]]
    first_task = showing[0][1]["task"]
    return next((s["task"], k) for k, s in showing if s["task"] != first_task)


@pytest.mark.parametrize("filters, count, limit", [
    (Filters(), 7, 0),
    (Filters(task="object.count.v1"), 3, 0),
    (Filters(family="segmentation", mode="mc"), 2, 0),
    (Filters(text="LEFT"), 4, 150),
    (Filters(task="object.count.v1", mode="caption"), 5, 0),  # none kept (a task no generator has is an error)
    (Filters(), 500, 40),
])
def test_the_page_is_the_page_of_the_whole_catalog(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   filters: Filters, count: int, limit: int) -> None:
    summary = write_html(run, tmp_path / "chosen.html", count=count, limit=limit, filters=filters)
    whole = whole_page(run, tmp_path / "whole.html", monkeypatch, count=count, limit=limit, filters=filters)
    assert (tmp_path / "chosen.html").read_bytes() == whole
    full = Catalog.open(run, limit=limit)
    assert summary.samples_matching == len(full.select(filters))
    assert summary.samples_written == min(count, len(full.select(filters)))


def test_only_the_chosen_samples_are_kept(run: Path) -> None:
    every = records(run)
    filters = Filters(task="object.count.v1")
    catalog = Catalog.open(run, limit=0, choose=(filters, 2))
    assert catalog.chosen is not None
    shown, matching = catalog.chosen
    wanted = [k for k, s in enumerate(every) if s["task"] == "object.count.v1"]
    assert matching == len(wanted) > 2
    assert [k for k, _ in shown] == wanted[:2]
    assert [catalog.entries[at].id for _, at in shown] == [every[k]["id"] for k in wanted[:2]]
    # the chosen samples and the first sample of each image they show: not the run's hundreds
    images = {i["id"] for k in wanted[:2] for i in every[k]["images"]}
    assert len(every) > 100 and len(catalog.entries) <= 2 + len(images)


def test_an_image_is_looked_for_where_its_first_sample_says(run: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A page showing a later sample of an image looks for the image file at the path of the
    image's first sample (as the whole catalog does), though that sample is not on the page."""
    every = records(run)
    image_id = every[0]["images"][0]["id"]
    task, later = first_task_not_of(run, image_id)
    lines = (run / "samples.jsonl").read_bytes().splitlines()
    other = next(p for p in sorted((run / "images").iterdir()) if image_id not in p.name)
    first = orjson.loads(lines[0])
    first["images"][0]["path"] = str(other)  # the first sample names another image's file
    copy = tmp_path / "samples.jsonl"
    copy.write_bytes(b"\n".join([orjson.dumps(first), *lines[1:]]) + b"\n")
    scenes = run / "scenes.jsonl"
    filters = Filters(image=image_id, task=task)
    catalog = Catalog.open(copy, scenes, limit=0, choose=(filters, 1))
    assert catalog.chosen is not None and [k for k, _ in catalog.chosen[0]] == [later] and later > 0
    assert catalog.image_file(image_id) == other
    write_html(copy, tmp_path / "chosen.html", scenes, count=1, limit=0, filters=filters)
    whole = whole_page(copy, tmp_path / "whole.html", monkeypatch, scenes=scenes, count=1, limit=0, filters=filters)
    assert (tmp_path / "chosen.html").read_bytes() == whole
    shown = thumbnail(other, 640)  # the other image's file is the one embedded
    assert shown is not None and data_uri(shown, "image/jpeg").encode() in whole


def test_unreadable_lines_are_told_once(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second reading (the images' first samples) adds no problem a first reading told."""
    lines = (run / "samples.jsonl").read_bytes().splitlines()
    copy = tmp_path / "samples.jsonl"
    copy.write_bytes(b"\n".join([lines[0], b"{not json", *lines[1:]]) + b"\n")
    scenes = run / "scenes.jsonl"
    filters = Filters(task=orjson.loads(lines[-1])["task"])
    summary = write_html(copy, tmp_path / "chosen.html", scenes, count=3, limit=0, filters=filters)
    assert summary.unreadable_lines == 1
    whole = whole_page(copy, tmp_path / "whole.html", monkeypatch, scenes=scenes, count=3, limit=0, filters=filters)
    assert (tmp_path / "chosen.html").read_bytes() == whole
