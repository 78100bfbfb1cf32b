"""Closed category lists in generation: a run mixing COCO with Visual Genome-shaped scenes.

COCO annotates every instance of its 80 categories and nothing else, so a COCO image cannot tell
whether a window is there. A run whose vocabulary also holds Visual Genome's names must never
make a COCO image answer the absence (or a count, or "which image has no ...") of a name outside
its categories. This script makes COCO-shaped scenes (`_scenes.coco_shaped_instances`, converted
with `--from coco`), puts them beside as many Visual Genome-shaped ones in one file, runs every
generator over it as a shard does (`_runner.run_scenes`'s loop) and counts:

- `coco_scenes_asked`: COCO scenes that a sample asks about a name outside COCO's categories
  (a `filter_name` of such a name over one of its images: the answer takes its absence);
- `samples_asking`: those samples;
- `set_samples_unknown`: samples whose answer is a set of names (`names_in`) over a group that
  mixes a COCO image with an open-vocabulary one, where the COCO image leaves the answer open:
  a name outside COCO's categories that every other image has ("Which kinds of objects appear in
  every image?": COCO's image may show it unannotated) or in the answer ("... in Image 1 and in
  none of the others?");
- `set_options_open`: such samples with a wrong option that the COCO image leaves possibly right
  (a name outside the categories added to the answer's set);
- `name_options_open`: samples over a COCO image whose answer is an object's name ("What object
  is at the point ...?", "the object in the box ...": "a car") and whose options name something
  outside COCO's categories that the run knows ("window": COCO cannot say it is not the one);
- `every_object_asked`: samples over a COCO image whose answer takes its annotated objects for
  every object it shows: an op over all of its objects unfiltered ("What is the leftmost object
  in the image?": `extreme`, `count`, `names_in` of a `scene` node) or a caption giving a total
  ("The image shows five objects: ..."). COCO annotates its 80 categories only;
- `group_captions_open`: group descriptions (`describe_images`) of a group holding a COCO image
  and a name outside COCO's categories: "Only Image 2 contains a window." says Image 1 has none.

It also prints the sample count and digest of the COCO-only file (pure COCO runs must not
change). Usage: `python benchmarks/category_sets.py [--coco 300] [--vg 300] [--cache DIR]`.

Before helper-183's change (ca7e4e0; load ~6 on 2 cores, one run each): COCO only 12,642
samples, d57aeb63b36806e9; mixed: 300 of 300 COCO scenes asked, 2,736 samples asking, 515 set
answers left open, 183 set questions with a wrong option that may be right. After: the same
COCO-only samples; mixed 0, 0, 0 and 0 (32,161 samples, was 32,218).

Wrong options naming objects (helper-189; load ~3, one run each): on HEAD 74bce5b mixed
`name_options_open` 523 (segmentation.point_object 296, spatial.extreme 164, region.describe
63): "Name the object located at [...]: tv, shirt, name11966, man". After (drawn from the set's
names on a COCO scene: `vocabulary_draws.option_names`) 0; mixed 32,161 samples still, digest
ecc476099c5935fe -> 5c6c7e0efaaf561a (those samples' options); COCO only 12,642 d57aeb63b36806e9.

Questions over every object of a COCO image (helper-189, after the above; one run each):
`every_object_asked` COCO only 1,773 (common_objects 600, only_in 600, spatial.extreme 332,
caption totals 241), mixed 1,718 -> 0 and 0: spatial.extreme asks no "What is the leftmost
object?" of it (object.extreme_among asks "Among the cars and people, ..."), its caption gives no
total, and common_objects / only_in list the names they ask of a group holding it. Samples: COCO
only 12,642 -> 12,286 (cfdb8040a6112ff7: extreme -332, only_in -18, common_objects -6; every
other task's samples the same), mixed 32,161 -> 31,870 (c96f9ab9a3d9f71b).

Group descriptions (multi.compare_caption, helper-189, after the above): `group_captions_open`
mixed 151 -> 0 (a group holding a COCO image holds only its categories; its partners are of
them); mixed 31,870 -> 31,866 samples (8619907e36bc3621); COCO only unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _scenes import COCO_NAMES, coco_shaped_instances, vg_shaped_scenes  # noqa: E402

_COCO = frozenset(COCO_NAMES)


def coco_scenes(cache: Path, n: int) -> Path:
    """COCO-shaped instances of n images converted to veriscene JSONL (made again on every call:
    the reader's output is what is measured)."""
    from veriscene.io.convert import convert

    out = cache / f"coco-shaped-{n}-0-scenes" / "scenes.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    convert(coco_shaped_instances(cache, n), out, "coco")
    return out


def mixed(cache: Path, coco: Path, vg: int) -> Path:
    """The COCO scenes followed by the first `vg` Visual Genome-shaped ones, in one file."""
    path = coco.parent / f"mixed-vg{vg}.jsonl"
    with open(vg_shaped_scenes(cache, vg), "rb") as fh:  # (the first scenes of any larger such file)
        vg_lines = [line for line in fh if line.strip()][:vg]
    path.write_bytes(coco.read_bytes() + b"".join(vg_lines))
    return path


def _images(program: list[dict[str, Any]]) -> list[int | None]:
    """Per node, the image its objects come from (None: not objects of one image)."""
    found: list[int | None] = []
    for node in program:
        if node["op"] in ("scene", "describe_scene"):
            found.append(int(node["args"][0]))
        elif node.get("inputs") and node["op"].startswith(("filter", "relate", "union", "intersect", "subtract")):
            found.append(found[node["inputs"][0]])
        else:
            found.append(None)
    return found


def _set_open(program: list[dict[str, Any]], answer: Any, ids: list[str], closed: dict[str, bool],
              names_of: dict[str, frozenset[str]]) -> bool:
    """Whether a names-set answer over a group mixing COCO and open-vocabulary images takes a
    name outside COCO's categories for absent from a COCO image (see the module docstring)."""
    listed = next((set(n["args"][0]) for n in program if n["op"] == "names_among"), None)
    if any(n["op"] == "set_difference" for n in program):  # only in one image: the answer's names
        return any(w not in _COCO for w in answer)
    open_names = [names_of[i] for i in ids if not closed[i]]
    shared = frozenset.intersection(*open_names) - _COCO
    return bool(shared if listed is None else shared & listed)


def _option_open(program: list[dict[str, Any]], answer: Any, choices: list[str] | None, ids: list[str],
                 closed: dict[str, bool], names_of: dict[str, frozenset[str]]) -> bool:
    """Whether a wrong names-set option may be right: a name outside COCO's categories that every
    open image has ("in every image"), or that no image but a COCO Image k has ("only in")."""
    ops = [node["op"] for node in program]
    k = int(program[0]["args"][0])  # the first image read: Image k of "only in"
    for option in choices or ():
        for w in option.split(", "):
            if w in _COCO or w in answer or w == "none":
                continue
            if "set_difference" in ops:
                if closed[ids[k]] and not any(w in names_of[i] for j, i in enumerate(ids) if j != k):
                    return True
            elif all(w in names_of[i] for i in ids if not closed[i]):
                return True
    return False


def _name_options_open(answer: Any, choices: list[str] | None, names: frozenset[str]) -> bool:
    """Whether a question answered by an object's name (`names`: the run's; "a car" read as "car")
    offers a name outside COCO's categories as wrong."""
    if not choices or not isinstance(answer, str) or _bare(answer) not in names:
        return False
    return any(_bare(c) in names and _bare(c) not in _COCO for c in choices if c != answer)


def _bare(phrase: str) -> str:  # "a car" -> "car", "an apple" -> "apple"
    return phrase.split(" ", 1)[1] if phrase.startswith(("a ", "an ")) else phrase


# ops that read every object of the set they are given (over a `scene` node: every object shown)
_OVER_ALL = frozenset({"extreme", "count", "names_in", "exists"})
_TOTAL = re.compile(r"^The image shows \w+ objects?:")


def _every_object(program: list[dict[str, Any]], answer: Any, ids: list[str], closed: dict[str, bool]) -> bool:
    """Whether the sample takes a COCO image's annotated objects for all it shows (see the module
    docstring)."""
    for node in program:
        if node["op"] == "describe_scene" and closed[ids[int(node["args"][0])]] and _TOTAL.match(str(answer)):
            return True
        if node["op"] in _OVER_ALL and node.get("inputs"):
            source = program[node["inputs"][0]]
            if source["op"] == "scene" and closed[ids[int(source["args"][0])]]:
                return True
    return False


def run(path: Path) -> dict[str, Any]:
    import orjson

    from veriscene.engine import collector
    from veriscene.engine.pool import ScenePool
    from veriscene.engine.scan import scan_scenes
    from veriscene.generators import SceneRunner, select_generators
    from veriscene.scene.jsonl import scene_from_dict

    scan = scan_scenes(path)
    runner = SceneRunner([cls() for cls in select_generators("*")], scan.vocab, seed=0, pool=ScenePool(scan.pool))
    with open(path, "rb") as fh:
        scenes = [scene_from_dict(orjson.loads(line)) for line in fh if line.strip()]
    # image id -> whether the scene is of a category set; its names
    closed = {s.image_id: s.meta.get("category_set") is not None for s in scenes}
    names_of = {s.image_id: frozenset(s.names) for s in scenes}
    run_names = frozenset(scan.vocab.names)
    asked: set[str] = set()
    by_task: dict[str, int] = {}
    name_tasks: dict[str, int] = {}
    every_tasks: dict[str, int] = {}
    open_captions = 0
    samples = asking = mixed_sets = open_options = 0
    digest = hashlib.blake2b(digest_size=8)
    start = time.process_time()
    with collector.paused():
        for scene in scenes:
            for sample in runner.run(scene):
                samples += 1
                digest.update(sample.id.encode())
                ids = [im["id"] for im in sample.images]
                program = sample.program
                images = _images(program)
                hit = False
                for node, image in zip(program, images):
                    if node["op"] == "filter_name" and image is not None and closed.get(ids[image]) \
                            and node["args"][0] not in _COCO:
                        asked.add(ids[image])
                        hit = True
                if hit:
                    asking += 1
                    by_task[sample.task] = by_task.get(sample.task, 0) + 1
                if any(n["op"] in ("names_in", "names_among") for n in program) and len({closed[i] for i in ids}) > 1:
                    mixed_sets += _set_open(program, sample.answer, ids, closed, names_of)
                    open_options += _option_open(program, sample.answer, sample.choices, ids, closed, names_of)
                if any(closed[i] for i in ids):
                    if _name_options_open(sample.answer, sample.choices, run_names):
                        name_tasks[sample.task] = name_tasks.get(sample.task, 0) + 1
                    if _every_object(program, sample.answer, ids, closed):
                        every_tasks[sample.task] = every_tasks.get(sample.task, 0) + 1
                    if program[-1]["op"] == "describe_images":
                        open_captions += any(not names_of[i] <= _COCO for i in ids)
    return {"samples": samples, "digest": digest.hexdigest(), "coco_scenes_asked": len(asked),
            "samples_asking": asking, "set_samples_unknown": mixed_sets,
            "set_options_open": open_options, "by_task": dict(sorted(by_task.items())),
            "name_options_open": sum(name_tasks.values()), "name_options_by_task": dict(sorted(name_tasks.items())),
            "every_object_asked": sum(every_tasks.values()), "every_object_by_task": dict(sorted(every_tasks.items())),
            "group_captions_open": open_captions,
            "cpu_s": round(time.process_time() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coco", type=int, default=300, help="COCO-shaped images")
    parser.add_argument("--vg", type=int, default=300, help="Visual Genome-shaped scenes beside them")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench",
                        help="folder of the made inputs")
    args = parser.parse_args()
    cache = args.cache
    coco = coco_scenes(cache, args.coco)
    print("coco only:", run(coco))
    print("mixed:", run(mixed(cache, coco, args.vg)))


if __name__ == "__main__":
    main()
