"""TRL conversational prompt / completion records with images (SFTTrainer, GRPOTrainer).

    prompt       [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": Q}]}]
                 (a question holding one `<image>` per image, "Compare <image> with <image>", is cut
                 there: text and image parts interleaved in its order; else the images go first)
    completion   [{"role": "assistant", "content": [{"type": "text", "text": answer_text}]}]
    images       JSONL: ["images/0001.png"] (paths, see `common`)
                 parquet: [{"bytes": ..., "path": ...}] declared as Image features
    answer       JSON text of the program result          \
    answer_type, choices, sample_id, task                  |  extra columns: TRL passes them to
    ground_truth JSON text {answer, answer_type, choices,  |  reward functions as keyword args
                 answer_letter, mode, box_format, image_size}
    program      JSON text of the program                 /

With `system` (`--system TEXT`), `prompt` (and `messages` below) opens with the system message
`{"role": "system", "content": [{"type": "text", "text": TEXT}]}`: the instruction many VLM
recipes train and sample with ("A conversation between User and Assistant. ... The assistant first
thinks about the reasoning process ... <think> </think> and <answer> </answer> tags"), which the
chat template then renders as the model will see it.

With `turns` N > 1, a record is a conversation of up to N questions about the same image(s), in
TRL's conversational language-modeling form (SFTTrainer; not GRPO, which needs prompts), grouped
as the llava and sharegpt exports group them (`turns.conversations`):

    messages     [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": Q1}]},
                  {"role": "assistant", "content": [{"type": "text", "text": A1}]},
                  {"role": "user", "content": [{"type": "text", "text": Q2}]}, ...]
                 (the images once, in front of the first question; placeholders in a question
                 are taken out, as for llava)
    images       as above, once per conversation
    id           "conv-<hash of its samples' ids>" (a conversation of one sample: its id)
    sample_ids, tasks, answer_types          list<string>, one per turn, in the order asked
    answers, ground_truths, programs         JSON text of a list, one per turn: `ground_truths[k]`
                                             is the single-turn `ground_truth` of turn k, what a
                                             reward or an evaluation scores its reply against

A sample with an image that has no path is skipped (its conversation could not name the image),
in parquet too. Embedded images are read again for the conversations (the last 16 kept).

The file type follows the output name (".jsonl" or ".parquet"), else `file_format`. JSONL cannot
embed images: use parquet for that. For JSONL, load with `datasets.load_dataset("json", ...)` and
cast `images` to `Sequence(Image())` after making the paths resolvable (they are relative to
image_root).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from veriscene.io.writers.arrow import (
    image_cell,
    image_struct_type,
    require_pyarrow,
    with_hf_features,
    write_rows,
)
from veriscene.io.writers.common import (
    ExportSummary,
    ImageResolver,
    convert_all,
    dumps,
    ground_truth,
    ImageRef,
    output_file,
    read_urls,
    require_paths,
    write_json_lines,
)
from veriscene.io.writers.text import IMAGE_PLACEHOLDER, answer_text, check_system
from veriscene.io.writers.turns import Turn, check_turns, conversation_id, conversation_records

FILE_FORMATS = ("jsonl", "parquet")
SUFFIXES = (".jsonl", ".parquet")
DEFAULT_NAMES = ("trl.jsonl", "trl.parquet")  # in a folder `out`, by `file_format`
KEPT_IMAGES = 16  # images a multi-turn export keeps read (`ConversationImages`)


def prompt_content(question: str, n_images: int) -> list[dict[str, Any]]:
    """The user message's parts: one `{"type": "image"}` per image, where the question's `<image>`
    placeholders are (text between them kept as text parts), or all in front when it has none.
    A question with placeholders for another number of images raises ValueError."""
    present = question.count(IMAGE_PLACEHOLDER)
    if not present:
        return [{"type": "image"} for _ in range(n_images)] + [{"type": "text", "text": question.strip()}]
    if present != n_images:
        raise ValueError(f"question has {present} {IMAGE_PLACEHOLDER} placeholders for {n_images} images")
    content: list[dict[str, Any]] = []
    for k, text in enumerate(question.strip().split(IMAGE_PLACEHOLDER)):
        if k:
            content.append({"type": "image"})
        if text.strip():
            content.append({"type": "text", "text": text})
    return content


def system_messages(system: str | None) -> list[dict[str, Any]]:
    """The system message a record opens with (none without `system`)."""
    return [] if system is None else [{"role": "system", "content": [{"type": "text", "text": system}]}]


def trl_row(
    sample: dict[str, Any], images: ImageResolver, *, columnar: bool, mc_style: str = "letter",
    system: str | None = None,
) -> tuple[dict[str, Any], int]:
    refs = images.resolve_all(sample)
    if not columnar:
        require_paths(sample, refs)
    content = prompt_content(str(sample["question"]), len(refs))
    choices = sample.get("choices")
    row = {
        "prompt": system_messages(system) + [{"role": "user", "content": content}],
        "completion": [
            {
                "role": "assistant",
                "content": [{"type": "text", "text": answer_text(sample, mc_style=mc_style)}],
            }
        ],
        "images": [image_cell(r, images.embed) for r in refs] if columnar else [r.path for r in refs],
        "answer": dumps(sample["answer"]),
        "answer_type": str(sample["answer_type"]),
        "choices": [str(c) for c in choices] if choices is not None else None,
        "sample_id": str(sample["id"]),
        "task": str(sample["task"]),
        "ground_truth": ground_truth(sample),
        "program": dumps(sample.get("program", [])),
    }
    return row, sum(len(r.data) for r in refs if r.data)


def message_list_type() -> Any:
    """list<struct<role, content: list<struct<type, text>>>>: chat messages with typed parts."""
    pa = require_pyarrow()
    part = pa.struct([("type", pa.string()), ("text", pa.string())])
    return pa.list_(pa.struct([("role", pa.string()), ("content", pa.list_(part))]))


def trl_schema() -> Any:
    pa = require_pyarrow()
    message = message_list_type()
    schema = pa.schema(
        [
            ("prompt", message),
            ("completion", message),
            ("images", pa.list_(image_struct_type())),
            ("answer", pa.string()),
            ("answer_type", pa.string()),
            ("choices", pa.list_(pa.string())),
            ("sample_id", pa.string()),
            ("task", pa.string()),
            ("ground_truth", pa.string()),
            ("program", pa.string()),
        ]
    )
    return with_hf_features(schema, image_lists=["images"])


def conversation_schema() -> Any:
    pa = require_pyarrow()
    schema = pa.schema(
        [
            ("messages", message_list_type()),
            ("images", pa.list_(image_struct_type())),
            ("id", pa.string()),
            ("sample_ids", pa.list_(pa.string())),
            ("tasks", pa.list_(pa.string())),
            ("answer_types", pa.list_(pa.string())),
            ("answers", pa.string()),
            ("ground_truths", pa.string()),
            ("programs", pa.string()),
        ]
    )
    return with_hf_features(schema, image_lists=["images"])


def _json_list(texts: Iterable[str]) -> str:
    """JSON text of a list whose items are already JSON text (as `dumps` writes them)."""
    return "[" + ",".join(texts) + "]"


def _read_bytes(ref: ImageRef) -> bytes | None:
    """The bytes to embed of an image found when its turn was made (None for one that was not, or
    that cannot be decoded now): as single-turn exports embed them (`ImageResolver._embedded`),
    the file's own bytes where every decoder shows them as veriscene does, else its upright sRGB
    pixels re-encoded (`scene.image_files.payload`: a photo stored turned, a colour profile,
    16-bit, ...). A store that cannot be read now raises, as it does for single-turn exports."""
    from veriscene.scene.image_files import ImageFileError, payload

    if not ref.exists:
        return None
    if ref.marks:  # an image whose question names points drawn on it (`io.writers.marked`)
        return _marked_bytes(ref)
    try:
        if ref.source is not None:
            return payload(str(ref.source))[0]
        url = str(ref.path)
        data = read_urls([url])[url]
        if isinstance(data, FileNotFoundError):
            return None
        if isinstance(data, Exception):
            raise data
        return payload(url, data)[0]
    except (ImageFileError, FileNotFoundError):
        return None


def _marked_bytes(ref: ImageRef) -> bytes | None:
    """The embedded bytes of an image with marks: drawn again (None when it cannot be decoded now)."""
    from veriscene.scene.image_files import ImageFileError
    from veriscene.scene.mark_drawing import marked_payload

    try:
        if ref.source is not None:
            return marked_payload(str(ref.source), ref.marks or ())[0]
        url = str(ref.origin)
        data = read_urls([url])[url]
        if isinstance(data, FileNotFoundError):
            return None
        if isinstance(data, Exception):  # the store cannot be read now: said, as for unmarked images
            raise data
        return marked_payload(url, ref.marks or (), data)[0]
    except (ImageFileError, FileNotFoundError):
        return None


class ConversationImages:
    """Reads the images conversations embed, keeping the last `size` read: the conversations of
    one scene show its image again and again (an image at a URL is then asked for once, not once
    per conversation)."""

    def __init__(self, size: int = KEPT_IMAGES) -> None:
        self.size = size
        self.reads = 0  # files or URLs read
        self._kept: OrderedDict[str, bytes | None] = OrderedDict()

    def __call__(self, ref: ImageRef) -> bytes | None:
        # (an image with marks: its marked copy's name, which tells the marks apart)
        key = str(ref.path) if ref.marks else str(ref.source if ref.source is not None else ref.path)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        data = self._kept[key] = _read_bytes(ref)
        self.reads += 1
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return data


def conversation_row(turns: list[Turn], *, columnar: bool,
                     read: Callable[[ImageRef], bytes | None] | None = None,
                     system: str | None = None) -> tuple[dict[str, Any], int]:
    """One multi-turn record (see the module docstring) and the bytes of the images it embeds;
    `read` gives an image's bytes when embedding (Parquet)."""
    refs = list(turns[0].refs)
    messages: list[dict[str, Any]] = system_messages(system)
    for k, turn in enumerate(turns):
        messages.append({"role": "user", "content": prompt_content(turn.question, len(refs) if k == 0 else 0)})
        messages.append({"role": "assistant", "content": [{"type": "text", "text": turn.answer}]})
    if columnar:
        refs = [replace(r, data=read(r)) if read is not None else r for r in refs]
        images: list[Any] = [image_cell(r, read is not None) for r in refs]
    else:
        images = list(turns[0].images)
    row = {
        "messages": messages,
        "images": images,
        "id": conversation_id(turns),
        "sample_ids": [t.sample_id for t in turns],
        "tasks": [str(t.provenance["task"]) for t in turns],
        "answer_types": [str(t.provenance["answer_type"]) for t in turns],
        "answers": _json_list(t.provenance["answer"] for t in turns),
        "ground_truths": _json_list(t.ground_truth for t in turns),
        "programs": _json_list(t.provenance["program"] for t in turns),
    }
    return row, sum(len(r.data) for r in refs if r.data)


def write_trl(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    mc_style: str = "letter",
    file_format: str | None = None,
    batch_rows: int = 1000,
    turns: int = 1,
    system: str | None = None,
) -> None:
    """`file_format` ("jsonl" | "parquet") applies when `out` is a directory; default jsonl
    (parquet when embedding images). `turns` > 1 writes conversations of up to that many
    questions about the same image(s) as `messages` records (see the module docstring).
    `system`: a system message that opens every record."""
    check_turns(turns)
    check_system(system)
    out = Path(out)
    if out.suffix.lower() in SUFFIXES:
        file_format = out.suffix.lower().lstrip(".")
    elif file_format is None:
        file_format = "parquet" if images.embed else "jsonl"
    if file_format not in FILE_FORMATS:
        raise ValueError(f"unknown TRL file_format {file_format!r}; expected one of {FILE_FORMATS}")
    if file_format == "jsonl" and images.embed:
        raise ValueError("TRL JSONL cannot embed images; write to a .parquet file instead")
    path = output_file(out, f"trl.{file_format}", SUFFIXES)
    columnar = file_format == "parquet"
    if turns > 1:
        read = ConversationImages() if images.embed else None
        rows = conversation_records(
            samples, summary, images, turns,
            lambda conv: conversation_row(conv, columnar=columnar, read=read, system=system), mc_style=mc_style,
        )
    else:
        rows = convert_all(
            samples, summary,
            lambda _i, s: trl_row(s, images, columnar=columnar, mc_style=mc_style, system=system)
        )
    if columnar:
        write_rows(path, conversation_schema() if turns > 1 else trl_schema(), rows, batch_rows=batch_rows)
    else:
        write_json_lines(path, (row for row, _ in rows))
    summary.files.append(path)
