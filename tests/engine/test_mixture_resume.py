"""A run made with a mixture resumes: its manifest records the mixture as JSON (modes a list),
which the resumed run's configuration (modes a tuple) must be compared with as recorded."""

import pytest

from veriscene import generate
from veriscene.engine.manifest import as_recorded
from veriscene.engine.runfiles import iter_sample_lines

MIXTURE = """budget: 8
modes: [qa, mc]
default_weight: 0.5
families: {counting: 2.0}
generators:
  object.count.v1: {weight: 1.0, config: {num_choices: 3}}
"""


class _Stopped(Exception):
    """Stands for a run stopped after its first shard."""


@pytest.mark.parametrize("shard_format", ["jsonl", "parquet"])
def test_mixture_run_resumes_to_the_uninterrupted_samples(tmp_path, scenes_file, shard_format) -> None:
    mixture = tmp_path / "mix.yaml"
    mixture.write_text(MIXTURE)
    options = dict(mixture=mixture, shard_size=4, shard_format=shard_format, seed=2)
    generate(scenes_file, tmp_path / "whole", **options)

    def stop(sidecar):
        raise _Stopped

    out = tmp_path / "stopped"
    with pytest.raises(_Stopped):
        generate(scenes_file, out, on_shard=stop, **options)
    resumed = generate(scenes_file, out, resume=True, **options)
    assert any("1 of 3 shard(s) kept" in note for note in resumed.notes)
    assert list(iter_sample_lines(out)) == list(iter_sample_lines(tmp_path / "whole"))
    # and the finished run resumes as finished
    again = generate(scenes_file, out, resume=True, **options)
    assert any("the run had finished" in note for note in again.notes)


def test_as_recorded_is_the_manifest_json() -> None:
    assert as_recorded({"mixture": {"modes": ("qa", "mc"), "configs": {"a": {"sides": (1, 2)}}}, "seed": 3}) == \
        {"mixture": {"modes": ["qa", "mc"], "configs": {"a": {"sides": [1, 2]}}}, "seed": 3}


def test_a_mixture_given_as_a_dict_is_the_file_s_run(tmp_path, scenes_file) -> None:
    """A notebook gives the mixture as a dict, the content of the YAML file (before: TypeError, a
    file or a Mixture only), checked as the file is."""
    import yaml

    from veriscene.generators.mixture import MixtureError

    mixture = tmp_path / "mix.yaml"
    mixture.write_text(MIXTURE)
    generate(scenes_file, tmp_path / "file", mixture=mixture, seed=2)
    generate(scenes_file, tmp_path / "dict", mixture=yaml.safe_load(MIXTURE), seed=2)
    assert list(iter_sample_lines(tmp_path / "dict")) == list(iter_sample_lines(tmp_path / "file"))
    with pytest.raises(MixtureError, match=r"^mixture, key 'default_weigth': unknown key; .*did you mean "
                                           r"'default_weight'\?"):
        generate(scenes_file, tmp_path / "typo", mixture={"budget": 8, "default_weigth": 0.5})
    assert not (tmp_path / "typo").exists()
