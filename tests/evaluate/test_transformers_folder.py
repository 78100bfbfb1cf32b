"""`hf:PATH` names what is wrong with PATH (helper-197: a Hub name or a folder that does not exist
was said as "no config.json in that folder")."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("transformers")

from veriscene.evaluate.adapters.base import ModelConfigError
from veriscene.evaluate.adapters.transformers_local import TransformersModel


def test_a_folder_that_does_not_exist_is_said_so_with_how_to_fetch_a_hub_model(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError) as caught:
        TransformersModel._load("Qwen/Qwen2-VL-2B-Instruct", None)
    said = str(caught.value)
    assert said.startswith("hf:Qwen/Qwen2-VL-2B-Instruct: no such folder (hf: takes a local model folder")
    assert "`hf download Qwen/Qwen2-VL-2B-Instruct --local-dir models/Qwen2-VL-2B-Instruct`" in said


def test_a_missing_local_path_is_not_offered_as_a_hub_name(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError) as caught:
        TransformersModel._load(str(tmp_path / "llava-tiny"), None)
    assert str(caught.value) == (f"hf:{tmp_path / 'llava-tiny'}: no such folder (hf: takes a local model folder "
                                 "holding config.json and the weights; nothing is downloaded)")


def test_a_folder_without_config_json_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(ModelConfigError, match="no config.json in that folder"):
        TransformersModel._load(str(tmp_path), None)
