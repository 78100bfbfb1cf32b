"""VQAEnv(freeform=True): descriptions, region descriptions and comparison captions rewarded by
eval's combined score against the run's scene graphs (`rewards.freeform`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.rewards.env import VQAEnv
from veriscene.rewards.freeform import FreeformScorer, is_freeform

TASKS = ["scene_graph.caption.v1", "region.describe.v1", "multi.compare_caption.v1"]


@pytest.fixture(scope="module")
def env(demo_run: Path) -> VQAEnv:
    return VQAEnv(demo_run, max_images=2, max_attempts=3, tasks=TASKS, freeform=True)


def test_free_form_samples_shown_only_when_asked(demo_run: Path, env: VQAEnv) -> None:
    tasks = {s["task"] for s in env.samples}
    assert tasks == set(TASKS)
    assert {s["task"] for s in env.samples if is_freeform(s)} == set(TASKS)  # (beside multiple-choice ones)
    plain = VQAEnv(demo_run, max_images=2)
    assert not any(is_freeform(s) for s in plain.samples)
    assert plain.why_left_out(env.samples[0]["id"]) == "free-form text answers"


def test_a_description_is_rewarded_and_ends_the_episode(env: VQAEnv) -> None:
    scorer = env.freeform
    assert scorer is not None
    for k in [k for k, s in enumerate(env.samples) if is_freeform(s)][:9]:
        sample = env.samples[k]
        env.reset(options={"index": k})
        _, reward, terminated, truncated, info = env.step(f"<answer>{sample['answer']}</answer>")
        assert terminated and not truncated and reward > 0.9
        assert reward == pytest.approx(scorer.score(sample["answer"], sample_id=sample["id"]).reward)
        assert info["action"] == "answer" and info["parsed"]["hallucinations"] == []
        env.reset(options={"index": k})
        _, wrong, terminated, _, info = env.step("There is a dog next to a car.")
        assert terminated and wrong == 0.0 and info["parsed"]["hallucinations"]  # one attempt, of three


def test_finish_scores_a_description(env: VQAEnv) -> None:
    k = next(k for k, s in enumerate(env.samples) if is_freeform(s))
    env.reset(options={"index": k})
    _, reward, terminated, _, _ = env.finish(env.samples[k]["answer"])
    assert terminated and reward > 0.9


def test_freeform_arguments_checked(demo_run: Path, demo_samples: list[dict]) -> None:
    with pytest.raises(ValueError, match="freeform=True"):
        VQAEnv(demo_run, freeform_matcher="minilm")
    with pytest.raises(ValueError, match="FreeformScorer"):
        VQAEnv(samples=demo_samples, image_root=demo_run, freeform=True)
    with pytest.raises(TypeError, match="freeform must be"):
        VQAEnv(demo_run, freeform="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lexical, minilm, auto"):
        VQAEnv(demo_run, freeform=True, freeform_matcher="minlm")
    # samples in memory, with a scorer of their run
    given = VQAEnv(samples=demo_samples, image_root=demo_run, freeform=FreeformScorer(demo_run),
                   tasks=TASKS)
    assert len(given.samples) == len(VQAEnv(demo_run, tasks=TASKS, freeform=True).samples)
