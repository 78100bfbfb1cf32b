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
        self.program.append({"op": op_name, "inputs": list(inputs), "args": list(args)})
        return len(self.program) - 1

    def extend(self, nodes: list[dict[str, Any]]) -> int:
        """Append a sub-program whose inputs are local to it; return the index of its last node."""
        offset = len(self.program)
        for node in nodes:
            self.program.append(
                {"op": node["op"], "inputs": [j + offset for j in node["inputs"]], "args": list(node["args"])}
            )
        return len(self.program) - 1
