"""Imports every built-in generator module once, so that they register themselves."""

from veriscene.generators.single_image import (  # noqa: F401
    attribute_regions,
    attributes,
    captions,
    depth,
    depth_map_points,
    depth_points,
    geometry,
    grounding,
    multihop,
    object_lists,
    objects,
    refexp,
    relation_heads,
    relations,
    segmentation,
    spatial,
)
from veriscene.generators.multi_image import (  # noqa: F401
    aggregate, captions as multi_image_captions, compare_counts, differences, relation_diff, select, sets,
    exists_all, marked_points,
)

