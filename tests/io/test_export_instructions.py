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
    ("llava", {"prompts": "p.json"}, "give them with instructions=True, or export to lmms_eval$"),
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


def _system_prompts(tmp_path: Path, system: str = "Be careful.") -> Path:
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps({"system": system, "instructions": {"int": "Reply with digits only."}}))
    return prompts


def test_the_prompts_files_system_opens_every_record_as_eval_sends_it(run_dir: Path, tmp_path: Path) -> None:
    prompts = _system_prompts(tmp_path)
    export(run_dir, tmp_path / "trl.jsonl", "trl", instructions=True, prompts=prompts)
    rows = [orjson.loads(line) for line in (tmp_path / "trl.jsonl").read_bytes().splitlines()]
    assert rows and all(r["prompt"][0] == {"role": "system", "content": [{"type": "text", "text": "Be careful."}]}
                        for r in rows)
    export(run_dir, tmp_path / "sg.json", "sharegpt", instructions=True, prompts=prompts, system="Be careful.")
    assert {r["system"] for r in json.loads((tmp_path / "sg.json").read_text())} == {"Be careful."}
    bare = tmp_path / "bare.json"
    bare.write_text("{}")  # a prompts file without a system: the one given apart
    export(run_dir, tmp_path / "trl2.jsonl", "trl", instructions=True, prompts=bare, system="Be brief.")
    first = orjson.loads((tmp_path / "trl2.jsonl").read_bytes().splitlines()[0])
    assert first["prompt"][0]["content"][0]["text"] == "Be brief."


def test_a_system_other_than_the_prompts_files_is_refused_before_writing(run_dir: Path, tmp_path: Path) -> None:
    prompts = _system_prompts(tmp_path)
    with pytest.raises(ValueError, match=r"two system messages: the prompts' 'Be careful.' and system='Be brief.'; "
                                         r"give it once, in the prompts file or with system=$"):
        export(run_dir, tmp_path / "out.jsonl", "trl", instructions=True, prompts=prompts, system="Be brief.")
    assert not (tmp_path / "out.jsonl").exists()
    code, said = cli(str(run_dir), "--to", "trl", "--instructions", "--prompts", str(prompts), "--system", "Be brief.",
                     "--out", str(tmp_path / "cli.jsonl"))
    assert code == 2 and "two system messages" in said and "Python" not in said
    assert not (tmp_path / "cli.jsonl").exists()


def test_a_format_without_a_system_message_warns_that_the_prompts_one_is_left_out(run_dir: Path,
                                                                                   tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "a.json", "llava", instructions=True, prompts=_system_prompts(tmp_path))
    assert summary.samples_written > 0 and "system" not in (tmp_path / "a.json").read_text()
    assert [w for w in summary.warnings if "system" in w] == [
        "the prompts' system message 'Be careful.' (sent by `veriscene eval --prompts`) is in no record: a llava "
        "export has no place for one (sharegpt, trl and verl have); train with it as the trainer sets one (LLaVA: "
        "its conversation template)"]


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
