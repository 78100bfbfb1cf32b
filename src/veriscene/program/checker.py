"""Type checker: rejects ill-formed programs before they run.

A program is a list of nodes ``{"op": str, "inputs": [node indices], "args": [...]}``; inputs may
only refer to earlier nodes, so one forward pass checks and executes it.
"""

from __future__ import annotations

from typing import Any, Sequence

from veriscene.errors import ProgramError
from veriscene.program.registry import OpSpec, get_op
from veriscene.program.types import ANSWER_TYPE_OF, ANY


def _check_arg(spec: OpSpec, i: int, k: int, value: Any) -> None:
    want = spec.args[k]
    if isinstance(want, tuple):
        if value not in want:
            raise ProgramError(f"node {i} ({spec.name}): argument {k} must be one of {list(want)}, got {value!r}")
        return
    ok = isinstance(value, want) and not isinstance(value, bool)
    if want is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise ProgramError(
            f"node {i} ({spec.name}): argument {k} must be {want.__name__}, got {type(value).__name__} {value!r}"
        )


def check_program(program: Sequence[Any], *, answerable: bool = True) -> list[str]:
    """Check a program and return the type of every node.

    With `answerable`, the last node must produce a type that has an answer form (not a bare
    object set). Raises ProgramError naming the node at fault.
    """
    if not isinstance(program, (list, tuple)) or not program:
        raise ProgramError("a program must be a non-empty list of nodes")
    types: list[str] = []
    for i, node in enumerate(program):
        if not isinstance(node, dict) or "op" not in node:
            raise ProgramError(f"node {i}: must be an object with 'op', 'inputs' and 'args', got {node!r}"[:200])
        try:
            spec = get_op(node["op"])
        except KeyError as exc:
            raise ProgramError(f"node {i}: {exc.args[0]}") from None
        inputs = node.get("inputs", [])
        args = node.get("args", [])
        if not isinstance(inputs, list) or not isinstance(args, list):
            raise ProgramError(f"node {i} ({spec.name}): 'inputs' and 'args' must be lists")
        if len(inputs) != len(spec.inputs):
            raise ProgramError(f"node {i} ({spec.name}): takes {len(spec.inputs)} inputs, got {len(inputs)}")
        if len(args) != len(spec.args):
            raise ProgramError(f"node {i} ({spec.name}): takes {len(spec.args)} arguments, got {len(args)}")
        any_type: str | None = None
        for k, (ref, want) in enumerate(zip(inputs, spec.inputs)):
            if isinstance(ref, bool) or not isinstance(ref, int) or not 0 <= ref < i:
                raise ProgramError(f"node {i} ({spec.name}): input {k} must refer to an earlier node, got {ref!r}")
            got = types[ref]
            if want == ANY:
                if any_type is not None and got != any_type:
                    raise ProgramError(f"node {i} ({spec.name}): inputs must have the same type, got {any_type} and {got}")
                any_type = got
            elif got != want:
                raise ProgramError(f"node {i} ({spec.name}): input {k} must be {want}, node {ref} gives {got}")
        for k, value in enumerate(args):
            _check_arg(spec, i, k, value)
        types.append(spec.out)
    if answerable and types[-1] not in ANSWER_TYPE_OF:
        raise ProgramError(f"the program ends in {types[-1]}, which is not an answer; end it with a query op")
    return types
