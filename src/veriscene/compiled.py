"""Which modules the compiled build of veriscene compiles with mypyc, and whether this one is.

`VERISCENE_COMPILE=1 pip install .` (setup.py, `make compiled`) compiles `COMPILED` with mypyc into
C extension modules installed beside their sources; a plain `pip install .` installs the pure
Python package, which makes the same samples (benchmarks/compiled_side_by_side.py checks it).
Python imports an extension module before a source file of the same name in the same folder, so
a module is compiled here when its extension file is there (`compiled_modules`); the `.py` files
stay installed, and the code digest of a run (`engine.source_digest`) is read from them: a
compiled and a pure-Python install of the same code record the same digest and may share a run.

This module is read by setup.py without importing veriscene (`runpy`): standard library only.
"""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # the veriscene package folder

# Module paths under the package. The generators' hot paths (the runner, the candidate pool,
# point regions, shared helpers, the option draws), the program builder, executor and operations,
# the scene pool, masks, text and vocabulary helpers (0.29.0's 21: 49% of a demo run's self time,
# about 1.45x faster compiled), then the generator modules. Those compile as they are written
# (`veriscene.generators.registry`): each class registered by a call after it (mypyc builds a
# class under a decorator of its own as a plain Python class), marked
# `@mypyc_attr(allow_interpreted_subclasses=True)` (a plugin's class may subclass it), its frozen
# config dataclass `@mypyc_attr(native_class=False)` (a native one may not subclass the
# interpreted `GeneratorConfig`). Compiled code checks the declared type of each variable: a
# variable holds values of one type (an ndarray in a variable first given a list is refused).
# Then the scene's lookup tables and the program's values (helper-246, 2026-12-07). In
# program/context.py, `SceneIndex` is a class of Python's own (`@mypyc_attr(native_class=False)`)
# whose tables are kept by `computed_once`: mypyc (2.4) builds a `functools.cached_property`, on
# any class, as a property computing its value on every read (the generators' `GenerousReader` and
# `GroupGenerator` had five, made again on each read until they were made in `__init__`;
# tests/test_compiled.py refuses one in a listed module). `ExecutionContext` is native:
# `of_indexes` calls its constructor with no scenes, where it called `cls.__new__`. In
# program/types.py `OpenNames`, a tuple subclass, is a class of Python's own made by
# `tuple.__new__` (compiled, such a class has no `super().__new__`). scene/caption.py,
# spellings.py and positions.py import `program.context`, whose package imported program.ops and
# ops_objects, which imported scene.caption and scene.describe: `import veriscene.scene.describe`
# failed in a fresh interpreter (a partly initialised module); the two ops now import them where
# they use them. Then (helper-257) scene/describe.py, whose module `__getattr__` (it kept
# `scene_caption` importable from there) was called by the compiled module's initialisation
# (`CPyImport_SetModuleFile` reads an attribute of the module) before the module's globals
# existed, a segmentation fault at import: gone (tests/test_compiled.py refuses one in a listed
# module); and generators/vocabulary.py, `Vocabulary` native, its derived views in a declared
# `_views` field (they were kept in its `__dict__`), `_Rows` (a dict subclass read through
# `__missing__`) a class of Python's own.
# mypyc (2.4) compiles `a == b` of two values typed as one class of Python's own (`native_class=
# False`: the generator configs) as `a is b` when the class body defines no `__eq__` (one that
# `dataclass` or a base class gives is not seen): two equal configs compare different. No listed
# module compares them so (tests/test_compiled.py scans the listed modules with mypy for it).
# Then generators/draws.py and sample.py, as classes of Python's own (`Draws` subclasses numpy's
# Generator, found by mypyc through `import numpy.random._generator`; `Sample` keeps its record in
# its `__dict__`): 58 modules, the same samples as pure Python (dig.py demo300, vg400), 29.57 M
# instructions per demo scene against 30.38 M for the 56-module build of the same tree (-2.7%;
# `instruction_count.py --scenes 10`, 23a8ac8) and 41.87 M pure.
# Then (helper-270) generators/candidates.py: `Candidate`, `Deferred`, `Batch`, `GenContext` and
# `one_by_one`, moved out of generators/base.py (which re-exports them) as native dataclasses
# whose fields compiled code reads directly (they were read through `PyObject_GetAttr`), each with
# its `__init__` written out: mypyc keeps the `__init__` that `dataclass` writes, Python code run
# interpreted (tests/generators/test_candidates.py checks each class writes its own). Compiled,
# their fields check the declared type of what they are given. `GroupContext` stays in base.py, an
# interpreted subclass of `GenContext`: compiled, a dataclass's field annotations are evaluated
# when its module is initialised, and its `pool: ScenePool` read the class of engine/pool.py,
# whose import (engine.pool -> engine.scan -> veriscene.generators -> base -> candidates) had not
# made it yet: a segmentation fault at import.
# 59 modules: the same samples as pure Python (dig.py demo300 18f4128d19515e1b, vg400
# 6f1fb34b2650d8ec), 28.32 M instructions per demo scene against 29.49 M for the 58-module build of
# the same tree (-4.0%; `instruction_count.py --scenes 10`, 7b4eb3e with this change; pure Python
# 41.92 M), the bytecodes left interpreted 26.1 k -> 18.9 k per scene.
# Not compiled: generators/base.py: its `Generator`, `OpenAnswerNotes` and `MultiImageGenerator`
# are subclassed by the compiled generators, two at once, which a native class cannot be, and a
# native class cannot subclass a class of Python's own compiled beside it ("does not allow
# interpreted subclasses"). scene/model.py was not compiled: `Scene` is a frozen dataclass whose
# `__post_init__` takes lists, numpy integers and arrays and normalises them (`object.__setattr__`)
# into tuples and ints; native, each field would refuse a value of another type than declared
# before `__post_init__` runs (a TypeError, not the SceneValidationError naming the field), and
# its `__init__` would stay the interpreted one of `dataclass` (see above): it needs an `__init__`
# of its own taking any value, which is still to be written and checked against the workers'
# pickling (`__getstate__`/`__setstate__` of a native class against the frozen `__setattr__`).
# Where the compiled build's instructions go (callgrind, `instruction_count.py --scenes 10`'s
# child, demo scenes 11-20, 7b4eb3e, 29.49 M per scene): libpython 73% (its interpreter loop only
# 4%: 26 k bytecodes per scene were left interpreted, in generators/base.py (24%), the `__init__`s
# `dataclass` writes (21%), generators/option_blocks.py (15%), scene/depth_order.py (9%),
# scene/model.py (8%), scene/jsonl.py, answers/coords.py, generators/agreement.py; 18.9 k with
# candidates.py compiled, of which `GroupContext.index_of` and `group_context` 15%, option_blocks
# `_share` 19%, `DepthOrder.shown` 12%, `Scene.__post_init__` 10%: the next to compile, though
# the interpreter loop is little of the whole); dict and attribute look-ups 19%, of which 2.9 M is compiled code
# reading attributes of objects of Python's own (scenes, `SceneIndex`, configs, candidates);
# allocation and freeing 18%; the rest object operations), the compiled modules' own code 10%,
# numpy 6%, libc 3%, the benchmark's digest of the sample ids (blake2) 3%, orjson 2%, ctypes and
# libffi 2%. Check a new list by importing each compiled module first, in a process of its own.
COMPILED: tuple[str, ...] = (
    "generators/runner.py", "generators/candidate_pool.py", "generators/regions.py", "generators/common.py",
    "program/executor.py", "program/builder.py", "engine/pool.py",
    "generators/visual.py", "generators/vocabulary_draws.py", "generators/count_options.py",
    "generators/relation_options.py", "generators/multi_image/set_options.py", "program/ops.py",
    "program/ops_objects.py", "program/ops_logic.py", "program/ops_geometry.py", "program/ops_masks.py",
    "program/ops_multi.py", "text.py", "vocab.py", "scene/masks.py",
    # the generator modules
    "generators/single_image/attribute_regions.py", "generators/single_image/attributes.py",
    "generators/single_image/captions.py", "generators/single_image/depth.py",
    "generators/single_image/depth_map_points.py", "generators/single_image/depth_points.py",
    "generators/single_image/geometry.py", "generators/single_image/grounding.py",
    "generators/single_image/multihop.py", "generators/single_image/object_lists.py",
    "generators/single_image/objects.py", "generators/single_image/refexp.py",
    "generators/single_image/relation_heads.py", "generators/single_image/relations.py",
    "generators/single_image/segmentation.py", "generators/single_image/spatial.py",
    "generators/multi_image/aggregate.py", "generators/multi_image/captions.py", "generators/multi_image/common.py",
    "generators/multi_image/compare_counts.py", "generators/multi_image/differences.py",
    "generators/multi_image/exists_all.py", "generators/multi_image/relation_diff.py",
    "generators/multi_image/select.py", "generators/multi_image/sets.py",
    # the lookup tables and program values, captions, spellings and positions, geometry and nouns
    "program/context.py", "program/types.py", "scene/caption.py", "scene/spellings.py", "scene/positions.py",
    "scene/geometry.py", "text_nouns.py", "text_predicates.py",
    # referring expressions and the vocabulary
    "scene/describe.py", "generators/vocabulary.py",
    # the draws and the samples
    "generators/draws.py", "sample.py",
    # the candidates and contexts
    "generators/candidates.py",
)


def compiled_modules(package: Path = PACKAGE) -> list[str]:
    """The module paths under `package` (as in `COMPILED`, sorted) that this interpreter imports
    compiled: those with an extension file of this interpreter's suffixes (`runner.cpython-311-
    x86_64-linux-gnu.so`, ...) beside them. Any module counts, listed in `COMPILED` or not."""
    found: set[str] = set()
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for path in package.rglob(f"*{suffix}"):
            source = path.with_name(path.name[: -len(suffix)] + ".py")
            if source.is_file():  # a module of ours, not a data file of that suffix
                found.add(source.relative_to(package).as_posix())
    return sorted(found)


def build_said(package: Path = PACKAGE) -> str:
    """How this installation runs, as `veriscene --version` says it: "pure Python", or
    "compiled with mypyc: 59 modules" (or "... 3 of them not listed in COMPILED")."""
    found = compiled_modules(package)
    if not found:
        return "pure Python"
    said = f"compiled with mypyc: {len(found)} module{'s' if len(found) != 1 else ''}"
    others = [m for m in found if m not in COMPILED]
    if others:
        said += f", {len(others)} of them not listed in veriscene.compiled.COMPILED"
    return said
