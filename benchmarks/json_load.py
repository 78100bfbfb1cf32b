"""Loading a whole JSON annotation file: orjson alone against `parse_json`, which also checks the
text for integers orjson would read as floats.

    python benchmarks/json_load.py                  # CLEVR, VG image_data and ProVision shapes
    python benchmarks/json_load.py --images 100000 --repeats 7

Files the readers load whole (`veriscene.io.readers._json_load.load_json`): a CLEVR scenes file
(`{"scenes": [...]}`, 7 objects of float coordinates each), Visual Genome's `image_data.json` (a
list of ids, sizes and URLs, 108,077 images in the release) and a ProVision stage file
(`{image_id: {data_path, annotation}}`, 10 boxes and scores each). orjson reads an integer outside
[-2**63, 2**64 - 1] as a float, so `parse_json` first looks for a run of 19 digits or more
(`_may_hold_wide_int`: about 1 ns a byte) and has such a text parsed by the standard library
(exact integers, slower). Printed per shape: the file's size, the best time (ms, of `--repeats`)
of orjson.loads, of the check, of `parse_json`, and of `parse_json` on the same file holding one
id of 2**64 (the standard library's parse), and the check's share of orjson's time.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson

from veriscene.io.readers._json_load import _may_hold_wide_int, parse_json


def clevr(rng: random.Random, n: int) -> Any:
    def obj() -> dict[str, Any]:
        return {"shape": "cube", "color": "red", "material": "rubber", "size": "large", "rotation": rng.uniform(0, 360),
                "3d_coords": [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(0.3, 0.7)],
                "pixel_coords": [rng.randint(0, 480), rng.randint(0, 320), rng.uniform(5, 15)]}
    return {"info": {"split": "val"}, "scenes": [
        {"image_index": k, "image_filename": f"CLEVR_val_{k:06d}.png", "split": "val",
         "objects": [obj() for _ in range(7)],
         "relationships": {r: [rng.sample(range(7), 3) for _ in range(7)] for r in ("left", "right", "front", "behind")}}
        for k in range(n)]}


def image_data(rng: random.Random, n: int) -> Any:
    return [{"image_id": k + 1, "url": f"https://cs.stanford.edu/people/rak248/VG_100K/{k + 1}.jpg", "width": 800,
             "height": 600, "coco_id": rng.choice([None, rng.randint(1, 581929)]), "flickr_id": rng.randint(10**7, 10**10)}
            for k in range(n)]


def provision(rng: random.Random, n: int) -> Any:
    return {str(k): {"data_path": f"/data/{k}.jpg", "source": "vg", "annotation": {
        "width": 800, "height": 600, "labels": [f"name{rng.randrange(5000)}" for _ in range(10)],
        "bboxes": [[round(rng.uniform(0, 700), 2), round(rng.uniform(0, 500), 2), round(rng.uniform(700, 800), 2),
                    round(rng.uniform(500, 600), 2)] for _ in range(10)],
        "det_scores": [rng.random() for _ in range(10)]}} for k in range(n)}


def best(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'shape':12s} {'MB':>6s} {'orjson':>8s} {'check':>8s} {'parse':>8s} {'wide int':>9s} {'check %':>8s}")
    for name, make in (("clevr", clevr), ("image_data", image_data), ("provision", provision)):
        data = json.dumps(make(random.Random(0), args.images)).encode()
        wide = data[:1] + b'"wide": 18446744073709551616, ' + data[1:] if data[:1] == b"{" else \
            data[:1] + b"18446744073709551616, " + data[1:]
        assert not _may_hold_wide_int(data) and _may_hold_wide_int(wide)
        t_orjson = best(partial(orjson.loads, data), args.repeats)
        t_check = best(partial(_may_hold_wide_int, data), args.repeats)
        t_parse = best(partial(parse_json, data), args.repeats)
        t_wide = best(partial(parse_json, wide), args.repeats)
        print(f"{name:12s} {len(data) / 1e6:6.1f} {t_orjson:8.1f} {t_check:8.1f} {t_parse:8.1f} {t_wide:9.1f} "
              f"{100 * t_check / t_orjson:7.1f}%")


if __name__ == "__main__":
    main()
