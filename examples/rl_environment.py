"""Multi-turn RL with tools: the environment as TRL's environment_factory, and verl in batches.

    python examples/rl_environment.py       # writes ./rl_env_run/ (about 5 s)

TRL's GRPOTrainer runs one environment per rollout: it calls `reset(**row)` with the data set
row, offers the environment's `zoom` and `answer` methods to the model as tools, and hands the
environments to `environment_reward`. Here the rollouts are played by hand, calling the tools as
TRL calls them (by name, with the arguments of the model's tool call); the training call is in
the comment at the end. Then verl's batch reward manager's call, `compute_score_batch`, on the
same rows one GRPO group at a time. Needs the `rl` extra (gymnasium; `pip install 'veriscene[rl]'`)
and pyarrow (the `parquet` extra) for the verl export.
"""

import json
from pathlib import Path

from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export
from veriscene.io.writers.text import answer_text
from veriscene.rewards import compute_score_batch
from veriscene.rewards.trl_env import VQAEnvironmentFactory, environment_reward

# --- 1. a run, and its TRL export: the rows GRPOTrainer trains on --------------------------------
run_demo("rl_env_run", scenes=4, seed=0, generators="counting,multi.count_total.v1", mode="qa")
export("rl_env_run", "rl_env_run/trl.jsonl", to="trl")
rows = {r["sample_id"]: r for r in map(json.loads, Path("rl_env_run/trl.jsonl").read_text().splitlines())}

# --- 2. the factory: the run loaded once, one environment per rollout -----------------------------
# max_zooms > 0 offers the zoom tool; max_images=4 shows samples of up to 4 images
factory = VQAEnvironmentFactory("rl_env_run", max_zooms=2, max_images=4, observation_size=(256, 192))
several = next(s for s in factory.env.samples if len(s["images"]) >= 2)  # "How many ... in all images?"
single = next(s for s in factory.env.samples if len(s["images"]) == 1)

# rollout 1: zoom into Image 2, then answer through the tool
env1 = factory()
note = env1.reset(**rows[several["id"]])  # appended to the row's prompt by TRL
print(f"question: {several['question']!r}\nreset adds: {note.strip()!r}")
view, text = env1.zoom(x0=0.0, y0=0.0, x1=0.5, y1=0.5, image=2)  # an image part and a text part
print(f"zoom -> {text['text']!r}, a {view['image'].size[0]}x{view['image'].size[1]} view")
try:
    env1.zoom(x0=0.0, y0=0.0, x1=0.5, y1=0.5, image=9)  # TRL gives the model {"error": ...}
except ValueError as exc:
    print(f"zoom image=9 -> error {str(exc)[:90]!r}...")
print(f"answer -> {env1.answer(answer_text(several))!r}")

# rollout 2: no tool call; the final message is read as the answer
env2 = factory()
env2.reset(**rows[single["id"]])
final = [{"role": "assistant", "content": f"<think>Counting.</think><answer>{answer_text(single)}</answer>"}]

# what GRPOTrainer does after the rollouts: every reward function gets the environments
rewards = environment_reward(completions=[[{"role": "assistant", "content": ""}], final],
                             environments=[env1, env2])
print(f"environment_reward: {rewards} (answered by tool: {env1.answered_by_tool}, {env2.answered_by_tool})")

# Training (TRL >= 1.x; a tool-calling chat template, e.g. Qwen2.5-VL's):
#   from trl import GRPOConfig, GRPOTrainer
#   trainer = GRPOTrainer(model="Qwen/Qwen2.5-VL-3B-Instruct", train_dataset=dataset,  # the export above
#                         environment_factory=factory, reward_funcs=[environment_reward],
#                         args=GRPOConfig(max_tool_calling_iterations=4, ...))

# --- 3. verl's batch reward manager: one call a batch ---------------------------------------------
try:
    import pyarrow.parquet as pq
except ImportError:
    print("pyarrow not installed: verl part skipped (pip install 'veriscene[parquet]')")
else:
    export("rl_env_run", "rl_env_run/verl.parquet", to="verl")
    verl_rows = pq.read_table("rl_env_run/verl.parquet").to_pylist()[:3]
    group = ["<think>...</think><answer>{}</answer>", "{}", "<answer>7</answer>", "no idea"]
    by_id = {s["id"]: s for s in factory.env.samples}
    batch = [(r, reply.format(answer_text(by_id[r["extra_info"]["sample_id"]]))) for r in verl_rows for reply in group]
    scores = compute_score_batch([r["data_source"] for r, _ in batch], [reply for _, reply in batch],
                                 [r["reward_model"]["ground_truth"] for r, _ in batch],
                                 [r["extra_info"] for r, _ in batch],
                                 vocabulary_file="rl_env_run/vocabulary.json")
    print(f"verl batch: {len(scores)} responses, scores {[float(s) for s in scores]}")
