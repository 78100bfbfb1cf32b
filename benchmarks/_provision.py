"""Write veriscene scene graphs as a ProVision annotation folder, for side-by-side runs.

ProVision (github.com/JieyuZ2/ProVision) keeps one JSON file per annotation stage, each mapping an
image id to {"data_path", "annotation": {"width", "height", ...}, "source"}; its loader merges
them. veriscene's `provision` reader reads the same folder, so both tools start from the same
bytes. The layout written here is the one its sample annotations use:

    object-detection-annotations.json    labels, bboxes (xyxy pixels), det_scores
    image-attributes-annotations.json    attributes (one list per box)
    relation-annotations-parsed.json     relations [[subject, "predicate", object], ...]
    segmentation-annotations.json        seg_mask_id + labels, bboxes   (scenes with masks)
    seg_masks/<image id>_mask.pkl        pickled list of scipy.sparse bool (H, W) matrices
    depth-estimation-annotations.json    depth_mask_id                  (scenes with depth)
    depth_masks/<image id>_depth.npy     uint8 (H, W), larger = closer

Depth maps are made from the per-object depths: each object's mask pixels hold
round(255 * (1 - depth)), nearer objects painted last; the background is 0 (far). veriscene's
reader takes each object's depth back as the median over its mask, so it recovers the depths
to within 1/255.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from veriscene.scene.model import Scene


def write_provision_folder(scenes: Path, folder: Path) -> Path:
    """Write the scene graphs of a veriscene JSONL file as ProVision stage files in `folder`
    (made if missing; kept when it already holds the detection file)."""
    if (folder / "object-detection-annotations.json").exists():
        return folder
    from veriscene.scene import read_scenes
    from veriscene.scene.masks import decode_mask

    stages: dict[str, dict[str, Any]] = {name: {} for name in (
        "object-detection-annotations.json", "image-attributes-annotations.json", "relation-annotations-parsed.json",
        "segmentation-annotations.json", "depth-estimation-annotations.json")}
    tmp = folder.with_name(folder.name + ".tmp")
    (tmp / "seg_masks").mkdir(parents=True, exist_ok=True)
    (tmp / "depth_masks").mkdir(exist_ok=True)
    for scene in read_scenes(scenes):
        key = scene.image_id
        labels = list(scene.names)
        boxes = [[round(float(v), 2) for v in box] for box in scene.boxes.tolist()]
        stages["object-detection-annotations.json"][key] = _entry(scene, labels=labels, bboxes=boxes,
                                                                  det_scores=[1.0] * len(labels))
        stages["image-attributes-annotations.json"][key] = _entry(scene, attributes=[list(a) for a in scene.attributes])
        stages["relation-annotations-parsed.json"][key] = _entry(scene, relations=[list(r) for r in scene.relations])
        if scene.masks is None:
            continue
        masks = [decode_mask(rle).astype(bool) for rle in scene.masks]
        _write_masks(tmp / "seg_masks" / f"{key}_mask.pkl", masks)
        stages["segmentation-annotations.json"][key] = _entry(scene, seg_mask_id=f"{key}_mask.pkl", labels=labels,
                                                              bboxes=boxes)
        if scene.depth is not None:
            depth_map = np.zeros((scene.height, scene.width), dtype=np.uint8)
            for i in np.argsort(-np.asarray(scene.depth, dtype=float), kind="stable"):  # far first
                depth_map[masks[i]] = round(255 * (1 - float(scene.depth[i])))
            np.save(tmp / "depth_masks" / f"{key}_depth.npy", depth_map)
            stages["depth-estimation-annotations.json"][key] = _entry(scene, depth_mask_id=f"{key}_depth.npy")
    for name, entries in stages.items():
        if entries:
            (tmp / name).write_text(json.dumps(entries))
    tmp.rename(folder)
    return folder


def _entry(scene: Scene, **annotation: Any) -> dict[str, Any]:
    """One image's record in a stage file."""
    return {"data_path": scene.image, "annotation": {"width": scene.width, "height": scene.height, **annotation},
            "source": None}


def _write_masks(path: Path, masks: list[np.ndarray]) -> None:
    from scipy import sparse

    with open(path, "wb") as fh:
        pickle.dump([sparse.csr_matrix(m) for m in masks], fh)
