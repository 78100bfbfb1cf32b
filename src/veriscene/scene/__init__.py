"""Scene graphs: the data model, its JSONL form (plain or compressed, one file or several), geometry
and masks."""

from veriscene.scene.compressed import create_scene_file, open_scene_file
from veriscene.scene.inputs import open_scenes, scene_paths
from veriscene.scene.geometry import box_area, box_center, box_iou
from veriscene.scene.jsonl import read_scenes, scene_from_dict, scene_to_dict, write_scenes
from veriscene.scene.masks import decode_mask, encode_mask, mask_area
from veriscene.scene.model import SCHEMA_VERSION, Scene, SceneObject

__all__ = [
    "SCHEMA_VERSION",
    "Scene",
    "SceneObject",
    "box_area",
    "box_center",
    "box_iou",
    "create_scene_file",
    "decode_mask",
    "encode_mask",
    "mask_area",
    "open_scene_file",
    "open_scenes",
    "read_scenes",
    "scene_from_dict",
    "scene_paths",
    "scene_to_dict",
    "write_scenes",
]
