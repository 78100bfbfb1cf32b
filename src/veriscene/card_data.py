"""What a dataset card says of the files it is published with.

- The Hub's `configs` block: one glob (a `train` split), or one glob (or several) per split, so
  that a train and a test run exported side by side load as one data set with two splits. Given
  no glob, a run folder's card names the run's samples files (`manifest.json`'s `files.samples`):
  without a `configs` block the Hub reads every JSON file of the folder (scenes, rejects,
  manifest) as data and fails.
- An `export --to hf` folder's splits (`saved_splits`), the card's default configs there.
- The columns of exported Parquet or Arrow files (`veriscene export --to parquet / trl / verl /
  hf`), which the card's Fields section then describes instead of the sample record, and whether
  their images are stored (a path alone does not load on the Hub).
- The licences of the annotation sets the scene graphs were converted from (`meta.source_format`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# one glob for the default split, or split name -> its glob(s)
DataFiles = str | Mapping[str, str | Sequence[str]]

SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")  # the split names `datasets` accepts
TABLE_SUFFIXES = (".parquet", ".arrow")

FIELDS = {  # sample record field -> meaning (veriscene.sample)
    "id": "stable content hash of (task, image ids, program, template id, question)",
    "task": "the generator that asked the question, with its version (`object.count.v1`)",
    "family": "the generator's family (`counting`, `relation`, ...)",
    "images": "the images asked about, `[{\"id\", \"path\"}]` (several for a multi-image question); "
              "paths are relative to the run folder. An image of a question about labelled points "
              "(`marks: true`) carries `marks: [{label, point: [x, y]}]`: draw them before showing the "
              "image (`veriscene.scene.mark_drawing.draw_marks`), or export, which does",
    "question": "the question as the model sees it; for multiple choice the options follow it, after `Options:`",
    "answer": "the program's result as JSON, in the form `answer_type` says",
    "answer_type": "the answer's type (below)",
    "choices": "the option texts of a multiple-choice question, else null",
    "program": "the list of `{op, inputs, args}` steps that computes `answer` from the scene graph(s)",
    "template_id": "the paraphrase template that worded the question",
    "generator_version": "the generator's integer version",
    "seed": "the per-scene seed the generator drew with",
    "meta": "extras: `mode` (qa, mc or caption), `answer_letter` (mc), the generator's `config`, "
            "and per task e.g. `box_format` or `image_size`",
}
ANSWER_FORMS = {  # answer type -> JSON form (veriscene.sample.ANSWER_TYPES)
    "bool": "true / false (yes / no questions)",
    "int": "an integer (counts)",
    "float": "a number",
    "str": "a word or phrase (names, attribute values, predicates)",
    "str_set": "a sorted list of strings",
    "box": "[x0, y0, x1, y1] in pixels of the image; the question writes it as `meta.box_format` says",
    "point": "[x, y] in pixels of the image, written like boxes",
    "image_index": "a 0-based image index (questions say Image 1, Image 2, ...)",
    "text": "a free-form description, scored by free-form matching",
}
COLUMNS = {  # exported column -> meaning (veriscene.io.writers: parquet, hf, trl, verl)
    "id": "the sample's stable content hash (a conversation's `conv-<hash>` with --turns)",
    "sample_id": "the sample's stable content hash",
    "sample_ids": "the ids of a conversation's samples, in the order asked",
    "task": "the generator that asked the question, with its version (`object.count.v1`)",
    "tasks": "each turn's task",
    "family": "the generator's family (`counting`, `relation`, ...)",
    "images": "the images asked about (Image features; bytes stored with --embed-images, else a path)",
    "image_ids": "the ids of the images asked about",
    "image_paths": "the images' paths, relative to the export's image root",
    "question": "the question as the model sees it; for multiple choice with its options",
    "answer": "the program's result, as JSON text (`json.loads` it)",
    "answers": "each turn's answer, as JSON text of a list",
    "answer_text": "the answer as a model should write it (the option letter for multiple choice)",
    "answer_type": "the answer's type (below)",
    "answer_types": "each turn's answer type",
    "choices": "the option texts of a multiple-choice question, else null",
    "program": "the `{op, inputs, args}` steps that compute `answer` from the scene graph(s), as JSON text",
    "programs": "each turn's program, as JSON text of a list",
    "template_id": "the paraphrase template that worded the question",
    "generator_version": "the generator's integer version",
    "seed": "the per-scene seed the generator drew with",
    "meta": "extras as JSON text: `mode` (qa, mc or caption), `answer_letter` (mc), the generator's `config`, ...",
    "prompt": "the user turn (TRL / verl chat messages: image and text parts)",
    "completion": "the assistant turn holding the answer text (TRL)",
    "messages": "the conversation, user and assistant turns (TRL SFT, --turns)",
    "ground_truth": "JSON text a reward scores a reply against: answer, answer_type, choices, answer_letter, "
                    "mode, box_format, image_size (`veriscene.rewards`)",
    "ground_truths": "each turn's ground truth, as JSON text of a list",
    "data_source": "`veriscene/<task>` (verl picks the reward function by it)",
    "ability": "the generator family (verl)",
    "reward_model": "`{style: rule, ground_truth}` (verl)",
    "extra_info": "provenance: sample id, task, family, template, seed, image ids, answer, program (verl)",
    "record": "the sample record, as JSON text (a Parquet shard of a run)",
    "mode": "qa, mc or caption",
}

# source format (`meta.source_format`) -> the licence its publishers state, as the card repeats it
SOURCE_LICENCES = {
    "visual_genome": "Visual Genome is published under CC BY 4.0 (attribution required); its images come "
                     "from Flickr / YFCC100M",
    "gqa": "GQA's scene graphs are built on Visual Genome (CC BY 4.0, attribution required); check GQA's "
           "own terms",
    "coco": "COCO's annotations are published under CC BY 4.0; its images are Flickr photos under their "
            "own licences (COCO's terms of use)",
    "clevr": "CLEVR is published under CC BY 4.0",
    "open_images": "Open Images' annotations are published under CC BY 4.0; its images are listed as "
                   "CC BY 2.0, each by its author",
}
MEDICAL = ("label_map", "dicom_seg", "dicom_rt")


def parse_data_files(values: Sequence[str]) -> DataFiles | None:
    """`--data-files` as given (repeatable): one `GLOB`, or `SPLIT=GLOB` each (a split given twice
    takes both globs). Mixing the two forms, or a bad split name, is a ValueError."""
    if not values:
        return None
    named = [v.partition("=") for v in values]
    splits = [SPLIT_NAME.match(name) is not None and bool(sep) for name, sep, _ in named]
    if not any(splits):
        if len(values) > 1:
            raise ValueError(f"--data-files given {len(values)} times without split names: give one glob, or "
                             "SPLIT=GLOB for each (train=data/train-*.parquet)")
        return values[0]
    if not all(splits):
        bad = values[splits.index(False)]
        raise ValueError(f"--data-files {bad!r}: every --data-files names its split (SPLIT=GLOB, the split made of "
                         "letters, digits and _) once one does")
    out: dict[str, list[str]] = {}
    for name, _, glob in named:
        if not glob:
            raise ValueError(f"--data-files {name}=: no glob for split {name!r}")
        out.setdefault(name, []).append(glob)
    return out


def _globs(data_files: DataFiles) -> dict[str, list[str]]:
    if isinstance(data_files, str):
        return {"train": [data_files]}
    bad = [s for s in data_files if not SPLIT_NAME.match(str(s))]
    if bad:
        raise ValueError(f"data_files: split name {bad[0]!r} is not one `datasets` accepts (letters, digits, _)")
    return {str(s): [g] if isinstance(g, str) else [str(x) for x in g] for s, g in data_files.items()}


def configs_block(data_files: DataFiles) -> list[dict[str, Any]]:
    """The front matter's `configs` for `data_files` (the Hub's README `configs` layout)."""
    if isinstance(data_files, str):
        return [{"config_name": "default", "data_files": data_files}]
    entries = [{"split": split, "path": globs[0] if len(globs) == 1 else globs}
               for split, globs in _globs(data_files).items()]
    return [{"config_name": "default", "data_files": entries}]


def default_data_files(manifest: dict[str, Any] | None) -> str | None:
    """The run's samples files as the manifest names them (relative to the run folder)."""
    files = (manifest or {}).get("files") or {}
    samples = files.get("samples") if isinstance(files, dict) else None
    return samples if isinstance(samples, str) and samples else None


def saved_splits(folder: Path) -> dict[str, str] | None:
    """{split: "<split>/*.arrow"} of an `export --to hf` folder (`dataset_dict.json` and a
    `save_to_disk` folder per split), the configs `load_dataset(folder)` reads it by; else None."""
    from veriscene.io.writers.hf_datasets import dataset_dict_splits

    splits = dataset_dict_splits(folder)
    return {split: f"{split}/*.arrow" for split in splits} if splits else None


def matched_files(folder: Path, data_files: DataFiles) -> dict[str, list[Path]]:
    """Split -> the files its globs name in `folder` (as the Hub reads them), sorted."""
    out: dict[str, list[Path]] = {}
    for split, globs in _globs(data_files).items():
        found: set[Path] = set()
        for glob in globs:
            try:
                found.update(p for p in folder.glob(glob) if p.is_file())
            except (ValueError, NotImplementedError):  # a pattern pathlib refuses (absolute, empty)
                pass
        out[split] = sorted(found)
    return out


def table_schema(path: Path) -> Any:
    """The Arrow schema of an exported Parquet file or `save_to_disk` Arrow shard."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        return pq.read_schema(path)
    with pa.memory_map(str(path)) as source:
        try:
            return pa.ipc.open_stream(source).schema
        except pa.ArrowInvalid:
            return pa.ipc.open_file(source).schema


def _feature(schema: Any, name: str) -> str:
    """A column's type as `datasets` reads it: `Image` columns by name, the Arrow type otherwise."""
    import orjson

    meta = (schema.metadata or {}).get(b"huggingface")
    features = orjson.loads(meta).get("info", {}).get("features", {}) if meta else {}
    feature = features.get(name)
    text = orjson.dumps(feature).decode() if feature is not None else ""
    if '"Image"' in text:
        single = isinstance(feature, dict) and feature.get("_type") == "Image"
        return "Image" if single else "list of Image"
    return re.sub(r"list<(element|item): (\w+)>", r"list of \2", str(schema.field(name).type).replace("large_", ""))


def table_rows(path: Path) -> int | None:
    """Rows of an exported Parquet file (from its footer) or Arrow shard (its batches, memory-mapped),
    else None."""
    if path.suffix not in TABLE_SUFFIXES:
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix == ".parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    with pa.memory_map(str(path)) as source:
        try:
            return sum(batch.num_rows for batch in pa.ipc.open_stream(source))
        except pa.ArrowInvalid:
            reader = pa.ipc.open_file(source)  # the Arrow file format (not a `save_to_disk` shard)
            return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


def splits_text(published: Mapping[str, list[Path]], samples: int, split: str | None = None) -> str:
    """One sentence naming each split's files and rows, and what the card's figures describe
    (`split`: the split of the run described, when the card's Splits section sums up the others)."""
    parts = []
    for name, files in published.items():
        rows = [table_rows(p) for p in files]
        counted = f", {sum(r for r in rows if r is not None):,} rows" if files and None not in rows else ""
        parts.append(f"`{name}` {len(files)} file{'s' * (len(files) != 1)}{counted}")
    text = f"Data files by split: {'; '.join(parts)}."
    if split is not None:
        text += f" The figures of this card describe the `{split}` split ({samples:,} samples); see Splits for all."
    elif len(published) > 1:
        text += (f" The figures of this card describe the run it was written from ({samples:,} samples); a split "
                 "generated by a run of its own (`veriscene split`, then `generate` per split) is described by "
                 "that run's card.")
    return text


def columns_table(path: Path) -> list[list[str]]:
    """[column, type, meaning] of an exported table file."""
    schema = table_schema(path)
    return [[f"`{name}`", _feature(schema, name), COLUMNS.get(name, "(see the export format in veriscene's README)")]
            for name in schema.names]


def images_unstored(path: Path, rows: int = 64) -> bool:
    """Whether the first `rows` rows of a Parquet export hold image paths without their bytes
    (what the Hub cannot open: the export was made without --embed-images)."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    if "images" not in file.schema_arrow.names:
        return False
    for batch in file.iter_batches(batch_size=rows, columns=["images"]):
        for cell in batch.column(0).to_pylist():
            for image in cell or ():
                # {bytes, path} (parquet, trl: Image features) or verl's {image: path} / {bytes}
                named = image.get("path", image.get("image")) if isinstance(image, dict) else None
                if named is not None and image.get("bytes") is None:
                    return True
        return False
    return False


def images_missing(path: Path, rows: int = 64) -> bool:
    """Whether the first `rows` rows of a Parquet export hold an image that is a null cell: an
    image the export found no file for (`export` warns of them, and writes the rest); published
    as it is, the Hub shows no picture for those samples."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    if "images" not in file.schema_arrow.names:
        return False
    for batch in file.iter_batches(batch_size=rows, columns=["images"]):
        return any(image is None for cell in batch.column(0).to_pylist() for image in cell or ())
    return False


def licence_lines(sources: Mapping[str, int], scenes: int) -> list[str]:
    """Card lines naming the annotation sets the scene graphs were converted from and their licences."""
    lines = []
    for fmt, n in sorted(sources.items()):
        where = f"{n:,} of {scenes:,} scenes were converted from `{fmt}` annotations"
        if fmt in SOURCE_LICENCES:
            lines.append(f"- {where}: {SOURCE_LICENCES[fmt]}. This data derives from them: its licence and "
                         "attribution follow theirs (check the terms of the copy you used).")
        elif fmt in MEDICAL:
            lines.append(f"- {where}: medical images carry their data set's own licence and use terms (the Medical "
                         "Segmentation Decathlon's is CC BY-SA 4.0); check them before publishing.")
        else:
            lines.append(f"- {where}: their licence applies to this derived data; check it before publishing.")
    return lines
