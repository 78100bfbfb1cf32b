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


def test_identified_is_the_id_and_the_programs_json() -> None:
    """`identified` (and `sample_id`, made by it) gives the BLAKE2b of the record's JSON, written
    whole (the program's JSON put in as it is gives the same bytes), and `orjson.dumps(program)`,
    for programs of every kind of JSON value."""
    import hashlib

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from veriscene.sample import identified

    values = st.recursive(st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False)
                          | st.text(), lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(), inner, max_size=3), max_leaves=8)
    nodes = st.lists(st.fixed_dictionaries({"op": st.text(), "inputs": st.lists(st.integers(0, 9)), "args": values}))

    @settings(max_examples=200, deadline=None)
    @given(st.text(), st.lists(st.text(), min_size=1, max_size=3), nodes, st.text(), st.text())
    def check(task: str, ids: list[str], program: list[dict[str, object]], template: str, question: str) -> None:
        whole = hashlib.blake2b(orjson.dumps([task, ids, program, template, question]), digest_size=12).hexdigest()
        assert identified(task, ids, program, template, question) == (whole, orjson.dumps(program))
        assert sample_id(task, ids, program, template, question) == whole

    check()


def test_sample_line_writes_the_kept_program_json_as_the_record() -> None:
    """A sample made with its program's JSON (as the runner makes them) is written as
    `orjson.dumps(sample)` writes it, newline ended; the JSON is no field (not compared, not in
    `to_dict`, not written by orjson itself)."""
    from veriscene.sample import identified, sample_line

    built = _sample()
    sid, program_json = identified("object.count.v1", ["img"], built.program, "default.0", "How many objects?")
    made = Sample.of(**built.to_dict(), program_json=program_json)
    assert made == built and made.to_dict() == built.to_dict() and sid == built.id
    assert orjson.dumps(made) == orjson.dumps(built)
    assert sample_line(made) == sample_line(built) == orjson.dumps(built, option=orjson.OPT_APPEND_NEWLINE)
    assert list(vars(made)) == [*SAMPLE_FIELDS, "_program_json"]
    assert list(vars(built)) == list(SAMPLE_FIELDS)  # (unchanged: the line is made from the record)


def test_sample_line_writes_the_program_json_the_sample_was_made_with() -> None:
    """The JSON kept is what is written (programs are not changed after the id hashed them); a
    sample made without it is written from its fields."""
    from veriscene.sample import sample_line

    fields = _sample().to_dict()
    made = Sample.of(**fields, program_json=b'[{"op":"scene"}]')
    assert orjson.loads(sample_line(made))["program"] == [{"op": "scene"}]
    assert orjson.loads(sample_line(Sample.of(**fields)))["program"] == fields["program"]
