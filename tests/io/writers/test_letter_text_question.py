"""mc_style="letter_text": the multiple-choice question asks for the letter and text its target
gives ("B. red"). Before, the prompt said "Answer with the option's letter from the given choices."
and the target was "B. red": a model was trained to answer otherwise than asked."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.io.conftest import make_sample

from veriscene.generators.runner import MC_INSTRUCTION
from veriscene.io.writers import write
from veriscene.io.writers.text import MC_LETTER_INSTRUCTION, MC_LETTER_TEXT_INSTRUCTION

QUESTION = f"What color is the cup?\nOptions:\nA. blue\nB. red\nC. green\n{MC_INSTRUCTION}"
ASKED = f"What color is the cup?\nOptions:\nA. blue\nB. red\nC. green\n{MC_LETTER_TEXT_INSTRUCTION}"


def _mc(sid: str) -> dict:
    return make_sample(sid, ["a.png"], task="attribute.query.v1", family="attribute", question=QUESTION,
                       answer="red", answer_type="str", choices=["blue", "red", "green"],
                       meta={"mode": "mc", "answer_letter": "B"})


@pytest.fixture
def samples(tmp_path: Path) -> list[dict]:
    (tmp_path / "a.png").write_bytes(b"png")
    return [_mc("s-mc"), make_sample("s-qa", ["a.png"])]


def test_the_generators_instruction_is_the_one_replaced() -> None:
    assert MC_LETTER_INSTRUCTION == MC_INSTRUCTION


def test_llava_asks_for_letter_and_text(tmp_path: Path, samples: list[dict]) -> None:
    write(samples, tmp_path / "l.json", "llava", sample_root=tmp_path, mc_style="letter_text")
    mc, qa = json.loads((tmp_path / "l.json").read_text())
    assert mc["conversations"] == [{"from": "human", "value": f"<image>\n{ASKED}"}, {"from": "gpt", "value": "B. red"}]
    assert qa["conversations"][0]["value"] == "<image>\nHow many cups are there?"
    write(samples, tmp_path / "letter.json", "llava", sample_root=tmp_path)  # the default: as generated
    assert json.loads((tmp_path / "letter.json").read_text())[0]["conversations"][0]["value"].endswith(MC_INSTRUCTION)


def test_trl_and_parquet_keep_the_generated_question_for_the_rewards(tmp_path: Path, samples: list[dict]) -> None:
    write(samples, tmp_path / "t.jsonl", "trl", sample_root=tmp_path, mc_style="letter_text")
    row = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[0])
    assert row["prompt"][0]["content"][-1]["text"] == ASKED
    assert row["completion"][0]["content"][0]["text"] == "B. red"
    assert json.loads(row["ground_truth"])["question"] == QUESTION
    write(samples, tmp_path / "p.parquet", "parquet", sample_root=tmp_path, mc_style="letter_text")
    first = pq.read_table(tmp_path / "p.parquet").to_pylist()[0]
    assert (first["question"], first["answer_text"]) == (ASKED, "B. red")


def test_conversations_ask_so_too(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"png")
    write([_mc("s-1"), make_sample("s-2", ["a.png"])], tmp_path / "s.json", "sharegpt", sample_root=tmp_path,
          mc_style="letter_text", turns=2)
    messages = json.loads((tmp_path / "s.json").read_text())[0]["messages"]
    asked = {m["content"].replace("<image>", ""): n for n, m in enumerate(messages) if m["role"] == "user"}
    assert ASKED in asked and messages[asked[ASKED] + 1]["content"] == "B. red"
