"""Scene graphs from raw images (`pipeline`): detection, masks, depth, colours and relations.

    from veriscene.annotate import annotate
    annotate("photos/", "scenes.jsonl", detector="models/detr-resnet-50")

Model stages run through transformers (the `ml` extra) from local folders only, or through a
vision-language model on an OpenAI-compatible server (`VLMDetector`, `VLMAttributes`,
`VLMRelations`); a stage may also be any callable (`Detector`, `Segmenter`, `DepthEstimator`).
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
from veriscene.annotate.vlm_detect import VLMDetector

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
    "VLMDetector",
    "VLMRelations",
    "annotate",
    "annotate_images",
    "clear_relations",
    "dominant_colour",
    "dominant_colour_of",
    "image_files",
]
