"""The garbage collector during generation: paused per shard, survivors frozen, nothing leaked."""

import gc
import subprocess
import sys

from veriscene.engine import collector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_paused_restores_the_collector_and_frees_cycles() -> None:
    assert gc.isenabled()
    try:
        with collector.paused():
            assert not gc.isenabled()
            _Cycle()  # cyclic garbage: only the collector can free it
        assert gc.isenabled()
        assert gc.collect() == 0  # `settle` at the end of the block already freed it
        assert gc.get_freeze_count() > 0
    finally:
        collector.release()
    assert gc.get_freeze_count() == 0


def test_paused_keeps_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        collector.release()


_NO_CYCLES = """
import gc
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.pool import ScenePool
from veriscene.generators import SceneRunner, Vocabulary
from veriscene.generators.registry import select_generators

scenes = list(iter_scene_graphs(30, seed=3))
runner = SceneRunner([cls() for cls in select_generators(None)], Vocabulary.from_scenes(scenes),
                     pool=ScenePool.from_scenes(scenes[10:]))
for scene in scenes[:10]:  # warm up: parse partners and build their lookup tables
    runner.run(scene)
gc.collect()
gc.disable()
produced = sum(len(runner.run(scene)) for scene in scenes[:10])
print(produced, gc.collect())
"""


def test_generation_makes_no_reference_cycles() -> None:
    # The engine relies on reference counting while the collector is paused: every generator,
    # on scenes with masks, depth and a partner pool, must leave no cyclic garbage behind. In a
    # process of its own: gc.collect() counts the garbage of every thread of the process, and in a
    # full run (a test worker shared with hundreds of tests; threads of servers and pools) it once
    # counted 286 where the test alone, at the same commit, counts 0.
    done = subprocess.run([sys.executable, "-c", _NO_CYCLES], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    produced, garbage = map(int, done.stdout.split())
    assert produced > 0
    assert garbage == 0


_CALLER_FROZE = """
import gc, sys, tempfile
from pathlib import Path
import veriscene
from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import write_scenes

with tempfile.TemporaryDirectory() as tmp:
    scenes = Path(tmp) / "scenes.jsonl"
    write_scenes(iter_scene_graphs(4, seed=0), scenes)
    if sys.argv[1] == "froze":
        gc.freeze()  # the program's own start-up heap, kept out of its collections
    mine = gc.get_freeze_count()
    veriscene.generate(str(scenes), Path(tmp) / "run", generators="object.count.v1")
    print(mine, gc.get_freeze_count())
"""


def test_an_in_process_run_leaves_the_callers_frozen_objects_frozen() -> None:
    # gc.unfreeze() at the end of a run handed back the objects the program froze itself, so each
    # later collection walked them again; a program that froze nothing gets the run's back
    for how in ("froze", "did not"):
        done = subprocess.run([sys.executable, "-c", _CALLER_FROZE, how], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        mine, after = map(int, done.stdout.split())
        if how == "froze":
            assert mine > 0 and after >= mine
        else:
            assert mine == 0 and after == 0
