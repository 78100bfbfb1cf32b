"""The input formats and their reader options as `--help` names them, without importing the readers.

`veriscene --help`, `veriscene generators` and every other command build the help of `generate
--from` and `-r` (and convert's) at start; importing `veriscene.io.readers` for it (their numpy,
DICOM and zip code) cost about 0.2 s of every start. This table is kept equal to the registry
(`READERS`, `reader_options`) by tests/commands/test_reader_help.py, which names what differs.
"""

from __future__ import annotations

# format name -> its reader's own keyword options besides the common ones, in signature order;
# in the order `veriscene.io.readers` registers the formats
READER_OPTIONS: dict[str, tuple[str, ...]] = {
    "visual_genome": ("image_data", "merge_duplicates", "objects", "drawn_on"),
    "gqa": ("objects", "drawn_on"),
    "coco": ("masks", "skip_crowd", "panoptic_root", "drawn_on"),
    "clevr": ("approximate_boxes", "drawn_on"),
    "provision": ("allow_pickle", "seg_dir", "depth_dir", "drawn_on"),
    "open_images": ("class_names", "labels", "relationships", "drawn_on"),
    "label_map": ("labels", "images", "components", "min_pixels", "axis", "step", "slice_images", "orientation",
                  "structure_files", "square_pixels", "window", "tilt"),
    "dicom_seg": ("images", "names", "components", "min_pixels", "axis", "step", "slice_images", "square_pixels",
                  "window", "tilt"),
    "dicom_rt": ("images", "components", "min_pixels", "axis", "step", "slice_images", "square_pixels", "window",
                 "rois", "tilt"),
    "veriscene_jsonl": ("drawn_on",),
}
FORMATS = tuple(READER_OPTIONS)


def reader_options_help() -> str:
    """The help of `-r KEY=VALUE`: each format's own options, then those of every format."""
    per_format = "; ".join(f"{fmt}: {', '.join(names)}" for fmt, names in READER_OPTIONS.items() if names)
    return (f"An option of the input's reader, repeatable: {per_format}; for every format: image_root=DIR, "
            "image_size=WxH, synonyms=FILE, drop_bad_parts=true, sparse=attributes,relations (or false), "
            "id_prefix=TEXT. Values: README, Reading annotation sets; an option the format does not take, or a value "
            "it does not take (window=mediastinal), exits 2. Example: -r masks=false -r skip_crowd=true.")


READER_OPTION_HELP = reader_options_help()
