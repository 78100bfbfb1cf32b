"""The sample record as a plain dict."""

import orjson

from veriscene.sample import SAMPLE_FIELDS, Sample, sample_id


def _sample() -> Sample:
    program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "count", "inputs": [0], "args": []}]
    return Sample(
        id=sample_id("object.count.v1", ["img"], program, "default.0", "How many objects?"),
        task="object.count.v1", family="counting", images=[{"id": "img", "path": None}],
        question="How many objects?", answer=3, answer_type="int", choices=None, program=program,
        template_id="default.0", generator_version=1, seed=7, meta={"mode": "qa"},
    )


def test_to_dict_has_every_field_in_order_and_round_trips() -> None:
    sample = _sample()
    record = sample.to_dict()
    assert tuple(record) == SAMPLE_FIELDS
    assert Sample.from_dict(orjson.loads(orjson.dumps(record))) == sample


def test_to_dict_is_shallow() -> None:
    sample = _sample()
    assert sample.to_dict()["program"] is sample.program


def test_orjson_writes_the_dataclass_as_its_record() -> None:
    # shards write `orjson.dumps(sample)`: the same bytes as the record dict, fields in order
    sample = _sample()
    assert orjson.dumps(sample) == orjson.dumps(sample.to_dict())


def test_sample_of_is_the_same_record_as_the_constructor() -> None:
    """`Sample.of` (the runner's faster path) gives the record `Sample(...)` gives: equal, the
    same fields in the same order, the same bytes written, and still frozen."""
    import dataclasses

    import pytest

    fields = dict(id="abc", task="object.count.v1", family="counting", images=[{"id": "img1", "path": None}],
                  question="How many dogs?", answer=2, answer_type="int", choices=None,
                  program=[{"op": "scene"}], template_id="count.0", generator_version=1, seed=7,
                  meta={"mode": "qa"})
    made, built = Sample.of(**fields), Sample(**fields)
    assert made == built and made.to_dict() == built.to_dict()
    assert list(vars(made)) == list(SAMPLE_FIELDS) == list(vars(built))
    assert orjson.dumps(made.to_dict()) == orjson.dumps(built.to_dict())
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.answer = 3  # type: ignore[misc]


def test_from_dict_names_what_is_no_record() -> None:
    """Before: `from_dict(None)` raised "argument of type 'NoneType' is not iterable", and a text
    or a list was "missing fields [every field]"."""
    import pytest

    record = dict(id="abc", task="object.count.v1", family="counting", images=[{"id": "img1", "path": None}],
                  question="How many dogs?", answer=2, answer_type="int", choices=None,
                  program=[{"op": "scene"}], template_id="count.0", generator_version=1, seed=7, meta={"mode": "qa"})
    for given, hint in ((None, ""), (3, ""), ([], ""), (orjson.dumps(record), (" (decode the line first: "
                                                                              "orjson.loads(line))")),
                        (Sample(**record), " (it is one already)")):
        with pytest.raises(TypeError) as info:
            Sample.from_dict(given)  # type: ignore[arg-type]
        assert str(info.value) == (f"a sample record must be a dict of the fields {', '.join(SAMPLE_FIELDS)}; got "
                                   f"{type(given).__name__}{hint}")
    with pytest.raises(ValueError, match="sample record field 'meta' must be an object or null, got 3"):
        Sample.from_dict(record | {"meta": 3})  # before: taken, and `.mode` raised AttributeError
    assert Sample.from_dict(record | {"meta": None}).mode == "qa"
    assert Sample.from_dict(record).to_dict() == record
