"""A run's input files: made ready (`prepare_inputs`: fetched when given by URL, converted from
another format or listed, the output folder readied between), counted, described for the manifest
and for the workers (by URL for a file read from one), and the notes a run gives about what it did
not read.
"""

from __future__ import annotations

import difflib
import os
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from veriscene.engine import fetch, remote
from veriscene.engine.converted import converted_scenes
from veriscene.engine.manifest import file_sha256
from veriscene.engine.run_folder import _own_files_left_out, _prepare_folder
from veriscene.engine.shards import InputFile
from veriscene.engine.url_paths import join_url
from veriscene.errors import ReaderOptionError
from veriscene.scene import archives
from veriscene.scene.compressed import not_scenes
from veriscene.scene.inputs import input_errors, input_files, open_scenes, scene_paths
from veriscene.option_names import option

# veriscene JSONL's names (`veriscene.io.readers.ALIASES`): read as it is, or, given reader options,
# through its reader (`veriscene_jsonl`); any other format is first converted into the run folder
JSONL_FORMATS = ("jsonl", "veriscene_jsonl", "veriscene")


def input_format(name: str) -> str:
    """`generate`'s `from_format` by its one name: "jsonl" for veriscene JSONL under any of its
    names (`JSONL_FORMATS`, in any case, "-" for "_"), "auto", or another format's reader name
    (`veriscene.io.readers.resolve_format`). KeyError naming the formats, with close matches."""
    from veriscene.io.readers import ALIASES, READERS

    key = name.strip().lower().replace("-", "_")
    if key in JSONL_FORMATS:
        return "jsonl"
    if key == "auto":
        return key
    key = ALIASES.get(key, key)
    if key in READERS:
        return key
    close = difflib.get_close_matches(key, [*JSONL_FORMATS, "auto", *READERS, *ALIASES], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    others = ", ".join(sorted(fmt for fmt in READERS if fmt != "veriscene_jsonl"))
    raise KeyError(f"unknown input format {name!r}{hint} (known: jsonl (the default; also named veriscene_jsonl), "
                   f"auto, {others})")


def _jsonl_options(reader_options: dict[str, Any], given: Sequence[str | os.PathLike[str]]) -> None:
    """Refuse reader options the veriscene_jsonl reader does not take (even set to false, as the
    command line does), and an input it cannot read in one go (several files, a pattern)."""
    from veriscene.io.readers import COMMON_OPTIONS, reader_options as options_of

    takes = sorted({*options_of("veriscene_jsonl"), *COMMON_OPTIONS} - {"report", "strict"})
    wrong = sorted(set(reader_options) - set(takes))
    if wrong:
        one = len(wrong) == 1
        raise ReaderOptionError(f"reader option{'' if one else 's'} {', '.join(map(repr, wrong))} "
                                f"{'does' if one else 'do'} not apply to veriscene JSONL (its reader, veriscene_jsonl, "
                                f"takes: {', '.join(takes)})", option=wrong[0], value=reader_options[wrong[0]])
    item = str(given[0]) if given else ""
    if len(given) != 1:
        what = f"{len(given)} inputs"
    elif not remote.is_url(item) and not os.path.exists(item) and any(c in item for c in "*?["):
        what = f"the pattern {item}"
    else:
        return
    raise ValueError(f"reader options ({', '.join(sorted(reader_options))}) read veriscene JSONL through its reader "
                     f"into OUT/scenes.jsonl, from one file or folder, not {what}: put the files in one folder, or "
                     "convert each (veriscene convert FILE --from veriscene_jsonl -r KEY=VALUE --out DIR/NAME.jsonl) "
                     "and generate from DIR")


@dataclass
class PreparedInputs:
    """A run's inputs made ready by `prepare_inputs`."""

    paths: list[Path]  # the scene files to read, in order (for another format: its conversion, in the run folder)
    sources: dict[Path, str]  # local copies of inputs given by URL (resolved path): the URL of each
    manifest: dict[str, Any] | None  # the manifest of the run found in the folder (to resume), else None
    notes: list[str]  # for the run summary: copies read, conversions, files not read


def prepare_inputs(given: Sequence[str | os.PathLike[str]], out_dir: Path, *, from_format: str,
                   reader_options: dict[str, Any] | None, storage_options: dict[str, Any] | None,
                   strict: bool, resume: bool, overwrite: bool, version: str) -> PreparedInputs:
    """The scene files of a run of `given` (`veriscene.engine.generate.generate`'s `scenes`, as a
    list) into `out_dir`: inputs at a URL read through local copies; another `from_format`, or
    veriscene JSONL given `reader_options` (`id_prefix`, `sparse`: read by its reader, as `convert`
    reads it), converted into `out_dir/scenes.jsonl` (reused on `resume` when unchanged,
    `veriscene.engine.converted`); the files veriscene writes beside scene files left out of a
    folder or pattern (`scene.inputs.input_files`, said in the notes); the output folder checked,
    cleared or found to hold a run to resume (`engine.run_folder`), after the input is checked and
    before a conversion writes to it."""
    notes: list[str] = []
    sources: dict[Path, str] = {}
    urls = _urls(given)
    from_format = input_format(from_format)
    if from_format == "jsonl" and reader_options:  # read through its reader, as `convert` reads it
        _jsonl_options(reader_options, given)
        from_format = "veriscene_jsonl"
    converting = from_format != "jsonl"
    if converting and len(given) != 1:
        raise ValueError(f"converting from {from_format} takes one input (a file or a folder), got {len(given)}")
    if urls and converting:  # an annotation file or folder at a URL, converted from its local copy
        copy = fetch.fetch_input(urls[0], storage_options)
        given, sources = [copy], {copy.resolve(): urls[0]}
        notes.append(f"{urls[0]} read through its local copy in {copy.parent}")
    elif urls:
        given, sources = fetch.fetch_scenes(given, storage_options)
        notes.append(f"{len(sources)} scene file(s) read from {', '.join(urls)}, through local copies in "
                     f"{fetch.download_folder(urls[0]).parent}")
    if converting:
        scenes_path = Path(given[0])
        problem = archives.missing(scenes_path)  # a file, a folder or a file inside a zip archive (a.zip/b.json)
        if problem is not None:
            raise FileNotFoundError(problem if archives.archive_member(scenes_path) else
                                    f"scene file {scenes_path} does not exist")
        manifest = _prepare_folder(out_dir, resume, overwrite)  # before the conversion replaces its scenes
        out_dir.mkdir(parents=True, exist_ok=True)
        options, option_urls = fetch.fetch_options(dict(reader_options or {}), storage_options)
        scenes_path, note = converted_scenes(scenes_path, out_dir, from_format, strict=strict, options=options,
                                             version=version, reuse=resume and not overwrite,
                                             resuming=manifest is not None, overwrite=overwrite,
                                             source=sources.get(scenes_path.resolve()), option_urls=option_urls)
        notes.append(note)
        return PreparedInputs([scenes_path], sources, manifest, notes)
    found = input_files(given)  # the input checked before the folder is touched
    paths = found.paths
    _refuse_other_formats(paths)  # every one: a wrong 6th file was only a reject ("missing field 'objects'")
    notes += _folder_notes(given, paths, [path for path, _ in found.left_out])
    notes += found.notes()
    manifest = _prepare_folder(out_dir, resume, overwrite)
    return PreparedInputs(_own_files_left_out(paths, out_dir, notes), sources, manifest, notes)


def count_lines(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> int:
    """Scenes (non-blank lines) in a scene file, compressed or not, or in the files of an input
    (`veriscene.scene.inputs.scene_paths`)."""
    paths = scene_paths(path)
    with input_errors(paths), open_scenes(paths) as fh:
        return sum(1 for line in fh if line.strip())


def _folder_notes(given: Sequence[str | os.PathLike[str]], paths: list[Path], left_out: list[Path]) -> list[str]:
    """A note for each folder given whose other files were not read (annotation files, say); not
    for the files veriscene wrote beside its scene files (`left_out`: `InputFiles.notes` names them)."""
    notes = []
    read = set(paths) | set(left_out)
    for item in given:
        folder = Path(item)
        if not folder.is_dir():
            continue
        others = sorted(p.name for p in folder.iterdir() if p.is_file() and p not in read and not p.name.startswith("."))
        if others:
            notes.append(f"{folder}: read its scene files (*.jsonl, compressed or not), not its {len(others)} other "
                         f"file(s) ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); to convert annotation "
                         f"files from it, pass {_from_auto()}")
    return notes


def _from_auto(fmt: str | None = None) -> str:
    """How to have a run convert its input (of format `fmt`), as the caller names options (`option_names`)."""
    if fmt is None:
        return option("from_format='auto'", "--from auto")
    return option(f"from_format='auto' (or from_format={fmt!r})", f"--from auto (or --from {fmt})")


def _format_notes(paths: list[Path]) -> list[str]:
    """For a run that read no scene from its input: a note for each file (of the first few) that
    looks like annotations of another format, saying to convert it (`--from auto`)."""
    notes = []
    for path in paths[:5]:
        if (what := not_scenes(path)) is not None:  # named on its own: read, and all of it rejected
            notes.append(f"{path}: no scene was read from it: it is {what} veriscene wrote, not a scene file")
        elif (found := _other_format(path)) is not None:
            fmt, reason = found
            notes.append(f"{path}: no scene was read from it as veriscene JSONL; it looks like {fmt} annotations "
                         f"({reason}): pass {_from_auto(fmt)} to convert it")
    return notes


def _other_format(path: Path) -> tuple[str, str] | None:
    """(format, why) where detection finds `path` to be annotations of a format other than
    veriscene's scene JSONL; None where it finds scenes or cannot tell."""
    from veriscene.io.readers.detect import FormatDetectionError, detect

    try:
        fmt, reason = detect(path)
    except (FormatDetectionError, OSError, ValueError):
        return None
    return None if fmt == "veriscene_jsonl" else (fmt, reason)


MAX_NAMED = 3  # files of another format named in the refusal; the others counted


def _refuse_other_formats(files: list[Path]) -> None:
    """ValueError for input files whose first line is no veriscene scene (at most `_FIRST_LINE`
    bytes read) and that detection finds to be annotations of another format: `veriscene generate
    instances_val2017.json` stops at once with the hint, instead of a run that rejects its one
    record and gives the hint after empty tables (exit 1). Every file is checked, those of a
    folder or pattern too: 1,000 one-scene files in 0.18 s (plain) or 0.29 s (zstd) at load 5
    (`benchmarks/input_format_check.py`), about 1-2% of generating from them; before, only the
    first 5 named on their own were, and a sixth was a reject without the hint ("missing
    required field 'objects'"). A file that only fails to parse is left to the run, which
    reports its bad records."""
    found = []  # (path, format, why)
    for path in files:
        if not_scenes(path) is not None or _starts_with_scene(path):
            continue
        if (other := _other_format(path)) is not None:
            found.append((path, *other))
    if not found:
        return
    if len(files) == 1:
        path, fmt, reason = found[0]
        raise ValueError(f"{path}: not veriscene scene JSONL; it looks like {fmt} annotations ({reason}): "
                         f"pass {_from_auto(fmt)} to convert it")
    named = "; ".join(f"{path} looks like {fmt} annotations ({reason})" for path, fmt, reason in found[:MAX_NAMED])
    more = f"; and {len(found) - MAX_NAMED} more" if len(found) > MAX_NAMED else ""
    raise ValueError(f"{len(found)} of the {len(files)} input files {'is' if len(found) == 1 else 'are'} not "
                     f"veriscene scene JSONL: {named}{more}. A run converts one input of another format "
                     f"({_from_auto()} with that file or folder alone); convert {'it' if len(found) == 1 else 'each'} first "
                     "(veriscene convert FILE --from auto --out NAME.jsonl) and give the converted file, or leave "
                     f"{'it' if len(found) == 1 else 'them'} out")


_FIRST_LINE = 1 << 20  # bytes: a longer first line (a COCO file is one line of JSON) is no scene


def _starts_with_scene(path: Path) -> bool:
    """Whether the first non-blank line of a (compressed) file is a JSON object with image_id
    and objects; True when it cannot be read here (the run says why)."""
    import orjson

    from veriscene.scene.compressed import READ_ERRORS, open_data_file

    try:
        with open_data_file(path) as fh:
            line = b""
            while not line.strip():
                line = fh.readline(_FIRST_LINE)
                if not line or not line.endswith(b"\n") and len(line) >= _FIRST_LINE:
                    break
        record = orjson.loads(line.removeprefix(b"\xef\xbb\xbf")) if line.strip() else None
    except orjson.JSONDecodeError:
        return False
    except (*READ_ERRORS, ValueError):
        return True
    return isinstance(record, dict) and "image_id" in record and "objects" in record


def _inputs_config(paths: list[Path], out_dir: Path, absolute: bool = False,
                   sources: dict[Path, str] | None = None) -> dict[str, str] | list[dict[str, str]]:
    """The manifest's record of the input: path (relative to the run folder; with `absolute`,
    absolute unless it lies in the run folder, as a converted input does; the URL of a file read
    from one, `sources`) and sha256 of its file, or a list of them for several files
    (`manifest.scene_inputs` reads either)."""
    def where(path: Path) -> str:
        path, run = path.resolve(), out_dir.resolve()
        if sources and path in sources:
            return sources[path]
        return str(path) if absolute and not path.is_relative_to(run) else os.path.relpath(path, run)

    files = [{"path": where(p), "sha256": file_sha256(p)} for p in paths]
    return files[0] if len(files) == 1 else files


def _said_with_urls(exc: Exception, paths: list[Path], sources: dict[Path, str]) -> Exception:
    """`exc` with the local copies of inputs given by URL named by their URLs (itself if none is named)."""
    text = str(exc)
    for path in paths:
        url = sources.get(path.resolve())
        if url is not None:
            text = text.replace(str(path.resolve()), url).replace(str(path), url)
    if text == str(exc):
        return exc
    try:
        said = type(exc)(text)
    except TypeError:  # an error type built from other arguments: said as a ValueError
        return ValueError(text)
    if hasattr(exc, "damage"):  # a broken compressed file's: where (`scene.decompress.Damage`)
        said.damage = exc.damage  # type: ignore[attr-defined]
    return said


# A run at a URL, made in a local staging folder (`generate._generate_remote`): (that folder, the
# run's URL), while it is made.
RUN_AT_URL: ContextVar[tuple[Path, str] | None] = ContextVar("RUN_AT_URL", default=None)


def _input_file(path: Path, first_line: int, sources: dict[Path, str]) -> InputFile:
    """What the workers need of an input file: its name in reports and the folder its image
    paths are relative to (the URL's folder for a file read from a URL; for a file in a run at a
    URL, an input converted into it, its place at that URL: not the staging folder, which differs
    between machines and between a run and its resume, so samples would name other images)."""
    url = sources.get(path.resolve()) or _at_run_url(path)
    if url is not None:
        return InputFile(url, fetch.url_folder(url), first_line)
    return InputFile(str(path), str(path.parent.resolve()), first_line)


def _at_run_url(path: Path) -> str | None:
    """The URL of `path` when it lies in the staging folder of a run at a URL (`RUN_AT_URL`)."""
    at = RUN_AT_URL.get()
    if at is None:
        return None
    staging, url = at
    try:
        inside = path.resolve().relative_to(staging.resolve())
    except ValueError:
        return None
    return join_url(url.rstrip("/"), inside.as_posix())


def _urls(scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The inputs given by URL."""
    items = [scenes] if isinstance(scenes, (str, os.PathLike)) else list(scenes)
    return [str(item) for item in items if remote.is_url(item)]
