"""Inputs in another format (`generate(from_format=...)`), converted into the run folder once.

`generate` converts such an input into `OUT/scenes.jsonl` before its first pass. Converting an
annotation set takes minutes at scale (COCO train2017 about 90 s, a million Open Images about 8
minutes), so a resumed run reuses the conversion when nothing it depends on changed: the input
(a file's SHA-256; a folder's list of files with their sizes and modification times), every
file or folder an option names (the same way), the format, the options, `strict` and the
veriscene version, recorded in `OUT/scenes.source.json` with the SHA-256 of the output. An
option that is not a plain value (a Normalizer object) makes the conversion run again. Beside the
key, the stamp's ``option_paths`` gives each option naming a local file or folder as an absolute
path (the key keeps it as given, relative to the folder generate ran in): the card's command that
makes the run again names it relative to the folder holding the run (`engine.reproduce`).

A folder holding no run whose scenes.jsonl (or convert_rejects.jsonl) no conversion made is
refused before anything is written (`check_ours`): the file may be the user's own.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from veriscene.engine.manifest import (
    ResumeMismatchError,
    RunExistsError,
    file_sha256,
    release_refusal,
    write_json,
)
from veriscene.errors import SceneValidationError
from veriscene.io.rejects import LEVELS
from veriscene.scene import archives
from veriscene.option_names import option

if TYPE_CHECKING:
    from veriscene.io.convert import ConvertSummary

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


# Reader options whose values are words or numbers, never a file or folder, even where a folder of
# that name lies in the current folder (`-r id_prefix=coco/` beside the coco/ the annotations are
# in, as the README's `-r id_prefix=vg/` invites): not fingerprinted, nor rebased by the card's
# command (which made it `-r id_prefix=coco`, other image and sample ids). Every other option naming
# an existing path is taken as one (a new path option is fingerprinted by default).
TEXT_OPTIONS = frozenset({
    "id_prefix", "sparse", "objects", "drawn_on", "image_size", "drop_bad_parts", "allow_pickle", "masks",
    "skip_crowd", "approximate_boxes", "merge_duplicates", "components", "min_pixels", "axis", "step",
    "orientation", "square_pixels", "window", "tilt", "names", "rois",
})


def _plain(value: Any, name: str | None = None) -> Any:
    """The option `name` as it goes in the stamp (with a fingerprint of a path it names, unless a
    `TEXT_OPTIONS` one), or KeyError when it is not a plain value."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str) and value and name not in TEXT_OPTIONS and archives.exists(value):
        return [value, fingerprint(Path(value))]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, name) for v in value]
    raise KeyError(type(value).__name__)


def option_paths(options: dict[str, Any], option_urls: dict[str, str] | None = None) -> dict[str, str]:
    """The options naming a local file or folder (`_plain` fingerprints them), each as an absolute
    path; not those holding a local copy of a URL (recorded by the URL)."""
    from veriscene.engine.remote import is_url  # (remote imports this module)

    found = {}
    for name, value in options.items():
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if (isinstance(value, str) and value and name not in (option_urls or {}) and name not in TEXT_OPTIONS
                and not is_url(value) and archives.exists(value)):
            found[name] = os.path.abspath(value)
    return found


def _key(src: Path, fmt: str, strict: bool, options: dict[str, Any], version: str,
         source: str | None = None, option_urls: dict[str, str] | None = None) -> dict[str, Any] | None:
    try:
        plain = {k: _plain(v, k) for k, v in sorted(options.items())}
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


def _converted(src: Path, out_dir: Path, fmt: str, *, strict: bool, source: str | None,
               option_urls: dict[str, str] | None, options: dict[str, Any]) -> ConvertSummary:
    """Convert `src` into `out_dir/scenes.jsonl`, its rejects into `out_dir/convert_rejects.jsonl`,
    whole or not at all: the scenes through a temporary name (`io.convert`), the rejects too, put
    in place once the conversion has read its input through. A conversion stopped part-way (Ctrl-C,
    SIGTERM, an error, a reject with `strict`) leaves the folder's files as they were: an earlier
    conversion there stays whole, its stamp with it, rather than beside half a reject report. One
    that converted nothing (`nothing_converted`, which the run then raises) keeps its reject
    report, which the error names, and no empty scene file of its own; an earlier scene file
    there stays, and so does its stamp. The earlier stamp is set aside meanwhile, so that no stamp
    stands beside scenes it does not describe."""
    from veriscene.io.convert import convert

    out, rejects, stamp = out_dir / SCENES, out_dir / REJECTS, out_dir / STAMP
    left_by_the_dead(out_dir)
    pid = os.getpid()
    tmp, aside = out_dir / f".{REJECTS}.{pid}.tmp", out_dir / f".{STAMP}.{pid}.tmp"  # hidden: not the user's
    had_scenes = out.exists()
    if stamp.exists():
        os.replace(stamp, aside)
    try:
        done = convert(src, out, fmt, strict=strict, rejects=tmp, source=source, option_urls=option_urls,
                       **options)
        os.replace(tmp, rejects)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if aside.exists():
            os.replace(aside, stamp)
        raise
    done = replace(done, rejects=str(rejects))
    if done.nothing_converted and done.output_kept and aside.exists():
        os.replace(aside, stamp)  # the earlier scenes stay as they were, and so does what describes them
    aside.unlink(missing_ok=True)  # the new conversion's is written once it is described
    if done.nothing_converted and not had_scenes:
        out.unlink(missing_ok=True)  # the empty file it wrote: no scene to keep
    return done


def left_by_the_dead(out_dir: Path) -> list[Path]:
    """Remove (and return) the hidden temporaries of conversions killed part-way (kill -9, a lost
    machine) in `out_dir`: `.scenes.jsonl.PID.tmp` (a partial scene file, as large as the part
    converted), `.convert_rejects.jsonl.PID.tmp` and `.scenes.source.json.PID.tmp` (a stamp set
    aside, describing scenes that may since be replaced) of a process no longer running here. The
    run folder's lock keeps another live conversion out of it; a live process's are left alone."""
    removed = []
    for name in FILES:
        for tmp in out_dir.glob(f".{name}.*.tmp"):
            pid = tmp.name[len(name) + 2 : -len(".tmp")]
            if pid.isdigit() and not _running(int(pid)):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


def _running(pid: int) -> bool:
    """Whether process `pid` runs on this machine (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (PermissionError: another user's)
        return True
    return True


_REJECT_FIELDS = frozenset(("file", "record", "field", "reason", "level"))  # `io.rejects.Reject`'s


def _a_reject_report(path: Path) -> bool:
    """Whether `path` reads as a conversion's reject report: empty (a conversion that rejected
    nothing), or its first line one reject (`io.rejects.Reject`: exactly its fields, a known level)."""
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16)
    if not first:
        return True  # a conversion that rejected nothing
    try:
        record = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return isinstance(record, dict) and set(record) == _REJECT_FIELDS and record.get("level") in LEVELS


def check_ours(out_dir: Path, earlier: Any, scenes_sha256: str | None) -> None:
    """Refuse (RunExistsError, exit 2 in the CLI) a folder holding no run whose conversion files
    are not a conversion's, before anything is written there: the conversion would replace them.
    Its scenes.jsonl is one when the stamp (`earlier`, the stamp's content, None without one)
    records its SHA-256 (`scenes_sha256`); its convert_rejects.jsonl when it lies beside such a
    scene file, or reads as a reject report (`_a_reject_report`: a conversion that converted
    nothing leaves one without a stamp)."""
    stamped = isinstance(earlier, dict) and scenes_sha256 is not None and earlier.get("output_sha256") == scenes_sha256
    foreign = []
    scenes, rejects = out_dir / SCENES, out_dir / REJECTS
    if scenes.is_file() and not stamped:
        foreign.append(f"{scenes} ({STAMP} " + ("does not describe it" if isinstance(earlier, dict) else "is missing")
                       + ")")
    if rejects.is_file() and not stamped and not _a_reject_report(rejects):
        foreign.append(f"{rejects} (no reject report of a conversion)")
    if foreign:
        it = "it" if len(foreign) == 1 else "them"
        raise RunExistsError(
            f"{out_dir} holds no run but {' and '.join(foreign)}: no conversion of a run's input made {it} there, so "
            f"{it} may be your own, and converting the input would replace {it}. Give another "
            f"{option('out', '--out')} (an empty or new folder), or pass {option('overwrite=True', '--overwrite')} "
            f"to replace {it}")


def converted_scenes(src: Path, out_dir: Path, fmt: str, *, strict: bool, options: dict[str, Any],
                     version: str, reuse: bool, resuming: bool = False, overwrite: bool = False,
                     source: str | None = None, option_urls: dict[str, str] | None = None) -> tuple[Path, str]:
    """(`OUT/scenes.jsonl`, a note for the summary): converted now, or, with `reuse`, the earlier
    conversion when nothing it depends on changed (see the module docstring). `resuming` (the
    folder holds a run to complete): a changed input raises ResumeMismatchError before the
    conversion would replace the run's scenes. Neither `resuming` nor `overwrite` (the folder
    holds no run): a scenes.jsonl or convert_rejects.jsonl there that no conversion made raises
    RunExistsError before anything is written (`check_ours`). `source`: the URL `src` is the local
    copy of (recorded and said instead of the copy); `option_urls`: for an option holding a local
    copy, the URL it is of (`veriscene.engine.fetch.fetch_options`), recorded with the copy's
    fingerprint."""
    out, stamp = out_dir / SCENES, out_dir / STAMP
    earlier = None
    if stamp.is_file():
        try:
            earlier = orjson.loads(stamp.read_bytes())
        except orjson.JSONDecodeError:
            earlier = None
    digest = functools.cache(lambda: file_sha256(out) if out.is_file() else None)  # read once at most: GBs maybe
    if not resuming and not overwrite:
        check_ours(out_dir, earlier, digest() if isinstance(earlier, dict) else None)
    key = _key(src, fmt, strict, options, version, source, option_urls)
    shown = source or src
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
                f"{stamp}); generate into a new folder, or pass {option('overwrite=True', '--overwrite')} to start "
                "this one again")
        if reuse and out.is_file() and earlier.get("key") == key and earlier.get("output_sha256") == digest():
            return out, f"{earlier['note']}; reused: the input and options are unchanged"
    done = _converted(src, out_dir, fmt, strict=strict, source=source, option_urls=option_urls, options=options)
    if done.nothing_converted:  # a file cut short or not UTF-8, every record refused: no run of 0 samples
        raise SceneValidationError(done.nothing_converted)
    how = f"detected: {done.detection_reason}" if done.format_detected else "as given"
    note = (f"read {shown} as {done.format} ({how}): {done.scenes_written} scenes, "
            f"{_rejects_said(done.rejected_by_level)} (see {done.rejects})")
    for warning in done.warnings:
        note += f"; warning: {warning}"
    if key is not None:
        paths = option_paths(options, option_urls)
        write_json(stamp, {"key": key, "output_sha256": file_sha256(out), "note": note,
                           **({"option_paths": paths} if paths else {})})
    return out, note


def held(out_dir: Path) -> dict[str, tuple[int, int, int]]:
    """The conversion files `out_dir` holds (`FILES`), each by its inode, size and modification
    time: what `kept_or_taken_back` tells the files a run wrote from those it found by."""
    found = {}
    for name in FILES:
        try:
            st = (out_dir / name).stat()
        except OSError:
            continue
        found[name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return found


def kept(out_dir: Path) -> bool:
    """Whether `out_dir` holds a finished conversion of a run's input (its stamp, written last),
    which a run with `resume` reuses when the input and options are unchanged."""
    return (out_dir / STAMP).is_file()


@contextmanager
def kept_or_taken_back(out_dir: Path, before: dict[str, tuple[int, int, int]]) -> Iterator[None]:
    """Around a run that converted its input into `out_dir` (`before`: `held(out_dir)` before it
    did): when the run fails and `out_dir` holds no run after (no manifest: it was taken back,
    `run_folder.taken_back_unless_sharded`, or never written), the conversion files it wrote go
    too, so the folder is left as it was found; but for a finished conversion (`kept`) when
    Ctrl-C or SIGTERM stopped the run, which is kept for `resume` to reuse (as the interrupt's
    message says, `engine.interrupts.interrupted_message`): the user stopped a run they mean to
    run again, and a conversion can take minutes."""
    try:
        yield
    except BaseException as exc:
        if not (out_dir / "manifest.json").is_file():
            made = [name for name, identity in held(out_dir).items() if before.get(name) != identity]
            if made and not (isinstance(exc, KeyboardInterrupt) and kept(out_dir)):
                for name in made:
                    (out_dir / name).unlink(missing_ok=True)
        raise
