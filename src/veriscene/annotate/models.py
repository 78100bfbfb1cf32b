"""Model stages of the annotation pipeline, through Hugging Face transformers (the `ml` extra).

Models are loaded from a local folder or the local Hugging Face cache only (``local_files_only``):
nothing is downloaded at run time. Any object detector `transformers.AutoModelForObjectDetection`
loads (DETR, Deformable DETR, Conditional DETR, YOLOS, RT-DETR, ...), any open-vocabulary detector
`AutoModelForZeroShotObjectDetection` loads (OWL-ViT, OWLv2, Grounding DINO: prompted with the names
to look for), any promptable mask model
`AutoModelForMaskGeneration` loads (SAM), and any depth estimator `AutoModelForDepthEstimation`
loads (DPT, GLPN, Depth Anything, ...), each with its processor saved beside it. A stage may also
be any callable of the same signature (`Detector`, `Segmenter`, `DepthEstimator`): a model served
elsewhere, or a rule.

A model stage made with ``load=False`` holds only its folder and settings (it describes itself from
the folder's config alone); ``stage.on(device)`` is a copy with the model loaded on `device`. So
the workers of a run on several GPUs each load their own copy on their own device (`parallel`).
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from typing import Any, Callable, Protocol, TypeVar

import numpy as np
from PIL import Image

from veriscene.errors import MissingExtra
from veriscene.option_names import option


@dataclass(frozen=True)
class Detection:
    """One detected object: its class name, xyxy box in pixels and score. `problem`: why an entry
    the model gave cannot be an object (no label, no box): the pipeline reports it as a rejected
    object of its image and keeps the rest."""

    name: str
    box: tuple[float, float, float, float]
    score: float
    problem: str | None = None


class Detector(Protocol):
    def __call__(self, image: Image.Image) -> list[Detection]: ...


class Segmenter(Protocol):
    def __call__(self, image: Image.Image, boxes: list[tuple[float, float, float, float]]) -> list[np.ndarray]:
        """One (H, W) bool mask per xyxy box: the object the box holds."""
        ...


class DepthEstimator(Protocol):
    def __call__(self, image: Image.Image) -> np.ndarray:
        """(H, W) relative depth of the image's pixels, **smaller = closer**."""
        ...


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingExtra("a model stage", "ml", "torch, transformers") from None
    return torch


def _load(kind: str, path: str | os.PathLike[str], device: str,
          processor: str = "AutoImageProcessor") -> tuple[Any, Any]:
    model_kind(kind, path)  # a model of another kind is refused by name, before its weights are read
    import transformers

    auto = getattr(transformers, kind)
    try:
        processor = getattr(transformers, processor).from_pretrained(str(path), local_files_only=True)
        model = auto.from_pretrained(str(path), local_files_only=True)
    except OSError as exc:
        raise FileNotFoundError(f"{path}: cannot load a model from it (a local folder or cached model "
                                f"id is needed; nothing is downloaded): {exc}"[:500]) from None
    return processor, model.to(device).eval()


def model_kind(auto: str, path: str | os.PathLike[str]) -> str:
    """The class `auto` (``"AutoModelForObjectDetection"``, ...) loads from `path`, read from the
    folder's config alone (no weights are read)."""
    _torch()
    import transformers

    folder = os.fspath(path)
    if os.path.isdir(folder) and not os.path.isfile(os.path.join(folder, "config.json")):
        # transformers says "Unrecognized model in DIR. Should have a `model_type` key in its config.json"
        raise FileNotFoundError(f"{path}: no config.json in this folder: a model saved with its config, weights and "
                                "processor is needed (save_pretrained, or `huggingface-cli download ID --local-dir "
                                f"{path}`); nothing is downloaded at run time")
    try:
        config = transformers.AutoConfig.from_pretrained(folder, local_files_only=True)
    except OSError as exc:
        if not os.path.exists(folder):  # transformers' words ask to check the internet connection: none is used
            raise FileNotFoundError(
                f"{path}: no such folder, nor a model of that id in the local Hugging Face cache: nothing is "
                "downloaded at run time; fetch the model once beforehand (`huggingface-cli download ID --local-dir "
                "models/NAME`) and give its folder") from None
        raise FileNotFoundError(f"{path}: cannot read a model's config from it (a local folder or cached model "
                                f"id is needed; nothing is downloaded): {exc}"[:500]) from None
    try:
        return getattr(transformers, auto)._model_mapping[type(config)].__name__
    except KeyError:
        raise ValueError(f"{path}: a {config.model_type!r} model cannot be loaded as {auto}"
                         + (f"; {wanted(auto)}" if auto in WANTED else "")) from None


# what each stage takes, as the command's options (or annotate()'s arguments) say it: {detector}
# is "--detector" or "detector", as the caller gave it (`option_names`)
WANTED = {"AutoModelForObjectDetection": "{detector} takes an object-detection model (DETR, Deformable DETR, "
                                         "YOLOS, RT-DETR, ...)",
          "AutoModelForZeroShotObjectDetection": "with {names}, {detector} takes an open-vocabulary detector "
                                                 "(OWL-ViT, OWLv2, Grounding DINO): leave {names} out for a "
                                                 "detector of fixed classes",
          "AutoModelForMaskGeneration": "{segmenter} takes a promptable mask model (SAM, SAM-HQ, ...)",
          "AutoModelForDepthEstimation": "{depth} takes a depth model (DPT, GLPN, Depth Anything, ...)"}


def wanted(auto: str) -> str:
    """What the stage loading an `auto` model takes (`WANTED`), in the caller's names."""
    return WANTED[auto].format(**{name: option(name, f"--{name}") for name in ("detector", "names", "segmenter",
                                                                             "depth")})


S = TypeVar("S", bound="TransformersStage")


class TransformersStage:
    """What the transformers stages share: their model loaded now, or later on a device (`on`)."""

    AUTO = ""  # the transformers auto class of the model
    PROCESSOR = "AutoImageProcessor"
    path: str
    device: str
    processor: Any
    model: Any
    kind: str  # the model's class name

    def _attach(self, device: str, load: bool) -> None:
        self.device = device
        if load:
            self.processor, self.model = _load(self.AUTO, self.path, device, processor=self.PROCESSOR)
            self.kind = type(self.model).__name__
            self._loaded()
        else:
            self.processor = self.model = None
            self.kind = model_kind(self.AUTO, self.path)

    def _loaded(self) -> None:
        """Take up what the model and processor just loaded tell."""

    @property
    def loaded(self) -> bool:
        return self.model is not None

    def _ready(self) -> None:
        if self.model is None:
            raise RuntimeError(f"the model of {self.path} is not loaded (made with load=False): use the stage's "
                               ".on(device)")

    def on(self: S, device: str) -> S:
        """A copy of this stage with its model loaded on `device` (this one is left as it is)."""
        stage = object.__new__(type(self))  # not copy.copy: it would pack the model as a pickle does
        stage.__dict__.update(self.__dict__)
        stage._attach(device, True)
        return stage

    # A pickled model (Ray's object store, spawned workers) goes as its class, config and weights and
    # is built again: pickled whole, a transformers model that has run keeps hooks tied to this
    # process (its output-capturing context variables), and DPT's then gets no hidden states
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self.model is not None:
            weights = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
            state["model"] = _Packed(type(self.model), self.model.config, weights)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        packed = state["model"]
        if isinstance(packed, _Packed):
            model = packed.cls(packed.config)
            model.load_state_dict(packed.weights)
            state["model"] = model.to(state["device"]).eval()
        self.__dict__.update(state)


@dataclass(frozen=True)
class _Packed:
    """A transformers model as a pickle carries it (`TransformersStage.__getstate__`)."""

    cls: type
    config: Any
    weights: dict[str, Any]  # its state dict, on the CPU


class TransformersDetector(TransformersStage):
    """A `Detector`: a transformers object-detection model from a local folder. Detections with a
    score of at least `threshold` are kept, best first, at most `max_objects` of them."""

    AUTO = "AutoModelForObjectDetection"

    def __init__(self, path: str | os.PathLike[str], *, threshold: float = 0.5, max_objects: int = 50,
                 device: str = "cpu", load: bool = True) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.path, self.threshold, self.max_objects = str(path), threshold, max_objects
        self.labels: dict[int, str] = {}
        self._attach(device, load)

    def _loaded(self) -> None:
        self.labels = {int(k): v for k, v in self.model.config.id2label.items()}

    def describe(self) -> dict[str, Any]:
        return {"model": self.path, "kind": self.kind, "threshold": self.threshold, "max_objects": self.max_objects}

    def __call__(self, image: Image.Image) -> list[Detection]:
        return self.batch([image])[0]

    def batch(self, images: list[Image.Image]) -> list[list[Detection]]:
        """The detections of several images, through the model at once."""
        self._ready()
        inputs = self.processor(images=images, return_tensors="pt").to(self.device)
        with _torch().no_grad():  # local: the caller's autograd state is left alone
            outputs = self.model(**inputs)
        sizes = [(image.height, image.width) for image in images]
        return [self._kept(found["scores"].tolist(), found["boxes"].tolist(),
                           [self.labels.get(k, str(k)) for k in found["labels"].tolist()])
                for found in self.processor.post_process_object_detection(outputs, threshold=self.threshold,
                                                                           target_sizes=sizes)]

    def _kept(self, scores: list[float], boxes: list[list[float]], names: list[str]) -> list[Detection]:
        order = sorted(range(len(scores)), key=lambda k: -scores[k])[: self.max_objects]
        kept: list[Detection] = []
        for k in order:
            x0, y0, x1, y1 = boxes[k]  # the post-processor's boxes are xyxy
            kept.append(Detection(names[k], (x0, y0, x1, y1), scores[k]))
        return kept


class OpenVocabularyDetector(TransformersDetector):
    """A `Detector` that looks for the given `names`: a transformers zero-shot (open-vocabulary)
    detection model from a local folder (OWL-ViT, OWLv2, Grounding DINO), prompted with the names.
    A detection whose text is none of the names (Grounding DINO may join words) is dropped."""

    AUTO = "AutoModelForZeroShotObjectDetection"
    PROCESSOR = "AutoProcessor"

    def __init__(self, path: str | os.PathLike[str], names: list[str], *, threshold: float = 0.3,
                 max_objects: int = 50, device: str = "cpu", load: bool = True) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
        self.names = [n.strip() for n in names if n.strip()]
        if not self.names:
            raise ValueError("an open-vocabulary detector needs at least one name to look for")
        self.path, self.threshold, self.max_objects = str(path), threshold, max_objects
        self.labels = {}
        self._needs_ids = False
        self._attach(device, load)

    def _loaded(self) -> None:
        post = self.processor.post_process_grounded_object_detection
        self._needs_ids = "input_ids" in inspect.signature(post).parameters  # Grounding DINO's

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "names": list(self.names)}

    def batch(self, images: list[Image.Image]) -> list[list[Detection]]:
        self._ready()
        inputs = self.processor(text=[self.names] * len(images), images=images, padding=True,
                                return_tensors="pt").to(self.device)
        with _torch().no_grad():
            outputs = self.model(**inputs)
        extra = {"input_ids": inputs["input_ids"]} if self._needs_ids else {}
        results = self.processor.post_process_grounded_object_detection(
            outputs, threshold=self.threshold, target_sizes=[(image.height, image.width) for image in images],
            text_labels=[self.names] * len(images), **extra)
        wanted = set(self.names)
        out = []
        for found in results:
            texts = [str(t).strip() for t in found["text_labels"]]
            keep = [k for k in range(len(texts)) if texts[k] in wanted]
            scores, boxes = found["scores"].tolist(), found["boxes"].tolist()
            out.append(self._kept([scores[k] for k in keep], [boxes[k] for k in keep], [texts[k] for k in keep]))
        return out


class TransformersSegmenter(TransformersStage):
    """A `Segmenter`: a transformers promptable mask model (SAM, SAM-HQ, ...) from a local folder,
    prompted with each object's box; the mask it scores best per box."""

    AUTO = "AutoModelForMaskGeneration"
    PROCESSOR = "AutoProcessor"

    def __init__(self, path: str | os.PathLike[str], *, device: str = "cpu", load: bool = True) -> None:
        self.path = str(path)
        self._attach(device, load)

    def describe(self) -> dict[str, Any]:
        return {"model": self.path, "kind": self.kind}

    def __call__(self, image: Image.Image, boxes: list[tuple[float, float, float, float]]) -> list[np.ndarray]:
        return self.batch([image], [boxes])[0]

    def batch(self, images: list[Image.Image], boxes: list[list[tuple[float, float, float, float]]]
              ) -> list[list[np.ndarray]]:
        """The masks of several images' boxes, through the model at once. Images with fewer boxes
        than the most are padded with copies of their first box, whose masks are left out."""
        self._ready()
        asked = [k for k in range(len(images)) if boxes[k]]
        out: list[list[np.ndarray]] = [[] for _ in images]
        if not asked:
            return out
        most = max(len(boxes[k]) for k in asked)
        prompts = [[list(b) for b in boxes[k]] + [list(boxes[k][0])] * (most - len(boxes[k])) for k in asked]
        inputs = self.processor(images=[images[k] for k in asked], input_boxes=prompts, return_tensors="pt")
        with _torch().no_grad():
            outputs = self.model(**inputs.to(self.device))
        best = outputs.iou_scores.argmax(dim=-1)  # (images, boxes): the best of each box's masks
        masks = self.processor.image_processor.post_process_masks(
            outputs.pred_masks.cpu(), inputs["original_sizes"].cpu(), inputs["reshaped_input_sizes"].cpu())
        for i, k in enumerate(asked):
            out[k] = [masks[i][j, int(best[i, j])].numpy().astype(bool) for j in range(len(boxes[k]))]
        return out


class TransformersDepth(TransformersStage):
    """A `DepthEstimator`: a transformers depth model from a local folder, resized to the image.
    Most such models (DPT, Depth Anything) predict inverse depth, larger = closer: with
    `larger_is_closer` (the default) the map is flipped (its maximum minus it) so that smaller is
    closer, as scenes keep depth."""

    AUTO = "AutoModelForDepthEstimation"

    def __init__(self, path: str | os.PathLike[str], *, larger_is_closer: bool = True, device: str = "cpu",
                 load: bool = True) -> None:
        self.path, self.larger_is_closer = str(path), larger_is_closer
        self._attach(device, load)

    def describe(self) -> dict[str, Any]:
        return {"model": self.path, "kind": self.kind, "larger_is_closer": self.larger_is_closer}

    def __call__(self, image: Image.Image) -> np.ndarray:
        return self.batch([image])[0]

    def batch(self, images: list[Image.Image]) -> list[np.ndarray]:
        """The depth maps of several images, through the model at once."""
        torch = _torch()
        self._ready()
        inputs = self.processor(images=images, return_tensors="pt").to(self.device)
        out = []
        with torch.no_grad():
            predicted = self.model(**inputs).predicted_depth  # (n, h, w)
            for k, image in enumerate(images):
                resized = torch.nn.functional.interpolate(predicted[k: k + 1, None].float(),
                                                          size=(image.height, image.width),
                                                          mode="bilinear", align_corners=False)[0, 0]
                depth = resized.cpu().numpy().astype(np.float64)
                out.append(depth.max() - depth if self.larger_is_closer else depth)
        return out


def describe(stage: Callable[..., Any] | None) -> dict[str, Any] | str | None:
    """What a stage is, for the scenes' provenance: its own description, else its type's name."""
    if stage is None:
        return None
    own = getattr(stage, "describe", None)
    return own() if callable(own) else type(stage).__name__
