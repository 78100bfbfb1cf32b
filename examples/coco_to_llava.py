"""COCO instances -> scene graphs -> verified questions -> LLaVA JSON, from Python.

    python examples/coco_to_llava.py        # writes ./coco_demo/ and ./coco_to_llava_out/ (about 1 s)

The same steps on the command line:

    veriscene convert coco_demo/annotations/instances.json --from coco --image-root coco_demo/images \
        --out coco_to_llava_out/scenes.jsonl
    veriscene generate coco_to_llava_out/scenes.jsonl -o coco_to_llava_out/run
    veriscene verify coco_to_llava_out/run
    veriscene export coco_to_llava_out/run --to llava --out coco_to_llava_out/llava.json

Swap in your own `instances_val2017.json` and image folder: nothing else changes.
"""

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from pycocotools import mask as mask_utils  # a core dependency of veriscene

import veriscene
from veriscene.io.convert import convert
from veriscene.io.export import export

COCO = Path("coco_demo")
OUT = Path("coco_to_llava_out")
W, H = 320, 240  # every image's size in pixels

# --- 1. a tiny COCO instances file: 3 images, 8 objects, boxes [x, y, width, height] in pixels --
CATEGORIES = [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}, {"id": 3, "name": "car"}]
COLOURS = {1: (150, 90, 40), 2: (230, 230, 230), 3: (200, 30, 30)}
OBJECTS = {  # image id -> [(category id, bbox)]
    1: [(1, [20, 30, 100, 80]), (2, [200, 40, 60, 60]), (1, [120, 150, 90, 70])],
    2: [(3, [10, 10, 200, 120]), (1, [250, 150, 50, 60])],
    3: [(2, [40, 40, 80, 80]), (2, [180, 60, 70, 70]), (3, [100, 170, 150, 60])],
}

(COCO / "images").mkdir(parents=True, exist_ok=True)
(COCO / "annotations").mkdir(parents=True, exist_ok=True)
images, annotations = [], []
for image_id, objects in OBJECTS.items():
    file_name = f"{image_id:012d}.jpg"
    picture = Image.new("RGB", (W, H), (120, 140, 160))
    draw = ImageDraw.Draw(picture)
    for category, (x, y, w, h) in objects:
        draw.rectangle([x, y, x + w - 1, y + h - 1], fill=COLOURS[category])
    picture.save(COCO / "images" / file_name)
    images.append({"id": image_id, "file_name": file_name, "width": W, "height": H})
    for category, (x, y, w, h) in objects:
        if not annotations:
            # the first object's mask as COCO RLE (what pycocotools.mask.encode gives; Fortran order)
            pixels = np.zeros((H, W), dtype=np.uint8, order="F")
            pixels[y:y + h, x:x + w] = 1
            rle = mask_utils.encode(pixels)
            segmentation = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
        else:  # the others as polygons [[x0, y0, x1, y1, ...]]
            segmentation = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": category,
                            "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0,
                            "segmentation": segmentation})
instances = COCO / "annotations" / "instances.json"
coco = {"images": images, "annotations": annotations, "categories": CATEGORIES}
instances.write_text(json.dumps(coco))

# --- 2. convert: COCO -> veriscene JSONL (xyxy boxes, RLE masks); bad records go to rejects.jsonl --
# image_root: the folder COCO's file_names are relative to (each image's size is checked against it)
converted = convert(instances, OUT / "scenes.jsonl", "coco", image_root=COCO / "images")
print(f"convert: {converted.scenes_written} scenes written, {converted.scenes_rejected} rejected")

# --- 3. generate: every registered generator, questions and multiple choice -------------------
# (veriscene.generate(instances, ..., from_format="coco") would convert on the way instead)
run = OUT / "run"
summary = veriscene.generate(OUT / "scenes.jsonl", run, seed=0, overwrite=True)
print(f"generate: {summary.samples} samples from {summary.scenes} scenes; by family:",
      dict(summary.per_family.most_common()))

# --- 4. verify: re-run every sample's program on its scene graph, compare with the stored answer --
report = veriscene.verify(run)
print(f"verify: {report.verified} of {report.samples} samples verified, {report.mismatches} mismatches")
assert report.ok, report.problems[:3]

# --- 5. export to LLaVA JSON: image paths relative to the JSON file's folder ------------------
exported = export(run, OUT / "llava.json", to="llava")
print(f"export: {exported.samples_written} LLaVA records, {exported.images_missing} images missing")

records = json.loads((OUT / "llava.json").read_text())
record = records[0]
print("one record:", json.dumps({"image": record["image"], "conversations": record["conversations"],
                                 "task": record["veriscene"]["task"]}, indent=1))
