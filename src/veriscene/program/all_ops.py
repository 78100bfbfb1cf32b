"""Imports every op module once, so that all ops are registered before any program runs.

Add new op modules here (one module per concept: core set/logic ops, geometry and points, ...).
"""

from veriscene.program import ops  # noqa: F401
