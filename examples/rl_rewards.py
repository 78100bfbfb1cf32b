"""RL rewards from verifiable samples: TRL reward functions, verl's compute_score, a Gymnasium env.

    python examples/rl_rewards.py           # writes ./rl_run/ (about 2 s)

The rewards score a reply exactly as `veriscene eval` does. In training, TRL's GRPOTrainer calls
them with the exported data set's columns (see README "RL rewards and environment"); here they
are called by hand on a few completions of one exported row. The Gymnasium part needs the `rl`
extra (`pip install 'veriscene[rl]'`) and is skipped, saying so, without it.
"""

import json
from pathlib import Path

from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export
from veriscene.rewards import WeightedReward, compute_score, format_reward, make_accuracy_reward

# --- 1. samples and their TRL export: prompt, completion, images, ground_truth, ... per row ----
run_demo("rl_run", scenes=4, seed=0, generators="counting", mode="qa")
# JSONL here; for training, .parquet with embed_images=True (the `parquet` extra)
exported = export("rl_run", "rl_run/trl.jsonl", to="trl")
rows = [json.loads(line) for line in Path("rl_run/trl.jsonl").read_text().splitlines()]
print(f"export: {exported.samples_written} rows; the run's words for the rewards: "
      f"{exported.vocabulary_file}")

row = next(r for r in rows if r["answer_type"] == "int")  # a "How many ...?" question
gold = json.loads(row["answer"])
print("question:", row["prompt"][-1]["content"][-1]["text"], "| answer:", gold)

# --- 2. TRL reward functions: reward(prompts=..., completions=..., **columns) -> one float each --
completions = {
    "right": f"<think>I count the objects one by one.</think><answer>{gold}</answer>",
    "wrong": f"<think>I count the objects one by one.</think><answer>{gold + 1}</answer>",
    # two numbers in the answer: no answer, 0
    "hedged": f"<think>Hard to tell.</think><answer>{gold} or {gold + 1}</answer>",
    "no tags": f"{gold}",  # right, but not in the format format_reward asks for
}
n = len(completions)
# TRL passes every other column of the data set, one value per completion
columns = {key: [value] * n for key, value in row.items() if key not in ("prompt", "completion")}
prompts = [row["prompt"]] * n
# the run's vocabulary makes the data set's other words rivals of a word answer
accuracy_reward = make_accuracy_reward(vocabulary_file=exported.vocabulary_file)
weighted = WeightedReward(vocabulary_file=exported.vocabulary_file)  # accuracy 1.0 + format 0.1 (DEFAULT_WEIGHTS)
scores = {
    "accuracy": accuracy_reward(prompts=prompts, completions=list(completions.values()), **columns),
    "format": format_reward(prompts=prompts, completions=list(completions.values()), **columns),
    "weighted": weighted(prompts=prompts, completions=list(completions.values()), **columns),
}
print(f"{'completion':10s} " + " ".join(f"{name:>9s}" for name in scores))
for i, label in enumerate(completions):
    print(f"{label:10s} " + " ".join(f"{scores[name][i]:9.2f}" for name in scores))

# --- 3. verl: compute_score(data_source, solution_str, ground_truth, extra_info) -------------
# a verl export (`--to verl`, needs pyarrow) holds the same JSON in reward_model.ground_truth;
# in verl's config: custom_reward_function.name=compute_score, reward_kwargs as below
for label, completion in completions.items():
    result = compute_score("veriscene", completion, row["ground_truth"], {"program": row["program"]},
                           format_weight=0.1, vocabulary_file=str(exported.vocabulary_file))
    print(f"verl {label:8s} score {result['score']:.2f} correct {result['correct']} {result['reason']}")

# --- 4. Gymnasium: show the image and question, take answers, give rewards ------------------
try:
    import gymnasium as gym
except ImportError:
    print("gymnasium not installed: environment skipped (pip install 'veriscene[rl]')")
else:  # importing veriscene.rewards (above) registered "veriscene/VQA-v0" with gymnasium
    env = gym.make("veriscene/VQA-v0", run_dir="rl_run", max_attempts=2, answer_types=["int", "bool"])
    for episode in range(2):
        obs, info = env.reset(seed=episode)
        sample = env.unwrapped.samples[info["index"]]  # an oracle policy: it reads the answer
        answer = sample["answer"]
        right = ("yes" if answer else "no") if isinstance(answer, bool) else str(answer)
        wrong = ("no" if answer else "yes") if isinstance(answer, bool) else str(answer + 1)
        print(f"env: {obs['question']!r} image {obs['image'].shape}")
        for reply in (wrong, right):  # wrong first: a right answer after k wrong ones earns 0.5 ** k
            obs, reward, terminated, truncated, info = env.step(f"<answer>{reply}</answer>")
            print(f"  step {reply!r}: reward {reward}, feedback {obs['feedback']!r}, done {terminated}")
            if terminated or truncated:
                break
    env.close()
