"""veriscene: scene graphs in, verifiable vision-language data out.

Every question carries the program that computes its answer from the scene graph, so one record
serves as training data, a benchmark item and an RL reward.
"""

__version__ = "0.33.0"

import sys  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from veriscene.lazy_names import LazyPackage  # noqa: E402

if TYPE_CHECKING:
    from veriscene.engine.generate import generate
    from veriscene.io.convert import convert
    from veriscene.io.export import export
    from veriscene.io.split import split
    from veriscene.sample import Sample
    from veriscene.scene import Scene, read_scenes, write_scenes
    from veriscene.verify import verify

# Every public name is imported when first asked for (`veriscene.generate(...)`, `from veriscene
# import Scene`), not by `import veriscene`: the engine, numpy, the readers and writers they pull in
# took 0.35 s of every `import veriscene` and every `veriscene` command's start (`lazy_names`).
# (`evaluate`, `stats`, `card` and `demo` name subpackages or modules: veriscene.evaluate.evaluate...)
_LAZY = {
    "Sample": "veriscene.sample",
    "Scene": "veriscene.scene",
    "convert": "veriscene.io.convert",
    "export": "veriscene.io.export",
    "generate": "veriscene.engine.generate",
    "read_scenes": "veriscene.scene",
    "split": "veriscene.io.split",
    "verify": "veriscene.verify",
    "write_scenes": "veriscene.scene",
}
sys.modules[__name__].__class__ = LazyPackage

__all__ = ["Sample", "Scene", "__version__", "convert", "export", "generate", "read_scenes", "split", "verify",
           "write_scenes"]
