"""End to end: two GRPO steps of TRL's GRPOTrainer with veriscene rewards on a veriscene data set.

The policy is a tiny randomly initialised Qwen2 causal LM (2 layers, hidden size 32) with a
word-level tokenizer trained here on the data set's text: nothing is downloaded. The model is
text-only, so the prompts are the questions without their image (the TRL export's image part is
dropped); the rewards, the columns and the calling convention are exactly those of a VLM run.
Generation is restricted to a handful of answer tokens so that random completions sometimes
parse and rewards vary within a group (otherwise GRPO's advantages, and the gradient, are zero).
"""

from __future__ import annotations

import json
import math


import torch
import trl  # noqa: F401
import transformers  # noqa: F401
import datasets

from veriscene.answers import score_sample
from veriscene.io.export import export
from veriscene.rewards import accuracy_reward, completion_text, format_reward

ANSWER_TOKENS = ["yes", "no", "0", "1", "2", "3", "<think>", "</think>", "<answer>", "</answer>"]


def tiny_tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tok.train_from_iterator([*texts, " ".join(ANSWER_TOKENS)],
                            trainer=trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[EOS]"]))
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]")
    hf.chat_template = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }} {% endfor %}"
                        "{% if add_generation_prompt %}assistant: {% endif %}")
    return hf


def test_two_grpo_steps_with_veriscene_rewards(demo_run, demo_samples, tmp_path):
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    export(demo_run, tmp_path / "trl.jsonl", "trl")
    with open(tmp_path / "trl.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    rows = [r for r in rows if r["answer_type"] in ("bool", "int") and not r["choices"]][:16]
    data = [{"prompt": [{"role": "user", "content": r["prompt"][0]["content"][-1]["text"]}],
             **{k: r[k] for k in ("ground_truth", "answer", "answer_type", "choices", "sample_id", "task")}}
            for r in rows]
    tokenizer = tiny_tokenizer([d["prompt"][0]["content"] for d in data])
    allowed = set(tokenizer.convert_tokens_to_ids([*ANSWER_TOKENS, "[EOS]"]))
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256, tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id))

    seen: list[tuple[list, list, list]] = []

    def accuracy(prompts, completions, **columns):  # spy around the real reward
        out = accuracy_reward(prompts=prompts, completions=completions, **columns)
        seen.append((completions, columns["sample_id"], out))
        return out
    accuracy.__name__ = "accuracy_reward"

    args = GRPOConfig(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, num_generations=8, max_completion_length=4,
        max_steps=2, learning_rate=1e-3, beta=0.0, logging_steps=1, report_to="none", use_cpu=True,
        save_strategy="no", seed=0, reward_weights=[1.0, 0.1],
        generation_kwargs={"suppress_tokens": [i for i in range(len(tokenizer)) if i not in allowed]})
    trainer = GRPOTrainer(model=model, reward_funcs=[accuracy, format_reward], args=args,
                          train_dataset=datasets.Dataset.from_list(data), processing_class=tokenizer)
    trainer.train()

    assert trainer.state.global_step == 2
    logs = [h for h in trainer.state.log_history if "rewards/accuracy_reward/mean" in h]
    assert len(logs) == 2 and all("rewards/format_reward/mean" in h for h in logs)
    by_id = {s["id"]: s for s in demo_samples}
    assert seen
    for completions, ids, rewards in seen:
        assert len(completions) == len(ids) == len(rewards) == 8
        for completion, sid, reward in zip(completions, ids, rewards):
            want = score_sample(completion_text(completion), by_id[sid]).score
            assert reward == want and not math.isnan(reward)
