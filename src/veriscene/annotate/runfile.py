"""Writing an annotation run so that a run killed at any moment can go on where it stopped.

Scenes go to ``.<out>.partial`` beside `out`, rejects to the reject report, and after each image
``.<out>.state.json`` records (written atomically) how many images are done, how many bytes of
each file hold them, the counts so far, and what the run is (its images, their number and names,
the stages, their models and settings, the veriscene version). When every image is done the partial
file becomes `out`, and the state stays, marked ``finished`` with the size and SHA-256 of `out`
(``out_bytes``, ``out_sha256``): what the finished run was (saved just before `out` is written: a
run killed in between finds its partial file beside a finished state, and writes `out` again when
resumed). So an uninterrupted run leaves beside `out` the reject report and ``.<out>.state.json``.

With `resume`, the state is read first: the run must be the same (else ValueError names what
differs; a finished run's too, its `out` left as it is). A state left by a killed run: both files
are cut back to the bytes the state names (a scene or reject written after the state was saved
goes, and is made again), and images are taken up after the last one done. A finished run (with no
images to do again, below) is not run again: `out` is left as it is, checked to be as the run wrote
it (ValueError when it is gone or changed since), and the summary is the run's, its notes saying
it had finished (`FINISHED_NOTE`). `out` there without a state (a run finished by a release that
deleted it, or the state deleted) is refused too: nothing says it is this run's. Without `resume`,
or with no state nor `out`, the run starts from the first image, and a state there goes before
the first image is done. The images may be annotated on several workers (`parallel`); they are
written here in order, one at a time, so the state and a resume work alike, and a run may be
resumed with another number of workers.

Scenes name their images relative to `out`'s folder (a scene file's image paths are read from its
own folder), whatever folder the run starts in. Files of the images' folder left out (another
format, a broken link) are reported first, at level ``file``. A model that cannot be used at all
(`ModelConfigError`: HTTP 401, 403 or 404 from its server, at any stage) stops the run, the state
kept, so that `resume` goes on once the key, URL or model name is put right.

Images a model's server failed on (its requests timed out or failed after their retries) are
noted as the run goes (`retry`). With `resume`, they are done again first, on the workers that
then go on with the run (one pool: models load once), and put in their places, so the files come
out as a run that never failed would have written them; the summary counts them
(`retry.RETRIED`, and `retry.FAILED_AGAIN` of those failing still). A run that finished with such
images keeps their notes too (``.<out>.retry.jsonl``, gone once none is left): `resume` then does
just those images again (from a copy of `out` as the partial file, which then stays until `out` is
written anew; `out` is checked as for a finished run first). Images rejected for their own fault
are not done again.
The scene file and the reject report are locked while a run writes them (`lock_outputs`,
`engine.run_lock`): a second run writing either (the same command started twice, or two runs
into one folder, sharing its default `rejects.jsonl`) is refused before it writes anything.
Before, both wrote into one partial file, and one ended with a scene file mixing the two runs'
scenes and a line cut in two, the other with a traceback.
`progress(n)` counts images done: on a resume, first those done before less those to do again,
then one for each image done again, then one for each of the rest (so it ends at the count); on
a resume of a finished run with nothing to do again, the count at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import orjson

from veriscene import __version__
from veriscene.annotate.parallel import Part, annotated_parts, effective_threads, first_images, handed_on
from veriscene.annotate.pipeline import FORMAT, FailingStart, Stages, image_files, report_skipped
from veriscene.annotate.retry import (
    PER_RUN, Noted, commit, finish_moves, next_file, notes_file, put_in_place, read_notes,
)
from veriscene.engine.manifest import file_sha256
from veriscene.engine.run_lock import RunKind, lock_file
from veriscene.evaluate.adapters.base import ModelConfigError
from veriscene.io.contents import Contents
from veriscene.io.convert import ConvertSummary
from veriscene.io.rejects import Reject, RejectReport
from veriscene.scene.compressed import compression_for_name, create_scene_file, open_scene_file
from veriscene.option_names import option


# what a resume of a finished run (with no image to do again) says in the summary's notes
FINISHED_NOTE = "resumed: the run had finished; its {count} images kept, none annotated again ({out} left as it was)"


# how the user goes on, or starts over, in the names the caller gave the options by (`option_names`)
def _go_on() -> str:
    return option("call annotate again with resume=True to go on", "run the same command with --resume to go on")


def start_over() -> str:
    """How to annotate the images again, in the caller's names (`option_names`)."""
    return option("call annotate again with resume=False", "run without --resume") + " to annotate the images again"


# what a run refused for another writing its scene file, or its reject report, says
def annotate_run() -> RunKind:
    return RunKind("annotate", "two runs writing one scene file would mix their scenes",
                   f" (with {option('resume=True', '--resume')} to go on from the images it finished)")


def shared_rejects() -> RunKind:
    return RunKind("annotate", "two runs writing one reject report would mix their rejects (or give each run a "
                               f"report of its own: {option('rejects=', '--rejects')})")


def lock_outputs(out: Path, rejects_path: str | os.PathLike[str] | None) -> None:
    """Lock `out` and the reject report (default: `rejects.jsonl` beside `out`) for the calling
    `holding_locks` function (`engine.run_lock`); RunLockedError when another run writes either."""
    lock_file(out, annotate_run())
    lock_file(Path(rejects_path) if rejects_path is not None else out.parent / "rejects.jsonl", shared_rejects())


def run_files(out: Path) -> tuple[Path, Path]:
    """(partial scenes file, state file) of a run writing `out`."""
    return out.with_name(f".{out.name}.partial"), out.with_name(f".{out.name}.state.json")


def _check_finished(state: dict[str, Any], out: Path) -> None:
    """Refuse to go on with the finished run `state` describes when its `out` is gone or is not
    what it wrote (by size and SHA-256; states of runs finished before they were recorded: by
    the size of its scenes, in `_reopened`)."""
    if not out.is_file():
        raise ValueError(f"{out}: the run had finished, and its output is gone since; {start_over()}")
    if "out_sha256" not in state:
        return
    size = out.stat().st_size
    if size != state["out_bytes"] or file_sha256(out) != state["out_sha256"]:
        raise ValueError(f"{out}: changed since the run finished ({size} bytes, the run wrote {state['out_bytes']}; "
                         f"SHA-256 not the run's); {start_over()} and overwrite it")


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(state))
    os.replace(tmp, path)


def _finish(partial: Path, out: Path, state: dict[str, Any], state_path: Path) -> None:
    """Put the finished partial file at `out`: renamed, or compressed when `out`'s name asks for it
    (`.gz`, `.zst`, `.bz2`, `.xz`; the partial file stays plain, as a resumed run appends to it).
    Just before, `state` is saved marked finished, with the size and SHA-256 of what becomes `out`
    (`_check_finished`): a run killed in between leaves its partial file beside a finished state,
    and a resume writes `out` from it again."""
    kind = compression_for_name(out)
    ready = partial if kind is None else out.with_name(f".{out.name}.tmp")
    if kind is not None:
        with open(partial, "rb") as src, create_scene_file(ready, kind, name=out.name) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    state.update(finished=True, out_bytes=ready.stat().st_size, out_sha256=file_sha256(ready))
    _save(state_path, state)
    os.replace(ready, out)
    partial.unlink(missing_ok=True)


def _reopened(state: dict[str, Any], partial: Path, out: Path) -> bool:
    """Whether the partial file of the run `state` describes is there to go on with: as it was
    left, or taken back from `out` (checked by `_check_finished`) when the run finished with
    images the server failed on."""
    if partial.is_file():
        if partial.stat().st_size < state["bytes"]:
            raise ValueError(f"{partial}: shorter than the run's state says ({state['bytes']} bytes); run without "
                             "resume to start over")
        return True
    if not state.get("finished"):
        return False
    tmp = partial.with_name(partial.name + ".tmp")
    with open_scene_file(out) as src, open(tmp, "wb") as dst:  # decompressed, if `out` is
        shutil.copyfileobj(src, dst, 1 << 20)
    size = tmp.stat().st_size
    if size != state["bytes"]:
        tmp.unlink()
        raise ValueError(f"{out}: {size} bytes of scenes where the run wrote {state['bytes']}: it changed since the "
                         "run; run without resume to start over")
    os.replace(tmp, partial)
    return True


def fingerprint(images: str | os.PathLike[str], listing: tuple[Path, list[Path]], stages: Stages,
                batch_size: int = 1, threads: int | None = None) -> dict[str, Any]:
    """What a run is: a resumed run must match it (the batch size and torch's threads too: images
    padded together, or sums split otherwise, may come out of a model slightly otherwise).
    `listing`: `image_files(images)`."""
    root, files = listing
    names = "\n".join(p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p) for p in files)
    what = {"images": str(images), "count": len(files), "names_sha256": hashlib.sha256(names.encode()).hexdigest(),
            "stages": stages.provenance(), "batch_size": batch_size, "threads": threads,
            "veriscene_version": __version__}
    if stages.depth_maps is not None:  # (only when given: runs without keep their fingerprint)
        what["depth_maps"] = stages.depth_maps
    return what


def _differences(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Each setting that differs, by its path (``stages.detector.box_format: 'norm1000' -> 'norm1'``),
    not the whole of the stages it is in."""
    found = []
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key), new.get(key)
        if isinstance(was, dict) and isinstance(now, dict):
            found += _differences(was, now, f"{prefix}{key}.")
        elif was != now:
            found.append(f"{prefix}{key}: {was!r} -> {now!r}")
    return found


def _had_finished(images: str | os.PathLike[str], out: Path, rejects: Path, state: dict[str, Any],
                  sparse: list[str]) -> ConvertSummary:
    """The summary of the finished run `state` describes, resumed with nothing to do: its counts
    (but those of the images done again by the resume that finished it) and first rejects, as
    the run said them, and a note saying so."""
    report = RejectReport()  # in memory: the reject report is only read
    if rejects.is_file():
        with open(rejects, "rb") as fh:
            kept = fh.read(state["rejects_bytes"]).splitlines()[:report.keep]
        for line in kept:
            try:
                report.entries.append(Reject(**orjson.loads(line)))
            except (orjson.JSONDecodeError, TypeError):  # a line not of the report's making: not shown
                continue
    report.rejected.update(Counter(state["rejected"]))
    report.repairs.update(Counter({k: n for k, n in state["repairs"].items() if k not in PER_RUN}))
    summary = ConvertSummary.of(str(images), str(out), str(rejects), FORMAT, state["written"], report, sparse,
                                contents=Contents.of_file(out))
    summary.notes.append(FINISHED_NOTE.format(count=state["done"], out=out.name))
    return summary


def _write_rest(parts: Iterator[Part], state: dict[str, Any], images: str | os.PathLike[str], count: int,
                skipped: list[tuple[str, str]], out: Path, partial: Path, state_path: Path, rejects: Path,
                notes_path: Path, progress: Callable[[int], None] | None) -> RejectReport:
    """Write each image of `parts` (the run's `count` images from ``state["done"]`` on) after the
    partial scene file, the reject report and the notes as `state` has them (empty when it starts
    over), updating and saving it after each: the report, closed, with the whole run's counts."""
    with RejectReport(rejects, append_at=state["rejects_bytes"] if state["done"] else None) as report, \
            open(partial, "r+b" if state["done"] else "wb") as fh, \
            open(notes_path, "r+b" if state["done"] and notes_path.is_file() else "wb") as noted:
        for fresh in ((fh, state["bytes"]), (noted, state["noted_bytes"])):
            fresh[0].truncate(fresh[1])
            fresh[0].seek(fresh[1])
        report.rejected.update(state["rejected"])
        report.repairs.update(state["repairs"])
        if not state["done"]:
            for stale in (partial, rejects, notes_path):
                next_file(stale).unlink(missing_ok=True)  # of a run started over while putting files in place
            report_skipped(report, images, skipped, [out, partial, state_path, rejects])
        scene_at, rejects_at = fh.tell(), report.tell()
        for done in handed_on(parts, report, FailingStart(count - state["done"])):
            if done.line is not None:
                fh.write(done.line)
                state["written"] += 1
            fh.flush()
            if done.server:  # not the image's fault: noted, for a resume to do it again
                noted.write(Noted.of(done, (scene_at, fh.tell()), (rejects_at, report.tell())).line())
                noted.flush()
            scene_at, rejects_at = fh.tell(), report.tell()
            state.update(done=done.position + 1, bytes=scene_at, rejects_bytes=rejects_at,
                         noted_bytes=noted.tell(), rejected=dict(report.rejected), repairs=dict(report.repairs))
            _save(state_path, state)
            if progress is not None:
                progress(1)
    return report


def write_resumable(images: str | os.PathLike[str], out: Path, stages: Stages, *, strict: bool,
                    rejects_path: str | os.PathLike[str] | None, resume: bool,
                    progress: Callable[[int], None] | None, batch_size: int = 1, workers: int = 1,
                    backend: str = "local", address: str | None = None,
                    threads: int | None = None, devices: Sequence[str] = ("cpu",),
                    gpus_per_worker: float = 1.0, task_timeout: float | None = None) -> ConvertSummary:
    """Run `stages` on `images` into `out` (module notes) and summarise the whole run; on `workers`
    local processes or Ray tasks (`parallel`; `devices`: where models not loaded yet load), which
    changes nothing in the output. `task_timeout`: `parallel.annotated_parts`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    rejects = Path(rejects_path) if rejects_path is not None else out.parent / "rejects.jsonl"
    partial, state_path = run_files(out)
    skipped: list[tuple[str, str]] = []
    listing = image_files(images, skipped)
    stages = replace(stages, image_folder=os.path.abspath(out.parent))  # image paths relative to it
    threads = effective_threads(workers, backend, threads)
    what = fingerprint(images, listing, stages, batch_size, threads)
    notes_path = notes_file(out)
    state: dict[str, Any] = {"run": what, "done": 0, "written": 0, "bytes": 0, "rejects_bytes": 0,
                             "noted_bytes": 0, "rejected": {}, "repairs": {}}
    if resume and state_path.is_file():
        saved = orjson.loads(state_path.read_bytes())
        differ = _differences(saved["run"], what)
        if differ:
            raise ValueError(f"{out}: cannot resume a different run ({'; '.join(differ)}); run without resume "
                             "to start over")
        finish_moves(state_path, saved, _save)  # a resumed run killed while putting its files in place
        if saved.get("finished") and not partial.is_file():  # (a partial file: a resume of it under way)
            _check_finished(saved, out)
            if not saved["noted_bytes"]:  # nothing to do again: `out` stays as it is
                if progress is not None:
                    progress(saved["done"])
                return _had_finished(images, out, rejects, saved, stages.sparse())
        if _reopened(saved, partial, out):
            state = saved
            state.setdefault("noted_bytes", 0)
            state["repairs"] = {k: n for k, n in state["repairs"].items() if k not in PER_RUN}
    elif resume and out.exists():
        raise ValueError(f"{out}: there already, with no state of the run that wrote it beside it "
                         f"({state_path.name}: earlier releases deleted it once a run finished), so it cannot be "
                         f"told to be this run's output; {start_over()} and overwrite it")
    if state["done"] and (not rejects.is_file() or rejects.stat().st_size < state["rejects_bytes"]):
        raise ValueError(f"{rejects}: the reject report is missing or shorter than the run's state says "
                         f"({state['rejects_bytes']} bytes); run without resume to start over")
    if not state["done"]:  # started over: an earlier run's state must not outlive the files cut below
        state_path.unlink(missing_ok=True)
    count = len(listing[1])
    run: dict[str, Any] = {"strict": strict, "batch_size": batch_size, "workers": workers, "backend": backend,
                           "address": address, "threads": threads, "devices": devices,
                           "gpus_per_worker": gpus_per_worker, "task_timeout": task_timeout}
    try:
        notes = read_notes(notes_path, state["noted_bytes"]) if state["done"] else []
        if progress is not None and state["done"] > len(notes):
            progress(state["done"] - len(notes))  # an image to do again is done once it is
        # one stream, on one set of workers (models load once): the images to do again first, then
        # the rest of the run; the first are put in their places before the rest is written
        with closing(annotated_parts(images, stages, listing, start=state["done"],
                                     redo={n.position: n.answers for n in notes}, **run)) as parts:
            if notes:
                redone = {}
                for done in first_images(parts, len(notes)):
                    redone[done.position] = done
                    if progress is not None:
                        progress(1)
                commit(state_path, state, put_in_place(state, notes, redone, partial, rejects, notes_path), _save)
            report = _write_rest(parts, state, images, count, skipped, out, partial, state_path, rejects, notes_path,
                                 progress)
    except ModelConfigError as exc:  # not the images' fault: stop, keeping what was done
        said = str(exc)  # "... is --base-url right?" takes no full stop after it
        said += "" if said.endswith((".", "?", "!")) else "."
        raise ModelConfigError(f"{said} The run stopped after {state['done']} of {count} images, "
                               f"which are kept: put it right, then {_go_on()}") from None
    # the state stays: what the finished run was, for a later resume (`_check_finished`); with the
    # notes of images the server failed on, if any, for it to do them again
    _finish(partial, out, state, state_path)
    if not state["noted_bytes"]:
        notes_path.unlink(missing_ok=True)
    return ConvertSummary.of(str(images), str(out), str(rejects), FORMAT, state["written"], report, stages.sparse(),
                             contents=Contents.of_file(out))
