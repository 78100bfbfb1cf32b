"""End to end with images: one GRPO step of TRL's GRPOTrainer on the Parquet file `export --to trl
--embed-images` writes, loaded and given a system message exactly as the README shows.

The policy is a tiny randomly initialised LLaVA (a one-layer CLIP vision tower on 28 x 28 images,
a two-layer Qwen2 language model, hidden size 32) with a word-level tokenizer trained here: nothing
is downloaded. What is checked is the data contract: GRPOTrainer fills the prompt's image parts
from the `images` column, the processor renders one image per part, and the reward functions get
every other column, one value per completion.
"""

from __future__ import annotations

import datasets
import pytest
import torch

from veriscene.io.export import export
from veriscene.rewards import format_reward, make_accuracy_reward

transformers = pytest.importorskip("transformers")
pytest.importorskip("trl")

SPECIAL = ["<image>", "<|im_end|>"]
ANSWER_TOKENS = ["yes", "no", "0", "1", "2", "3", "<think>", "</think>", "<answer>", "</answer>"]
TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {% for p in m['content'] %}"
            "{% if p['type'] == 'image' %}<image> {% else %}{{ p['text'] }} {% endif %}{% endfor %}<|im_end|> "
            "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}")
SYSTEM = "Think inside <think> </think>, then give only the final answer inside <answer> </answer>."


def tiny_processor(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlavaProcessor, PreTrainedTokenizerFast

    try:
        from transformers import CLIPImageProcessorPil as ImageProcessor  # no torchvision needed
    except ImportError:
        from transformers import CLIPImageProcessor as ImageProcessor
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.train_from_iterator([*texts, " ".join(ANSWER_TOKENS), "system user assistant"],
                            trainer=trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", *SPECIAL]))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                        eos_token="<|im_end|>", additional_special_tokens=SPECIAL)
    tokenizer.chat_template = TEMPLATE
    images = ImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    return LlavaProcessor(image_processor=images, tokenizer=tokenizer, chat_template=TEMPLATE, patch_size=14,
                          vision_feature_select_strategy="default", num_additional_image_tokens=1)


def tiny_llava(processor):
    from transformers import CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration, Qwen2Config

    tok = processor.tokenizer
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                       image_size=28, patch_size=14, projection_dim=32),
        text_config=Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024,
                                pad_token_id=tok.pad_token_id, eos_token_id=eos, bos_token_id=eos,
                                tie_word_embeddings=True),
        image_token_index=tok.convert_tokens_to_ids("<image>"), vision_feature_select_strategy="default",
        vision_feature_layer=-1, tie_word_embeddings=True)
    torch.manual_seed(0)
    return LlavaForConditionalGeneration(config)


def one_sft_step(processor, dataset, out):
    """One SFTTrainer step of a tiny random LLaVA on `dataset` (two rows a batch, on the CPU); the
    trainer, whose collator the callers read the trained tokens from."""
    from trl import SFTConfig, SFTTrainer

    args = SFTConfig(output_dir=str(out), per_device_train_batch_size=2, max_steps=1,
                     learning_rate=1e-3, logging_steps=1, report_to="none", use_cpu=True, save_strategy="no",
                     seed=0, max_length=None)
    trainer = SFTTrainer(model=tiny_llava(processor), args=args, train_dataset=dataset, processing_class=processor)
    trainer.train()
    assert trainer.state.global_step == 1
    return trainer


def test_one_grpo_step_on_the_exported_parquet_with_images(demo_run, tmp_path):
    from trl import GRPOConfig, GRPOTrainer

    export(demo_run, tmp_path / "trl.parquet", "trl", embed_images=True)
    dataset = datasets.load_dataset("parquet", data_files=str(tmp_path / "trl.parquet"), split="train")
    dataset = dataset.filter(lambda r: r["answer_type"] in ("bool", "int") and not r["choices"]
                             and len(r["images"]) == 1).select(range(4))
    dataset = dataset.map(lambda row: {"prompt": [{"role": "system", "content": [{"type": "text", "text": SYSTEM}]},
                                                  *row["prompt"]]})  # as the README's GRPO example
    processor = tiny_processor([p["text"] for r in dataset for m in r["prompt"] for p in m["content"] if p["text"]])
    accuracy = make_accuracy_reward(vocabulary_file=tmp_path / "trl.vocabulary.json")
    calls: list[dict] = []

    def accuracy_reward(prompts, completions, **columns):  # spy around the real reward
        calls.append({"prompts": prompts, "columns": columns, "n": len(completions)})
        return accuracy(prompts=prompts, completions=completions, **columns)

    allowed = set(processor.tokenizer.convert_tokens_to_ids([*ANSWER_TOKENS, "<|im_end|>"]))
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=4, num_generations=4, max_completion_length=6,
        max_steps=1, learning_rate=1e-3, beta=0.0, logging_steps=1, report_to="none", use_cpu=True,
        save_strategy="no", seed=0, reward_weights=[1.0, 0.1],
        generation_kwargs={"suppress_tokens": [i for i in range(len(processor.tokenizer)) if i not in allowed]})
    trainer = GRPOTrainer(model=tiny_llava(processor), reward_funcs=[accuracy_reward, format_reward], args=args,
                          train_dataset=dataset, processing_class=processor)
    trainer.train()

    assert trainer.state.global_step == 1
    (call,) = calls
    columns = call["columns"]
    assert {"ground_truth", "program", "images", "sample_id", "answer_type"} <= set(columns)
    assert all(len(v) == call["n"] for k, v in columns.items() if isinstance(v, list))
    assert [len(images) for images in columns["images"]] == [1] * call["n"]
    user = call["prompts"][0][1]
    assert [p["type"] for p in user["content"]] == ["image", "text"] and "image" in user["content"][0]
    assert call["prompts"][0][0]["content"][0]["text"] == SYSTEM
