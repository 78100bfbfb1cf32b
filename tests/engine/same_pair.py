"""A test generator whose two anchors of a pair ask the same question: each anchor draws its one
partner and asks about the pair in image-id order with one template, so both anchors of a pair
make the identical sample (the run writes it once and counts the other as a repeat dropped)."""

from __future__ import annotations

from collections.abc import Iterator

from veriscene.generators import Candidate
from veriscene.generators.base import MultiImageGenerator
from veriscene.generators.registry import GENERATORS, register


def registered_same_pair(name: str) -> Iterator[str]:
    """Register the generator as `name` for the time of a fixture (yield from it); it exists only
    in this process and the workers forked from it."""

    @register(name, family="test")
    class SamePair(MultiImageGenerator):
        answer_type = "int"
        group_sizes = (2,)
        modes = ("qa",)
        templates = {"default": ("How many objects are in the first image?",)}

        def propose(self, ctx):
            partners = ctx.pool.draw(ctx.rng, 1, exclude_ids=[ctx.scene.image_id])
            if partners:
                group = tuple(sorted([ctx.scene, partners[0]], key=lambda s: s.image_id))
                program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "count", "inputs": [0], "args": []}]
                yield Candidate(program, {}, scenes=group)

    try:
        yield SamePair.name
    finally:
        del GENERATORS[SamePair.name]
