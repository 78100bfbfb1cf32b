"""`generate`: scenes in, verified-by-construction samples out, streaming.

Output folder layout:
    samples.jsonl    one sample record per line, in scene order, then generator-name order
    manifest.json    inputs (path, sha256), seed, filled generator configs, modes, counts
    vocabulary.json  names / attributes / predicates of the input (used for distractors)
    rejects.jsonl    scene records that failed validation (file, record, field, reason)

Sample image paths are relative to the output folder (or absolute when they cannot be).
Two passes over the input: the first collects the vocabulary (so that distractors and negatives do
not depend on scene order or worker count), the second generates.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterable, Sequence

import orjson

from veriscene.engine.summary import RunSummary, peak_memory_mb
from veriscene.errors import SceneValidationError
from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.io.rejects import RejectReport
from veriscene.scene.jsonl import read_scenes
from veriscene.scene.model import Scene

MODE_CHOICES = {"qa": ("qa",), "mc": ("mc",), "both": ("qa", "mc")}
Progress = Callable[[int], None]


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_modes(mode: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(mode, str):
        if mode not in MODE_CHOICES:
            raise ValueError(f"mode must be one of {sorted(MODE_CHOICES)}, got {mode!r}")
        return MODE_CHOICES[mode]
    return tuple(mode)


def _image_path(scene: Scene, scenes_dir: Path | None, out_dir: Path) -> str | None:
    if scene.image is None:
        return None
    image = Path(scene.image)
    if not image.is_absolute() and scenes_dir is not None:
        image = scenes_dir / image
    if not image.is_absolute():
        return scene.image
    try:
        return os.path.relpath(image, out_dir)
    except ValueError:  # different drive (Windows)
        return str(image)


def write_json(path: Path, data: object) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def generate(
    scenes: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    seed: int = 0,
    generators: str | None = None,
    mode: str | Sequence[str] = "both",
    per_scene: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> RunSummary:
    """Generate samples for every scene of a veriscene JSONL file into folder `out`.

    `generators` is a comma-separated list of names, globs or families (all when None); `mode`
    is "qa", "mc" or "both" (caption generators always run in caption mode). Bad scene records are
    written to `out/rejects.jsonl` and counted, or raise with `strict`.
    """
    start = time.perf_counter()
    scenes_path = Path(scenes)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    modes = parse_modes(mode)
    classes = select_generators(generators)
    instances = []
    for cls in classes:
        config = cls.Config() if per_scene is None else cls.Config(per_scene=per_scene)
        instances.append(cls(config))

    with RejectReport(out_dir / "rejects.jsonl") as report:
        on_error = None if strict else (lambda err: report.add(err))
        vocab = Vocabulary.from_scenes(read_scenes(scenes_path, on_error=None if strict else (lambda e: None)))
        runner = SceneRunner(instances, vocab, seed=seed, modes=modes)
        summary = RunSummary(out_dir=str(out_dir))
        tmp = out_dir / "samples.jsonl.tmp"
        with open(tmp, "wb") as fh:
            for scene in read_scenes(scenes_path, on_error=on_error):
                image_path = _image_path(scene, scenes_path.parent.resolve(), out_dir.resolve())
                for sample in runner.run(scene, image_path=image_path):
                    fh.write(orjson.dumps(sample.to_dict()))
                    fh.write(b"\n")
                    summary.add(sample)
                summary.scenes += 1
                if progress is not None:
                    progress(1)
        os.replace(tmp, out_dir / "samples.jsonl")
        summary.rejects = report.summary()

    summary.generator_stats = runner.stats
    write_json(out_dir / "vocabulary.json", vocab.to_dict())
    manifest = {
        "veriscene_version": _version(),
        "scenes": {"path": os.path.relpath(scenes_path.resolve(), out_dir.resolve()), "sha256": file_sha256(scenes_path)},
        "seed": seed,
        "modes": list(modes),
        "generators": {g.name: {"version": g.version, "family": g.family, "config": asdict(g.config)} for g in instances},
        "counts": {"scenes": summary.scenes, "samples": summary.samples, "rejected_scenes": report.total},
        "files": {"samples": "samples.jsonl", "vocabulary": "vocabulary.json", "rejects": "rejects.jsonl"},
    }
    write_json(out_dir / "manifest.json", manifest)
    summary.seconds = time.perf_counter() - start
    summary.peak_memory_mb = peak_memory_mb()
    return summary


def _version() -> str:
    from veriscene import __version__

    return __version__


def count_lines(path: str | os.PathLike[str]) -> int:
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())
