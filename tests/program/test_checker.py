import pytest

from veriscene.errors import ProgramError
from veriscene.program import check_program


def node(op, inputs=(), args=()):
    return {"op": op, "inputs": list(inputs), "args": list(args)}


def test_types_of_every_node() -> None:
    program = [node("scene", args=[0]), node("filter_name", [0], ["cup"]), node("count", [1])]
    assert check_program(program) == ["Objects", "Objects", "Int"]


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ([], "non-empty list"),
        ([node("scen", args=[0])], "did you mean scene"),
        ([node("scene", args=[0]), node("count", [0, 0])], "takes 1 inputs, got 2"),
        ([node("scene", args=[])], "takes 1 arguments, got 0"),
        ([node("scene", args=["0"])], "argument 0 must be int"),
        ([node("scene", args=[0]), node("count", [1])], "must refer to an earlier node"),
        ([node("scene", args=[0]), node("count", [-1])], "must refer to an earlier node"),
        ([node("scene", args=[0]), node("query_name", [0])], "input 0 must be Object, node 0 gives Objects"),
        ([node("scene", args=[0]), node("extreme", [0], ["middlemost"])], "must be one of"),
        ([node("scene", args=[0])], "not an answer"),
        ([node("scene", args=[0]), node("count", [0]), node("exists", [0]), node("equal", [1, 2])],
         "must have the same type"),
        (["scene"], "must be an object"),
        ([node("scene", args=[True])], "must be int"),
    ],
)
def test_ill_formed_programs_are_rejected(program, message) -> None:
    with pytest.raises(ProgramError, match=message):
        check_program(program)


def test_no_eval_or_exec_in_program_package() -> None:
    import pathlib

    import veriscene.program as pkg

    source = "".join(p.read_text() for p in pathlib.Path(pkg.__file__).parent.glob("*.py"))
    assert "eval(" not in source and "exec(" not in source
