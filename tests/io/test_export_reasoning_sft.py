"""SFT on reasoning targets: one SFTTrainer step (TRL) on `export --to trl --reasoning
--embed-images`, and the chat templates TRL trains with keep every think / answer text intact.

The model is the tiny randomly initialised LLaVA of the GRPO smoke test (nothing is downloaded).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export

datasets = pytest.importorskip("datasets")
pytest.importorskip("transformers")
trl = pytest.importorskip("trl")
pytest.importorskip("torch")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reasoning_sft")
    run_demo(out, scenes=2, seed=3)
    return out


def _text(message: dict) -> str:
    return message["content"][0]["text"]


def test_one_sft_step_trains_on_the_think_and_answer_blocks(demo: Path, tmp_path: Path) -> None:
    from tests.rewards.test_grpo_vlm_smoke import one_sft_step, tiny_processor

    export(demo, tmp_path / "trl.parquet", "trl", reasoning=True, embed_images=True)
    dataset = datasets.load_dataset("parquet", data_files=str(tmp_path / "trl.parquet"), split="train")
    dataset = dataset.filter(lambda r: len(r["images"]) == 1 and r["task"] == "attribute.count.v1").select(range(2))
    targets = [_text(r["completion"][0]) for r in dataset]
    assert all(t.startswith("<think>\nThere ") and t.endswith("</answer>") for t in targets)
    processor = tiny_processor([p["text"] for r in dataset for m in r["prompt"] + r["completion"]
                                for p in m["content"] if p["text"]])
    trainer = one_sft_step(processor, dataset, tmp_path / "out")

    batch = trainer.data_collator([dict(dataset[0]), dict(dataset[1])])
    for row, target in enumerate(targets):
        trained = batch["input_ids"][row][batch["labels"][row] != -100]  # the tokens the loss is taken on
        said = processor.tokenizer.decode(trained)
        expected = processor.tokenizer.decode(processor.tokenizer(target, add_special_tokens=False)["input_ids"])
        assert said.startswith(expected) and said.count("<think>") == 1 and "[UNK]" not in said


@pytest.mark.parametrize("template", ["qwen2_5_vl_training.jinja", "qwen3_vl_training.jinja",
                                      "qwen3_5_think_training.jinja"])
def test_training_templates_keep_every_turns_reasoning(demo: Path, tmp_path: Path, template: str) -> None:
    """A conversation of three questions: each turn's rationale and answer are rendered, inside
    the assistant spans `assistant_only_loss` trains on (a Qwen3 inference template drops the
    rationales of turns before the last: train with TRL's training templates)."""
    from transformers.utils.chat_template_utils import render_jinja_template
    from trl.data_utils import prepare_multimodal_messages

    export(demo, tmp_path / "t.jsonl", "trl", reasoning=True, turns=3, mc_style="letter_text")
    dataset = datasets.load_dataset("json", data_files=str(tmp_path / "t.jsonl"), split="train")
    record = next(r for r in dataset if len(r["sample_ids"]) == 3 and len(r["images"]) == 1)
    messages = prepare_multimodal_messages(record["messages"], images=record["images"])
    chat = (Path(trl.__file__).parent / "chat_templates" / template).read_text()
    (rendered,), (spans,) = render_jinja_template([messages], chat_template=chat, return_assistant_tokens_mask=True)
    trained = "".join(rendered[a:b] for a, b in spans)
    for target in (_text(m) for m in record["messages"] if m["role"] == "assistant"):
        think, answer = target.split("\n</think>\n")
        assert think.removeprefix("<think>\n") in trained and answer in trained
    assert trained.count("</think>") == 3 and trained.count("<answer>") == 3
