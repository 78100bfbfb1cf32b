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
from typing import Any

import pytest
from mypy import build
from mypy.modulefinder import BuildSource
from mypy.nodes import CallExpr, ComparisonExpr
from mypy.options import Options
from mypy.types import Instance, get_proper_type

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


def test_no_listed_module_has_a_module_getattr() -> None:
    """A module `__getattr__` of a compiled module is called by the module's initialisation
    (`CPyImport_SetModuleFile` reads an attribute of it) before its globals exist: a segmentation
    fault at import (scene/describe.py kept `scene_caption` importable from it that way)."""
    defined = re.compile(r"^def __getattr__\b", re.MULTILINE)
    assert [m for m in COMPILED if defined.search((ROOT / "src" / "veriscene" / m).read_text())] == []


def _python_own(info: Any, modules: set[str]) -> bool:
    """Whether mypyc builds the class of mypy's `info` as a class of Python's own: one of
    `modules` marked `@mypyc_attr(native_class=False)`, or under a decorator other than
    `dataclass` and `mypyc_attr`."""
    if info.module_name not in modules:
        return False
    for decorator in info.defn.decorators:
        called = decorator.callee if isinstance(decorator, CallExpr) else decorator
        name = getattr(called, "name", "")
        if name == "mypyc_attr" and isinstance(decorator, CallExpr):
            if any(key == "native_class" and getattr(value, "name", "") == "False"
                   for key, value in zip(decorator.arg_names, decorator.args)):
                return True
        elif name != "dataclass":
            return True
    return False


def _identity_comparisons(sources: dict[str, Path]) -> list[str]:
    """The `==` and `!=` of the modules `sources` (module name -> file) whose two sides mypy
    types as one class of Python's own defined in them. mypyc (2.4) compiles such a comparison
    as an identity test (`is`): it looks for the class's `__eq__` in the class body only, not
    where `dataclass` or a base class of Python's own gives one, so two equal frozen dataclasses
    compare different. Imports outside `sources` are read as Any (mypyc does not know their
    classes either)."""
    options = Options()
    options.export_types = options.preserve_asts = True
    options.follow_imports, options.ignore_missing_imports = "skip", True
    options.incremental, options.cache_dir = False, os.devnull
    built = build.build([BuildSource(str(path), name) for name, path in sources.items()], options)
    found = []
    for expr in built.types:
        if not isinstance(expr, ComparisonExpr):
            continue
        for op, left, right in zip(expr.operators, expr.operands, expr.operands[1:]):
            one, two = (get_proper_type(built.types.get(side)) for side in (left, right))
            if (op in ("==", "!=") and isinstance(one, Instance) and isinstance(two, Instance)
                    and one.type is two.type and _python_own(one.type, set(sources))):
                found.append(f"line {expr.line}: {op} of two {one.type.fullname}")
    return sorted(found)


def test_the_scan_finds_a_comparison_of_two_frozen_dataclasses_of_pythons_own(tmp_path: Path) -> None:
    (tmp_path / "trial.py").write_text(
        "from dataclasses import dataclass\nfrom typing import Any\nfrom mypy_extensions import mypyc_attr\n\n"
        "@mypyc_attr(native_class=False)\n@dataclass(frozen=True)\nclass Own:\n    n: int = 1\n\n"
        "@dataclass(frozen=True)\nclass Native:\n    n: int = 1\n\n"
        "def same(a: Own, b: Own) -> bool:\n    return a == b\n\n"
        "def other(a: Own, b: Own) -> bool:\n    return a != b\n\n"
        "def native(a: Native, b: Native) -> bool:\n    return a == b\n\n"  # a native dataclass: its own __eq__
        "def untyped(a: Any, b: Own) -> bool:\n    return a == b\n")  # (compared as Python compares)
    assert _identity_comparisons({"trial": tmp_path / "trial.py"}) == [
        "line 15: == of two trial.Own", "line 18: != of two trial.Own"]


def test_no_listed_module_compares_two_objects_of_a_class_of_pythons_own() -> None:
    """Compiled, `a == b` of two generator configs (frozen dataclasses of Python's own) would be
    `a is b` (`_identity_comparisons`): none is written in a listed module."""
    package = ROOT / "src" / "veriscene"
    sources = {"veriscene." + m[:-3].replace("/", "."): package / m for m in COMPILED}
    assert _identity_comparisons(sources) == []
