"""Evaluation of vision-language models on veriscene samples, scored by program.

    evaluate(samples, "openai:NAME", out, base_url=...)   run, score, report (resumable)
    compare([run1, run2, ...], out)                        runs side by side
    score_freeform(responses, scenes)                      helpfulness / truthfulness of descriptions
    load_model("openai:NAME" | "hf:PATH" | "replay:FILE")  model adapters
    FunctionModel(fn, name=...)                           a Python function as the model

Parsing and scoring of replies is `veriscene.answers` (shared with the RL rewards).
"""

from veriscene.evaluate.adapters import FunctionModel, Model, ModelConfigError, Request, load_model
from veriscene.evaluate.compare import compare
from veriscene.evaluate.freeform import FreeformReport, score_freeform
from veriscene.evaluate.prompts import PromptSet
from veriscene.evaluate.runner import EvalSummary, evaluate

__all__ = ["EvalSummary", "FreeformReport", "FunctionModel", "Model", "ModelConfigError", "PromptSet", "Request",
           "compare", "evaluate", "load_model", "score_freeform"]
