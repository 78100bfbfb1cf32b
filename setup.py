"""Build of veriscene: pure Python by default; its hot modules compiled with mypyc on request.

    pip install .                                                  # pure Python, no C compiler needed
    VERISCENE_COMPILE=1 pip install .                              # compiled (needs a C compiler)
    VERISCENE_COMPILE=1 pip install --no-build-isolation .         # with the mypy installed here

Everything else (name, version, dependencies, packages) is in pyproject.toml. With
`VERISCENE_COMPILE=1` the modules listed in `veriscene.compiled.COMPILED` are compiled with mypyc
(`mypyc.build.mypycify`, from mypy) into C extension modules installed beside their sources, which
Python imports first; `veriscene --version` then says "compiled with mypyc". The C compiler's
optimisation level is read from `MYPYC_OPT_LEVEL` (default 3), as `python -m mypyc` reads it.

mypy is asked for only then: an isolated build (pip's default) installs it into the build
environment through `setup_requires`, which setuptools' PEP 517 backend hands pip as a build
requirement; `--no-build-isolation` uses the mypy of the environment. mypy type-checks the whole
package for mypyc (its settings: pyproject.toml's [tool.mypy]), so a compiled build takes a
minute or two of CPU. An editable install (`pip install -e .`) is refused compiled: the extension
modules would be imported instead of the sources being edited.
"""

from __future__ import annotations

import os
import runpy
import shutil
import sys
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent
# the mypy whose mypyc compiled the tested build (2.4); older ones have compiled it too (1.10+)
MYPY = "mypy>=1.10"
# the setup.py commands that build the extension modules (pip's PEP 517 backend builds with bdist_wheel)
BUILDS = ("build", "build_ext", "bdist_wheel", "bdist", "install")


def compile_wanted() -> bool:
    """VERISCENE_COMPILE: 1/true/yes/on compiles, unset, empty or 0/false/no/off does not."""
    value = os.environ.get("VERISCENE_COMPILE", "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise SystemExit(f"VERISCENE_COMPILE={value!r} is not understood: give 1 to compile with mypyc, 0 (or leave it "
                     "unset) for the pure-Python package")


def modules_to_compile() -> list[str]:
    """`veriscene.compiled.COMPILED`, or the module paths under src/veriscene/ that
    VERISCENE_COMPILE_MODULES names, comma-separated (to measure another set:
    benchmarks/compiled_side_by_side.py --modules)."""
    named = [m.strip() for m in os.environ.get("VERISCENE_COMPILE_MODULES", "").split(",") if m.strip()]
    if not named:
        return list(runpy.run_path(str(HERE / "src" / "veriscene" / "compiled.py"))["COMPILED"])
    missing = [m for m in named if not (HERE / "src" / "veriscene" / m).is_file()]
    if missing:
        raise SystemExit(f"VERISCENE_COMPILE_MODULES names no module under src/veriscene/: {', '.join(missing)}")
    return named


def compiled_extensions() -> list[Extension]:
    """The extension modules of `modules_to_compile`, built by mypyc; [] when setup.py is run
    for the package's metadata, not to build it."""
    if any(command in ("develop", "editable_wheel") for command in sys.argv[1:]):
        raise SystemExit("VERISCENE_COMPILE=1 is for `pip install .`, not an editable install (-e): the compiled "
                         "modules would be run instead of the sources you edit. Leave VERISCENE_COMPILE unset for an "
                         "editable install")
    if not any(command in BUILDS for command in sys.argv[1:]):
        # metadata only (pip's PEP 517 calls before the build: egg_info collects setup_requires before mypy is
        # installed, dist_info): not compiled, which would type-check the package and write the C once more each
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        raise SystemExit(f"VERISCENE_COMPILE=1 needs mypy's mypyc in the build environment: pip install '{MYPY}' "
                         "setuptools, then pip install --no-build-isolation . (or leave build isolation on, "
                         "which installs it)") from None
    modules = modules_to_compile()
    # the extension modules of an earlier compiled build stay in build/lib.<platform>/ and would be packaged
    # with this one: a module since left out of the list (or of VERISCENE_COMPILE_MODULES) imported compiled
    for earlier in (HERE / "build").glob("lib.*"):
        shutil.rmtree(earlier)
    os.chdir(HERE)  # mypyc names each module by its path (src/veriscene/text.py: veriscene.text)
    # pyproject.toml's [tool.mypy] settings, less the unused-ignore check: an isolated build has none of the
    # dependencies installed (numpy read as Any), where the ignores made for numpy's stubs are not needed
    options = ["--no-warn-unused-ignores"]
    return mypycify([*options, *(f"src/veriscene/{m}" for m in modules)],
                    opt_level=os.environ.get("MYPYC_OPT_LEVEL", "3"))


if compile_wanted():
    setup(ext_modules=compiled_extensions(), setup_requires=[MYPY])
else:
    setup()
