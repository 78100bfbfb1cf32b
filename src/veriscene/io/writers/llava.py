"""LLaVA conversation JSON: one array of records, as LLaVA-style trainers read it.

    {"id": "<sample id>",
     "image": "images/0001.png",                     (a list of paths for multi-image samples)
     "conversations": [{"from": "human", "value": "<image>\\nHow many cups are there?"},
                       {"from": "gpt", "value": "3"}],
     "veriscene": {provenance: sample_id, task, family, template_id, generator_version, seed,
                   image_ids, answer (JSON text), answer_type, program (JSON text)}}

With `turns` N > 1, a record is a conversation of up to N questions about the same image(s)
(`turns.conversations` says which go together), "<image>" in its first question only, and
"veriscene" is the list of its samples' provenance, in the order asked:

    {"id": "conv-<hash of its samples' ids>", "image": "images/0001.png",
     "conversations": [{"from": "human", "value": "<image>\\nHow many cups are there?"},
                       {"from": "gpt", "value": "3"},
                       {"from": "human", "value": "Is the cup left of the plate?"},
                       {"from": "gpt", "value": "Yes"}],
     "veriscene": [{provenance of the first}, {provenance of the second}]}

Image paths follow the rule in `common` (relative to image_root, which you then pass to the
trainer as its image folder). Samples without images get no "image" key (text-only records); a
sample with an image that has no path is skipped and reported (LLaVA's loader cannot open a null).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from veriscene.io.writers.common import (
    ExportSummary,
    ImageResolver,
    convert_all,
    output_file,
    provenance,
    require_paths,
    write_json_array,
)
from veriscene.io.writers.text import answer_text, prompt_text
from veriscene.io.writers.turns import Turn, check_turns, conversation_id, conversation_records

DEFAULT_NAME = "llava.json"
SUFFIXES = (".json",)


def llava_record(
    sample: dict[str, Any],
    images: ImageResolver,
    *,
    mc_style: str = "letter",
    image_list: bool = False,
) -> dict[str, Any]:
    """One LLaVA record. `image_list=True` writes "image" as a list even for one image."""
    refs = images.resolve_all(sample)
    require_paths(sample, refs)
    record: dict[str, Any] = {"id": str(sample["id"])}
    if refs:
        paths = [r.path for r in refs]
        record["image"] = paths[0] if len(paths) == 1 and not image_list else paths
    record["conversations"] = [
        {"from": "human", "value": prompt_text(str(sample["question"]), len(refs), separator="\n")},
        {"from": "gpt", "value": answer_text(sample, mc_style=mc_style)},
    ]
    record["veriscene"] = provenance(sample)
    return record


def llava_conversation(turns: list[Turn], *, image_list: bool = False) -> dict[str, Any]:
    """One LLaVA record of several turns on the same image(s), shown in the first question."""
    paths = list(turns[0].images)
    record: dict[str, Any] = {"id": conversation_id(turns)}
    if paths:
        record["image"] = paths[0] if len(paths) == 1 and not image_list else paths
    messages = []
    for k, turn in enumerate(turns):
        shown = len(paths) if k == 0 else 0
        messages.append({"from": "human", "value": prompt_text(turn.question, shown, separator="\n")})
        messages.append({"from": "gpt", "value": turn.answer})
    record["conversations"] = messages
    record["veriscene"] = [turn.provenance for turn in turns]
    return record


def write_llava(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    mc_style: str = "letter",
    image_list: bool = False,
    turns: int = 1,
) -> None:
    """Write the LLaVA JSON array; `turns` > 1 groups questions on the same image(s) into
    conversations of up to that many turns."""
    check_turns(turns)
    path = output_file(out, DEFAULT_NAME, SUFFIXES)
    if turns > 1:
        rows = conversation_records(samples, summary, images, turns,
                                    lambda conv: llava_conversation(conv, image_list=image_list), mc_style=mc_style)
    else:
        rows = convert_all(
            samples,
            summary,
            lambda _i, s: llava_record(s, images, mc_style=mc_style, image_list=image_list),
        )
    write_json_array(path, rows)
    summary.files.append(path)
