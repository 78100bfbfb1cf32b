"""A system message for every record (`system=`, `--system TEXT`): in the chat formats that have
a place for one (trl, sharegpt, verl), refused with the reason by the others."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from tests.typer_app import invoke

from veriscene.commands.export import register
from veriscene.io.export import export
from veriscene.io.writers import SYSTEM_FORMATS

R1 = ("A conversation between User and Assistant. The assistant first thinks about the reasoning process and then "
      "gives the answer, in <think> </think> and <answer> </answer> tags.")
SYSTEM = {"role": "system", "content": [{"type": "text", "text": R1}]}


def _jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_trl_prompts_and_conversations_open_with_it(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "one.jsonl", "trl", system=R1)
    rows = _jsonl(tmp_path / "one.jsonl")
    assert rows and all(r["prompt"][0] == SYSTEM and r["prompt"][1]["role"] == "user" for r in rows)
    export(run_dir, tmp_path / "conv.jsonl", "trl", system=R1, turns=4)
    convs = _jsonl(tmp_path / "conv.jsonl")
    assert all(r["messages"][0] == SYSTEM and [m["role"] for m in r["messages"]].count("system") == 1 for r in convs)
    export(run_dir, tmp_path / "conv.parquet", "trl", system=R1, turns=4)  # fits the messages' struct type
    assert pq.read_table(tmp_path / "conv.parquet").to_pylist()[0]["messages"][0] == SYSTEM
    from PIL import Image
    from trl.data_utils import prepare_multimodal_messages  # what SFTTrainer's vision collator calls

    first = rows[0]
    shown = [Image.new("RGB", (8, 8)) for _ in first["images"]]
    prepared = prepare_multimodal_messages(first["prompt"] + first["completion"], images=shown)
    assert prepared[0] == SYSTEM and sum(p["type"] == "image" for p in prepared[1]["content"]) == len(shown)
    export(run_dir, tmp_path / "plain.jsonl", "trl")
    assert all(r["prompt"][0]["role"] == "user" for r in _jsonl(tmp_path / "plain.jsonl"))  # none without it


def test_sharegpt_records_and_dataset_info_name_the_system_column(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "sg" / "sharegpt.json", "sharegpt", system=R1, turns=2)
    rows = json.loads((tmp_path / "sg" / "sharegpt.json").read_text())
    assert rows and {r["system"] for r in rows} == {R1}
    assert all(m["role"] != "system" for r in rows for m in r["messages"])  # the column, not a message
    info = json.loads((tmp_path / "sg" / "dataset_info.json").read_text())["sharegpt"]
    assert info["columns"] == {"messages": "messages", "images": "images", "system": "system"}
    export(run_dir, tmp_path / "plain" / "sharegpt.json", "sharegpt")
    assert "system" not in json.loads((tmp_path / "plain" / "dataset_info.json").read_text())["sharegpt"]["columns"]


def test_verl_prompts_open_with_it(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "v.parquet", "verl", system=R1)
    prompts = pq.read_table(tmp_path / "v.parquet", columns=["prompt"]).to_pylist()
    assert prompts and all(p["prompt"][0] == {"role": "system", "content": R1} for p in prompts)
    assert {p["prompt"][1]["role"] for p in prompts} == {"user"}


@pytest.mark.parametrize("fmt, why", [("llava", "conversation template"), ("parquet", "not chat messages"),
                                      ("jsonl", "ids hash"), ("lmms_eval", "--prompts FILE")])
def test_formats_without_a_place_for_it_refuse_it(run_dir: Path, tmp_path: Path, fmt: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"system message is for sharegpt, trl, verl, not {fmt} .*{why}"):
        export(run_dir, tmp_path / "out", fmt, system=R1)
    assert not (tmp_path / "out").exists()
    assert fmt not in SYSTEM_FORMATS


@pytest.mark.parametrize("system", ["", "  \n", 3])
def test_blank_or_non_text_is_refused(run_dir: Path, tmp_path: Path, system: object) -> None:
    with pytest.raises(ValueError, match="system message must be non-empty text"):
        export(run_dir, tmp_path / "t.jsonl", "trl", system=system)


def test_the_cli_takes_system_where_it_has_a_place(run_dir: Path, tmp_path: Path) -> None:
    done = invoke(register, "export", str(run_dir), "--to", "trl", "--out", str(tmp_path / "t.jsonl"), "--system", R1)
    assert done.exit_code == 0, done.output
    assert _jsonl(tmp_path / "t.jsonl")[0]["prompt"][0] == SYSTEM
    refused = invoke(register, "export", str(run_dir), "--to", "llava", "--out", str(tmp_path / "l.json"),
                     "--system", R1)
    assert refused.exit_code == 2 and "not llava" in refused.output and not (tmp_path / "l.json").exists()
