"""End to end: one SFTTrainer step on the Parquet file `export --to trl --turns N --embed-images`
writes, as `datasets` loads it.

The model is the tiny randomly initialised LLaVA of the GRPO smoke test (nothing is downloaded).
What is checked is the data contract of multi-turn vision SFT: SFTTrainer takes the `messages` +
`images` records as a vision data set, its collator fills the first message's image parts from
`images` and renders every turn, one image per part.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export

datasets = pytest.importorskip("datasets")
pytest.importorskip("transformers")
pytest.importorskip("trl")
torch = pytest.importorskip("torch")


def test_one_sft_step_on_multi_turn_records(tmp_path: Path) -> None:
    from tests.rewards.test_grpo_vlm_smoke import one_sft_step, tiny_processor

    run_demo(tmp_path / "demo", scenes=2, seed=3)
    export(tmp_path / "demo", tmp_path / "trl.parquet", "trl", turns=3, embed_images=True)
    dataset = datasets.load_dataset("parquet", data_files=str(tmp_path / "trl.parquet"), split="train")
    dataset = dataset.filter(lambda r: len(r["sample_ids"]) == 3 and len(r["images"]) == 1).select(range(2))
    texts = [p["text"] for r in dataset for m in r["messages"] for p in m["content"] if p["text"]]
    processor = tiny_processor(texts)

    trainer = one_sft_step(processor, dataset, tmp_path / "out")

    batch = trainer.data_collator([dict(dataset[0]), dict(dataset[1])])
    image_token = processor.tokenizer.convert_tokens_to_ids("<image>")
    per_image = (batch["input_ids"][0] == image_token).sum().item()
    assert per_image > 0 and batch["pixel_values"].shape[0] == 2  # one image per conversation
    assert (batch["input_ids"][1] == image_token).sum().item() == per_image
    said = processor.tokenizer.decode(batch["input_ids"][0])
    answers = [m["content"][0]["text"] for m in dataset[0]["messages"] if m["role"] == "assistant"]
    assert len(answers) == 3 and said.count("<|im_end|>") == 6  # three questions, three answers
    for answer in answers:
        assert processor.tokenizer.decode(processor.tokenizer(answer, add_special_tokens=False)["input_ids"]) in said
