"""Evaluation throughput against a local fake OpenAI-compatible server, by concurrency.

    python benchmarks/eval_concurrency.py [--samples 300] [--capacity 16] [--latency 0.05]

Builds a small demo run in a temporary folder, starts the tests' fake server (it answers from
the ground truth, serves `capacity` requests at once, each taking `latency` seconds) and evaluates
the same samples at concurrency 1, 4, 16 and 32. Prints requests/s, latency percentiles and the
accuracy, which must be identical at every concurrency.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.evaluate helpers

from tests.evaluate.conftest import answer_table  # noqa: E402
from tests.evaluate.fake_server import FakeServer  # noqa: E402
from veriscene.demo.pipeline import run_demo  # noqa: E402
from veriscene.evaluate import evaluate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--capacity", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "demo"
        run_demo(run, scenes=40, seed=0)
        table = answer_table(run)
        ideal = args.capacity / args.latency
        print(f"fake server: capacity {args.capacity}, latency {args.latency * 1000:.0f} ms (ideal {ideal:.0f} req/s)")
        with FakeServer(lambda t, i: table[(t, tuple(i))], capacity=args.capacity, latency=args.latency) as server:
            for concurrency in (1, 4, 16, 32):
                out = Path(tmp) / f"eval{concurrency}"
                s = evaluate(run, "openai:fake", out, base_url=server.url, limit=args.samples,
                             model_options={"concurrency": concurrency}, freeform="off", reports=False)
                tp, lat = s.summary["throughput"], s.summary["latency"]
                print(f"concurrency {concurrency:2d}: {tp['requests_per_s']:6.1f} req/s, p50 {lat['p50'] * 1000:4.0f} ms, "
                      f"p99 {lat['p99'] * 1000:5.0f} ms, accuracy {s.accuracy:.4f}")


if __name__ == "__main__":
    main()
