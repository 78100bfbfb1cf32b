"""VQAEnv(max_images=K): samples of up to K images, shown as a (K, H, W, 3) stack with their count."""

from __future__ import annotations

import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import veriscene.rewards  # noqa: F401  (registers veriscene/VQA-v0)
from veriscene.answers import score_sample
from veriscene.io.writers.text import answer_text
from veriscene.rewards.env import VQAEnv
from veriscene.rewards.views import fit_view, load_rgb


def _several(env: VQAEnv, n: int | None = None) -> int:
    return next(i for i, s in enumerate(env.samples) if len(s["images"]) > 1 and (n is None or len(s["images"]) == n))


@pytest.mark.parametrize("kwargs", [{}, {"max_attempts": 2, "max_zooms": 1, "observation_size": (96, 64),
                                         "fit": "letterbox"}])
def test_passes_gymnasium_checker(demo_run: Path, kwargs: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make("veriscene/VQA-v0", run_dir=demo_run, render_mode="rgb_array", max_images=4, **kwargs)
        check_env(env.unwrapped, skip_render_check=False)


def test_samples_of_several_images_are_shown_stacked(demo_run: Path, demo_samples: list[dict]) -> None:
    single = VQAEnv(demo_run)
    env = VQAEnv(demo_run, max_images=4, observation_size=(120, 90), render_mode="rgb_array")
    several = [s for s in demo_samples if 1 < len(s["images"]) <= 4 and (s["answer_type"] != "text" or s["choices"])]
    assert several and len(env.samples) == len(single.samples) + len(several)
    assert all(len(s["images"]) == 1 for s in single.samples)
    index = _several(env, 3)
    obs, info = env.reset(options={"index": index})
    assert env.observation_space.contains(obs)
    assert obs["images"].shape == (4, 90, 120, 3) and obs["num_images"] == 3 == info["num_images"]
    assert np.array_equal(obs["images"][0], obs["image"]) and not obs["images"][3].any()
    for k in range(3):  # each image fitted alike, in the sample's order
        expected, _ = fit_view(load_rgb(env.image_path(env.sample, k)), None, (120, 90), "stretch")
        assert np.array_equal(obs["images"][k], expected)
    assert env.render().shape == (90, 360, 3)
    obs, *_ = env.reset(options={"index": next(i for i, s in enumerate(env.samples) if len(s["images"]) == 1)})
    assert obs["num_images"] == 1 and not obs["images"][1:].any()


def test_the_reward_is_the_verifier_score(demo_run: Path) -> None:
    env = VQAEnv(demo_run, max_images=4)
    for n in (2, 3, 4):
        env.reset(options={"index": _several(env, n)})
        gold = answer_text(env.sample)
        _, reward, terminated, _, info = env.step(f"<answer>{gold}</answer>")
        assert terminated and reward == score_sample(f"<answer>{gold}</answer>", env.sample).score == 1.0
        assert info["correct"]


def test_a_zoom_naming_no_image_of_several_is_refused_and_used(demo_run: Path) -> None:
    env = VQAEnv(demo_run, max_images=4, max_zooms=1)
    obs, _ = env.reset(options={"index": _several(env, 3)})
    shown = obs["images"].copy()
    obs, reward, terminated, _, info = env.step("<zoom>[0.1, 0.1, 0.5, 0.5]</zoom>")
    assert reward == 0.0 and not terminated and info["zooms_left"] == 0 and info["parse_failed"]
    assert obs["feedback"] == ('could not zoom: this sample shows 3 images: name the one to zoom into, '
                               '<zoom image="k">[x0, y0, x1, y1]</zoom> with k from 1 to 3 (Image 1 to Image 3)')
    assert np.array_equal(obs["images"], shown) and info["image_index"] == 0


@pytest.mark.parametrize("action", ['<zoom image="2">[0.5, 0.0, 1.0, 0.5]</zoom>',
                                    "<zoom image=2>[0.5, 0.0, 1.0, 0.5]</zoom>",
                                    "<ZOOM>Image 2: [0.5, 0.0, 1.0, 0.5]</ZOOM>"])
def test_a_zoom_names_its_image(demo_run: Path, action: str) -> None:
    env = VQAEnv(demo_run, max_images=4, max_zooms=2, observation_size=(120, 90), render_mode="rgb_array")
    obs, _ = env.reset(options={"index": _several(env, 3)})
    before = obs["images"].copy()
    obs, reward, terminated, _, info = env.step(action)
    assert (reward, terminated, info["action"], info["parse_failed"]) == (0.0, False, "zoom", False)
    assert obs["feedback"] == "zoomed to [0.5, 0.0, 1.0, 0.5] of Image 2" and info["image_index"] == 1
    second = load_rgb(env.image_path(env.sample, 1))
    w, h = second.size
    assert info["parsed"] == [w / 2, 0.0, float(w), h / 2] == info["view"]["region"]
    expected, _ = fit_view(second, (w / 2, 0.0, float(w), h / 2), (120, 90), "stretch")
    assert np.array_equal(obs["images"][1], expected) and np.array_equal(obs["image"], expected)
    assert np.array_equal(obs["images"][0], before[0]) and np.array_equal(obs["images"][2], before[2])
    assert env.render().shape == (90, 360, 3) and np.array_equal(env.render()[:, 120:240], expected)
    # a later zoom on another image keeps this one's view in its slot
    obs, *_, info = env.step('<zoom image="3">[0, 0, 0.5, 0.5]</zoom>')
    assert info["image_index"] == 2 and np.array_equal(obs["images"][1], expected)
    assert np.array_equal(obs["image"], obs["images"][2]) and not np.array_equal(obs["images"][2], before[2])


def test_a_zoom_in_pixels_reads_the_named_images_size(demo_run: Path, demo_samples: list[dict]) -> None:
    env = VQAEnv(demo_run, max_images=4, max_zooms=1, zoom_format="pixel")
    env.reset(options={"index": _several(env, 2)})
    w, h = load_rgb(env.image_path(env.sample, 1)).size
    _, _, _, _, info = env.step(f'<zoom image="2">[0, 0, {w // 2}, {h // 2}]</zoom>')
    assert info["parsed"] == [0.0, 0.0, float(w // 2), float(h // 2)] and info["image_index"] == 1


@pytest.mark.parametrize(("named", "told"), [
    ("0", "no image '0' to zoom into: this sample shows 3 images, Image 1 to Image 3"),
    ("4", "no image '4' to zoom into: this sample shows 3 images, Image 1 to Image 3"),
    ("-1", "no image '-1' to zoom into"),
    ("two", "no image 'two' to zoom into"),
    ("1.5", "no image '1.5' to zoom into"),
    ("²", "no image '?' to zoom into"),  # (feedback keeps to the observation's charset)
    ("", "no image '' to zoom into")])
def test_a_zoom_on_an_image_not_shown_is_refused_and_said(demo_run: Path, named: str, told: str) -> None:
    env = VQAEnv(demo_run, max_images=4, max_zooms=2)
    obs, _ = env.reset(options={"index": _several(env, 3)})
    shown = obs["images"].copy()
    obs, reward, terminated, _, info = env.step(f'<zoom image="{named}">[0.1, 0.1, 0.5, 0.5]</zoom>')
    assert reward == 0.0 and not terminated and info["parse_failed"] and info["zooms_left"] == 1
    assert obs["feedback"].startswith(f"could not zoom: {told}") and "(<zoom image=\"k\"> with k from 1 to 3)" \
        in obs["feedback"]
    assert np.array_equal(obs["images"], shown) and info["image_index"] == 0


def test_a_single_image_sample_takes_image_1_only(demo_run: Path) -> None:
    env = VQAEnv(demo_run, max_images=4, max_zooms=2)
    env.reset(options={"index": next(i for i, s in enumerate(env.samples) if len(s["images"]) == 1)})
    obs, *_, info = env.step('<zoom image="2">[0, 0, 0.5, 0.5]</zoom>')
    assert obs["feedback"] == ('could not zoom: no image \'2\' to zoom into: this sample shows 1 image, Image 1 '
                               '(<zoom image="k"> with k from 1 to 1)')
    obs, *_, info = env.step('<zoom image="1">[0, 0, 0.5, 0.5]</zoom>')
    assert obs["feedback"] == "zoomed to [0.0, 0.0, 0.5, 0.5]" and info["image_index"] == 0


def test_finish_reads_a_zoom_as_the_last_answer(demo_run: Path) -> None:
    env = VQAEnv(demo_run, max_images=4, max_zooms=2, max_attempts=3)
    env.reset(options={"index": _several(env, 2)})
    env.step("<answer>surely wrong</answer>")
    gold = answer_text(env.sample)
    _, reward, terminated, _, info = env.finish(f"<zoom>[0, 0, 1, 1]</zoom> <answer>{gold}</answer>")
    assert terminated and info["action"] == "answer" and info["correct"] and reward == 0.5
    env.reset(options={"index": _several(env, 2)})
    _, reward, terminated, _, info = env.finish("<zoom image=\"1\">[0, 0, 1, 1]</zoom>")
    assert terminated and reward == 0.0 and info["action"] == "answer" and info["attempts_left"] == 2
    with pytest.raises(RuntimeError, match="the episode has ended"):
        env.finish("x")


def test_samples_of_more_images_are_left_out_and_said(demo_run: Path, demo_samples: list[dict]) -> None:
    env = VQAEnv(demo_run, max_images=2)
    assert max(len(s["images"]) for s in env.samples) == 2
    four = next(s for s in demo_samples if len(s["images"]) == 4)
    with pytest.raises(KeyError, match=r"not shown by the environment: more than 2 images \(max_images\)"):
        env.reset(options={"sample_id": four["id"]})
    one = VQAEnv(demo_run)
    with pytest.raises(KeyError, match=r"not one image \(the environment shows one\)"):
        one.reset(options={"sample_id": four["id"]})


@pytest.mark.parametrize("bad", [0, 2.0, True, "2"])
def test_max_images_is_checked(demo_run: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="max_images must be a whole number >= 1"):
        VQAEnv(demo_run, max_images=bad)  # type: ignore[arg-type]


def test_recorded_episodes_keep_every_image(demo_run: Path, tmp_path: Path) -> None:
    from veriscene.rewards.trajectories import TrajectoryRecorder, read_trajectories, to_messages, write_trajectories

    env = TrajectoryRecorder(VQAEnv(demo_run, max_images=4), image_dir=tmp_path / "views")
    base = env.unwrapped
    assert isinstance(base, VQAEnv)
    index = _several(base, 3)
    env.reset(options={"index": index})
    env.step("<answer>no idea</answer>")
    single = next(i for i, s in enumerate(base.samples) if len(s["images"]) == 1)
    env.reset(options={"index": single})
    env.step("<answer>no idea</answer>")
    write_trajectories(tmp_path / "episodes.jsonl", env.episodes)
    several, one = read_trajectories(tmp_path / "episodes.jsonl")
    sample = base.samples[index]
    assert several["image_ids"] == [im["id"] for im in sample["images"]]
    assert several["images"] == [str(base.image_path(sample, k)) for k in range(3)]
    files = several["observations"][0]["image_files"]
    assert len(files) == 3 and all(Path(f).is_file() for f in files)
    first = to_messages(several)[0]["content"]
    assert [part["image"] for part in first[:3]] == files and first[3]["type"] == "text"
    assert "images" not in one and "image_files" not in one["observations"][0]
    assert [part["type"] for part in to_messages(one)[0]["content"]] == ["image", "text"]


def test_answer_reads_a_zoom_as_an_answer_and_keeps_the_attempts_left(demo_run: Path) -> None:
    env = VQAEnv(demo_run, max_zooms=2, max_attempts=2)
    env.reset(options={"index": 0})
    _, reward, terminated, _, info = env.answer("<zoom>[0, 0, 0.5, 0.5]</zoom>")
    assert info["action"] == "answer" and not terminated and reward == 0.0
    assert (env.attempts_left, env.zooms_left) == (1, 2)
