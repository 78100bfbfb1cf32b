"""TRL multi-turn export (`turns` > 1): SFT `messages` records, JSONL and Parquet, read back by
pyarrow, `datasets` and TRL's own message preparation."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from PIL import Image
from tests.io.conftest import SAMPLES
from tests.typer_app import invoke

from veriscene.commands.export import register
from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export

BY_ID = {s["id"]: s for s in SAMPLES}
# the fixture's conversations at turns=4 (as llava groups them, test_turns): a.png asks s-int and
# s-mc; b.png's two samples share a program, so they stay apart; the pair; the missing image
GROUPS = [["s-int", "s-mc"], ["s-bool"], ["s-box"], ["s-multi"], ["s-missing"]]


def read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def user(*parts: dict) -> dict:
    return {"role": "user", "content": list(parts)}


def assistant(text: str) -> dict:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


IMAGE = {"type": "image"}


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def test_jsonl_records_hold_each_turn_and_its_ground_truth(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "out" / "trl.jsonl", "trl", turns=4)
    records = read_jsonl(tmp_path / "out" / "trl.jsonl")
    assert [r["sample_ids"] for r in records] == GROUPS
    assert (summary.samples_written, summary.conversations, summary.samples_skipped) == (6, 5, 1)
    first = records[0]
    assert first["messages"] == [
        user(IMAGE, text("How many cups are there?")), assistant("3"),
        user(text(BY_ID["s-mc"]["question"])), assistant("B"),  # the image once, in the first turn
    ]
    assert first["images"] == ["../run/images/a.png"]
    assert first["id"].startswith("conv-") and records[1]["id"] == "s-bool"
    assert first["tasks"] == ["object.count.v1", "attribute.color.v1"]
    assert first["answer_types"] == ["int", "str"]
    assert json.loads(first["answers"]) == [3, "red"]
    assert json.loads(first["programs"]) == [BY_ID["s-int"]["program"], BY_ID["s-mc"]["program"]]
    # turn k's ground truth is the single-turn export's `ground_truth` of its sample
    single = {r["sample_id"]: json.loads(r["ground_truth"])
              for r in read_jsonl(export(run_dir, tmp_path / "one.jsonl", "trl").files[0])}
    for record in records:
        assert json.loads(record["ground_truths"]) == [single[sid] for sid in record["sample_ids"]]
    assert json.loads(first["ground_truths"])[1]["answer_letter"] == "B"


def test_multi_image_sample_shows_every_image_in_its_first_message(run_dir: Path, tmp_path: Path) -> None:
    export(run_dir, tmp_path / "t.jsonl", "trl", turns=3)
    multi = next(r for r in read_jsonl(tmp_path / "t.jsonl") if r["sample_ids"] == ["s-multi"])
    assert multi["messages"] == [user(IMAGE, IMAGE, text("Which image shows a dog?")), assistant("Image 2")]
    assert multi["images"] == ["run/images/a.png", "run/images/c.png"]
    assert multi["id"] == "s-multi"


def test_placeholders_are_taken_out_of_later_turns(tmp_path: Path) -> None:
    from tests.io.conftest import make_sample

    run = tmp_path / "run"
    run.mkdir()
    samples = [make_sample("s1", ["a.png"], question="<image>\nWhat is this?"),
               make_sample("s2", ["a.png"], question="<image>How many?", program=[{"op": "other"}])]
    (run / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    export(run, tmp_path / "t.jsonl", "trl", turns=2)
    (record,) = read_jsonl(tmp_path / "t.jsonl")
    assert record["messages"][0] == user(IMAGE, text("What is this?"))
    assert record["messages"][2] == user(text("How many?"))


@pytest.mark.parametrize("name", ["t.jsonl", "t.parquet"])
def test_one_turn_is_the_single_question_export(run_dir: Path, tmp_path: Path, name: str) -> None:
    export(run_dir, tmp_path / "a" / name, "trl")
    export(run_dir, tmp_path / "b" / name, "trl", turns=1)
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_parquet_embeds_each_conversation_s_images(run_dir: Path, tmp_path: Path) -> None:
    summary = export(run_dir, tmp_path / "t.parquet", "trl", turns=4, embed_images=True)
    rows = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert [r["sample_ids"] for r in rows] == GROUPS
    sizes = [[Image.open(BytesIO(cell["bytes"])).size if cell else None for cell in r["images"]] for r in rows]
    assert sizes == [[(40, 30)], [(40, 80)], [(40, 80)], [(40, 30), (20, 20)], [None]]  # missing: a null cell
    assert rows[0]["images"][0]["path"] == "run/images/a.png"
    # arrow gives every part both fields: an image part's text is null
    assert rows[0]["messages"][0]["content"] == [{"type": "image", "text": None},
                                                 {"type": "text", "text": "How many cups are there?"}]
    assert [m["content"][0]["text"] for m in rows[0]["messages"][1:]] == ["3", BY_ID["s-mc"]["question"], "B"]
    assert json.loads(rows[2]["ground_truths"])[0]["image_size"] == [40, 80]
    assert summary.images_missing == 1


@pytest.mark.parametrize("turns", [1, 4])
def test_parquet_embeds_a_photo_stored_turned_upright_as_single_questions_do(run_dir: Path, tmp_path: Path,
                                                                          turns: int) -> None:
    """A photo stored sideways (EXIF orientation 8) is embedded upright and untagged, the size its
    samples' boxes are of, in conversations as in single questions (`scene.image_files.payload`):
    a trainer's loader that ignores EXIF sees what the questions ask about."""
    exif = Image.Exif()
    exif[0x0112] = 8  # shown turned 90 degrees clockwise of how it is stored
    Image.new("RGB", (30, 40), "red").save(run_dir / "images" / "a.png", exif=exif.tobytes())  # shown 40x30
    export(run_dir, tmp_path / "t.parquet", "trl", turns=turns, embed_images=True)
    rows = pq.read_table(tmp_path / "t.parquet").to_pylist()
    shown = Image.open(BytesIO(rows[0]["images"][0]["bytes"]))
    assert (shown.size, shown.getexif().get(0x0112)) == ((40, 30), None)


def test_parquet_loads_with_datasets_in_trl_s_shape(run_dir: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    export(run_dir, tmp_path / "t.parquet", "trl", turns=4, embed_images=True)
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "t.parquet"), split="train")
    assert ds.column_names == ["messages", "images", "id", "sample_ids", "tasks", "answer_types", "answers",
                               "ground_truths", "programs"]
    row = ds[0]
    assert [im.size for im in row["images"]] == [(40, 30)]  # decoded as PIL images (Image feature)
    assert [m["role"] for m in row["messages"]] == ["user", "assistant", "user", "assistant"]

    trl_data = pytest.importorskip("trl.data_utils")
    assert trl_data.is_conversational(row)
    # what SFTTrainer's vision collator does before applying the chat template: fill the image
    # parts with the row's images (it raises when their numbers differ)
    filled = trl_data.prepare_multimodal_messages(row["messages"], images=row["images"])
    placed = [[p["image"].size for p in m["content"] if "image" in p] for m in filled]
    assert placed == [[(40, 30)], [], [], []]
    multi = ds[3]
    filled = trl_data.prepare_multimodal_messages(multi["messages"], images=multi["images"])
    assert [p["image"].size for p in filled[0]["content"] if "image" in p] == [(40, 30), (20, 20)]


def test_a_shipped_training_template_renders_every_turn(run_dir: Path, tmp_path: Path) -> None:
    """TRL's Qwen2.5-VL training template (shipped with trl, no model needed) renders one vision
    block per image and marks each answer as an assistant span (`assistant_only_loss`)."""
    trl = pytest.importorskip("trl")
    from transformers.utils.chat_template_utils import render_jinja_template
    from trl.data_utils import prepare_multimodal_messages

    template = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5_vl_training.jinja").read_text()
    export(run_dir, tmp_path / "t.jsonl", "trl", turns=4)
    first = read_jsonl(tmp_path / "t.jsonl")[0]
    messages = prepare_multimodal_messages(first["messages"], images=first["images"])
    (rendered,), (spans,) = render_jinja_template([messages], chat_template=template,
                                                  return_assistant_tokens_mask=True)
    assert rendered.count("<|vision_start|><|image_pad|><|vision_end|>") == 1
    assert rendered.index("<|image_pad|>") < rendered.index("How many cups")
    assert [rendered[a:b] for a, b in spans] == ["3<|im_end|>\n", "B<|im_end|>\n"]


def test_every_turn_scores_with_the_rewards(run_dir: Path, tmp_path: Path) -> None:
    """A reward reads a turn's entry of `ground_truths` as it reads a single-turn `ground_truth`."""
    from veriscene.rewards import make_accuracy_reward

    export(run_dir, tmp_path / "t.jsonl", "trl", turns=4)
    reward = make_accuracy_reward()
    scored = []
    for record in read_jsonl(tmp_path / "t.jsonl"):
        truths = [orjson.dumps(t).decode() for t in json.loads(record["ground_truths"])]
        replies = [[m] for m in record["messages"] if m["role"] == "assistant"]
        scored += reward(completions=replies, ground_truth=truths)
        scored += reward(completions=[[assistant("no idea")]] * len(truths), ground_truth=truths)
    assert scored == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]


def test_same_conversations_as_llava_on_a_generated_run(tmp_path: Path) -> None:
    run_demo(tmp_path / "demo", scenes=3, seed=5, render=False)
    llava = export(tmp_path / "demo", tmp_path / "l.json", "llava", turns=5)
    trl = export(tmp_path / "demo", tmp_path / "t.jsonl", "trl", turns=5)
    asked = [([p["sample_id"] for p in r["veriscene"]], r["id"])
             for r in json.loads((tmp_path / "l.json").read_text())]
    records = read_jsonl(tmp_path / "t.jsonl")
    assert [(r["sample_ids"], r["id"]) for r in records] == asked
    assert trl.conversations == llava.conversations < trl.samples_written
    assert any(len(r["sample_ids"]) == 5 for r in records)
    for record in records:
        users = [m for m in record["messages"] if m["role"] == "user"]
        assert sum(p["type"] == "image" for m in users for p in m["content"]) == len(record["images"])
        assert all(p["type"] == "text" for m in users[1:] for p in m["content"])


def test_cli_turns_for_trl(run_dir: Path, tmp_path: Path) -> None:
    result = invoke(register, "export", str(run_dir), "--to", "trl", "--turns", "3",
                    "--out", str(tmp_path / "t.parquet"), "--embed-images")
    assert result.exit_code == 0, result.output
    assert "conversations" in result.output
    assert pq.read_schema(tmp_path / "t.parquet").names[:3] == ["messages", "images", "id"]


def test_an_image_shown_by_several_conversations_is_read_once(tmp_path: Path) -> None:
    from veriscene.io.writers.common import ImageRef
    from veriscene.io.writers.trl import ConversationImages

    paths = [tmp_path / f"{k}.png" for k in range(3)]
    for k, path in enumerate(paths):
        Image.new("RGB", (4, 4), (k, 0, 0)).save(path)  # plain RGB PNGs: embedded as they are
    refs = [ImageRef(str(k), path, path.name, True) for k, path in enumerate(paths)]
    read = ConversationImages(size=2)
    got = [read(refs[k]) for k in (0, 0, 1, 0, 2, 1, 0)]
    assert got == [paths[k].read_bytes() for k in (0, 0, 1, 0, 2, 1, 0)]
    # two kept, the last used: 0 and 1 read, 0 kept; 2 read (1 let go), 1 read again (0 let go), 0 again
    assert read.reads == 5
    assert read(ImageRef("x", tmp_path / "missing.png", "missing.png", False)) is None
