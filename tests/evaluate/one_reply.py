"""The smallest free-form input: one reply ("a cup") and the one scene it describes."""

from __future__ import annotations

from pathlib import Path


def one_reply(tmp_path: Path) -> tuple[Path, Path]:
    """Write replies.jsonl and scenes.jsonl in `tmp_path`; return (responses, scenes)."""
    responses, scenes = tmp_path / "replies.jsonl", tmp_path / "scenes.jsonl"
    responses.write_text('{"response": "a cup", "image_id": "1"}\n')
    scenes.write_text('{"image_id": "1", "width": 10, "height": 10, "objects": [{"name": "cup", "box": [0, 0, 5, 5]}]}\n')
    return responses, scenes
