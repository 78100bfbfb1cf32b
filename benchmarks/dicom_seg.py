"""DICOM SEG and RTSTRUCT: reading a Segmentation object or a Structure Set (and its CT series)
into slice scenes.

    python benchmarks/dicom_seg.py                                  # 256x256x64, 20 segments
    python benchmarks/dicom_seg.py --size 512 --slices 100 --segments 40 --repeats 3

Makes (and caches in `--cache`) a synthetic CT series with pydicom and a binary SEG over it with
highdicom (`tests/io/readers/dicom_builders.py`): `--segments` ellipsoids of random sizes and
places (organs, which may overlap, as segments can) and a lesion inside the first; and an RT
structure set of the same ellipsoids, each slice's cut drawn as a polygon of 64 vertices. Then,
`--repeats` times, in this process, after one untimed conversion of each: the SEG without the
series, the SEG with it (`images=`, `slice_images=`: the series read as a volume, the masks placed
into its geometry, each slice written as a PNG), and the structure set (its polygons filled on the
series' grid). Prints the median time and slices per second of each, objects and relations per
slice. Needs the `dicom` extra (highdicom).
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

    from tests.io.readers.dicom_builders import ct_series, description, write_rtstruct, write_seg

    folder = root / f"dicom-{size}-{slices}-{segments}-{seed}"
    if (folder / "rt" / "rtstruct.dcm").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    rng = np.random.default_rng(seed)
    z, y, x = np.ogrid[:slices, :size, :size]
    mask = np.zeros((slices, size, size, segments + 1), dtype=bool)
    first = None
    ellipses = []
    for k in range(segments):
        cz, cy, cx = rng.uniform(0.15, 0.85, 3) * (slices, size, size)
        rz, ry, rx = rng.uniform(0.1, 0.4) * slices, *(rng.uniform(0.04, 0.16, 2) * size)
        mask[..., k] = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2 <= 1
        first = first or (cz, cy, cx, rz, ry, rx)
        ellipses.append((cz, cy, cx, rz, ry, rx))
    cz, cy, cx, rz, ry, rx = first
    ellipses.append((cz, cy, cx, rz / 4, ry / 4, rx / 4))
    mask[..., segments] = ((x - cx) / (rx / 4)) ** 2 + ((y - cy) / (ry / 4)) ** 2 + ((z - cz) / (rz / 4)) ** 2 <= 1
    pixels = (mask.sum(axis=-1) * 40 + rng.normal(0, 15, mask.shape[:3])).astype(np.int16)
    source = ct_series(tmp / "ct", slices=slices, rows=size, cols=size, pixels=pixels)
    descriptions = [description(k + 1, f"organ_{k + 1}", codes.SCT.Organ) for k in range(segments)]
    descriptions.append(description(segments + 1, "lesion", codes.SCT.Lesion))
    write_seg(tmp / "seg" / "seg.dcm", source, mask, descriptions)  # apart from the series: read alone unless given
    # the same ellipsoids as an RT structure set: per slice, each cut drawn as a polygon of 64 vertices
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    rois = []
    for k, (cz, cy, cx, rz, ry, rx) in enumerate(ellipses):
        planes = {}
        for s in range(slices):
            scale = 1 - ((s - cz) / rz) ** 2
            if scale > 0:
                planes[s] = [[(cx + rx * np.sqrt(scale) * np.cos(a), cy + ry * np.sqrt(scale) * np.sin(a)) for a in angles]]
        rois.append((f"organ_{k + 1}" if k < segments else "lesion", planes))
    write_rtstruct(tmp / "rt" / "rtstruct.dcm", source, rois)
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
        convert(study / "seg" / "seg.dcm", out, "dicom_seg")  # untimed: imports, first reads
        convert(study / "rt" / "rtstruct.dcm", out, "dicom_rt", images=study / "ct")
        runs = {
            "SEG alone": (study / "seg" / "seg.dcm", "dicom_seg", {}),
            "SEG with the series, PNG slices": (study / "seg" / "seg.dcm", "dicom_seg", {"images": study / "ct"}),
            "RTSTRUCT (needs the series)": (study / "rt" / "rtstruct.dcm", "dicom_rt", {"images": study / "ct"}),
        }
        times: dict[str, list[float]] = {label: [] for label in runs}
        scenes_by: dict[str, list[dict]] = {}
        written: dict[str, int] = {}
        for r in range(args.repeats):
            for label, (source, fmt, options) in runs.items():
                extra = {"slice_images": Path(tmp) / f"png{r}"} if "PNG" in label else {}
                target = Path(tmp) / f"{fmt}.jsonl"
                start = time.perf_counter()
                summary = convert(source, target, fmt, **options, **extra)
                times[label].append(time.perf_counter() - start)
                written[label] = summary.scenes_written
                scenes_by[fmt] = [orjson.loads(line) for line in target.read_bytes().splitlines()]
    for fmt, found in scenes_by.items():
        objects = sum(len(s["objects"]) for s in found) / max(len(found), 1)
        relations = sum(len(s["relations"]) for s in found) / max(len(found), 1)
        print(f"{fmt}: {args.segments + 1} structures over {args.slices} slices of {args.size}x{args.size}: "
              f"{len(found)} slice scenes, {objects:.1f} objects and {relations:.1f} relations per scene")
    for label, values in times.items():
        median = statistics.median(values)
        print(f"{label:34s} {median:7.2f} s  {written[label] / median:7.1f} slices/s  (median of {len(values)})")


if __name__ == "__main__":
    main()
