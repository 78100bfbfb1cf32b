"""`executor.answer_of`: the runner's way of running a program it built, with `execute`'s answers."""

import pytest

from veriscene.errors import ExecutionFailure
from veriscene.program import ExecutionContext, ProgramBuilder, execute
from veriscene.program.executor import answer_of


def _program(build) -> list:
    b = ProgramBuilder()
    build(b)
    return b.program


def _circles(b: ProgramBuilder) -> int:
    return b.add("filter_name", b.add("scene", args=[0]), args=["circle"])


@pytest.mark.parametrize("build, expected", [
    (lambda b: b.add("count", _circles(b)), 2),  # int
    (lambda b: b.add("exists", _circles(b)), True),  # bool
    (lambda b: b.add("query_name", b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["square"]))),
     "square"),  # str
    (lambda b: b.add("query_attribute", b.add("unique", b.add("filter_name", b.add("scene", args=[0]), args=["square"])),
                     args=["color"]), "blue"),
])
def test_answer_of_gives_execute_answers(street, build, expected) -> None:
    program = _program(build)
    ctx = ExecutionContext(street)
    got = answer_of(program, ctx)
    assert got == expected and type(got) is type(expected)
    assert got == execute(program, ctx, check=False) == execute(program, street)


def test_answer_of_raises_the_failing_node(street) -> None:
    program = _program(lambda b: b.add("query_name", b.add("unique", _circles(b))))
    with pytest.raises(ExecutionFailure, match="expected exactly one object, found 2") as info:
        answer_of(program, ExecutionContext(street))
    assert info.value.node == 2 and info.value.op == "unique"
