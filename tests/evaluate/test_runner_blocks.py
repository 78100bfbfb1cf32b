"""`evaluate` of every sample in blocks (`evaluate.stream`): the same results file, summary,
reports, free-form and process scores for blocks of any size (one block holding every sample is
what the run held before), after an interruption too, and memory that holds a block of samples,
not the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.evaluate.conftest import planned_reply, samples
from tests.evaluate.test_inputs_index import many_samples, traced_peak
from veriscene.evaluate import evaluate, stream
from veriscene.evaluate.inputs import load_samples, select

# what changes from one run to the next whatever is evaluated: the clock
_TIMED = ("throughput", "settings")


def _replies(run_samples: list[dict[str, Any]], path: Path) -> str:
    """A replay of planned replies (right, wrong, unparsable; hallucinating captions), every 9th
    sample left without one (an error)."""
    path.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": planned_reply(s)}) + b"\n"
                              for k, s in enumerate(run_samples) if k % 9 != 4))
    return f"replay:{path}"


def _outputs(out: Path) -> dict[str, Any]:
    """Every file of an evaluation, the summary without its clock; the reports without the lines
    that state the clock."""
    found: dict[str, Any] = {}
    for path in sorted(out.iterdir()):
        if path.name in ("requests.sqlite", ".veriscene-lock") or path.name.startswith("requests.sqlite-"):
            continue
        if path.name == "summary.json":
            summary = orjson.loads(path.read_bytes())
            found[path.name] = {k: v for k, v in summary.items() if k not in _TIMED}
        elif path.name in ("report.md", "report.html"):
            found[path.name] = [line for line in path.read_text().splitlines()
                                if "wall" not in line and "started" not in line and " s " not in line]
        else:
            found[path.name] = path.read_bytes()
    return found


@pytest.fixture
def messy(demo_run: Path, tmp_path: Path) -> Path:
    """The demo run's samples with a line not JSON, a sample missing its question, and repeats of
    some samples (same answers: evaluated once, the repeats rejected)."""
    lines = (demo_run / "samples.jsonl").read_bytes().splitlines()
    broken = orjson.loads(lines[3])
    del broken["question"]
    mixed = [*lines[:5], b"{not json", *lines[5:9], orjson.dumps(broken), *lines[9:], *lines[20:40]]
    path = tmp_path / "messy" / "samples.jsonl"
    path.parent.mkdir()
    path.write_bytes(b"\n".join(mixed) + b"\n")
    (path.parent / "images").symlink_to(demo_run / "images")
    return path


OPTIONS: list[dict[str, Any]] = [
    {},
    {"families": "counting,relation.*"},
    {"limit": 30, "seed": 4},
    {"freeform": "lexical"},
    {"process": True},
    {"cache": False},
]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_blocks_of_any_size_give_the_outputs_of_one(demo_run: Path, tmp_path: Path, options: dict[str, Any],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    model = _replies(samples(demo_run), tmp_path / "replies.jsonl")
    outputs = []
    for block in (10**9, 7, 1):  # one block holding every sample (the run as it was), blocks of 7, of 1
        monkeypatch.setattr(stream, "BLOCK", block)
        evaluate(demo_run, model, tmp_path / f"out-{block}", **{"freeform": "off", **options})
        outputs.append(_outputs(tmp_path / f"out-{block}"))
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]
    results = [orjson.loads(line) for line in outputs[0]["results.jsonl"].splitlines()]
    chosen = select(samples(demo_run), **{k: v for k, v in options.items() if k in ("families", "limit", "seed")})
    assert [r["id"] for r in results] == [s["id"] for s in chosen]  # every sample once, in sample order
    summary = outputs[0]["summary.json"]
    assert summary["counts"]["errors"] == sum(r["status"] == "error" for r in results) > 0
    if options.get("freeform"):
        assert summary["freeform"]["n"] > 0 and outputs[0]["freeform.jsonl"]
    if options.get("process"):
        assert summary["process"]["samples"] > 0 and outputs[0]["process.jsonl"]


def test_repeated_and_bad_lines_are_left_out_alike_in_blocks(messy: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    whole = load_samples(messy)
    model = _replies(whole.records, tmp_path / "replies.jsonl")
    outputs = []
    for block in (10**9, 4):
        monkeypatch.setattr(stream, "BLOCK", block)
        result = evaluate(messy, model, tmp_path / f"out-{block}", freeform="off")
        outputs.append(_outputs(tmp_path / f"out-{block}"))
        assert result.counts["rejected_lines"] == len(whole.rejected) > 20
    assert outputs[1] == outputs[0]
    assert [orjson.loads(line)["id"] for line in outputs[0]["results.jsonl"].splitlines()] == [
        s["id"] for s in whole.records]


class Stop(Exception):
    pass


@pytest.mark.parametrize("cache", [True, False])
def test_a_run_stopped_in_its_blocks_resumes_to_the_outputs_of_one_run(demo_run: Path, tmp_path: Path, cache: bool,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped part-way (many blocks written, one half asked), then run again: the records kept
    and those asked again end as one run of one block ends (results in sample order)."""
    model = _replies(samples(demo_run), tmp_path / "replies.jsonl")
    monkeypatch.setattr(stream, "BLOCK", 10**9)
    evaluate(demo_run, model, tmp_path / "whole", freeform="lexical", cache=cache)
    monkeypatch.setattr(stream, "BLOCK", 6)
    calls = [0]

    def stop(done: int, total: int) -> None:
        calls[0] += 1
        if calls[0] == 50:
            raise Stop

    out = tmp_path / "stopped"
    with pytest.raises(Stop):
        evaluate(demo_run, model, out, freeform="lexical", cache=cache, progress=stop)
    assert not (out / "results.jsonl.tmp").exists()  # the file in sample order is written only by a run that ends
    kept = len((out / "results.jsonl").read_bytes().splitlines())
    assert 0 < kept < len(samples(demo_run))
    again = evaluate(demo_run, model, out, freeform="lexical", cache=cache)
    # (replies_read: those the file had; every 9th sample has none, an error)
    assert again.counts["resumed"] + again.counts["replies_read"] + again.counts["errors"] == len(samples(demo_run))
    assert again.counts["resumed"] > 0
    whole, resumed = _outputs(tmp_path / "whole"), _outputs(out)
    assert resumed["results.jsonl"] == whole["results.jsonl"]
    assert resumed["freeform.jsonl"] == whole["freeform.jsonl"]
    for key in ("overall", "by_family", "by_task", "by_steps", "macro_by_family", "status_counts", "error_reasons",
                "freeform"):
        assert resumed["summary.json"][key] == whole["summary.json"][key]


def test_an_evaluation_of_every_sample_holds_a_block_not_the_run(demo_run: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Peak traced memory of `evaluate` of every sample of a file of thousands stays well below
    what the file's samples take parsed (before, every sample and record was held)."""
    path = tmp_path / "big" / "samples.jsonl"
    n = many_samples(demo_run, path, copies=12)
    assert n > 5000
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": orjson.loads(line)["id"], "reply": "2"}) + b"\n"
                                 for line in path.read_bytes().splitlines()[:200]))
    monkeypatch.setattr(stream, "BLOCK", 256)
    every = traced_peak(lambda: load_samples(path))
    out = tmp_path / "out"
    peak = traced_peak(lambda: evaluate(path, f"replay:{replies}", out, freeform="off", reports=False, cache=False))
    results = (out / "results.jsonl").read_bytes().splitlines()
    assert len(results) == n
    assert [orjson.loads(line)["id"] for line in results[::97]] == [
        orjson.loads(line)["id"] for line in path.read_bytes().splitlines()[::97]]
    assert peak < every / 4, (peak, every)


def test_images_at_urls_download_once_across_blocks(demo_run: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 14 samples in parts of 7: the parts the model answers are those of one block,
    each image is downloaded once, and the download count ends at the total of all images."""
    import fsspec

    from veriscene.engine import fetch
    from veriscene.evaluate import runner
    from veriscene.evaluate.adapters.base import Completion, Model

    monkeypatch.setenv(fetch.DOWNLOADS_ENV, str(tmp_path / "downloads"))
    monkeypatch.setattr(runner, "URL_CHUNK", 7)
    monkeypatch.setattr(stream, "BLOCK", 14)
    memory = fsspec.filesystem("memory")
    records = samples(demo_run)[:40]
    for i, record in enumerate(records):  # images at URLs, the same for every 2 samples: asked across parts
        for image in record["images"]:
            memory.pipe_file(f"/blockimages/{i // 2}/{image['path']}", (demo_run / image["path"]).read_bytes())
            image["path"] = f"memory://blockimages/{i // 2}/{image['path']}"
    (tmp_path / "samples.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    downloads: list[str] = []
    real_fetch = runner.fetch_files

    def fetch_files(urls: list[str], **kw: Any) -> Any:
        downloads.extend(urls)
        return real_fetch(urls, **kw)

    monkeypatch.setattr(runner, "fetch_files", fetch_files)

    class Recorder(Model):
        name = "recorder"

        def __init__(self) -> None:
            self.params: dict[str, Any] = {}
            self.calls: list[int] = []

        def generate(self, requests: Any, on_done: Any) -> None:
            self.calls.append(len(requests))
            for request in requests:
                assert all(path.is_file() for path in request.prompt.images)
                on_done(Completion(key=request.key, text="yes"))

    model = Recorder()
    progress: list[tuple[int, int]] = []
    try:
        result = evaluate(tmp_path / "samples.jsonl", model, tmp_path / "out", freeform="off", cache=False,
                          download_progress=lambda done, total: progress.append((done, total)))
    finally:
        memory.rm("/blockimages", recursive=True)
    urls = {image["path"] for record in records for image in record["images"]}
    assert model.calls == [7, 7, 7, 7, 7, 5]
    assert sorted(downloads) == sorted(urls)  # each image once
    assert progress[-1] == (len(urls), len(urls)) and [d for d, _ in progress] == list(range(1, len(urls) + 1))
    assert result.complete and [orjson.loads(line)["id"] for line in
                                (tmp_path / "out" / "results.jsonl").read_bytes().splitlines()] == [
        r["id"] for r in records]


def test_a_later_block_asks_what_an_earlier_block_asked(demo_run: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Samples of other ids and the same prompt and images, in different blocks: each is asked,
    as when every sample was asked in one part, not answered from the reply this run cached for
    the other (a replay answers them differently); a run after it takes them from the cache."""
    path = tmp_path / "twice" / "samples.jsonl"
    n = many_samples(demo_run, path, copies=2)
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": orjson.loads(line)["id"], "reply": f"{k % 3}"}) + b"\n"
                                 for k, line in enumerate(path.read_bytes().splitlines())))
    outputs = []
    for block in (10**9, 50):
        monkeypatch.setattr(stream, "BLOCK", block)
        result = evaluate(path, f"replay:{replies}", tmp_path / f"out-{block}", freeform="off", reports=False)
        assert result.counts["from_cache"] == 0 and result.counts["replies_read"] == n
        outputs.append(_outputs(tmp_path / f"out-{block}"))
    assert outputs[1] == outputs[0]
    (tmp_path / "out-50" / "results.jsonl").unlink()  # the replies only in the cache now
    again = evaluate(path, f"replay:{replies}", tmp_path / "out-50", freeform="off", reports=False)
    assert again.counts["from_cache"] == n


def test_full_collections_are_rarer_while_the_run_goes_and_as_they_were_after(demo_run: Path, tmp_path: Path) -> None:
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []

    def model(request: Any) -> str:
        seen.append(gc.get_threshold())
        return "yes"

    with pytest.raises(Stop):
        evaluate(demo_run, model, tmp_path / "stopped", freeform="off", cache=False,
                 progress=lambda done, total: (_ for _ in ()).throw(Stop) if done == 5 else None)
    assert gc.get_threshold() == before
    evaluate(demo_run, model, tmp_path / "out", freeform="off", cache=False, limit=3)
    assert gc.get_threshold() == before
    assert seen[0] == (before[0], before[1], max(before[2], 1) * 100)
