"""Sample records as writers take them: the fields every sample must have (`check_sample`), the
flat provenance columns and the reward's ground-truth text derived from a sample, the conversion
loop that skips a bad record with its reason (`convert_all`), and the summary every writer fills
and returns (`ExportSummary`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson

from veriscene.answers.options import close_name
from veriscene.sample import ANSWER_TYPES, answer_problem
from veriscene.scene.marks import sample_marks

MAX_LISTED = 10  # missing images / errors listed by name in a summary
REQUIRED_FIELDS = ("id", "task", "images", "question", "answer", "answer_type")
# the question as generated, kept beside a "question" an export gave its instruction
# (`io.export.with_instructions`): rewards read replies with it, as `veriscene eval` does
GENERATED_QUESTION = "generated_question"

T = TypeVar("T")


@dataclass
class ExportSummary:
    """What an export wrote and what it could not (returned by every writer)."""

    format: str
    out: Path | str  # a URL (str) for an export to object storage
    image_root: Path | None  # None: paths are absolute (an export to a URL, without an image root)
    files: list[Path | str] = field(default_factory=list)
    samples_written: int = 0
    samples_skipped: int = 0
    errors: list[str] = field(default_factory=list)  # first MAX_LISTED reasons for skipped records
    images_referenced: int = 0  # image references written (a multi-image sample counts each)
    images_missing: int = 0  # distinct referenced images that do not exist (or have no path)
    missing_examples: list[str] = field(default_factory=list)  # first MAX_LISTED of them
    images_embedded: int = 0
    images_at_urls: int = 0  # references to images by URL (s3://...): written as they are; read only to embed them
    images_checked: int = 0  # of those, found in the store when asked (`check_urls`, without embedding)
    samples_expected: int | None = None  # the samples the run's manifest records (None: no finished manifest)
    warnings: list[str] = field(default_factory=list)  # what the export wrote but should be looked at
    # the run's vocabulary.json copied beside a trl, verl or lmms_eval export: the data set's words,
    # rivals of a `str` answer when replies are scored (None: not such an export, or the run has none)
    vocabulary_file: Path | str | None = None
    # records holding several samples' questions (llava, sharegpt, trl with turns > 1), else None
    conversations: int | None = None

    def skip(self, reason: str) -> None:
        self.samples_skipped += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append(reason)

    @property
    def ok(self) -> bool:
        return self.samples_skipped == 0 and self.images_missing == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "out": str(self.out),
            "image_root": str(self.image_root) if self.image_root is not None else None,
            "files": [str(f) for f in self.files],
            "vocabulary_file": str(self.vocabulary_file) if self.vocabulary_file is not None else None,
            "conversations": self.conversations,
            "samples_written": self.samples_written,
            "samples_skipped": self.samples_skipped,
            "errors": list(self.errors),
            "images_referenced": self.images_referenced,
            "images_missing": self.images_missing,
            "missing_examples": list(self.missing_examples),
            "images_embedded": self.images_embedded,
            "images_at_urls": self.images_at_urls,
            "images_checked": self.images_checked,
            "samples_expected": self.samples_expected,
            "warnings": list(self.warnings),
        }

    def image_counts(self) -> tuple[int, int, int, int]:
        """The counts of images written, saved before a sample is converted (`restore_image_counts`)."""
        return self.images_referenced, self.images_embedded, self.images_at_urls, self.images_checked

    def restore_image_counts(self, counts: tuple[int, int, int, int]) -> None:
        """Forget the images of a sample that was skipped: they are not in the export. (Missing
        files stay counted: they are missing whichever sample names them.)"""
        self.images_referenced, self.images_embedded, self.images_at_urls, self.images_checked = counts


INT64_MAX = 2**63 - 1


def int64(sample: dict[str, Any], key: str) -> int:
    """sample[key] as an int that fits the int64 columns (seed, generator_version); 0 if absent."""
    try:
        value = int(sample.get(key) or 0)
    except (TypeError, ValueError):
        raise ValueError(f"sample {sample.get('id', '?')}: field '{key}' must be a whole number, "
                         f"got {sample.get(key)!r:.80}") from None
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise ValueError(f"sample {sample.get('id', '?')}: field '{key}' = {value} exceeds int64")
    return value


def dumps(value: Any) -> str:
    """Compact JSON text (used for program / answer / meta columns whose types vary by row)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def check_sample(sample: Any) -> None:
    """Raise ValueError / TypeError naming the missing or malformed fields a writer needs."""
    if not isinstance(sample, dict):
        raise TypeError(f"a sample must be a JSON object, got {type(sample).__name__}")
    missing = [k for k in REQUIRED_FIELDS if k not in sample]
    if missing:
        named = f"sample {sample['id']}: " if isinstance(sample.get("id"), str) else ""
        scene = ("; it is a scene graph (it has image_id and objects), not a sample: make samples of it with "
                 "`veriscene generate SCENES --out RUN`, then export RUN") if "image_id" in sample and "objects" in sample else ""
        raise ValueError(f"{named}missing fields {missing}{scene}")
    if not isinstance(sample["id"], str) or not sample["id"]:
        raise TypeError(f"field 'id' must be a non-empty string, got {sample['id']!r}")
    if not isinstance(sample["question"], str):
        raise TypeError(f"sample {sample['id']}: field 'question' must be a string, got "
                        f"{type(sample['question']).__name__}")
    if not isinstance(sample["images"], list):
        raise TypeError(f"sample {sample['id']}: field 'images' must be a list")
    for index, image in enumerate(sample["images"]):  # every writer reads each one's id and path
        if not isinstance(image, dict):
            raise TypeError(f"sample {sample['id']}: field 'images', item {index}: expected an object "
                            f"{{id, path}}, got {type(image).__name__} {image!r:.80}")
    kind = sample["answer_type"]
    if kind not in ANSWER_TYPES:  # (every writer renders or scores the answer by it: none can write it)
        meant = close_name(str(kind), ANSWER_TYPES) if isinstance(kind, str) else None
        hint = f" (did you mean {meant!r}?)" if meant else ""
        raise ValueError(f"sample {sample['id']}: field 'answer_type': unknown answer_type {kind!r}{hint}; expected "
                         f"one of {', '.join(ANSWER_TYPES)}")
    choices = sample.get("choices")
    if choices is not None and (not isinstance(choices, list) or not all(isinstance(c, str) for c in choices)):
        # a string would be written as a list of its characters
        raise TypeError(f"sample {sample['id']}: field 'choices' must be a list of strings or null, "
                        f"got {type(choices).__name__}")
    meta = sample.get("meta")
    if meta is not None and not isinstance(meta, dict):  # every writer reads its mode, letter, box format
        raise TypeError(f"sample {sample['id']}: field 'meta' must be an object or null, got {type(meta).__name__}")
    wrong = answer_problem(kind, sample["answer"])
    if wrong:  # a target rendered from it ('None', '4' of 4.7) or a reward's truth no reply could match
        raise TypeError(f"sample {sample['id']}: field 'answer': {wrong}")



def provenance(sample: dict[str, Any]) -> dict[str, Any]:
    """Flat, type-stable provenance: enough to find (and re-run) the sample's program.

    `program` and `answer` are JSON text because their shapes vary between samples, which columnar
    readers (pyarrow, datasets' JSON loader) cannot infer as one type.
    """
    return {
        "sample_id": str(sample["id"]),
        "task": str(sample["task"]),
        "family": str(sample.get("family", "")),
        "template_id": str(sample.get("template_id", "")),
        "generator_version": int64(sample, "generator_version"),
        "seed": int64(sample, "seed"),
        "image_ids": [str(im.get("id", "")) for im in sample["images"]],
        "answer": dumps(sample["answer"]),
        "answer_type": str(sample["answer_type"]),
        "program": dumps(sample.get("program", [])),
    }


def ground_truth(sample: dict[str, Any]) -> str:
    """JSON text a reward function needs to score a response (verl ground_truth, TRL column).

    Everything `veriscene.answers.score_sample` reads from a sample is included, so rewards
    computed from this text equal evaluation scores: `synonyms` and `vocabulary` are added
    only when the sample's meta has them (they change how `str` answers are read), and the
    `question` (a `str` reply may restate it: its words do not compete with the gold), as
    generated (`GENERATED_QUESTION`: without an instruction an export added), and for a question
    answered by a mark's label, the `marks` drawn (`images[0].marks`: a reply may give a mark by
    its coordinates); over several images each marked, every image's marks and `image_sizes`.
    """
    meta = sample.get("meta") or {}
    truth = {
        "answer": sample["answer"],
        "answer_type": sample["answer_type"],
        "choices": sample.get("choices"),
        "answer_letter": meta.get("answer_letter"),
        "mode": meta.get("mode", "qa"),
        "box_format": meta.get("box_format"),
        "image_size": meta.get("image_size"),
    }
    question = sample.get(GENERATED_QUESTION, sample.get("question"))
    if isinstance(question, str):
        truth["question"] = question
    for key in ("synonyms", "vocabulary", "mark_labels"):  # (mark_labels: a label of marked points)
        if meta.get(key):
            truth[key] = meta[key]
    if meta.get("mark_labels"):  # the marks' points: a reply may give one by its coordinates
        images = sample.get("images")
        marks = images[0].get("marks") if isinstance(images, list) and images and isinstance(images[0], dict) else None
        if marks:
            truth["marks"] = marks
    elif sample.get("answer_type") == "image_index" and any(
            isinstance(image, dict) and image.get("marks") for image in sample.get("images") or ()):
        # a mark on each image ("In which image does the marked point lie on a dog?"): each with its
        # "image", as a reply's "B" is read as the image B is drawn on (`scene.marks.sample_marks`),
        # and the images' sizes, as a reply's "(419, 50)" is read at its image's size
        truth["marks"] = sample_marks(sample)
        if meta.get("image_sizes"):
            truth["image_sizes"] = meta["image_sizes"]
    return dumps(truth)


def convert_all(
    samples: Iterable[Any],
    summary: ExportSummary,
    convert: Callable[[int, dict[str, Any]], T],
) -> Iterator[T]:
    """Apply `convert(index, sample)` to each valid sample; bad ones are skipped and reported.

    `index` counts written rows (0-based). A ValueError / TypeError / KeyError from a record skips
    that record with its reason (its images are then not counted as written); anything else is a
    bug and propagates.
    """
    for sample in samples:
        counts = summary.image_counts()
        try:
            check_sample(sample)
            row = convert(summary.samples_written, sample)
        except (ValueError, TypeError, KeyError) as exc:
            summary.restore_image_counts(counts)
            sid = sample.get("id") if isinstance(sample, dict) else None
            reason = str(exc)
            named = reason.startswith("sample ") or not isinstance(sid, str)
            summary.skip(reason if named else f"sample {sid}: {reason}")
            continue
        summary.samples_written += 1
        yield row
