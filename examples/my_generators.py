"""A generator of your own, as a plugin.

This file is a plugin, not a script: `python examples/my_generators.py` only defines the class.
Give it to any command that runs generators (`--plugins`, Python `plugins=`), which imports it and
registers its generator beside the built-in ones. To try it on the demo world, from the
repository root (about 5 s):

    veriscene demo --out demo_out --scenes 20                          # demo_out/scenes.jsonl
    veriscene generators --plugins examples/my_generators.py          # listed with the built-in ones
    veriscene generate demo_out/scenes.jsonl -o run -g example --plugins examples/my_generators.py
    veriscene verify run --plugins examples/my_generators.py          # 0 mismatches
    veriscene view run                                                # its questions on their images

or in Python (a notebook too; `generators="example"` selects the generators of that family):

    import veriscene
    from veriscene.demo.pipeline import run_demo

    run_demo("demo_out", scenes=20)                                   # demo_out/scenes.jsonl
    summary = veriscene.generate("demo_out/scenes.jsonl", "run", generators="example",
                                 plugins=["examples/my_generators.py"])
    assert veriscene.verify("run", plugins=["examples/my_generators.py"]).ok

A generator proposes questions about one scene; each is a `Candidate`: a program (a list of op
nodes, `veriscene generators`' ops are listed by `veriscene.program.registry.OPS`) and the slot
values its template is filled with. The runner executes the program, so the answer is always
what the program computes on the scene graph; it balances answers, draws a template and renders
the open question and the multiple-choice one (options: the answer and `distractors`).

Ask only what a person looking at the image can answer: here, the largest object only when it is
clearly the largest (by its config's `margin`), not when two objects are about as large.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from veriscene.generators.base import Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder


@dataclass(frozen=True)
class LargestConfig(GeneratorConfig):
    margin: float = 1.5  # the largest object's area is at least this many times the next one's


@register("example.largest_name.v1", family="example")
class LargestObjectName(Generator):
    """What is the largest object in the image? (area of its visible mask, else of its box)"""

    answer_type = "str"
    Config = LargestConfig
    description = "The name of the object that is clearly the largest."
    templates = {
        "default": ("What is the largest object in the image?",
                    "Which object takes up the most space in the picture?"),
    }

    def propose(self, ctx: GenContext) -> Iterator[Candidate]:
        areas = sorted(ctx.index.area_list, reverse=True)  # the lookup tables the runner built once
        if len(areas) < 2 or areas[0] < self.config.margin * areas[1]:
            return  # fewer than two objects, or no clear winner: nothing asked
        b = ProgramBuilder()
        largest = b.add("extreme", b.add("scene", args=[0]), args=["largest"])
        b.add("query_name", largest)
        # options: the other objects of the scene by name (an option equal to the answer is skipped)
        yield Candidate(b.program, {}, distractors=sorted(set(ctx.scene.names)))
