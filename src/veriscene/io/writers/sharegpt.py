"""ShareGPT in LLaMA-Factory's multimodal form, plus the `dataset_info.json` entry registering it.

    {"messages": [{"role": "user", "content": "<image>How many cups are there?"},
                  {"role": "assistant", "content": "3"}],
     "images": ["images/0001.png"],
     "id": "<sample id>",
     "veriscene": {provenance, as in the LLaVA writer}}

With `turns` N > 1, a record is a conversation of up to N questions about the same image(s)
(see `turns.conversations`), the "<image>" placeholders in its first user message only, its id
"conv-<hash of its samples' ids>" and "veriscene" the list of its samples' provenance.

With `system` (`--system TEXT`), every record has `"system": TEXT` and the entry maps LLaMA-Factory's
`system` column to it (`"columns": {..., "system": "system"}`), which puts it in the template's
system slot.

LLaMA-Factory requires as many "<image>" placeholders in the messages as paths in "images", and
resolves relative image paths against its `media_dir` (by default the dataset_dir that holds
dataset_info.json), which is why image_root defaults to the output folder. A sample with an image
that has no path is skipped and reported (a null in "images" stops LLaMA-Factory's loader). The entry is merged into
an existing dataset_info.json in that folder (other datasets in it are kept):

    "<dataset_name>": {"file_name": "sharegpt.json", "formatting": "sharegpt",
                       "columns": {"messages": "messages", "images": "images"},
                       "tags": {"role_tag": "role", "content_tag": "content",
                                "user_tag": "user", "assistant_tag": "assistant"}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from veriscene.io.writers.common import (
    AtomicTextFile,
    ExportSummary,
    ImageResolver,
    convert_all,
    output_file,
    provenance,
    require_paths,
    write_json_array,
)
from veriscene.io.writers.text import answer_text, check_system, prompt_text
from veriscene.io.writers.turns import Turn, check_turns, conversation_id, conversation_records

DEFAULT_NAME = "sharegpt.json"
SUFFIXES = (".json",)
DATASET_INFO = "dataset_info.json"


def _with_system(record: dict[str, Any], system: str | None) -> dict[str, Any]:
    return record if system is None else {**record, "system": system}


def sharegpt_record(
    sample: dict[str, Any], images: ImageResolver, *, mc_style: str = "letter", system: str | None = None
) -> dict[str, Any]:
    refs = images.resolve_all(sample)
    require_paths(sample, refs)
    return _with_system({
        "messages": [
            {"role": "user", "content": prompt_text(str(sample["question"]), len(refs))},
            {"role": "assistant", "content": answer_text(sample, mc_style=mc_style)},
        ],
        "images": [r.path for r in refs],
        "id": str(sample["id"]),
        "veriscene": provenance(sample),
    }, system)


def sharegpt_conversation(turns: list[Turn], system: str | None = None) -> dict[str, Any]:
    """One ShareGPT record of several turns on the same image(s), shown in the first message."""
    paths = list(turns[0].images)
    messages = []
    for k, turn in enumerate(turns):
        messages.append({"role": "user", "content": prompt_text(turn.question, len(paths) if k == 0 else 0)})
        messages.append({"role": "assistant", "content": turn.answer})
    return _with_system({"messages": messages, "images": paths, "id": conversation_id(turns),
                         "veriscene": [turn.provenance for turn in turns]}, system)


def dataset_info_entry(file_name: str, system: bool = False) -> dict[str, Any]:
    """The entry of a file; `system`: its records have a "system" column."""
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images", **({"system": "system"} if system else {})},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
        },
    }


def register_dataset(folder: Path, dataset_name: str, file_name: str, system: bool = False) -> Path:
    """Add (or replace) `dataset_name` in folder/dataset_info.json; returns that file."""
    info_path = Path(folder) / DATASET_INFO
    info: dict[str, Any] = {}
    if info_path.exists():
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{info_path}: not valid JSON ({exc}); fix or remove it") from exc
        if not isinstance(info, dict):
            raise ValueError(f"{info_path}: expected a JSON object of dataset entries")
    info[dataset_name] = dataset_info_entry(file_name, system)
    with AtomicTextFile(info_path) as fh:
        fh.write(json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    return info_path


def write_sharegpt(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    mc_style: str = "letter",
    dataset_name: str | None = None,
    turns: int = 1,
    system: str | None = None,
) -> None:
    """Write the ShareGPT JSON array and register it; `dataset_name` defaults to the file stem;
    `turns` > 1 groups questions on the same image(s) into conversations of up to that many;
    `system` is every record's system message."""
    check_turns(turns)
    check_system(system)
    path = output_file(out, DEFAULT_NAME, SUFFIXES)
    if turns > 1:
        rows = conversation_records(samples, summary, images, turns,
                                    lambda conv: sharegpt_conversation(conv, system), mc_style=mc_style)
    else:
        rows = convert_all(
            samples, summary, lambda _i, s: sharegpt_record(s, images, mc_style=mc_style, system=system)
        )
    write_json_array(path, rows)
    info = register_dataset(path.parent, dataset_name or path.stem, os.path.basename(path), system is not None)
    summary.files.extend([path, info])
