"""`veriscene demo`: render a synthetic world, generate from it, export LLaVA, verify everything.

    from veriscene.demo.pipeline import run_demo
    result = run_demo("demo_out", scenes=200, seed=0)
    result.summary.samples, result.verification.mismatches

Writes into the output folder: images/, scenes.jsonl, samples.jsonl, llava.json, manifest.json,
vocabulary.json, rejects.jsonl. The same seed gives byte-identical files. The folder is locked
from the first image rendered to the last sample verified (`engine.run_lock`): a second demo (or
a `generate`) into it meanwhile is refused, before it writes anything.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from veriscene.demo.world import make_world
from veriscene.engine.generate import generate
from veriscene.engine.manifest import RunExistsError
from veriscene.engine.run_folder import DERIVED, RUN_FILES, RUN_FOLDERS
from veriscene.engine.run_lock import RunKind, holding_locks, lock_folder
from veriscene.engine.summary import RunSummary
from veriscene.scene.jsonl import write_scenes
from veriscene.verify import VerifyReport, verify
from veriscene.option_names import option

# progress(stage, advance, total): stage is "render", "generate" or "verify"
StageProgress = Callable[[str, int, int], None]
# Two demos in one folder: each renders its images and scenes over the other's, then generates
# from a mix (seen: the one that finished exiting 1, `verify` finding 875 of its 2,503 samples wrong)
DEMO = RunKind("demo", "two demos in one folder would mix their images, scenes and samples")
# What a demo replaces in its folder (and what `export`, `card` and `stats` add there by default,
# which its generate removes): a folder holding them must be a demo's (`check_demo_folder`)
DEMO_ENTRIES = frozenset({"scenes.jsonl", "llava.json", *RUN_FILES, *RUN_FOLDERS, *DERIVED})
_DEMO_IMAGE = re.compile(r"demo-\d{6,}\.png")


@dataclass
class DemoResult:
    out_dir: Path
    summary: RunSummary
    verification: VerifyReport
    llava_path: Path | None


@holding_locks  # the folder's lock, held through every stage (`generate` and `export` share it)
def run_demo(
    out: str | os.PathLike[str] = "demo_out",
    *,
    scenes: int = 200,
    seed: int = 0,
    generators: str | None = None,
    mode: str = "both",
    render: bool = True,
    workers: int = 1,
    generator_options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: StageProgress | None = None,
) -> DemoResult:
    """Make the demo world and a verified data set from it (see module docstring).
    `generator_options`: {NAME: {OPTION: VALUE}}, the generators' options `generate` takes (the
    command's ``--set NAME.OPTION=VALUE``), checked before anything is rendered."""
    if scenes <= 0:
        raise ValueError(f"scenes must be a positive number, got {scenes}")
    if not 0 <= seed < 2**64:  # the demo world's random generator takes no negative seed
        raise ValueError(f"seed must be 0 to 2**64-1 for the demo, got {seed}")
    if generator_options:  # names, types and ranges, before the world is rendered
        from veriscene.generators.generator_options import settings_for
        from veriscene.generators.registry import select_generators

        settings_for(generator_options, [cls.name for cls in select_generators(generators)])
    out_dir = Path(out)
    lock_folder(out_dir, DEMO)  # (made for it, removed again if nothing was written)
    check_demo_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)  # (where nothing is locked: Windows)

    def tick(stage: str, total: int) -> Callable[..., None]:
        return lambda *args: progress(stage, 1, total) if progress is not None else None

    world = make_world(out_dir, n=scenes, seed=seed, render=render, progress=tick("render", scenes))
    if render:  # an earlier, larger demo's images named by no scene now (`demo-NNNNNN.png`: the demo's own)
        _remove_unnamed_images(out_dir / "images", {f"{scene.image_id}.png" for scene in world})
    scenes_path = out_dir / "scenes.jsonl"
    write_scenes(world, scenes_path)
    del world
    # The demo owns its folder: a second `make demo` replaces the first run.
    summary = generate(scenes_path, out_dir, seed=seed, generators=generators, mode=mode, workers=workers,
                       overwrite=True, generator_options=generator_options, progress=lambda n, _samples: progress("generate", n, scenes) if progress else None)
    llava_path = _export_llava(out_dir)
    report = verify(out_dir, progress=tick("verify", summary.samples))
    return DemoResult(out_dir=out_dir, summary=summary, verification=report, llava_path=llava_path)


def _remove_unnamed_images(images: Path, named: set[str]) -> None:
    """Remove the demo's images (`demo-NNNNNN.png`) that no scene of this demo names: those of an
    earlier demo of more scenes, which stayed in the folder, named by nothing. Other files stay."""
    for path in images.iterdir():
        if _DEMO_IMAGE.fullmatch(path.name) and path.name not in named:
            path.unlink(missing_ok=True)


def check_demo_folder(out_dir: Path) -> None:
    """Refuse (RunExistsError, before anything is rendered) an output folder the demo would take
    files of the user's from: one holding a scenes.jsonl of other images than the demo world's (a
    conversion's, a `generate --from` run's), a run's files (samples.jsonl, manifest.json, export/,
    ...) without the demo's scenes.jsonl, or an images/ folder holding other files than
    demo-NNNNNN.png. A new or empty folder, or a demo's, is taken (the demo owns it and makes it
    again); files the demo neither writes nor removes are left as they are. Before, `veriscene demo
    --out coco` replaced the scenes.jsonl a COCO conversion had written there, and its rejects.jsonl,
    and put 3 demo images among the COCO photos, without a word."""
    if not out_dir.is_dir():
        return
    scenes = out_dir / "scenes.jsonl"
    taken = []
    if scenes.exists() and not _demo_scenes(scenes):
        taken.append("scenes.jsonl (scene graphs of other images than the demo world's)")
    elif not scenes.exists():
        taken += [name + ("/" if (out_dir / name).is_dir() else "") for name in sorted(DEMO_ENTRIES)
                  if (out_dir / name).exists()]
    images = out_dir / "images"
    if images.is_dir():
        others = [p.name for p in sorted(images.iterdir())
                  if not _DEMO_IMAGE.fullmatch(p.name) and not p.name.startswith(".")]  # (.DS_Store)
        if others:
            taken.append(f"images/ holding other images ({', '.join(others[:3])}{', ...' if len(others) > 3 else ''})")
    if taken:
        raise RunExistsError(f"{out_dir} is no demo's folder: it holds {'; '.join(taken)}, which the demo would "
                             "replace or mix its own with (scenes.jsonl, samples.jsonl, manifest.json, rejects.jsonl, "
                             f"images/demo-*.png). Give a new or empty folder ({option('out', '--out')}), or an earlier demo's")


def _demo_scenes(path: Path) -> bool:
    """Whether a folder's scenes.jsonl is missing, empty or the demo world's (its first image id)."""
    try:
        with path.open("rb") as lines:
            first = lines.readline(1 << 20)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not first.strip():
        return True
    found = re.search(rb'"image_id"\s*:\s*"([^"]*)"', first)
    return found is not None and found.group(1).startswith(b"demo-")


def _export_llava(out_dir: Path) -> Path:
    from veriscene.io.export import export

    target = out_dir / "llava.json"
    export(out_dir, target, to="llava", image_root=out_dir)
    return target
