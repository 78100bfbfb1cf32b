"""The op registry: each op declares its typed signature next to its code.

    @op("filter_name", inputs=[OBJECTS], args=[str], out=OBJECTS)
    def filter_name(ctx, objs, name): ...

`args` entries are a Python type (str, int, float) or a tuple of allowed string values.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

ArgSpec = type | tuple[str, ...]


@dataclass(frozen=True)
class OpSpec:
    name: str
    fn: Callable[..., Any]
    inputs: tuple[str, ...]
    args: tuple[ArgSpec, ...]
    out: str
    requires: tuple[str, ...]  # scene capabilities: "depth", "masks"
    doc: str

    def describe_args(self) -> list[str]:
        return [a.__name__ if isinstance(a, type) else "|".join(a) for a in self.args]


OPS: dict[str, OpSpec] = {}
# op name -> its function, as the executor calls it once per node (kept with `OPS` by `op`)
OP_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def op(
    name: str,
    *,
    inputs: Sequence[str],
    args: Sequence[ArgSpec] = (),
    out: str,
    requires: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register an op. Duplicate names are a programming error (ValueError)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in OPS:
            raise ValueError(f"op '{name}' is already registered")
        OPS[name] = OpSpec(
            name=name,
            fn=fn,
            inputs=tuple(inputs),
            args=tuple(args),
            out=out,
            requires=tuple(requires),
            doc=(fn.__doc__ or "").strip().split("\n")[0],
        )
        OP_FUNCTIONS[name] = fn
        return fn

    return decorate


def get_op(name: str) -> OpSpec:
    try:
        return OPS[name]
    except KeyError:
        close = difflib.get_close_matches(name, OPS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown op '{name}'{hint}") from None
