"""The driver's veriscene settings go with the workers' work (`engine.task_settings`)."""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path

import pytest

from veriscene.engine import backends
from veriscene.engine.downloads import DOWNLOADS_ENV
from veriscene.engine.task_settings import DRIVER_ONLY, FOLDERS, SETTINGS, TaskSettings, take_settings, task_settings
from veriscene.scene.image_files import MAX_PIXELS_ENV

SRC = Path(__file__).resolve().parents[2] / "src" / "veriscene"


def _settings_here(_: int) -> tuple[str | None, str | None, object]:
    """The downloads and staging folders and Pillow's pixel limit in the worker that runs this."""
    from PIL import Image

    return os.environ.get(DOWNLOADS_ENV), os.environ.get("VERISCENE_STAGING"), Image.MAX_IMAGE_PIXELS


@pytest.fixture
def kept_settings(monkeypatch: pytest.MonkeyPatch, pillow_limit: None) -> None:
    """The settings of `SETTINGS` as they were, after the test (take_settings writes os.environ)."""
    for name in SETTINGS:
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a forkserver is a Linux start method")
@pytest.mark.usefixtures("kept_settings")
def test_settings_changed_after_a_forkserver_started_reach_its_workers(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a notebook: a first run starts the forkserver (its environment is fixed then); the
    folders set, changed and unset since are the workers' all the same."""
    from veriscene.scene.image_files import set_max_image_pixels

    def run() -> list[tuple[str | None, str | None, object]]:
        return list(backends.ordered_map(_settings_here, [(0,), (1,)], workers=2, start="forkserver"))

    monkeypatch.setenv(DOWNLOADS_ENV, str(tmp_path / "first"))
    assert run() == [(str(tmp_path / "first"), os.environ.get("VERISCENE_STAGING"), backends.pixel_limit())] * 2
    monkeypatch.setenv(DOWNLOADS_ENV, str(tmp_path / "then"))
    monkeypatch.setenv("VERISCENE_STAGING", str(tmp_path / "staging"))
    set_max_image_pixels(123_000_000)
    assert run() == [(str(tmp_path / "then"), str(tmp_path / "staging"), 123_000_000)] * 2
    monkeypatch.delenv(DOWNLOADS_ENV)
    monkeypatch.delenv("VERISCENE_STAGING")
    assert run() == [(None, None, 123_000_000)] * 2


@pytest.mark.usefixtures("kept_settings")
def test_a_worker_on_another_machine_keeps_its_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ray cluster's node: the driver's folders are paths of the driver's machine; the pixel
    limit and the other settings are taken."""
    from PIL import Image

    monkeypatch.setenv(DOWNLOADS_ENV, "/node/downloads")
    monkeypatch.setenv("VERISCENE_LEASE_SECONDS", "30")
    driver = {name: None for name in SETTINGS} | {DOWNLOADS_ENV: "/laptop/downloads", "VERISCENE_LEASE_SECONDS": "60"}
    take_settings(TaskSettings(321_000_000, driver, host=socket.gethostname() + "-elsewhere"))
    assert (os.environ[DOWNLOADS_ENV], os.environ["VERISCENE_LEASE_SECONDS"]) == ("/node/downloads", "60")
    assert (Image.MAX_IMAGE_PIXELS, os.environ[MAX_PIXELS_ENV]) == (321_000_000, "321000000")
    take_settings(TaskSettings(None, driver, host=socket.gethostname()))  # the driver's machine: its folders
    assert (os.environ[DOWNLOADS_ENV], Image.MAX_IMAGE_PIXELS, os.environ[MAX_PIXELS_ENV]) == (
        "/laptop/downloads", None, "none")


@pytest.mark.usefixtures("kept_settings")
def test_no_settings_leave_the_worker_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setenv(DOWNLOADS_ENV, "/own")
    Image.MAX_IMAGE_PIXELS = 555_000_000
    take_settings(None)
    assert (os.environ[DOWNLOADS_ENV], Image.MAX_IMAGE_PIXELS) == ("/own", 555_000_000)


@pytest.mark.usefixtures("kept_settings")
def test_the_snapshot_holds_every_setting_set_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DOWNLOADS_ENV, "/d")
    monkeypatch.delenv("VERISCENE_STAGING", raising=False)
    taken = task_settings()
    assert set(taken.environ) == set(SETTINGS) and taken.host == socket.gethostname()
    assert (taken.environ[DOWNLOADS_ENV], taken.environ["VERISCENE_STAGING"]) == ("/d", None)
    assert set(FOLDERS) <= set(SETTINGS)


def test_every_veriscene_variable_travels_or_is_the_driver_s() -> None:
    """A new variable read by veriscene is named in `SETTINGS` (a worker takes the driver's) or in
    `DRIVER_ONLY`; the pixel limit travels as Pillow's value."""
    named = {match for path in SRC.rglob("*.py") for match in re.findall(r"\bVERISCENE_[A-Z_]+\b", path.read_text())}
    assert named - {MAX_PIXELS_ENV} - set(SETTINGS) - set(DRIVER_ONLY) == set()


@pytest.mark.usefixtures("kept_settings")
def test_a_shard_worker_takes_the_driver_s_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shard pool's initializer makes the driver's settings the worker's; called without any,
    it leaves them."""
    from PIL import Image

    monkeypatch.setattr(backends, "die_with_parent", lambda parent: None)
    monkeypatch.setattr(backends, "ignore_interrupts", lambda: None)
    monkeypatch.setenv(DOWNLOADS_ENV, "/driver")
    Image.MAX_IMAGE_PIXELS = 333_000_000
    settings = backends.driver_settings()
    monkeypatch.setenv(DOWNLOADS_ENV, "/worker")
    Image.MAX_IMAGE_PIXELS = 1
    backends._init_worker(None, 0, "", None, settings)  # type: ignore[arg-type]
    assert (os.environ[DOWNLOADS_ENV], Image.MAX_IMAGE_PIXELS, os.environ[MAX_PIXELS_ENV]) == (
        "/driver", 333_000_000, "333000000")
    Image.MAX_IMAGE_PIXELS = 555_000_000
    backends._init_worker(None, 0, "", None)  # type: ignore[arg-type]  # called without any: left as it is
    assert Image.MAX_IMAGE_PIXELS == 555_000_000
