"""The Gymnasium environment: checker, single- and multi-turn episodes, zoom, trajectories."""

from __future__ import annotations

import warnings

import numpy as np
from PIL import Image
import pytest

import gymnasium as gym

from gymnasium.utils.env_checker import check_env

import veriscene.rewards  # noqa: F401  (registers veriscene/VQA-v0)
from veriscene.answers import format_box, score_sample
from veriscene.io.writers.text import answer_text
from veriscene.rewards.env import VQAEnv
from veriscene.rewards.trajectories import (
    TrajectoryRecorder,
    read_trajectories,
    to_messages,
    write_trajectories,
)


def index_of(env: VQAEnv, task: str, mc: bool = False) -> int:
    return next(i for i, s in enumerate(env.samples) if s["task"] == task and bool(s["choices"]) == mc)


@pytest.mark.parametrize("kwargs", [
    {},
    {"max_attempts": 3, "max_zooms": 2},
    {"observation_size": (224, 224), "fit": "letterbox", "max_zooms": 1},
])
def test_passes_gymnasium_checker(demo_run, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker reports problems as warnings too
        env = gym.make("veriscene/VQA-v0", run_dir=demo_run, render_mode="rgb_array", **kwargs)
        check_env(env.unwrapped, skip_render_check=False)


def test_registered_id(demo_run):
    env = gym.make("veriscene/VQA-v0", run_dir=demo_run)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert set(obs) == {"image", "question", "feedback"} and obs["image"].dtype == np.uint8


def test_observation_and_info(demo_run):
    env = VQAEnv(demo_run, observation_size=(240, 240), fit="letterbox")
    obs, info = env.reset(seed=3)
    assert obs["image"].shape == (240, 240, 3) and obs["question"] == env.sample["question"]
    # 480 x 360 demo images letterboxed into 240 x 240: scaled by 1/2, padded below
    assert info["view"] == {"region": [0.0, 0.0, 480.0, 360.0], "content": [0, 0, 240, 180],
                            "image_size": [480, 360], "array_size": [240, 240]}
    assert not obs["image"][180:].any()
    assert all(s["answer_type"] != "text" or s["choices"] for s in env.samples) and env.skipped > 0
    obs2, _ = env.reset(seed=3)
    assert obs2["question"] == obs["question"]


def test_single_turn_reward_is_the_verifier_score(demo_run):
    env = VQAEnv(demo_run)
    env.reset(options={"index": index_of(env, "object.count.v1")})
    right = answer_text(env.sample)
    _, reward, terminated, truncated, info = env.step(f"<think>counting</think><answer>{right}</answer>")
    assert (reward, terminated, truncated, info["correct"], info["parse_failed"]) == (1.0, True, False, True, False)
    with pytest.raises(RuntimeError, match="reset"):
        env.step("3")


def test_box_reward_is_iou(demo_run):
    env = VQAEnv(demo_run)
    env.reset(options={"index": index_of(env, "grounding.box.v1")})
    x0, y0, x1, y1 = env.sample["answer"]
    half = format_box([x0, y0, (x0 + x1) / 2, y1], [480, 360])
    _, reward, terminated, _, _ = env.step(half)
    assert terminated and reward == pytest.approx(score_sample(half, env.sample).score) and 0.3 < reward < 0.7


def test_multi_turn_feedback(demo_run):
    env = VQAEnv(demo_run, max_attempts=3)
    env.reset(options={"index": index_of(env, "object.count.v1")})
    wrong = str(int(env.sample["answer"]) + 1)
    obs, reward, terminated, _, info = env.step(wrong)
    assert (reward, terminated, obs["feedback"], info["attempts_left"]) == (0.0, False, "incorrect, 2 attempts left", 2)
    obs, reward, terminated, _, info = env.step("I do not know")
    assert obs["feedback"].startswith("your answer could not be read") and obs["feedback"].endswith("1 attempt left")
    obs, reward, terminated, _, _ = env.step(str(env.sample["answer"]))
    assert (reward, terminated, obs["feedback"]) == (0.25, True, "correct")  # after 2 wrong: 0.5 ** 2
    env.reset(options={"index": index_of(env, "object.count.v1")})
    for _ in range(2):
        assert env.step(wrong)[2] is False
    _, reward, terminated, _, _ = env.step(wrong)
    assert (reward, terminated) == (0.0, True)


def test_zoom_returns_the_region(demo_run):
    env = VQAEnv(demo_run, max_zooms=1)
    obs, _ = env.reset(options={"index": index_of(env, "attribute.query.v1")})
    full = obs["image"]
    obs, reward, terminated, _, info = env.step("<zoom>[0.5, 0.5, 1.0, 1.0]</zoom>")
    assert (reward, terminated, info["action"], info["zooms_left"]) == (0.0, False, "zoom", 0)
    assert info["view"]["region"] == [240.0, 180.0, 480.0, 360.0]
    assert obs["feedback"] == "zoomed to [0.5, 0.5, 1.0, 1.0]"
    # the zoomed view is the bottom-right quarter, upscaled x2
    assert np.abs(obs["image"][::2, ::2].astype(int) - full[180:, 240:].astype(int)).mean() < 12
    # no zooms left: the next zoom is read as an answer and ends the episode
    assert env.step("<zoom>[0, 0, 0.5, 0.5]</zoom>")[2] is True


def test_a_box_answer_after_a_zoom_is_read_over_the_whole_image(demo_run):
    """The view a zoom shows changes no coordinate: a box answer is in the sample's convention over
    the whole image (the gold box right, the same box put in the view's coordinates wrong)."""
    env = VQAEnv(demo_run, max_zooms=1)
    i = index_of(env, "grounding.box.v1")
    sample = env.samples[i]
    env.reset(options={"index": i})
    x0, y0, x1, y1 = sample["answer"]
    width, height = sample["meta"]["image_size"]
    region = [x0 / width / 2, y0 / height / 2, (1 + x1 / width) / 2, (1 + y1 / height) / 2]  # around the box
    def text(box: list[float]) -> str:
        return "[" + ", ".join(f"{v:.3f}" for v in box) + "]"

    env.step(f"<zoom>{text(region)}</zoom>")
    left, top = region[0] * width, region[1] * height
    scale_x, scale_y = width / ((region[2] - region[0]) * width), height / ((region[3] - region[1]) * height)
    in_view = [(x0 - left) * scale_x / width, (y0 - top) * scale_y / height,
               (x1 - left) * scale_x / width, (y1 - top) * scale_y / height]
    assert score_sample(text(in_view), sample).score < 0.5
    gold = answer_text(sample)
    _, reward, terminated, _, info = env.step(f"<answer>{gold}</answer>")
    assert terminated and info["correct"] and reward == score_sample(gold, sample).score > 0.9


def test_bad_zoom_gets_feedback(demo_run):
    env = VQAEnv(demo_run, max_zooms=2)
    env.reset(seed=0)
    obs, _, terminated, _, info = env.step("<zoom>somewhere left</zoom>")
    assert not terminated and info["parse_failed"] and obs["feedback"].startswith("could not zoom")
    obs, *_ = env.step("<zoom>[0.5, 0.5, 0.5, 0.9]</zoom>")  # empty region
    assert obs["feedback"].startswith("could not zoom")


def test_feedback_stays_in_the_observation_space(demo_run):
    env = VQAEnv(demo_run, max_attempts=2)
    env.reset(options={"index": index_of(env, "object.count.v1")})
    obs, *_ = env.step("ünïcødé ✓ 1 or 2")
    assert env.observation_space.contains(obs)


def test_trajectories_round_trip(demo_run, tmp_path):
    env = TrajectoryRecorder(VQAEnv(demo_run, max_attempts=2, max_zooms=1), image_dir=tmp_path / "views")
    env.reset(options={"index": index_of(env.unwrapped, "object.count.v1")})
    answer = env.unwrapped.sample["answer"]
    env.step("<zoom>[0, 0, 0.5, 0.5]</zoom>")
    env.step(str(answer + 1))
    env.step(f"<answer>{answer}</answer>")
    env.reset(seed=1)
    env.step("%%%")
    env.step("???")
    path = write_trajectories(tmp_path / "episodes.jsonl", env.episodes)
    episodes = list(read_trajectories(path))
    assert episodes == env.episodes and len(episodes) == 2
    first = episodes[0]
    assert first["rewards"] == [0.0, 0.0, 0.5] and first["return"] == 0.5 and first["terminated"]
    assert len(first["observations"]) == 4 and len(first["actions"]) == 3
    assert [i["action"] for i in first["infos"]] == ["zoom", "answer", "answer"]
    assert first["observations"][1]["view"]["region"] == [0.0, 0.0, 240.0, 180.0]
    assert all((tmp_path / "views").joinpath(o["image_file"].rsplit("/", 1)[-1]).is_file()
               for o in first["observations"])
    messages = to_messages(first)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    assert messages[2]["content"][0]["type"] == "image"  # the zoomed view comes back as an image
    assert messages[4]["content"] == [{"type": "text", "text": "incorrect, 1 attempt left"}]


def test_write_trajectories_says_what_goes_where(tmp_path):
    """The two arguments the other way round raised "expected str, bytes or os.PathLike object,
    not list" from pathlib; one episode (a dict) was written key by key."""
    episodes = [{"sample_id": "s", "actions": [], "rewards": []}]
    with pytest.raises(TypeError, match="path must be the JSONL file.*the two arguments are the other way round"):
        write_trajectories(episodes, tmp_path / "e.jsonl")
    with pytest.raises(TypeError, match=r"episodes must be a list of episodes \(TrajectoryRecorder.episodes\), got dict"):
        write_trajectories(tmp_path / "e.jsonl", episodes[0])
    assert not (tmp_path / "e.jsonl").exists()
    assert list(read_trajectories(write_trajectories(str(tmp_path / "e.jsonl"), iter(episodes)))) == episodes


def test_bad_configuration(demo_run):
    with pytest.raises(ValueError):
        VQAEnv()
    with pytest.raises(ValueError):
        VQAEnv(demo_run, max_attempts=0)
    with pytest.raises(ValueError, match=r"no sample of task 'nope\.v1'"):
        VQAEnv(demo_run, tasks=["nope.v1"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"answer_types": ["integer"]}, r"unknown answer_types \['integer'\]; allowed: \['bool', 'int'"),
    ({"tasks": ["counting.compare.v2"]}, r"no sample of task 'counting\.compare\.v2'; did you mean \['counting\.compare\.v1'"),
    ({"answer_types": "int"}, "lists of names"),
    ({"image_root": "/nonexistent"}, r"image not found \(e\.g\. /nonexistent/images/.*image_root=/nonexistent\)"),
    ({"tasks": ["scene_graph.caption.v1"]}, r"\d+ free-form text answers"),
])
def test_no_usable_samples_says_why(demo_run, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        VQAEnv(demo_run, **kwargs)


def test_a_file_of_another_kind_as_run_dir_is_named(demo_run, tmp_path):
    with pytest.raises(ValueError, match=r"vocabulary\.json:1 is not a JSON sample line.*run folder holding samples\.jsonl"):
        VQAEnv(demo_run / "vocabulary.json")
    other = tmp_path / "rows.jsonl"
    other.write_text('{"prompt": "x"}\n')
    with pytest.raises(ValueError, match=r"rows\.jsonl:1 is not a sample record: no field \['id', 'images'"):
        VQAEnv(other)


def test_retries_are_discounted_so_enumeration_does_not_pay(demo_run):
    env = VQAEnv(demo_run, max_attempts=2, answer_types=["bool"])
    returns = []
    for i in range(len(env.samples)):
        env.reset(options={"index": i})
        reward, terminated = env.step("yes")[1:3]
        if not terminated:
            reward = env.step("no")[1]
        returns.append(reward)
    assert set(returns) <= {0.5, 1.0} and 0.5 in returns  # "no" after a wrong "yes" earns 0.5


def test_undiscounted_retries_warn_when_every_answer_can_be_tried(demo_run):
    with pytest.warns(UserWarning, match="trying every answer"):
        VQAEnv(demo_run, max_attempts=2, answer_types=["bool"], retry_discount=1.0)
    with pytest.raises(ValueError, match="retry_discount"):
        VQAEnv(demo_run, retry_discount=1.5)


def test_huge_number_answer_does_not_raise(demo_run):
    env = VQAEnv(demo_run)
    env.reset(options={"index": index_of(env, "object.count.v1")})
    _, reward, terminated, _, info = env.step("1e999")
    assert (reward, terminated, info["parse_failed"]) == (0.0, True, True)


def test_recorders_sharing_an_image_dir_keep_their_own_views(demo_run, tmp_path):
    """One recorder per env of a vector env, one folder: each episode's files still show its views."""
    views = tmp_path / "views"
    recorders = [TrajectoryRecorder(VQAEnv(demo_run, max_zooms=1), image_dir=views) for _ in range(2)]
    samples = recorders[0].unwrapped.samples
    other = next(i for i, s in enumerate(samples) if s["images"][0]["id"] != samples[0]["images"][0]["id"])
    shown: list[list[np.ndarray]] = []
    for index, env in zip((0, other), recorders):
        obs, _ = env.reset(options={"index": index})
        arrays = [obs["image"]]
        arrays.append(env.step("<zoom>[0, 0, 0.5, 0.5]</zoom>")[0]["image"])
        arrays.append(env.step("<answer>no</answer>")[0]["image"])
        shown.append(arrays)
    for env, arrays in zip(recorders, shown):
        files = [o["image_file"] for o in env.episodes[0]["observations"]]
        assert [np.asarray(Image.open(f)).tolist() for f in files] == [a.tolist() for a in arrays]
    assert len(list(views.glob("*.png"))) == 4  # the answer step shows the zoomed view again: stored once


def test_the_runs_words_are_rivals_as_in_eval(tmp_path):
    """A reply naming every animal of the data set is no answer, as `veriscene eval` scores it."""
    import orjson

    from veriscene.answers.rivals import run_rivals

    Image.new("RGB", (32, 24), "white").save(tmp_path / "a.png")
    sample = {"id": "s", "task": "t.v1", "images": [{"id": "a", "path": "a.png"}], "question": "What animal is on the sofa?",
              "answer": "dog", "answer_type": "str", "choices": None, "meta": {"mode": "qa"}}
    (tmp_path / "samples.jsonl").write_bytes(orjson.dumps(sample) + b"\n")
    vocabulary = {"names": {"cat": 1, "dog": 1, "horse": 1, "sofa": 1}, "predicates": {}, "attributes": {}}
    (tmp_path / "vocabulary.json").write_bytes(orjson.dumps(vocabulary))
    every = "There is a cat. There is a dog. There is a horse."
    assert score_sample(every, sample, rivals=run_rivals(tmp_path / "samples.jsonl")).score == 0.0  # eval's score
    for env in (VQAEnv(tmp_path), VQAEnv(samples=[sample], image_root=tmp_path,
                                         score_options={"rivals": tmp_path / "vocabulary.json"})):
        env.reset(seed=0)
        assert env.step(every)[1] == 0.0
        env.reset(seed=0)
        assert env.step("A dog is on the sofa.")[1] == 1.0


def test_async_vector_env_without_shared_memory_sees_the_questions(demo_run):
    """gymnasium 1.4's AsyncVectorEnv reads Text observations from shared memory once, when built
    (every question comes back as tabs); without shared memory they arrive, as the README says."""
    envs = gym.make_vec("veriscene/VQA-v0", num_envs=2, vectorization_mode="async",
                        vector_kwargs={"shared_memory": False}, run_dir=demo_run)
    try:
        obs, info = envs.reset(seed=0)
        questions = {s["id"]: s["question"] for s in VQAEnv(demo_run).samples}
        assert list(obs["question"]) == [questions[i] for i in info["sample_id"]]
        assert obs["image"].shape[0] == 2
    finally:
        envs.close()


def test_a_sample_id_naming_two_samples_is_refused(demo_run, demo_samples):
    """Two runs' samples (data sets whose images share ids) can give one id to two samples:
    reset(sample_id=...) took the first; it names them instead. The same sample twice is one."""
    yes = next(s for s in demo_samples if s["answer_type"] == "bool" and s["answer"] is True)
    image = yes["images"][0]
    other_image = next(i for s in demo_samples for i in s["images"] if i["id"] != image["id"])
    # the other data set's image of the same id: another file, another answer
    theirs = {**yes, "answer": False, "images": [{"id": image["id"], "path": other_image["path"]}]}
    env = VQAEnv(samples=[yes, theirs, dict(yes)], image_root=demo_run)
    with pytest.raises(ValueError, match=rf"sample id '{yes['id']}' names 2 different samples \(index 0: answer true, "
                                         rf"image {image['path']}; index 1: answer false, image "
                                         rf"{other_image['path']}\): a sample id hashes .* options=\{{'index': i\}}"):
        env.reset(options={"sample_id": yes["id"]})
    assert env.reset(options={"index": 1})[1]["index"] == 1  # each is still reachable by index
    same = VQAEnv(samples=[yes, dict(yes)], image_root=demo_run)
    assert same.reset(options={"sample_id": yes["id"]})[1]["index"] == 0
    with pytest.raises(KeyError, match="no usable sample with id 'nope'"):
        same.reset(options={"sample_id": "nope"})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_attempts": 2.5}, r"max_attempts must be a whole number >= 1, got 2\.5"),  # never ended
    ({"max_attempts": "3"}, r"max_attempts must be a whole number >= 1, got '3'"),
    ({"max_attempts": 0}, r"max_attempts must be a whole number >= 1, got 0"),
    ({"max_zooms": 1.5}, r"max_zooms must be a whole number >= 0, got 1\.5"),
    ({"observation_size": (224,)}, r"observation_size must be \(width, height\), two whole numbers >= 1"),
    ({"observation_size": (0, 0)}, r"observation_size must be \(width, height\)"),
    ({"retry_discount": "0.5"}, r"retry_discount must be a number in \[0, 1\], got '0\.5'"),
])
def test_counts_and_sizes_are_checked(demo_run, kwargs, message):
    with pytest.raises(ValueError, match=message):
        VQAEnv(demo_run, **kwargs)


def test_whole_attempts_end_the_episode(demo_run):
    env = VQAEnv(demo_run, max_attempts=np.int64(2))  # numpy counts are whole numbers
    env.reset(seed=0)
    steps = [env.step("%%%") for _ in range(2)]
    assert [s[2] for s in steps] == [False, True] and steps[-1][4]["attempts_left"] == 0


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"sampleid": "x"}, ValueError, (r"unknown reset option \['sampleid'\]; allowed: \['sample_id', 'index'\]; "
                                     r"did you mean 'sample_id'\?")),  # a random sample before
    ({"index": "3"}, ValueError, r"options\['index'\] must be a whole number"),
    ({"index": 1.7}, ValueError, r"options\['index'\] must be a whole number"),
])
def test_reset_options_are_checked(demo_run, options, error, message):
    env = VQAEnv(demo_run)
    with pytest.raises(error, match=message):
        env.reset(options=options)


def test_an_unknown_sample_id_says_why(demo_run, demo_samples):
    env = VQAEnv(demo_run)
    multi = next(s for s in demo_samples if len(s["images"]) > 1)
    caption = next(s for s in demo_samples if s["answer_type"] == "text" and not s["choices"])
    with pytest.raises(KeyError, match=r"is in the run but not shown by the environment: not one image"):
        env.reset(options={"sample_id": multi["id"]})
    with pytest.raises(KeyError, match=r"is in the run but not shown by the environment: free-form text answers"):
        env.reset(options={"sample_id": caption["id"]})
    shown = env.samples[0]["id"]
    with pytest.raises(KeyError, match=rf"no usable sample with id '{shown[:-1]}#' .*did you mean \['{shown}'"):
        env.reset(options={"sample_id": shown[:-1] + "#"})
