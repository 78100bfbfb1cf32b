"""The TRL environment adapter: reset from export rows, the zoom and answer tools, the reward."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from PIL import Image
from transformers.utils import get_json_schema

from veriscene.answers import score_sample
from veriscene.io.export import export
from veriscene.io.writers.text import answer_text
from veriscene.rewards.env import VQAEnv
from veriscene.rewards.trl_env import (
    VQAAnswerEnvironment,
    VQAEnvironmentFactory,
    VQAToolEnvironment,
    environment_reward,
    environment_rows,
)


@pytest.fixture(scope="module")
def trl_rows(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("trl_env") / "trl.jsonl"
    export(demo_run, out, "trl")
    with open(out, encoding="utf-8") as fh:
        return {row["sample_id"]: row for row in map(json.loads, fh)}


def _tools(environment: object) -> dict[str, object]:
    """The tools TRL offers: the public functions of the class but `reset` (GRPOTrainer's rule)."""
    return {name: getattr(environment, name) for name, _ in inspect.getmembers(type(environment), inspect.isfunction)
            if name not in ("reset", "get_reward") and not name.startswith("_")}


def _final(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def _several(env: VQAEnv, n: int) -> dict:
    return next(s for s in env.samples if len(s["images"]) == n)


def test_the_tools_and_their_schemas(demo_run: Path) -> None:
    with_zoom = VQAEnvironmentFactory(demo_run, max_zooms=1)()
    assert isinstance(with_zoom, VQAToolEnvironment) and sorted(_tools(with_zoom)) == ["answer", "zoom"]
    schemas = {name: get_json_schema(tool)["function"] for name, tool in _tools(with_zoom).items()}
    zoom = schemas["zoom"]["parameters"]
    assert list(zoom["properties"]) == ["x0", "y0", "x1", "y1", "image"] and zoom["required"] == ["x0", "y0", "x1", "y1"]
    assert zoom["properties"]["image"]["type"] == "integer" and zoom["properties"]["x0"]["type"] == "number"
    assert schemas["answer"]["parameters"]["required"] == ["answer"]
    plain = VQAEnvironmentFactory(demo_run)()
    assert type(plain) is VQAAnswerEnvironment and sorted(_tools(plain)) == ["answer"]


def test_reset_from_an_export_row_and_the_answer_tool(demo_run: Path, trl_rows: dict[str, dict]) -> None:
    factory = VQAEnvironmentFactory(demo_run, max_zooms=2)
    environment = factory()
    sample = next(s for s in factory.env.samples if s["answer_type"] == "int")
    note = environment.reset(**trl_rows[sample["id"]])
    assert environment.env.sample is not None and environment.env.sample["id"] == sample["id"]
    assert note == ("\n\nAnswer with the answer tool (1 attempt), or in <answer></answer> in your last message. The "
                    "zoom tool shows a region enlarged (2 zooms; boxes [x0, y0, x1, y1] in the norm1 convention).")
    assert environment.answer(answer_text(sample)) == "correct"
    with pytest.raises(ValueError, match="the question has been answered"):
        environment.answer("3")
    # the final message is not read again once the tool has answered
    assert environment_reward(completions=[_final("<answer>nonsense</answer>")], environments=[environment]) == [1.0]
    assert environment.answered_by_tool


def test_the_final_message_is_the_answer_when_no_tool_answered(demo_run: Path, trl_rows: dict[str, dict]) -> None:
    factory = VQAEnvironmentFactory(demo_run)
    samples = [s for s in factory.env.samples if s["answer_type"] in ("bool", "int", "str", "box")][:12]
    environments, completions = [], []
    for k, sample in enumerate(samples):
        environment = factory()
        environment.reset(**trl_rows[sample["id"]])
        reply = f"<think>looking</think><answer>{answer_text(sample) if k % 2 else 'no idea'}</answer>"
        environments.append(environment)
        completions.append(_final(reply))
    rewards = environment_reward(completions=completions, environments=environments)
    # what `veriscene eval` scores for the same replies (the run's words as rivals)
    rivals = factory.env.score_options.get("rivals")
    assert rewards == [score_sample(c[0]["content"], s, rivals=rivals).score for c, s in zip(completions, samples)]
    assert rewards[1::2] == [1.0] * 6 and rewards[0] == 0.0


def test_retries_are_discounted_across_tool_and_final_message(demo_run: Path, trl_rows: dict[str, dict]) -> None:
    factory = VQAEnvironmentFactory(demo_run, max_attempts=2)
    environment = factory()
    sample = next(s for s in factory.env.samples if s["answer_type"] == "int")
    note = environment.reset(**trl_rows[sample["id"]])
    assert "(2 attempts)" in str(note)
    wrong = str(int(sample["answer"]) + 7)
    assert environment.answer(wrong) == "incorrect, 1 attempt left"
    assert environment_reward(completions=[_final(f"<answer>{answer_text(sample)}</answer>")],
                              environments=[environment]) == [0.5]


def test_the_zoom_tool_on_a_sample_of_several_images(demo_run: Path, trl_rows: dict[str, dict]) -> None:
    factory = VQAEnvironmentFactory(demo_run, max_zooms=2, max_images=4, observation_size=(64, 48))
    environment = factory()
    assert isinstance(environment, VQAToolEnvironment)
    sample = _several(factory.env, 3)
    note = environment.reset(**trl_rows[sample["id"]])
    assert "shows a region of Image 1 to Image 3 enlarged" in str(note)
    with pytest.raises(ValueError, match=r"could not zoom: no image '5' to zoom into: this sample shows 3 images"):
        environment.zoom(0.0, 0.0, 0.5, 0.5, image=5)
    image, text = environment.zoom(0.5, 0.0, 1.0, 0.5, image=2.0)  # type: ignore[arg-type]
    assert isinstance(image["image"], Image.Image) and image["image"].size == (64, 48)
    assert text == {"type": "text", "text": "zoomed to [0.5, 0.0, 1.0, 0.5] of Image 2"}
    assert environment.env.image_index == 1 and environment.zooms_used == 2
    with pytest.raises(ValueError, match=r"no zooms left \(max_zooms=2\): answer now"):
        environment.zoom(0.0, 0.0, 0.5, 0.5)
    assert environment.answer(answer_text(sample)) == "correct"
    assert environment_reward(completions=[_final("")], environments=[environment]) == [1.0]


def test_rows_the_environment_does_not_show(demo_run: Path, trl_rows: dict[str, dict],
                                            demo_samples: list[dict]) -> None:
    factory = VQAEnvironmentFactory(demo_run, max_zooms=1)
    free = next(s for s in demo_samples if s["answer_type"] == "text" and not s["choices"])
    several = next(s for s in demo_samples if len(s["images"]) > 1)
    environments = [factory() for _ in range(3)]
    with pytest.warns(UserWarning, match="is not shown by the environment: free-form text answers"):
        assert environments[0].reset(**trl_rows[free["id"]]) is None
    with pytest.warns(UserWarning, match=r"not one image \(the environment shows one\)"):
        environments[1].reset(**trl_rows[several["id"]])
    environments[2].reset(**trl_rows[free["id"]])  # warned once a reason
    assert factory.left_out == {"free-form text answers": 2, "not one image (the environment shows one)": 1}
    with pytest.raises(ValueError, match="zoom is not available for this question: sample .* free-form"):
        environments[0].zoom(0, 0, 1, 1)  # type: ignore[attr-defined]
    rewards = environment_reward(completions=[_final("x")] * 3, environments=environments)
    assert rewards == [None, None, None]
    with pytest.raises(KeyError, match="no usable sample with id 'not-in-this-run'"):
        factory().reset(sample_id="not-in-this-run", prompt=[])


def test_rows_without_a_prompt_get_the_question(demo_run: Path) -> None:
    factory = VQAEnvironmentFactory(demo_run, max_images=4, observation_size=(32, 24), instructions=False)
    sample = _several(factory.env, 2)
    parts = factory().reset(sample_id=sample["id"])
    assert isinstance(parts, list) and [p["type"] for p in parts] == ["image", "image", "text"]
    assert parts[2]["text"] == sample["question"] and parts[0]["image"].size == (32, 24)
    text_only = VQAEnvironmentFactory(demo_run, show_images=False, seed=5)
    drawn = [text_only() for _ in range(2)]
    texts = [e.reset() for e in drawn]  # no row: a sample drawn with the instance's seed
    assert all(isinstance(t, str) and t.startswith(str(e.env.sample["question"])) for t, e in zip(texts, drawn))
    again = VQAEnvironmentFactory(demo_run, show_images=False, seed=5)
    assert [e.reset() for e in (again(), again())] == texts
    rows = environment_rows(factory)
    assert len(rows) == len({s["id"] for s in factory.env.samples}) and set(rows[0]) == {"sample_id"}


def test_bad_calls_are_said(demo_run: Path) -> None:
    with pytest.raises(TypeError, match="pass environment_factory=VQAEnvironmentFactory"):
        environment_reward(completions=["x"])
    with pytest.raises(ValueError, match="max_zooms must be a whole number >= 0"):
        VQAEnvironmentFactory(demo_run, max_zooms=-1)
    with pytest.raises(TypeError, match="seed must be a whole number"):
        VQAEnvironmentFactory(demo_run, seed="0")  # type: ignore[arg-type]
    environment = VQAEnvironmentFactory(demo_run)()
    with pytest.raises(ValueError, match=r"reset\(\) has not been called"):
        environment.answer("3")


def test_an_answer_holding_a_zoom_is_an_answer(demo_run: Path, trl_rows: dict[str, dict]) -> None:
    environment = VQAEnvironmentFactory(demo_run, max_zooms=1, max_attempts=2)()
    sample = next(s for s in environment.env.samples if s["answer_type"] == "int")
    environment.reset(**trl_rows[sample["id"]])
    assert environment.answer("<zoom>[0, 0, 0.5, 0.5]</zoom>").startswith("your answer could not be read")
    assert environment.zooms_used == 0 and environment.env.zooms_left == 1


def test_free_form_rows_with_freeform(demo_run: Path, trl_rows: dict[str, dict]) -> None:
    """`VQAEnv(freeform=True)` (rewards.freeform): a description through the tool or the final message."""
    factory = VQAEnvironmentFactory(demo_run, freeform=True)
    free = [s for s in factory.env.samples if s["answer_type"] == "text" and not s["choices"]][:2]
    by_tool, by_text = factory(), factory()
    for environment, sample in zip((by_tool, by_text), free):
        environment.reset(**trl_rows[sample["id"]])
    assert by_tool.answer(str(free[0]["answer"])) == "described"
    rewards = environment_reward(completions=[_final("ignored"), _final(str(free[1]["answer"]))],
                                 environments=[by_tool, by_text])
    assert rewards == [factory.env.freeform.score(str(s["answer"]), sample_id=s["id"], answer=s["answer"]).reward
                       for s in free]
    assert all(r is not None and r > 0.5 for r in rewards)


def test_a_row_with_a_prompt_and_no_sample_id_is_left_out(demo_run: Path, trl_rows: dict[str, dict]) -> None:
    """A row whose prompt is not one of the run's samples (a data set mixed with another: its rows'
    sample_id None) is left out, not given a sample drawn at random: the model would answer the
    row's question and be scored against another's."""
    factory = VQAEnvironmentFactory(demo_run, max_zooms=1)
    row = {**next(iter(trl_rows.values())), "sample_id": None, "ground_truth": json.dumps({"answer": "no such"})}
    environment = factory()
    with pytest.warns(UserWarning, match="has a prompt but no sample_id.*no sample of the run has the row's gold"):
        assert environment.reset(**row) is None
    assert environment.applicable is False and factory.left_out["a prompt without sample_id"] == 1
    assert environment_reward(completions=[_final("x")], environments=[environment]) == [None]
    with pytest.raises(TypeError, match=r"sample_id must be the id \(a str\) of a sample of the run, got \['x'\]"):
        factory().reset(sample_id=["x"], prompt=[])


def test_a_row_without_sample_id_is_found_by_its_gold_prompt_and_images(
        demo_run: Path, trl_rows: dict[str, dict], demo_samples: list[dict]) -> None:
    """The user's own prompt column, no sample_id: the row's gold, question and images tell its
    sample when one is left (counted), and refuse it, naming the samples, when several are."""
    factory = VQAEnvironmentFactory(demo_run, max_zooms=1)
    env = factory.env
    shown = {s["id"] for s in env.samples}
    by_key: dict[tuple[str, str], list[dict]] = {}
    for s in demo_samples:
        if s["id"] in shown and len(s["images"]) == 1:
            by_key.setdefault((s["question"], json.dumps(s["answer"])), []).append(s)
    alone = next(g[0] for g in by_key.values() if len(g) == 1)
    shared = next(g for g in by_key.values() if len(g) > 1 and g[0]["images"][0]["path"] != g[1]["images"][0]["path"])
    # the export's row with its sample_id dropped and the question worded otherwise around it
    row = {**trl_rows[alone["id"]], "sample_id": None}
    row["prompt"] = [{"role": "user", "content": [{"type": "image"}, {"type": "text",
                                                                      "text": f"Look: {alone['question']} Thanks."}]}]
    environment = factory()
    environment.reset(**row)
    assert environment.applicable
    assert environment.env.sample is not None and environment.env.sample["id"] == alone["id"]
    assert factory.finder.found == 1
    # two samples of one question and gold: the images part them (a PIL image, as TRL passes it)
    image = Image.open(env.image_path(shared[1]))
    row = {**trl_rows[shared[1]["id"]], "sample_id": None, "images": [image]}
    environment = factory()
    environment.reset(**row)
    assert environment.env.sample is not None and environment.env.sample["id"] == shared[1]["id"]
    # without images they cannot be told
    row = {k: v for k, v in trl_rows[shared[1]["id"]].items() if k != "images"} | {"sample_id": None}
    environment = factory()
    with pytest.warns(UserWarning, match=r"samples of the run share its gold and question \(.*give the row its sample_id"):
        assert environment.reset(**row) is None
    assert environment.applicable is False and factory.finder.found == 2


def test_an_older_trl_is_refused_naming_the_version(demo_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.rewards import trl_env

    monkeypatch.setattr(trl_env, "installed_trl", lambda: "1.8.0")
    with pytest.raises(ImportError, match=r"needs TRL 1\.9 or later, and TRL 1\.8\.0 is installed.*pip install -U 'trl>=1\.9'"):
        VQAEnvironmentFactory(demo_run)
    monkeypatch.setattr(trl_env, "installed_trl", lambda: None)  # without TRL: driven by hand
    assert VQAEnvironmentFactory(demo_run).env is not None
