"""Start-up time of `import veriscene` and of the `veriscene` command: median wall seconds of fresh
processes, and optionally the same commands run from another source tree, alternated with these.

    python benchmarks/startup.py --repeats 5
    git archive HEAD~3 src | tar -x -C /tmp/old && python benchmarks/startup.py --compare /tmp/old/src

Each case starts a new interpreter (`python -c ...` or `python -m veriscene ...`), as a user, a
worker or a test does; `--compare SRC` puts SRC first on PYTHONPATH for the other column (an
editable install is overridden by it), the two alternated so that load on a shared machine falls
on both alike. Commands that do work (`generators --json`) are there to show what start-up is of
their time. The machine's load (`os.getloadavg`) is printed before and after: read the figures
beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CASES: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "import veriscene": ["-c", "import veriscene"],
    "import veriscene.cli": ["-c", "import veriscene.cli"],
    "veriscene --help": ["-m", "veriscene", "--help"],
    "veriscene --version": ["-m", "veriscene", "--version"],
    "veriscene generate --help": ["-m", "veriscene", "generate", "--help"],
    "veriscene generators --json": ["-m", "veriscene", "generators", "--json"],
}


def wall(args: list[str], src: str | None) -> float:
    """Seconds of one fresh `python ARGS` (output discarded); exit status other than 0 raises."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each case (the median is printed)")
    parser.add_argument("--compare", metavar="SRC", help="another source tree (its src folder) to time beside")
    args = parser.parse_args()
    print("load average: %.2f %.2f %.2f" % os.getloadavg())
    header = f"{'case':30s} {'this tree':>10s}" + (f" {'--compare':>10s} {'saved':>7s}" if args.compare else "")
    print(header)
    for name, case in CASES.items():
        here: list[float] = []
        other: list[float] = []
        for _ in range(args.repeats):
            here.append(wall(case, None))
            if args.compare:
                other.append(wall(case, args.compare))
        line = f"{name:30s} {statistics.median(here):9.3f}s"
        if args.compare:
            line += f" {statistics.median(other):9.3f}s {statistics.median(other) - statistics.median(here):6.3f}s"
        print(line)
    print("load average: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
