"""Scene graphs from raw images (`pipeline`): detection, masks, depth, colours and relations.

    from veriscene.annotate import annotate
    annotate("photos/", "scenes.jsonl", detector="models/detr-resnet-50")

Model stages run through transformers (the `ml` extra) from local folders only; a stage may also
be any callable (`Detector`, `DepthEstimator`).
"""

from veriscene.annotate.colours import COLOURS, dominant_colour, dominant_colour_of
from veriscene.annotate.models import (
    DepthEstimator,
    Detection,
    Detector,
    OpenVocabularyDetector,
    Segmenter,
    TransformersDepth,
    TransformersDetector,
    TransformersSegmenter,
)
from veriscene.annotate.pipeline import annotate, annotate_images, clear_relations, image_files
from veriscene.annotate.vlm import VLMAttributes, VLMRelations

__all__ = [
    "COLOURS",
    "DepthEstimator",
    "Detection",
    "Detector",
    "OpenVocabularyDetector",
    "Segmenter",
    "TransformersDepth",
    "TransformersDetector",
    "TransformersSegmenter",
    "VLMAttributes",
    "VLMRelations",
    "annotate",
    "annotate_images",
    "clear_relations",
    "dominant_colour",
    "dominant_colour_of",
    "image_files",
]
