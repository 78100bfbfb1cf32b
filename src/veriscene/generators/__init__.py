"""Generators: small programs that ask verifiable questions about scene graphs."""

from veriscene.generators.base import Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.registry import GENERATORS, get_generator, register, select_generators
from veriscene.generators.runner import SceneRunner, derive_seed
from veriscene.generators.vocabulary import Vocabulary, Without

__all__ = [
    "GENERATORS",
    "Candidate",
    "GenContext",
    "Generator",
    "GeneratorConfig",
    "SceneRunner",
    "Vocabulary",
    "Without",
    "derive_seed",
    "get_generator",
    "register",
    "select_generators",
]
