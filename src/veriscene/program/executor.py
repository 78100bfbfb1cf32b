"""The forward-loop executor: pure, deterministic, no eval/exec."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from veriscene.errors import ExecutionFailure
from veriscene.program import all_ops as _all_ops  # noqa: F401  (registers every op)
from veriscene.program.checker import check_program
from veriscene.program.context import ExecutionContext
from veriscene.program.ops import _Fail
from veriscene.program.registry import OP_FUNCTIONS, OPS
from veriscene.program.types import ANSWER_TYPE_OF, OpenAnswer, to_answer
from veriscene.scene.model import Scene

Program = Sequence[Mapping[str, Any]]


def run_nodes(program: Program, ctx: ExecutionContext) -> list[Any]:
    """Execute a (type-checked) program and return every node's value, in order.

    Intermediate values are kept so that multi-step reasoning can be checked node by node.
    Raises ExecutionFailure when the program has no answer on these scenes.
    """
    values: list[Any] = []
    for node in program:
        try:  # (every node a generator builds has all three keys: subscripts cost less than get)
            fn, inputs, args = OP_FUNCTIONS[node["op"]], node["inputs"], node["args"]
        except KeyError:  # a checked program may leave out empty inputs or args
            fn, inputs, args = OP_FUNCTIONS[node["op"]], node.get("inputs"), node.get("args", ())
        # The common shapes are called without unpacking: a call with *args builds a tuple of
        # the arguments, about a fifth of a node's cost (`scene`: one arg; `filter_name`: one
        # input and one arg; `unique`, `count`, `exists`: one input; `union`, `and`: two).
        try:
            if not inputs:
                value = fn(ctx, args[0]) if len(args) == 1 else fn(ctx, *args)
            elif len(inputs) == 1:
                x = values[inputs[0]]
                value = fn(ctx, x) if not args else fn(ctx, x, args[0]) if len(args) == 1 else fn(ctx, x, *args)
            elif len(inputs) == 2 and not args:
                value = fn(ctx, values[inputs[0]], values[inputs[1]])
            else:
                value = fn(ctx, *[values[j] for j in inputs], *args)
        except _Fail as exc:  # the failing node is the next one to have a value
            raise ExecutionFailure(len(values), node["op"], str(exc)) from None
        values.append(value)
    return values


def execute(
    program: Program,
    scenes: Scene | Sequence[Scene] | ExecutionContext,
    *,
    check: bool = True,
) -> Any:
    """Check and run a program; return its answer in JSON form (see `types.to_answer`)."""
    ctx = scenes if isinstance(scenes, ExecutionContext) else ExecutionContext(scenes)
    if not check:
        return answer_of(program, ctx)
    types = check_program(program)
    try:
        return to_answer(run_nodes(program, ctx)[-1], types[-1])
    except OpenAnswer as exc:
        raise ExecutionFailure(len(program) - 1, program[-1]["op"], str(exc)) from None


def answer_of(program: Program, ctx: ExecutionContext) -> Any:
    """`execute(program, ctx, check=False)`: the answer of a program its caller built (so typed
    already) on a context it made, without `execute`'s sorting out of arguments (the runner runs
    one per sample)."""
    try:
        return to_answer(run_nodes(program, ctx)[-1], OPS[program[-1]["op"]].out)
    except OpenAnswer as exc:  # a set of words that open ones may change (`types.OpenNames`)
        raise ExecutionFailure(len(program) - 1, program[-1]["op"], str(exc)) from None


def answer_type(program: Program) -> str:
    """The sample answer_type a program produces (checks the program)."""
    return ANSWER_TYPE_OF[check_program(program)[-1]]
