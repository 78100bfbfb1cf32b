"""Scene-graph caption: a dense description listing objects, attributes and relations."""

from __future__ import annotations

from typing import Iterable

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Candidate, GenContext, Generator
from veriscene.generators.registry import register


@mypyc_attr(allow_interpreted_subclasses=True)
class SceneGraphCaption(Generator):
    """Describe the image in detail (answer: the caption the `describe_scene` op writes)."""

    answer_type = "text"
    modes = ("caption",)
    requires = ("objects",)
    description = "Dense description of every object, its attributes and its relations."
    templates = {
        "default": (
            "Describe the image in detail.",
            "Give a detailed description of this image: the objects, their attributes and how they are arranged.",
            "What is in this picture? Describe every object and how the objects relate to each other.",
        )
    }

    def propose(self, ctx: GenContext) -> Iterable[Candidate]:
        yield Candidate([{"op": "describe_scene", "inputs": [], "args": [0]}], {})


register("scene_graph.caption.v1", family="scene_graph")(SceneGraphCaption)
