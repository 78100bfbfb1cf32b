"""Transformers stages that travel to workers as a pickle (Ray's object store, spawned processes):
the model is built again from its class, config and weights, and answers as the original does."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from veriscene.annotate import TransformersDepth, TransformersDetector, TransformersSegmenter, annotate

from .test_parallel import same_files
from .test_pipeline import draw_scene


@pytest.mark.parametrize("kind", ["detector", "segmenter", "depth"])
def test_a_pickled_stage_that_has_run_answers_as_the_original(tmp_path: Path, kind: str,
                                                                tiny_models: tuple[Path, Path, Path]) -> None:
    detr, dpt, sam = tiny_models
    draw_scene(tmp_path / "p.png")
    image = Image.open(tmp_path / "p.png").convert("RGB")
    stage, ask = {"detector": (TransformersDetector(detr, threshold=0.0), lambda s: [d.box for d in s(image)]),
                  "segmenter": (TransformersSegmenter(sam), lambda s: s(image, [(4.0, 4.0, 40.0, 30.0)])),
                  "depth": (TransformersDepth(dpt), lambda s: s(image))}[kind]
    before = ask(stage)  # a model that has run: transformers hooked its layers then
    shipped = pickle.loads(pickle.dumps(stage))
    assert shipped.kind == stage.kind and shipped.model is not stage.model
    np.testing.assert_array_equal(np.asarray(ask(shipped)), np.asarray(before))


def test_ray_workers_run_a_depth_and_a_mask_model_as_local_ones(tmp_path: Path, tiny_models: tuple[Path, Path, Path],
                                                                  local_ray: Any) -> None:
    """(on the tests' shared local Ray of 2 CPUs, kept up from the Ray test before it: the stages
    travel through its object store as through a Ray of the run's own, which test_verify's and
    test_plugins' runs start and stop)"""
    detr, dpt, sam = tiny_models
    for k in range(4):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    kw = dict(detector=detr, depth=dpt, segmenter=sam, threshold=0.0, max_objects=3, threads=1, workers=2)
    local = annotate(tmp_path / "photos", tmp_path / "local" / "scenes.jsonl", **kw)
    # every image was rejected (DPT got no hidden states) and the run stopped, before
    on_ray = annotate(tmp_path / "photos", tmp_path / "ray" / "scenes.jsonl", backend="ray", **kw)
    assert local.scenes_written == on_ray.scenes_written == 4
    assert same_files(tmp_path / "local", tmp_path / "ray")


@pytest.mark.parametrize(("option", "wanted"), [
    # (annotate's Python names to a Python caller, `option_names`)
    ("names", "with names, detector takes an open-vocabulary detector (OWL-ViT, OWLv2, Grounding DINO)"),
    ("segmenter", "segmenter takes a promptable mask model"),
    ("depth", "depth takes a depth model"),
])
def test_a_model_of_another_kind_is_refused_saying_what_the_option_takes(
        tmp_path: Path, tiny_models: tuple[Path, Path, Path], option: str, wanted: str) -> None:
    detr, _, _ = tiny_models
    draw_scene(tmp_path / "photos" / "p.png")
    given = {"names": dict(names=["cup"]), "segmenter": dict(segmenter=detr), "depth": dict(depth=detr)}[option]
    # transformers' own "Unrecognized configuration class ..." before, or DPT's name for a detector
    with pytest.raises(ValueError, match=f"a 'detr' model cannot be loaded as .*; {re.escape(wanted)}"):
        annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=detr, **given)
