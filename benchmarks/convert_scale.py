"""Reading a large annotation file: seconds and peak memory of `veriscene convert` by input size.

    python benchmarks/convert_scale.py                                # VG, 20k and 100k images
    python benchmarks/convert_scale.py --format gqa --images 20000 75000
    python benchmarks/convert_scale.py --format coco --images 20000 118000
    python benchmarks/convert_scale.py --format oi --images 100000 1000000
    python benchmarks/convert_scale.py --src ../old-checkout --src .   # two releases side by side
    python benchmarks/convert_scale.py --compression none gzip zstd    # the file read compressed
    python benchmarks/convert_scale.py --images 5000 -r merge_duplicates=false --repeats 2

Visual Genome ships its scene graphs as one JSON list (`scene_graphs.json`, 108,077 images,
0.7 GB), GQA as one JSON object (`train_sceneGraphs.json`, 74,942 images), COCO as one object
whose "annotations" list holds every object (train2017: 118,287 images, 860,001 annotations,
0.45 GB), Open Images as CSV files sorted by ImageID (train: 1.7M images, 14.6M boxes; with the
human-verified labels and the relationships, read in step). This benchmark writes such a file of `--images` images shaped like the real ones (35
objects of 5,000 names and 21 relations per image for VG; 16 objects with 8 relations each for
GQA, the density of GQA's train set; 7 objects with a 24-point polygon each for COCO; 8 boxes, 10 verified labels of which 4 absent and
2 relationships per image for Open Images, the box file as input), runs `veriscene convert` on it in a fresh process per source tree, and prints the
file size, seconds, scenes/s, the peak RSS of the process (MiB) and a hash of the output (the
same for every source tree that reads the file the same way, and for the file read compressed).
`--compression` reads the same file compressed as well (gzip, zstd, bz2, xz, or a zip archive of
it: every file of the input, so for Open Images the label and relationship files too), or
(`zip-set`) every file of the input in one zip archive beside a README, each named past the archive
(`set.zip/annotations/x.json`), as annotation sets are downloaded. Files are cached in `--cache`.
`-r KEY=VALUE` passes a reader option to every run (e.g. `merge_duplicates=false`, to time
Visual Genome's merge of objects annotated twice by its absence); `--repeats` runs each one again.
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
import zipfile
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


_OI_LABELS = [f"/m/{i:05x}" for i in range(600)]


def _write_open_images(boxes: Path, rng: random.Random, images: int) -> None:
    """Box, label and relationship CSVs of `images` images, sorted by ImageID (the label and
    relationship files sit beside the box file, named like it)."""
    with open(boxes, "w") as fb, open(boxes.with_suffix(".labels"), "w") as fl, \
            open(boxes.with_suffix(".vrd"), "w") as fr:
        fb.write("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,"
                 "IsDepiction,IsInside\n")
        fl.write("ImageID,Source,LabelName,Confidence\n")
        fr.write("ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,RelationshipLabel\n")
        for k in range(images):
            image_id = f"{k:016x}"
            drawn = []
            for _ in range(8):
                label, x0, y0 = rng.choice(_OI_LABELS), rng.uniform(0, 0.8), rng.uniform(0, 0.8)
                box = (x0, x0 + rng.uniform(0.02, 0.2), y0, y0 + rng.uniform(0.02, 0.2))
                drawn.append((label, box))
                fb.write(f"{image_id},xclick,{label},1,{box[0]:.6f},{box[1]:.6f},{box[2]:.6f},{box[3]:.6f},"
                         f"0,0,{int(rng.random() < 0.05)},0,0\n")
            present = sorted({label for label, _ in drawn})
            for label in present[:6]:
                fl.write(f"{image_id},verification,{label},1\n")
            for label in rng.sample(_OI_LABELS, 4):
                if label not in present:
                    fl.write(f"{image_id},verification,{label},0\n")
            for (l1, b1), (l2, b2) in (drawn[0:2], drawn[2:4]):
                fr.write(f"{image_id},{l1},{l2},{b1[0]:.6f},{b1[1]:.6f},{b1[2]:.6f},{b1[3]:.6f},"
                         f"{b2[0]:.6f},{b2[1]:.6f},{b2[2]:.6f},{b2[3]:.6f},{rng.choice(_PREDICATES)}\n")


def annotation_file(cache: Path, fmt: str, images: int) -> Path:
    """A synthetic VG `scene_graphs.json`, GQA scene-graph file, COCO instances file or Open
    Images box file (with its label and relationship files) of `images` images (cached)."""
    path = cache / f"convert-{fmt}-{images}.{'csv' if fmt == 'oi' else 'json'}"
    if path.exists():
        return path
    if fmt == "oi":
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.csv")
        _write_open_images(tmp, random.Random(0), images)
        for suffix in (".labels", ".vrd"):
            os.replace(tmp.with_suffix(suffix), path.with_suffix(suffix))
        os.replace(tmp, path)
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


_SUFFIXES = {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz", "zip": ".zip"}


def _inputs(path: Path, fmt: str) -> list[Path]:
    """The file and, for Open Images, its label and relationship files."""
    return [path, path.with_suffix(".labels"), path.with_suffix(".vrd")] if fmt == "oi" else [path]


def archived(files: list[Path]) -> list[Path]:
    """The files in one zip archive (cached) under `annotations/`, beside a README, as paths that
    reach into it."""
    archive = files[0].with_name(files[0].name + ".set.zip")
    if not archive.exists():
        tmp = archive.with_name(archive.name + ".tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("README.txt", "the annotation files are in annotations/\n")
            for p in files:
                zf.write(p, f"annotations/{p.name}")
        os.replace(tmp, archive)
    return [archive / "annotations" / p.name for p in files]


def compressed(path: Path, kind: str) -> Path:
    """`path` compressed with `kind` beside it (cached), as veriscene writes such files."""
    from veriscene.scene.compressed import create_scene_file

    target = path.with_name(path.name + _SUFFIXES[kind])
    if not target.exists():
        tmp = target.with_name(target.name + ".tmp")
        if kind == "zip":  # an archive of the one file, as Visual Genome ships them
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(path, path.name)
        else:
            with open(path, "rb") as src, create_scene_file(tmp, kind) as dst:
                while block := src.read(1 << 22):
                    dst.write(block)
        os.replace(tmp, target)
    return target


def _convert(src: Path, files: list[Path], fmt: str, out: Path, options: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of `veriscene convert` in a fresh process over `src/src`."""
    env = dict(os.environ, PYTHONPATH=str(src / "src"))
    reader = {"vg": "visual_genome", "gqa": "gqa", "coco": "coco", "oi": "open_images"}[fmt]
    cmd = [sys.executable, "-m", "veriscene", "convert", str(files[0]), "--from", reader,
           "--image-size", "800x600", "--out", str(out)]
    if fmt == "oi":
        cmd += ["-r", f"labels={files[1]}", "-r", f"relationships={files[2]}"]
    for option in options:
        cmd += ["-r", option]
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
    parser.add_argument("--format", choices=("vg", "gqa", "coco", "oi"), default="vg")
    parser.add_argument("--images", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--src", type=Path, action="append", help="source tree(s) to run (default: this one)")
    parser.add_argument("--compression", nargs="+", choices=("none", *_SUFFIXES, "zip-set"), default=["none"],
                        help="read the file as it is (none) and/or compressed with these")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    parser.add_argument("-r", "--reader-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a reader option for every run (repeatable), as `convert -r`")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each source tree and input")
    args = parser.parse_args()
    if args.reader_option:
        print(f"reader options: {' '.join(args.reader_option)}")
    sources = args.src or [Path(__file__).resolve().parents[1]]
    print(f"{'source':<28} {'images':>8} {'input':>7} {'file MB':>8} {'seconds':>8} {'scenes/s':>9} "
          f"{'peak MiB':>9}  output")
    for images in args.images:
        path = annotation_file(args.cache, args.format, images)
        for kind in args.compression:
            if kind == "zip-set":
                files = archived(_inputs(path, args.format))
                size = files[0].parents[1].stat().st_size  # the archive's
            else:
                files = [p if kind == "none" else compressed(p, kind) for p in _inputs(path, args.format)]
                size = sum(p.stat().st_size for p in files)
            for src in [s for _ in range(args.repeats) for s in sources]:  # alternated when repeated
                with tempfile.TemporaryDirectory() as tmp:
                    out = Path(tmp) / "scenes.jsonl"
                    seconds, peak = _convert(src, files, args.format, out, args.reader_option)
                    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:12]
                print(f"{str(src)[-28:]:<28} {images:>8} {kind:>7} {size / 1e6:>8.0f} {seconds:>8.1f} "
                      f"{images / seconds:>9.0f} {peak:>9.0f}  {digest}", flush=True)


if __name__ == "__main__":
    main()
