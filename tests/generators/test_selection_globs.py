"""`-g` globs over family names as well as generator names, and the plugin hint kept for a name
close to none (helper-201)."""

from __future__ import annotations

from pathlib import Path

import pytest

import veriscene
from veriscene.engine.options import no_plugins_hint
from veriscene.generators.registry import GENERATORS, UnknownGenerator, select_generators

SCENE = '{"image_id": "a", "width": 10, "height": 10, "objects": []}\n'


def _families(pattern: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for cls in select_generators(pattern):
        out[cls.family] = out.get(cls.family, 0) + 1
    return out


@pytest.mark.parametrize("pattern, families", [
    # family names are multi_compare, multi_select, ...; generator names multi.count_compare.v1, ...
    # (multi_select: 5 with multi.marked_point.v1, which asks nothing without marks: true)
    ("multi_*", {"multi_aggregate": 7, "multi_caption": 1, "multi_compare": 6, "multi_select": 5}),
    ("multi_c*", {"multi_caption": 1, "multi_compare": 6}),
    ("multi*", {"multi_aggregate": 7, "multi_caption": 1, "multi_compare": 6, "multi_select": 5}),
    # "count*" names the counting family: object.count.v1 with counting.compare.v1
    ("count*", {"counting": 2}),
    ("seg*", {"segmentation": 3}),
])
def test_a_glob_selects_families(pattern: str, families: dict[str, int]) -> None:
    assert _families(pattern) == families


@pytest.mark.parametrize("pattern, message", [
    ("mult_c*", "no generator name or family matches the glob 'mult_c*'; did you mean multi_c*, multi_*, multi_s*?"),
    ("relaton.*", "no generator name or family matches the glob 'relaton.*'; did you mean relation.*, region.*?"),
    ("*xyzzy*", "no generator name or family matches the glob '*xyzzy*'; `veriscene generators` lists the names "
                "and families"),
])
def test_a_glob_matching_nothing_says_so(pattern: str, message: str) -> None:
    with pytest.raises(UnknownGenerator) as caught:
        select_generators(pattern)
    assert caught.value.args[0] == message
    assert all(select_generators(glob) for glob in caught.value.suggestions)


def test_close_names_leave_the_plugin_hint_out(tmp_path: Path) -> None:
    (tmp_path / "s.jsonl").write_text(SCENE)
    with pytest.raises(KeyError) as caught:
        veriscene.generate(tmp_path / "s.jsonl", tmp_path / "o", generators="relaton.exists.v1")
    assert caught.value.args[0] == ("unknown generator or family 'relaton.exists.v1'; did you mean relation.exists.v1, "
                                    "relation.region.v1, relation.subject.v1?")
    with pytest.raises(KeyError) as caught:  # nothing close: a plugin's generator, perhaps
        veriscene.generate(tmp_path / "s.jsonl", tmp_path / "o", generators="zzqq")
    assert caught.value.args[0] == f"unknown generator or family 'zzqq'; {no_plugins_hint()}"
    assert not (tmp_path / "o").exists()
    assert "relation.exists.v1" in GENERATORS
