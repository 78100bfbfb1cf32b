"""Claims read from a chat model's JSON (`parse_claims`): the JSON found inside prose, every
object and relation it lists, and anything malformed left out rather than read wrong."""

from __future__ import annotations

from veriscene.evaluate.freeform.claims import Claim, Mention
from veriscene.evaluate.freeform.llm_claims import parse_claims


def test_objects_and_relations_are_read_from_json_inside_prose() -> None:
    text = """Sure, here it is:
    {"objects": [{"name": "Cube", "attributes": ["Red", " "], "count": 2}],
     "relations": [{"subject": {"name": "cube"}, "predicate": "Left of ", "object": {"name": "sphere"}}]}
    Hope this helps."""
    claims = parse_claims(text)
    assert claims == [
        Claim("entity", Mention("cube")),
        Claim("attribute", Mention("cube", ("red",), 2), attribute="red"),
        Claim("count", Mention("cube", ("red",), 2), count=2),
        Claim("relation", Mention("cube"), predicate="left of", object=Mention("sphere")),
    ]


def test_a_count_that_is_not_a_whole_number_of_at_least_0_is_no_count_claim() -> None:
    """`true` is no count, though Python reads a bool as an int (it used to count 1)."""
    for count in ("true", "-1", "1.5", '"2"', "null"):
        claims = parse_claims('{"objects": [{"name": "cube", "count": %s}]}' % count)
        assert claims == [Claim("entity", Mention("cube"))], count


def test_malformed_parts_are_left_out() -> None:
    claims = parse_claims('{"objects": [5, {"name": ""}, {"attributes": ["red"]}, {"name": "cone"}],'
                          ' "relations": [{"subject": {"name": "cone"}, "object": {"name": "cube"}},'
                          ' {"subject": "cone", "predicate": "near", "object": {"name": "cube"}}, 7]}')
    assert claims == [Claim("entity", Mention("cone"))]


def test_no_json_object_is_none() -> None:
    assert parse_claims("There is a red cube.") is None
    assert parse_claims("{not json}") is None
    assert parse_claims("[1, 2]") is None


def test_hedged_objects_and_relations_give_hedged_claims() -> None:
    claims = parse_claims('{"objects": [{"name": "dog", "hedged": true}, {"name": "cat", "hedged": "yes"}],'
                          ' "relations": [{"subject": {"name": "dog"}, "predicate": "near", "object": {"name": "cat"},'
                          ' "hedged": true}]}')
    assert claims is not None
    assert [c.text for c in claims] == ["maybe dog", "cat", "maybe dog near cat"]
