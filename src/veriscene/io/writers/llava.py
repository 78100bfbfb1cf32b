"""LLaVA conversation JSON: one array of records, as LLaVA-style trainers read it.

    {"id": "<sample id>",
     "image": "images/0001.png",                     (a list of paths for multi-image samples)
     "conversations": [{"from": "human", "value": "<image>\\nHow many cups are there?"},
                       {"from": "gpt", "value": "3"}],
     "veriscene": {provenance: sample_id, task, family, template_id, generator_version, seed,
                   image_ids, answer (JSON text), answer_type, program (JSON text)}}

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


def write_llava(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    mc_style: str = "letter",
    image_list: bool = False,
) -> None:
    path = output_file(out, DEFAULT_NAME, SUFFIXES)
    rows = convert_all(
        samples,
        summary,
        lambda _i, s: llava_record(s, images, mc_style=mc_style, image_list=image_list),
    )
    write_json_array(path, rows)
    summary.files.append(path)
