"""verl RL parquet: one row per sample in the layout of verl's RLHFDataset.

    data_source   "veriscene/<task>"                 (verl picks the reward function by it)
    prompt        [{"role": "user", "content": "<image>How many cups are there?"}]
                  (with `system`, `--system TEXT`: {"role": "system", "content": TEXT} first, the
                  instruction an R1-style GRPO recipe samples with)
    images        [{"image": "images/0001.png"}]    paths (relative to image_root, see `common`)
                  [{"bytes": b"..."}]               with embed_images=True
    ability       the generator family, e.g. "counting"
    reward_model  {"style": "rule", "ground_truth": JSON text of {answer, answer_type, choices,
                   answer_letter, mode, box_format, image_size}}
    extra_info    {split, index, sample_id, task, family, template_id, generator_version, seed,
                   image_ids, answer, answer_type, program}   (answer / program as JSON text)

verl's image loader uses a dict's "bytes" when that key is present and otherwise hands the dict to
qwen-vl-utils, which reads its "image" key; so path rows carry {"image": path} only, and embedded
rows {"bytes": ...} only. When embedding, a sample whose image is missing is skipped (a file has one
image struct type, and verl could not train on it anyway); the summary reports both. A sample
with an image that has no path is skipped likewise.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from veriscene.io.writers.arrow import require_pyarrow, write_rows
from veriscene.io.writers.common import (
    ExportSummary,
    ImageResolver,
    convert_all,
    ground_truth,
    output_file,
    provenance,
    require_paths,
)
from veriscene.io.writers.text import check_system, prompt_text

DEFAULT_NAME = "verl.parquet"
SUFFIXES = (".parquet",)


def verl_schema(embed: bool) -> Any:
    pa = require_pyarrow()
    image = pa.struct([("bytes", pa.binary())]) if embed else pa.struct([("image", pa.string())])
    extra_info = pa.struct(
        [
            ("split", pa.string()),
            ("index", pa.int64()),
            ("sample_id", pa.string()),
            ("task", pa.string()),
            ("family", pa.string()),
            ("template_id", pa.string()),
            ("generator_version", pa.int64()),
            ("seed", pa.int64()),
            ("image_ids", pa.list_(pa.string())),
            ("answer", pa.string()),
            ("answer_type", pa.string()),
            ("program", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("data_source", pa.string()),
            ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            ("images", pa.list_(image)),
            ("ability", pa.string()),
            ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
            ("extra_info", extra_info),
        ]
    )


def verl_row(
    index: int, sample: dict[str, Any], images: ImageResolver, *, split: str = "train", system: str | None = None
) -> tuple[dict[str, Any], int]:
    refs = images.resolve_all(sample)
    require_paths(sample, refs)
    cells = [
        {"bytes": r.data} if images.embed and r.data is not None else {"image": r.path}
        for r in refs
    ]
    if images.embed and any("image" in c for c in cells):
        # one struct type per file: a missing image cannot be embedded, keep the row text-only
        raise ValueError(f"sample {sample['id']}: image not available, cannot embed it for verl")
    row = {
        "data_source": f"veriscene/{sample['task']}",
        "prompt": ([] if system is None else [{"role": "system", "content": system}])
        + [{"role": "user", "content": prompt_text(str(sample["question"]), len(refs))}],
        "images": cells,
        "ability": str(sample.get("family", "")),
        "reward_model": {"style": "rule", "ground_truth": ground_truth(sample)},
        "extra_info": {"split": split, "index": index, **provenance(sample)},
    }
    return row, sum(len(r.data) for r in refs if r.data)


def write_verl(
    samples: Iterable[dict[str, Any]],
    out: Path,
    summary: ExportSummary,
    images: ImageResolver,
    *,
    split: str = "train",
    batch_rows: int = 1000,
    compression: str = "zstd",
    system: str | None = None,
) -> None:
    """Write verl rows; `split` goes to extra_info (verl's examples write train / test files);
    `system` opens every prompt."""
    check_system(system)
    path = output_file(out, DEFAULT_NAME, SUFFIXES)
    rows = convert_all(samples, summary, lambda i, s: verl_row(i, s, images, split=split, system=system))
    write_rows(
        path, verl_schema(images.embed), rows, batch_rows=batch_rows, compression=compression
    )
    summary.files.append(path)
