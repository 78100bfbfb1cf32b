"""A tiny helper to write programs node by node in Python (used by generators and tests).

    b = ProgramBuilder()
    s = b.add("scene", args=[0])
    c = b.add("filter_name", s, args=["circle"])
    b.add("count", c)
    b.program  # -> [{"op": "scene", "inputs": [], "args": [0]}, ...]
"""

from __future__ import annotations

from typing import Any


class ProgramBuilder:
    def __init__(self) -> None:
        self.program: list[dict[str, Any]] = []

    def add(self, op_name: str, *inputs: int, args: list[Any] | tuple[Any, ...] = ()) -> int:
        """Append a node and return its index (to use as an input of later nodes)."""
        program = self.program  # ([*x] copies without a call of `list`: ~500 nodes per scene)
        program.append({"op": op_name, "inputs": [*inputs], "args": [*args]})
        return len(program) - 1

    def extend(self, nodes: list[dict[str, Any]]) -> int:
        """Append a sub-program whose inputs are local to it; return the index of its last node."""
        program = self.program
        offset = len(program)
        for node in nodes:
            program.append({"op": node["op"], "inputs": [j + offset for j in node["inputs"]], "args": [*node["args"]]})
        return len(program) - 1
