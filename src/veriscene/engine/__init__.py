"""The generation engine: streaming runs over scene files."""

from veriscene.engine.generate import generate
from veriscene.engine.summary import RunSummary

__all__ = ["RunSummary", "generate"]
