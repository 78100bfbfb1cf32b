"""How many samples state a relation a viewer may dispute: the program's readings against the
generators' visual ones (`veriscene.generators.visual`).

    python benchmarks/relation_readings.py                                   # demo-base-300
    python benchmarks/relation_readings.py /tmp/veriscene-bench/vg-shaped-1000-0.jsonl 400
    python benchmarks/relation_readings.py FILE 400 --sparse                 # relations recorded in part
    python benchmarks/relation_readings.py FILE 400 --show 5                  # print 5 samples of each finding

Every generator runs on the first N scenes (as `veriscene generate` does, seed 0); each sample's
program is run again node by node and each relation node is judged:

- "no, a viewer may read it": `has_relation` false where `GenerousReader.could_hold` (a direction
  shifted that way, boxes near, a depth order the image shows) reads it;
- "yes, not shown": `has_relation` true of a direction the boxes do not show clearly
  (`direction_shown`: merely shifted that way, or the other way);
- "named by a direction not shown": an object `relate` or `filter_relation` finds only through
  an annotated direction the boxes do not show clearly ("the circle to the left of the square"
  of a circle merely shifted left of it);
- "another may be read": `relate` / `filter_relation` leave out an object a viewer may read in
  the relation too (a second circle shifted left of the square: "the circle to the left of the
  square" is either, and "no image has a circle left of a square" disputable).

`--sparse` adds ``meta["sparse"] = ["relations"]`` to every scene (as the Visual Genome reader
does), where the program decides "no" from the boxes (`SceneIndex.could_hold`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))

FINDINGS = ("no, a viewer may read it", "yes, not shown", "named by a direction not shown", "another may be read")


def judge(program: list[dict[str, Any]], scenes: list[Any]) -> set[str]:
    """The findings (`FINDINGS`) of one program run on its scenes: none where every relation node
    reads as a viewer would."""
    from veriscene.generators.visual import GenerousReader, direction_shown
    from veriscene.program import ExecutionContext
    from veriscene.program.executor import run_nodes

    ctx = ExecutionContext(scenes)
    values = run_nodes(program, ctx)
    found: set[str] = set()
    # node -> the ops that take its value ("unique" of a set claims it has one object, "exists"
    # of an empty one that none holds)
    takers: dict[int, set[str]] = {}
    for node in program:
        for i in node.get("inputs", ()):
            takers.setdefault(i, set()).add(node["op"])
    for k, (node, value) in enumerate(zip(program, values)):
        op = node["op"]
        if op not in ("has_relation", "relate", "filter_relation"):
            continue
        inputs = [values[i] for i in node["inputs"]]
        p = node["args"][0]
        image = inputs[0].image
        index = ctx.index(image)
        reader = GenerousReader.of(index)
        if op == "has_relation":
            a, b = inputs[0].index, inputs[1].index
            if not value and reader.could_hold(a, p, b):
                found.add(FINDINGS[0])
            if value and not direction_shown(index, a, p, b):
                found.add(FINDINGS[1])
            continue
        side = node["args"][1]
        if op == "relate":
            anchors, pool = [inputs[0].index], range(index.n)
        else:
            anchors, pool = list(inputs[1].idx), inputs[0].idx
        held = set(value.idx)

        def pair(x: int, y: int) -> tuple[int, int]:  # (subject, object) of x related to anchor y
            return (y, x) if (op == "relate") == (side == "subject") else (x, y)

        relations = index.relation_set
        for x in held:
            annotated = [pair(x, y) for y in anchors if (*_triple(pair(x, y), p),) in relations]
            if annotated and not any(direction_shown(index, s, p, o) for s, o in annotated):
                found.add(FINDINGS[2])
        if not (len(held) == 1 and "unique" in takers.get(k, ())) and not (not held and "exists" in takers.get(k, ())):
            continue  # (what a set of several says holds of each; nothing is singled out or denied)
        for x in pool:
            if x not in held and any(x != y and reader.could_hold(*_triple(pair(x, y), p)) for y in anchors):
                found.add(FINDINGS[3])
                break
    return found


def _triple(pair: tuple[int, int], p: str) -> tuple[int, str, int]:
    return pair[0], p, pair[1]


def scan(path: Path, count: int, show: int = 0) -> tuple[Counter[str], Counter[tuple[str, str]], int, str]:
    """(samples per generator, (generator, finding) counts, samples, digest of their ids)."""
    import hashlib

    from veriscene.engine.pool import ScenePool
    from veriscene.engine.scan import scan_scenes
    from veriscene.generators import SceneRunner, select_generators
    from veriscene.scene.jsonl import scene_from_dict

    scan_result = scan_scenes(path)
    runner = SceneRunner([cls() for cls in select_generators("*")], scan_result.vocab, seed=0,
                         pool=ScenePool(scan_result.pool))
    with open(path, "rb") as fh:
        records = [orjson.loads(line) for line in fh if line.strip()]
    by_id = {r["image_id"]: r for r in records}
    made: dict[str, Any] = {}

    def scene(image_id: str) -> Any:
        if image_id not in made:
            made[image_id] = scene_from_dict(by_id[image_id])
        return made[image_id]

    per_task: Counter[str] = Counter()
    tally: Counter[tuple[str, str]] = Counter()
    shown: Counter[tuple[str, str]] = Counter()
    digest = hashlib.blake2b(digest_size=8)
    samples = 0
    for record in records[:count]:
        for sample in runner.run(scene_from_dict(record)):
            samples += 1
            digest.update(sample.id.encode())
            per_task[sample.task] += 1
            if not any(n["op"] in ("has_relation", "relate", "filter_relation") for n in sample.program):
                continue
            findings = judge(sample.program, [scene(im["id"]) for im in sample.images])
            for f in findings:
                tally[sample.task, f] += 1
                if shown[sample.task, f] < show:
                    shown[sample.task, f] += 1
                    print(f"[{sample.task}] {f}: {sample.images[0]['id']} {sample.question!r} -> {sample.answer!r}")
    return per_task, tally, samples, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", type=Path, help="scenes (.jsonl); default: demo-base-300")
    parser.add_argument("count", nargs="?", type=int, default=300)
    parser.add_argument("--sparse", action="store_true", help="mark relations as recorded in part")
    parser.add_argument("--show", type=int, default=0, help="print this many samples of each finding")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relation-readings-") as folder:
        path = args.path
        if path is None:
            from _scenes import base_scenes

            base = Path(tempfile.gettempdir()) / "veriscene-bench"
            base_scenes(base, 300)
            path = base / "demo-base-300.jsonl"
        if args.sparse:
            path = _sparse_copy(path, Path(folder) / "sparse.jsonl")
        per_task, tally, samples, digest = scan(path, args.count, args.show)
    print(f"{samples} samples, digest {digest}")
    tasks = sorted({t for t, _ in tally})
    print(f"{'generator':<28} {'samples':>8} " + " ".join(f"{f[:24]:>24}" for f in FINDINGS))
    for t in tasks:
        print(f"{t:<28} {per_task[t]:>8} " + " ".join(f"{tally[t, f]:>24}" for f in FINDINGS))
    total = Counter(f for (_, f), n in tally.items() for _ in range(n))
    print(f"{'all':<28} {samples:>8} " + " ".join(f"{total[f]:>24}" for f in FINDINGS))


def _sparse_copy(path: Path, out: Path) -> Path:
    """`path`'s scenes with ``meta["sparse"]`` listing relations."""
    with open(path, "rb") as src, open(out, "wb") as dst:
        for line in src:
            if line.strip():
                record = orjson.loads(line)
                meta = record.setdefault("meta", {})
                meta["sparse"] = sorted({*meta.get("sparse", ()), "relations"})
                dst.write(orjson.dumps(record) + b"\n")
    return out


if __name__ == "__main__":
    main()
