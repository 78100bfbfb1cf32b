"""`verify` of programs over scenes of a closed category list (COCO): the lists come from the scene
files it reads (the names of each set's scenes, the list a scene carries) and the run's
vocabulary.json; a program asking a COCO image about a name outside them fails as unknown."""

import orjson
import pytest

from tests.conftest import make_scene
from veriscene import verify
from veriscene.category_sets import category_set_id
from veriscene.sample import Sample
from veriscene.scene import write_scenes
from veriscene.verify import verify_chunk
from veriscene.verify_scenes import SceneIndex, run_categories

CATEGORIES = ["car", "cat", "dog", "person", "tv"]
SET_ID = category_set_id(CATEGORIES)


def sample(sid: str, image: str, op: str, name: str, answer, answer_type: str) -> dict:
    """A hand-written `scene -> filter_name name -> op` sample over `image`."""
    program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": [name]},
               {"op": op, "inputs": [1], "args": []}]
    return Sample(id=sid, task="hand.v1", family="object", images=[{"id": image}], question=f"{op} {name}?",
                  answer=answer, answer_type=answer_type, choices=None, program=program, template_id="t0",
                  generator_version=1, seed=0).to_dict()


@pytest.fixture
def files(tmp_path):
    """COCO scenes (the first carries the list, less "car": a subset's first scene) beside an
    open-vocabulary one, and four hand-written samples."""
    first = make_scene([{"name": "dog", "box": [0, 0, 10, 10]}], image_id="c0",
                       meta={"category_set": SET_ID, "categories": CATEGORIES})
    second = make_scene([{"name": "tv", "box": [0, 0, 10, 10]}], image_id="c1", meta={"category_set": SET_ID})
    street = make_scene([{"name": "window", "box": [0, 0, 10, 10]}], image_id="v0")
    scenes = tmp_path / "scenes.jsonl"
    write_scenes([first, second, street], scenes)
    samples = tmp_path / "samples.jsonl"
    records = [sample("window", "c1", "exists", "window", False, "bool"),  # COCO cannot tell
               sample("cat", "c1", "count", "cat", 0, "int"),  # from c0's list, read in the pass
               sample("tv", "c1", "count", "tv", 1, "int"),
               sample("street", "v0", "exists", "cat", False, "bool")]  # an open-vocabulary scene: as before
    samples.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return samples, scenes


@pytest.mark.parametrize("workers", [1, 2])
def test_a_name_outside_the_set_is_refused(files, workers) -> None:
    samples, scenes = files
    report = verify(samples, scenes=scenes, workers=workers)
    assert report.samples == 4 and report.verified == 3
    [problem] = report.problems
    assert problem.sample_id == "window" and problem.kind == "program_error"
    assert "absence is unknown" in problem.detail and "category list" in problem.detail


def test_the_lists_come_from_the_scene_files_and_the_runs_vocabulary(files) -> None:
    samples, scenes = files
    index = SceneIndex([scenes])
    try:
        assert index.categories == {SET_ID: set(CATEGORIES)}
    finally:
        index.close()
    # "car" is no scene's name; a list without it (a subset's) leaves it unknown, unless the
    # run's vocabulary.json (what generation gave its programs) holds it
    scenes.write_bytes(scenes.read_bytes().replace(orjson.dumps(CATEGORIES), orjson.dumps(["cat", "dog", "tv"]))
                       .replace(SET_ID.encode(), category_set_id(["cat", "dog", "tv"]).encode()))
    car = sample("car", "c1", "count", "car", 0, "int")
    samples.write_bytes(orjson.dumps(car) + b"\n")
    sid = category_set_id(["cat", "dog", "tv"])
    assert [p.kind for p in verify(samples, scenes=scenes).problems] == ["program_error"]
    (samples.parent / "vocabulary.json").write_bytes(orjson.dumps({"names": {}, "category_sets": {sid: ["car"]}}))
    assert run_categories(samples) == {sid: ["car"]}
    for workers in (1, 2):
        report = verify(samples, scenes=scenes, workers=workers)
        assert report.verified == 1 and not report.problems


def test_a_worker_reads_the_lists_it_is_sent(files) -> None:
    samples, scenes = files
    lines = list(enumerate(samples.read_bytes().splitlines(keepends=True), start=1))[1:2]  # the cat's count
    scene_lines = {"c1": [scenes.read_bytes().splitlines(keepends=True)[1]]}
    assert verify_chunk(lines, scene_lines).problems[0].kind == "program_error"  # c1 alone: its own names
    assert verify_chunk(lines, scene_lines, categories={SET_ID: CATEGORIES}).verified == 1
