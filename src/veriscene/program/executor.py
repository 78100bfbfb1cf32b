"""The forward-loop executor: pure, deterministic, no eval/exec."""

from __future__ import annotations

from typing import Any, Sequence

from veriscene.errors import ExecutionFailure
from veriscene.program import all_ops as _all_ops  # noqa: F401  (registers every op)
from veriscene.program.checker import check_program
from veriscene.program.context import ExecutionContext
from veriscene.program.ops import _Fail
from veriscene.program.registry import OPS
from veriscene.program.types import ANSWER_TYPE_OF, to_answer
from veriscene.scene.model import Scene

Program = Sequence[dict[str, Any]]


def run_nodes(program: Program, ctx: ExecutionContext) -> list[Any]:
    """Execute a (type-checked) program and return every node's value, in order.

    Intermediate values are kept so that multi-step reasoning can be checked node by node.
    Raises ExecutionFailure when the program has no answer on these scenes.
    """
    values: list[Any] = []
    for i, node in enumerate(program):
        fn = OPS[node["op"]].fn
        inputs = node.get("inputs")
        args = node.get("args", ())
        try:
            if not inputs:  # the first node of most programs (`scene`)
                values.append(fn(ctx, *args))
            elif len(inputs) == 1:  # most other nodes: no list of input values to make
                values.append(fn(ctx, values[inputs[0]], *args))
            else:
                values.append(fn(ctx, *[values[j] for j in inputs], *args))
        except _Fail as exc:
            raise ExecutionFailure(i, node["op"], str(exc)) from None
    return values


def execute(
    program: Program,
    scenes: Scene | Sequence[Scene] | ExecutionContext,
    *,
    check: bool = True,
) -> Any:
    """Check and run a program; return its answer in JSON form (see `types.to_answer`)."""
    types = check_program(program) if check else None
    ctx = scenes if isinstance(scenes, ExecutionContext) else ExecutionContext(scenes)
    value = run_nodes(program, ctx)[-1]
    out_type = types[-1] if types is not None else OPS[program[-1]["op"]].out
    return to_answer(value, out_type)


def answer_type(program: Program) -> str:
    """The sample answer_type a program produces (checks the program)."""
    return ANSWER_TYPE_OF[check_program(program)[-1]]
