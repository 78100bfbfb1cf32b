"""How much of a box the answer's rendering loses: IoU of a perfect reply with the true box.

    python benchmarks/box_precision.py                   # 300 demo + 300 VG-shaped scenes
    python benchmarks/box_precision.py --scenes 1000

For every object of demo scene graphs (480x360, objects 20-120 px) and of Visual Genome-shaped
ones (800x600, `_scenes.vg_shaped_scenes`, boxes of 10 px and more), a grounding sample is made
as generation makes it: the gold answer is the object's box through `to_answer` (pixels), the
target text is `answer_text` of that sample (what a trainer sees, rendered in `box_format`). The
"perfect model" replies with that target; the reply is scored with `score_sample` (the IoU
`veriscene eval` and the rewards give) and, separately, its parsed box is compared with the
object's true box. Objects are grouped by the share of the image their box covers.

Columns: scenes, format, box share, objects, then the IoU of the perfect reply: minimum, 1st
percentile, median; and the share of objects scored below IoU 0.99 and 0.95.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from _scenes import vg_shaped_scenes  # benchmarks/_scenes.py
from veriscene.answers.coords import box_iou
from veriscene.answers.match import score_sample
from veriscene.demo.world import iter_scene_graphs
from veriscene.io.writers.text import answer_text
from veriscene.program.types import BOX, to_answer
from veriscene.scene import Scene, read_scenes

FORMATS = ("norm1", "norm1000", "pixel")
# Box area / image area: (label, upper bound).
SHARES = (("<0.5%", 0.005), ("0.5-2%", 0.02), ("2-10%", 0.1), (">=10%", float("inf")))


def perfect_replies(scenes: Iterator[Scene], box_format: str) -> Iterator[tuple[float, float, float]]:
    """(box share of the image, IoU scored by score_sample, IoU with the true box) per object."""
    for scene in scenes:
        size = [scene.width, scene.height]
        for box in scene.boxes.tolist():
            sample: dict[str, Any] = {"id": "x", "answer": to_answer(box, BOX), "answer_type": "box",
                                      "question": "Give the bounding box of the object.",
                                      "meta": {"mode": "qa", "box_format": box_format, "image_size": size}}
            reply = answer_text(sample)
            result = score_sample(reply, sample)
            share = (box[2] - box[0]) * (box[3] - box[1]) / (scene.width * scene.height)
            yield share, result.score, box_iou(result.parsed, box)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=300)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    vg_path = vg_shaped_scenes(args.cache, args.scenes)
    sources = {"demo": lambda: iter_scene_graphs(args.scenes, seed=0), "vg-shaped": lambda: read_scenes(vg_path)}
    print(f"{'scenes':>9} {'format':>8} {'box share':>9} {'objects':>7} {'min IoU':>7} {'p1 IoU':>7} "
          f"{'median':>7} {'<0.99':>6} {'<0.95':>6}   (IoU with the true box: min, median)")
    for name, scenes in sources.items():
        for box_format in FORMATS:
            rows = np.array(list(perfect_replies(scenes(), box_format)))
            lower = 0.0
            for label, upper in SHARES:
                part = rows[(rows[:, 0] >= lower) & (rows[:, 0] < upper)]
                lower = upper
                if not len(part):
                    continue
                scored, true = part[:, 1], part[:, 2]
                print(f"{name:>9} {box_format:>8} {label:>9} {len(part):>7} {scored.min():>7.3f} "
                      f"{np.percentile(scored, 1):>7.3f} {np.median(scored):>7.3f} {np.mean(scored < 0.99):>6.1%} "
                      f"{np.mean(scored < 0.95):>6.1%}   ({true.min():.3f}, {np.median(true):.3f})", flush=True)


if __name__ == "__main__":
    main()
