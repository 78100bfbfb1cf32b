"""Generation compiled with mypyc against the same code interpreted, side by side.

    python benchmarks/compiled_side_by_side.py                      # the compiled build, 3 rounds
    python benchmarks/compiled_side_by_side.py --modules few --pairs 4
    python benchmarks/compiled_side_by_side.py --scenes 2000 --keep /tmp/compiled

Builds the compiled build a user installs (`VERISCENE_COMPILE=1 pip install .`, setup.py) from a
scratch copy of this checkout (`src/`, `setup.py`, `pyproject.toml`, whose mypy settings mypyc
reads): `pip install --no-build-isolation --target`, with the mypy and setuptools of the test
extra (a C compiler is needed; a minute or two of CPU at -O3, less with MYPYC_OPT_LEVEL=0). It
says what the build's `veriscene --version` says, then runs `runner_side_by_side.py` on this
checkout and the compiled install: each side's samples per second of CPU time, alternated, and
the digest of the samples' ids (the same digest: the same samples).

`--modules default` compiles what the compiled build compiles (`veriscene.compiled.COMPILED`:
the runner, the candidate pool, point regions, shared generator helpers, option draws, the
program builder, executor and operations, the scene pool, masks, text and vocabulary helpers,
and the generator modules); `few` the seven of the first trial (runner, candidate pool, regions,
`generators/common.py`, executor, builder, scene pool); or give module paths under `src/`,
comma-separated (passed to setup.py as VERISCENE_COMPILE_MODULES). `--keep DIR` keeps the build
(its `src/` is importable: PYTHONPATH=DIR/src), as tests/test_benchmarks.py does to run a plugin
there.

The generator modules compile since each class is registered by a call after it instead of the
class decorator (a decorated class is built by mypyc as a plain Python class, which may not
inherit from the compiled classes beside it), marked
`@mypyc_attr(allow_interpreted_subclasses=True)` (plugins subclass them; `mypy_extensions` is a
core dependency), the frozen dataclass configs `@mypyc_attr(native_class=False)`, and
`object_lists.py`'s arrays given names of their own (compiled code refused an ndarray in a
variable typed list). See docs/performance.md for the figures.
"""

from __future__ import annotations

import argparse
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

FEW = ("generators/runner.py", "generators/candidate_pool.py", "generators/regions.py", "generators/common.py",
       "program/executor.py", "program/builder.py", "engine/pool.py")
# what `VERISCENE_COMPILE=1 pip install .` compiles, read from this checkout (not an installed veriscene)
DEFAULT: tuple[str, ...] = tuple(runpy.run_path(str(ROOT / "src" / "veriscene" / "compiled.py"))["COMPILED"])
# copied to the scratch tree that is built: what setup.py and pyproject.toml need (readme, license)
TREE_FILES = ("setup.py", "pyproject.toml", "README.md", "LICENSE")


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


def compiled_install(into: Path, modules: tuple[str, ...]) -> None:
    """This checkout built as `VERISCENE_COMPILE=1 pip install .` builds it, compiling `modules`,
    installed into `into/src` (as a checkout's `src/`, which runner_side_by_side.py imports)."""
    tree = into / "tree"
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info"))
    for name in TREE_FILES:
        shutil.copy2(ROOT / name, tree / name)
    env = dict(os.environ, VERISCENE_COMPILE="1")
    if modules != DEFAULT:
        env["VERISCENE_COMPILE_MODULES"] = ",".join(modules)
    started = time.perf_counter()
    build = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-compile",
                            "--target", str(into / "src"), str(tree)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if build.returncode != 0:
        raise SystemExit(f"the compiled build failed ({' '.join(modules)}):\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}")
    built = sorted(p.name for p in (into / "src").rglob("*.so"))
    said = subprocess.run([sys.executable, "-c", "from veriscene.compiled import build_said; print(build_said())"],
                          env=dict(os.environ, PYTHONPATH=str(into / "src")), capture_output=True, text=True, check=True)
    print(f"built {len(modules)} modules with VERISCENE_COMPILE=1 into {into / 'src'} in {seconds:.0f} s "
          f"({len(built)} extension files); its veriscene --version: {said.stdout.strip()}", flush=True)


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
        compiled_install(into, modules)
        side_by_side = [sys.executable, str(HERE / "runner_side_by_side.py"), "--src", str(ROOT), "--src", str(into),
                        "--scenes", str(args.scenes), "--pairs", str(args.pairs), "--cache", str(args.cache)]
        print("side 1 interpreted, side 2 compiled", flush=True)
        raise SystemExit(subprocess.run(side_by_side).returncode)


if __name__ == "__main__":
    main()
