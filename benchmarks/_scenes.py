"""Scene files for the benchmarks: demo scene graphs (masks and depth), tiled to any size.

Synthesising a demo scene costs about 2 ms, so a base of distinct scenes (cached) is repeated to
the size wanted with fresh image ids (`demo-000123~7`): every line is a distinct scene record
that generation works on in full, at the per-scene cost of real demo scenes, and a 1M-scene file
takes about a minute to write instead of 40.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def base_scenes(cache: Path, n: int) -> list[bytes]:
    """The JSONL lines of n distinct demo scenes (seed 0), cached in `cache`."""
    path = cache / f"demo-base-{n}.jsonl"
    if not path.exists():
        from veriscene.demo.world import iter_scene_graphs
        from veriscene.scene import write_scenes

        print(f"making {n} base demo scene graphs (cached in {path}) ...", file=sys.stderr)
        cache.mkdir(parents=True, exist_ok=True)
        write_scenes(iter_scene_graphs(n, seed=0), path)
    return path.read_bytes().splitlines()


def file_scenes(path: Path, n: int) -> tuple[str, list[bytes]]:
    """The first n JSONL lines of a scene file (all of them for n = 0), and a name for files made
    from them: the file's stem and a hash of those lines (so a changed file is not mistaken for it)."""
    lines: list[bytes] = []
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                sys.exit(f"{path}, line {number}: not a JSON record ({exc})")
            if not isinstance(record, dict) or "image_id" not in record:
                sys.exit(f"{path}, line {number}: not a scene graph (no image_id); convert annotations with "
                         "`veriscene convert` first")
            lines.append(line.rstrip(b"\r\n"))
            if len(lines) == n:
                break
    digest = hashlib.sha256(b"\n".join(lines)).hexdigest()[:12]
    return f"{path.stem}-{digest}", lines


def tiled(cache: Path, base: list[bytes], size: int, name: str = "demo") -> Path:
    """A scene file of `size` lines: the base scenes repeated with unique image ids (cached; the
    file is named by `name`, the base's size and `size`)."""
    path = cache / f"{name}-tiled-{len(base)}-{size}.jsonl"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for i in range(size):
            line = base[i % len(base)]
            copy = i // len(base)
            if copy:
                record = json.loads(line)
                image_id = record["image_id"]
                renamed = line.replace(f'"image_id":"{image_id}"'.encode(), f'"image_id":"{image_id}~{copy}"'.encode(), 1)
                if renamed == line:  # not written compactly (or a numeric id): write the record anew
                    renamed = json.dumps({**record, "image_id": f"{image_id}~{copy}"}).encode()
                line = renamed
            fh.write(line + b"\n")
    tmp.rename(path)
    return path


# The most frequent object names of Visual Genome, roughly in order; rarer names are made up.
_COMMON_NAMES = (
    "man", "shirt", "window", "tree", "building", "person", "sign", "wall", "sky", "table", "car", "grass",
    "hand", "head", "water", "plate", "leg", "light", "pole", "fence", "hair", "ground", "street", "chair",
    "road", "cloud", "door", "jacket", "ear", "floor", "line", "leaf", "wheel", "snow", "pants", "hat", "eye",
    "shadow", "field", "glass", "bag", "sidewalk", "boy", "plane", "picture", "woman", "trees", "bus",
    "umbrella", "train", "girl",
)
_GEOMETRIC = ("on", "left of", "right of", "above", "below", "behind", "in front of", "near", "next to", "under", "in")


# Visual Genome's names of a box around several of a common name: plurals and collectives
# (`vg_shaped_scenes(groups=...)`), the common name first.
GROUP_FORMS: dict[str, tuple[str, ...]] = {
    "person": ("people", "group of people", "crowd"), "man": ("men", "group of men"),
    "tree": ("trees", "group of trees", "row of trees"), "window": ("windows", "row of windows"),
    "car": ("cars", "line of cars"), "leaf": ("leaves", "pile of leaves", "bunch of leaves"),
    "cloud": ("clouds",), "plate": ("plates", "stack of plates"), "chair": ("chairs", "row of chairs"),
    "sign": ("signs",), "boy": ("boys", "group of boys"), "umbrella": ("umbrellas", "row of umbrellas"),
}


def vg_shaped_scenes(cache: Path, n: int, seed: int = 0, groups: float = 0.0) -> Path:
    """A file of n scene graphs shaped like Visual Genome's (cached): 800x600 images, 20-49
    objects with random boxes, names from a Zipf law over 50,000 names (the first 51 are VG's
    most frequent), 0-3 attributes (60% from the registered typed words, the rest Zipf over
    20,000 made-up words), 5-39 relations with predicates Zipf over 2,000 (11 geometric ones
    first, then made-up verbs and relations). No masks, no depth (Visual Genome has neither).
    `groups`: the share of the objects of a name of `GROUP_FORMS` renamed to one of its group
    names, raw as Visual Genome writes them ("trees", "group of people", "crowd"), drawn from a
    generator of their own (the scenes are otherwise those of `groups=0`)."""
    path = cache / (f"vg-shaped-{n}-{seed}.jsonl" if not groups else f"vg-shaped-{n}-{seed}-groups{groups:g}.jsonl")
    if path.exists():
        return path
    import numpy as np
    import orjson

    from veriscene.vocab import ATTRIBUTE_TYPES

    def zipf(size: int) -> np.ndarray:
        weights = 1.0 / np.arange(1, size + 1)
        return weights / weights.sum()

    rng = np.random.default_rng(seed)
    group_rng = np.random.default_rng([seed, 1])
    names = [*_COMMON_NAMES, *(f"name{i:05d}" for i in range(len(_COMMON_NAMES), 50_000))]
    untyped = [f"attr{i:05d}" for i in range(20_000)]
    typed = sorted(ATTRIBUTE_TYPES)
    predicates = [*_GEOMETRIC, *(f"verb{i:04d}ing" if i % 3 == 0 else f"rel{i:04d}" for i in range(2_000 - len(_GEOMETRIC)))]
    p_names, p_untyped, p_predicates = zipf(len(names)), zipf(len(untyped)), zipf(len(predicates))
    print(f"making {n} Visual Genome-shaped scene graphs (cached in {path}) ...", file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for s in range(n):
            count = int(rng.integers(20, 50))
            objects = []
            for name in rng.choice(len(names), size=count, p=p_names).tolist():
                x0, y0 = rng.uniform(0, 700), rng.uniform(0, 500)
                x1, y1 = x0 + rng.uniform(10, 800 - x0), y0 + rng.uniform(10, 600 - y0)
                attributes = {typed[int(rng.integers(len(typed)))] if rng.random() < 0.6
                              else untyped[int(rng.choice(len(untyped), p=p_untyped))]
                              for _ in range(int(rng.integers(0, 4)))}
                named = names[name]
                if groups and named in GROUP_FORMS and group_rng.random() < groups:
                    forms = GROUP_FORMS[named]
                    named = forms[int(group_rng.integers(len(forms)))]
                objects.append({"name": named, "box": [round(v, 1) for v in (x0, y0, x1, y1)],
                                "attributes": sorted(attributes)})
            relations = set()
            for _ in range(int(rng.integers(5, 40))):
                a, b = rng.choice(count, size=2, replace=False).tolist()
                relations.add((a, predicates[int(rng.choice(len(predicates), p=p_predicates))], b))
            fh.write(orjson.dumps({"schema_version": 1, "image_id": f"vg-shaped-{s:07d}", "width": 800, "height": 600,
                                   "image": f"images/{s:07d}.jpg", "objects": objects,
                                   "relations": [list(r) for r in sorted(relations)]}) + b"\n")
    tmp.rename(path)
    return path


COCO_NAMES = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
    "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)


def coco_shaped_instances(cache: Path, n: int, seed: int = 0) -> Path:
    """A COCO instances file of n images (cached): COCO's 80 categories, "person" 15 times as likely
    as any other, 1-5 kinds per image, 1-6 boxes of a kind (1 most often), 3% crowd boxes, a polygon
    per box. Read it with `--from coco`."""
    import numpy as np

    path = cache / f"coco-shaped-{n}-{seed}.json"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    weights = np.ones(len(COCO_NAMES))
    weights[0] = 15.0
    weights /= weights.sum()
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        width, height = int(rng.choice([640, 480, 500])), int(rng.choice([480, 427, 375]))
        images.append({"id": i, "file_name": f"{i:012d}.jpg", "width": width, "height": height})
        for kind in rng.choice(len(COCO_NAMES), size=int(rng.integers(1, 6)), replace=False, p=weights):
            for _ in range(int(rng.choice([1, 1, 1, 2, 2, 3, 4, 6]))):
                x, y = float(rng.uniform(0, width - 20)), float(rng.uniform(0, height - 20))
                w, h = float(rng.uniform(8, width - x)), float(rng.uniform(8, height - y))
                annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": int(kind) + 1,
                                    "bbox": [x, y, w, h], "area": w * h, "iscrowd": int(rng.random() < 0.03),
                                    "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]]})
    categories = [{"id": j + 1, "name": name, "supercategory": "object"} for j, name in enumerate(COCO_NAMES)]
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    tmp.rename(path)
    return path


def compressed_copy(path: Path, kind: str) -> Path:
    """`path` compressed with `kind` (gzip, zstd, bz2 or xz), cached beside it, written as
    `veriscene convert` would."""
    from veriscene.scene.compressed import create_scene_file

    suffix = {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}[kind]
    target = path.with_name(path.name + suffix)
    if not target.exists():
        tmp = target.with_name(target.name + ".tmp")
        with open(path, "rb") as src, create_scene_file(tmp, kind) as out:
            while block := src.read(1 << 20):
                out.write(block)
        tmp.replace(target)
    return target


def split_copy(path: Path, files: int, kind: str = "none") -> Path:
    """`path` cut into `files` files of about as many lines each (compressed with `kind` unless
    "none"), in a folder cached beside it; read as one input, they make the same scan and samples."""
    from veriscene.scene.compressed import create_scene_file

    suffix = {"none": "", "gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}[kind]
    folder = path.with_name(f"{path.name}.{files}-files{suffix or '-plain'}")
    if folder.exists():
        return folder
    with open(path, "rb") as src:
        lines = sum(1 for _ in src)
    tmp = folder.with_name(folder.name + ".tmp")
    tmp.mkdir(exist_ok=True)
    with open(path, "rb") as src:
        for k in range(files):
            wanted = lines * (k + 1) // files - lines * k // files
            with create_scene_file(tmp / f"part-{k:05d}.jsonl{suffix}", None if kind == "none" else kind) as out:
                for _ in range(wanted):
                    out.write(src.readline())
    tmp.rename(folder)
    return folder


_GENERATE = r"""
import sys
from veriscene import generate
scenes, run, gens = sys.argv[1:4]
made = generate(scenes, run, shard_format="zstd", workers=2, generators=gens or None)
print(f"{made.samples:,} samples in {made.seconds:.1f} s (zstd shards, 2 workers)")
"""


def made_run(scenes: Path, run: Path, generators: str | None = None) -> None:
    """Generate a run of `scenes` into `run` (zstd shards, 2 workers), in a process of its own: a
    process the caller starts later inherits the peak RSS of the one that forked it (Linux keeps
    ru_maxrss across fork and exec), so a benchmark measuring processes must stay small."""
    subprocess.run([sys.executable, "-c", _GENERATE, str(scenes), str(run), generators or ""], check=True)


def alternated(code: str, configs: dict[Any, list[str]], repeats: int) -> dict[Any, list[dict[str, Any]]]:
    """Run `python -c code *args` for each config's args, in a fresh process each, the configs
    alternated, `repeats` times; the JSON object each prints last, per config. Stops the benchmark,
    with the process's stderr, when one fails."""
    results: dict[Any, list[dict[str, Any]]] = {key: [] for key in configs}
    for _ in range(repeats):
        for key, argv in configs.items():
            done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"{key} failed:\n{done.stderr}")
            results[key].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def add_run_options(parser: Any) -> None:
    """The options of a benchmark that measures a run made by `made_run`: --size, --base,
    --repeats, -g and --cache."""
    import tempfile

    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--base", type=int, default=5000, help="distinct scenes, tiled to --size")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("-g", "--generators", default=None, help="generators of the run (default: all)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
