"""veriscene: scene graphs in, verifiable vision-language data out.

Every question carries the program that computes its answer from the scene graph, so one record
serves as training data, a benchmark item and an RL reward.
"""

__version__ = "0.15.3"

from veriscene.engine.generate import generate  # noqa: E402
from veriscene.io.split import split  # noqa: E402
from veriscene.sample import Sample  # noqa: E402
from veriscene.scene import Scene, read_scenes, write_scenes  # noqa: E402
from veriscene.verify import verify  # noqa: E402

__all__ = ["Sample", "Scene", "__version__", "generate", "read_scenes", "split", "verify", "write_scenes"]
