"""What `evaluate` checks before it asks anything: its options (`check_options`, the CLI's checks
and those of values only the end of a run used to meet), and its OUT folder (`check_run_file`:
run.json names the model whose replies the folder holds; another model's are refused)."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from veriscene import __version__
from veriscene.answers.options import check_scoring_options
from veriscene.engine.options import SEED_RANGE, check_callback, check_flags, check_int, check_path
from veriscene.evaluate.cache import CACHE_FILE
from veriscene.evaluate.prompts import check_prompts
from veriscene.evaluate.results import PreviousResults
from veriscene.scene.inputs import scene_paths
from veriscene.option_names import option

# how free-form (`text`) replies are scored: the matchers `freeform.embed.load_matcher` takes, or not at all
MATCHERS = ("auto", "minilm", "lexical")
FREEFORM_CHOICES = (*MATCHERS, "off")


def alias_value(name: str, value: Any, old_name: str, old_value: Any, default: Any) -> tuple[Any, str]:
    """(the value, the keyword that gave it) of a keyword with an older name still read (eval's
    `freeform_matcher`, once `freeform`; score_freeform's, once `matcher`): the default when
    neither is given; both given with other values is a TypeError naming the two."""
    if value is not None and old_value is not None and value != old_value:
        raise TypeError(f"{name}={value!r} and {old_name}={old_value!r} name the same setting ({old_name}: its "
                        f"earlier name): give {name} alone")
    if value is not None:
        return value, name
    if old_value is not None:
        return old_value, old_name
    return default, name


_FLAG_WORDS = ("", "true", "false", "yes", "no", "on", "off", "1", "0", "none")  # cache=: a flag meant, no file name


def check_options(*, freeform: str, freeform_name: str = "freeform_matcher", n_boot: int, confidence: float, limit: int | None, seed: int | None,
                  scenes: Any, model_options: Any = None, score_options: Any = None, reports: Any = True,
                  process: Any = False, progress: Any = None, download_progress: Any = None, families: Any = None,
                  system: Any = None, cache: Any = True, samples: Any, out: Any, prompts: Any = None,
                  base_url: Any = None, extractor_cache: Any = None) -> None:
    """Refuse bad `evaluate` options before any sample is read or request made (the CLI's checks,
    and those of the values only the end of a run used to meet: `n_boot`, `confidence`; text
    where a mapping or a flag goes, a callback that is no function; a scoring option that
    `match_answer` does not take, which made every sample an error)."""
    check_path("samples", samples, "a samples file or a run folder")
    check_path("out", out, "the folder to write results to")
    check_prompts(prompts)
    if base_url is not None and not isinstance(base_url, str):
        raise TypeError(f"base_url must be the server's URL (a str, e.g. 'http://localhost:8000/v1') or None, "
                        f"got {base_url!r}")
    for name, value, example in (("model_options", model_options, "{'temperature': 0}"),
                                 ("score_options", score_options, "{'rivals': 'vocabulary.json'}")):
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a dict of option names and values (e.g. {example}), got {value!r}")
    if score_options:
        check_scoring_options(score_options, "score_options")
    if families is not None and not isinstance(families, str) and not (
            isinstance(families, (list, tuple)) and all(isinstance(f, str) for f in families)):
        raise TypeError(f"families must be comma-separated family or generator names (a str, e.g. "
                        f"'counting,relation.*') or a list of them, got {families!r}")
    if families is not None and not any(f.strip() for f in (families.split(",") if isinstance(families, str)
                                                            else families)):
        # an empty selection selected every sample
        raise ValueError(f"families is empty ({families!r}): give family or generator names, or leave it out (None) "
                         "to evaluate every sample")
    if scenes is not None and (isinstance(scenes, (bytes, bool)) or not isinstance(scenes, (str, os.PathLike, Iterable))):
        raise TypeError(f"scenes must be scene files (a file, a folder or a glob pattern, or a list of them), Scenes, "
                        f"or a dict of image id to Scene; got {scenes!r}")
    if system is not None and not isinstance(system, str):
        raise TypeError(f"system must be the system message (a str) or None, got {system!r}")
    # a text is the cache file's path: cache="no" made a file named "no" in the working folder
    if not isinstance(cache, (bool, str, os.PathLike)) or (isinstance(cache, str)
                                                            and cache.strip().lower() in _FLAG_WORDS):
        raise TypeError(f"cache must be True, False or the path of the request cache file, got {cache!r}")
    if extractor_cache is not None and (not isinstance(extractor_cache, (bool, str, os.PathLike)) or (
            isinstance(extractor_cache, str) and extractor_cache.strip().lower() in _FLAG_WORDS)):
        raise TypeError(f"extractor_cache must be None (the run's cache), True, False or the path of the claim "
                        f"extractor's request cache file, got {extractor_cache!r}")
    check_flags(reports=reports, process=process)
    check_callback("progress(done, total)", progress)
    check_callback("download_progress(done, total)", download_progress)
    if freeform not in FREEFORM_CHOICES:
        close = difflib.get_close_matches(str(freeform), FREEFORM_CHOICES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{freeform_name} must be one of {', '.join(FREEFORM_CHOICES)}, got {freeform!r}{hint}")
    check_int("n_boot", n_boot, 1, 10**9)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number between 0 and 1 (e.g. 0.95), got {confidence!r}")
    if limit is not None:
        check_int("limit", limit, 0, sys.maxsize)
    if seed is not None:
        check_int("seed", seed, *SEED_RANGE)
    if isinstance(scenes, (str, os.PathLike)) or (isinstance(scenes, (list, tuple)) and scenes
                                                   and all(isinstance(s, (str, os.PathLike)) for s in scenes)):
        scene_paths(scenes)  # FileNotFoundError naming a scene file that does not exist


def check_run_file(out: Path, identity: dict[str, Any], samples_path: Path,
                   given: PreviousResults | None = None) -> PreviousResults | None:
    """Refuse an `out` holding another model's replies; record this run's model in `out/run.json`.
    A folder whose earlier run got no reply (stopped at its first request: a misspelt model
    name, no server at the URL) holds nothing of that model and is taken over. Returns the index
    of the earlier run's results when it read them (`given`: that index, read already)."""
    path = out / "run.json"
    current = {"model": identity, "samples": str(samples_path.resolve())}
    results: PreviousResults | None = None
    if path.exists():
        try:
            previous = orjson.loads(path.read_bytes())
            problem = None if isinstance(previous, dict) else f"a JSON {type(previous).__name__}, not an object"
        except orjson.JSONDecodeError as exc:
            problem = f"not valid JSON: {exc}"
        if problem is not None:
            raise ValueError(f"{path} is not a run file of veriscene eval ({problem}): remove it to go on in {out} "
                             "(run.json is written again, and the replies in results.jsonl are kept where they "
                             f"answer this model's prompts), or use another {option('out=', '--out')} folder")
        results = given if given is not None else PreviousResults(out / "results.jsonl")
        if previous.get("model") != identity and results.replied():
            raise ValueError(f"{out} holds results of another model or other parameters "
                             f"({_identity_change(previous.get('model'), identity)}). "
                             f"Use another {option('out=', '--out')} folder to evaluate another model or other "
                             "parameters.")
        if previous.get("model") == identity:
            return results
    path.write_bytes(orjson.dumps({**current, "veriscene_version": __version__}, option=orjson.OPT_INDENT_2))
    return results


def check_left_out(out: Path, previous: PreviousResults, ids: np.ndarray, chosen: np.ndarray,
                   samples_path: Path) -> None:
    """Refuse a run into `out` whose selection leaves out samples the earlier run there replied to
    (a smaller --limit, other --families, another --seed, samples made again with new ids): its
    results.jsonl, rewritten with this run's samples only, would lose those replies, said nowhere
    (and asked again at full cost by a later run with --no-cache). `ids`: the `_id_hash` of every
    sample of the file, `chosen`: of this run's."""
    replied = previous.replied_hashes()
    if not len(replied):
        return
    left = np.setdiff1d(replied, chosen, assume_unique=False)
    if not len(left):
        return
    gone = ~np.isin(left, ids)  # not in the samples file at all
    parts = []
    if (~gone).any():
        parts.append(f"{int((~gone).sum())} left out by this run's "
                     + option("limit / families / seed", "--limit / --families / --seed"))
    if gone.any():
        parts.append(f"{int(gone.sum())} no longer in {samples_path}")
    cache = out / CACHE_FILE
    kept = (f" (with {option('its request cache', '--cache')} {cache} there, the replies that cache holds are not "
            "asked again)"
            if cache.is_file() else "")
    raise ValueError(f"{out} holds replies to {len(left)} samples this run would drop from its results.jsonl "
                     f"({'; '.join(parts)}; e.g. {previous.replied_id(int(left[0]))}): evaluate them too (the "
                     f"earlier run's selection, or a wider one), or use another {option('out=', '--out')} folder{kept}")


def _identity_change(before: Any, now: dict[str, Any]) -> str:
    """What differs between the model identity an `out` folder holds and this run's, said by
    field: "sha256: 692072ff84ee... -> aa52e3ecca4e...; the replies file FILE changed since"."""
    if not isinstance(before, dict):
        return f"it holds {before!r}; this run is {now}"

    def shown(key: str, value: Any) -> str:  # a digest by its first 12 digits, a path or name whole
        if key == "sha256" and isinstance(value, str):
            return value[:12] + "..."
        if key == "function" and isinstance(value, dict):  # FunctionModel: its name and code digest
            return f"{value.get('name')} {shown('sha256', value.get('sha256'))}"
        return repr(value)

    keys = sorted(set(before) | set(now), key=lambda k: (k not in now, list(now).index(k) if k in now else 0))
    changed = [f"{k}: {shown(k, before.get(k))} -> {shown(k, now.get(k))}" for k in keys if before.get(k) != now.get(k)]
    said = "; ".join(changed)
    if now.get("adapter") == "replay" and changed and all(k == "sha256" for k in keys if before.get(k) != now.get(k)):
        said += f"; the replies file {now.get('file')} changed since"
    elif now.get("adapter") == "FunctionModel" and [k for k in keys if before.get(k) != now.get(k)] == ["function"]:
        said += ("; another function, or the values it closes over changed (give each function its own "
                 "FunctionModel name= and out= folder)")  # (a Python caller's: the CLI takes no function)
    return said
