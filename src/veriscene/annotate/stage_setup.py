"""The stages of an annotation run from what its caller gives, by the CLI's names: model folders
(`detector`, `segmenter`, `depth`), callables, or vision-language models served by name on an
OpenAI-compatible server (`detector_model`, `attributes_model`, `relations_model` on `base_url`);
and the torch devices the models run on.

    served_stages(detector_model="Qwen/Qwen2.5-VL-7B-Instruct", base_url="http://localhost:8000/v1",
                  names=None, box_format="pixels", max_side=None, max_objects=50, ...)
    -> (VLMDetector, None, None)

A stage given as an object (`VLMAttributes(...)`, any `Detector`) is kept as it is.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from veriscene.annotate.models import (
    DepthEstimator, Detector, OpenVocabularyDetector, Segmenter, TransformersDepth, TransformersDetector,
    TransformersSegmenter,
)

# Requests to the server's models: the CLI's defaults (`--concurrency`, `--timeout`, `--max-retries`).
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_RETRIES = 6
DEFAULT_ATTRIBUTE_KINDS = ("color", "material")


def check_options(out: str | os.PathLike[str], rejects: str | os.PathLike[str] | None, *, batch_size: int,
                  max_objects: int, threshold: float, names: Any, attribute_kinds: Any, predicates: Any,
                  backend: str = "local", address: str | None = None) -> None:
    """Refuse what `annotate` cannot run with (the CLI's ranges; a text where a list is meant;
    an `out` or `rejects` that is a folder or below a file; a malformed Ray address) before any
    model or image is touched."""
    from veriscene.engine.options import check_int
    from veriscene.engine.ray_cluster import cluster_address
    from veriscene.io.convert import check_output

    if backend == "ray":
        cluster_address(address)  # Ray's own refusal came once started, without naming the option

    check_int("batch_size", batch_size, 1, 1 << 20)
    check_int("max_objects", max_objects, 1, 1 << 20)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be a number from 0 to 1, got {threshold!r}")
    for name, value in (("names", names), ("attribute_kinds", attribute_kinds), ("predicates", predicates)):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a list of words, got the text {value!r}: give "
                            f"{[w.strip() for w in value.split(',') if w.strip()]!r}")
    check_output(out, rejects)  # as given: `scenes/` names a folder (Path drops the separator)


def served_stages(*, detector: Any, detector_model: str | None, names: Sequence[str] | None, box_format: str,
                  max_side: int | None, max_objects: int, attributes_model: Any, attribute_kinds: Sequence[str],
                  relations_model: Any, predicates: Sequence[str] | None, base_url: str | None,
                  concurrency: int, timeout: float, max_retries: int) -> tuple[Any, Any, Any]:
    """(detector, attribute stage, relation stage): a model named by a string is asked on
    `base_url` (`VLMDetector`, `VLMAttributes`, `VLMRelations` over `OpenAIChatModel`); a stage
    given as an object, a model folder or None is returned as given. ValueError when there is
    not exactly one detector, or a served model has no `base_url`."""
    if (detector is None) == (detector_model is None):
        raise ValueError("give one detector: detector= (a model folder or a Detector) or detector_model= (a "
                         "vision-language model's name on base_url)")
    named = {k: v for k, v in (("detector_model", detector_model), ("attributes_model", attributes_model),
                               ("relations_model", relations_model)) if isinstance(v, str)}
    if not named:
        return detector, attributes_model, relations_model
    if not base_url:
        raise ValueError(f"{', '.join(f'{k}={v!r}' for k, v in named.items())}: a model given by name needs "
                         "base_url (the OpenAI-compatible server, e.g. http://localhost:8000/v1)")
    from veriscene.annotate.vlm import PREDICATES, VLMAttributes, VLMRelations
    from veriscene.annotate.vlm_detect import VLMDetector
    from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel

    served: dict[str, Any] = {"concurrency": concurrency, "timeout": timeout, "max_retries": max_retries}
    if isinstance(attributes_model, str):
        attributes_model = VLMAttributes(OpenAIChatModel(attributes_model, base_url, **served), list(attribute_kinds))
    if isinstance(relations_model, str):
        asked = PREDICATES if predicates is None else list(predicates)
        relations_model = VLMRelations(OpenAIChatModel(relations_model, base_url, **served), asked)
    if detector_model is not None:
        # a long list of objects takes tokens: about 30 an object
        lister = OpenAIChatModel(detector_model, base_url, **served, max_tokens=max(512, 40 * max_objects))
        detector = VLMDetector(lister, names, box_format=box_format, max_side=max_side, max_objects=max_objects)
    return detector, attributes_model, relations_model


def model_stages(detector: str | os.PathLike[str] | Detector, segmenter: str | os.PathLike[str] | Segmenter | None,
                 depth: str | os.PathLike[str] | DepthEstimator | None, names: list[str] | None, threshold: float,
                 max_objects: int, devices: list[str], workers: int, backend: str,
                 ) -> tuple[Detector, Segmenter | None, DepthEstimator | None]:
    """The stages of model folders (callables kept), loaded here when this process or the workers on the
    CPU share them; else each worker loads its own on its device (a GPU's context is not shipped)."""
    here = devices == ["cpu"] or (len(devices) == 1 and workers == 1 and backend == "local")
    on = devices[0] if here else "cpu"
    find: Detector
    if not isinstance(detector, (str, os.PathLike)):
        find = detector
    elif names:
        find = OpenVocabularyDetector(detector, names, threshold=threshold, max_objects=max_objects, device=on,
                                      load=here)
    else:
        find = TransformersDetector(detector, threshold=threshold, max_objects=max_objects, device=on, load=here)
    outline = (TransformersSegmenter(segmenter, device=on, load=here)
               if isinstance(segmenter, (str, os.PathLike)) else segmenter)
    estimate = TransformersDepth(depth, device=on, load=here) if isinstance(depth, (str, os.PathLike)) else depth
    return find, outline, estimate


def parse_devices(device: str | Sequence[str]) -> list[str]:
    """torch devices from ``"cpu"``, ``"cuda:0,cuda:1"`` or a list of them (at least one)."""
    found = [d.strip() for d in (device.split(",") if isinstance(device, str) else device) if d.strip()]
    if not found:
        raise ValueError(f"no device given in {device!r} (e.g. cpu, cuda, or cuda:0,cuda:1)")
    return found
