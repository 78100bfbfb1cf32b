"""veriscene: scene graphs in, verifiable vision-language data out.

Every question carries the program that computes its answer from the scene graph, so one record
serves as training data, a benchmark item and an RL reward.
"""

__version__ = "0.27.0"

from typing import TYPE_CHECKING, Any  # noqa: E402

from veriscene.engine.generate import generate  # noqa: E402
from veriscene.io.split import split  # noqa: E402
from veriscene.sample import Sample  # noqa: E402
from veriscene.scene import Scene, read_scenes, write_scenes  # noqa: E402
from veriscene.verify import verify  # noqa: E402

if TYPE_CHECKING:
    from veriscene.io.convert import convert
    from veriscene.io.export import export

# Imported when first asked for (`veriscene.convert(...)`, `from veriscene import export`): their
# readers and writers would add about a quarter of a second to every `import veriscene`.
# (`evaluate`, `stats`, `card` and `demo` name subpackages or modules: veriscene.evaluate.evaluate...)
_LAZY = {"convert": "veriscene.io.convert", "export": "veriscene.io.export"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'veriscene' has no attribute {name!r}")


__all__ = ["Sample", "Scene", "__version__", "convert", "export", "generate", "read_scenes", "split", "verify",
           "write_scenes"]
