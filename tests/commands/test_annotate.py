"""The summary `veriscene annotate` ends with: images, scenes, what was left out, in plain words."""

from __future__ import annotations

from rich.console import Console

from veriscene.commands.annotate import print_annotate_summary
from veriscene.io.convert import ConvertSummary


def _printed(summary: ConvertSummary) -> list[str]:
    console = Console(record=True, width=160)
    print_annotate_summary(console, summary)
    rows = [" ".join(line.replace("│", " ").split()) for line in console.export_text().splitlines()]
    return [row for row in rows if row and row[0] not in "┌├└"]  # not the table's rules


def test_the_summary_says_images_and_names_each_count() -> None:
    summary = ConvertSummary(
        input="photos", output="out/scenes.jsonl", rejects="out/rejects.jsonl", format="pipeline",
        format_detected=False, detection_reason=None, scenes_read=10, scenes_written=7, scenes_rejected=3,
        rejected=6, boxes_clipped=0,
        repairs={"duplicate_objects_merged": 4, "attribute_requests_failed": 2, "masks_from_boxes": 0,
                 "images_failed_on_the_server": 1, "retried_images_failing_again": 0, "some_new_count": 5},
        rejected_by_level={"scene": 3, "attribute": 2, "object": 1}, sparse=["attributes", "relations"],
        objects_written=41, relations_written=96, masks_written=41)
    lines = _printed(summary)
    assert lines[1:] == [
        "images read 10",
        "scenes written 7 -> out/scenes.jsonl",
        "objects written 41",
        "relations written 96",
        "objects with a mask 41",
        "images rejected 3",
        "attributes left out (request failed) 2",
        "objects dropped 1",
        "duplicate detections merged 4",
        "images rejected: the server failed 1",
        "retried images failing again 0",
        "some new count 5",
        "recorded in part attributes, relations (one not recorded may still be true: questions never take it "
        "for absent)",
        "reject report out/rejects.jsonl",
        "6 reject(s): see out/rejects.jsonl (each names the image, the stage at fault and why)",
    ]
    assert lines[0] == "veriscene annotate: photos"
    assert not any(line.startswith(("format", "scenes read", "boxes clipped")) for line in lines)
