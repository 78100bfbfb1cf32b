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
# pip byte-compiles what it installs one file at a time (20,912 files, 97 s of CPU measured: torch,
# ray, transformers, ...); compiled here afterwards on every core instead. The .pyc files are
# needed: with PYTHONDONTWRITEBYTECODE set, every process the tests start would compile the
# modules it imports again. A file that is not Python 3.11 (torch ships one of 3.12 syntax) is
# left uncompiled, as pip leaves it.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-compile "$(TORCH_PIN)" -e ".[test]"
	$(BIN)/python -c "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_path('purelib'), quiet=2, workers=0)"
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

# The sources are byte-compiled first: with PYTHONDONTWRITEBYTECODE set (as on this project's machines),
# every process the tests start (CLI runs, benchmark scripts, Ray's and the pools' workers, the
# valgrind children) would otherwise compile each veriscene module it imports again, about half
# the instructions of a short one. Hash-checked .pyc files (git-ignored): a source edited since is
# compiled anew, never read stale. pytest's assertion-rewritten test modules are cached the same
# way (tests/rewrite_ahead.py): otherwise each test worker rewrites all 434 of them as it collects,
# about 10 s of CPU each. Both run beside mypy (one core), `make -j` in `test-ready`'s sub-make.
.PHONY: test-ready
test-ready: $(VENV)/.installed-test
	$(BIN)/python -m compileall -q --invalidation-mode checked-hash src tests benchmarks
	$(BIN)/python tests/rewrite_ahead.py

test: $(VENV)/.installed-test
	$(MAKE) --no-print-directory -j 3 typecheck lint test-ready
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup

# The compiled build (setup.py: VERISCENE_COMPILE=1 compiles veriscene.compiled.COMPILED with mypyc;
# needs a C compiler, a minute or two of CPU) in a virtual environment of its own, so that .venv keeps
# the editable install the tests and your edits run (a compiled module is imported instead of its
# source, edited or not). `make compiled COMPILED_VENV=.venv` replaces .venv's editable install with
# it. mypy and setuptools are installed there first, as the build needs them (--no-build-isolation:
# no isolated environment made for each build). Then `$(COMPILED_VENV)/bin/veriscene --version` says
# "compiled with mypyc: 54 modules"; run it again after changing the sources.
COMPILED_VENV ?= .venv-compiled

compiled:
	test -x $(COMPILED_VENV)/bin/python || $(PYTHON) -m venv $(COMPILED_VENV)
	$(COMPILED_VENV)/bin/python -m pip install --quiet "mypy>=1.10" "setuptools>=77" wheel
	VERISCENE_COMPILE=1 $(COMPILED_VENV)/bin/python -m pip install --quiet --no-build-isolation .
	$(COMPILED_VENV)/bin/veriscene --version

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/generate_throughput.py

clean:
	rm -rf $(VENV) $(COMPILED_VENV) $(DEMO_OUT) build *.egg-info src/*.egg-info
