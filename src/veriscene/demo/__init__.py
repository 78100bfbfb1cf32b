"""The built-in demo world: rendered images of 2-D shapes with EXACT scene graphs.

Every object has a shape name, one colour, one size and one material; its box and mask are those
of its visible pixels, its depth follows the drawing order, and its relations follow documented
geometric rules (`veriscene.demo.relations`). Scene graphs are sampled without rendering
(`sample_scene`, `iter_scene_graphs`), and `render_scene` draws any of them later, pixel-consistent
with the masks.

    from veriscene.demo import make_world
    scenes = make_world("out/demo", n=200, seed=0)   # writes out/demo/images/demo-000000.png ...
"""

from veriscene.demo.config import DEFAULT_COLORS, DEFAULT_SIZES, WorldConfig
from veriscene.demo.relations import PREDICATES, RelationThresholds, compute_relations
from veriscene.demo.render import render_scene
from veriscene.demo.shapes import SHAPES
from veriscene.demo.world import (
    iter_scene_graphs,
    make_world,
    sample_scene,
    scene_relations,
    scene_rng,
)

__all__ = [
    "DEFAULT_COLORS",
    "DEFAULT_SIZES",
    "PREDICATES",
    "SHAPES",
    "RelationThresholds",
    "WorldConfig",
    "compute_relations",
    "iter_scene_graphs",
    "make_world",
    "render_scene",
    "sample_scene",
    "scene_relations",
    "scene_rng",
]
