"""Record environment episodes and write them as JSON Lines (for SFT or offline RL).

    env = TrajectoryRecorder(VQAEnv("demo_out", max_attempts=2, max_zooms=1), image_dir="traj/views")
    ... run episodes ...
    write_trajectories("traj/episodes.jsonl", env.episodes)

One line per finished episode:

    sample_id, task, image_id, image     the sample and its source image path
    question, answer, answer_type        the gold answer comes along for SFT filtering
    observations   [{"question", "feedback", "view": {region, content, image_size, array_size},
                     "image_file": path of the saved observation PNG or null}]   (len = steps + 1)
    actions        [str]                 the model's texts               (len = steps)
    rewards        [float]               rewards from the verifier       (len = steps)
    infos          [{...}]               step infos: score, correct, parse_failed, reason, ...
    terminated, truncated, return
    image_ids, images                    (samples of several images, `VQAEnv(max_images=K)`) every
                                         source image, in order; observations then hold
                                         "image_files" (each image's saved PNG) with `image_dir`

Observation arrays are not embedded: `view.region` says which part of the source image was
shown (enough to re-render it), and with `image_dir` every observation is also saved as PNG,
named by the SHA-256 of its pixels (`save_view`), so recorders may share the folder.
`to_messages` turns an episode into chat messages for SFT on successful trajectories.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from PIL import Image

from veriscene.errors import MissingExtra
from veriscene.io.writers.common import write_json_lines

try:  # the `rl` extra, as for the environment itself
    import gymnasium as gym
except ImportError as exc:
    raise MissingExtra("recording episodes (veriscene.rewards.trajectories)", "rl", "gymnasium") from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def save_view(array: np.ndarray, image_dir: Path) -> Path:
    """Save an observation as `<image_dir>/<SHA-256 of its pixels, 16 hex digits>.png`, once.

    Named by content, not by episode and step: recorders sharing `image_dir` (one per env of a
    vector env, one per process) would otherwise write over each other's files, and a view seen
    again (the whole image at each reset) is stored once. Written to a temporary name and moved,
    so a reader never sees half a file."""
    pixels = np.ascontiguousarray(array)
    digest = hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).hexdigest()[:16]
    path = image_dir / f"{digest}.png"
    if not path.is_file():
        image_dir.mkdir(parents=True, exist_ok=True)
        tmp = image_dir / f".{digest}.{os.getpid()}.{threading.get_ident()}.tmp.png"
        Image.fromarray(pixels).save(tmp)
        os.replace(tmp, path)
    return path


class TrajectoryRecorder(gym.Wrapper):
    """Wraps a `VQAEnv` and keeps every finished episode in `episodes` (see module doc)."""

    def __init__(self, env: gym.Env, image_dir: str | Path | None = None) -> None:
        super().__init__(env)
        self.image_dir = Path(image_dir) if image_dir is not None else None
        self.episodes: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None
        self._count = 0

    def _observation(self, obs: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
        image_file = save_view(obs["image"], self.image_dir).as_posix() if self.image_dir is not None else None
        seen = {"question": obs["question"], "feedback": obs["feedback"], "view": _jsonable(info.get("view")),
                "image_file": image_file}
        shown = int(obs.get("num_images", 1))
        if shown > 1 and self.image_dir is not None:  # every image of a sample of several
            seen["image_files"] = [save_view(obs["images"][k], self.image_dir).as_posix() for k in range(shown)]
        return seen

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        base: Any = self.env.unwrapped  # a VQAEnv
        sample = base.sample or {}
        image = (sample.get("images") or [{}])[0]
        self._current = {
            "sample_id": sample.get("id"), "task": sample.get("task"), "image_id": image.get("id"),
            "image": str(base.image_path(sample)) if image else None,
            "question": sample.get("question"), "answer": sample.get("answer"),
            "answer_type": sample.get("answer_type"), "observations": [], "actions": [], "rewards": [],
            "infos": [], "terminated": False, "truncated": False,
        }
        images = sample.get("images") or []
        if len(images) > 1:
            self._current["image_ids"] = [im.get("id") for im in images]
            self._current["images"] = [str(base.image_path(sample, k)) for k in range(len(images))]
        self._current["observations"].append(self._observation(obs, info))
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if self._current is not None:
            ep = self._current
            ep["observations"].append(self._observation(obs, info))
            ep["actions"].append(action if isinstance(action, str) else _jsonable(action))
            ep["rewards"].append(float(reward))
            ep["infos"].append(_jsonable(info))
            if terminated or truncated:
                ep.update(terminated=bool(terminated), truncated=bool(truncated), **{"return": sum(ep["rewards"])})
                self.episodes.append(ep)
                self._current = None
        return obs, float(reward), terminated, truncated, info


def write_trajectories(path: str | Path, episodes: Iterable[dict[str, Any]]) -> Path:
    """Write episodes as JSON Lines (atomically); returns the path. A path that is none, or
    episodes that are one episode or a path, are a TypeError saying what goes where (the two
    given the other way round raised "expected str, bytes or os.PathLike object, not list")."""
    swapped = isinstance(episodes, (str, os.PathLike))
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"write_trajectories(path, episodes): path must be the JSONL file to write (a str or Path), "
                        f"got {type(path).__name__}" + ("; the two arguments are the other way round" if swapped else ""))
    if swapped or isinstance(episodes, (bytes, dict)) or not isinstance(episodes, Iterable):
        raise TypeError(f"write_trajectories(path, episodes): episodes must be a list of episodes "
                        f"(TrajectoryRecorder.episodes), got {type(episodes).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_lines(path, (_jsonable(e) for e in episodes))
    return path


def read_trajectories(path: str | Path) -> Iterator[dict[str, Any]]:
    """Episodes from a JSON Lines file written by `write_trajectories`."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def to_messages(episode: dict[str, Any]) -> list[dict[str, Any]]:
    """Chat messages of an episode: the question with the image, then the model's actions and
    the environment's feedback (a new image part after each zoom). Image parts are
    ``{"type": "image", "image": path}`` with the saved observation file (or the source image);
    an episode of several images opens with one part per image, in order."""
    obs = episode["observations"]

    def image_part(o: dict[str, Any]) -> dict[str, Any]:
        return {"type": "image", "image": o.get("image_file") or episode.get("image")}

    several = episode.get("images") or []
    first = ([{"type": "image", "image": path} for path in (obs[0].get("image_files") or several)]
             if len(several) > 1 else [image_part(obs[0])])
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [*first, {"type": "text", "text": obs[0]["question"]}]}]
    for k, action in enumerate(episode["actions"]):
        messages.append({"role": "assistant", "content": [{"type": "text", "text": action}]})
        nxt = obs[k + 1]
        if k + 1 < len(episode["actions"]):
            content: list[dict[str, Any]] = []
            if (episode["infos"][k].get("action") == "zoom") and not episode["infos"][k].get("parse_failed"):
                content.append(image_part(nxt))
            content.append({"type": "text", "text": nxt["feedback"]})
            messages.append({"role": "user", "content": content})
    return messages
