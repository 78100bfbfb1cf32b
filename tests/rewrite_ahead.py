"""Write pytest's assertion-rewritten test modules into tests/**/__pycache__ ahead of the test
workers, on every core: `make test` runs this beside mypy.

pytest rewrites the asserts of every test module it imports (`_pytest.assertion.rewrite`) and
caches the result as `__pycache__/NAME.cpython-311-pytest-X.Y.Z.pyc`, a checked-hash pyc, but
only when bytecode may be written. With PYTHONDONTWRITEBYTECODE set (this project's machines) or
in a fresh clone, each pytest-xdist worker rewrites all of them while it collects, both at once:
a worker's collection took 20 s of CPU, 10-11 s with the files written here (13,717 tests, 434
test modules; this script: 7-8 s of CPU on two processes, beside mypy). Each module is rewritten
once, by pytest's own functions, and the workers read the files.

A module already cached for its current source is left alone. Nothing here can change what a
test checks: a file pytest does not accept (another pytest or Python, a source edited since: the
hash no longer matches) is rewritten by pytest itself, as without this step. If pytest's private
functions used here move in a later release, this prints why and exits 0: the workers then
rewrite the modules themselves, as before.

    python tests/rewrite_ahead.py [-v] [FOLDER ...]    (default: this file's folder; -v: say how many)
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from fnmatch import fnmatch
from pathlib import Path

# the modules pytest rewrites here: the default `python_files` (pyproject.toml sets none) and conftest.py
_PATTERNS = ("test_*.py", "*_test.py", "conftest.py")


def rewrite(path: Path) -> bool:
    """Rewrite `path` (absolute) as pytest would and cache it where pytest looks; False when it was cached."""
    from _pytest.assertion import rewrite as pytest_rewrite

    pyc = pytest_rewrite.get_cache_dir(path) / (path.name[:-3] + pytest_rewrite.PYC_TAIL)
    if pytest_rewrite._read_pyc(path, pyc) is not None:
        return False
    try:  # (no Config: it only reads the ini option `enable_assertion_pass_hook`, unset in this project)
        source_hash, code = pytest_rewrite._rewrite_test(path, None)  # type: ignore[arg-type]
    except SyntaxError:
        return False  # pytest reports it when it collects the module
    pyc.parent.mkdir(exist_ok=True)
    partial = pyc.with_name(f"{pyc.name}.{os.getpid()}")
    with open(partial, "wb") as fh:
        pytest_rewrite._write_pyc_fp(fh, source_hash, code)
    os.replace(partial, pyc)  # whole or absent, as pytest writes them (workers may read meanwhile)
    return True


def main(folders: list[str]) -> None:
    roots = [Path(f).resolve() for f in folders if f != "-v"] or [Path(__file__).resolve().parent]
    paths = sorted(p for root in roots for p in root.rglob("*.py")
                   if "__pycache__" not in p.parts and any(fnmatch(p.name, pattern) for pattern in _PATTERNS))
    try:
        with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
            written = sum(pool.map(rewrite, paths, chunksize=8))
    except Exception as exc:  # (pytest's private functions changed: the workers rewrite, as before)
        print(f"rewrite_ahead: left to pytest ({type(exc).__name__}: {exc})", file=sys.stderr)
        return
    if "-v" in sys.argv:
        print(f"rewrite_ahead: {written} of {len(paths)} test modules rewritten for pytest")


if __name__ == "__main__":
    main(sys.argv[1:])
