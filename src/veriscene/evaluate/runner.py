"""`evaluate`: run a model on a samples file, score every reply by program, write results and reports.

    OUT/run.json          model identity, samples file and selection (a resumed run must match)
    OUT/results.jsonl     one record per sample (see `results`), in sample order once the run ends
    OUT/requests.sqlite   request cache (see `cache`); the default, unless `cache` says otherwise
    OUT/rejects.jsonl     sample lines that could not be evaluated (file, line, reason)
    OUT/summary.json      metrics (see `metrics`), counts, latency, throughput, free-form scores
    OUT/report.md, OUT/report.html

Running again on the same OUT resumes: samples with a record are skipped, failed requests are
retried. Every reply is written to results.jsonl as it arrives, so a killed run (`kill -9`) loses
at most the line it was writing, cache or not; with the cache, that reply comes from the cache,
so no reply received is ever asked again for the same model, parameters, prompt and images
(requests in flight at the kill are sent again).

Memory does not grow with the run: its samples are checked in one streaming pass that keeps 12
bytes of each (`inputs.SampleIndex`), then the chosen ones are read, asked, scored and written a
block of `stream.BLOCK` (4,096) at a time, in sample order; the summary is computed from about 30
bytes of each record (`tally.Tally`), and an earlier run's records are found by id from 17 bytes
a line (`results.PreviousResults`). (Before, every sample and every record was held: 8.9 GB for
the 821,566 samples of 10,000 demo scenes.) Free-form and process scoring read the records they
score back from the results file a block at a time, with their samples (`replied.RepliedRecords`:
16 bytes a record found), and keep of their scores only what their summaries need.

OUT is locked while a run writes it (`engine.run_lock`): a second run into it (the command
started twice, a notebook cell run again while the first still runs) is refused before it loads
its model. Before, both ran every request, and could leave results.jsonl holding one model's
replies while run.json named the other's, both exiting 0.
"""

from __future__ import annotations

import difflib
import gc
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from veriscene import __version__
from veriscene.answers.options import check_scoring_options
from veriscene.answers.rivals import VOCABULARY_FILE, as_rivals
from veriscene.engine.fetch import fetch_files, image_urls
from veriscene.engine.options import SEED_RANGE, check_callback, check_flags, check_int, check_path
from veriscene.engine.run_lock import RunKind, holding_locks, lock_folder
from veriscene.errors import DataError
from veriscene.evaluate.adapters import Model, ModelConfigError, load_model
from veriscene.evaluate.adapters.base import Completion, Request
from veriscene.evaluate.cache import RequestCache, request_key
from veriscene.evaluate.inputs import SampleIndex, index_samples
from veriscene.evaluate.metrics import error_reasons, latency_stats  # noqa: F401  (error_reasons: re-exported)
from veriscene.evaluate.prompts import Prompt, PromptSet, check_prompts, load_prompts
from veriscene.evaluate.records import (  # noqa: F401  (program_steps: re-exported, it was defined here)
    make_record,
    program_steps,
)
from veriscene.evaluate.replied import RepliedRecords
from veriscene.evaluate.results import OrderedResults, PreviousResults, ResultsWriter, ids_on_lines
from veriscene.evaluate.stream import SampleStream
from veriscene.evaluate.tally import Tally
from veriscene.scene.inputs import scene_paths

Progress = Callable[[int, int], None]  # (done, total)

# Samples whose images at URLs are downloaded together, while the model answers the part before
URL_CHUNK = 512
EVAL = RunKind("eval", "two evaluations in one folder would mix their replies and results",
               " (a run of the same model goes on from the replies kept there)")
# how free-form (`text`) replies are scored: the matchers `freeform.embed.load_matcher` takes, or not at all
MATCHERS = ("auto", "minilm", "lexical")
FREEFORM_CHOICES = (*MATCHERS, "off")


@dataclass(frozen=True)
class EvalSummary:
    out: Path
    summary: dict[str, Any]

    @property
    def accuracy(self) -> float | None:
        return self.summary["overall"]["accuracy"]

    @property
    def counts(self) -> dict[str, int]:
        return self.summary["counts"]

    @property
    def complete(self) -> bool:
        return bool(self.summary["complete"])

    @property
    def results_path(self) -> Path:
        return self.out / "results.jsonl"


def _nothing_chosen(sample_set: SampleIndex, limit: int | None) -> ValueError:
    """Why no sample was chosen: an evaluation of nothing is refused, never reported as done (a
    DataError when every line of the file was rejected: bad data, `veriscene eval` exits 1)."""
    if limit == 0:
        return ValueError("--limit 0 selects no sample; leave --limit out to evaluate every sample")
    if not len(sample_set):
        first = f" (line {sample_set.rejected[0].line}: {sample_set.rejected[0].reason})" if sample_set.rejected else ""
        return (DataError if sample_set.rejected else ValueError)(
            f"{sample_set.path} holds no sample to evaluate: {len(sample_set.rejected)} line(s) rejected{first}")
    return ValueError("no sample selected")


# adapter attributes that change how requests are made (never what is scored): the report states them
REQUEST_OPTIONS = ("concurrency", "timeout", "max_retries", "batch_size")


def run_settings(adapter: Model, prompt_set: PromptSet, started: float) -> dict[str, Any]:
    """What a reader of the report needs to run it again or to compare it: when it started, how
    requests were made, and the prompts (only what differs from the built-in ones)."""
    from datetime import datetime, timezone

    from veriscene.evaluate.prompts import DEFAULT_INSTRUCTIONS, DEFAULT_TEMPLATE

    changed = {k: v for k, v in prompt_set.instructions.items() if DEFAULT_INSTRUCTIONS.get(k) != v}
    return {
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
        "requests": {k: getattr(adapter, k) for k in REQUEST_OPTIONS if hasattr(adapter, k)},
        "prompts": {"builtin": not changed and prompt_set.template == DEFAULT_TEMPLATE and not prompt_set.system
                    and not prompt_set.always_instruct and not prompt_set.request,
                    "system": prompt_set.system, "template": prompt_set.template,
                    "always_instruct": prompt_set.always_instruct, "instructions_changed": changed,
                    **({"request": prompt_set.request} if prompt_set.request else {})},
    }


def _check_run_file(out: Path, identity: dict[str, Any], samples_path: Path) -> PreviousResults | None:
    """Refuse an `out` holding another model's replies; record this run's model in `out/run.json`.
    A folder whose earlier run got no reply (stopped at its first request: a misspelt model
    name, no server at the URL) holds nothing of that model and is taken over. Returns the index
    of the earlier run's results when it read them."""
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
                             "answer this model's prompts), or use another --out folder")
        results = PreviousResults(out / "results.jsonl")
        if previous.get("model") != identity and results.replied():
            raise ValueError(f"{out} holds results of another model or other parameters "
                             f"({_identity_change(previous.get('model'), identity)}). "
                             "Use another --out folder to evaluate another model or other parameters.")
        if previous.get("model") == identity:
            return results
    path.write_bytes(orjson.dumps({**current, "veriscene_version": __version__}, option=orjson.OPT_INDENT_2))
    return results


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
                 "FunctionModel name= and --out folder)")
    return said


def _with_images(blocks: Iterable[list[dict[str, Any]]], progress: Progress | None, chunk: int | None = None,
                 ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Path | Exception] | None]]:
    """The samples of `blocks` (the samples to ask, a block at a time) in parts, each with the
    local copies of the images it names by URL: a block that names none is one part (with None),
    one that does is cut in parts of `chunk` (`URL_CHUNK`) samples. The next part's images download
    on a thread while the caller answers this part; each image once. `progress` counts the
    downloads of all parts, of the images of the blocks read so far (all of them, on a run of one
    block)."""
    size = chunk or URL_CHUNK
    fetched: dict[str, Path | Exception] = {}
    named: dict[str, None] = {}  # every image named by URL in the blocks read so far
    counted = [0]

    def parts() -> Iterator[tuple[list[dict[str, Any]], bool]]:  # (part, whether it names images by URL)
        for todo in blocks:
            urls = image_urls(todo)
            if not urls:
                yield todo, False
                continue
            named.update(dict.fromkeys(urls))
            for i in range(0, len(todo), size):
                yield todo[i:i + size], True

    def download(part: list[dict[str, Any]]) -> dict[str, Path | Exception]:
        new = [url for url in image_urls(part) if url not in fetched]
        before = counted[0]

        def step(done: int, total: int) -> None:
            counted[0] = before + done
            if progress is not None:
                progress(counted[0], len(named))

        found = fetch_files(new, progress=step) if new else {}
        fetched.update(found)  # (only this thread writes, and a part is read after its download)
        return fetched

    stream = parts()
    current = next(stream, None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="veriscene-images") as pool:
        ahead: Future[dict[str, Path | Exception]] | None = (
            pool.submit(download, current[0]) if current is not None and current[1] else None)
        try:
            while current is not None:
                ready = ahead.result() if ahead is not None else None
                following = next(stream, None)  # (the next block is read while this part is answered)
                ahead = pool.submit(download, following[0]) if following is not None and following[1] else None
                yield current[0], ready
                current = following
        finally:
            if ahead is not None:
                ahead.cancel()


@contextmanager
def _rare_full_collections() -> Iterator[None]:
    """Python's full garbage collections made 100 times rarer while a run goes (the thresholds as
    they were after). A run parses and lets go of millions of samples and records, which hold no
    reference cycles; with the default thresholds every live object is scanned each time a
    quarter as many as there are have survived a younger collection: with a block of samples
    alive, about 4 scans of every object parsed (22 s of CPU for the 821,566 samples of 10,000
    demo scenes). Younger collections, which find the cycles a run makes, are as they were."""
    first, second, third = gc.get_threshold()
    gc.set_threshold(first, second, max(third, 1) * 100)
    try:
        yield
    finally:
        gc.set_threshold(first, second, third)


_FLAG_WORDS = ("", "true", "false", "yes", "no", "on", "off", "1", "0", "none")  # cache=: a flag meant, no file name


def check_options(*, freeform: str, n_boot: int, confidence: float, limit: int | None, seed: int | None,
                  scenes: Any, model_options: Any = None, score_options: Any = None, reports: Any = True,
                  process: Any = False, progress: Any = None, download_progress: Any = None, families: Any = None,
                  system: Any = None, cache: Any = True, samples: Any, out: Any, prompts: Any = None,
                  base_url: Any = None) -> None:
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
    check_flags(reports=reports, process=process)
    check_callback("progress(done, total)", progress)
    check_callback("download_progress(done, total)", download_progress)
    if freeform not in FREEFORM_CHOICES:
        close = difflib.get_close_matches(str(freeform), FREEFORM_CHOICES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"freeform must be one of {', '.join(FREEFORM_CHOICES)}, got {freeform!r}{hint}")
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


@holding_locks  # OUT's lock, taken before the model loads, let go when the run returns or raises
def evaluate(samples: str | os.PathLike[str], model: str | Model | Callable[[Request], str],
             out: str | os.PathLike[str], *,
             base_url: str | None = None, limit: int | None = None, families: str | Sequence[str] | None = None,
             seed: int | None = None, prompts: Any = None, system: str | None = None,
             cache: bool | str | os.PathLike[str] = True,
             model_options: Mapping[str, Any] | None = None, score_options: Mapping[str, Any] | None = None,
             scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
             freeform: str = "auto", n_boot: int = 1000,
             confidence: float = 0.95, progress: Progress | None = None, reports: bool = True,
             download_progress: Progress | None = None, process: bool = False) -> EvalSummary:
    """Evaluate `model` ("openai:NAME", "hf:PATH", "replay:FILE", a Model, or a Python function
    ``fn(request) -> str``, wrapped in a `FunctionModel` whose identity holds a fingerprint of the
    function's code) on a samples file.

    Replies are scored with the run's words as rivals of `str` answers: `vocabulary.json`
    beside the samples file, unless `score_options` gives `rivals` (a path, dict or Vocabulary).
    `freeform`: how to score free-form (`text`) replies against the scene graphs: "auto" (MiniLM
    when installed, else lexical), "minilm", "lexical" or "off". Scenes come from `scenes` (a file,
    folder or pattern, or a list of them) or the run's manifest beside the samples file; without
    them free-form replies are only stored. An image id two scenes give is read from the first (as
    generate made the samples from it); the later ones are listed in the summary's
    "repeated_scenes" (`freeform.scene_map`).
    `process`: score the reasoning of multi-step replies against their programs' intermediate
    steps (`evaluate.process`: OUT/process.jsonl, summary "process"), from the same scenes.
    `system`: the system message sent before every question (None: the prompts' own; another
    than a prompts file's "system" is refused, as `export --instructions` refuses it).
    `progress(done, total)` is called as samples are scored (`done` counts the samples a resumed
    run keeps from the earlier one as their block is read). Images named by URL are downloaded
    (16 at a time, into the downloads cache) a part of `URL_CHUNK` samples at a time, the next part
    while the model answers this one, calling `download_progress(done, total)` over all of them
    (`total`: the images of the blocks read so far).
    Another run writing `out` meanwhile raises `engine.run_lock.RunLockedError` before the model
    loads, `out` untouched.
    """
    check_options(freeform=freeform, n_boot=n_boot, confidence=confidence, limit=limit, seed=seed, scenes=scenes,
                  model_options=model_options, score_options=score_options, reports=reports, process=process,
                  progress=progress, download_progress=download_progress, families=families, system=system,
                  cache=cache, samples=samples, out=out, prompts=prompts, base_url=base_url)
    out = Path(out)
    # the run's samples checked in one pass that keeps a few bytes of each; the chosen ones then
    # read, asked, scored and written a block at a time (`stream`): memory holds a block or two of
    # samples and records, and a few bytes of each sample for the summary (`tally`)
    sample_set = index_samples(samples)
    sample_set.check_ids()  # one id, two samples (two runs' samples merged): results by id cannot hold both
    positions = sample_set.choose(limit=limit, families=families, seed=seed)
    if not len(positions):
        raise _nothing_chosen(sample_set, limit)
    selected = len(positions)
    prompt_set: PromptSet = load_prompts(prompts).with_given_system(system)  # ValueError: another system
    created = not out.exists()
    # made for the lock (RunLockedError while another run writes OUT), removed again if the run
    # is refused: a refused command leaves no empty folder behind
    lock_folder(out, EVAL)
    adapter = load_model(model, base_url=base_url, **dict(model_options or {}))
    identity = adapter.identity()
    out.mkdir(parents=True, exist_ok=True)  # (where nothing is locked: Windows)
    previous = _check_run_file(out, identity, sample_set.path)
    with open(out / "rejects.jsonl", "wb") as fh:
        fh.writelines(orjson.dumps(rej.to_dict(str(sample_set.path))) + b"\n" for rej in sample_set.rejected)

    results_path = out / "results.jsonl"
    score_opts = dict(score_options or {})
    if score_opts.get("rivals") is None:
        # the run's own words (vocabulary.json of the run folder, or beside the samples file) compete
        # with a `str` gold answer of their kind, as the TRL / verl rewards do when given the file.
        # `image_root`: a run folder given whole is the folder itself, not its parent (before, `eval
        # RUN` scored without the vocabulary that `eval RUN/samples.jsonl` used)
        vocabulary = sample_set.image_root / VOCABULARY_FILE
        score_opts["rivals"] = as_rivals(vocabulary) if vocabulary.is_file() else None
    else:
        score_opts["rivals"] = as_rivals(score_opts["rivals"])
    if previous is None:
        previous = PreviousResults(results_path)  # the earlier run's records, found by id as blocks are read

    cache_db: RequestCache | None = None
    if cache:
        cache_db = RequestCache(out / "requests.sqlite" if cache is True else Path(cache))
    writer = ResultsWriter(results_path)
    ordered = OrderedResults(results_path)  # the file as the run ends it, written block by block
    stream = SampleStream(sample_set, positions, previous, prompt_set, score_opts, ordered, Tally())
    prompts_by_id: dict[str, Prompt] = {}
    keys: dict[str, str] = {}
    counts = {"sent": 0, "from_cache": 0, "answered": 0}

    def finish(completion: Completion, put: bool = True) -> None:
        sample = stream.sample(completion.key)
        key = keys.pop(completion.key, None)
        if put and cache_db is not None and key is not None:
            cache_db.put(key, adapter.name, completion)
        record = make_record(sample, prompts_by_id.pop(completion.key, None), completion, score_opts)
        stream.add(record)
        writer.add(record)
        counts["answered"] += 1
        if progress is not None:
            progress(stream.skipped + counts["answered"], selected)

    image_root = sample_set.image_root.resolve()
    started = time.perf_counter()
    started_at = time.time()
    generate_wall = 0.0
    stopped = ended = False
    with _rare_full_collections():  # (the samples and records of a block hold no cycles)
        try:
            for chunk, fetched in _with_images(stream.todo(), download_progress):
                misses: list[Request] = []
                for sample in chunk:
                    sid = sample["id"]
                    try:
                        # absolute: a missing image is named where it was looked for, not as "images/x.png"
                        prompt = prompt_set.build(sample, image_root, fetched)
                        prompts_by_id[sid] = prompt
                        request = Request(key=sid, prompt=prompt)
                        keys[sid] = request_key(identity, request) if cache_db is not None else ""
                    except (ValueError, FileNotFoundError) as exc:
                        finish(Completion(key=sid, text="", error=str(exc)), put=False)
                        continue
                    # a block of samples with no image at a URL is one part, asked after the blocks
                    # before it: a reply this run cached for another sample of the same prompt and
                    # images is not taken (the run asks as it did when every sample was one part)
                    hit = None
                    if cache_db is not None:
                        hit = cache_db.get(keys[sid], sid, None if fetched is not None else started_at)
                    if hit is not None:
                        counts["from_cache"] += 1
                        finish(hit, put=False)
                    else:
                        misses.append(request)
                counts["sent"] += len(misses)
                generate_started = time.perf_counter()
                if misses:
                    adapter.generate(misses, finish)
                generate_wall += time.perf_counter() - generate_started
                stream.asked(chunk)
            stream.close()
            ended = True
        except ModelConfigError:
            stopped = True  # the model cannot be used (404, 401, no server): the run stops at once
            raise
        finally:
            writer.close()
            if cache_db is not None:
                cache_db.close()
            adapter.close()
            if not ended or stream.lost_count:
                ordered.abort()  # a run stopped leaves results.jsonl in arrival order, as it was written
            if stopped and created and not stream.replied:
                # stopped before any reply, in a folder made for it: leave nothing behind, as a
                # command refused before its first request does
                shutil.rmtree(out, ignore_errors=True)
    if stream.lost_count:  # an adapter broke its contract: never let that pass silently
        raise RuntimeError(f"the model adapter returned no completion for {stream.lost_count} samples, "
                           f"e.g. {stream.lost}")
    ordered.commit()
    tally, stream_skipped, stream_attempts = stream.tally, stream.skipped, stream.attempts
    samples_path, in_file, rejected_lines = sample_set.path, len(sample_set), len(sample_set.rejected)
    del stream

    freeform_summary = None
    if freeform != "off" and tally.count("not_scored"):
        from veriscene.evaluate.freeform.api import score_described

        # the descriptions (read back from the results file a block at a time with their samples):
        # all that free-form scoring reads, and the image ids of them all
        replied: set[str] = set()
        described = RepliedRecords(results_path, sample_set, positions, lambda r: r["status"] == "not_scored",
                                   b'"status":"not_scored"', lambda r: replied.update(r["image_ids"] or ()))
        freeform_summary = score_described(described, replied, samples_path, scenes=scenes, matcher=freeform,
                                           out=out / "freeform.jsonl")
        del described, replied
    process_summary = None
    if process:
        from veriscene.evaluate.process import is_stepped, score_stepped

        # the replies scored by program of programs of more than one step: all that process scoring reads
        stepped = RepliedRecords(results_path, sample_set, positions, is_stepped)
        process_summary = score_stepped(stepped, samples_path, scenes=scenes, out=out / "process.jsonl")
        del stepped
    # the index and the choice let go before the summary (20 bytes a sample)
    del sample_set, positions
    repeated = None  # scenes left out for an image id given before, when scenes were read
    if freeform_summary is not None or process_summary is not None:
        from veriscene.evaluate.freeform.scene_map import run_repeats

        repeated = [r.to_dict() for r in run_repeats(samples_path, scenes)]
    summary = tally.summary(n_boot=n_boot, confidence=confidence, seed=0,
                            ids_at=lambda lines: ids_on_lines(results_path, lines))
    errors = tally.count("error")
    # a replay model reads its replies from a file: no request is sent, nothing is timed
    replay = identity.get("adapter") == "replay"
    sent, read = (0, counts["sent"]) if replay else (counts["sent"], 0)
    if replay:
        summary["latency"] = latency_stats([])
    summary.update({
        "model": identity, "samples": str(samples_path), "veriscene_version": __version__,
        "selection": {"limit": limit, "families": families, "seed": seed, "selected": selected,
                      "in_file": in_file},
        "counts": {"selected": selected, "rejected_lines": rejected_lines,
                   "resumed": stream_skipped, "requests_sent": sent, "from_cache": counts["from_cache"],
                   "replies_read": read, "replies_file": identity.get("file") if replay else None,
                   "errors": errors, **summary["status_counts"],
                   # HTTP requests made, retries included (a request counted once in requests_sent)
                   "attempts": stream_attempts,
                   # replies the server cut at the token limit: a reasoning model's answer may never come
                   "cut_at_max_tokens": tally.cut_at_max_tokens,
                   "cut_unparsed": tally.cut_unparsed},
        "settings": run_settings(adapter, prompt_set, started_at),
        "throughput": {"wall_s": time.perf_counter() - started, "generate_wall_s": generate_wall,
                       "requests_per_s": sent / generate_wall if sent and generate_wall > 0 else None},
        "complete": errors == 0,
        "error_reasons": tally.reasons.top(),
        "freeform": freeform_summary,
        **({"process": process_summary} if process else {}),
        **({"repeated_scenes": repeated} if repeated is not None else {}),
        "scoring_vocabulary": score_opts["rivals"].source if score_opts["rivals"] is not None else None,
    })
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    if reports:
        from veriscene.evaluate.report import write_reports

        write_reports(summary, out)
    return EvalSummary(out=out, summary=summary)
