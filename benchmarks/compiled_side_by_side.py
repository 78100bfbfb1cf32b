"""Generation compiled with mypyc against the same code interpreted, side by side.

    python benchmarks/compiled_side_by_side.py                      # the default modules, 3 rounds
    python benchmarks/compiled_side_by_side.py --modules few --pairs 4
    python benchmarks/compiled_side_by_side.py --scenes 2000 --keep /tmp/compiled

Copies this checkout's `src/` (and `pyproject.toml`, whose mypy settings the build reads) to a
scratch folder, compiles the hot modules there with mypyc (`python -m mypyc`, from the test
extra's mypy; needs a C compiler, about 20 seconds for the default modules), and runs
`runner_side_by_side.py` on this checkout and the compiled copy: each side's samples per second
of CPU time, alternated, and the digest of the samples' ids (the same digest: the same samples).

`--modules default` compiles the runner, the candidate pool, point regions, shared generator
helpers, option draws, the program builder, executor and operations, the scene pool, masks,
text and vocabulary helpers; `few` the seven of the first trial (runner, candidate pool,
regions, `generators/common.py`, executor, builder, scene pool); or give module paths under
`src/`, comma-separated. The generator modules themselves are not compiled: their classes are
registered by a class decorator, which makes mypyc build them as plain Python classes, and it
cannot compile closures (the lambdas of `propose`) in methods of such classes.

This measures how much a compiled build would gain; veriscene ships no compiled build.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

FEW = ("generators/runner.py", "generators/candidate_pool.py", "generators/regions.py", "generators/common.py",
       "program/executor.py", "program/builder.py", "engine/pool.py")
DEFAULT = (*FEW, "generators/visual.py", "generators/vocabulary_draws.py", "generators/count_options.py",
           "generators/relation_options.py", "generators/multi_image/set_options.py", "program/ops.py",
           "program/ops_objects.py", "program/ops_logic.py", "program/ops_geometry.py", "program/ops_masks.py",
           "program/ops_multi.py", "text.py", "vocab.py", "scene/masks.py")


def modules_of(spec: str) -> tuple[str, ...]:
    """The module paths (under `src/veriscene/`) that `--modules` names."""
    if spec == "default":
        return DEFAULT
    if spec == "few":
        return FEW
    named = tuple(m.strip() for m in spec.split(",") if m.strip())
    missing = [m for m in named if not (ROOT / "src" / "veriscene" / m).is_file()]
    if missing:
        raise SystemExit(f"no such module under src/veriscene/: {', '.join(missing)}")
    return named


def compiled_copy(into: Path, modules: tuple[str, ...]) -> None:
    """This checkout's sources in `into`, with `modules` compiled in place by mypyc."""
    shutil.copytree(ROOT / "src", into / "src", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info"))
    shutil.copy2(ROOT / "pyproject.toml", into / "pyproject.toml")
    files = [f"src/veriscene/{m}" for m in modules]
    build = subprocess.run([sys.executable, "-m", "mypyc", *files], cwd=into, capture_output=True, text=True)
    if build.returncode != 0:
        raise SystemExit(f"mypyc failed ({' '.join(modules)}):\n{build.stdout[-4000:]}\n{build.stderr[-2000:]}")
    built = sorted(p.name for p in (into / "src").rglob("*.so"))
    print(f"compiled {len(modules)} modules into {into} ({len(built)} extension files)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", default="default", help="default, few, or module paths under src/veriscene/")
    parser.add_argument("--scenes", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=3, help="rounds, each running both sides once")
    parser.add_argument("--keep", type=Path,
                        help="build the compiled copy here and keep it (default: a scratch folder)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench",
                        help="where the demo scene file is made once (as runner_side_by_side.py)")
    args = parser.parse_args()
    modules = modules_of(args.modules)
    with tempfile.TemporaryDirectory(prefix="veriscene-compiled-") as scratch:
        into = args.keep or Path(scratch)
        if args.keep is not None and into.exists():
            shutil.rmtree(into)
        compiled_copy(into, modules)
        side_by_side = [sys.executable, str(HERE / "runner_side_by_side.py"), "--src", str(ROOT), "--src", str(into),
                        "--scenes", str(args.scenes), "--pairs", str(args.pairs), "--cache", str(args.cache)]
        print("side 1 interpreted, side 2 compiled", flush=True)
        raise SystemExit(subprocess.run(side_by_side).returncode)


if __name__ == "__main__":
    main()
