"""The candidates and the context of `veriscene.generators.candidates`, re-exported by
`veriscene.generators.base`: their `__init__` written out (the compiled build compiles it), the
same fields, defaults and dataclass behaviour as the dataclasses they were; `GroupContext` (in
base.py) a `GenContext` of the same fields and its pool."""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.generators.helpers import VOCAB
from veriscene.engine.pool import ScenePool
from veriscene.generators import base, candidates
from veriscene.generators.base import GroupContext
from veriscene.generators.candidates import Batch, Candidate, Deferred, GenContext, one_by_one
from veriscene.program import ExecutionContext, SceneIndex
from veriscene.scene import Scene

NAMES = ("Batch", "Candidate", "Deferred", "GenContext", "one_by_one")


def _scene() -> Scene:
    return Scene.from_objects("img", 100, 100, [{"name": "cat", "box": [0, 0, 10, 10]}])


def test_base_exports_the_same_objects() -> None:
    assert all(getattr(base, name) is getattr(candidates, name) for name in NAMES)


def test_every_class_writes_its_init() -> None:
    """Compiled, the `__init__` that `dataclass` writes stays Python code (exec'd by dataclasses):
    each class writes its own, which mypyc compiles."""
    tree = ast.parse((Path(candidates.__file__).parent / "candidates.py").read_text())
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    assert sorted(c.name for c in classes) == ["Batch", "Candidate", "Deferred", "GenContext"]
    for cls in classes:
        assert any(isinstance(node, ast.FunctionDef) and node.name == "__init__" for node in cls.body), cls.name


def test_a_candidate_takes_its_fields_in_the_dataclass_order() -> None:
    fields = [f.name for f in dataclasses.fields(Candidate)]
    assert fields == ["program", "slots", "group", "distractors", "expected", "meta", "build", "scenes", "sides",
                      "vertical", "plural", "marks"]
    cand = Candidate([{"op": "scene"}], {"x": "y"}, "g", ["a"], "b", {"k": 1}, None, None, True, True, ("x",), [])
    assert [getattr(cand, name) for name in fields] == [[{"op": "scene"}], {"x": "y"}, "g", ["a"], "b", {"k": 1}, None,
                                                        None, True, True, ("x",), []]


def test_a_candidate_has_the_defaults_and_a_meta_of_its_own() -> None:
    one, two = Candidate(None, {}), Candidate(None, {})
    assert (one.group, one.distractors, one.expected, one.build, one.scenes, one.sides, one.vertical, one.plural,
            one.marks) == ("default", (), None, None, None, False, False, (), None)
    one.meta["k"] = 1
    assert two.meta == {} and one != two and two == Candidate(None, {})
    assert dataclasses.replace(one, group="other") == Candidate(None, {}, "other", meta={"k": 1})


def test_a_program_is_built_once_when_asked() -> None:
    built: list[int] = []
    cand = Candidate(None, {}, build=lambda: built.append(1) or [{"op": "scene"}])
    assert cand.get_program() == [{"op": "scene"}] == cand.get_program() and built == [1]
    with pytest.raises(ValueError, match="a program or a build function"):
        Candidate(None, {}).get_program()


def test_batches_are_made_one_by_one() -> None:
    made = Candidate(None, {})
    batch = Batch.of(["a", "b"], [(1,), (2,)], lambda k: made if k == 2 else None)
    listed = list(one_by_one([made, batch]))
    assert listed[0] is made and [d.key for d in listed[1:]] == ["a", "b"]
    assert all(isinstance(d, Deferred) for d in listed[1:]) and [d.make() for d in listed[1:]] == [None, made]
    with pytest.raises(ValueError, match="one argument tuple per key"):
        Batch.of(["a"], [], lambda: None)


def test_a_context_counts_in_the_runs_counts_only() -> None:
    scene = _scene()
    ctx = GenContext(scene, SceneIndex(scene), ExecutionContext(scene), np.random.default_rng(0), VOCAB)
    assert ctx.counts is None and ctx.task == ""
    ctx.count("rejected_mine")  # outside a runner: nothing
    ctx.counts, ctx.task = Counter(), "objects.count"
    ctx.count("rejected_mine", 2)
    ctx.count("rejected_mine", 0)
    assert ctx.counts == Counter({"rejected_mine:objects.count": 2})


def test_a_group_context_is_replaced_with_its_pool() -> None:
    """`dataclasses.replace` (multi_image/sets.py) makes a context of the same fields, its counts
    those of a new context."""
    scene = _scene()
    pool = ScenePool([])
    ctx = GroupContext(scene, SceneIndex(scene), ExecutionContext(scene), np.random.default_rng(0), VOCAB, pool)
    ctx.counts = Counter()
    other = dataclasses.replace(ctx, rng=np.random.default_rng(1))
    assert isinstance(other, GroupContext) and other.pool is pool and other.scene is scene and other.counts is None
    assert other.index_of(scene) is ctx.index
    assert [f.name for f in dataclasses.fields(GroupContext)] == ["scene", "index", "exec_ctx", "rng", "vocab", "counts",
                                                                  "task", "pool"]
