"""The Gymnasium environment as a TRL environment: multi-turn GRPO with zoom and answer tools.

TRL's GRPOTrainer (`environment_factory`, experimental in TRL; TRL 1.9 or later, `MIN_TRL`: the
factory refuses an older one, naming the version; tested with TRL 1.16.0 and transformers 5.24,
whose tool calling it needs: a chat template that renders tool calls and that TRL can parse, e.g.
Qwen2.5/Qwen3(-VL)'s) runs one environment per rollout: it calls
``reset(**row)`` with the data set row, offers the environment's public methods to the model as
tools (their names, type hints and docstrings make the tool schema), calls them when the model
asks, and hands the environments to every reward function as `environments`.
This module makes `VQAEnv` (`veriscene.rewards.env`) such an environment:

    from trl import GRPOConfig, GRPOTrainer
    from veriscene.rewards.trl_env import VQAEnvironmentFactory, environment_reward

    factory = VQAEnvironmentFactory("demo_out", max_zooms=2, max_images=4)
    trainer = GRPOTrainer(model=..., args=GRPOConfig(...), train_dataset=dataset,
                          environment_factory=factory, reward_funcs=[environment_reward])

`dataset`: the rows `veriscene export RUN --to trl` writes, from the same run (their `prompt`
holds the question and images; `reset` finds the row's sample by `sample_id` and adds a line
saying which tools it may use). Without a `prompt` column (rows of `sample_id` only, or no data
set at all, where each rollout draws a sample with the factory's seed) `reset` returns the question
itself, with the images as image parts when ``show_images=True``.

Tools, offered per rollout (TRL lists every public method but `reset`):

    zoom(x0, y0, x1, y1, image=1)   (when max_zooms > 0) the region of Image `image` (counting
                                    from 1 as the questions do), in the sample's box convention
                                    (the reset line says which), cropped and fitted as `VQAEnv`
                                    does; the tool returns the view as an image part and a text
                                    part ("zoomed to [...]"). A zoom it cannot make (bad box, an
                                    image the sample does not show, no zooms left) raises
                                    ValueError with the environment's feedback, which TRL gives
                                    the model as {"error": ...} and counts as a tool failure.
    answer(answer)                  the answer, scored by `VQAEnv` (the verifier, the run's
                                    words as rivals): "correct", "incorrect", or "incorrect, 1
                                    attempt left" with ``max_attempts > 1``.

The reward. `environment_reward(completions, environments)` is each rollout's episode return:
the discounted score of its answer given through the tool, or, when the model never called
`answer`, of its final message read as the last answer (`VQAEnv.finish`, the text `veriscene
eval` would score). So a model may answer either way; a rollout whose final message holds no
readable answer earns 0. The environment defines no `get_reward` (TRL's other way for an
environment to own the reward): `get_reward` takes no argument and cannot read the final message.
Combine with `format_reward` through ``reward_funcs`` and ``GRPOConfig(reward_weights=...)``;
do not add `accuracy_reward` on the same rows as well: it scores the final message a second time.

A row with a prompt but no `sample_id` (the user's own prompts) is found by its gold
(`ground_truth` or `answer`), prompt text and images when they tell one sample the environment
shows (`rewards.locate`; counted in `factory.finder.found`).

Rows the environment cannot show (free-form samples, unless ``freeform=True``; samples of more
images than `max_images`; a row with a prompt but no `sample_id` whose sample cannot be told: none
or several match, from another data set mixed in) are not dropped: their rollouts get no tools' effect (the tools raise,
saying why), their reward is None (TRL leaves it out of the sum, so other reward functions still
score them), and they are counted by reason in `factory.left_out` and warned about once a reason. A row whose `sample_id`
names no sample of the run at all is a KeyError: the data set is not an export of this run.

Instances share the run's samples and options (the factory loads them once: a copy of one
`VQAEnv` per instance, which TRL pools and resets); each has its own episode state and random
generator (seeded ``seed + k`` for the k-th instance).
"""

from __future__ import annotations

import copy
import itertools
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.rewards.completions import check_completions, completion_text
from veriscene.rewards.locate import SampleLocator, Unfound
from veriscene.rewards.env import VQAEnv  # (says which extra to install without gymnasium)

from gymnasium.utils import seeding  # noqa: E402


# TRL's GRPOTrainer(environment_factory=...) came in 0.29 (experimental); it gives tool results and
# reset() observations holding images to the model from 1.1, and takes rows without a prompt
# column (`environment_rows`, or no data set) from 1.9: what this adapter uses
MIN_TRL = (1, 9)


def installed_trl() -> str | None:
    """The installed TRL's version, None when it is not installed (read without importing it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trl")
    except PackageNotFoundError:
        return None


def check_trl(found: str | None = None) -> None:
    """Refuse a TRL older than `MIN_TRL` (ImportError naming the version needed); without TRL
    nothing is said (the environments may be driven by hand: examples/rl_environment.py)."""
    found = installed_trl() if found is None else found
    if found is None:
        return
    parts = [int(x) for x in re.findall(r"\d+", found)[:2]]
    if tuple(parts) < MIN_TRL:
        need = ".".join(map(str, MIN_TRL))
        raise ImportError(f"VQAEnvironmentFactory needs TRL {need} or later, and TRL {found} is installed: GRPOTrainer's "
                          "environment_factory came in TRL 0.29, gives the model the images of zoom results and of "
                          f"reset() from 1.1, and takes rows without a prompt column from {need}. Upgrade it: "
                          f"pip install -U 'trl>={need}' (or pip install -U 'veriscene[rl]')")


def _image_part(array: np.ndarray) -> dict[str, Any]:
    from PIL import Image

    return {"type": "image", "image": Image.fromarray(array)}


class VQAAnswerEnvironment:
    """One rollout's episode of `VQAEnv`, with the `answer` tool (see the module docstring).

    Public methods are TRL tools: keep helpers private (a leading underscore)."""

    def __init__(self, env: VQAEnv, *, show_images: bool = True, instructions: bool = True,
                 left_out: Counter[str] | None = None, finder: RowFinder | None = None) -> None:
        self._env = env
        self._finder = finder if finder is not None else RowFinder(env)
        self._show_images = show_images
        self._instructions = instructions
        self._left_out = left_out if left_out is not None else Counter()
        self._applicable = False
        self._done = True
        self._return = 0.0
        self._why_not = "reset() has not been called"
        self._zooms = 0
        self._answered_by_tool = False

    # -- TRL's environment contract ------------------------------------------------------

    def reset(self, **row: Any) -> str | list[dict[str, Any]] | None:
        """Start the episode of the row's sample (`sample_id`), or of a sample drawn when the row
        names none; return what TRL appends to the row's last user message."""
        self._done, self._return, self._zooms, self._answered_by_tool = True, 0.0, 0, False
        sample_id = row.get("sample_id")
        if sample_id is not None and not isinstance(sample_id, str):
            raise TypeError(f"the row's sample_id must be the id (a str) of a sample of the run, got {sample_id!r}")
        if sample_id is None and "prompt" in row:  # (the user's own prompts: the row found by what it holds)
            found = self._finder.find(row)
            if isinstance(found, Unfound):
                self._leave_out("a prompt without sample_id", "the row has a prompt but no sample_id, and the "
                                f"sample it asks about cannot be told: {found.reason}")
                return None
            sample_id = found
        if sample_id is not None:
            why = self._env.why_left_out(sample_id)
            if why is None:
                try:
                    obs, _ = self._env.reset(options={"sample_id": sample_id})
                except ValueError as exc:  # an id naming samples of other answers or images
                    why = f"sample_id names several samples ({exc})"
            if why is not None:
                self._leave_out(why, f"sample {sample_id!r} is not shown by the environment: {why}")
                return None
        else:
            obs, _ = self._env.reset()
        self._applicable, self._done, self._why_not = True, False, ""
        note = self._note()
        if "prompt" in row:  # the row's prompt holds the question and its images
            return f"\n\n{note}" if note else None
        text = f"{obs['question']}\n\n{note}" if note else str(obs["question"])
        if not self._show_images:
            return text
        shown = int(obs.get("num_images", 1))
        images = obs["images"][:shown] if "images" in obs else [obs["image"]]
        return [*(_image_part(a) for a in images), {"type": "text", "text": text}]

    def _leave_out(self, why: str, said: str) -> None:
        """A row the environment does not show: counted by reason, warned of once a reason."""
        self._applicable, self._why_not = False, said
        self._left_out[why] += 1
        if self._left_out[why] == 1:
            warnings.warn(f"{said}; such rows get reward None from environment_reward and tools that refuse "
                          "(counted in the factory's left_out; said once a reason)", UserWarning, stacklevel=3)

    # -- tools ---------------------------------------------------------------------------

    def answer(self, answer: str) -> str:
        """Give your answer to the question.

        Args:
            answer: the answer, as the question asks for it (a number, yes or no, a word, an option letter, or a box [x0, y0, x1, y1])

        Returns:
            "correct", "incorrect", or how many attempts are left.
        """
        self._check_open("answer")
        obs, reward, terminated, _, _ = self._env.answer(completion_text(answer))  # (never read as a zoom)
        self._return += float(reward)
        self._done = bool(terminated)
        self._answered_by_tool = True
        return str(obs["feedback"])

    # -- the reward (read by `environment_reward`) ----------------------------------------

    def _finish(self, completion: Any) -> float | None:
        """The episode's return, the final message read as the last answer if none ended it;
        None for a row the environment does not show."""
        if not self._applicable:
            return None
        if not self._done:
            _, reward, _, _, _ = self._env.finish(completion_text(completion))
            self._return += float(reward)
            self._done = True
        return self._return

    @property
    def applicable(self) -> bool:
        """Whether the row's sample is shown by the environment (False: reward None)."""
        return self._applicable

    @property
    def episode_return(self) -> float:
        """The rewards of the episode so far (its return once it has ended)."""
        return self._return

    @property
    def zooms_used(self) -> int:
        return self._zooms

    @property
    def answered_by_tool(self) -> bool:
        return self._answered_by_tool

    @property
    def env(self) -> VQAEnv:
        """The `VQAEnv` of this instance (its `sample`, `view`, `image_index`)."""
        return self._env

    # -- helpers -------------------------------------------------------------------------

    def _check_open(self, tool: str) -> None:
        if not self._applicable:
            raise ValueError(f"{tool} is not available for this question: {self._why_not}")
        if self._done:
            raise ValueError(f"{tool}: the question has been answered; the episode has ended")

    def _note(self) -> str:
        """The line saying which tools this episode offers, or "" with ``instructions=False``."""
        if not self._instructions:
            return ""
        env = self._env
        tries = f"{env.max_attempts} attempt{'s' if env.max_attempts != 1 else ''}"
        return (f"Answer with the answer tool ({tries}), or in <answer></answer> in your last message."
                f"{self._zoom_note()}")

    def _zoom_note(self) -> str:
        return ""


class VQAToolEnvironment(VQAAnswerEnvironment):
    """One rollout's episode of `VQAEnv`, with the `zoom` and `answer` tools."""

    def zoom(self, x0: float, y0: float, x1: float, y1: float, image: int = 1) -> list[dict[str, Any]] | str:
        """Look closer at a region of an image: the region is cropped and shown enlarged.

        Args:
            x0: left edge of the region
            y0: top edge of the region
            x1: right edge of the region
            y1: bottom edge of the region
            image: the image to zoom into, counting from 1 as the question does (Image 2 is 2)

        Returns:
            The enlarged region and a note of what it shows.
        """
        self._check_open("zoom")
        env = self._env
        if env.zooms_left <= 0:
            raise ValueError(f"no zooms left (max_zooms={env.max_zooms}): answer now")
        named: Any = image  # a model may write 2.0 or "2"
        if isinstance(named, float) and named.is_integer():
            named = int(named)
        box = ", ".join(str(v) for v in (x0, y0, x1, y1))
        obs, _, _, _, info = env.step(f'<zoom image="{named}">[{box}]</zoom>')
        self._zooms += 1
        if info["parse_failed"]:
            raise ValueError(str(obs["feedback"]))
        if not self._show_images:
            return str(obs["feedback"])
        return [_image_part(obs["image"]), {"type": "text", "text": str(obs["feedback"])}]

    def _zoom_note(self) -> str:
        env, sample = self._env, self._env.sample or {}
        fmt = (sample.get("meta") or {}).get("box_format") or env.zoom_format
        n = len(sample.get("images") or ())
        which = f" of Image 1 to Image {n}" if n > 1 else ""
        return (f" The zoom tool shows a region{which} enlarged ({env.max_zooms} zoom"
                f"{'s' if env.max_zooms != 1 else ''}; boxes [x0, y0, x1, y1] in the {fmt} convention).")


class RowFinder:
    """The sample a row with a prompt but no `sample_id` asks about, among those an environment
    shows, found by the row's gold (`ground_truth` or `answer`), prompt text and images
    (`rewards.locate`); `found` counts the rows found. Shared by a factory's environments."""

    def __init__(self, env: VQAEnv) -> None:
        self._env = env
        self._locator: SampleLocator | None = None
        self.found = 0

    def find(self, row: dict[str, Any]) -> str | Unfound:
        if self._locator is None:
            self._locator = SampleLocator(self._env.samples, self._env.image_root)
        has_answer, answer = _row_answer(row)
        images = row.get("images") if row.get("images") is not None else row.get("image")
        found = self._locator.locate(answer=answer, has_answer=has_answer, prompt=row.get("prompt"), images=images)
        if isinstance(found, Unfound) and not has_answer and not images:
            found = Unfound(f"{found.reason} (the row has no ground_truth, answer or images column to tell it by)")
        self.found += isinstance(found, str)
        return found


def _row_answer(row: dict[str, Any]) -> tuple[bool, Any]:
    """(whether the row gives its gold, the gold): its `ground_truth` (JSON text or a dict with
    "answer"), else its `answer` column (JSON text, as the export writes it)."""
    truth = row.get("ground_truth")
    if isinstance(truth, (str, bytes)):
        try:
            truth = orjson.loads(truth)
        except orjson.JSONDecodeError:
            truth = None
    if isinstance(truth, dict) and "answer" in truth:
        return True, truth["answer"]
    if "answer" in row:
        answer = row["answer"]
        try:
            return True, orjson.loads(answer) if isinstance(answer, (str, bytes)) else answer
        except orjson.JSONDecodeError:
            return True, answer
    return False, None


class VQAEnvironmentFactory:
    """TRL's `environment_factory`: each call returns a new environment over one loaded `VQAEnv`.

    `run_dir` / `samples` and `env_options` are `VQAEnv`'s (max_zooms, max_attempts,
    max_images, observation_size, fit, score_options, retry_discount, answer_types, tasks, ...),
    checked now: a bad option fails here, not in the first rollout. With ``max_zooms=0`` the
    environments offer the `answer` tool only. `show_images`: give the zoomed views (and, for
    rows without a prompt, the images) as image parts, for a vision-language model; False gives
    text only (a text model, or a dry run). `instructions`: add the line saying which tools the
    episode offers. `left_out` counts, by reason, the rows whose sample the environment does not
    show (see the module docstring)."""

    def __init__(self, run_dir: str | Path | None = None, *, seed: int = 0, show_images: bool = True,
                 instructions: bool = True, **env_options: Any) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be a whole number, got {seed!r}")
        check_trl()  # (an older TRL would take the factory and lose the images, or fail at the first batch)
        self.env = VQAEnv(run_dir, **env_options)
        self.seed = int(seed)
        self.show_images, self.instructions = bool(show_images), bool(instructions)
        self.left_out: Counter[str] = Counter()
        self.finder = RowFinder(self.env)  # rows with a prompt but no sample_id (`finder.found` counts them)
        self._count = itertools.count()
        self.environment_class: type[VQAAnswerEnvironment] = (
            VQAToolEnvironment if self.env.max_zooms > 0 else VQAAnswerEnvironment)

    def __call__(self) -> VQAAnswerEnvironment:
        env = copy.copy(self.env)  # the samples and options shared; reset() gives it its own episode state
        env.np_random, _ = seeding.np_random(self.seed + next(self._count))
        return self.environment_class(env, show_images=self.show_images, instructions=self.instructions,
                                      left_out=self.left_out, finder=self.finder)


def environment_reward(prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), *,
                       environments: Sequence[Any] | None = None, **columns: Any) -> list[float | None]:
    """Each rollout's episode return (see the module docstring): the discounted score of the
    answer given through the `answer` tool, else of the final message read as the answer; None for
    a row the environment does not show. Logs the mean zooms per rollout and the share answered
    through the tool as `veriscene/zooms` and `veriscene/answered_by_tool` (TRL's `log_metric`)."""
    check_completions(completions)
    if environments is None:
        raise TypeError("environment_reward reads the rollouts' environments: pass environment_factory="
                        "VQAEnvironmentFactory(...) to GRPOTrainer (it hands them to reward functions)")
    if len(environments) != len(completions):
        raise ValueError(f"environment_reward got {len(completions)} completions and {len(environments)} environments")
    out: list[float | None] = []
    for environment, completion in zip(environments, completions):
        if not isinstance(environment, VQAAnswerEnvironment):
            raise TypeError(f"environment_reward scores veriscene environments (VQAEnvironmentFactory), got "
                            f"{type(environment).__name__}")
        out.append(environment._finish(completion))
    log_metric = columns.get("log_metric")
    shown = [e for e in environments if e.applicable]
    if callable(log_metric) and shown:
        log_metric("veriscene/zooms", sum(e.zooms_used for e in shown) / len(shown))
        log_metric("veriscene/answered_by_tool", sum(e.answered_by_tool for e in shown) / len(shown))
    return out


def environment_rows(factory: VQAEnvironmentFactory) -> list[dict[str, Any]]:
    """One row per sample the factory's environment shows, {"sample_id": id}: a data set for
    rollouts whose prompt `reset` writes (the question and images), when no export is at hand.
    Ids naming several samples (two runs' samples) are left out (`reset` could not tell them apart)."""
    counts = Counter(s["id"] for s in factory.env.samples)
    return [{"sample_id": s["id"]} for s in factory.env.samples if counts[s["id"]] == 1]


__all__ = ["VQAAnswerEnvironment", "VQAEnvironmentFactory", "VQAToolEnvironment", "environment_reward",
           "environment_rows"]
