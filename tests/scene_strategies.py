"""Hypothesis strategies shared by tests: random scene graphs of the kinds real annotations hold."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from veriscene.scene import Scene
from veriscene.scene.masks import encode_mask

# Names and words that tell generators apart: synonyms, plurals, substances, initialisms, words
# of several words, a name that is also an attribute, and words no vocabulary knows.
NAMES = ("man", "men", "person", "people", "dog", "dogs", "jeans", "grass", "water", "tv", "car",
         "traffic light", "shirt", "table", "cup", "glass", "orange", "blob", "café", "kidney")
ATTRIBUTES = ("red", "blue", "green", "white", "big", "large", "small", "tall", "short", "wooden",
              "metal", "shiny", "striped", "round", "orange", "glass", "open", "frobby", "dark red")
PREDICATES = ("left of", "right of", "on", "on top of", "under", "near", "next to", "wearing", "has",
              "holding", "in front of", "behind", "above", "below", "frobs", "sitting on", "of")


@st.composite
def scenes(draw: st.DrawFn, image_id: str = "s0", max_objects: int = 6) -> Scene:
    """A scene graph of up to `max_objects` objects (see tests/generators/test_scene_fuzz.py for
    what it holds)."""
    width = draw(st.integers(8, 96))
    height = draw(st.integers(8, 96))
    n = draw(st.integers(0, max_objects))
    with_masks = draw(st.booleans())
    with_depth = draw(st.booleans())
    objects: list[dict[str, Any]] = []
    for _ in range(n):
        x0 = draw(st.integers(0, width - 1))
        y0 = draw(st.integers(0, height - 1))
        x1 = draw(st.integers(x0 + 1, width))
        y1 = draw(st.integers(y0 + 1, height))
        obj: dict[str, Any] = {
            "name": draw(st.sampled_from(NAMES)),
            "box": [x0, y0, x1, y1],
            "attributes": draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3)),
        }
        if with_depth:
            obj["depth"] = draw(st.sampled_from((0.0, 0.5, 1.0, 2.5, 10.0)))
        if with_masks:
            mask = np.zeros((height, width), dtype=bool)
            shape = draw(st.sampled_from(("box", "empty", "elsewhere", "part")))
            if shape == "box":
                mask[y0:y1, x0:x1] = True
            elif shape == "part":
                mask[y0:(y0 + y1 + 1) // 2, x0:x1] = True
            elif shape == "elsewhere":
                a = draw(st.integers(0, width - 1))
                b = draw(st.integers(0, height - 1))
                mask[b:b + draw(st.integers(1, 20)), a:a + draw(st.integers(1, 20))] = True
            obj["mask"] = encode_mask(mask)
        objects.append(obj)
    relations = []
    if n >= 2:
        for _ in range(draw(st.integers(0, 2 * max_objects))):
            s, o = draw(st.permutations(range(n)))[:2]
            relations.append((s, draw(st.sampled_from(PREDICATES)), o))
    meta: dict[str, Any] = {}
    if n and draw(st.booleans()):
        for key in ("crowd", "stuff"):
            marked = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=2))
            if marked:
                meta[key] = sorted(marked)
    if draw(st.integers(0, 4)) == 0:
        meta["sparse"] = draw(st.lists(st.sampled_from(("attributes", "relations")), unique=True, min_size=1))
    if n and draw(st.integers(0, 4)) == 0:
        meta["exhaustive"] = sorted({o["name"] for o in objects})
    if draw(st.integers(0, 5)) == 0:
        meta["orientation"] = "radiological"
        if draw(st.booleans()):
            meta["plane"] = draw(st.sampled_from(("axial", "sagittal", "coronal")))
    return Scene.from_objects(image_id, width, height, objects, relations, meta=meta)
