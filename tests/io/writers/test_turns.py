"""Multi-turn exports (`turns` > 1): questions about the same image(s) in one conversation."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from tests.io.conftest import SAMPLES, make_sample
from tests.typer_app import invoke

from veriscene.commands.export import register
from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export
from veriscene.io.writers import turns as turns_module
from veriscene.io.writers.turns import Turn, conversations


def turn(sid: str, images: tuple[str, ...] = ("a.png",), block: int = 1, program: str | None = None,
         answer_type: str = "int", caption: bool = False) -> Turn:
    return Turn(sid, images, f"question {sid}?", "1", {"program": program or sid, "answer_type": answer_type}, block,
                caption=caption)


def ids(groups: list[list[Turn]]) -> list[list[str]]:
    return [[t.sample_id for t in g] for g in groups]


def test_turns_of_one_image_are_grouped_in_id_order_up_to_the_size() -> None:
    got = conversations([turn("c"), turn("a"), turn("e"), turn("b"), turn("d")], 2)
    assert ids(list(got)) == [["a", "b"], ["c", "d"], ["e"]]


def test_other_images_and_other_scenes_never_share_a_conversation() -> None:
    made = [turn("a"), turn("b", images=("b.png",)), turn("c"), turn("d", images=("a.png", "b.png")),
            turn("e", block=2), turn("f", block=2)]
    # a.png in scene 1: a, c; b.png: b; the pair: d; a.png in scene 2: e, f
    assert ids(list(conversations(made, 4))) == [["a", "c"], ["b"], ["d"], ["e", "f"]]


def test_a_fact_is_asked_once_per_conversation_and_captions_come_last() -> None:
    made = [turn("a", program="P"), turn("b", program="P"), turn("c"), turn("d"),
            turn("0", answer_type="text")]
    got = ids(list(conversations(made, 3)))
    # a and b are one program (its qa and mc forms): never together; the caption "0" sorts first
    # by id but is said last
    assert got == [["a", "c", "d"], ["b", "0"]]


def test_a_caption_of_the_whole_image_comes_after_a_description_of_one_object() -> None:
    """A caption lists every object: before "What is in the box [...]?" it names the answer."""
    made = [turn("0", answer_type="text", caption=True), turn("1", answer_type="text"), turn("2")]
    assert ids(list(conversations(made, 3))) == [["2", "1", "0"]]


@pytest.mark.parametrize("reasoning", [False, True])
def test_no_turn_follows_a_caption_in_a_demo_export(tmp_path: Path, reasoning: bool) -> None:
    """On the demo, whose captions and descriptions of one region share conversations, a caption
    ends its conversation, with or without reasoning targets."""
    from veriscene.rationale_captions import is_caption

    run = tmp_path / "demo"
    run_demo(run, scenes=6, seed=0, render=False)
    export(run, tmp_path / "l.json", "llava", turns=4, reasoning=reasoning)
    samples = {s["id"]: s for s in map(json.loads, (run / "samples.jsonl").read_text().splitlines())}
    captions = Counter()
    for record in json.loads((tmp_path / "l.json").read_text()):
        asked = [samples[p["sample_id"]] for p in record["veriscene"]]
        places = [k for k, s in enumerate(asked) if is_caption(s["program"])]
        assert places in ([], [len(asked) - 1]), [s["task"] for s in asked]
        captions[len(asked) > 1] += bool(places)
    assert captions[True] > 0  # captions that share a conversation: the rule was exercised


def test_a_block_is_closed_after_max_block_turns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(turns_module, "MAX_BLOCK", 2)
    assert ids(list(conversations([turn("c"), turn("b"), turn("a")], 5))) == [["b", "c"], ["a"]]


@pytest.mark.parametrize("size", [0, -1, 1.5, True])
def test_a_size_below_one_is_refused(size: object) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(conversations([turn("a")], size))  # type: ignore[arg-type]


def test_llava_conversation_shows_the_image_once(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "out" / "llava.json", "llava", turns=4)
    records = json.loads((tmp_path / "out" / "llava.json").read_text())
    # a.png: s-int and s-mc; b.png: s-bool and s-box, apart since the fixture gives them one
    # program; the pair; the missing image
    assert [[p["sample_id"] for p in r["veriscene"]] for r in records] == [
        ["s-int", "s-mc"], ["s-bool"], ["s-box"], ["s-multi"], ["s-missing"]]
    first = records[0]
    assert first["image"] == "../run/images/a.png"
    said = [m["value"] for m in first["conversations"]]
    assert said == ["<image>\nHow many cups are there?", "3", SAMPLES[1]["question"], "B"]
    assert first["id"].startswith("conv-") and records[3]["id"] == "s-multi"
    assert records[3]["conversations"][0]["value"].startswith("<image>\n<image>\n")
    assert (summary.samples_written, summary.conversations, summary.samples_skipped) == (6, 5, 1)


def test_sharegpt_conversation_has_one_placeholder_per_image(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "sg.json", "sharegpt", turns=2)
    for record in json.loads((tmp_path / "sg.json").read_text()):
        users = [m["content"] for m in record["messages"] if m["role"] == "user"]
        assert sum(u.count("<image>") for u in users) == len(record["images"])
        assert all("<image>" not in u for u in users[1:])


def test_placeholders_in_a_question_are_moved_to_the_first_turn(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    samples = [make_sample("s1", ["a.png"], question="<image>\nWhat is this?"),
               make_sample("s2", ["a.png"], question="<image>How many?", program=[{"op": "other"}])]
    (run / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    export(run, tmp_path / "llava.json", "llava", turns=2)
    said = [m["value"] for m in json.loads((tmp_path / "llava.json").read_text())[0]["conversations"]]
    assert said[0] == "<image>\nWhat is this?" and said[2] == "How many?"


def test_a_plain_export_of_malformed_programs_writes_them_as_before(tmp_path: Path) -> None:
    """Telling a caption apart reads the program's nodes only where they are nodes."""
    run = tmp_path / "run"
    run.mkdir()
    programs: list[object] = [[{"op": "describe_scene", "args": [0]}], ["describe_scene"], "describe_scene", 7]
    samples = [make_sample(f"s{k}", ["a.png"], program=program) for k, program in enumerate(programs)]
    (run / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    summary = export(run, tmp_path / "llava.json", "llava", turns=4)
    assert (summary.samples_written, summary.samples_skipped) == (4, 0)
    record = json.loads((tmp_path / "llava.json").read_text())[0]
    assert [p["sample_id"] for p in record["veriscene"]] == ["s1", "s2", "s3", "s0"]  # the caption, s0, last


def test_one_turn_keeps_the_single_sample_records(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "one.json", "llava")
    export(run_dir, tmp_path / "turns1.json", "llava", turns=1)
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "turns1.json").read_bytes()
    assert isinstance(json.loads((tmp_path / "one.json").read_text())[0]["veriscene"], dict)


def test_a_generated_run_keeps_every_sample_once(tmp_path: Path) -> None:
    """On a real run: every sample in exactly one conversation, none repeating a program, the
    same export twice byte for byte."""
    run_demo(tmp_path / "demo", scenes=4, seed=5, render=False)
    samples = [json.loads(line) for line in (tmp_path / "demo" / "samples.jsonl").read_text().splitlines()]
    first = export(tmp_path / "demo", tmp_path / "a.json", "llava", turns=5)
    export(tmp_path / "demo", tmp_path / "b.json", "llava", turns=5)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    records = json.loads((tmp_path / "a.json").read_text())
    asked = [p["sample_id"] for r in records for p in r["veriscene"]]
    assert sorted(asked) == sorted(s["id"] for s in samples)
    by_id = {s["id"]: s for s in samples}
    for record in records:
        members = [by_id[p["sample_id"]] for p in record["veriscene"]]
        assert 1 <= len(members) <= 5
        assert len({json.dumps(m["program"]) for m in members}) == len(members)
        assert len({json.dumps(m["images"]) for m in members}) == 1
        assert len(record["conversations"]) == 2 * len(members)
    assert first.conversations == len(records) < len(samples)
    assert Counter(len(r["veriscene"]) for r in records)[5] > 0


def cli(*args: str) -> str:
    result = invoke(register, "export", *args)
    return f"{result.exit_code} {result.output}"


def test_cli_turns(run_dir: Path, tmp_path: Path) -> None:
    said = cli(str(run_dir), "--to", "sharegpt", "--turns", "3", "--out", str(tmp_path / "sg.json"))
    assert said.startswith("0 ") and "conversations" in said
    refused = cli(str(run_dir), "--to", "parquet", "--turns", "3", "--out", str(tmp_path / "p"))
    assert refused.startswith("2 ") and "--turns does not apply to parquet" in refused
    assert not (tmp_path / "p").exists()


def test_a_turn_whose_answer_an_earlier_target_states_goes_to_another_conversation() -> None:
    """With reasoning targets, "What color is the star at B?" never follows "... the red star at B"."""
    from dataclasses import replace

    said = replace(turn("a"), answer="<think>\nThere is one star: the red star at [0.1, 0.2, 0.3, 0.4].\n</think>")
    asked = replace(turn("b"), leaks=(((r"\[0\.1, 0\.2, 0\.3, 0\.4\]", r"\bred\b"),),))
    unrelated = replace(turn("c"), leaks=(((r"\[0\.5, 0\.5, 0\.6, 0\.6\]", r"\bred\b"),),))
    assert ids(list(conversations([said, asked, unrelated], 3))) == [["a", "c"], ["b"]]


def test_reasoning_conversations_never_answer_a_later_question_before_it_is_asked(tmp_path: Path) -> None:
    """On the demo, the targets before a turn of a reasoning export state none of its answers
    (`rationale_leaks`); without the rule, 131 of 548 later turns of 20 scenes were answered so."""
    from veriscene.program import ExecutionContext
    from veriscene.rationale_leaks import answer_markers, leaks
    from veriscene.rewards.process import sample_box_format
    from veriscene.scene.jsonl import read_scenes

    run = tmp_path / "demo"
    run_demo(run, scenes=6, seed=0)
    export(run, tmp_path / "l.json", "llava", turns=4, reasoning=True)
    samples = {s["id"]: s for s in map(json.loads, (run / "samples.jsonl").read_text().splitlines())}
    scenes = {s.image_id: s for s in read_scenes(run / "scenes.jsonl")}
    checked = 0
    for record in json.loads((tmp_path / "l.json").read_text()):
        replies = [m["value"] for m in record["conversations"] if m["from"] == "gpt"]
        for k, prov in enumerate(record["veriscene"][1:], start=1):
            sample = samples[prov["sample_id"]]
            ctx = ExecutionContext([scenes[i["id"]] for i in sample["images"]])
            markers = answer_markers(sample, ctx, sample_box_format(sample))
            checked += bool(markers)
            assert not leaks(markers, "\n".join(replies[:k])), (record["id"], k)
    assert checked > 50
