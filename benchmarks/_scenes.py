"""Scene files for the benchmarks: demo scene graphs (masks and depth), tiled to any size.

Synthesising a demo scene costs about 2 ms, so a base of distinct scenes (cached) is repeated to
the size wanted with fresh image ids (`demo-000123~7`): every line is a distinct scene record
that generation works on in full, at the per-scene cost of real demo scenes, and a 1M-scene file
takes about a minute to write instead of 40.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


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


def tiled(cache: Path, base: list[bytes], size: int) -> Path:
    """A scene file of `size` lines: the base scenes repeated with unique image ids (cached)."""
    path = cache / f"demo-tiled-{len(base)}-{size}.jsonl"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for i in range(size):
            line = base[i % len(base)]
            copy = i // len(base)
            if copy:
                image_id = json.loads(line)["image_id"]
                line = line.replace(f'"image_id":"{image_id}"'.encode(), f'"image_id":"{image_id}~{copy}"'.encode(), 1)
            fh.write(line + b"\n")
    tmp.rename(path)
    return path
