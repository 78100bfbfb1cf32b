# Two commands from a fresh clone: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo_out

.PHONY: demo test typecheck lint install venv clean bench compiled

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch is pinned for the test environment: this exact CPU build (2.13.0+cpu) is installed from the
# local disk, which keeps pip from fetching a multi-gigabyte CUDA build for the extras. Pinned in
# the same pip command as the test extra (one resolution, not two; checked with --dry-run: torch
# 2.13.0+cpu and no nvidia package among the 136 installed).
TORCH_PIN ?= torch==2.13.0

# Re-install only when the project definition changes (stamp file keeps `make` idempotent and fast).
# Not byte-compiled here (--no-compile): pip compiles every file it installs (20,912, 97 s of CPU:
# torch, ray, transformers, ...), of which a whole `make test` imports 29% (it wrote 6,056 .pyc
# files with WRITE_PYC on a fresh clone; compiling all of them had taken 90 s of the set-up's 174 s
# of CPU, 231 s wall at load 12). `make test` has them written as they are first imported instead
# (WRITE_PYC below), where later runs read them.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile "$(TORCH_PIN)" -e ".[test]"
	@touch $@

# The demo needs only the core package.
$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

venv: $(BIN)/python

install: $(VENV)/.installed-core

demo: $(VENV)/.installed-core
	$(BIN)/veriscene demo --out $(DEMO_OUT)

# The package's type hints are checked first (mypy, configured in pyproject.toml: the package
# ships py.typed). Then two test workers (pytest-xdist) by default, the cores CI has; Ray's tests
# stay together on one of them (tests/conftest.py). `make test TEST_WORKERS=0` runs the suite in
# one process; `make typecheck` runs mypy alone, `make lint` ruff.
TEST_WORKERS ?= 2

typecheck: $(VENV)/.installed-test
	$(BIN)/python -m mypy

# pyflakes' and pycodestyle's error rules over the package, tests and benchmarks ([tool.ruff.lint])
lint: $(VENV)/.installed-test
	$(BIN)/ruff check --quiet src tests benchmarks

# The tests run with bytecode written (WRITE_PYC: PYTHONDONTWRITEBYTECODE, set on this project's
# machines, emptied for them): each module that the test workers and every process they start
# (CLI runs, benchmark scripts, Ray's and the pools' workers, the valgrind children) import is
# compiled once, by the first of them, and read by the rest, in the .venv and in the checkout
# (git-ignored __pycache__ folders). Without it each process would compile every module it
# imports again: 3.7 s of CPU more for `import torch`, 0.56 s more for `import veriscene.cli`.
# The sources are byte-compiled first, beside mypy (one core), so that the two test workers do
# not both compile them as they collect: hash-checked .pyc files, a source edited since is
# compiled anew, never read stale. pytest's assertion-rewritten test modules are cached the same
# way (tests/rewrite_ahead.py): otherwise each test worker rewrites all 434 of them as it
# collects, about 10 s of CPU each. Both run beside mypy, `make -j` in `test-ready`'s sub-make.
WRITE_PYC := PYTHONDONTWRITEBYTECODE=

.PHONY: test-ready
test-ready: $(VENV)/.installed-test
	$(BIN)/python -m compileall -q --invalidation-mode checked-hash src tests benchmarks
	$(WRITE_PYC) $(BIN)/python tests/rewrite_ahead.py

test: $(VENV)/.installed-test
	$(MAKE) --no-print-directory -j 3 typecheck lint test-ready
	$(WRITE_PYC) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

# The compiled build (setup.py: VERISCENE_COMPILE=1 compiles veriscene.compiled.COMPILED with mypyc;
# needs a C compiler, a minute or two of CPU) in a virtual environment of its own, so that .venv keeps
# the editable install the tests and your edits run (a compiled module is imported instead of its
# source, edited or not). `make compiled COMPILED_VENV=.venv` replaces .venv's editable install with
# it. mypy and setuptools are installed there first, as the build needs them (--no-build-isolation:
# no isolated environment made for each build), and the package's own dependencies: mypyc reads
# their types (numpy's `Generator`, which `generators/draws.py` subclasses); built without them, a
# fresh environment got modules that compiled and failed at import ("object.__init__() takes exactly
# one argument", helper-270). Each compiled module is then imported, and
# `$(COMPILED_VENV)/bin/veriscene --version` says "compiled with mypyc: N modules"; run it again
# after changing the sources.
COMPILED_VENV ?= .venv-compiled

compiled:
	test -x $(COMPILED_VENV)/bin/python || $(PYTHON) -m venv $(COMPILED_VENV)
	$(COMPILED_VENV)/bin/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > $(COMPILED_VENV)/requirements.txt
	$(COMPILED_VENV)/bin/python -m pip install --quiet "mypy>=1.10" "setuptools>=77" wheel -r $(COMPILED_VENV)/requirements.txt
	VERISCENE_COMPILE=1 $(COMPILED_VENV)/bin/python -m pip install --quiet --no-build-isolation .
	cd $(COMPILED_VENV) && bin/python -c 'import importlib; from veriscene.compiled import COMPILED; [importlib.import_module("veriscene." + m[:-3].replace("/", ".")) for m in COMPILED]'
	$(COMPILED_VENV)/bin/veriscene --version

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/generate_throughput.py

clean:
	rm -rf $(VENV) $(COMPILED_VENV) $(DEMO_OUT) build *.egg-info src/*.egg-info
