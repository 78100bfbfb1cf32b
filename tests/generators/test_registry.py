import pytest

from veriscene.generators import GENERATORS, Generator, get_generator, register, select_generators

# Snapshot of registered names: removing or renaming a generator must be deliberate.
EXPECTED_CORE = {
    "attribute.exists.v1", "attribute.query.v1", "counting.compare.v1", "depth.closer.v1",
    "grounding.box.v1", "object.count.v1", "object.exists.v1", "relation.exists.v1",
    "relation.query.v1", "scene_graph.caption.v1", "spatial.extreme.v1",
}
SINGLE_IMAGE = EXPECTED_CORE | {
    "attribute.count.v1", "attribute.region.v1", "depth.anchor.v1", "depth.map_points.v1",
    "depth.points.v1", "grounding.refexp.v1", "object.absent.v1", "object.extreme_among.v1", "object.frequency.v1",
    "region.describe.v1", "relation.region.v1", "relation.subject.v1", "scene_graph.multihop.v1",
    "segmentation.different_object.v1", "segmentation.point_object.v1", "segmentation.same_object.v1",
    "size.compare.v1", "spatial.relation.v1",
}


def test_snapshot_of_registered_names() -> None:
    select_generators()
    assert SINGLE_IMAGE <= set(GENERATORS)
    assert len(SINGLE_IMAGE) == 29


def test_duplicate_name_rejected() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register("object.count.v1", family="counting")(type("Dup", (Generator,), {}))


def test_name_needs_version() -> None:
    with pytest.raises(ValueError, match="must end in a version"):
        register("object.count", family="counting")


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(KeyError, match="did you mean object.count.v1"):
        get_generator("object.cont.v1")


def test_select_by_glob_family_and_list() -> None:
    assert [g.name for g in select_generators("object.*")] == [
        "object.absent.v1", "object.count.v1", "object.exists.v1", "object.extreme_among.v1", "object.frequency.v1"]
    assert {g.name for g in select_generators("relation")} == {
        "relation.exists.v1", "relation.query.v1", "relation.region.v1", "relation.subject.v1"}
    assert len(select_generators("depth.closer.v1, grounding")) == 3  # grounding.box, grounding.refexp
    with pytest.raises(KeyError):
        select_generators("nonsense.v1")


def test_a_name_without_its_version_selects_it() -> None:
    """`-g object.count` is the generator object.count.v1 (it was refused, suggesting the
    versioned name); a version that does not exist is still refused, and a name's prefix selects
    nothing of its own."""
    assert [g.name for g in select_generators("object.count")] == ["object.count.v1"]
    assert [g.name for g in select_generators("depth.closer, object.count.v1")] == ["depth.closer.v1", "object.count.v1"]
    with pytest.raises(KeyError, match="did you mean object.count.v1"):
        select_generators("object.count.v9")
    with pytest.raises(KeyError):
        select_generators("object.coun")


def test_every_generator_declares_itself() -> None:
    for cls in select_generators():
        assert cls.family and cls.answer_type and cls.templates and cls.description, cls.name
        assert all(len(t) >= 2 for t in cls.templates.values()) or cls.name.startswith("scene_graph"), cls.name
        assert set(cls.modes) <= {"qa", "mc", "caption"}
