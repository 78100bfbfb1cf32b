"""Small valid inputs of the JSON annotation readers, and how many records each holds, for
`test_reader_fuzz.py` (which mutates them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import as_records, object_id
from veriscene.io.readers.provision import _entries
from veriscene.scene.masks import encode_mask

H, W = 20, 30
INFINITE = "@@1e400@@"  # written as the JSON number 1e400, which the readers parse as infinity

# ---- valid inputs ---------------------------------------------------------------------------


def _rle_counts(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE counts (column-major runs, starting with zeros)."""
    counts, current, run = [], False, 0
    for value in mask.flatten(order="F"):
        if value != current:
            counts.append(run)
            current, run = value, 0
        run += 1
    return [*counts, run]


def _square(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros((H, W), bool)
    mask[y0:y1, x0:x1] = True
    return mask


def coco_instances() -> dict[str, Any]:
    return {"instances.json": {
        "info": {"year": 2017},
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": W, "height": H},
            {"id": 2, "file_name": "b.jpg", "width": W, "height": H, "coco_url": "http://x/val2017/b.jpg"},
            {"id": "3", "file_name": "c.jpg", "width": W, "height": H,  # LVIS's lists
             "neg_category_ids": [90], "not_exhaustive_category_ids": [18]},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 18, "bbox": [3, 2, 6, 4], "area": 24.0, "iscrowd": 0,
             "segmentation": [[3, 2, 9, 2, 9, 6, 3, 6], [10.5, 2, 12, 2, 12, 4.5]]},
            {"id": 11, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 20], "iscrowd": 1,
             "segmentation": {"size": [H, W], "counts": _rle_counts(_square(0, H, 0, 5))}},  # [0, 100, 500]
            {"id": 12, "image_id": 2, "category_id": 90, "bbox": [3, 2, 6, 4], "iscrowd": 0,
             "segmentation": {"size": [H, W], "counts": encode_mask(_square(2, 6, 3, 9))["counts"]}},
            {"id": 13, "image_id": "3", "category_id": 18, "bbox": [1.5, 1, 5, 5.25], "segmentation": []},
        ],
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person"},
            {"id": 18, "name": "dog"},
            {"id": 90, "name": "toothbrush"},
            {"id": 184, "name": "sky-other-merged", "isthing": 0},
        ],
    }}


def coco_panoptic() -> dict[str, Any]:
    return {"panoptic_val.json": {
        "images": [{"id": 1, "file_name": "a.jpg", "width": W, "height": H},
                   {"id": 2, "file_name": "b.jpg", "width": W, "height": H}],
        "annotations": [
            {"image_id": 1, "file_name": "a.png", "segments_info": [
                {"id": 3, "category_id": 1, "bbox": [3, 2, 6, 4], "iscrowd": 0, "area": 24},
                {"id": 7, "category_id": 184, "bbox": [0, 0, 30, 5], "iscrowd": 0}]},
            {"image_id": 2, "file_name": "b.png", "segments_info": [
                {"id": 4, "category_id": 1, "bbox": [0, 10, 30, 5], "iscrowd": 1}]},
        ],
        "categories": [{"id": 1, "name": "person", "isthing": 1}, {"id": 184, "name": "sky-other-merged", "isthing": 0}],
    }}


def _vg_object(oid: int, x: int, names: list[str], **extra: Any) -> dict[str, Any]:
    return {"object_id": oid, "x": x, "y": 2, "w": 8, "h": 6, "names": names, "synsets": ["man.n.01"], **extra}


def _vg_image_data() -> list[dict[str, Any]]:
    return [{"image_id": i, "width": W, "height": H, "url": f"http://x/{i}.jpg"} for i in (1, 2, 3)]


def visual_genome() -> dict[str, Any]:
    return {"scene_graphs.json": [
        {"image_id": 1,
         "objects": [_vg_object(5, 1, ["man"], attributes=["tall"]),
                     _vg_object(6, 12, ["trees"], merged_object_ids=[7])],
         "relationships": [{"relationship_id": 1, "predicate": "ON", "subject_id": 5, "object_id": 6,
                            "synsets": ["along.r.01"]},
                           {"predicate": "near", "subject_id": 7, "object_id": 5}],
         "attributes": [{"object_id": 5, "attributes": ["standing"]}]},
        {"id": 2,  # v1.0's names
         "objects": [{"id": 1, "x": 1, "y": 1, "w": 5, "h": 5, "name": "car"}],
         "relationships": [{"predicate": "has", "subject": {"object_id": 1},
                            "object": _vg_object(2, 10, ["wheel"])}]},
        {"image_id": 3, "objects": [], "relationships": [], "attributes": []},
    ], "image_data.json": _vg_image_data()}


def visual_genome_split() -> dict[str, Any]:
    return {
        "objects.json": [{"image_id": 1, "objects": [_vg_object(5, 1, ["man"]), _vg_object(6, 12, ["dog"])]},
                         {"image_id": 2, "objects": [_vg_object(1, 1, ["car"])]}],
        "attributes.json": [{"image_id": 1, "attributes": [_vg_object(5, 1, ["man"], attributes=["tall"])]},
                            {"image_id": 2, "attributes": []}],
        "relationships.json": [{"image_id": 2, "relationships": [
                                   {"predicate": "has", "subject": _vg_object(1, 1, ["car"]),
                                    "object": _vg_object(2, 10, ["wheel"])}]},
                               {"image_id": 1, "relationships": [
                                   {"predicate": "walking", "subject": _vg_object(5, 1, ["man"]),
                                    "object": _vg_object(6, 12, ["dog"])}]},
                               {"image_id": 3, "relationships": []}],
        "image_data.json": _vg_image_data(),
    }


def gqa() -> dict[str, Any]:
    def obj(name: str, x: int, relations: list[Any], **extra: Any) -> dict[str, Any]:
        return {"name": name, "x": x, "y": 2, "w": 8, "h": 6, "attributes": ["white"], "relations": relations, **extra}
    return {"val_sceneGraphs.json": {
        "2370799": {"width": W, "height": H, "location": "outdoors", "objects": {
            "1": obj("man", 1, [{"name": "to the left of", "object": "2"}]),
            "2": obj("trees", 12, [{"name": "to the right of", "object": "1"}]),
        }},
        "2": {"width": W, "height": H, "weather": "sunny", "objects": {"7": obj("car", 1, [])}},
        "3": {"width": W, "height": H, "objects": {}},
    }}


def clevr() -> dict[str, Any]:
    def obj(shape: str, x: float, depth: float, **extra: Any) -> dict[str, Any]:
        return {"shape": shape, "color": "red", "material": "rubber", "size": "large",
                "pixel_coords": [x, 150, depth], "3d_coords": [0, 0, 0.7], "rotation": 10.0, **extra}
    return {"CLEVR_val_scenes.json": {"info": {"split": "val"}, "scenes": [
        {"image_index": 0, "image_filename": "CLEVR_val_000000.png", "split": "val",
         "objects": [obj("cube", 100, 8.0), obj("sphere", 300, 12.0, size="small")],
         "relationships": {"left": [[], [0]], "right": [[1], []], "front": [[], [0]], "behind": [[1], []]}},
        {"image_index": 1, "image_filename": "CLEVR_val_000001.png", "split": "val",
         "objects": [obj("cylinder", 200, 10.0, bbox=[180, 130, 40, 40])],
         "relationships": {"left": [[]], "right": [[]], "front": [[]], "behind": [[]]}},
        {"image_index": 2, "objects": [], "relationships": {}},
    ]}}


def provision() -> dict[str, Any]:
    def entry(image_id: str, annotation: dict[str, Any]) -> dict[str, Any]:
        return {"data_path": f"/data/{image_id}.jpg", "source": "test", "annotation": annotation}
    size = {"width": 16, "height": 12}
    return {
        "object-detection-annotations.json": {
            "img1": entry("img1", {**size, "labels": ["dog", "ball"], "bboxes": [[1, 1, 6, 5], [8, 6, 15, 11]],
                                   "det_scores": [0.9, 0.5]}),
            "img2": entry("img2", {**size, "labels": ["cup"], "bboxes": [[2, 2, 4, 4.5]]}),
        },
        "image-attributes-annotations.json": [  # entries naming their image
            {"image_id": "img1", "annotation": {"attributes": [["brown and small"], []]}},
            {"image_id": "img2", "annotation": {"attributes": [["red"]]}},
        ],
        "image-relations-annotations.jsonl": [  # JSON Lines: a value per line
            {"img1": entry("img1", {"relations": [[0, "playing with", 1]]})},
            {"image_id": "img2", "annotation": {"relations": []}},
        ],
    }


# ---- what each input holds: records, in its reader's unit ----------------------------------


def _coco_records(files: dict[str, Any]) -> int | None:
    doc = next(iter(files.values()))
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        return None
    annotations = doc.get("annotations")
    return len(doc["images"]) if annotations is None or isinstance(annotations, list) else None


def _vg_id(record: Any) -> str | None:
    if isinstance(record, dict):
        for key in ("image_id", "id"):
            if key in record:
                try:
                    return object_id(record[key], key)
                except SceneValidationError:
                    return None
    return None


def _vg_records(files: dict[str, Any]) -> int:
    """Distinct image ids over the files, and every record without a usable id, or repeated."""
    ids, rejected = set(), 0
    for name, doc in files.items():
        records = as_records(doc, None, ("objects", "relationships", "attributes", "image_id", "id"))
        if name == "image_data.json" or records is None:
            continue
        seen = set()
        for record in records:
            image_id = _vg_id(record)
            if image_id is None or image_id in seen:
                rejected += 1
            else:
                seen.add(image_id)
        ids |= seen
    return len(ids) + rejected


def _gqa_records(files: dict[str, Any]) -> int | None:
    doc = next(iter(files.values()))
    return len(doc) if isinstance(doc, dict) else None


def _coco_objects(files: dict[str, Any], image_id: str) -> int:
    """The annotations (panoptic: segments) of image `image_id`."""
    found = 0
    for ann in next(iter(files.values())).get("annotations") or []:
        if isinstance(ann, dict) and str(ann.get("image_id")) == image_id:
            found += len(ann["segments_info"] or []) if "segments_info" in ann else 1
    return found


def _gqa_objects(files: dict[str, Any], image_id: str) -> int:
    return len(next(iter(files.values()))[image_id].get("objects") or {})


def _clevr_records(files: dict[str, Any]) -> int | None:
    records = as_records(next(iter(files.values())), "scenes", ("objects", "image_filename", "image_index"))
    return None if records is None else len(records)


def _provision_records(files: dict[str, Any]) -> int:
    """Distinct image ids over the stage files, every JSON Lines line of another shape, and every
    element of a list of entries that names no image."""
    ids, rejected = set(), 0
    for name, doc in files.items():
        for value in doc if name.endswith(".jsonl") else [doc]:
            found = _entries(value)
            rejected += found is None and name.endswith(".jsonl")
            rejected += sum(image_id is None for image_id, _ in found or [])
            ids |= {image_id for image_id, _ in found or [] if image_id is not None}
    return len(ids) + rejected


@dataclass(frozen=True)
class Case:
    fmt: str
    files: Callable[[], dict[str, Any]]  # file name -> JSON value (a .jsonl file: a list of line values)
    records: Callable[[dict[str, Any]], int | None]  # None: a file-level reject, no scene
    keys: tuple[str, ...]  # keys the reader knows, added where they were not
    # the objects of a scene read (by image id): each is in it, or rejected (drop_bad_parts)
    objects: Callable[[dict[str, Any], str], int] | None = None
    target: str | None = None  # the file to read; None: the folder
    options: dict[str, Any] = field(default_factory=dict)


CASES = {
    "coco": Case("coco", coco_instances, _coco_records, (
        "id", "image_id", "category_id", "bbox", "segmentation", "iscrowd", "width", "height", "file_name",
        "coco_url", "neg_category_ids", "not_exhaustive_category_ids", "isthing", "name", "size", "counts",
        "annotations", "categories", "images"), objects=_coco_objects, target="instances.json"),
    "coco_panoptic": Case("coco", coco_panoptic, _coco_records, (
        "id", "category_id", "bbox", "iscrowd", "isthing", "segments_info", "file_name", "width", "height"),
        objects=_coco_objects, target="panoptic_val.json"),
    "visual_genome": Case("visual_genome", visual_genome, _vg_records, (
        "image_id", "id", "object_id", "objects", "relationships", "attributes", "attribute", "names", "name",
        "object_names", "synsets", "merged_object_ids", "subject", "object", "subject_id", "predicate",
        "x", "y", "w", "h", "width", "height"), target="scene_graphs.json"),
    "visual_genome_split": Case("visual_genome", visual_genome_split, _vg_records, (
        "image_id", "id", "object_id", "objects", "relationships", "attributes", "names", "name", "subject",
        "object", "subject_id", "object_id", "predicate", "x", "y", "w", "h", "width", "height")),
    "gqa": Case("gqa", gqa, _gqa_records, (
        "width", "height", "objects", "name", "x", "y", "w", "h", "attributes", "relations", "object", "location"),
        objects=_gqa_objects, target="val_sceneGraphs.json"),
    "clevr": Case("clevr", clevr, _clevr_records, (
        "image_index", "image_filename", "split", "objects", "relationships", "shape", "color", "material",
        "size", "pixel_coords", "bbox", "width", "height", "scenes", "left"),
        target="CLEVR_val_scenes.json", options={"image_size": (480, 320)}),
    "provision": Case("provision", provision, _provision_records, (
        "width", "height", "labels", "bboxes", "det_scores", "attributes", "annotations", "relations",
        "seg_mask_id", "depth_mask_id", "data_path", "source", "image_id", "annotation", "_conflict",
        "_origin", "_files", "_data_path", "_source")),
}
