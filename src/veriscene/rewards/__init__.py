"""Rewards for reinforcement learning of vision-language models, from verifiable samples.

Every veriscene sample carries the program that computes its answer, so every sample is an RL
task whose reward cannot be argued with. All rewards go through `veriscene.answers` (the parser
and scorer that evaluation uses), so a reward and `veriscene eval` agree on the same reply.

    veriscene.rewards.trl            accuracy_reward, format_reward, iou_reward, WeightedReward
                                     (TRL GRPOTrainer calling convention)
    veriscene.rewards.verl           compute_score, compute_score_batch (verl custom_reward_function;
                                     the batch reward manager)
    veriscene.rewards.freeform       make_freeform_reward, FreeformScorer: descriptions rewarded by
                                     eval's combined free-form score against the run's scene graphs
    veriscene.rewards.process        intermediate results of a program (Step), reference traces
    veriscene.rewards.process_score  step-level reward of reasoning traces (process_reward)
    veriscene.rewards.process_column the `process` column of a run's samples, for TRL data sets
    veriscene.rewards.env            Gymnasium environment, registered as "veriscene/VQA-v0"
    veriscene.rewards.trl_env        that environment as TRL's environment_factory (zoom and answer
                                     tools, environment_reward): multi-turn GRPO
    veriscene.rewards.trajectories   episode recorder and JSONL trajectories
    veriscene.rewards.truth          ground truth columns, scoring
    veriscene.rewards.truth_checks   checks of ground truth fields (a bad one names its field)
    veriscene.rewards.completions    the text of a completion (string, bytes or chat messages)
    veriscene.rewards.tags           the <think>/<answer> format check

Importing this package needs no optional dependency; the environment needs `gymnasium`
(registered here when it is installed) and its module imports gymnasium itself.
"""

from veriscene.rewards.process import Step, program_steps, reference_trace, sample_steps
from veriscene.rewards.process_column import ProcessColumn, process_column
from veriscene.rewards.process_score import (
    ProcessScore,
    ProcessTargets,
    make_process_reward,
    process_reward,
    process_targets,
    score_trace,
)
from veriscene.rewards.tags import FormatCheck, check_format
from veriscene.rewards.trl import (
    DEFAULT_WEIGHTS,
    WeightedReward,
    accuracy_reward,
    format_reward,
    iou_reward,
    make_accuracy_reward,
    make_format_reward,
    make_iou_reward,
)
from veriscene.rewards.completions import completion_text
from veriscene.rewards.freeform import FreeformScorer, make_freeform_reward
from veriscene.rewards.truth import GroundTruth
from veriscene.rewards.verl import compute_score, compute_score_batch

ENV_ID = "veriscene/VQA-v0"


def register_env() -> bool:
    """Register `veriscene/VQA-v0` with gymnasium; False when gymnasium is not installed."""
    try:
        import gymnasium
    except ImportError:
        return False
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point="veriscene.rewards.env:VQAEnv")
    return True


register_env()

__all__ = [
    "DEFAULT_WEIGHTS",
    "ENV_ID",
    "FormatCheck",
    "FreeformScorer",
    "GroundTruth",
    "ProcessColumn",
    "ProcessScore",
    "ProcessTargets",
    "Step",
    "WeightedReward",
    "accuracy_reward",
    "check_format",
    "completion_text",
    "compute_score",
    "compute_score_batch",
    "format_reward",
    "iou_reward",
    "make_accuracy_reward",
    "make_format_reward",
    "make_freeform_reward",
    "make_iou_reward",
    "make_process_reward",
    "process_column",
    "process_reward",
    "process_targets",
    "program_steps",
    "reference_trace",
    "register_env",
    "sample_steps",
    "score_trace",
]
