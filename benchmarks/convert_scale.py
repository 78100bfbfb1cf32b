"""Reading a large annotation file: seconds and peak memory of `veriscene convert` by input size.

    python benchmarks/convert_scale.py                                # VG, 20k and 100k images
    python benchmarks/convert_scale.py --format gqa --images 20000 75000
    python benchmarks/convert_scale.py --format coco --images 20000 118000
    python benchmarks/convert_scale.py --src ../old-checkout --src .   # two releases side by side

Visual Genome ships its scene graphs as one JSON list (`scene_graphs.json`, 108,077 images,
0.7 GB), GQA as one JSON object (`train_sceneGraphs.json`, 74,942 images), COCO as one object
whose "annotations" list holds every object (train2017: 118,287 images, 860,001 annotations,
0.45 GB). This benchmark writes such a file of `--images` images shaped like the real ones (35
objects of 5,000 names and 21 relations per image for VG; 16 objects with 8 relations each for
GQA, the density of GQA's train set; 7 objects with a 24-point polygon each for COCO), runs `veriscene convert` on it in a fresh process per source tree, and prints the
file size, seconds, scenes/s, the peak RSS of the process (MiB) and a hash of the output (the
same for every source tree that reads the file the same way). Files are cached in `--cache`.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import orjson

_NAMES = [f"name{i}" for i in range(5000)]
_ATTRIBUTES = [f"attr{i}" for i in range(2000)]
_PREDICATES = ["on", "has", "wearing", "of", "in", "near", "behind", "holding"]


def _vg_record(rng: random.Random, k: int, first_id: int) -> dict:
    objects = [{"object_id": first_id + j, "x": rng.randint(0, 700), "y": rng.randint(0, 500),
                "w": rng.randint(5, 99), "h": rng.randint(5, 99), "names": [rng.choice(_NAMES)],
                "synsets": ["thing.n.01"], "attributes": rng.sample(_ATTRIBUTES, rng.randint(0, 2))}
               for j in range(35)]
    relations = []
    for j in range(21):
        a, b = rng.sample(objects, 2)
        relations.append({"relationship_id": first_id + 35 + j, "predicate": rng.choice(_PREDICATES),
                          "subject_id": a["object_id"], "object_id": b["object_id"], "synsets": []})
    return {"image_id": k + 1, "objects": objects, "relationships": relations}


def _gqa_record(rng: random.Random) -> dict:
    ids = [str(rng.randint(1, 10**7)) for _ in range(16)]
    objects = {}
    for oid in ids:
        objects[oid] = {"name": rng.choice(_NAMES), "x": rng.randint(0, 700), "y": rng.randint(0, 500),
                        "w": rng.randint(5, 99), "h": rng.randint(5, 99),
                        "attributes": rng.sample(_ATTRIBUTES, rng.randint(0, 2)),
                        "relations": [{"name": rng.choice(_PREDICATES), "object": o}
                                      for o in rng.sample(ids, 8) if o != oid]}
    return {"width": 800, "height": 600, "objects": objects}


def _write_coco(fh, rng: random.Random, images: int) -> None:
    fh.write(b'{"info": {}, "licenses": [], "images": [')
    for k in range(images):
        fh.write((b"," if k else b"") + orjson.dumps({"id": k + 1, "file_name": f"{k + 1:012d}.jpg",
                                                      "width": 640, "height": 480}))
    fh.write(b'], "annotations": [')
    for k in range(images * 7):
        x, y, w, h = rng.uniform(0, 500), rng.uniform(0, 350), rng.uniform(10, 130), rng.uniform(10, 120)
        ring = [v for t in range(24) for v in (round(x + w / 2 * (1 + math.cos(t * math.pi / 12)), 2),
                                                round(y + h / 2 * (1 + math.sin(t * math.pi / 12)), 2))]
        fh.write((b"," if k else b"") + orjson.dumps({
            "id": k + 1, "image_id": k // 7 + 1, "category_id": rng.randint(1, 80), "iscrowd": 0, "area": w * h,
            "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)], "segmentation": [ring]}))
    fh.write(b'], "categories": ' + orjson.dumps([{"id": i, "name": f"cat{i}"} for i in range(1, 81)]) + b"}")


def annotation_file(cache: Path, fmt: str, images: int) -> Path:
    """A synthetic VG `scene_graphs.json`, GQA scene-graph file or COCO instances file of
    `images` images (cached)."""
    path = cache / f"convert-{fmt}-{images}.json"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        if fmt == "coco":
            _write_coco(fh, rng, images)
        else:
            fh.write(b"[" if fmt == "vg" else b"{")
            for k in range(images):
                sep = b"," if k else b""
                if fmt == "vg":
                    fh.write(sep + orjson.dumps(_vg_record(rng, k, 1 + 100 * k)))
                else:
                    fh.write(sep + orjson.dumps(str(1000000 + k)) + b":" + orjson.dumps(_gqa_record(rng)))
            fh.write(b"]" if fmt == "vg" else b"}")
    os.replace(tmp, path)
    return path


def _convert(src: Path, path: Path, fmt: str, out: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of `veriscene convert` in a fresh process over `src/src`."""
    env = dict(os.environ, PYTHONPATH=str(src / "src"))
    reader = {"vg": "visual_genome", "gqa": "gqa", "coco": "coco"}[fmt]
    cmd = [sys.executable, "-m", "veriscene", "convert", str(path), "--from", reader,
           "--image-size", "800x600", "--out", str(out)]
    script = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
              "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
              "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")
    done = subprocess.run([sys.executable, "-c", script, *cmd], env=env, capture_output=True, text=True, check=True)
    seconds, rss_kb, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"convert failed with exit code {code} ({src})")
    return float(seconds), int(rss_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=("vg", "gqa", "coco"), default="vg")
    parser.add_argument("--images", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--src", type=Path, action="append", help="source tree(s) to run (default: this one)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    sources = args.src or [Path(__file__).resolve().parents[1]]
    print(f"{'source':<28} {'images':>8} {'file MB':>8} {'seconds':>8} {'scenes/s':>9} {'peak MiB':>9}  output")
    for images in args.images:
        path = annotation_file(args.cache, args.format, images)
        for src in sources:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "scenes.jsonl"
                seconds, peak = _convert(src, path, args.format, out)
                digest = hashlib.sha256(out.read_bytes()).hexdigest()[:12]
            print(f"{str(src)[-28:]:<28} {images:>8} {path.stat().st_size / 1e6:>8.0f} {seconds:>8.1f} "
                  f"{images / seconds:>9.0f} {peak:>9.0f}  {digest}", flush=True)


if __name__ == "__main__":
    main()
