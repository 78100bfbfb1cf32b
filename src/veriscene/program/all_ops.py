"""Imports every op module once, so that all ops are registered before any program runs.

Add new op modules here (one module per concept: core set/logic ops, geometry and points, ...).
"""

from veriscene.program import ops  # noqa: F401
from veriscene.program import ops_logic  # noqa: F401  (comparison, set algebra, booleans, equality)
from veriscene.program import ops_geometry  # noqa: F401  (points, regions, positions from boxes)
from veriscene.program import ops_masks  # noqa: F401  (objects at points, via decoded masks)
from veriscene.program import ops_depth_map  # noqa: F401  (depth at points, from dense depth maps)
from veriscene.program import ops_objects  # noqa: F401  (name frequency, depth vs anchor, descriptions)
from veriscene.program import ops_multi  # noqa: F401  (multi-image: per-image sets, totals, image selection)
from veriscene.program import ops_sets  # noqa: F401  (a question's listed words: names among them)
from veriscene.program import ops_marks  # noqa: F401  (points drawn on the image with a label: BLINK-style)
