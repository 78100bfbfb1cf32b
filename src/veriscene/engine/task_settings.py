"""The veriscene settings a worker's task depends on, taken from the driver with the work.

veriscene reads some settings from the environment: the image pixel limit
(`VERISCENE_MAX_IMAGE_PIXELS`, held as Pillow's `Image.MAX_IMAGE_PIXELS`) and its folders
(`VERISCENE_DOWNLOADS`, `VERISCENE_STAGING`, `VERISCENE_UNPACKED`) among them. A worker reads
them from its own environment, which is not always the driver's of now: a forkserver started by
an earlier run, a Ray started before (a notebook's `ray.init()`), an actor, all keep the
environment of their start. A notebook that sets ``os.environ["VERISCENE_DOWNLOADS"]`` after a
first ``generate(workers=2)`` would see the old folder in its workers.

So the driver takes a snapshot (`task_settings`) when it hands work out (a pool's initializer, a
Ray task's or actor's arguments), and the worker makes it its own (`take_settings`) before it
works: every setting of `SETTINGS` as the driver has it, set or unset. The folders are paths of
the driver's machine: a worker on another machine (a Ray cluster's node) keeps its own, and takes
the pixel limit alone, which a run also passes to a cluster's nodes in the job's runtime_env
(`ray_cluster.worker_env`). `DRIVER_ONLY` names the variables read by the driver alone, which
need not travel (a test checks that every veriscene variable is in one of the two).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any

from veriscene.engine.downloads import DOWNLOADS_ENV
from veriscene.engine.remote_lock import LEASE_ENV
from veriscene.engine.url_paths import STAGING_ENV
from veriscene.scene.image_files import MAX_PIXELS_ENV
from veriscene.scene.unpack import UNPACKED_ENV

__all__ = ["DRIVER_ONLY", "FOLDERS", "SETTINGS", "TaskSettings", "take_pixel_limit", "take_settings", "task_settings"]

FOLDERS = (DOWNLOADS_ENV, STAGING_ENV, UNPACKED_ENV)  # paths of the driver's machine
# the variables a worker takes from the driver; the pixel limit travels as Pillow's value (`pixels`)
SETTINGS = (*FOLDERS, LEASE_ENV)
# read by the driver alone (how it starts workers; how the package was built; how often it prints
# progress off a terminal: workers print none)
DRIVER_ONLY = ("VERISCENE_START_METHOD", "VERISCENE_COMPILE", "VERISCENE_COMPILE_MODULES", "VERISCENE_PROGRESS_SECONDS")


@dataclass(frozen=True)
class TaskSettings:
    """The driver's settings: its pixel limit (`Image.MAX_IMAGE_PIXELS`, None: no limit), each
    of `SETTINGS` as its environment holds it (None: unset), and the machine it runs on."""

    pixels: int | None
    environ: dict[str, str | None] = field(default_factory=dict)
    host: str = ""


def task_settings() -> TaskSettings:
    """This process's settings, to hand to its workers with their work."""
    from PIL import Image

    return TaskSettings(Image.MAX_IMAGE_PIXELS, {name: os.environ.get(name) for name in SETTINGS},
                        socket.gethostname())


def take_settings(settings: TaskSettings | None) -> None:
    """Make the driver's `settings` this worker's (and its child processes'): the pixel limit,
    and on the driver's machine every variable of `SETTINGS` as the driver has it; off it, the
    folders are left (module notes). None (the workers' entry points called without a driver's)
    leaves everything as it is."""
    if settings is None:
        return
    take_pixel_limit(settings.pixels)
    here = settings.host == socket.gethostname()
    for name, value in settings.environ.items():
        if name in FOLDERS and not here:
            continue
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def take_pixel_limit(limit: Any) -> None:
    """Pillow's limit `limit`, and the variable that hands it to this worker's child processes."""
    from PIL import Image

    if Image.MAX_IMAGE_PIXELS != limit:
        Image.MAX_IMAGE_PIXELS = limit
        os.environ[MAX_PIXELS_ENV] = "none" if limit is None else str(int(limit))
