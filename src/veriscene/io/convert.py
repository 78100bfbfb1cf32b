"""Convert an annotation set to veriscene JSONL, with a reject report beside it.

The output is written atomically (a temporary file in the same folder, renamed at the end), so a
failed or strict-stopped conversion never leaves a half-written `scenes.jsonl`. Rejects go to
`rejects.jsonl` in the output's folder unless `rejects` (`--rejects`) says otherwise; it is written even
when empty, so scripts can count on it. Both are locked while a conversion writes them
(`engine.run_lock`): another conversion (or annotation) writing either meanwhile is refused,
before it reads its input. Before, two conversions into one folder both exited 0 with a reject
report mixing the two (the other's first rejects written over, a line cut in two).

Image paths: an annotation names its images relative to the image folder (COCO's `file_name`,
Visual Genome's and GQA's `<id>.jpg`). With `image_root` given, the scenes written name them
relative to the output's folder (`placed`), where a scene file's image paths are read from, so
the samples made from them find the images; without it they are written as annotated. A
veriscene JSONL file names its images relative to its own folder, its image root unless one is
given: written elsewhere, they are rewritten to point at the same files. Dense depth maps are
named relative to the scene file's folder too: a veriscene JSONL file's relative ones rewritten
as its images are (`placed_depth_map`), the absolute paths a reader finds them at (ProVision's
depth_masks/) made relative (`relative_depth_map`), so a folder of scenes and maps can be moved.

A folder of veriscene JSONL files is read without the files veriscene wrote beside them that hold
no scenes (reject reports, a run's samples: `veriscene.scene.compressed.not_scenes`); the
summary's warnings name them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from glob import escape as glob_escape
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable

from veriscene.engine.options import check_flags, check_path
from veriscene.engine.remote import is_url
from veriscene.engine.run_lock import RunKind, holding_locks, lock_file
from veriscene.errors import SceneValidationError
from veriscene.io.contents import Contents
from veriscene.io.readers import detect, read, resolve_format
from veriscene.io.readers._base import PART_REJECTS_SCENE, sparse_for
from veriscene.io.readers._sizes import IMAGE_NOT_FOUND, TURNED
from veriscene.deprecated import renamed_keywords
from veriscene.io.rejects import Reject, RejectReport, renamed
from veriscene.io.writers.files import check_file
from veriscene.option_names import option
from veriscene.scene import archives, unpack
from veriscene.scene.compressed import compression_for_name, create_scene_file, folder_jsonl, not_scenes
from veriscene.scene.jsonl import BATCH, dumps_scenes
from veriscene.scene.model import Scene


_FILE_FAULTS = 3  # file-level rejects a summary repeats (the report has them all)
WITHOUT_IMAGE = "scenes_without_image"  # counted by the label map and DICOM readers
# readers that name image files by the paths given to them (`images=`, `slice_images=`, the input
# folder: an MSD task's imagesTr), so relative to the current folder, not to an image root: written
# into a scene file elsewhere (`--out data/scenes.jsonl`, `generate --from ... -o run/`), they are
# made relative to its folder (`placed`), where a scene file's image paths are read from
PATHS_FROM_HERE = frozenset({"label_map", "dicom_seg", "dicom_rt"})
CONVERT = RunKind("convert", "two conversions to one scene file would mix their reject reports")
SHARED_REJECTS = RunKind("convert", lambda: "two conversions writing one reject report would mix their rejects (or "
                         f"give each a report of its own: {option('rejects=', '--rejects')})")


@dataclass
class ConvertSummary:
    input: str
    output: str
    rejects: str
    format: str
    format_detected: bool  # True when chosen by --from auto
    detection_reason: str | None
    scenes_read: int  # scenes written + scenes rejected
    scenes_written: int
    scenes_rejected: int
    rejected: int  # every reject entry (files, scenes, objects, relations)
    boxes_clipped: int
    repairs: dict[str, int] = field(default_factory=dict)
    rejected_by_level: dict[str, int] = field(default_factory=dict)
    # what the scenes written record only in part (``meta["sparse"]``: the reader's `sparse`
    # option, else the format's default, `SPARSE_DEFAULTS`)
    sparse: list[str] = field(default_factory=list)
    # the first few file-level rejects, "file: reason" (a file cut short, not UTF-8, a wrong top
    # level): said on screen, not only in the report, as they cost whole files of scenes
    file_faults: list[str] = field(default_factory=list)
    first_reject: str | None = None  # the first reject, "file, record R, field F: reason"
    # what the run says besides its counts (annotate: a resume of a run that had finished)
    notes: list[str] = field(default_factory=list)
    # files of a folder of veriscene JSONL not read, "file (what it is)": reject reports, a run's samples (empty ones unsaid)
    left_out: list[str] = field(default_factory=list)
    # nothing was converted and `output` already held a file: that file was left as it was, not
    # replaced by an empty one (`nothing_converted` says so)
    output_kept: bool = False
    # what the scenes written hold (`io.contents.Contents`): objects, relations, objects with a
    # mask, scenes naming a dense depth map
    objects_written: int = 0
    relations_written: int = 0
    masks_written: int = 0
    depth_maps_written: int = 0
    # nothing converted under a format given (not auto) that the input does not look like: what it
    # looks like and how to convert it (`nothing_converted` ends with it)
    format_hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def warnings(self) -> list[str]:
        """What the counts say the user most likely got wrong (printed under the summary):
        images not found under the image root leave sizes unchecked and paths pointing nowhere;
        scenes rejected for one bad part that --drop-bad-parts would keep."""
        out = []
        missing = self.repairs.get(IMAGE_NOT_FOUND, 0)
        if missing:
            share = ("every image" if missing >= self.scenes_written
                     else f"{missing} of {self.scenes_written} images")
            out.append(f"{share} not found under the image root (sizes unchecked, and the scene file names them "
                       f"there): is {option('image_root', '--image-root')} the folder the annotation's file names are "
                       "relative to?")
        for_a_part = self.repairs.get(PART_REJECTS_SCENE, 0)
        if for_a_part:
            out.append(f"{for_a_part} of the {self.scenes_rejected} scene(s) rejected were rejected for one bad object, "
                       "attribute or relation (a dangling relation, say): "
                       f"{option('drop_bad_parts=True', '--drop-bad-parts (-r drop_bad_parts=true)')} drops just that "
                       "part and keeps the scene")
        imageless = self.repairs.get(WITHOUT_IMAGE, 0)
        if imageless:  # (said in the table only: `generate --from` made a run of samples no trainer could read)
            share = ("every scene names" if imageless >= self.scenes_written
                     else f"{imageless} of {self.scenes_written} scenes name")
            out.append(f"{share} no image file (label maps without {option('images=DIR', '-r images=DIR')}, "
                       f"volumes without {option('slice_images=DIR', '-r slice_images=DIR')}): their samples show "
                       "no image, and exports for training skip them")
        turned = self.repairs.get(TURNED, 0)
        if turned:
            stored = option("drawn_on='stored'", "-r drawn_on=stored")
            out.append(f"{turned} image(s) carry an EXIF orientation: their boxes are taken as drawn on the photo as "
                       "shown, turned upright (as browser-based annotation tools draw, and every veriscene command "
                       "shows it); if the annotation was drawn on the stored pixels instead, convert again with "
                       f"{stored}, which maps every box and mask onto the photo shown (or remove the tags: "
                       "exiftool -Orientation= -overwrite_original DIR)")
        if self.left_out:
            out.append(f"left out of {self.input}: {', '.join(self.left_out)}: veriscene writes such files beside "
                       "scene files, and they hold no scenes (convert one by its own name to read it as scenes)")
        return out

    @classmethod
    def of(cls, input: str, output: str, rejects: str, format: str, written: int, report: RejectReport,
           sparse: list[str], detection_reason: str | None = None, detected: bool = False,
           contents: Contents | None = None) -> "ConvertSummary":
        """The summary of a run that wrote `written` scenes holding `contents` and reported into `report`."""
        contents = contents or Contents()
        return cls(input=input, output=output, rejects=rejects, format=format, format_detected=detected,
                   detection_reason=detection_reason, scenes_read=written + report.rejected["scene"],
                   scenes_written=written, scenes_rejected=report.rejected["scene"], rejected=report.total,
                   boxes_clipped=report.boxes_clipped, repairs=dict(report.repairs),
                   rejected_by_level={k: v for k, v in report.rejected.items() if v}, sparse=sparse,
                   file_faults=[f"{e.file}: {e.reason}" for e in report.entries if e.level == "file"][:_FILE_FAULTS],
                   first_reject=_said(report.entries[0]) if report.entries else None,
                   objects_written=contents.objects, relations_written=contents.relations,
                   masks_written=contents.masks, depth_maps_written=contents.depth_maps)

    @property
    def nothing_converted(self) -> str | None:
        """Why the run wrote no scene although the input had something to reject (a truncated or
        mis-encoded file, every record refused): the `convert` command then exits 1, so a
        `convert && generate` pipeline stops there. None when scenes were written, or when the
        input held nothing at all (a COCO file with no images)."""
        if self.scenes_written or not self.rejected:
            return None
        what = ("a file could not be read" if self.file_faults
                else f"all {self.scenes_rejected} scene(s) read were rejected")
        kept = f"; {self.output} was left as it was" if self.output_kept else ""
        hint = f"; {self.format_hint}" if self.format_hint else ""
        return (f"no scene converted from {self.input}: {what} (the first reject: {self.first_reject}); "
                f"see {self.rejects}{kept}{hint}")


def _said(entry: Reject) -> str:
    """A reject in one line: "file, record R, field F: reason"."""
    where = [str(entry.file)] + [f"{k} {v}" for k, v in (("record", entry.record), ("field", entry.field)) if v is not None]
    return f"{', '.join(where)}: {entry.reason}"


def write_scene_file(scenes: Callable[[RejectReport], Iterable[Scene]], out: Path,
                     rejects_path: str | os.PathLike[str] | None, strict: bool,
                     names: dict[str, str] | None = None,
                     contents: Contents | None = None) -> tuple[Path, int, RejectReport, bool]:
    """Write the scenes `scenes(report)` yields to `out` atomically, rejects to `rejects_path`
    (default: `out`'s folder/rejects.jsonl): (rejects path, scenes written, the report, whether
    an existing `out` was kept); `contents`, given, sums what the scenes written hold. The first
    batch is read before any file or folder is made (the report's at its first reject), so a reader refusing its options, as it does before its first
    record, leaves nothing behind. A run that converted nothing while rejecting something (a
    file cut short, every record refused) does not replace an existing `out` with an empty file:
    a fetch gone wrong would otherwise wipe the scene file a previous run made. The report is
    written through a hidden temporary name too, put in place when the conversion ends (an error
    or a strict stop included: its rejects say why); a conversion stopped by Ctrl-C or SIGTERM
    drops it, so a report an earlier conversion left stays beside the scenes it describes, as
    `out` does (before, the stopped run's partial report replaced it, while the command said
    nothing was written)."""
    rejects = Path(rejects_path) if rejects_path is not None else out.parent / "rejects.jsonl"
    # beside `out` (renamed onto it), named for this process; made by open(), so with the
    # permissions of any file the user makes (mkstemp's would be readable by the user alone)
    tmp_name = str(out.parent / f".{out.name}.{os.getpid()}.tmp")
    rejects_tmp = rejects.parent / f".{rejects.name}.{os.getpid()}.tmp"
    left_by_the_dead(out, rejects)
    if rejects.name.endswith(f".{os.getpid()}.tmp"):  # a temporary already (`engine.converted`'s), put in place there
        rejects_tmp = rejects
    try:
        done = _write_scenes(scenes, out, tmp_name, rejects_tmp, strict, names, contents)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM raised as it (`engine.interrupts.Terminated`)
        rejects_tmp.unlink(missing_ok=True)
        raise
    except BaseException:
        if rejects_tmp != rejects and rejects_tmp.exists():
            os.replace(rejects_tmp, rejects)
        raise
    if rejects_tmp != rejects and rejects_tmp.exists():
        os.replace(rejects_tmp, rejects)
    return rejects, done.written, done.report, done.kept


def left_by_the_dead(*paths: Path) -> list[Path]:
    """Remove (and return) the hidden temporaries `.NAME.PID.tmp` that conversions killed part-way
    (kill -9, a lost machine) left beside `paths` (the scene file and the reject report), of a
    process no longer running here: a partial scene file is as large as the part converted (34 MB
    after 7 s of a 20,000-scene Visual Genome file), and no later conversion took it away. Those
    of a live process are left alone (the lock on `out` keeps another conversion out meanwhile)."""
    from veriscene.engine.converted import _running

    removed = []
    for path in paths:
        for tmp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
            pid = tmp.name[len(path.name) + 2 : -len(".tmp")]
            if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


@dataclass
class _Written:
    report: RejectReport
    written: int  # scenes written
    kept: bool  # an existing `out` kept (nothing converted)


def _write_scenes(scenes: Callable[[RejectReport], Iterable[Scene]], out: Path, tmp_name: str, rejects: Path,
                  strict: bool, names: dict[str, str] | None, contents: Contents | None) -> _Written:
    """`write_scene_file`'s work, with the report at `rejects` (its temporary name)."""
    written = 0
    with RejectReport(rejects, names=names, deferred=True) as report:
        try:
            stream = iter(scenes(report))  # in batches: numbers are written short a batch at a time
            batch = list(islice(stream, BATCH))
            out.parent.mkdir(parents=True, exist_ok=True)
            with create_scene_file(tmp_name, compression_for_name(out), name=out.name) as fh:  # by out's suffix
                while batch:
                    for line in dumps_scenes(batch):
                        fh.write(line)
                        fh.write(b"\n")
                    if contents is not None:
                        for scene in batch:
                            contents.add(scene)
                    written += len(batch)
                    batch = list(islice(stream, BATCH))
            kept = not written and report.total > 0 and out.exists()
            if kept:
                os.unlink(tmp_name)
            else:
                os.replace(tmp_name, out)
        except BaseException as exc:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            if strict and isinstance(exc, SceneValidationError):
                report.add(exc, "scene")  # the one reject that stopped the run
            raise
    return _Written(report, written, kept)


def placed(scene: Scene, image_root: str | os.PathLike[str], folder: Path) -> Scene:
    """`scene` with its image path, which the annotation gives relative to `image_root`, made
    relative to `folder`, where the scene file is written (a scene's image path is relative to
    its own file's folder); under an image root given by URL (s3://bucket/val2017), the image's
    URL. Absolute paths and URLs are kept."""
    image = scene.image
    if not image or is_url(image) or os.path.isabs(image):
        return scene
    if is_url(image_root):
        from veriscene.engine.fetch import join_url

        return replace(scene, image=join_url(str(image_root).rstrip("/"), image))
    located = os.path.relpath(os.path.abspath(Path(image_root) / image), os.path.abspath(folder))
    return replace(scene, image=Path(located).as_posix())


def placed_depth_map(scene: Scene, root: str, folder: Path) -> Scene:
    """`scene` with a relative depth map path, given relative to `root` (the folder of the
    veriscene JSONL it was read from), made relative to `folder`, where the scene file is written,
    as `placed` moves image paths (`veriscene.scene.depth_maps`); under a `root` URL (scenes read
    from one), the map's URL. Absolute paths and URLs are kept."""
    path = scene.depth_map
    if not path or is_url(path) or os.path.isabs(path):
        return scene
    if is_url(root):
        from veriscene.engine.url_paths import join_url

        return replace(scene, depth_map=join_url(root.rstrip("/"), path))
    located = os.path.relpath(os.path.abspath(Path(root) / path), os.path.abspath(folder))
    return replace(scene, depth_map=Path(located).as_posix())


def relative_depth_map(scene: Scene, folder: Path) -> Scene:
    """`scene` with the depth map a reader found as a local file (ProVision's depth_masks/, read
    as an absolute path) named relative to `folder`, where the scene file is written, as a scene
    file's depth maps are read (`veriscene.scene.depth_maps.anchored`): the scene file and its maps
    moved together (a converted folder copied to another machine) still find each other. Before,
    the path was absolute, and the moved scenes named maps where they were no more. URLs and
    relative paths are kept, and an absolute path with no relative form (another drive on Windows).
    The path is made as written (a maps folder linked into the scenes' folder stays inside it),
    unless it does not lead to the map from `folder`: where `folder` is reached through a symbolic
    link, whose ".." the system takes in the folder linked to, it is made between the folders
    the links lead to."""
    path = scene.depth_map
    if not path or is_url(path) or not os.path.isabs(path):
        return scene
    try:
        located = os.path.relpath(path, os.path.abspath(folder))
        if not _same_file(os.path.join(folder, located), path):
            located = os.path.relpath(os.path.realpath(path), os.path.realpath(folder))
    except ValueError:  # (another drive)
        return scene
    return replace(scene, depth_map=Path(located).as_posix())


def _same_file(one: str, other: str) -> bool:
    """Whether the paths `one` and `other` lead to one file (False when either leads to none)."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def at_url(scene: Scene, folders: dict[str, str]) -> Scene:
    """`scene` with an image found in the local copy of a folder given by URL (a label map's
    `images=s3://...`, an MSD folder's imagesTr) named by its URL, as an `image_root` URL names
    them: the samples then say where the image is, on any machine. So is a dense depth map found
    there (a ProVision folder's depth_masks: read from the URL's local copy, `scene.depth_maps`),
    and the path of a ``meta["source_depth_map"]`` note."""
    image = renamed(scene.image, folders)
    depth_map = renamed(scene.depth_map, folders)
    note = scene.meta.get("source_depth_map")
    meta = scene.meta
    if isinstance(note, dict) and isinstance(note.get("path"), str) and renamed(note["path"], folders) != note["path"]:
        meta = {**meta, "source_depth_map": {**note, "path": renamed(note["path"], folders)}}
    if image == scene.image and depth_map == scene.depth_map and meta is scene.meta:
        return scene
    return replace(scene, image=image, depth_map=depth_map, meta=meta)


def check_output(out: str | os.PathLike[str], rejects: str | os.PathLike[str] | None) -> None:
    """Refuse an `out` (or `rejects`) that cannot be the file written: a folder, or a name ending
    in a separator (IsADirectoryError), or below a file (OutputError), naming the argument, before
    anything is read or written."""
    for name, path in (("out", out), ("rejects", rejects)):
        if path is None:
            continue
        check_file(name, path, "scenes.jsonl" if name == "out" else "rejects.jsonl")


def check_not_input(src: Path, out: Path, rejects: str | os.PathLike[str] | None) -> None:
    """Refuse (OutputError) a reject report or an `out` that is the input file (or the archive
    holding it), and a report that is `out`: the input would be written over. Before, `--rejects
    instances_val.json` replaced the COCO file with its own reject report."""
    from veriscene.io.writers.files import OutputError

    def same(a: Path, b: Path) -> bool:
        try:
            return a.exists() and b.exists() and os.path.samefile(a, b)
        except OSError:
            return False

    inputs = [src, *(p for p in src.parents if p.is_file())]  # a member of a zip: the archive too
    report = Path(rejects) if rejects is not None else out.parent / "rejects.jsonl"
    for name, path in (("out", out), ("rejects", report)):
        if any(same(path, given) for given in inputs):
            raise OutputError(f"{name} {path} is the input: it would be written over; give another file")
    if same(report, out) or report.absolute() == out.absolute():
        raise OutputError(f"rejects {report} is out: the scenes and the reject report need files of their own")


@renamed_keywords(rejects_path="rejects", fmt="from_format")
@holding_locks  # `out` and the reject report, until it returns (within `generate`: its folder's lock covers them)
def convert(
    input: str | os.PathLike[str],
    out: str | os.PathLike[str],
    from_format: str = "auto",
    *,
    strict: bool = False,
    rejects: str | os.PathLike[str] | None = None,
    source: str | None = None,
    storage_options: dict[str, Any] | None = None,
    option_urls: dict[str, str] | None = None,
    **options: Any,
) -> ConvertSummary:
    """Read `input` in `from_format` ("auto" detects it; the CLI's --from, and `generate`'s
    `from_format`) and write veriscene JSONL to `out`, rejects to `rejects` (default: `out`'s
    folder/rejects.jsonl). Deprecated old names: `fmt` (of `from_format`), `rejects_path`.

    In strict mode the first reject raises SceneValidationError (after it is written to the
    reject report) and `out` is left untouched. `source`: the name `input` goes by in rejects,
    errors and the summary (the URL it is the local copy of). An `input` given by URL
    (s3://bucket/instances.json, or a folder: s3://bucket/labelsTr/) is read through its local
    copy (`engine.fetch.fetch_input`, with fsspec's `storage_options`), as are files and folders
    options name by URL (`engine.fetch.fetch_options`; `image_root` stays a URL). An archive of a
    folder (a tar, or a zip given to a folder format) is read as the folder it holds, unpacked
    once into a cache (`veriscene.scene.unpack`); rejects name its files under the archive's name.
    `option_urls`: for options already holding such copies, their URLs (said instead of the
    copies). Other options go to the reader, as keywords (`masks=False`) or, as `generate` takes
    them, in a dict `reader_options={"masks": False}`. Another run writing `out` or the reject
    report meanwhile: `engine.run_lock.RunLockedError`, nothing read nor written.
    """
    if "reader_options" in options:  # generate's spelling of the same options
        given = options.pop("reader_options")
        if given is not None and not isinstance(given, dict):
            raise TypeError(f"reader_options must be a dict of reader option names and values, got {given!r}")
        both = sorted(set(given or {}) & set(options))
        if both:
            raise TypeError(f"reader option {both[0]!r} given twice: as a keyword and in reader_options")
        options.update(given or {})
    check_path("input", input, "the annotation file or folder or its URL")
    check_path("out", out, "the scene file to write")
    if not isinstance(from_format, str):
        raise TypeError(f"from_format must be the name of an input format (a str: 'auto', 'coco', 'gqa'...), "
                        f"got {from_format!r}")
    check_flags(strict=strict)  # strict="no" ran strict
    urls = dict(option_urls or {})
    if is_url(input) or any(isinstance(v, (str, os.PathLike)) and is_url(v) for v in options.values()):
        from veriscene.engine.fetch import fetch_input, fetch_options

        if is_url(input):
            source, input = source or str(input), fetch_input(str(input), storage_options)
        options, fetched = fetch_options(options, storage_options)
        urls.update(fetched)
    check_output(out, rejects)  # before the input is read or anything written (`out` as given: `scenes/`)
    src, out = Path(input), Path(out)
    check_not_input(src, out, rejects)
    lock_file(out, CONVERT)  # RunLockedError while another run writes it (or the report), before any reading
    lock_file(Path(rejects) if rejects is not None else out.parent / "rejects.jsonl", SHARED_REJECTS)
    archives.require(src)  # a file or a folder, or a file inside a zip archive (a.zip/b.json)
    # local copies said by their URLs (a folder's files by theirs)
    names = ({str(src): source} if source is not None else {}) | {str(options[k]): url for k, url in urls.items()}
    folders = {local: url for local, url in names.items() if Path(local).is_dir()}
    if unpack.to_unpack(src, from_format if from_format == "auto" else resolve_format(from_format)):  # an archive of a folder
        archive, src = source or str(src), unpack.unpacked(src)
        inside = src.relative_to(unpack.cache_folder(Path(input))).as_posix()
        names[str(src)] = archive if inside == "." else f"{archive}/{inside}"  # its files: archive.tar/labelsTr/...
        source = archive
    reason = None
    if from_format == "auto":
        name, reason = detect(src)
    else:
        name = resolve_format(from_format)
    root = options.get("image_root")
    left_out: list[str] = []
    if name == "veriscene_jsonl":
        if root is None:  # its images are relative to the scene file's folder (the input's, when a folder)
            root = _scene_folder(src, source)
        if src.is_dir():
            left_out = [f"{renamed(str(p), names)} ({what})" for p in folder_jsonl(src)
                        if (what := not_scenes(p)) and p.stat().st_size]  # an empty one would add nothing

    # a veriscene JSONL input's depth maps are relative to its folder, whatever the image root
    maps_root = _scene_folder(src, source) if name == "veriscene_jsonl" else None

    def scenes(report: RejectReport) -> Iterable[Scene]:
        found = read(src, name, report=report, strict=strict, **options)
        if name in PATHS_FROM_HERE:  # (image_root gives these readers image sizes, not paths)
            found = (placed(scene, os.curdir, out.parent) for scene in (
                found if not folders else (at_url(scene, folders) for scene in found)))
            return found
        if root is not None:
            found = (placed(scene, root, out.parent) for scene in found)
        if maps_root is not None:
            found = (placed_depth_map(scene, maps_root, out.parent) for scene in found)
        if folders:
            found = (at_url(scene, folders) for scene in found)
        if name != "veriscene_jsonl":  # (a veriscene JSONL file's absolute maps are kept, as its images are)
            found = (relative_depth_map(scene, out.parent) for scene in found)
        return found

    contents = Contents()
    try:
        written_to, written, report, kept = write_scene_file(scenes, out, rejects, strict, names or None, contents)
    except IsADirectoryError as exc:  # a folder given to a reader of one file (COCO, VG, GQA...)
        folder = renamed(str(exc.filename), names) if exc.filename else source or str(src)
        raise IsADirectoryError(f"{folder} is a folder: the {name} reader reads an annotation file (give the file "
                                "in it)") from None
    except SceneValidationError as exc:  # strict: the first reject, named as in the report
        if not names:
            raise
        raise SceneValidationError(exc.reason, source=renamed(exc.source, names), record=exc.record,
                                   field=exc.field) from None
    summary = ConvertSummary.of(source or str(src), str(out), str(written_to), name, written, report,
                                sparse_for(name, options.get("sparse")), reason, detected=from_format == "auto",
                                contents=contents)
    summary.left_out = left_out
    summary.output_kept = kept
    if from_format != "auto" and not written and report.total:
        summary.format_hint = _looks_like(src, name)
    return summary


def _looks_like(src: Path, given: str) -> str | None:
    """What an input every record of which `given`'s reader rejected looks like, when another
    format (`detect`), and how to convert it; None when it looks like `given`, or like nothing."""
    try:
        found, why = detect(src)
    except (ValueError, OSError):  # FormatDetectionError: like no format
        return None
    if found == given:
        return None
    what = "veriscene scene JSONL" if found == "veriscene_jsonl" else f"{found} annotations"
    how = option(f"from_format='auto' (or from_format={found!r})", f"--from auto (or --from {found})")
    return f"it looks like {what} ({why}), not {given}: convert it with {how}"


def _scene_folder(src: Path, source: str | None) -> str:
    """The folder a veriscene JSONL input's image paths are relative to: the file's, or the folder
    given; for a local copy of a URL (`source`), the URL's."""
    if source is not None and is_url(source):
        from veriscene.engine.url_paths import url_folder

        return source.rstrip("/") if src.is_dir() else url_folder(source)
    return str(src if src.is_dir() else src.parent)
