"""--families of no sample's family or generator: the hint's example is a generator of the file, not
"counting.*", which selected none of the counting family's object.count.v1 (helper-211)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.evaluate.inputs import index_samples

from .conftest import samples


def test_the_hint_names_a_generator_of_the_file(demo_run: Path) -> None:
    first = min(s["task"] for s in samples(demo_run))
    with pytest.raises(KeyError) as caught:
        index_samples(demo_run).choose(families="nosuch")
    said = str(caught.value.args[0])
    assert said.endswith(f"(or generator names, globs allowed, e.g. {'.'.join(first.split('.')[:2])}.*)"), said
    assert index_samples(demo_run).choose(families="counting.*").size < len(
        [s for s in samples(demo_run) if s["family"] == "counting"])  # (why the old example misled)
