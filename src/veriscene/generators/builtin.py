"""Imports every built-in generator module once, so that they register themselves."""

from veriscene.generators.single_image import (  # noqa: F401
    attributes,
    captions,
    depth,
    grounding,
    objects,
    relations,
    spatial,
)
