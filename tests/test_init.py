"""The package's top level: what `import veriscene` gives, and what it imports only when asked."""

from __future__ import annotations

import subprocess
import sys

import pytest

import veriscene


def test_every_name_of_all_is_there() -> None:
    for name in veriscene.__all__:
        assert getattr(veriscene, name) is not None, name


def test_convert_and_export_are_the_io_functions() -> None:
    from veriscene import convert, export
    from veriscene.io import convert as convert_module
    from veriscene.io import export as export_module

    assert convert is convert_module.convert and veriscene.convert is convert
    assert export is export_module.export and veriscene.export is export


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'veriscene' has no attribute 'generat'"):
        veriscene.generat  # type: ignore[attr-defined]  # noqa: B018


def test_import_veriscene_leaves_the_readers_and_writers_until_asked() -> None:
    """`import veriscene` (and every CLI start) does not pay for convert's readers or export's
    writers; asking for `veriscene.convert` imports them."""
    code = ("import sys, veriscene; print('veriscene.io.convert' in sys.modules, 'veriscene.io.export' in sys.modules);"
            "veriscene.convert; print('veriscene.io.convert' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]


def _run(code: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_import_veriscene_imports_no_public_function_until_asked() -> None:
    """`import veriscene` is the package alone (no engine, no numpy): every worker process and
    every `veriscene` command starts with it; `veriscene.generate` imports the engine."""
    code = ("import sys, veriscene; print(sorted(m for m in sys.modules if m.startswith('veriscene')), "
            "'numpy' in sys.modules); veriscene.generate; print('veriscene.engine.generate' in sys.modules)")
    assert _run(code) == ["['veriscene',", "'veriscene.lazy_names']", "False", "True"]


@pytest.mark.parametrize("name", ["Sample", "Scene", "generate", "read_scenes", "split", "verify", "write_scenes"])
def test_each_public_name_is_its_modules(name: str) -> None:
    import importlib

    from veriscene import _LAZY

    assert getattr(veriscene, name) is getattr(importlib.import_module(_LAZY[name]), name)
    assert name in dir(veriscene) and name in veriscene.__all__


def test_importing_the_verify_module_leaves_veriscene_verify_the_function() -> None:
    """`veriscene.verify` is the function, as when `import veriscene` imported it: importing the
    module of that name first (the CLI's verify does) must not put the module in its place."""
    code = ("import veriscene.verify, veriscene; from veriscene import verify; import veriscene.verify as v; "
            "print(callable(veriscene.verify), verify is veriscene.verify.__globals__['verify'], v is verify)")
    assert _run(code) == ["True", "True", "True"]


def test_a_module_of_the_engine_leaves_the_engine_until_asked() -> None:
    """`veriscene.engine` names `generate` and `RunSummary` lazily as the package does: a light module
    of it (run_lock, interrupts, manifest) no longer imports the whole engine; the package's `generate`
    is the function, before and after its module is imported."""
    code = ("import sys, veriscene.engine.run_lock, veriscene.engine.interrupts, veriscene.engine as e; "
            "print('veriscene.engine.generate' in sys.modules, 'numpy' in sys.modules, callable(e.generate)); "
            "import veriscene.engine.generate; print(e.generate is sys.modules['veriscene.engine.generate'].generate)")
    assert _run(code) == ["False", "False", "True", "True"]


def test_dir_lists_the_public_names_only() -> None:
    """`dir(veriscene)` (tab completion, help()) shows what the package offers, not what its
    `__init__` imported for itself; the engine package likewise."""
    import veriscene.engine

    names = dir(veriscene)
    assert set(veriscene.__all__) <= set(names) and "__version__" in names and "engine" in names
    assert not {"sys", "TYPE_CHECKING", "LazyPackage", "_LAZY"} & set(names)
    assert not {"sys", "TYPE_CHECKING", "LazyPackage", "_LAZY"} & set(dir(veriscene.engine))
    assert {"RunSummary", "generate"} <= set(dir(veriscene.engine))
