"""End to end: GRPO steps of TRL's GRPOTrainer driven by the veriscene environment, with tool calls.

The policy is a tiny randomly initialised Qwen2 causal LM with a byte-level BPE tokenizer trained
here and the Qwen2.5 chat template (TRL knows how to parse its tool calls): nothing is
downloaded. Whole tool calls and whole answers are single added tokens, generation is restricted
to them, and `sequence_bias` ends a message after one of them, so a random policy's rollouts mix
the three ways an episode goes: an `answer` tool call, a `zoom` tool call then another turn, and
an answer in the final message. TRL parses the calls, runs the tools of each rollout's
environment and hands the environments to `environment_reward`; the test checks every reward
against `VQAEnv`'s scoring of what the rollout did. The model is text-only, so the prompts are
the questions without their image and the environments show no images (``show_images=False``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import datasets
import pytest
import torch

from veriscene.answers import score_sample
from veriscene.io.export import export
from veriscene.rewards.completions import completion_text
from veriscene.rewards.trl_env import VQAEnvironmentFactory, environment_reward

trl = pytest.importorskip("trl")

END = "<|im_end|>"
CALLS = {  # one token each: the whole tool call, as the Qwen2.5 template writes one
    "answer_yes": '<tool_call>\n{"name": "answer", "arguments": {"answer": "yes"}}\n</tool_call>',
    "answer_no": '<tool_call>\n{"name": "answer", "arguments": {"answer": "no"}}\n</tool_call>',
    "zoom": '<tool_call>\n{"name": "zoom", "arguments": {"x0": 0, "y0": 0, "x1": 0.5, "y1": 0.5}}\n</tool_call>',
}
TEXT_ANSWERS = ["<answer>yes</answer>", "<answer>no</answer>"]


def tiny_tool_tokenizer(texts: list[str]) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    from trl.chat_template_utils import qwen2_5_chat_template

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainer=trainers.BpeTrainer(
        vocab_size=3000, special_tokens=["<|endoftext|>", "<|im_start|>", END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|endoftext|>", eos_token=END)
    hf.add_tokens([*CALLS.values(), *TEXT_ANSWERS])
    hf.chat_template = qwen2_5_chat_template
    return hf


def test_grpo_steps_with_tool_calls(demo_run: Path, tmp_path: Path) -> None:
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    export(demo_run, tmp_path / "trl.jsonl", "trl")
    factory = VQAEnvironmentFactory(demo_run, max_zooms=1, max_attempts=1, show_images=False)
    shown = {s["id"] for s in factory.env.samples}
    with open(tmp_path / "trl.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    rows = [r for r in rows if r["answer_type"] == "bool" and not r["choices"] and r["sample_id"] in shown][:8]
    data = [{"prompt": [{"role": "user", "content": r["prompt"][0]["content"][-1]["text"]}],
             "sample_id": r["sample_id"]} for r in rows]
    # the text the prompts render to, tool schemas and all, so that they take few tokens
    environment = factory()
    tools = [getattr(environment, name) for name in ("answer", "zoom")]
    corpus = [tiny_tool_tokenizer([]).apply_chat_template(d["prompt"], tools=tools, tokenize=False) for d in data]
    tokenizer = tiny_tool_tokenizer(corpus * 4)
    ids = {name: tokenizer.convert_tokens_to_ids(text) for name, text in [*CALLS.items(), ("end", END)]}
    answers = tokenizer.convert_tokens_to_ids(TEXT_ANSWERS)
    allowed = {*ids.values(), *answers}
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096, tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=ids["end"], bos_token_id=ids["end"]))

    seen: list[tuple[list, list, list]] = []

    def reward(prompts, completions, environments, **columns):  # spy around the real reward
        episodes = [(e.env.sample["id"], e.answered_by_tool, e.zooms_used) for e in environments]
        out = environment_reward(prompts=prompts, completions=completions, environments=environments, **columns)
        seen.append((completions, episodes, out))
        return out
    reward.__name__ = "environment_reward"

    args = GRPOConfig(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=8, num_generations=8, max_completion_length=512,
        max_steps=2, learning_rate=1e-3, beta=0.0, logging_steps=1, report_to="none", use_cpu=True,
        save_strategy="no", seed=0, max_tool_calling_iterations=2,
        generation_kwargs={"suppress_tokens": [i for i in range(len(tokenizer)) if i not in allowed],
                           # one call or one answer a message, then its end
                           "sequence_bias": {(t, ids["end"]): 50.0 for t in [*(ids[n] for n in CALLS), *answers]}})
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=datasets.Dataset.from_list(data),
                          processing_class=tokenizer, environment_factory=factory)
    trainer.train()

    assert trainer.state.global_step == 2 and len(seen) == 2
    logs = [h for h in trainer.state.log_history if "rewards/environment_reward/mean" in h]
    assert len(logs) == 2 and all("tools/call_frequency" in h for h in logs)
    by_id = {s["id"]: s for s in factory.env.samples}
    ways = set()
    for completions, episodes, rewards in seen:
        assert len(completions) == len(episodes) == len(rewards) == 8
        for completion, (sid, by_tool, zooms), got in zip(completions, episodes, rewards):
            calls = [c["function"] for m in completion if m.get("role") == "assistant" for c in m.get("tool_calls") or ()]
            answered = [c["arguments"]["answer"] for c in calls if c["name"] == "answer"]
            assert by_tool == bool(answered) and zooms == sum(c["name"] == "zoom" for c in calls)
            # the episode's answer: the first answer call, else the final message
            reply = f"<answer>{answered[0]}</answer>" if answered else completion_text(completion)
            assert got == score_sample(reply, by_id[sid]).score and not math.isnan(got)
            ways.add("tool" if answered else "text")
            if zooms:
                tool_message = next(m for m in completion if m.get("role") == "tool")
                assert tool_message["content"] == "zoomed to [0.0, 0.0, 0.5, 0.5]"
                ways.add("zoom")
    assert ways == {"tool", "text", "zoom"}
