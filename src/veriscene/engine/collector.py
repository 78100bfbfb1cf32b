"""Python's cyclic garbage collector while shards are generated.

Generation allocates many short-lived objects (candidates, programs, samples) while a worker keeps
many long-lived ones (the parsed partner scenes of the pool and their lookup tables: hundreds of
thousands of objects). With the automatic collector on, its full collections walk all of those
again and again: 10-25% of generation time on demo scenes (measured side by side on 400 scenes,
all generators). The engine's own objects form no reference cycles, so reference counting frees
them and the collector finds nothing to free.

So a shard runs with the automatic collector paused. Every `PERIOD` scenes, and when the shard
ends, one collection frees any cyclic garbage (a user generator may make some: at most `PERIOD`
scenes' worth is held) and `gc.freeze()` moves the survivors, which are long-lived by then, out
of later collections. An in-process run gives them back to the collector when it ends
(`release`), so the calling program's collector works as before; a program that froze objects
itself keeps them frozen (`frozen_before`).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

PERIOD = 256  # scenes between collections within a shard


def settle() -> None:
    """Collect cyclic garbage now, then keep the survivors out of later collections."""
    gc.collect()
    gc.freeze()


@contextmanager
def paused() -> Iterator[None]:
    """The automatic collector off for the block (restored after it), `settle` at its end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        settle()
        if enabled:
            gc.enable()


def frozen_before() -> int:
    """How many objects the calling program keeps frozen itself (`gc.freeze`), read as an
    in-process run starts: `release` hands nothing back when it is not 0."""
    return gc.get_freeze_count()


def release(frozen_by_caller: int = 0) -> None:
    """Hand the objects frozen by `settle` back to the collector (end of an in-process run).
    When the calling program had frozen objects of its own before the run (`frozen_before`: a
    server that froze its start-up heap, a test suite), `gc.unfreeze` would hand those back too,
    so every later collection walks them again: then the run's survivors stay frozen with them
    (reference counting still frees them; the engine's objects form no cycles)."""
    if not frozen_by_caller:
        gc.unfreeze()
