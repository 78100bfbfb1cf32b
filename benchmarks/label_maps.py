"""Medical label maps: reading NIfTI volumes into slice scenes, then generating from them.

    python benchmarks/label_maps.py                                   # 4 volumes of 256x256x64
    python benchmarks/label_maps.py --cases 8 --size 512 --slices 100 --structures 30 --repeats 3
    python benchmarks/label_maps.py --lesions 6 --components none     # lesions counted as one object
    python benchmarks/label_maps.py --lesions 6 --lesion-shape u      # lesions cut in two by axial slices

Makes (and caches in `--cache`) an MSD-style folder of synthetic CT-like volumes: `--structures`
ellipsoids of random sizes and places per case (organs), each with a label value and a name, and
`--lesions` lesions (one label, "lesion") inside the first one, stored as gzipped NIfTI
(`labelsTr/`, `imagesTr/`, `dataset.json`). A lesion is an ellipsoid, or with `--lesion-shape u`
a U: two upright lobes joined at their lower end, so the axial slices above the join cut one
lesion in two pieces. `--components` and `--window` go to the reader.
Then, `--repeats` times, in this process:

- convert: `veriscene.io.convert.convert(..., slice_images=DIR)`, every slice with a label becomes
  a scene (masks, boxes, touching and surrounded-by relations) and a PNG of the image slice;
- generate: `veriscene.generate` on the converted scenes, all generators, 1 worker, then
  `veriscene.verify`.

After one untimed conversion (imports, first reads), prints the median of each: scenes per second of the conversion (with and without writing the
slice images), samples per second of generation, samples per scene, objects and relations per
scene, and the verification's mismatches; then how the slices count their lesions: the slices
whose lesion objects are as many as the lesions (3D connected pieces, 26-connected, of the lesion
label) holding at least `min_pixels` (10) of the slice's pixels, as a "how many lesions" question
would need; and the lesions whose objects carry one id on every slice (each lesion object matched
to the 3D lesion holding most of its pixels), the lesion objects that hold pixels of two lesions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def blob(x: np.ndarray, y: np.ndarray, z: np.ndarray, centre: tuple[float, ...], radii: tuple[float, ...],
         shape: str) -> np.ndarray:
    """An ellipsoid of `radii` at `centre` (voxels); or a U of its size: two upright lobes, each
    a third as wide, at either side, joined by a bar across their lowest third (the lowest z)."""
    (cx, cy, cz), (rx, ry, rz) = centre, radii
    if shape == "ellipsoid":
        return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2 <= 1
    lobes = [((x - cx - side * rx * 2 / 3) / (rx / 3)) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2 <= 1
             for side in (-1, 1)]
    bar = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz + rz * 2 / 3) / (rz / 3)) ** 2 <= 1
    return lobes[0] | lobes[1] | bar


def make_cases(root: Path, cases: int, size: int, slices: int, structures: int, seed: int, lesions: int = 1,
               lesion_shape: str = "ellipsoid") -> Path:
    import nibabel as nib

    folder = root / (f"label-maps-{cases}-{size}-{slices}-{structures}-{seed}" + (f"-L{lesions}" if lesions != 1 else "")
                     + (f"-{lesion_shape}" if lesion_shape != "ellipsoid" else ""))
    if (folder / "dataset.json").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "labelsTr").mkdir(parents=True)
    (tmp / "imagesTr").mkdir()
    rng = np.random.default_rng(seed)
    x, y, z = np.ogrid[:size, :size, :slices]
    training = []
    for c in range(cases):
        labels = np.zeros((size, size, slices), np.uint8)
        centres = []
        for k in range(structures):
            cx, cy, cz = rng.uniform(0.15, 0.85, 3) * (size, size, slices)
            rx, ry = rng.uniform(0.04, 0.16, 2) * size
            rz = rng.uniform(0.1, 0.4) * slices
            inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 + ((z - cz) / rz) ** 2 <= 1
            labels[inside & (labels == 0)] = k + 1
            centres.append((cx, cy, cz, rx, ry, rz))
        cx, cy, cz, rx, ry, rz = centres[0]
        labels[blob(x, y, z, (cx, cy, cz), (rx / 4, ry / 4, rz / 4), lesion_shape)] = structures + 1
        for _ in range(lesions - 1):  # more, smaller, anywhere in the first organ (metastases)
            dx, dy, dz = rng.uniform(-0.6, 0.6, 3) * (rx, ry, rz)
            scale = rng.uniform(5, 10)
            more = blob(x, y, z, (cx + dx, cy + dy, cz + dz), (rx / scale, ry / scale, rz / scale), lesion_shape)
            labels[more & (labels == 1)] = structures + 1
        image = (labels * 20.0 + rng.normal(0, 15, labels.shape)).astype(np.float32)
        affine = np.diag([0.8, 0.8, 2.5, 1.0])
        nib.save(nib.Nifti1Image(labels, affine), tmp / "labelsTr" / f"case_{c:03d}.nii.gz")
        nib.save(nib.Nifti1Image(image, affine), tmp / "imagesTr" / f"case_{c:03d}_0000.nii.gz")
        training.append({"image": f"./imagesTr/case_{c:03d}_0000.nii.gz", "label": f"./labelsTr/case_{c:03d}.nii.gz"})
    names = {str(k + 1): f"organ_{k + 1}" for k in range(structures)}
    names[str(structures + 1)] = "lesion"
    (tmp / "dataset.json").write_text(json.dumps({"labels": {"0": "background", **names}, "training": training}))
    tmp.rename(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=4)
    parser.add_argument("--size", type=int, default=256, help="width and height of a slice (voxels)")
    parser.add_argument("--slices", type=int, default=64)
    parser.add_argument("--structures", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lesions", type=int, default=1, help="lesions per case, in its first organ")
    parser.add_argument("--lesion-shape", choices=("ellipsoid", "u"), default="ellipsoid",
                        help="lesions as ellipsoids, or U-shaped (two pieces on the axial slices above their join)")
    parser.add_argument("--components", help="the reader's components option (default: its own, auto)")
    parser.add_argument("--window", help="the reader's window option (default: its own, percentile)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()

    from veriscene import generate, verify
    from veriscene.io.convert import convert

    folder = make_cases(args.cache, args.cases, args.size, args.slices, args.structures, args.seed, args.lesions,
                        args.lesion_shape)
    reader = {k: v for k, v in (("components", args.components), ("window", args.window)) if v is not None}
    rows: dict[str, list[float]] = {}
    facts: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as work:
        convert(folder, Path(work) / "warm-up.jsonl", "label_map", **reader)  # imports and first reads, untimed
        for r in range(args.repeats):
            for images in (False, True):
                out = Path(work) / f"scenes-{r}-{images}.jsonl"
                options = {"slice_images": str(Path(work) / f"slices-{r}")} if images else {}
                options.update(reader)
                t = time.perf_counter()
                summary = convert(folder, out, "label_map", **options)
                seconds = time.perf_counter() - t
                key = "convert with slice images" if images else "convert"
                rows.setdefault(key, []).append(summary.scenes_written / seconds)
            objects = relations = 0
            import orjson

            lesion_objects: dict[str, list[tuple[str, dict]]] = {}  # image id -> its lesion objects' (id, mask)
            with open(out, "rb") as fh:
                for line in fh:
                    scene = orjson.loads(line)
                    objects += len(scene["objects"])
                    relations += len(scene["relations"])
                    ids = scene["meta"]["object_ids"]
                    lesion_objects[scene["image_id"]] = [(oid, o["mask"]) for oid, o in zip(ids, scene["objects"])
                                                         if o["name"] == "lesion"]
            t = time.perf_counter()
            run = generate(out, Path(work) / f"run-{r}")
            seconds = time.perf_counter() - t
            rows.setdefault("generate", []).append(run.samples / seconds)
            report = verify(Path(work) / f"run-{r}")
            facts = {"scenes": summary.scenes_written, "samples": run.samples,
                     "objects": objects / summary.scenes_written, "relations": relations / summary.scenes_written,
                     "mismatches": len(report.problems)}
            counts = lesion_counts(folder, args.structures + 1, lesion_objects)
    print(f"{args.cases} volumes of {args.size}x{args.size}x{args.slices}, {args.structures} structures and "
          f"{args.lesions} lesion(s) each; reader options {reader or 'default'}; median of {args.repeats}")
    print(f"{'step':<28} {'rate':>10} unit")
    for key, values in rows.items():
        unit = "samples/s" if key == "generate" else "scenes/s"
        print(f"{key:<28} {statistics.median(values):>10.1f} {unit}")
    print(f"scenes {facts['scenes']}, samples {facts['samples']} ({facts['samples'] / facts['scenes']:.1f} per scene), "
          f"objects per scene {facts['objects']:.1f}, relations per scene {facts['relations']:.1f}, "
          f"mismatches {facts['mismatches']}")
    right, slices, objects_seen, lesions_there, one_id, lesions_seen, mixed = counts
    print(f"lesions: {slices} slices hold one; their lesion objects match the lesions there on {right} "
          f"({right / max(slices, 1):.1%}); {objects_seen} lesion objects for {lesions_there} lesions; "
          f"{one_id} of {lesions_seen} lesions have one id on all their slices; {mixed} objects hold two lesions")


def lesion_counts(folder: Path, value: int, objects: dict[str, list[tuple[str, dict]]],
                  min_pixels: int = 10) -> tuple[int, int, int, int, int, int, int]:
    """(slices whose lesion objects are as many as the lesions there, slices holding a lesion of
    at least `min_pixels` or a lesion object, lesion objects, lesions, lesions whose objects
    carry one id on all slices, lesions with an object, objects holding pixels of two lesions):
    a lesion is a 26-connected piece of the volume's `value` voxels; it is on an axial slice
    holding `min_pixels` of them."""
    import nibabel as nib
    from scipy import ndimage

    from veriscene.io.readers._label_map_files import plane
    from veriscene.scene.masks import decode_mask

    right = slices = seen = there = mixed = 0
    ids_of: dict[tuple[str, int], set[str]] = {}  # (case, 3D lesion) -> ids of the objects matched to it
    for path in sorted((folder / "labelsTr").glob("*.nii.gz")):
        labels = np.asanyarray(nib.as_closest_canonical(nib.load(path)).dataobj)
        pieces, _ = ndimage.label(labels == value, structure=np.ones((3, 3, 3), dtype=bool))
        case = path.name[: -len(".nii.gz")]
        for k in range(labels.shape[2]):
            ids, sizes = np.unique(pieces[..., k][pieces[..., k] > 0], return_counts=True)
            truth = int((sizes >= min_pixels).sum())
            found = objects.get(f"{case}_z{k:04d}", [])
            if truth or found:
                slices += 1
                right += truth == len(found)
                seen += len(found)
                there += truth
            cut = plane(pieces, 2, k, True)  # as the scene shows the slice
            for oid, rle in found:
                under = cut[decode_mask(rle).astype(bool)]
                held, many = np.unique(under[under > 0], return_counts=True)
                mixed += len(held) > 1
                if len(held):
                    ids_of.setdefault((case, int(held[np.argmax(many)])), set()).add(oid)
    one_id = sum(len(ids) == 1 for ids in ids_of.values())
    return right, slices, seen, there, one_id, len(ids_of), mixed


if __name__ == "__main__":
    main()
