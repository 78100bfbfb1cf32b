"""The size of the image a model saw, from its processor's own resize rule: the named rules of
`model_image_size` ("qwen2-vl", "config:/path/to/model"), so that no user writes the function.

    qwen2-vl                                    Qwen2-VL / Qwen2.5-VL (and Qwen3-VL by config:)
    qwen2-vl:min_pixels=N,max_pixels=M,factor=F  the same with the processor's limits changed
    config:/path/to/model                       read from that model folder's preprocessor_config.json
    config                                      the same, of the run's own hf:PATH model folder

Qwen2-VL's processor (transformers' `Qwen2VLImageProcessor`, which vLLM serves too) rounds each
side to the nearest multiple of `factor` = patch_size * merge_size (14 * 2 = 28 pixels), then, when
the rounded area is over `max_pixels`, scales both sides down by one ratio (sqrt(area /
max_pixels)) and rounds them DOWN to multiples of `factor` (never below `factor`); when it is under
`min_pixels`, scales them up by sqrt(min_pixels / area) and rounds them UP. The ratio is taken
from the original area, not the rounded one, and the rounding is Python's (halves to even): both
matter at the edges, so the rule here is checked against transformers' over many sizes
(tests/evaluate/test_resize_rules.py). An image over 200 times as long as wide is refused by the
processor (the model never saw it); here too, naming the size. The defaults are those of the Qwen
model folders' preprocessor_config.json (min_pixels 3,136 = 56 * 56, max_pixels 12,845,056 =
16,384 * 28 * 28), which a processor loaded from the folder, and vLLM serving it, use; a processor
built without a config (transformers' class defaults) has max_pixels 1,003,520: give it then.

A model folder's configuration (`from_config`) is read from its preprocessor_config.json (or the
"image_processor" of processor_config.json); nothing is fetched. Understood:

    image_processor_type Qwen2VLImageProcessor*   the rule above, min / max from "min_pixels" /
                                                  "max_pixels" or "size" {shortest_edge,
                                                  longest_edge} ("min_pixels" first, as the
                                                  processor reads them), factor from "patch_size"
                                                  * "merge_size"
    "do_resize": false                            the original image (None)
    "size": {"height": H, "width": W}             a fixed W x H (SigLIP), when no center crop
                                                  cuts it (do_center_crop off, or its crop_size
                                                  the same)
Any other processor is refused naming the file and the field not understood: a center crop
(CLIP, LLaVA-1.5) cuts the image's sides, which no size can undo; tiled processors (LLaVA-NeXT's
any-resolution grid, Idefics' image splitting) show the model several frames. Give those models'
size by hand (WxH, or a function of the original size).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

QWEN2_VL = "qwen2-vl"
RULE_NAMES = (QWEN2_VL, "qwen2.5-vl")  # one rule: Qwen2.5-VL's processor is Qwen2-VL's
CONFIG = "config"  # "config:PATH", or "config" alone: the run's hf: model folder
QWEN_DEFAULTS = {"min_pixels": 56 * 56, "max_pixels": 16384 * 28 * 28, "factor": 28}
MAX_ASPECT = 200  # the processor refuses images longer than this many times their width
CONFIG_FILES = ("preprocessor_config.json", "processor_config.json")

_RULE_TEXT = re.compile(r"^\s*(qwen2-vl|qwen2\.5-vl|config)\s*(?::|$)", re.IGNORECASE)


@dataclass(frozen=True)
class ResizeRule:
    """A processor's resize rule as ``rule(width, height) -> (width, height)``: the size of the
    image the model saw for an original of that size. `text` is how it is written (and stated in
    summary.json's settings); `source` the configuration file read, if any."""

    min_pixels: int
    max_pixels: int
    factor: int
    source: str | None = field(default=None, compare=False)

    def __call__(self, width: int, height: int) -> tuple[int, int]:
        h, w = _qwen_resize(int(height), int(width), self.factor, self.min_pixels, self.max_pixels)
        return w, h

    @property
    def text(self) -> str:
        said = f"{QWEN2_VL}:min_pixels={self.min_pixels},max_pixels={self.max_pixels},factor={self.factor}"
        return f"{said} (from {self.source})" if self.source else said

    def __str__(self) -> str:
        return self.text


def qwen2_vl(min_pixels: int = QWEN_DEFAULTS["min_pixels"], max_pixels: int = QWEN_DEFAULTS["max_pixels"],
             factor: int = QWEN_DEFAULTS["factor"], *, where: str = QWEN2_VL) -> ResizeRule:
    """Qwen2-VL / Qwen2.5-VL's resize rule with these limits (module notes); a ValueError naming
    `where` for limits that are no positive whole numbers or a `min_pixels` over `max_pixels`."""
    values = {"min_pixels": min_pixels, "max_pixels": max_pixels, "factor": factor}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{where}: {name} must be a positive whole number of pixels, got {value!r}")
    if min_pixels > max_pixels:
        raise ValueError(f"{where}: min_pixels ({min_pixels}) is over max_pixels ({max_pixels})")
    return ResizeRule(min_pixels, max_pixels, factor)


def _qwen_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int) -> tuple[int, int]:
    """(height, width) as the Qwen2-VL processor resizes them (module notes); float steps in the
    processor's order, so that every rounding falls the same way."""
    if max(height, width) / min(height, width) > MAX_ASPECT:
        raise ValueError(f"an image of {width}x{height} is over {MAX_ASPECT} times as long as wide: the Qwen2-VL "
                         "processor refuses it, so the model saw no resized image")
    rounded_h, rounded_w = round(height / factor) * factor, round(width / factor) * factor
    if rounded_h * rounded_w > max_pixels:
        shrink = math.sqrt(height * width / max_pixels)
        return (max(factor, math.floor(height / shrink / factor) * factor),
                max(factor, math.floor(width / shrink / factor) * factor))
    if rounded_h * rounded_w < min_pixels:
        grow = math.sqrt(min_pixels / (height * width))
        return math.ceil(height * grow / factor) * factor, math.ceil(width * grow / factor) * factor
    return rounded_h, rounded_w


def is_rule_text(text: str) -> bool:
    """Whether `text` names a rule ("qwen2-vl...", "config..."), not a WxH size."""
    return bool(_RULE_TEXT.match(text))


OWN_CONFIG = "config"  # `parse_rule`'s answer for "config" alone: resolved with the model (`own_config`)


def parse_rule(text: str, where: str) -> Any:
    """A rule's text as its size: a `ResizeRule`, (width, height), None (the original image), or
    `OWN_CONFIG` for "config" alone (the run's hf: model folder, `own_config`). A ValueError
    naming `where` and the text at fault."""
    name, _, rest = text.strip().partition(":")
    name = name.strip().lower()
    if name == CONFIG:
        return from_config(rest.strip(), where) if rest.strip() else OWN_CONFIG
    if name not in RULE_NAMES:
        raise ValueError(f"{where} {text!r}: no such rule; the rules are {', '.join(RULE_NAMES)} and "
                         f"{CONFIG}:/path/to/model")
    limits: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep or key not in QWEN_DEFAULTS:
            raise ValueError(f"{where} {text!r}: {item!r} is no option of {name}; its options are "
                             f"{', '.join(f'{k}=N' for k in QWEN_DEFAULTS)} (e.g. {QWEN2_VL}:max_pixels=1003520)")
        if key in limits:
            raise ValueError(f"{where} {text!r} gives {key} twice; give it once")
        if not value.replace("_", "").isdigit():
            raise ValueError(f"{where} {text!r}: {key} must be a whole number of pixels, got {value!r}")
        limits[key] = int(value.replace("_", ""))
    return qwen2_vl(**{**QWEN_DEFAULTS, **limits}, where=f"{where} {text!r}")


def own_config(model: Any, where: str) -> Any:
    """"config" alone: the size rule of the run's model folder, `model` being "hf:PATH"; a
    ValueError for any other model (its folder is not known here)."""
    if isinstance(model, str) and model.startswith("hf:") and model[3:]:
        return from_config(model[3:], where)
    shown = model if isinstance(model, str) else getattr(model, "name", None) or type(model).__name__
    raise ValueError(f"{where} 'config' reads the model folder of an hf:PATH model; the model {shown!r} is "
                     f"none: give {CONFIG}:/path/to/model (its folder holding preprocessor_config.json)")


def from_config(path: str | Path, where: str = "model_image_size") -> Any:
    """The size rule of the model folder `path` (or of its configuration file itself), read from
    its preprocessor_config.json (module notes): a `ResizeRule`, (width, height), or None (the
    original image). A ValueError naming the file (and the field) when it is missing, not JSON,
    or of a processor not understood."""
    file, config = _read_config(Path(path), where)
    kind = str(config.get("image_processor_type") or "")
    qwen = kind.startswith("Qwen2VLImageProcessor")
    if qwen or kind.startswith(("SiglipImageProcessor", "CLIPImageProcessor", "ViTImageProcessor")):
        if config.get("do_resize") is False:
            return None
        return _qwen_config(config, file, where) if qwen else _fixed_config(config, file, where)
    raise ValueError(f"{where}: {file} field 'image_processor_type' is {kind or None!r}, a processor whose resize "
                     "is not understood here (understood: Qwen2VLImageProcessor, and SiglipImageProcessor / "
                     "CLIPImageProcessor / ViTImageProcessor resizing to a fixed size); give the size the model "
                     "saw as WIDTHxHEIGHT, or in Python a function of the original (width, height)")


def holds_config(path: str | Path) -> bool:
    """Whether `path` is a configuration file or a folder holding one (`CONFIG_FILES`): what
    `from_config` reads, whether or not it understands it."""
    folder = Path(path)
    return folder.is_file() or any((folder / name).is_file() for name in CONFIG_FILES)


def _read_config(path: Path, where: str) -> tuple[str, dict[str, Any]]:
    files = [path] if path.is_file() else [path / name for name in CONFIG_FILES]
    for file in files:
        if not file.is_file():
            continue
        try:
            data = orjson.loads(file.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ValueError(f"{where}: cannot read {file} as JSON: {exc}") from None
        if isinstance(data, dict) and file.name == "processor_config.json" and "image_processor" in data:
            data = data["image_processor"]  # (a processor saved whole keeps its image processor's inside)
        if not isinstance(data, dict):
            raise ValueError(f"{where}: {file} holds no JSON object of image processor settings")
        return str(file), data
    if not path.exists():
        raise ValueError(f"{where}: no such model folder or configuration file {str(path)!r} (a local folder is "
                         "read; nothing is fetched)")
    raise ValueError(f"{where}: the folder {str(path)!r} holds no preprocessor_config.json (nor processor_config.json "
                     "with an image_processor), which states how the model's processor resizes images")


def _qwen_config(config: dict[str, Any], file: str, where: str) -> ResizeRule:
    given = config.get("size")
    size: dict[str, Any] = given if isinstance(given, dict) else {}
    limits = {"min_pixels": (config.get("min_pixels"), size.get("shortest_edge"), QWEN_DEFAULTS["min_pixels"]),
              # (transformers' class default; the Qwen folders all state theirs)
              "max_pixels": (config.get("max_pixels"), size.get("longest_edge"), 28 * 28 * 1280),
              "patch_size": (config.get("patch_size"), None, 14), "merge_size": (config.get("merge_size"), None, 2)}
    read: dict[str, int] = {}
    for name, (own, in_size, default) in limits.items():
        value = next(v for v in (own, in_size, default) if v is not None)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            field_name = name if own is not None else f"size.{'shortest_edge' if name == 'min_pixels' else 'longest_edge'}"
            raise ValueError(f"{where}: {file} field {field_name!r} must be a positive whole number, got {value!r}")
        read[name] = value
    rule = qwen2_vl(read["min_pixels"], read["max_pixels"], read["patch_size"] * read["merge_size"],
                    where=f"{where}: {file}")
    return ResizeRule(rule.min_pixels, rule.max_pixels, rule.factor, source=file)


def _fixed_config(config: dict[str, Any], file: str, where: str) -> tuple[int, int]:
    size, crop = config.get("size"), config.get("crop_size")
    if config.get("do_center_crop") and crop != size:
        raise ValueError(f"{where}: {file} field 'do_center_crop' is true (crop_size {crop!r}): the model saw a crop "
                         "of the resized image, whose cut sides no size can undo; give WIDTHxHEIGHT only if your "
                         "images are all square")
    if not (isinstance(size, dict) and isinstance(size.get("height"), int) and isinstance(size.get("width"), int)
            and size["height"] > 0 and size["width"] > 0):
        raise ValueError(f"{where}: {file} field 'size' is {size!r}: only a fixed {{\"height\": H, \"width\": W}} "
                         "is understood")
    return size["width"], size["height"]
