"""The annotation pipeline's own cost per image, models left out.

    python benchmarks/annotate_overhead.py                      # 200 images of 640x480, 20 objects each
    python benchmarks/annotate_overhead.py --images 500 --objects 40 --repeats 3

`veriscene annotate` spends most of its time in the models, which depend on the user's models and
hardware. This measures the rest: reading each image, naming colours from pixels, median depth per
box, merging duplicate detections, relations between boxes and writing the scenes. The stages
are callables that cost nothing: a detector returning `--objects` fixed random boxes per image (a
few of them duplicated) and a depth estimator returning a fixed map. Images are random-colour
rectangles on a random background, PNG, made once and cached in `--cache`. CPU time, median of
`--repeats`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def make_images(root: Path, n: int, width: int, height: int, seed: int) -> Path:
    folder = root / f"annotate-{n}-{width}x{height}-{seed}"
    if folder.is_dir() and len(list(folder.glob("*.png"))) == n:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        image = Image.new("RGB", (width, height), tuple(int(v) for v in rng.integers(0, 256, 3)))
        pen = ImageDraw.Draw(image)
        for _ in range(12):
            x0, y0 = rng.integers(0, max(width - 40, 1)), rng.integers(0, max(height - 40, 1))
            pen.rectangle((int(x0), int(y0), int(x0 + rng.integers(20, 200)), int(y0 + rng.integers(20, 150))),
                          fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
        image.save(folder / f"{i:05d}.png")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()

    from veriscene.annotate import Detection, annotate

    width, height = (int(v) for v in args.size.split("x"))
    folder = make_images(args.cache, args.images, width, height, 0)
    rng = np.random.default_rng(1)
    names = ["person", "car", "dog", "chair", "cup"]
    detections = []
    for k in range(args.objects):
        x0, y0 = float(rng.uniform(0, max(width - 60, 1))), float(rng.uniform(0, max(height - 60, 1)))
        box = (x0, y0, x0 + float(rng.uniform(20, 200)), y0 + float(rng.uniform(20, 150)))
        detections.append(Detection(names[k % len(names)], box, float(rng.uniform(0.3, 1.0))))
    detections += detections[: max(args.objects // 10, 1)]  # duplicates, merged by the pipeline
    depth_map = np.tile(np.linspace(0.0, 1.0, width), (height, 1))
    cpu: list[float] = []
    with tempfile.TemporaryDirectory() as work:
        for r in range(args.repeats):
            t = time.process_time()
            summary = annotate(folder, Path(work) / f"s{r}.jsonl", detector=lambda image: list(detections),
                               depth=lambda image: depth_map)
            cpu.append(time.process_time() - t)
    seconds = statistics.median(cpu)
    print(f"{args.images} images of {width}x{height}, {args.objects} detections each (+ duplicates); "
          f"median of {args.repeats}")
    print(f"{'images':>7} {'scenes':>7} {'seconds':>8} {'images/s':>9} {'ms/image':>9}")
    print(f"{args.images:>7} {summary.scenes_written:>7} {seconds:>8.2f} {args.images / seconds:>9.1f} "
          f"{seconds * 1000 / args.images:>9.2f}")


if __name__ == "__main__":
    main()
