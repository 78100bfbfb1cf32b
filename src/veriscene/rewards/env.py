"""Gymnasium environment `veriscene/VQA-v0`: answer a question about an image, rewarded by the
sample's verifier.

    env = gymnasium.make("veriscene/VQA-v0", run_dir="demo_out", max_attempts=3, max_zooms=2)
    obs, info = env.reset(seed=0)      # obs = {"image": uint8 (H, W, 3), "question": str, "feedback": str}
    obs, reward, terminated, truncated, info = env.step("<answer>3</answer>")

Episodes. `reset` draws a sample of the run folder (uniformly with the env's seeded generator,
or the one named by ``options={"index": i}`` / ``{"sample_id": ...}``; an id naming samples of
other answers or images, as two runs' samples can, is a ValueError naming their indexes:
`veriscene.sample_ids`). Each `step` takes the model's text:

* an answer: scored with `veriscene.answers.score_sample` on the sample record, with the run's
  words as rivals (its `vocabulary.json`, or `score_options={"rivals": ...}`), so the reward is
  exactly `veriscene eval`'s score for that reply (1/0, set credit, IoU for open boxes). The episode
  ends when the answer is correct or no attempts are left; then the reward is the score times
  ``retry_discount ** k`` for an answer given after k wrong ones. With attempts left a wrong
  answer gets reward 0 and feedback such as "incorrect, 2 attempts left", so an episode's return
  is the discounted score of its last answer (never a sum of partial credit).
  Why the discount: with as many attempts as a question has answers (2 for yes/no, the options
  of multiple choice), trying them in turn would always end with reward 1, so retries would
  teach enumeration instead of looking. With the default 0.5, trying yes then no earns 0.75 on
  average, less than the 1.0 of answering right at once; ``retry_discount=1.0`` restores the
  undiscounted reward, and then a UserWarning at construction names the samples whose every
  answer can be tried.
* a zoom ``<zoom>[x0, y0, x1, y1]</zoom>`` (when ``max_zooms > 0``): the region, in the
  sample's box convention (`meta.box_format`, else `zoom_format`) over the original image, is
  cropped and fitted into the observation; reward 0, no attempt used. Unreadable regions get
  feedback and use the zoom. With no zooms left a zoom is read as an answer. A later zoom, and
  a box or point answer, are read over the whole original image too, never over the view shown
  (`info["view"]["region"]` says where the view lies in it). On a sample of several images the
  zoom names its image as the questions do, counting from 1: ``<zoom image="2">[...]</zoom>``
  (or ``<zoom>Image 2: [...]</zoom>``); see "Several images" below.

So an episode lasts at most ``max_attempts + max_zooms`` steps, `truncated` is always False.
Observation images have one fixed size (`observation_size` = (width, height); default the size
of the first sample's image), fitted as `views` describes (`fit`: "stretch" | "letterbox");
`info["view"]` states the region shown and the sizes. Free-form `text` samples (unless
`freeform`) and samples without exactly one readable image are left out (counted in `env.skipped`).

Free-form samples (`freeform=True`: descriptions, region descriptions, comparison captions): the
answer is rewarded by the combined score `veriscene eval` gives descriptions (the F1 of
truthfulness and helpfulness against the run's scene graphs: `veriscene.rewards.freeform`), its
matcher `freeform_matcher` ("lexical" by default; "minilm" or "auto" with the `ml` extra) and its
scene files those the run's manifest names unless `scenes` names others. One description ends
the episode (feedback "described"; `info["parsed"]` holds its helpfulness, truthfulness, claims
and hallucinations): retries guided by feedback would teach describing by trial. `freeform` may
be a `FreeformScorer` made beforehand (needed with `samples=`, which names no run).

Several images (`max_images` = K > 1): samples of 1 to K images are shown (about 40 % of a
demo run's samples have several). The observation gains "images", a (K, H, W, 3) uint8 stack
of every image fitted alike, the slots past the sample's zero, and "num_images" (1..K) saying
how many are filled; "image" is the image in focus: the first at `reset`, then the one last
zoomed into (its zoomed view; `info["image_index"]`, from 0, says which, `info["view"]` where
the view lies in it). A zoom names its image, ``<zoom image="k">[x0, y0, x1, y1]</zoom>`` with k
from 1 to the sample's number of images ("Image k" of its question; ``<zoom>Image k: [...]
</zoom>`` reads the same), the box in that image's convention (pixels of that image for
"pixel"); slot k - 1 of "images" then shows the zoomed view, the other slots keep theirs. A zoom
naming no image on a sample of several, or an image the sample does not show ("image 0", "image
4" of 3, "image two"), is refused with feedback naming the images it may name ("could not zoom:
...") and uses the zoom. `render()` shows the images side by side, each as its slot shows it.

`answer(action)` is a step whose text is read as an answer, never as a zoom (an answer given
through a tool); `finish(action)` ends an episode with its text read as the last answer, never as
a zoom: for a rollout that stops without the environment's say, such as a TRL conversation whose
final message answers (`veriscene.rewards.trl_env`).
"""

from __future__ import annotations

import difflib
import math
import re
import string
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene.answers import parse_box_format, score_sample, to_pixels
from veriscene.answers.coords import resolve_format
from veriscene.answers.options import check_scoring_options
from veriscene.answers.rivals import VOCABULARY_FILE
from veriscene.answers.spatial import find_boxes
from veriscene.engine.fetch import fetch_file, fetch_files, image_urls, readable
from veriscene.engine.options import check_int, check_path
from veriscene.engine.remote import is_url
from veriscene.engine.runfiles import sample_lines, samples_root
from veriscene.errors import MissingExtra
from veriscene.rewards.completions import completion_text
from veriscene.rewards.freeform import FreeformScorer, is_freeform
from veriscene.rewards.truth import load_vocabulary
from veriscene.rewards.views import FITS, View, fit_view, image_size_of, load_rgb
from veriscene.scene.marks import record_marks
from veriscene.sample import ANSWER_TYPES
from veriscene.sample_ids import ID_NOTE, answer_key, short_answer

try:  # the `rl` extra: without it, say which extra to install (not "No module named 'gymnasium'")
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as exc:
    raise MissingExtra("the Gymnasium environment (veriscene.rewards.env, veriscene/VQA-v0)", "rl",
                       "gymnasium") from exc

ENV_ID = "veriscene/VQA-v0"
_BASE_CHARSET = frozenset(string.printable) - {"\x0b", "\x0c"}


def answer_count(sample: Mapping[str, Any]) -> int:
    """How many different answers a sample accepts at all: its options, 2 for yes/no, else 0
    (open answers cannot be enumerated)."""
    if sample.get("choices"):
        return len(sample["choices"])
    return 2 if sample.get("answer_type") == "bool" else 0


# What an episode reads of a sample record (the fields every veriscene sample has).
_SAMPLE_FIELDS = ("id", "images", "question", "answer", "answer_type")


def load_samples(path: str | Path) -> tuple[list[dict[str, Any]], Path]:
    """Samples of a run folder (samples.jsonl) or a samples file, and the folder image paths are
    relative to. At a URL, they are read through a local copy (`engine.fetch`). A line that is
    no sample record (another JSON file given as run_dir) is a ValueError naming file and line."""
    path = readable(path)
    samples = []
    for number, line in sample_lines(path):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number} is not a JSON sample line ({exc}); run_dir must be a run folder "
                             "holding samples.jsonl or a samples .jsonl file (`veriscene generate` / `demo`)") from exc
        missing = [k for k in _SAMPLE_FIELDS if not isinstance(record, dict) or k not in record]
        if missing:
            raise ValueError(f"{path}:{number} is not a sample record: no field {missing}; run_dir must be a run "
                             "folder holding samples.jsonl or a samples .jsonl file (`veriscene generate` / `demo`)")
        samples.append(record)
    return samples, samples_root(path)


def _score_options(options: Mapping[str, Any] | None, run: Path | None) -> dict[str, Any]:
    """Scoring options with the run's words as rivals of `str` answers (`vocabulary.json` of the
    run folder), as `veriscene eval` scores the run, unless `options` gives `rivals`."""
    if options is not None and not isinstance(options, Mapping):
        raise TypeError(f"score_options must be a dict of scoring options (e.g. {{'iou_threshold': 0.7}}), got {options!r}")
    out = dict(options or {})
    # a misspelt option or a bad value, said now rather than at the first step
    check_scoring_options(out, "score_options")
    if out.get("rivals") is not None:
        out["rivals"] = load_vocabulary(out["rivals"], "score_options['rivals']")
    elif run is not None and (run / VOCABULARY_FILE).is_file():
        out["rivals"] = load_vocabulary(run / VOCABULARY_FILE, "run_dir")
    return out


def _check_filters(records: list[dict[str, Any]], answer_types: Iterable[str] | None,
                   tasks: Iterable[str] | None) -> None:
    """Refuse answer_types / tasks that match nothing: a misspelt filter would read as "no samples"."""
    if isinstance(answer_types, str) or isinstance(tasks, str):
        raise TypeError("answer_types and tasks are lists of names, e.g. answer_types=['int']")
    unknown = sorted(set(answer_types or ()) - set(ANSWER_TYPES))
    if unknown:
        raise ValueError(f"unknown answer_types {unknown}; allowed: {list(ANSWER_TYPES)}")
    present = {str(s.get("task")) for s in records}
    for task in sorted(set(tasks or ()) - present):
        close = difflib.get_close_matches(task, sorted(present), n=3)
        hint = f"; did you mean {close}?" if close else f"; the run has {len(present)} tasks, e.g. {sorted(present)[:5]}"
        raise ValueError(f"no sample of task {task!r}{hint}")


def _given_samples(samples: Any) -> list[dict[str, Any]]:
    """`samples=` as records: a list of sample dicts, each with the fields an episode reads."""
    if isinstance(samples, (str, bytes, Mapping)) or not isinstance(samples, Iterable):
        raise TypeError(f"samples must be a list of sample records (dicts, samples.jsonl lines), got {samples!r}"[:300])
    records = []
    for k, sample in enumerate(samples):
        if not isinstance(sample, Mapping):
            raise TypeError(f"samples[{k}] must be a sample record (a dict), got {sample!r}"[:300])
        missing = [f for f in _SAMPLE_FIELDS if f not in sample]
        if missing:
            raise ValueError(f"samples[{k}] is not a sample record: no field {missing}")
        records.append(dict(sample))
    return records


def _is_size(value: Any) -> bool:
    """(width, height): two whole numbers >= 1."""
    return (isinstance(value, (tuple, list)) and len(value) == 2
            and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in value))


# What `reset(options=...)` reads; any other key is refused, so a misspelt one ("sampleid")
# does not silently show a random sample.
RESET_OPTIONS = ("sample_id", "index")


def _episode_key(sample: Mapping[str, Any]) -> tuple[bytes, tuple[str, ...]]:
    """What two samples of one id must share to be one episode: the answer, and the images shown."""
    return answer_key(sample), tuple(str(im.get("path")) for im in sample["images"])


_NOT_ONE = "not one image (the environment shows one)"  # (max_images=1, the default)

# <zoom>, <zoom image="2">, <zoom image=2>: the tag's attributes, then its content
_ZOOM = re.compile(r"<\s*zoom\b([^<>]*)>(.*?)<\s*/\s*zoom\s*>", flags=re.IGNORECASE | re.DOTALL)
_ZOOM_IMAGE_ATTR = re.compile(r"\bimage\s*=\s*[\"']?\s*([^\"'\s>]*)", flags=re.IGNORECASE)
_ZOOM_IMAGE_TEXT = re.compile(r"^\s*image\s*#?\s*([^\s:,\[\(]+)\s*[:,]?\s*", flags=re.IGNORECASE)


def _freeform_scorer(freeform: Any, run_dir: str | Path | None, matcher: str, scenes: Any) -> FreeformScorer | None:
    """The scorer of free-form answers `freeform` asks for (None: free-form samples left out)."""
    if isinstance(freeform, FreeformScorer):
        return freeform
    if not isinstance(freeform, bool):
        raise TypeError(f"freeform must be True, False or a FreeformScorer, got {freeform!r}")
    if not freeform:
        if scenes is not None or matcher != "lexical":
            raise ValueError("scenes and freeform_matcher are for free-form samples: give freeform=True with them")
        return None
    if run_dir is None:
        raise ValueError("freeform=True reads the scene graphs of run_dir's run; with samples=, give "
                         "freeform=FreeformScorer(RUN) (veriscene.rewards.freeform) for the run they come from")
    return FreeformScorer(run_dir, scenes=scenes, matcher=matcher)


class VQAEnv(gym.Env):
    """Visual question answering with verifiable rewards (see the module docstring)."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 1}  # noqa: RUF012  (gymnasium API)

    def __init__(self, run_dir: str | Path | None = None, *, samples: Iterable[Mapping[str, Any]] | None = None,
                 image_root: str | Path | None = None, observation_size: tuple[int, int] | None = None,
                 fit: str = "stretch", max_attempts: int = 1, max_zooms: int = 0, zoom_format: str = "norm1",
                 answer_types: Iterable[str] | None = None, tasks: Iterable[str] | None = None,
                 max_text_length: int = 4096, render_mode: str | None = None,
                 score_options: Mapping[str, Any] | None = None, retry_discount: float = 0.5,
                 max_images: int = 1, freeform: bool | FreeformScorer = False, freeform_matcher: str = "lexical",
                 scenes: Any = None) -> None:
        if (run_dir is None) == (samples is None):
            raise ValueError("give either run_dir (a run folder or samples.jsonl) or samples (records)")
        for name, value, least in (("max_attempts", max_attempts, 1), ("max_zooms", max_zooms, 0),
                                   ("max_images", max_images, 1)):
            # a float count never reached 0: max_attempts=2.5 gave episodes that never ended
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
        if observation_size is not None and not _is_size(observation_size):
            raise ValueError(f"observation_size must be (width, height), two whole numbers >= 1, got {observation_size!r}")
        if fit not in FITS:
            raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
        if isinstance(retry_discount, bool) or not isinstance(retry_discount, (int, float, np.floating)) \
                or not 0.0 <= retry_discount <= 1.0:
            raise ValueError(f"retry_discount must be a number in [0, 1], got {retry_discount!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}")
        check_int("max_text_length", max_text_length, 1, 1 << 30)
        if image_root is not None:
            check_path("image_root", image_root, "the folder image paths are relative to")
        if run_dir is not None:
            check_path("run_dir", run_dir, "a run folder or a samples .jsonl file")
            records, root = load_samples(run_dir)
        else:
            records, root = _given_samples(samples), Path(".")
        self.image_root = Path(image_root) if image_root is not None else root
        self.max_images = int(max_images)
        self.freeform = _freeform_scorer(freeform, run_dir, freeform_matcher, scenes)
        _check_filters(records, answer_types, tasks)
        self.samples, self.skipped = self._usable(records, answer_types, tasks)
        if not self.samples:
            raise ValueError(f"no usable samples in {run_dir if run_dir is not None else 'samples'}: "
                             f"{self._why_none(records, answer_types, tasks)}")
        self.fit, self.max_attempts, self.max_zooms = fit, int(max_attempts), int(max_zooms)
        self.retry_discount = retry_discount
        if retry_discount == 1.0:
            self._warn_enumerable()
        self.zoom_format = parse_box_format(zoom_format)
        self.render_mode = render_mode
        self.score_options = _score_options(score_options, root if run_dir is not None else None)
        self.observation_size = tuple(observation_size) if observation_size else image_size_of(
            self.image_path(self.samples[0]))
        charset = set(_BASE_CHARSET).union(*(set(s["question"]) for s in self.samples))
        q_len = max(len(s["question"]) for s in self.samples)
        w, h = self.observation_size
        shown: dict[str, spaces.Space[Any]] = {
            "image": spaces.Box(0, 255, shape=(h, w, 3), dtype=np.uint8),
            "question": spaces.Text(max_length=max(q_len, 1), min_length=1, charset=frozenset(charset)),
            "feedback": spaces.Text(max_length=256, min_length=0, charset=frozenset(charset)),
        }
        if self.max_images > 1:  # every image of the sample, and how many slots they fill
            shown["images"] = spaces.Box(0, 255, shape=(self.max_images, h, w, 3), dtype=np.uint8)
            shown["num_images"] = spaces.Discrete(self.max_images, start=1)
        self.observation_space = spaces.Dict(shown)
        self.action_space = spaces.Text(max_length=max_text_length, min_length=0, charset=frozenset(charset))
        self._charset = frozenset(charset)
        self._sample: dict[str, Any] | None = None
        self._done = True

    # -- data ------------------------------------------------------------------------------

    def image_path(self, sample: Mapping[str, Any], k: int = 0) -> Path:
        """Where a sample's image `k` is on disk: an image named by URL (samples made from scenes
        read from s3://...) is its local copy (`engine.fetch`)."""
        raw = str(sample["images"][k]["path"])
        if is_url(raw):
            copy = self._copies.get(raw)
            if copy is None:
                copy = self._copies[raw] = fetch_file(raw)
            return copy
        p = Path(raw)
        return p if p.is_absolute() else self.image_root / p

    def _usable(self, records: list[dict[str, Any]], answer_types: Iterable[str] | None,
                tasks: Iterable[str] | None) -> tuple[list[dict[str, Any]], int]:
        """The samples an episode can use, and how many are not; images at URLs are downloaded
        now, many at a time (one that cannot be makes its samples unusable, as a missing file does)."""
        types, task_set = set(answer_types or ()), set(tasks or ())
        wanted = []
        for s in records:
            images = s.get("images") or []
            if (1 <= len(images) <= self.max_images and all(isinstance(im, Mapping) and im.get("path") for im in images)
                    and (not is_freeform(s) or self._describable(s))
                    and (not types or s["answer_type"] in types) and (not task_set or s.get("task") in task_set)):
                wanted.append(s)
        urls = image_urls(wanted)
        self._copies = {url: copy for url, copy in (fetch_files(urls) if urls else {}).items() if isinstance(copy, Path)}
        keep = [s for s in wanted if self._has_image(s)]
        kept = {id(s) for s in keep}
        # id -> why its sample is not shown, for `reset(options={"sample_id": ...})`
        self._left_out = {s.get("id"): self._why_left_out(s, types, task_set) for s in records if id(s) not in kept}
        return keep, len(records) - len(keep)

    def _describable(self, sample: Mapping[str, Any]) -> bool:
        """Whether a free-form sample is shown: with `freeform`, when its run holds its scenes."""
        return self.freeform is not None and self.freeform.knows(sample)

    def _why_left_out(self, s: Mapping[str, Any], types: set[str], task_set: set[str]) -> str:
        """Why a sample is not shown (the categories `_why_none` counts), given it is not."""
        images = s.get("images") or []
        if is_freeform(s) and not self._describable(s):
            return "free-form text answers" if self.freeform is None else "free-form, no scene graph in the run"
        if not all(isinstance(im, Mapping) and im.get("path") for im in images) or not images:
            return _NOT_ONE if self.max_images == 1 else "no image file named"
        if len(images) > self.max_images:
            return _NOT_ONE if self.max_images == 1 else f"more than {self.max_images} images (max_images)"
        if types and s["answer_type"] not in types:
            return "other answer_types"
        if task_set and s.get("task") not in task_set:
            return "other tasks"
        return "image not found"

    def _why_none(self, records: list[dict[str, Any]], answer_types: Iterable[str] | None,
                  tasks: Iterable[str] | None) -> str:
        """Why every record was left out, by reason, with an image looked for in vain."""
        types, task_set = set(answer_types or ()), set(tasks or ())
        counts = {"free-form text answers": 0, _NOT_ONE: 0, "other answer_types": 0, "other tasks": 0,
                  "image not found": 0}
        looked = None
        for s in records:
            why = self._why_left_out(s, types, task_set)
            counts[why] = counts.get(why, 0) + 1
            if why == "image not found" and looked is None:
                k = next((k for k in range(len(s["images"])) if not self._found(s, k)), 0)
                raw = str(s["images"][k]["path"])
                looked = raw if is_url(raw) else str(self.image_path(s, k))
        told = ", ".join(f"{n} {why}" for why, n in counts.items() if n)
        if looked is not None:
            told += f" (e.g. {looked}; image paths are read relative to image_root={self.image_root})"
        return f"{len(records)} samples, {told or 'none in the file'}"

    def _has_image(self, sample: Mapping[str, Any]) -> bool:
        return all(self._found(sample, k) for k in range(len(sample["images"])))

    def _found(self, sample: Mapping[str, Any], k: int) -> bool:
        raw = str(sample["images"][k]["path"])
        return raw in self._copies if is_url(raw) else self.image_path(sample, k).is_file()

    def _warn_enumerable(self) -> None:
        """Warn when undiscounted retries let a policy try every answer of some samples."""
        if self.max_attempts < 2:
            return
        enumerable = sum(1 for s in self.samples if 0 < answer_count(s) <= self.max_attempts)
        if enumerable:
            warnings.warn(
                f"max_attempts={self.max_attempts} with retry_discount=1.0: on {enumerable} of {len(self.samples)} "
                "samples (yes/no or multiple choice with at most that many options) trying every answer always "
                "earns reward 1; use retry_discount < 1 or fewer attempts", UserWarning, stacklevel=3)

    # -- gymnasium API ---------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        if options is not None and not isinstance(options, Mapping):
            raise TypeError(f"options must be a dict ({{'index': i}} or {{'sample_id': id}}) or None, got {options!r}")
        options = options or {}
        unknown = sorted(str(k) for k in options if k not in RESET_OPTIONS)
        if unknown:
            close = difflib.get_close_matches(unknown[0], RESET_OPTIONS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"unknown reset option {unknown}; allowed: {list(RESET_OPTIONS)}{hint}")
        if "sample_id" in options:
            index = self._index_of(options["sample_id"])
        elif "index" in options:
            i = options["index"]
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise ValueError(f"options['index'] must be a whole number (an index of env.samples), got {i!r}")
            index = int(i) % len(self.samples)
        else:
            index = int(self.np_random.integers(len(self.samples)))
        self._sample = self.samples[index]
        # (with the points its question names by label drawn, when it has marks: `scene.marks`)
        self._images = [load_rgb(self.image_path(self._sample, k), record_marks(self._sample, k))
                        for k in range(len(self._sample["images"]))]
        # each image fitted whole, once; a zoom replaces its image's slot with the zoomed view
        self._arrays: list[np.ndarray] = []
        self._views: list[View] = []
        for im in self._images:
            array, view = fit_view(im, None, self.observation_size, self.fit)  # type: ignore[arg-type]
            self._arrays.append(array)
            self._views.append(view)
        self._focus = 0
        self._attempts_left, self._zooms_left, self._done = self.max_attempts, self.max_zooms, False
        return self._observation(""), self._info(index=index)

    def _index_of(self, sample_id: Any) -> int:
        """The index of the sample `sample_id` names; a ValueError naming them when it names
        several that differ in answer or image (two runs' samples, of data sets whose images share
        ids: `veriscene.sample_ids`), where `reset` took the first."""
        found = [i for i, s in enumerate(self.samples) if s["id"] == sample_id]
        if not found:
            if sample_id in self._left_out:
                raise KeyError(f"sample {sample_id!r} is in the run but not shown by the environment: "
                               f"{self._left_out[sample_id]}")
            close = difflib.get_close_matches(str(sample_id), [str(s["id"]) for s in self.samples], n=3)
            hint = f"; did you mean {close}?" if close else ""
            raise KeyError(f"no usable sample with id {sample_id!r} among the {len(self.samples)} shown{hint}")
        first = self.samples[found[0]]
        others = [i for i in found[1:] if _episode_key(self.samples[i]) != _episode_key(first)]
        if others:
            told = "; ".join(f"index {i}: answer {short_answer(self.samples[i]['answer'])}, image "
                             f"{', '.join(str(im.get('path')) for im in self.samples[i]['images'])}"
                             for i in [found[0], *others][:4])
            raise ValueError(f"sample id {sample_id!r} names {1 + len(others)} different samples ({told}): "
                             f"{ID_NOTE}; choose one with options={{'index': i}}")
        return found[0]

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        if self._done or self._sample is None:
            raise RuntimeError("the episode has ended: call reset() before step()")
        text = completion_text(action)
        zoom = self._zoom_region(text) if self._zooms_left > 0 else None
        if zoom is not None:
            return self._zoom(*zoom)
        return self._answer(text, last=False)

    def answer(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """A step whose text is read as an answer, never as a zoom (an answer given through a
        tool, as `veriscene.rewards.trl_env` gives it)."""
        if self._done or self._sample is None:
            raise RuntimeError("the episode has ended: call reset() before answer()")
        return self._answer(completion_text(action), last=False)

    def finish(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """End the episode with `action` read as its last answer, never as a zoom: the step of an
        answer with no attempt left after it (its score, discounted for the wrong answers before
        it, is the reward). For a rollout that stops without the environment's say, such as a
        TRL conversation whose final message answers."""
        if self._done or self._sample is None:
            raise RuntimeError("the episode has ended: call reset() before finish()")
        return self._answer(completion_text(action), last=True)

    def _answer(self, text: str, last: bool) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        assert self._sample is not None
        if self.freeform is not None and is_freeform(self._sample):
            return self._describe(text)
        result = score_sample(text, self._sample, **self.score_options)
        score = 0.0 if math.isnan(result.score) else float(result.score)
        wrong_before = self.max_attempts - self._attempts_left
        self._attempts_left -= 1
        terminated = bool(result.correct) or self._attempts_left == 0 or last
        self._done = terminated
        if terminated:
            reward = score * self.retry_discount ** wrong_before
            feedback = "correct" if result.correct else "incorrect"
        else:
            left = f"{self._attempts_left} attempt{'s' if self._attempts_left != 1 else ''} left"
            why = f"your answer could not be read ({result.reason})" if result.parse_failed else "incorrect"
            feedback, reward = f"{why}, {left}"[:256], 0.0
        info = self._info(action="answer", score=score, correct=bool(result.correct),
                          parse_failed=bool(result.parse_failed), reason=result.reason, parsed=result.parsed)
        return self._observation(feedback), reward, terminated, False, info

    def _describe(self, text: str) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """A free-form answer: its combined score is the reward, and it ends the episode."""
        assert self._sample is not None and self.freeform is not None
        result = self.freeform.score(text, sample_id=self._sample["id"], answer=self._sample["answer"])
        self._attempts_left -= 1
        self._done = True
        info = self._info(action="answer", score=result.reward, correct=result.reward >= 1.0, parse_failed=False,
                          reason=result.reason or None, parsed=result.details())
        return self._observation("described"), result.reward, True, False, info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array" or self._sample is None:
            return None
        return np.concatenate(self._arrays, axis=1) if len(self._arrays) > 1 else self._arrays[0].copy()

    # -- zoom ------------------------------------------------------------------------------

    def _zoom_region(self, text: str) -> tuple[str, str | None] | None:
        """The content of a zoom action and the image it names (the text of its `image`
        attribute or its "Image k" opening; None when it names none), or None when the text is
        not a zoom."""
        m = _ZOOM.search(text)
        if m is None or re.search(r"<\s*answer\s*>", text, flags=re.IGNORECASE):
            return None
        attributes, content = m.group(1), m.group(2)
        named = _ZOOM_IMAGE_ATTR.search(attributes)
        if named is not None:
            return content, named.group(1)
        opening = _ZOOM_IMAGE_TEXT.match(content)
        if opening is not None:
            return content[opening.end():], opening.group(1)
        return content, None

    def _zoom_image(self, named: str | None) -> tuple[int | None, str | None]:
        """The index (from 0) of the image a zoom names (from 1), or None and why it names none."""
        n = len(self._images)
        which = "Image 1" if n == 1 else f"Image 1 to Image {n}"
        if named is None:
            if n == 1:
                return 0, None
            return None, (f"this sample shows {n} images: name the one to zoom into, <zoom image=\"k\">"
                          f"[x0, y0, x1, y1]</zoom> with k from 1 to {n} ({which})")
        if not (named.isascii() and named.isdigit()) or not 1 <= int(named) <= n:
            return None, (f"no image {named!r} to zoom into: this sample shows {n} image{'s' if n > 1 else ''}, "
                          f"{which} (<zoom image=\"k\"> with k from 1 to {n})")
        return int(named) - 1, None

    def _zoom(self, content: str, named: str | None) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        self._zooms_left -= 1
        sample = self._sample or {}
        fmt = parse_box_format((sample.get("meta") or {}).get("box_format") or self.zoom_format)
        k, reason = self._zoom_image(named)
        boxes = find_boxes(content)
        region = None
        if k is None:
            pass
        elif len(boxes) != 1:
            reason = f"expected one box [x0, y0, x1, y1] in <zoom>, found {len(boxes)}"
        else:
            size = self._images[k].size
            used = resolve_format(boxes[0], fmt, size, auto_detect=False)
            pixels = to_pixels(boxes[0], fmt, size) if used else None
            if pixels is None or pixels[2] - pixels[0] < 1 or pixels[3] - pixels[1] < 1:
                reason = f"zoom box {boxes[0]} is not a non-empty region in the {fmt!r} convention"
            else:
                region = tuple(pixels)
        if region is not None and k is not None:
            self._show(region, k)  # type: ignore[arg-type]
            shown = f" of Image {k + 1}" if len(self._images) > 1 else ""
            feedback = f"zoomed to {boxes[0]}{shown}"
        else:
            feedback = f"could not zoom: {reason}"[:256]
        info = self._info(action="zoom", score=0.0, correct=False, parse_failed=region is None, reason=reason,
                          parsed=list(region) if region else None)
        return self._observation(feedback), 0.0, False, False, info

    # -- observations ----------------------------------------------------------------------

    def _show(self, region: tuple[float, float, float, float] | None, k: int) -> None:
        """Show `region` (pixels; None = whole image) of image `k` in its slot, and focus on it."""
        self._arrays[k], self._views[k] = fit_view(self._images[k], region, self.observation_size, self.fit)  # type: ignore[arg-type]
        self._focus = k

    def _observation(self, feedback: str) -> dict[str, Any]:
        assert self._sample is not None
        # feedback may quote the model's text: keep it inside the observation space's charset
        clean = "".join(c if c in self._charset else "?" for c in feedback)[:256]
        focus = self._arrays[self._focus]
        obs: dict[str, Any] = {"image": focus.copy(), "question": str(self._sample["question"]), "feedback": clean}
        if self.max_images > 1:
            stack = np.zeros((self.max_images, *focus.shape), dtype=np.uint8)
            for k, array in enumerate(self._arrays):
                stack[k] = array
            obs["images"], obs["num_images"] = stack, np.int64(len(self._arrays))
        return obs

    @property
    def sample(self) -> dict[str, Any] | None:
        """The current sample record."""
        return self._sample

    @property
    def view(self) -> View:
        """What `obs["image"]` shows: the view of the image in focus (`image_index`)."""
        return self._views[self._focus]

    @property
    def zooms_left(self) -> int:
        """Zooms the episode may still make."""
        return self._zooms_left

    @property
    def attempts_left(self) -> int:
        """Answers the episode may still give."""
        return self._attempts_left

    @property
    def image_index(self) -> int:
        """The image in focus (from 0): the first at `reset`, then the one last zoomed into."""
        return self._focus

    def why_left_out(self, sample_id: Any) -> str | None:
        """Why the run's sample `sample_id` is not shown ("free-form text answers", "more than 2
        images (max_images)", ...), or None when it is shown or not in the run."""
        return None if any(s["id"] == sample_id for s in self.samples) else self._left_out.get(sample_id)

    def _info(self, **extra: Any) -> dict[str, Any]:
        s = self._sample or {}
        meta = s.get("meta") or {}
        return {"sample_id": s.get("id"), "task": s.get("task"), "answer_type": s.get("answer_type"),
                "box_format": meta.get("box_format") or self.zoom_format, "view": self.view.to_dict(),
                "fit": self.fit, "attempts_left": self._attempts_left, "zooms_left": self._zooms_left,
                **({"num_images": len(s.get("images") or ()), "image_index": self._focus}
                   if self.max_images > 1 else {}), **extra}
