"""veriscene and ProVision (the reference system) side by side, on the same annotation files.

    python benchmarks/provision_side_by_side.py --data vg --scenes 2000 \\
        --provision-src ~/src/ProVision --provision-python ~/provision-venv/bin/python
    python benchmarks/provision_side_by_side.py --data demo --scenes 200 --provision-src ... --hash-seeds
    veriscene convert --from gqa val_sceneGraphs.json gqa.jsonl      # real annotations, yours
    python benchmarks/provision_side_by_side.py --scene-graphs gqa.jsonl --scenes 2000 --provision-src ...

ProVision (github.com/JieyuZ2/ProVision) is not on PyPI and none of its code is part of veriscene:
bring a checkout (`--provision-src`) and a Python environment holding what its generators import
(numpy, scipy, inflect, networkx, tqdm, pillow; `--provision-python`). Without `--provision-src`
only veriscene runs.

Both tools read one ProVision annotation folder, written here from veriscene scene graphs
(`_provision.write_provision_folder`: stage JSON files, masks as pickled scipy sparse matrices,
uint8 depth maps): `--data vg` makes Visual Genome-shaped scene graphs (`_scenes.vg_shaped_scenes`:
about 35 objects, attributes and relations, no masks or depth), `--data demo` demo scene graphs
with masks and depth (3-8 objects), and `--scene-graphs FILE` the first `--scenes` scene graphs
of any veriscene JSONL file, for example real Visual Genome, GQA or COCO annotations converted
with `veriscene convert` (`--scenes 0`: all of them; scene graphs without objects are left out,
as ProVision's mask generators fail on them). veriscene reads the folder with its `provision` reader
(`from_format="provision"`, `allow_pickle=True`, `sparse=False`: the folder holds complete scene
graphs) and runs all its generators with its defaults
(one question-answer and one multiple-choice sample per candidate picked, 1 worker), and again
with question-answer samples only ("vs qa-only", as ProVision's notebooks template). ProVision
runs the single-image flow of its notebooks (`_provision_driver.py`: every single-image
generator, `n_sample_per_generator=1`, QA templates), skipping only generators whose annotation
stage is missing (it would crash on them).

Each tool runs in a fresh process, on one core, one at a time; the time is the wall time of the
call, reading the annotations included and Python start-up and imports excluded. Columns: tool,
images, samples, samples per image, seconds, samples/s, peak RSS (MiB), and the output digest.
`--hash-seeds` runs each tool again under another PYTHONHASHSEED and says whether the output is
the same bytes (ProVision's order of set iteration, hence its text, changes with it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _provision import write_provision_folder
from _scenes import base_scenes, file_scenes, tiled, vg_shaped_scenes
from veriscene.engine.generate import count_lines

HERE = Path(__file__).resolve().parent

_VERISCENE = """
import json, resource, sys, time
from veriscene import generate
folder, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
# the folders are written from complete scene graphs: read as complete (the reader's default since
# 0.23.0 is sparse, for models' outputs), as the rows recorded before were
summary = generate(folder, out, mode=mode, from_format="provision",
                   reader_options={"allow_pickle": True, "sparse": False})
seconds = time.perf_counter() - t
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"images": summary.scenes, "samples": summary.samples, "seconds": seconds, "peak_mib": peak / 1024}))
"""


def first_scenes(path: Path, n: int, cache: Path) -> Path:
    """A copy of the first n scene graphs of a file (all for n = 0) that have objects, named by
    their content, so that its ProVision folder is made once and never reused for other scenes.
    (ProVision's mask generators fail on an image without masks, and they run only when every
    image has its mask file: both tools get the images with objects.)"""
    name, lines = file_scenes(path, n)
    kept = [line for line in lines if json.loads(line).get("objects")]
    if len(kept) < len(lines):
        print(f"left out {len(lines) - len(kept)} of {len(lines)} scene graphs: no objects")
    lines = kept
    copy = cache / f"{name}-{len(lines)}.jsonl"
    if not copy.exists():
        cache.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(b"".join(line + b"\n" for line in lines))
    return copy


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def run_veriscene(folder: Path, work: Path, hash_seed: str, mode: str) -> dict:
    out = work / f"veriscene-{hash_seed}"
    done = subprocess.run([sys.executable, "-c", _VERISCENE, str(folder), str(out), mode], capture_output=True, text=True,
                          env={**os.environ, "PYTHONHASHSEED": hash_seed}, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    result["digest"] = _digest(out / "samples.jsonl")
    return result


def run_provision(folder: Path, work: Path, hash_seed: str, src: Path, python: str) -> dict:
    out = work / f"provision-{hash_seed}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([python, "-W", "ignore", str(HERE / "_provision_driver.py"), "--provision-src", str(src),
                           "--annotations", str(folder), "--single", "--out", str(out)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
    if done.returncode != 0:
        sys.exit(f"ProVision's run failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout)["single"]
    slowest = sorted(report["per_generator_seconds_metadata_plus_generate"].items(), key=lambda kv: -kv[1])[:3]
    return {"images": report["images"], "samples": report["samples"], "seconds": report["seconds"],
            "peak_mib": max(report["peak_rss_mib"], report["peak_rss_children_mib"]), "digest": _digest(out),
            "slowest": slowest, "skipped": sorted(report["skipped_generators"])}


def _row(tool: str, r: dict) -> str:
    rate = r["samples"] / r["seconds"]
    return (f"{tool:>10} {r['images']:>6} {r['samples']:>8} {r['samples'] / r['images']:>9.1f} {r['seconds']:>9.2f} "
            f"{rate:>10.1f} {r['peak_mib']:>9.0f}  {r['digest']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=("vg", "demo"), default="vg")
    parser.add_argument("--scene-graphs", type=Path, help="a veriscene JSONL file to use instead of --data")
    parser.add_argument("--scenes", type=int, default=200, help="scene graphs (with --scene-graphs: the first N, 0: all)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each tool (median time printed)")
    parser.add_argument("--provision-src", type=Path, help="a ProVision checkout (else only veriscene runs)")
    parser.add_argument("--provision-python", default=sys.executable, help="the Python of ProVision's environment")
    parser.add_argument("--hash-seeds", action="store_true", help="run again under another PYTHONHASHSEED and compare")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()

    if args.scene_graphs is not None:
        scenes = first_scenes(args.scene_graphs, args.scenes, args.cache)
        source = str(args.scene_graphs)
    elif args.data == "vg":
        scenes = vg_shaped_scenes(args.cache, args.scenes)
        source = args.data
    else:
        scenes = tiled(args.cache, base_scenes(args.cache, args.scenes), args.scenes)
        source = args.data
    folder = write_provision_folder(scenes, args.cache / f"provision-{scenes.stem}")
    print(f"input: {folder} ({source}, {count_lines(scenes)} scene graphs)")
    tools = {"veriscene": lambda work, seed: run_veriscene(folder, work, seed, "both"),
             "vs qa-only": lambda work, seed: run_veriscene(folder, work, seed, "qa")}
    if args.provision_src is not None:
        tools["ProVision"] = lambda work, seed: run_provision(folder, work, seed, args.provision_src,
                                                              args.provision_python)
    print(f"{'tool':>10} {'images':>6} {'samples':>8} {'per image':>9} {'seconds':>9} {'samples/s':>10} "
          f"{'peak MiB':>9}  digest")
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for tool, run in tools.items():
            runs = [run(Path(tmp) / f"{tool}-{i}", "0") for i in range(args.repeats)]
            result = dict(runs[-1], seconds=statistics.median(r["seconds"] for r in runs))
            rates[tool] = result["samples"] / result["seconds"]
            print(_row(tool, result))
            if "slowest" in result:
                print(f"{'':>10} slowest generators (s): " + ", ".join(f"{n} {s:.1f}" for n, s in result["slowest"]))
                if result["skipped"]:
                    print(f"{'':>10} skipped (annotation stage missing): {', '.join(result['skipped'])}")
            if args.hash_seeds:
                again = run(Path(tmp) / f"{tool}-again", "1")
                same = "the same bytes" if again["digest"] == result["digest"] else "DIFFERENT output"
                print(f"{'':>10} PYTHONHASHSEED 1 instead of 0: {same} ({again['samples']} samples, {again['digest']})")
    if "ProVision" in rates:
        print(f"samples per second, veriscene / ProVision: {rates['veriscene'] / rates['ProVision']:.0f}x "
              f"(qa only: {rates['vs qa-only'] / rates['ProVision']:.0f}x)")


if __name__ == "__main__":
    main()
