"""DICOM SEG: reading a Segmentation object (and its CT series) into slice scenes.

    python benchmarks/dicom_seg.py                                  # 256x256x64, 20 segments
    python benchmarks/dicom_seg.py --size 512 --slices 100 --segments 40 --repeats 3

Makes (and caches in `--cache`) a synthetic CT series with pydicom and a binary SEG over it with
highdicom (`tests/io/readers/dicom_builders.py`): `--segments` ellipsoids of random sizes and
places (organs, which may overlap, as segments can) and a lesion inside the first. Then,
`--repeats` times, in this process, after one untimed conversion: `convert(seg, ..., "dicom_seg")`
without the series, and with it (`images=`, `slice_images=`: the series read as a volume, the
masks placed into its geometry, each slice written as a PNG). Prints the median time and slices
per second of each, objects and relations per slice. Needs the `dicom` extra (highdicom).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_study(root: Path, size: int, slices: int, segments: int, seed: int) -> Path:
    from pydicom.sr.codedict import codes

    from tests.io.readers.dicom_builders import ct_series, description, write_seg

    folder = root / f"dicom-seg-{size}-{slices}-{segments}-{seed}"
    if (folder / "seg.dcm").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[:slices, :size, :size]
    mask = np.zeros((slices, size, size, segments + 1), dtype=bool)
    first = None
    for k in range(segments):
        cz, cy, cx = rng.uniform(0.15, 0.85, 3) * (slices, size, size)
        rz, ry, rx = rng.uniform(0.1, 0.4) * slices, *(rng.uniform(0.04, 0.16, 2) * size)
        mask[..., k] = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2 <= 1
        first = first or (cz, cy, cx, rz, ry, rx)
    cz, cy, cx, rz, ry, rx = first
    mask[..., segments] = ((x - cx) / (rx / 4)) ** 2 + ((y - cy) / (ry / 4)) ** 2 + ((z - cz) / (rz / 4)) ** 2 <= 1
    pixels = (mask.sum(axis=-1) * 40 + rng.normal(0, 15, mask.shape[:3])).astype(np.int16)
    source = ct_series(tmp / "ct", slices=slices, rows=size, cols=size, pixels=pixels)
    descriptions = [description(k + 1, f"organ_{k + 1}", codes.SCT.Organ) for k in range(segments)]
    descriptions.append(description(segments + 1, "lesion", codes.SCT.Lesion))
    write_seg(tmp / "seg.dcm", source, mask, descriptions)
    tmp.rename(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256, help="width and height of a slice (pixels)")
    parser.add_argument("--slices", type=int, default=64)
    parser.add_argument("--segments", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()
    from veriscene.io.convert import convert

    study = make_study(args.cache, args.size, args.slices, args.segments, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scenes.jsonl"
        convert(study / "seg.dcm", out, "dicom_seg")  # untimed: imports, first reads
        times: dict[str, list[float]] = {"SEG alone": [], "with the series and PNG slices": []}
        written = 0
        for r in range(args.repeats):
            for label, options in (("SEG alone", {}), ("with the series and PNG slices",
                                                     {"images": study / "ct", "slice_images": Path(tmp) / f"png{r}"})):
                start = time.perf_counter()
                summary = convert(study / "seg.dcm", out, "dicom_seg", **options)
                times[label].append(time.perf_counter() - start)
                written = summary.scenes_written
        scenes = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    objects = sum(len(s["objects"]) for s in scenes) / max(len(scenes), 1)
    relations = sum(len(s["relations"]) for s in scenes) / max(len(scenes), 1)
    print(f"SEG of {args.segments + 1} segments over {args.slices} slices of {args.size}x{args.size}: "
          f"{written} slice scenes, {objects:.1f} objects and {relations:.1f} relations per scene")
    for label, values in times.items():
        median = statistics.median(values)
        print(f"{label:32s} {median:7.2f} s  {written / median:7.1f} slices/s  (median of {len(values)})")


if __name__ == "__main__":
    main()
