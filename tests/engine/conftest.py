import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.scene import write_scenes


@pytest.fixture
def scenes_file(tmp_path):
    """12 demo scene graphs in tmp_path/in/scenes.jsonl; modules needing another input define
    their own `scenes_file`."""
    path = tmp_path / "in" / "scenes.jsonl"
    path.parent.mkdir()
    write_scenes(iter_scene_graphs(12, seed=4), path)
    return path
