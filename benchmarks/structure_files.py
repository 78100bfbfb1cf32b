"""TotalSegmentator-style folders of one mask per structure against one label map of the same
structures: seconds per case to read each into slice scenes.

    python benchmarks/structure_files.py                       # 1 case, 117 masks of 256x256x120, 3 runs
    python benchmarks/structure_files.py --cases 2 --repeats 5 --size 512 --slices 200
    python benchmarks/structure_files.py --profile folder      # cProfile of one folder read, top 30

Makes (and caches in `--cache`) `--cases` synthetic cases, each stored twice:
- `segmentations/`: one gzipped uint8 NIfTI per structure, as ``TotalSegmentator -i ct.nii.gz -o
  segmentations`` writes them: `--structures` (117) masks named after TotalSegmentator's classes,
  about a third empty (outside the scan's field of view), a few large organs, the rest small
  (vertebrae, ribs, vessels, muscles: a few voxels to a few cm across, a few slices long);
- `labels/<case>.nii.gz` beside `labels/labels.json`: the same structures as one label map, each
  its mask file's number (the files sorted by name), so both give the same object ids.
The masks do not overlap (a label map cannot hold overlapping ones); voxels 1.5 x 1.5 x 3 mm
(TotalSegmentator's 1.5 mm model resamples to 1.5 mm); axial slices read (`--axis` 2: square pixels).

Then, after one untimed read of each (imports, the page cache), `--repeats` times each, alternated:
`veriscene.io.convert.convert` of the folder and of the label map (no slice images). Prints the
median seconds per case of each (wall, and this process' CPU time, which the machine's other load
sways less), the ratio, and the scenes, objects and relations per case (the two readings hold the
same structures, so nearly the same scenes; ``meta`` differs).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

SPACING = (1.5, 1.5, 3.0)  # mm


def structure_names(count: int) -> list[str]:
    """`count` names in TotalSegmentator's manner: organs, vessels, muscles, then vertebrae and ribs."""
    organs = ["spleen", "kidney_right", "kidney_left", "gallbladder", "liver", "stomach", "pancreas",
              "adrenal_gland_right", "adrenal_gland_left", "lung_upper_lobe_left", "lung_lower_lobe_left",
              "lung_upper_lobe_right", "lung_middle_lobe_right", "lung_lower_lobe_right", "esophagus", "trachea",
              "thyroid_gland", "small_bowel", "duodenum", "colon", "urinary_bladder", "prostate",
              "kidney_cyst_left", "kidney_cyst_right", "sacrum", "heart", "aorta", "pulmonary_vein",
              "brachiocephalic_trunk", "superior_vena_cava", "inferior_vena_cava", "portal_vein_and_splenic_vein",
              "spinal_cord", "brain", "skull", "sternum", "costal_cartilages"]
    paired = ["subclavian_artery", "common_carotid_artery", "brachiocephalic_vein", "iliac_artery", "iliac_vena",
              "humerus", "scapula", "clavicula", "femur", "hip", "gluteus_maximus", "gluteus_medius",
              "gluteus_minimus", "autochthon", "iliopsoas"]
    names = organs + [f"{p}_{side}" for p in paired for side in ("left", "right")]
    names += [f"vertebrae_{v}" for v in ["S1", *(f"L{k}" for k in range(1, 6)), *(f"T{k}" for k in range(1, 13)),
                                         *(f"C{k}" for k in range(1, 8))]]
    names += [f"rib_{side}_{k}" for side in ("left", "right") for k in range(1, 13)]
    while len(names) < count:
        names.append(f"structure_{len(names) + 1}")
    return names[:count]


def make_case(size: int, slices: int, count: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """`count` non-overlapping uint8 masks (size, size, slices), one at a time: a third empty, a
    tenth large, the rest small; each later mask leaves out the voxels an earlier one holds."""
    taken = np.zeros((size, size, slices), bool)
    for _ in range(count):
        mask = np.zeros((size, size, slices), np.uint8)
        if rng.random() < 0.35:
            yield mask  # outside the field of view: an empty mask, as TotalSegmentator writes it
            continue
        large = rng.random() < 0.12
        radii = (rng.uniform(0.06, 0.16, 2) * size).tolist() + [rng.uniform(0.1, 0.3) * slices] if large else \
            (rng.uniform(0.01, 0.05, 2) * size).tolist() + [rng.uniform(0.01, 0.06) * slices + 1]
        centre = rng.uniform(0.1, 0.9, 3) * (size, size, slices)
        low = [max(0, int(c - r) - 1) for c, r in zip(centre, radii)]
        high = [min(n, int(c + r) + 2) for c, r, n in zip(centre, radii, (size, size, slices))]
        x, y, z = np.ogrid[low[0]:high[0], low[1]:high[1], low[2]:high[2]]
        inside = ((x - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2 \
            + ((z - centre[2]) / radii[2]) ** 2 <= 1
        box = tuple(slice(a, b) for a, b in zip(low, high))
        inside &= ~taken[box]
        mask[box] = inside
        taken[box] |= inside
        yield mask


def make_cases(root: Path, cases: int, size: int, slices: int, count: int, seed: int, tilt: float = 0.0) -> Path:
    import nibabel as nib

    folder = root / (f"structure-files-{cases}-{size}-{slices}-{count}-{seed}" + (f"-tilt{tilt:g}" if tilt else ""))
    if (folder / "labels" / "labels.json").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "labels").mkdir(parents=True)
    rng = np.random.default_rng(seed)
    names = structure_names(count)
    # each structure's label value: its mask file's number (the reader numbers the files in name order)
    value = {k: v for v, k in enumerate(sorted(range(count), key=lambda k: names[k]), 1)}
    affine = np.diag([*SPACING, 1.0])
    affine[1, 2] = SPACING[2] * np.tan(np.radians(tilt))  # a gantry tilt: each slice a step further back
    for c in range(cases):
        labels = np.zeros((size, size, slices), np.uint8)
        for k, mask in enumerate(make_case(size, slices, count, rng)):
            labels[mask != 0] = value[k]
            path = tmp / "folders" / f"s{c:04d}" / "segmentations" / f"{names[k]}.nii.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            nib.save(nib.Nifti1Image(mask, affine), path)
        nib.save(nib.Nifti1Image(labels, affine), tmp / "labels" / f"s{c:04d}.nii.gz")
    table = {"0": "background", **{str(v): names[k] for k, v in sorted(value.items(), key=lambda kv: kv[1])}}
    (tmp / "labels" / "labels.json").write_text(json.dumps({"labels": table}))
    tmp.rename(folder)
    return folder


def _counts(path: Path) -> tuple[int, int, int]:
    import orjson

    scenes = objects = relations = 0
    with open(path, "rb") as fh:
        for line in fh:
            scene = orjson.loads(line)
            scenes += 1
            objects += len(scene["objects"])
            relations += len(scene["relations"])
    return scenes, objects, relations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1)
    parser.add_argument("--size", type=int, default=256, help="width and height of a slice (voxels)")
    parser.add_argument("--slices", type=int, default=120)
    parser.add_argument("--structures", type=int, default=117)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--axis", type=int, default=2, help="the reader's axis: 2 axial, 1 coronal, 0 sagittal "
                        "(1.5 x 3 mm pixels, resampled to square ones)")
    parser.add_argument("--tilt", type=float, default=0.0, help="degrees of gantry tilt the affines keep (a tilted "
                        "CT converted uncorrected): coronal and sagittal slices are corrected, mask by mask")
    parser.add_argument("--profile", choices=("folder", "label_map"), help="profile one read of this input instead")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()

    from veriscene.io.convert import convert

    data = make_cases(args.cache, args.cases, args.size, args.slices, args.structures, args.seed, args.tilt)
    inputs = {"folder": data / "folders", "label_map": data / "labels"}
    if args.cases == 1:  # the case folder itself, as a user converts one subject
        inputs["folder"] = data / "folders" / "s0000"
    seconds: dict[str, list[float]] = {key: [] for key in inputs}
    cpu: dict[str, list[float]] = {key: [] for key in inputs}  # this process' CPU time: less swayed by others' load
    counts: dict[str, tuple[int, int, int]] = {}
    with tempfile.TemporaryDirectory() as work:
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            convert(inputs[args.profile], Path(work) / "profile.jsonl", "label_map", axis=args.axis)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
            return
        for key, path in inputs.items():  # imports and the page cache, untimed
            convert(path, Path(work) / f"warm-up-{key}.jsonl", "label_map", axis=args.axis)
        for r in range(args.repeats):
            for key, path in inputs.items():
                out = Path(work) / f"{key}-{r}.jsonl"
                t, c = time.perf_counter(), time.process_time()
                convert(path, out, "label_map", axis=args.axis)
                seconds[key].append((time.perf_counter() - t) / args.cases)
                cpu[key].append((time.process_time() - c) / args.cases)
                counts[key] = _counts(out)
    load = os.getloadavg()[0]
    print(f"{args.cases} case(s) of {args.structures} structures, {args.size}x{args.size}x{args.slices} voxels, "
          f"axis {args.axis}, tilt {args.tilt:g} degrees; "
          f"median of {args.repeats} runs, load {load:.2f} (1 min) at the end")
    print(f"{'input':<12} {'s/case':>8} {'cpu s':>7} {'scenes':>7} {'objects':>8} {'relations':>10}  runs (s/case)")
    for key, values in seconds.items():
        scenes, objects, relations = (n // args.cases for n in counts[key])
        print(f"{key:<12} {statistics.median(values):>8.3f} {statistics.median(cpu[key]):>7.3f} {scenes:>7} "
              f"{objects:>8} {relations:>10}  " + ", ".join(f"{v:.3f}" for v in values))
    ratio = [statistics.median(d["folder"]) / statistics.median(d["label_map"]) for d in (seconds, cpu)]
    print(f"folder / label map: {ratio[0]:.2f} (CPU time {ratio[1]:.2f})")


if __name__ == "__main__":
    main()
