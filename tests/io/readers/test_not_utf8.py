"""Annotation JSON that is not UTF-8: a file-level reject that says where (byte, line, the bytes
around it) and how to re-encode, for streamed and whole files, never "truncated JSON"."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from veriscene.io.readers._json import NotUtf8Error, stream_json, utf8_fault

from .reader_helpers import read_all


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_utf8_fault_gives_the_byte_offset_and_line_whatever_the_chunks(chunk: int) -> None:
    data = "ab\nçé\n".encode() + b"caf\xe9 table" + b"\nrest"
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    said = utf8_fault(chunks)
    assert said is not None and said.startswith(f"byte 0xe9 at byte {data.index(b'caf') + 3} (line 3)")
    assert "caf\\xe9" in said and "iconv" in said  # the bytes after it: as far as the chunk read
    assert utf8_fault(["ab\nçé\n€".encode()[i:i + chunk] for i in range(0, 12, chunk)]) is None


def test_utf16_is_named() -> None:
    said = utf8_fault(['[{"a": 1}]'.encode("utf-16")])
    assert said is not None and "UTF-16" in said and "iconv -f utf-16" in said


def test_stream_keeps_the_records_before_a_bad_byte_far_into_the_file(tmp_path: Path) -> None:
    records = [{"image_id": k, "name": "x" * 50} for k in range(3000)]
    text = json.dumps(records).encode()
    at = text.index(b'"image_id": 2500')
    path = tmp_path / "big.json.gz"
    path.write_bytes(gzip.compress(text[:at] + b"\xff" + text[at:]))
    got = []
    with pytest.raises(NotUtf8Error) as caught:
        for _, value in stream_json(path, chunk_chars=4096):
            got.append(value["image_id"])
    assert f"byte 0xff at byte {at:,} (line 1)" in str(caught.value)
    assert got == list(range(len(got))) and 2000 < len(got) < 2500


def _coco(name: bytes) -> bytes:
    text = json.dumps({"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
                       "annotations": [{"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]}],
                       "categories": [{"id": 1, "name": "NAME"}]}).encode()
    return text.replace(b"NAME", name)


@pytest.mark.parametrize(("fmt", "content", "count"), [
    ("coco", _coco(b"caf\xe9"), "no scene is converted from the file"),
    ("visual_genome", b'[{"image_id": 1, "objects": []}, {"image_id": 2, "objects": [{"names": ["caf\xe9"]}]}]',
     None),  # a file this small is decoded in one read: the records before it come with the big one
    ("gqa", b'{"1": {"width": 5, "height": 5, "objects": {}}, "2": {"objects": {"3": {"name": "caf\xe9"}}}}',
     None),
    ("clevr", b'{"scenes": [{"image_index": 0, "objects": [{"color": "gr\xe9y"}]}]}', None),
])
def test_reject_says_not_utf8_where_and_how_to_mend(tmp_path: Path, fmt: str, content: bytes, count: str | None) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(content)
    _, report = read_all(path, fmt, image_size=(5, 5))
    (entry,) = [e for e in report.entries if e.level == "file"]
    at = content.index(b"\xe9")
    assert entry.reason.startswith(f"not UTF-8: byte 0xe9 at byte {at:,} (line 1)"), entry.reason
    assert "iconv -f cp1252 -t utf-8" in entry.reason and "truncated" not in entry.reason
    if count is not None:
        assert count in entry.reason
