"""Writing an annotation run so that a run killed at any moment can go on where it stopped.

Scenes go to ``.<out>.partial`` beside `out`, rejects to the reject report, and after each image
``.<out>.state.json`` records (written atomically) how many images are done, how many bytes of
each file hold them, the counts so far, and what the run is (its images, their number and names,
the stages, their models and settings, the veriscene version). When every image is done the partial
file becomes `out` and the state goes.

With `resume`, a state left by a killed run is read: the run must be the same (else ValueError
names what differs), both files are cut back to the bytes the state names (a scene or reject
written after the state was saved goes, and is made again), and images are taken up after the last
one done. Without it, or with no state, the run starts from the first image. The images may be
annotated on several workers (`parallel`); they are written here in order, one at a time, so the
state and a resume work alike, and a run may be resumed with another number of workers.

Scenes name their images relative to `out`'s folder (a scene file's image paths are read from its
own folder), whatever folder the run starts in. Files of the images' folder left out (another
format, a broken link) are reported first, at level ``file``. A model that cannot be used at all
(`ModelConfigError`: HTTP 401, 403 or 404 from its server) stops the run, the state kept, so that
`resume` goes on once the key, URL or model name is put right.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import orjson

from veriscene import __version__
from veriscene.annotate.parallel import effective_threads, outcomes
from veriscene.annotate.pipeline import FORMAT, Stages, image_files, report_skipped
from veriscene.evaluate.adapters.base import ModelConfigError
from veriscene.io.convert import ConvertSummary
from veriscene.io.rejects import RejectReport
from veriscene.scene.compressed import compression_for_name, create_scene_file


def run_files(out: Path) -> tuple[Path, Path]:
    """(partial scenes file, state file) of a run writing `out`."""
    return out.with_name(f".{out.name}.partial"), out.with_name(f".{out.name}.state.json")


def _finish(partial: Path, out: Path) -> None:
    """Put the finished partial file at `out`: renamed, or compressed when `out`'s name asks for it
    (`.gz`, `.zst`, `.bz2`, `.xz`; the partial file stays plain, as a resumed run appends to it)."""
    kind = compression_for_name(out)
    if kind is None:
        os.replace(partial, out)
        return
    tmp = out.with_name(f".{out.name}.tmp")
    with open(partial, "rb") as src, create_scene_file(tmp, kind) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, out)
    partial.unlink()


def fingerprint(images: str | os.PathLike[str], listing: tuple[Path, list[Path]], stages: Stages,
                batch_size: int = 1, threads: int | None = None) -> dict[str, Any]:
    """What a run is: a resumed run must match it (the batch size and torch's threads too: images
    padded together, or sums split otherwise, may come out of a model slightly otherwise).
    `listing`: `image_files(images)`."""
    root, files = listing
    names = "\n".join(p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p) for p in files)
    return {"images": str(images), "count": len(files), "names_sha256": hashlib.sha256(names.encode()).hexdigest(),
            "stages": stages.provenance(), "batch_size": batch_size, "threads": threads,
            "veriscene_version": __version__}


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [f"{key}: {old.get(key)!r} -> {new.get(key)!r}" for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)]


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(state))
    os.replace(tmp, path)


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
    state: dict[str, Any] = {"run": what, "done": 0, "written": 0, "bytes": 0, "rejects_bytes": 0,
                             "rejected": {}, "repairs": {}}
    if resume and state_path.is_file() and partial.is_file():
        saved = orjson.loads(state_path.read_bytes())
        differ = _differences(saved["run"], what)
        if differ:
            raise ValueError(f"{out}: cannot resume a different run ({'; '.join(differ)}); run without resume "
                             "to start over")
        state = saved
    with RejectReport(rejects, append_at=state["rejects_bytes"] if state["done"] else None) as report, \
            open(partial, "r+b" if state["done"] else "wb") as fh:
        fh.truncate(state["bytes"])
        fh.seek(state["bytes"])
        report.rejected.update(state["rejected"])
        report.repairs.update(state["repairs"])
        if progress is not None and state["done"]:
            progress(state["done"])
        if not state["done"]:
            report_skipped(report, images, skipped, [out, partial, state_path, rejects])
        try:
            for done in outcomes(images, stages, listing, report, start=state["done"], strict=strict,
                                 batch_size=batch_size, workers=workers, backend=backend, address=address,
                                 threads=threads, devices=devices, gpus_per_worker=gpus_per_worker,
                                 task_timeout=task_timeout):
                if done.line is not None:
                    fh.write(done.line)
                    state["written"] += 1
                fh.flush()
                state.update(done=done.position + 1, bytes=fh.tell(), rejects_bytes=report.tell(),
                             rejected=dict(report.rejected), repairs=dict(report.repairs))
                _save(state_path, state)
                if progress is not None:
                    progress(1)
        except ModelConfigError as exc:  # not the images' fault: stop, keeping what was done
            raise ModelConfigError(f"{exc}. The run stopped after {state['done']} of {len(listing[1])} images, "
                                   "which are kept: put it right, then run the same command with --resume "
                                   "(resume=True) to go on") from None
    _finish(partial, out)
    state_path.unlink()
    return ConvertSummary.of(str(images), str(out), str(rejects), FORMAT, state["written"], report, stages.sparse())
