"""The compiled build: which modules an installation imports compiled (`veriscene.compiled`), what
`veriscene --version` says of it, and setup.py's choice between the pure-Python and the compiled
build. The compiled build itself is built and run by tests/test_benchmarks.py::test_compiled_side_by_side."""

from __future__ import annotations

import importlib.machinery
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from veriscene import __version__
from veriscene.compiled import COMPILED, build_said, compiled_modules

ROOT = Path(__file__).resolve().parents[1]
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # this interpreter's, e.g. .cpython-311-x86_64-linux-gnu.so


def _module(package: Path, relative: str, compiled: bool) -> None:
    path = package / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = 1\n")
    if compiled:
        path.with_name(path.stem + SUFFIX).write_bytes(b"\x7fELF")


def test_a_package_without_extension_modules_is_pure_python(tmp_path: Path) -> None:
    _module(tmp_path, "generators/runner.py", compiled=False)
    assert compiled_modules(tmp_path) == [] and build_said(tmp_path) == "pure Python"


def test_the_modules_with_an_extension_file_beside_them_are_compiled(tmp_path: Path) -> None:
    _module(tmp_path, "generators/runner.py", compiled=True)
    _module(tmp_path, "text.py", compiled=True)
    _module(tmp_path, "vocab.py", compiled=False)
    (tmp_path / f"data{SUFFIX}").write_bytes(b"")  # no source beside it: not a module of ours
    assert compiled_modules(tmp_path) == ["generators/runner.py", "text.py"]
    assert build_said(tmp_path) == "compiled with mypyc: 2 modules"


def test_a_compiled_module_not_listed_is_said(tmp_path: Path) -> None:
    _module(tmp_path, "generators/runner.py", compiled=True)
    _module(tmp_path, "cli.py", compiled=True)
    assert "cli.py" not in COMPILED
    assert build_said(tmp_path) == "compiled with mypyc: 2 modules, 1 of them not listed in veriscene.compiled.COMPILED"


def test_every_listed_module_exists() -> None:
    assert [m for m in COMPILED if not (ROOT / "src" / "veriscene" / m).is_file()] == []


def test_the_version_says_the_build() -> None:
    """This checkout's editable install runs its sources: no extension module is beside them."""
    done = subprocess.run([sys.executable, "-m", "veriscene", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"veriscene {__version__} (pure Python)"


def _setup(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """setup.py run as pip's backend runs it, then the names of mypy's modules it imported (stderr)."""
    probe = ("import runpy, sys\n"
             f"sys.argv = ['setup.py', *{args!r}]\n"
             "try:\n    runpy.run_path('setup.py', run_name='__main__')\n"
             "finally:\n    print('imported:', *sorted(m for m in sys.modules if m.split('.')[0] in ('mypy', 'mypyc')),"
             " file=sys.stderr)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VERISCENE_COMPILE")}
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env={**clean, **env})


def test_the_default_build_needs_no_mypy() -> None:
    done = _setup("--name")
    assert done.returncode == 0 and done.stdout.strip() == "veriscene"
    assert done.stderr.splitlines()[-1] == "imported:"


@pytest.mark.parametrize(("env", "args", "said"), [
    ({"VERISCENE_COMPILE": "maybe"}, ("--name",), "VERISCENE_COMPILE='maybe' is not understood"),
    ({"VERISCENE_COMPILE": "1"}, ("editable_wheel",), "not an editable install (-e)"),
    ({"VERISCENE_COMPILE": "1"}, ("develop",), "not an editable install (-e)"),
    ({"VERISCENE_COMPILE": "1", "VERISCENE_COMPILE_MODULES": "text.py,generators/nope.py"}, ("bdist_wheel",),
     "VERISCENE_COMPILE_MODULES names no module under src/veriscene/: generators/nope.py"),
])
def test_a_compiled_build_is_refused_before_building(env: dict[str, str], args: tuple[str, ...], said: str) -> None:
    done = _setup(*args, **env)
    assert done.returncode != 0 and said in done.stderr, done.stderr
    assert not (ROOT / "src" / "veriscene" / f"text{SUFFIX}").exists()  # nothing was compiled


def test_no_listed_module_uses_cached_property() -> None:
    """mypyc (2.4) builds a `functools.cached_property` as a plain property that computes its value
    on every read: a listed module keeps such values otherwise (`program.context.computed_once`
    on a class of Python's own, an attribute made in `__init__`)."""
    decorator = re.compile(r"^\s*@(functools\.)?cached_property\b", re.MULTILINE)
    using = [m for m in COMPILED if decorator.search((ROOT / "src" / "veriscene" / m).read_text())]
    assert using == []


@pytest.mark.parametrize("module", ["scene.describe", "scene.caption"])
def test_the_scene_modules_of_the_program_import_first(module: str) -> None:
    """Imported first, in a process of its own: no import cycle through `veriscene.program` (they
    failed with ImportError, a partly initialised module, when program.ops imported them back)."""
    subprocess.run([sys.executable, "-c", f"import veriscene.{module}"], check=True, capture_output=True)
