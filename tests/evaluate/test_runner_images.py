"""A samples file copied without its images: one error reason naming where the first image was
looked for, and advice to put the images there (not only "rerun")."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.evaluate.test_cli_errors import write_replies
from tests.evaluate.conftest import samples
from veriscene.evaluate import evaluate
from veriscene.evaluate.report import retry_advice
from veriscene.evaluate.metrics import error_reasons


def test_missing_images_are_one_reason_named_where_they_were_looked_for(demo_run: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "samples.jsonl").write_bytes((demo_run / "samples.jsonl").read_bytes())  # no images/ beside it
    recs = samples(demo_run)[:8]
    replies = write_replies(tmp_path / "replies.jsonl", recs)
    result = evaluate(moved / "samples.jsonl", f"replay:{replies}", tmp_path / "o", limit=8, freeform="off")
    first = moved.resolve() / recs[0]["images"][0]["path"]
    assert result.summary["error_reasons"] == [[f"image files do not exist (e.g. {first})", 8]]
    assert retry_advice(result.summary).startswith("put the image files where the samples name them")
    assert "put the image files where the samples name them" in (tmp_path / "o" / "report.md").read_text()


def test_missing_images_among_other_errors_keep_the_rerun_advice() -> None:
    records = [{"status": "error", "error": f"image file /r/images/{i}.png does not exist"} for i in range(3)]
    records.append({"status": "error", "error": "gave up after 7 attempts; last: HTTP 500"})
    reasons = error_reasons(records)
    assert reasons == [["image files do not exist (e.g. /r/images/0.png)", 3],
                       ["gave up after 7 attempts; last: HTTP 500", 1]]
    assert retry_advice({"model": {"adapter": "openai"}, "error_reasons": reasons}) == (
        "call evaluate again with the same arguments to retry the failed requests")


def test_samples_naming_no_image_file_are_not_told_to_rerun(demo_run: Path, tmp_path: Path) -> None:
    """A sample whose image has no path (its scene graph named no file) failed with the advice
    'rerun the same command to retry the failed requests', which asks nothing new."""
    recs = samples(demo_run)[:3]
    recs[1] = {**recs[1], "images": [{"id": image["id"]} for image in recs[1]["images"]]}
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in recs))
    (tmp_path / "images").symlink_to(demo_run / "images")
    result = evaluate(path, lambda request: "1", tmp_path / "o", freeform="off")
    assert result.summary["error_reasons"] == [["field 'images[0].path' is empty; evaluation needs the image files", 1]]
    assert retry_advice(result.summary).startswith("these samples name no image file (their scene graphs had none)")
