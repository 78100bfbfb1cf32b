"""Driver memory while it rewrites a shard that holds a repeated multi-image sample.

    python benchmarks/repeat_rewrite.py --scenes 200 --formats jsonl zstd parquet

Before the final merge the driver drops the rare later occurrence of a sample two anchors both
produced (`veriscene.engine.repeats`), rewriting the shard that holds it. This is the only time
the driver touches samples. The script makes one real shard (`--scenes` demo scenes, every
generator, the default shard size is 200) in each format, then, in a fresh process per format,
marks one of its multi-image samples as a repeat of an earlier shard and calls `drop_repeats`.
Printed per format: the shard's samples and JSONL size, the driver's peak resident memory
(Linux `VmHWM`) before and after the rewrite, and the growth.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _scenes import base_scenes  # benchmarks/_scenes.py

_REWRITE = r"""
import sys
from pathlib import Path
import orjson
from veriscene.engine.codecs import check_available
from veriscene.engine.repeats import SharedIds, drop_repeats
from veriscene.engine.shards import SharedRows, sidecar_path
from veriscene.engine.summary import RunSummary

def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

shards, fmt = Path(sys.argv[1]), sys.argv[2]
check_available(fmt)  # the driver of a run has imported the format's library already
sidecar = orjson.loads(sidecar_path(shards, 0).read_bytes())
rows = SharedRows.from_json(sidecar["shared"])
earlier = SharedRows()
earlier.lines.append(0)
earlier.hashes.append(rows.hashes[len(rows.hashes) // 2])  # an earlier shard holds this one first
shared = SharedIds()
shared.add(-1, earlier)
shared.add(0, rows)
summary = RunSummary()
summary.merge_counts(sidecar["counts"])
entries = {0: {}}
before = peak()
dropped = drop_repeats(shards, entries, shared, fmt, summary)
print(before, peak(), dropped)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=200, help="scenes in the shard (the default shard size)")
    parser.add_argument("--formats", nargs="+", default=["jsonl", "zstd", "parquet"],
                        choices=["jsonl", "zstd", "parquet"])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        sys.exit("repeat_rewrite.py reads peak memory from /proc (Linux only)")
    from veriscene import generate
    from veriscene.engine.codecs import decode
    from veriscene.engine.shards import ShardOutput, SharedRows, shard_path, sidecar_path, write_shard

    base = base_scenes(args.cache, args.scenes)
    print(f"{'format':>8} {'samples':>8} {'JSONL MiB':>10} {'peak before':>12} {'peak after':>11} {'growth MiB':>11}")
    with tempfile.TemporaryDirectory(dir=args.cache) as tmp:
        scenes = Path(tmp, "scenes.jsonl")
        scenes.write_bytes(b"\n".join(base) + b"\n")
        made = Path(tmp, "made")  # one shard of every generator (zstd runs keep their shards)
        generate(scenes, made, shard_size=len(base), shard_format="zstd")
        sidecar = json.loads(sidecar_path(made / "shards", 0).read_text())
        data = decode(shard_path(made / "shards", 0, "zstd").read_bytes(), "zstd")
        for fmt in args.formats:
            shards = Path(tmp, fmt)
            shards.mkdir()
            write_shard(shards, ShardOutput(0, data, [], sidecar["counts"], *sidecar["lines"],
                                            shared=SharedRows.from_json(sidecar["shared"])), fmt)
            result = subprocess.run([sys.executable, "-c", _REWRITE, str(shards), fmt], check=True,
                                    capture_output=True, text=True).stdout.split()
            before, after, dropped = float(result[0]), float(result[1]), int(result[2])
            if dropped != 1:
                sys.exit(f"expected one sample dropped, got {dropped}")
            print(f"{fmt:>8} {sidecar['samples']:>8} {len(data) / 2**20:>10.1f} {before:>12.0f} {after:>11.0f} "
                  f"{after - before:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
