"""Shared fixtures: tiny hand-built scenes; Ray tests kept on one test worker."""

from __future__ import annotations

import contextlib
import gc
import itertools
import re
from typing import Any

import pytest
from hypothesis import settings

from veriscene.scene import Scene

from .ray_head import ray_head


# No time limit per example: a loaded CI machine (two test workers and Ray on 2 cores) can pause
# a fast example past hypothesis's default 200 ms, which it reports as a failure.
settings.register_profile("veriscene", deadline=None)
settings.load_profile("veriscene")


def make_scene(objects, relations=(), image_id="s0", width=200, height=100, **kw) -> Scene:
    return Scene.from_objects(image_id, width, height, objects, relations, **kw)


_STAGINGS = itertools.count()  # the staging folders named in this process (one per test)


@pytest.fixture(autouse=True)
def _staging_of_its_own(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's runs to URLs are staged and locked (`engine.run_lock.lock_url`, under
    VERISCENE_STAGING) in a folder of its own: nothing in the user's ~/.cache, and two test
    workers writing one `memory://` URL name (each its own store) never refuse each other.
    The folder is named, not made (in this worker's base temporary folder): a run that stages
    makes it as it makes any staging folder. Making one for every test took 2 s of the 7,389
    tests of tests/answers (0.3 ms each), where no test stages anything."""
    folder = tmp_path_factory.getbasetemp() / "staging" / str(next(_STAGINGS))
    monkeypatch.setenv("VERISCENE_STAGING", str(folder))


# Tests between two full collections of this process's garbage (`_long_lived_frozen`)
_TESTS_BETWEEN_COLLECTIONS = 500
_TESTS_RUN = itertools.count()


@pytest.fixture(autouse=True)
def _long_lived_frozen() -> None:
    """The objects alive as a test starts are kept out of the garbage collector's collections
    (`gc.freeze()`) during the test. A test worker holds some 680,000 of them once it has
    collected the suite (the 14,654 test items, torch, transformers, ...), more after Ray: a full
    collection walked all of them, 0.4-0.5 s of CPU each, and an in-process `generate` makes one
    as each of its runs starts (`engine.collector.settle`), as does the automatic collector now
    and then. tests/engine/test_scene_limit.py's 21 tests spent 16.4 s of CPU in 67 such
    collections, 4.8 s with this (a run hands the frozen objects back as it ends,
    `collector.release`, so a test's second run walks them again). What a test makes is collected
    as before; cyclic garbage left by earlier tests waits for the full collection made here every
    `_TESTS_BETWEEN_COLLECTIONS` tests."""
    if next(_TESTS_RUN) % _TESTS_BETWEEN_COLLECTIONS == 0:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


@pytest.fixture
def street() -> Scene:
    """Two red circles (one large), a blue square, a green triangle; relations by hand.

    index  name      box                  attributes              depth
    0      circle    [10, 10, 50, 50]     large red shiny         0.2
    1      circle    [120, 60, 140, 80]   small red matte         0.6
    2      square    [60, 20, 100, 55]    large blue matte        0.4
    3      triangle  [150, 10, 190, 40]   small green shiny       0.8
    """
    return make_scene(
        [
            {"name": "circle", "box": [10, 10, 50, 50], "attributes": ["large", "red", "shiny"], "depth": 0.2},
            {"name": "circle", "box": [120, 60, 140, 80], "attributes": ["small", "red", "matte"], "depth": 0.6},
            {"name": "square", "box": [60, 20, 100, 55], "attributes": ["large", "blue", "matte"], "depth": 0.4},
            {"name": "triangle", "box": [150, 10, 190, 40], "attributes": ["small", "green", "shiny"], "depth": 0.8},
        ],
        [
            (0, "left of", 2), (2, "right of", 0),
            (2, "left of", 3), (3, "right of", 2),
            (1, "below", 3), (3, "above", 1),
            (0, "near", 2), (2, "near", 0),
        ],
        image_id="street",
    )


class _SharedHead:
    """The Ray cluster started apart (`ray start --head`, tests/ray_head.py) for the tests that ask
    for `ray_cluster`: started by the first of them, kept up for the next (they run one after
    another, `_order`), stopped before any other test. Kept up to the end of the session (as it
    was), its node (GCS, raylet, log monitor, dashboard and runtime agents) took 72 s of CPU time
    in 36 minutes of a `make test` at load 14-27, mostly idle after its five tests had run."""

    def __init__(self) -> None:
        self.head: contextlib.ExitStack | None = None
        self.cluster: Any = None

    def get(self) -> Any:
        if self.head is None:
            with contextlib.ExitStack() as head:
                self.cluster = head.enter_context(ray_head())
                self.head = head.pop_all()
        return self.cluster

    def stop(self) -> None:
        if self.head is not None:
            head, self.head, self.cluster = self.head, None, None
            head.close()


_SHARED_HEAD = _SharedHead()


@pytest.fixture
def ray_cluster() -> Any:
    """A Ray cluster started apart (`ray start --head`, 2 CPUs, token authentication), shared by
    the tests that ask for it (`_SharedHead`); see tests/ray_head.py."""
    return _SHARED_HEAD.get()


class _SharedRay:
    """A local Ray started in this process and kept up from one test to the next that asks for one
    of the same resources (`local_ray`, `ray_with_two_gpus`), stopped before any other test: a Ray
    start is several seconds of a test run, and the Ray tests run one after another on one test
    worker. The runs of those tests use the Ray this process is connected to as it is
    (`ray_session`), as after a `ray.init()` in a notebook; the Ray a run starts and stops for
    itself is tested by the Ray tests that ask for neither (test_verify.py, test_plugins.py, ...)."""

    def __init__(self) -> None:
        self.resources: dict[str, int] | None = None

    def get(self, **resources: int) -> Any:
        import logging

        ray = pytest.importorskip("ray")  # in the test extra: never skipped by `make test`
        if resources != self.resources or not ray.is_initialized():  # (or a test shut it down)
            self.stop()
            ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                     **resources)
            self.resources = resources
        return ray

    def stop(self) -> None:
        if self.resources is not None:
            import ray

            self.resources = None
            ray.shutdown()


_SHARED_RAY = _SharedRay()
_SHARED_RAY_FIXTURES = {"local_ray", "ray_with_two_gpus"}


@pytest.fixture(autouse=True)
def _shared_ray_only_where_asked(request: pytest.FixtureRequest) -> None:
    """A test that asks for no shared Ray finds none up (it may start a Ray of its own), and one
    that does not ask for `ray_cluster` finds that cluster stopped."""
    if not _SHARED_RAY_FIXTURES.intersection(request.fixturenames):
        _SHARED_RAY.stop()
    if "ray_cluster" not in request.fixturenames:
        _SHARED_HEAD.stop()


@pytest.fixture
def local_ray() -> Any:
    """A local Ray of 2 CPUs, this process connected to it (shared with the tests before and after
    that ask for it too: `_SharedRay`)."""
    return _SHARED_RAY.get(num_cpus=2)


@pytest.fixture
def ray_with_two_gpus() -> Any:
    """A local Ray of 4 CPUs and two GPUs as Ray sees them (logical: its workers only record what
    Ray gave them), this process connected to it (shared as `local_ray` is)."""
    return _SHARED_RAY.get(num_cpus=4, num_gpus=2)


def pytest_sessionfinish(session: pytest.Session) -> None:
    _SHARED_RAY.stop()
    _SHARED_HEAD.stop()


# Modules whose tests start Ray (their own local clusters, or the shared `ray_cluster`), and the
# word that names a Ray test elsewhere. Under pytest-xdist (`make test` runs two test workers)
# these tests form one group (`--dist loadgroup`), run one after another on one worker: two Ray
# clusters at once would share the machine's two cores with each other, and the session's
# `ray_cluster` is started once.
_RAY_MODULES = {"test_ray_cluster.py", "test_devices.py", "test_parallel.py"}
_RAY_WORD = re.compile(r"(^|[_[-])ray($|[]_[-])")


def _is_ray_test(module: str, name: str) -> bool:
    return module in _RAY_MODULES or _RAY_WORD.search(name) is not None


# Modules of long tests, run first after the Ray group: test workers take their tests in this order
# (`--dist loadgroup` hands out one more as one finishes), so the run ends on short tests and both
# workers finish together. tests/test_benchmarks.py (module 411 of 463 in collection order) holds
# the compiled build (43 s), the valgrind run (31 s) and some 60 scripts run as processes.
_LONG_MODULES = {"test_benchmarks.py"}


def _order(item: pytest.Item) -> tuple[int, int]:
    """The Ray group first, its tests of the shared local Ray together (one Ray started for all of
    them, not one each time a test of its own Ray came between: `_SharedRay`), those of the two
    logical GPUs next, those of the cluster started apart next (`_SharedHead`), then the rest of
    the group; then the modules of long tests; then the rest. Stable: collection order otherwise."""
    if _is_ray_test(item.path.name, item.name):
        fixtures = getattr(item, "fixturenames", ())
        return 0, (0 if "local_ray" in fixtures else 1 if "ray_with_two_gpus" in fixtures
                   else 2 if "ray_cluster" in fixtures else 3)
    return (1, 0) if item.path.name in _LONG_MODULES else (2, 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _is_ray_test(item.path.name, item.name):
            item.add_marker(pytest.mark.xdist_group("ray"))
    items.sort(key=_order)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` with the Ray tests grouped by their node ids, in the controller. The
    mark alone no longer groups them: pytest-xdist 3.8 appends the group to `item._nodeid`, which
    pytest 9.2 no longer reads (`Node.nodeid` comes from `_id`), so with those versions every Ray
    test went to either worker, two Ray clusters at once (and two `ray_cluster` heads)."""
    if config.getvalue("dist") != "loadgroup":
        return None  # xdist's own scheduler for the mode asked for
    from xdist.scheduler import LoadGroupScheduling

    class RayTogether(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)  # a group xdist did see (older pytest), or the test
            if scope == nodeid:
                module, _, rest = nodeid.partition("::")
                if _is_ray_test(module.rsplit("/", 1)[-1], rest.rsplit("::", 1)[-1]):
                    return "ray"
            return scope

    return RayTogether(config, log)


@pytest.fixture
def pillow_limit() -> Any:
    """Pillow's image pixel limit and VERISCENE_MAX_IMAGE_PIXELS as they were, after the test."""
    import os

    from PIL import Image

    from veriscene.scene.image_files import MAX_PIXELS_ENV

    kept, env = Image.MAX_IMAGE_PIXELS, os.environ.get(MAX_PIXELS_ENV)
    yield
    Image.MAX_IMAGE_PIXELS = kept
    if env is None:
        os.environ.pop(MAX_PIXELS_ENV, None)
    else:
        os.environ[MAX_PIXELS_ENV] = env


@pytest.fixture
def memory() -> Any:
    """fsspec's in-process store (`memory://`), standing for object storage; emptied after the test."""
    import fsspec

    fs = fsspec.filesystem("memory")
    yield fs
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")
