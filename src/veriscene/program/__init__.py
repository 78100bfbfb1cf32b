"""The program language: typed ops, a checker and a forward-loop executor."""

from veriscene.program.builder import ProgramBuilder
from veriscene.program.checker import check_program
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.program.executor import answer_type, execute, run_nodes
from veriscene.program.registry import OPS, op
from veriscene.program.types import ANSWER_TYPE_OF, Obj, Objs

__all__ = [
    "ANSWER_TYPE_OF",
    "OPS",
    "ExecutionContext",
    "Obj",
    "Objs",
    "ProgramBuilder",
    "SceneIndex",
    "answer_type",
    "check_program",
    "execute",
    "op",
    "run_nodes",
]
