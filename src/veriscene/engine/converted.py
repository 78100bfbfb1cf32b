"""Inputs in another format (`generate(from_format=...)`), converted into the run folder once.

`generate` converts such an input into `OUT/scenes.jsonl` before its first pass. Converting an
annotation set takes minutes at scale (COCO train2017 about 90 s, a million Open Images about 8
minutes), so a resumed run reuses the conversion when nothing it depends on changed: the input
(a file's SHA-256; a folder's list of files with their sizes and modification times), every
file or folder an option names (the same way), the format, the options, `strict` and the
veriscene version, recorded in `OUT/scenes.source.json` with the SHA-256 of the output. An
option that is not a plain value (a Normalizer object) makes the conversion run again.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from veriscene.engine.manifest import ResumeMismatchError, file_sha256, release_refusal, write_json
from veriscene.errors import SceneValidationError
from veriscene.io.rejects import LEVELS
from veriscene.scene import archives

STAMP = "scenes.source.json"
SCENES = "scenes.jsonl"  # the converted input, in the run folder
REJECTS = "convert_rejects.jsonl"
FILES = (SCENES, REJECTS, STAMP)  # what a conversion leaves in the run folder


def fingerprint(path: Path) -> str:
    """A file's SHA-256, a folder's files with their sizes and modification times, hashed, or a
    file inside a zip archive's size and CRC-32 (`archives.member_fingerprint`)."""
    member = archives.member_fingerprint(path)
    if member is not None:
        return member
    if path.is_file():
        return "sha256:" + file_sha256(path)
    listing = sorted((str(p.relative_to(path)), st.st_size, st.st_mtime_ns)
                     for p in path.rglob("*") if p.is_file() for st in (p.stat(),))
    return "files:" + hashlib.sha256(orjson.dumps(listing)).hexdigest()


def _plain(value: Any) -> Any:
    """The option as it goes in the stamp (with a fingerprint of a path it names), or KeyError
    when it is not a plain value."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str) and value and archives.exists(value):
        return [value, fingerprint(Path(value))]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise KeyError(type(value).__name__)


def _key(src: Path, fmt: str, strict: bool, options: dict[str, Any], version: str,
         source: str | None = None, option_urls: dict[str, str] | None = None) -> dict[str, Any] | None:
    try:
        plain = {k: _plain(v) for k, v in sorted(options.items())}
    except KeyError:
        return None
    for key, url in (option_urls or {}).items():  # a local copy: recorded by its URL
        plain[key] = [url, plain[key][1]] if isinstance(plain.get(key), list) else url
    return {"input": source or str(src.resolve()), "fingerprint": fingerprint(src), "format": fmt, "strict": strict,
            "options": plain, "version": version}


_SAID = {"input": "the input's path", "fingerprint": "the input's content", "format": "the format",
         "strict": "--strict", "options": "the reader options"}  # the stamp key's fields, as said


def _rejects_said(by_level: dict[str, int]) -> str:
    """Every reject of a conversion, by what was refused: "0 rejected", "3 rejected: 1 file, 2 objects"."""
    total = sum(by_level.values())
    if not total:
        return "0 rejected"
    levels = [f"{n} {level}{'' if n == 1 else 's'}" for level in LEVELS if (n := by_level.get(level, 0))]
    return f"{total} rejected: {', '.join(levels)}"


def converted_scenes(src: Path, out_dir: Path, fmt: str, *, strict: bool, options: dict[str, Any],
                     version: str, reuse: bool, resuming: bool = False, source: str | None = None,
                     option_urls: dict[str, str] | None = None) -> tuple[Path, str]:
    """(`OUT/scenes.jsonl`, a note for the summary): converted now, or, with `reuse`, the earlier
    conversion when nothing it depends on changed (see the module docstring). `resuming` (the
    folder holds a run to complete): a changed input raises ResumeMismatchError before the
    conversion would replace the run's scenes. `source`: the URL `src` is the local copy of
    (recorded and said instead of the copy); `option_urls`: for an option holding a local copy, the
    URL it is of (`veriscene.engine.fetch.fetch_options`), recorded with the copy's fingerprint."""
    from veriscene.io.convert import convert

    out, stamp = out_dir / SCENES, out_dir / STAMP
    key = _key(src, fmt, strict, options, version, source, option_urls)
    shown = source or src
    earlier = None
    if stamp.is_file():
        try:
            earlier = orjson.loads(stamp.read_bytes())
        except orjson.JSONDecodeError:
            earlier = None
    if isinstance(earlier, dict) and key is not None:
        made = earlier["key"].get("version") if isinstance(earlier.get("key"), dict) else version
        if resuming and made != version:  # before the conversion the new release would make
            changed = [_SAID[k] for k in sorted(key) if k != "version" and earlier["key"].get(k) != key[k]]
            raise ResumeMismatchError(release_refusal(
                out_dir, made, version, f"{' and '.join(changed)} changed too (see {stamp})" if changed
                else "the input, its format and the reader options are the same"))
        if resuming and earlier.get("key") != key:
            raise ResumeMismatchError(
                f"{shown}, its format or the reader options changed since the run in {out_dir} began (see "
                f"{stamp}); generate into a new folder, or pass --overwrite to start this one again")
        if reuse and out.is_file() and earlier.get("key") == key and earlier.get("output_sha256") == file_sha256(out):
            return out, f"{earlier['note']}; reused: the input and options are unchanged"
    stamp.unlink(missing_ok=True)
    done = convert(src, out, fmt, strict=strict, rejects=out_dir / REJECTS, source=source,
                   option_urls=option_urls, **options)
    if done.nothing_converted:  # a file cut short or not UTF-8, every record refused: no run of 0 samples
        raise SceneValidationError(done.nothing_converted)
    how = f"detected: {done.detection_reason}" if done.format_detected else "as given"
    note = (f"read {shown} as {done.format} ({how}): {done.scenes_written} scenes, "
            f"{_rejects_said(done.rejected_by_level)} (see {done.rejects})")
    for warning in done.warnings:
        note += f"; warning: {warning}"
    if key is not None:
        write_json(stamp, {"key": key, "output_sha256": file_sha256(out), "note": note})
    return out, note
