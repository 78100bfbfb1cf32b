"""`export(..., instructions=True)`: questions with the answer-format instruction eval sends."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from tests.typer_app import invoke

from veriscene.commands.export import register
from veriscene.evaluate.prompts import PromptSet
from veriscene.io.export import export


def llava_prompts(path: Path) -> dict[str, str]:
    return {r["id"]: r["conversations"][0]["value"] for r in json.loads(path.read_text())}


def test_questions_get_the_instruction_eval_sends(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "plain.json", "llava")
    export(run_dir, tmp_path / "told.json", "llava", instructions=True)
    plain, told = llava_prompts(tmp_path / "plain.json"), llava_prompts(tmp_path / "told.json")
    assert plain["s-int"] == "<image>\nHow many cups are there?"
    assert told["s-int"] == "<image>\nHow many cups are there?\nAnswer with a single number."
    assert told["s-bool"].endswith("Is there a dog?\nAnswer with yes or no.")
    assert told["s-mc"].endswith("C. green\nAnswer with the option's letter from the given choices.")
    for sid in told:  # what eval would send, placeholders aside
        record = next(orjson.loads(line) for line in (run_dir / "samples.jsonl").read_bytes().splitlines()
                      if line.startswith(b'{"id": "' + sid.encode()))
        assert told[sid].replace("<image>\n", "") == PromptSet().text(record)


def test_rewards_read_replies_with_the_question_as_generated(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "trl.jsonl", "trl", instructions=True)
    rows = {r["sample_id"]: r for r in map(orjson.loads, (tmp_path / "trl.jsonl").read_bytes().splitlines())}
    row = rows["s-int"]
    assert row["prompt"][0]["content"][-1]["text"] == "How many cups are there?\nAnswer with a single number."
    assert orjson.loads(row["ground_truth"])["question"] == "How many cups are there?"


def test_a_prompts_file_sets_the_instructions(run_dir: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps({"instructions": {"int": "Reply with digits only."},
                                   "template": "Q: {question}\n{instruction}"}))
    export(run_dir, tmp_path / "sg.json", "sharegpt", instructions=True, prompts=prompts)
    said = {r["id"]: r["messages"][0]["content"] for r in json.loads((tmp_path / "sg.json").read_text())}
    assert said["s-int"] == "<image>Q: How many cups are there?\nReply with digits only."


@pytest.mark.parametrize("to, options, said", [
    ("jsonl", {"instructions": True}, "keeps the questions as generated"),
    ("lmms_eval", {"instructions": True}, "always sends each question with its instruction"),
    ("llava", {"prompts": "p.json"}, "give them with --instructions"),
    ("llava", {"instructions": True, "prompts": "missing.json"}, "prompts file missing.json: No such file"),
])
def test_instructions_where_they_do_not_apply_are_refused_before_writing(
        run_dir: Path, tmp_path: Path, to: str, options: dict, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        export(run_dir, tmp_path / "out", to, **options)
    assert not (tmp_path / "out").exists()


def cli(*args: str) -> tuple[int, str]:
    result = invoke(register, "export", *args)
    return result.exit_code, result.output


def test_cli(run_dir: Path, tmp_path: Path) -> None:
    code, _ = cli(str(run_dir), "--to", "llava", "--instructions", "--turns", "2", "--out", str(tmp_path / "a.json"))
    assert code == 0
    first = json.loads((tmp_path / "a.json").read_text())[0]["conversations"]
    assert [m["value"] for m in first[::2]] == ["<image>\nHow many cups are there?\nAnswer with a single number.",
                                                "What color is the cup?\nA. blue\nB. red\nC. green\n"
                                                "Answer with the option's letter from the given choices."]
    code, said = cli(str(run_dir), "--to", "llava", "--prompts", str(tmp_path / "p.json"), "--out", str(tmp_path / "b"))
    assert code == 2 and "give them with --instructions, or export to lmms_eval" in said
    assert not (tmp_path / "b").exists()


def test_reasoning_prompts_ask_for_the_format_every_reasoning_target_has(tmp_path: Path) -> None:
    """`export --reasoning --instructions --prompts reasoning`: every question asks for the think /
    answer format, captions and object descriptions too, and every target has it."""
    from veriscene.demo.pipeline import run_demo
    from veriscene.evaluate.prompts import REASONING_REQUEST
    from veriscene.rewards.trl import make_format_reward

    run_demo(tmp_path / "demo", scenes=3, seed=2)
    export(tmp_path / "demo", tmp_path / "cot.jsonl", "trl", reasoning=True, instructions=True, prompts="reasoning")
    rows = [orjson.loads(line) for line in (tmp_path / "cot.jsonl").read_bytes().splitlines()]
    described = [r for r in rows if orjson.loads(r["ground_truth"])["answer_type"] == "text"]
    assert described and all(r["prompt"][-1]["content"][-1]["text"].endswith("\n" + REASONING_REQUEST) for r in rows)
    assert make_format_reward()(completions=[r["completion"] for r in rows]) == [1.0] * len(rows)
