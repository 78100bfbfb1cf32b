"""Scene lines a shard cannot read: rejected with file, line and a reason that says what is wrong,
counted, and the run goes on."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.engine.generate import generate


@pytest.mark.parametrize(("bad", "reason"), [
    (b"\xff\xfe\x80", "not UTF-8 text: byte 0xff at byte 31 of the line is not UTF-8 (JSON lines must be UTF-8: "
                      "convert the file, e.g. with iconv -f latin1 -t utf-8 if it is Latin-1)"),
    (b"\xc3", "not UTF-8 text: byte 0xc3 at byte 31 of the line is not UTF-8"),  # a character cut short
    (b"{", "invalid JSON"),  # UTF-8 text, but no JSON: said as before
])
def test_a_line_that_is_not_utf8_is_rejected_saying_so(tmp_path: Path, scenes_file: Path, bad: bytes,
                                                       reason: str) -> None:
    """Before: "invalid JSON (str is not valid UTF-8: surrogates not allowed: line 1 column 1 (char 0))"."""
    lines = scenes_file.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4][:30] + bad + lines[4][30:]
    scenes = tmp_path / "mixed.jsonl"
    scenes.write_bytes(b"".join(lines))
    summary = generate(scenes, tmp_path / "run", generators="counting")
    assert summary.scenes == len(lines) - 1 and summary.rejects["rejected"] == 1
    [reject] = [orjson.loads(line) for line in (tmp_path / "run" / "rejects.jsonl").read_bytes().splitlines()]
    assert reject["file"] == str(scenes) and reject["record"] == 5 and reject["level"] == "scene"
    assert reject["reason"].startswith(reason)
