"""A generator defined outside veriscene, registered when this module is imported: workers that
do not fork from the test import it (`RunSpec.generator_modules`). Imported only by the test that
uses it, which takes it out of the registry after (tests that list every generator must not see it)."""

from veriscene.generators.base import Candidate, Generator
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder

NAME = "test.backends.plain.v1"


@register(NAME, family="test")
class Plain(Generator):
    answer_type = "int"
    templates = {"default": ("How many objects are there in total?",)}

    def propose(self, ctx):  # type: ignore[no-untyped-def]
        b = ProgramBuilder()
        b.add("count", b.add("scene", args=[0]))
        yield Candidate(b.program, {}, distractors=[len(ctx.scene) + 1, len(ctx.scene) + 2])
