"""How long the viewer takes to start and to serve its pages, by the size of the run.

    python benchmarks/viewer_pages.py                        # 40 demo scenes, samples tiled x1, x10
    python benchmarks/viewer_pages.py --scenes 200 --tiles 1 10 --pages 50

Builds a demo run of `--scenes` scenes (with images), then a samples file repeating its samples
`tile` times (the scenes file is the run's), and for each: the time to open the catalog (read
every sample, `limit=0`) and its resident memory, then the median time of `--pages` requests over
real HTTP for the unfiltered list, a filtered list (one generator, words in the question), a sample
page (its program run again on its scene) and a scene page. Wall time, one run per figure.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from veriscene.demo.pipeline import run_demo
from veriscene.viewer import Catalog, make_server


def fetch(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        r.read()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--tiles", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--pages", type=int, default=20, help="requests per page kind (median reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        run_demo(run, scenes=args.scenes, seed=0)
        lines = (run / "samples.jsonl").read_bytes()
        print(f"{'samples':>9s} {'open s':>7s} {'RSS MiB':>8s} {'list ms':>8s} {'filter ms':>9s} "
              f"{'sample ms':>9s} {'scene ms':>8s}")
        for tile in args.tiles:
            path = run / f"samples_x{tile}.jsonl"  # beside the images its paths name
            path.write_bytes(lines * tile)
            start = time.perf_counter()
            catalog = Catalog.open(path, run / "scenes.jsonl", limit=0)
            opened = time.perf_counter() - start
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            server = make_server(catalog, port=0)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            base = f"http://127.0.0.1:{server.server_address[1]}"
            n = len(catalog.entries)
            step = max(1, n // args.pages)
            images = [e.image_ids[0] for e in catalog.entries[::step]][: args.pages]
            times = {
                "list": [fetch(f"{base}/?page={k}") for k in range(args.pages)],
                "filter": [fetch(f"{base}/?task=object.count.v1&text=how") for _ in range(args.pages)],
                "sample": [fetch(f"{base}/sample/{k * step}") for k in range(args.pages)],
                "scene": [fetch(f"{base}/scene/{i}") for i in images],
            }
            server.shutdown()
            server.server_close()
            catalog.close()
            med = {k: statistics.median(v) * 1000 for k, v in times.items()}
            print(f"{n:9,d} {opened:7.2f} {rss:8.0f} {med['list']:8.1f} {med['filter']:9.1f} "
                  f"{med['sample']:9.1f} {med['scene']:8.1f}")
            path.unlink()


if __name__ == "__main__":
    main()
