"""The generation engine: streaming runs over scene files."""

import sys
from typing import TYPE_CHECKING

from veriscene.lazy_names import LazyPackage

if TYPE_CHECKING:
    from veriscene.engine.generate import generate
    from veriscene.engine.summary import RunSummary

# imported when first asked for: every module of the engine (remote, fetch, manifest, run_lock...)
# imports this package first, and `generate` pulls in the whole engine, numpy and the readers (0.35 s)
_LAZY = {"RunSummary": "veriscene.engine.summary", "generate": "veriscene.engine.generate"}
sys.modules[__name__].__class__ = LazyPackage

__all__ = ["RunSummary", "generate"]
