"""Reader options given in Python as the command line gives them (`read`, `convert`,
`generate(reader_options=...)`): the README names the options once for both, `image_size=WxH` and
`synonyms=FILE`, so `read(path, "clevr", image_size="480x320")` and `synonyms="syn.json"` mean what
`-r image_size=480x320` and `-r synonyms=syn.json` mean, and a malformed value is a
`ReaderOptionError` naming the option (not an unpacking error from deep in a reader)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

from veriscene.errors import ReaderOptionError

_SIZE = re.compile(r"\s*(\d+)\s*[xX]\s*(\d+)\s*")  # "480x320": width x height, pixels


def image_size_value(value: Any) -> Any:
    """`image_size` as a (width, height) pair: text "WxH" parsed; a pair (tuple or list) kept for
    the reader's own check of its numbers; anything else refused."""
    if isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match is None:
            raise ReaderOptionError(f"image_size must be WIDTHxHEIGHT (e.g. 480x320) or a pair (480, 320), "
                                    f"got {value!r}", option="image_size", value=value)
        return int(match.group(1)), int(match.group(2))
    if isinstance(value, Sequence) and len(value) == 2:
        return tuple(value)
    raise ReaderOptionError(f"image_size must be two positive integers (width, height) or WIDTHxHEIGHT text, "
                            f"got {value!r}", option="image_size", value=value)


def given_values(options: dict[str, Any]) -> dict[str, Any]:
    """`options` with `image_size` a pair and `synonyms` (a JSON synonym file's path or URL) read
    into the `normalizer` the readers take. Both `synonyms` and `normalizer` given is refused."""
    out = dict(options)
    if out.get("image_size") is not None:
        out["image_size"] = image_size_value(out["image_size"])
    synonyms = out.pop("synonyms", None)
    if synonyms is not None:
        if out.get("normalizer") is not None:
            raise ReaderOptionError("synonyms and normalizer are both given: give one", option="synonyms",
                                    value=synonyms)
        if not isinstance(synonyms, (str, os.PathLike)):
            raise ReaderOptionError(f"synonyms must be a JSON synonym file's path, got {synonyms!r}",
                                    option="synonyms", value=synonyms)
        from veriscene.engine.fetch import fetch_file
        from veriscene.engine.remote import is_url
        from veriscene.io.normalize import Normalizer

        path = os.fspath(synonyms)
        if not is_url(path) and not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such synonym file (reader option synonyms)")
        out["normalizer"] = Normalizer.from_file(fetch_file(path) if is_url(path) else path)
    return out
