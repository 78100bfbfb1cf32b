"""The run manifest: what a resume with another configuration is told, and manifests refused."""

from pathlib import Path

import pytest

from veriscene.engine.manifest import ResumeMismatchError, check_resume, config_key, read_manifest


def test_a_resume_mismatch_names_every_key_in_full_and_cuts_values_with_an_ellipsis(tmp_path) -> None:
    old = {"seed": 0, "generators": {"grounding.refexp.v1": {"config": {"box_format": "norm1", "num_choices": 4,
                                                                        "per_scene": 1, "max_others": 3}}}}
    new = {"seed": 5, "generators": {"grounding.refexp.v1": {"config": {"box_format": "norm1000", "num_choices": 3,
                                                                        "per_scene": 2, "max_others": 3}}}}
    with pytest.raises(ResumeMismatchError) as info:
        check_resume({"config": old}, new, tmp_path)
    said = str(info.value)
    assert "seed: 0 -> 5" in said and "generators.grounding.refexp.v1.config.box_format: 'norm1' -> 'norm1000'" in said
    long_old, long_new = {"scenes": [{"path": f"part-{i}.jsonl"} for i in range(40)]}, {"scenes": []}
    with pytest.raises(ResumeMismatchError) as info:
        check_resume({"config": long_old}, long_new, tmp_path)
    said = str(info.value)
    assert "scenes: [{'path': 'part-0.jsonl'}, {'path': 'part-1.jsonl'}, ... -> []" in said  # at a comma
    assert "part-2" not in said


@pytest.mark.parametrize("text", [b"[]", b"3", b'{"status": "running"}'])
def test_a_manifest_that_is_not_a_run_manifest_is_said(tmp_path: Path, text: bytes) -> None:
    (tmp_path / "manifest.json").write_bytes(text)
    with pytest.raises(ValueError, match="manifest.json is not a run manifest .*--overwrite"):
        read_manifest(tmp_path)


def test_a_config_beyond_64_bit_integers_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot be recorded in its manifest"):
        config_key({"seed": 2**70})
