"""How often questions on Visual Genome data count, or single out, what a group box also holds.

    python benchmarks/group_names.py                              # 300 scenes, this checkout
    python benchmarks/group_names.py --src ../old-checkout --src .

Visual Genome draws one box around several things and names it freely: "trees", "group of
people", "bunch of bananas", "crowd". Beside such a box, "How many trees?" (counting the boxes
named "tree") and "the tree" are wrong: the group holds trees too. This script writes `--scenes`
Visual Genome-shaped scene graphs (`_scenes.vg_shaped_scenes` with `--groups`: that share of the
objects of a name of `_scenes.GROUP_FORMS` renamed to one of its group names) in Visual Genome's
own files (`scene_graphs.json`, `image_data.json`), runs `veriscene generate --from
visual_genome` on them with every generator in a fresh process per source tree (`--src`, whose
`src/` is imported; with `--native`, on the veriscene JSONL itself, whose names no reader reads),
re-runs each sample's program and prints, per source tree:

- samples made;
- counts: `count` nodes (object.count, counting.compare, multi-image totals, ...) of a set whose
  name has a group box in its image, or holding a group box ("How many trees?" beside "group of
  trees", "How many crowds?");
- referents: `unique` and `extreme` nodes (the one object a question names: "the tree", "the
  leftmost tree") giving an object whose name has a group box in its image, or a group box.

The judge reads which raw names are groups from `GROUP_FORMS`, not from veriscene's word tables.

Measured (300 scenes, seed 0, --groups 0.3: 630 group boxes), before the readers took collectives
for groups of their members (commit c4174a9) and after: 8,249 -> 8,194 samples, counts
115 -> 0 (object.count 44, multi.count_total 21, counting.compare 19, multi.count_compare 17,
multi.most_objects 14: "Count the men" beside "group of men", "How many crowds?"), referents
116 -> 0 ("the man" beside "group of men", "the crowd", "Among the men, ... the leftmost").
With --native (no reader: names as written, a name plural in form counted in groups, "How many
groups of trees?"; "row of windows" a name of its own): 19,509 samples, counts 650, referents
1,200; scene files written by hand with Visual Genome's raw names are not read as groups.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _scenes import GROUP_FORMS, vg_shaped_scenes  # benchmarks/_scenes.py

# raw group name -> the name of what it holds ("group of people" -> "person")
MEMBER = {form: name for name, forms in GROUP_FORMS.items() for form in forms}

_CHILD = r"""
import json, sys
from collections import Counter
import orjson
from veriscene import generate
from veriscene.io.readers import read
from veriscene.program import ExecutionContext, run_nodes

data, out, show, native = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "native"
# image id -> (names its group boxes hold, {group box (x0, y0, x1, y1): the name it holds})
groups_of = {image: (set(members), {tuple(b[:4]): b[4] for b in boxes})
             for image, (members, boxes) in json.loads(open(f"{data}/judge.json").read()).items()}
source, fmt = (f"{data}/native.jsonl", "veriscene_jsonl") if native else (f"{data}/scene_graphs.json", "visual_genome")
summary = generate(source, out, seed=0) if native else generate(source, out, from_format=fmt, seed=0)
scenes = {s.image_id: s for s in read(source, fmt)}
tally = Counter()
for line in open(f"{out}/samples.jsonl", "rb"):
    s = orjson.loads(line)
    images = [scenes[i["id"]] for i in s["images"]]
    program = s["program"]
    try:
        values = run_nodes(program, ExecutionContext(images))
    except Exception:
        tally["not re-run"] += 1
        continue
    tally["samples"] += 1

    def raw(image, index):  # the name a group box holds, None for any other object
        box = tuple(round(float(v)) for v in images[image].boxes[index])
        return groups_of[images[image].image_id][1].get(box)

    def grouped(image, name):  # whether the image has a group box of the name
        return name in groups_of[images[image].image_id][0]

    def names_above(k):  # filter_name args among the nodes node k is computed from
        found, todo = set(), [k]
        while todo:
            node = program[todo.pop()]
            if node["op"] == "filter_name":
                found.add(node["args"][0])
            todo.extend(node["inputs"])
        return found

    bad_count = bad_referent = False
    for k, node in enumerate(program):
        if node["op"] == "count":
            objs = values[node["inputs"][0]]
            names = names_above(k) | {images[objs.image].names[i] for i in objs.idx}
            if any(grouped(objs.image, n) for n in names) or any(raw(objs.image, i) for i in objs.idx):
                bad_count = True
        elif node["op"] in ("unique", "extreme"):
            obj = values[k]
            if grouped(obj.image, images[obj.image].names[obj.index]) or raw(obj.image, obj.index):
                bad_referent = True
    if (bad_count or bad_referent) and tally["shown"] < show:
        tally["shown"] += 1
        print(f"[{s['task']}] {s['question'].splitlines()[0]} -> {s['answer']}")
    tally[s["task"] + " counts"] += bad_count
    tally["counts"] += bad_count
    tally["referents"] += bad_referent
tally.pop("shown", None)
print(json.dumps({"made": summary.samples, **tally}))
"""


def write_visual_genome(scenes: Path, folder: Path) -> int:
    """`scenes` (veriscene JSONL) as Visual Genome's `scene_graphs.json` and `image_data.json` in
    `folder`, boxes rounded to whole pixels, and `judge.json`: per image, the names group boxes
    hold and each group box's member name. The number of group boxes written."""
    graphs, sizes, judge, boxes_of_groups = [], [], {}, 0
    for number, line in enumerate(open(scenes, "rb")):
        record = json.loads(line)
        objects, members, group_boxes = [], set(), []
        for k, o in enumerate(record["objects"]):
            x0, y0, x1, y1 = (round(v) for v in o["box"])
            objects.append({"object_id": k + 1, "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0,
                            "names": [o["name"]], "attributes": o["attributes"]})
            member = MEMBER.get(o["name"])
            if member is not None:
                members.add(member)
                group_boxes.append([x0, y0, x1, y1, member])
        boxes_of_groups += len(group_boxes)
        relations = [{"subject_id": a + 1, "predicate": p, "object_id": b + 1} for a, p, b in record["relations"]]
        graphs.append({"image_id": number + 1, "objects": objects, "relationships": relations})
        sizes.append({"image_id": number + 1, "width": record["width"], "height": record["height"]})
        judge[str(number + 1)] = judge[record["image_id"]] = [sorted(members), group_boxes]
    (folder / "scene_graphs.json").write_text(json.dumps(graphs))
    (folder / "image_data.json").write_text(json.dumps(sizes))
    (folder / "judge.json").write_text(json.dumps(judge))
    (folder / "native.jsonl").write_bytes(scenes.read_bytes())
    return boxes_of_groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0, help="seed of the scene graphs")
    parser.add_argument("--groups", type=float, default=0.3, help="share of a group-able name's objects renamed")
    parser.add_argument("--src", type=Path, action="append", help="a checkout to measure (repeatable; default: this one)")
    parser.add_argument("--native", action="store_true",
                        help="generate from the veriscene JSONL as written, names unread (no reader)")
    parser.add_argument("--show", type=int, default=0, help="print this many questions found, per source tree")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    sources = args.src or [Path(__file__).resolve().parent.parent]
    scenes = vg_shaped_scenes(args.cache, args.scenes, args.seed, groups=args.groups)
    with tempfile.TemporaryDirectory(prefix="group-names-") as tmp:
        data = Path(tmp)
        groups = write_visual_genome(scenes, data)
        print(f"{args.scenes} Visual Genome-shaped images, {groups} group boxes; every generator; "
              "one run per source tree")
        print(f"{'source':<30} {'samples':>8} {'counts':>7} {'referents':>9}  counts by task")
        for k, src in enumerate(sources):
            env = dict(os.environ, PYTHONPATH=str(Path(src).resolve() / "src"))
            done = subprocess.run([sys.executable, "-c", _CHILD, str(data), str(data / f"run{k}"), str(args.show),
                                   "native" if args.native else "visual_genome"],
                                  env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"{src} failed:\n{done.stderr}")
            *shown, last = done.stdout.strip().splitlines()
            print("\n".join(shown)) if shown else None
            r = json.loads(last)
            by_task = ", ".join(f"{key.removesuffix(' counts')} {v}" for key, v in sorted(r.items())
                                if key.endswith(" counts") and v)
            print(f"{str(src):<30} {r['made']:>8} {r.get('counts', 0):>7} {r.get('referents', 0):>9}  {by_task}")
            if r.get("not re-run"):
                print(f"  {r['not re-run']} samples whose program did not re-run")


if __name__ == "__main__":
    main()
