"""The LLM extractor's relations said of more than one noun ("a man on a motorcycle next to a bus":
the man or the motorcycle may be next to the bus): the model's JSON lists them in "subjects",
read into `Claim.alternatives` as the rule extractor gives them, and scored by the reading most
favourable to the reply; a malformed "subjects" rejects the reply, naming the field."""

from __future__ import annotations

import orjson
import pytest

from veriscene.evaluate.adapters import FunctionModel
from veriscene.evaluate.adapters.base import Request
from veriscene.evaluate.freeform import score_freeform, score_texts
from veriscene.evaluate.freeform.claims import Claim, Mention
from veriscene.evaluate.freeform.llm_claims import INSTRUCTION, LLMExtractor, parse_claims
from veriscene.scene.model import Scene

_NEXT_TO_BUS = {"predicate": "next to", "object": {"name": "bus"}}


def _relations(rel: dict) -> list[Claim]:
    claims = parse_claims(orjson.dumps({"relations": [rel]}).decode())
    assert claims is not None
    return claims


@pytest.mark.parametrize(("rel", "subject", "alternatives"), [
    # names, the subject among them (first)
    ({"subject": {"name": "man"}, "subjects": ["man", "motorcycle"]}, "man", ("motorcycle",)),
    # objects as "subject" is, attributes kept; a repeat said once
    ({"subject": {"name": "Man"}, "subjects": [{"name": "man"}, {"name": "Motorcycle", "attributes": ["Red"]},
                                                "motorcycle", {"name": "motorcycle", "attributes": ["red"]}]},
     "man", ("red motorcycle", "motorcycle")),
    # "subjects" alone: the first is the subject
    ({"subjects": ["cup", "table", "chair"]}, "cup", ("table", "chair")),
    # the subject not among them: said first, then them
    ({"subject": {"name": "man"}, "subjects": ["motorcycle"]}, "man", ("motorcycle",)),
    # none, null or an empty list: one subject, as before
    ({"subject": {"name": "man"}}, "man", ()),
    ({"subject": {"name": "man"}, "subjects": None}, "man", ()),
    ({"subject": {"name": "man"}, "subjects": []}, "man", ()),
])
def test_subjects_are_read_as_alternatives(rel: dict, subject: str, alternatives: tuple[str, ...]) -> None:
    (claim,) = _relations({**rel, **_NEXT_TO_BUS})
    assert claim.kind == "relation" and claim.subject == Mention(subject) and claim.object == Mention("bus")
    assert tuple(m.phrase for m in claim.alternatives) == alternatives


def test_the_claim_reads_as_the_rule_extractors() -> None:
    (claim,) = _relations({"subject": {"name": "man"}, "subjects": ["man", "motorcycle"], **_NEXT_TO_BUS,
                           "hedged": True})
    assert claim == Claim("relation", Mention("man"), predicate="next to", object=Mention("bus"), hedged=True,
                          alternatives=(Mention("motorcycle"),))
    assert claim.text == "maybe man or motorcycle next to bus"
    assert [r.subject.name for r in claim.readings()] == ["man", "motorcycle"]


@pytest.mark.parametrize(("subjects", "field", "error"), [
    ("man", "relations[1].subjects:", TypeError),
    ({"name": "man"}, "relations[1].subjects:", TypeError),
    (["man", 5], "relations[1].subjects[1]:", ValueError),
    (["man", " "], "relations[1].subjects[1]:", ValueError),
    ([{"name": ""}], "relations[1].subjects[0]:", ValueError),
    ([{"attributes": ["red"]}], "relations[1].subjects[0]:", ValueError),
    ([{"name": "man", "attributes": "red"}], "relations[1].subjects[0].attributes:", TypeError),
])
def test_a_malformed_subjects_is_an_error_naming_the_field(subjects: object, field: str, error: type) -> None:
    text = orjson.dumps({"relations": [{"subject": {"name": "cup"}, "predicate": "on", "object": {"name": "table"}},
                                       {"subject": {"name": "man"}, "subjects": subjects, **_NEXT_TO_BUS}]}).decode()
    with pytest.raises(error, match=r"^" + field.replace("[", r"\[").replace("]", r"\]")) as info:
        parse_claims(text)
    assert "got " in str(info.value)


def test_the_instruction_asks_for_subjects() -> None:
    assert '"subjects"' in INSTRUCTION and '["man", "motorcycle"]' in INSTRUCTION


# man on the motorcycle, the motorcycle next to the bus (annotated); the man far from the bus
_STREET = Scene.from_objects("street", 800, 600, [
    {"name": "man", "box": [100, 60, 150, 200]},
    {"name": "motorcycle", "box": [60, 180, 420, 300]},
    {"name": "bus", "box": [430, 100, 780, 320]},
], relations=[(0, "on", 1), (1, "next to", 2)])


def _model(relations: list[dict]) -> FunctionModel:
    """A fake extractor model answering every description with these relations (in prose)."""
    answer = orjson.dumps({"objects": [{"name": n} for n in ("man", "motorcycle", "bus")],
                           "relations": relations}).decode()

    def reply(request: Request) -> str:
        assert request.prompt.text.startswith(INSTRUCTION)
        return f"Here are the claims:\n{answer}\n"

    return FunctionModel(reply)


def _verdicts(model: FunctionModel) -> dict[str, bool | None]:
    (score,), name, _ = score_texts([("street", "A man on a motorcycle next to a bus.")], {"street": _STREET},
                                    extractor="llm", model=model, matcher="lexical")
    assert name == "llm"
    return {c["text"]: c["supported"] for c in score.claims if c["kind"] == "relation"}


def test_the_reading_most_favourable_to_the_reply_counts() -> None:
    on = {"subject": {"name": "man"}, "predicate": "on", "object": {"name": "motorcycle"}}
    with_subjects = _model([on, {"subject": {"name": "man"}, "subjects": ["man", "motorcycle"], **_NEXT_TO_BUS}])
    assert _verdicts(with_subjects) == {"man on motorcycle": True, "man or motorcycle near bus": True}
    # the same JSON without "subjects": the man alone, far from the bus (as the rules read "A man on a
    # motorcycle, next to a bus.")
    one_subject = _model([on, {"subject": {"name": "man"}, **_NEXT_TO_BUS}])
    assert _verdicts(one_subject) == {"man on motorcycle": True, "man near bus": False}
    (score,), _, _ = score_texts([("street", "A man on a motorcycle, next to a bus.")], {"street": _STREET},
                                 matcher="lexical")
    assert {c["text"]: c["supported"] for c in score.claims if c["kind"] == "relation"} == {
        "man on motorcycle": True, "man near bus": False}


def test_a_malformed_subjects_rejects_the_reply_naming_the_field(tmp_path) -> None:
    responses = tmp_path / "replies.jsonl"
    responses.write_bytes(b"".join(orjson.dumps({"id": k, "image_id": "street", "reply": text}) + b"\n" for k, text in
                                   (("good", "A man on a motorcycle."), ("bad", "A man next to a bus."))))

    def reply(request: Request) -> str:
        if "A man next to a bus." in request.prompt.text:
            return orjson.dumps({"relations": [{"subjects": ["man", 7], **_NEXT_TO_BUS}]}).decode()
        return '{"objects": [{"name": "man"}], "relations": []}'

    report = score_freeform(responses, {"street": _STREET}, extractor="llm", model=FunctionModel(reply),
                            matcher="lexical")
    assert [r["id"] for r in report.records] == ["good"]
    assert report.rejected == [{"line": 2, "id": "bad", "reason": "the claim extractor gave no readable answer: its "
                                "JSON's relations[0].subjects[1]: expected a name or an object "
                                '{"name": "<noun>", "attributes": [...]}, got 7'}]


def test_failures_count_malformed_answers() -> None:
    def reply(request: Request) -> str:
        if "bad" in request.prompt.text:
            return '{"relations": [{"subjects": "man", "predicate": "near", "object": {"name": "bus"}}]}'
        return "no JSON here" if "none" in request.prompt.text else '{"objects": [{"name": "man"}]}'

    extractor = LLMExtractor(FunctionModel(reply))
    good, bad, none = extractor.extract_many(["good", "bad", "none"])
    assert good == [Claim("entity", Mention("man"))] and none is None
    assert bad is not None and not isinstance(bad, list)
    assert bad.reason.startswith("its JSON's relations[0].subjects: expected a list")
    assert extractor.failures == 2
