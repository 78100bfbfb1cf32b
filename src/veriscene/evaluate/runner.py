"""`evaluate`: run a model on a samples file, score every reply by program, write results and reports.

    OUT/run.json          model identity and samples file (a resumed run must match; its selection
                          must hold every sample OUT holds a reply to: `run_checks.check_left_out`)
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

Memory does not grow with the run: its samples are checked in one streaming pass that keeps 20
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

The options and OUT's run.json are checked before anything is asked (`run_checks`); images at
URLs download a part ahead of the model (`fetch_ahead`).
"""

from __future__ import annotations

import gc
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from veriscene import __version__
from veriscene.answers.rivals import VOCABULARY_FILE, as_rivals
from veriscene.engine.fetch import fetch_files
from veriscene.engine.run_lock import RunKind, holding_locks, lock_folder
from veriscene.errors import DataError
from veriscene.evaluate.adapters import Model, ModelConfigError, load_model
from veriscene.evaluate.adapters.base import Completion, Request
from veriscene.evaluate.cache import CACHE_FILE, RequestCache, request_key
from veriscene.evaluate.fetch_ahead import URL_CHUNK, Progress, with_images
from veriscene.evaluate.inputs import SampleIndex, index_samples
from veriscene.evaluate.model_frame import OPTION as MODEL_SIZE_OPTION, ModelImageSize, check_model_image_size, for_model
from veriscene.evaluate.model_frame import describe as describe_model_size
from veriscene.evaluate.metrics import error_reasons, latency_stats  # noqa: F401  (error_reasons: re-exported)
from veriscene.evaluate.prompts import Prompt, PromptSet, load_prompts
from veriscene.evaluate.records import (  # noqa: F401  (program_steps: re-exported, it was defined here)
    make_record,
    program_steps,
)
from veriscene.evaluate.replied import RepliedRecords
from veriscene.evaluate.results import OrderedResults, PreviousResults, ResultsWriter, ids_on_lines
from veriscene.evaluate.run_checks import (  # noqa: F401  (MATCHERS, FREEFORM_CHOICES: re-exported)
    FREEFORM_CHOICES,
    MATCHERS,
    alias_value,
    check_left_out,
    check_options,
    check_run_file,
)
from veriscene.evaluate.stream import SampleStream
from veriscene.evaluate.tally import Tally
from veriscene.option_names import option

EVAL = RunKind("eval", "two evaluations in one folder would mix their replies and results",
               " (a run of the same model goes on from the replies kept there)")


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
        return ValueError(f"{option('limit=0', '--limit 0')} selects no sample; leave it out"
                          f"{option(' (limit=None)', '')} to evaluate every sample")
    if not len(sample_set):
        first = f" (line {sample_set.rejected[0].line}: {sample_set.rejected[0].reason})" if sample_set.rejected else ""
        return (DataError if sample_set.rejected else ValueError)(
            f"{sample_set.path} holds no sample to evaluate: {len(sample_set.rejected)} line(s) rejected{first}")
    return ValueError("no sample selected")


# adapter attributes that change how requests are made (never what is scored): the report states them
REQUEST_OPTIONS = ("concurrency", "timeout", "max_retries", "max_retry_wait", "batch_size")


def run_settings(adapter: Model, prompt_set: PromptSet, started: float,
                 model_image_size: Any = None) -> dict[str, Any]:
    """What a reader of the report needs to run it again or to compare it: when it started, how
    requests were made, the prompts (only what differs from the built-in ones), and the size of
    the image the model saw when pixel boxes and points were read in it (`model_frame`)."""
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
        "model_image_size": describe_model_size(model_image_size),
    }


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


@holding_locks  # OUT's lock, taken before the model loads, let go when the run returns or raises
def evaluate(samples: str | os.PathLike[str], model: str | Model | Callable[[Request], str],
             out: str | os.PathLike[str], *,
             base_url: str | None = None, limit: int | None = None, families: str | Sequence[str] | None = None,
             seed: int | None = None, prompts: Any = None, system: str | None = None,
             cache: bool | str | os.PathLike[str] = True,
             model_options: Mapping[str, Any] | None = None, score_options: Mapping[str, Any] | None = None,
             scenes: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
             freeform_matcher: str | None = None, freeform: str | None = None, n_boot: int = 1000,
             confidence: float = 0.95, progress: Progress | None = None, reports: bool = True,
             download_progress: Progress | None = None, process: bool = False, extractor: str = "rules",
             extractor_model: str | Model | None = None, extractor_base_url: str | None = None,
             extractor_api_key_env: str | None = None,
             extractor_cache: bool | str | os.PathLike[str] | None = None,
             model_image_size: ModelImageSize = None) -> EvalSummary:
    """Evaluate `model` ("openai:NAME", "hf:PATH", "replay:FILE", a Model, or a Python function
    ``fn(request) -> str``, wrapped in a `FunctionModel` whose identity holds a fingerprint of the
    function's code) on a samples file.

    Replies are scored with the run's words as rivals of `str` answers: `vocabulary.json`
    beside the samples file, unless `score_options` gives `rivals` (a path, dict or Vocabulary).
    `freeform_matcher`: how to score free-form (`text`) replies against the scene graphs: "auto"
    (the default: MiniLM when installed, else lexical), "minilm", "lexical" or "off" (as
    `score_freeform(freeform_matcher=)`; `freeform` is its earlier name, still read). Scenes come
    from `scenes` (a file, folder or pattern, or a list of them) or the run's manifest beside the samples file; without
    them free-form replies are only stored. An image id two scenes give is read from the first (as
    generate made the samples from it); the later ones are listed in the summary's
    "repeated_scenes" (`freeform.scene_map`).
    `extractor`: how the claims of free-form replies are read, "rules" or "llm": an
    OpenAI-compatible model, `extractor_model` ("openai:NAME" at `extractor_base_url`, by default
    `base_url`, or a Model), as `score_freeform` reads them (`freeform.api.extractor_model`);
    checked before any request. Its API key is read from the environment variable
    `extractor_api_key_env`; by default, at the evaluated model's server (no `extractor_base_url`,
    or the same), from the model's (`model_options["api_key_env"]`), elsewhere from OPENAI_API_KEY.
    It is asked through a request cache (`cached_model`), `extractor_cache`: None (the default),
    the run's (`cache`: OUT/requests.sqlite, the file given, or none for False); True, the
    run's file, OUT/requests.sqlite with cache=False; False, none (every extraction asked again,
    the model's replies still cached); a path, that file. A resumed or repeated run sends no
    extraction already answered (the summary's freeform "extractor_requests" counts those sent and
    those from the cache, "extractor_cache" names its file). A reply whose claims it cannot read is
    counted in the summary's freeform "unread", not scored.
    `model_image_size`: (width, height) of the image the model saw, for a model that resizes
    images and answers pixel boxes and points in the resized frame (or a function of the original
    (width, height) giving it): open box / point questions in the "pixel" convention have the
    reply's coordinates scaled back to the original image before they are compared, as the
    rewards' `model_image_size` does (`evaluate.model_frame`); None (the default), read as given.
    Or the model's processor's rule (`evaluate.resize_rules`): "qwen2-vl",
    "qwen2-vl:min_pixels=N,max_pixels=N", "config:/path/to/model", "config" (an hf: model's folder).
    Or a mapping of model names to those sizes (None: that model answers in the original pixels;
    "*": every model not named), from which the run takes its model's: one setting for a script
    that evaluates several models (`model_frame.for_model`; a model it does not name, with no "*",
    is refused before anything is read).
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
    freeform, freeform_name = alias_value("freeform_matcher", freeform_matcher, "freeform", freeform, "auto")
    check_options(freeform=freeform, freeform_name=freeform_name, n_boot=n_boot, confidence=confidence, limit=limit,
                  seed=seed, scenes=scenes,
                  model_options=model_options, score_options=score_options, reports=reports, process=process,
                  progress=progress, download_progress=download_progress, families=families, system=system,
                  cache=cache, samples=samples, out=out, prompts=prompts, base_url=base_url,
                  extractor_cache=extractor_cache)
    # (a bad one, or a mapping naming no size for this model, refused before anything is read)
    model_size = for_model(check_model_image_size(model_image_size), model)
    if extractor_base_url is not None and not isinstance(extractor_base_url, str):
        raise TypeError(f"extractor_base_url must be the claim extractor's server URL (a str) or None, "
                        f"got {extractor_base_url!r}")
    if extractor_api_key_env is not None and (not isinstance(extractor_api_key_env, str) or not extractor_api_key_env):
        raise TypeError(f"extractor_api_key_env must be the name of the environment variable holding the claim "
                        f"extractor's API key (a str) or None, got {extractor_api_key_env!r}")
    if extractor == "llm" and freeform == "off":
        raise ValueError(f"extractor='llm' reads the claims of free-form replies, which {freeform_name}='off' leaves "
                         "unscored: give a matcher (auto, minilm, lexical) or leave the extractor out")
    from veriscene.evaluate.freeform.api import check_cache, extractor_model as _extractor_model

    if extractor_cache is not None:  # a path with the rules: neither made nor read, said nowhere
        check_cache(extractor, extractor_cache, option="--extractor-cache", python="extractor_cache")

    # the claim extractor's model made (not asked) now: a missing URL or a misspelt spec said before any request
    # its API key: the evaluated model's at the same server, else OPENAI_API_KEY (`extractor_model`'s default)
    same_server = extractor_base_url is None or extractor_base_url == base_url
    claims_key_env = extractor_api_key_env or ((model_options or {}).get("api_key_env") if same_server else None)
    claims_model = _extractor_model(extractor, extractor_model, extractor_base_url or base_url,
                                    url_option="--extractor-base-url (or --base-url)",
                                    python="extractor_model=, extractor_base_url=", api_key_env=claims_key_env)
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
    results_path = out / "results.jsonl"
    previous = PreviousResults(results_path)  # the earlier run's records, found by id as blocks are read
    # an earlier run's replies this selection would drop from results.jsonl: refused, OUT as it was,
    # before the model loads
    check_left_out(out, previous, sample_set.ids, sample_set.ids[positions], sample_set.path)
    adapter = load_model(model, base_url=base_url, **dict(model_options or {}))
    identity = adapter.identity()
    found_before = getattr(adapter, "found", 0)  # (a ReplayModel given may have answered an earlier run)
    out.mkdir(parents=True, exist_ok=True)  # (where nothing is locked: Windows)
    check_run_file(out, identity, sample_set.path, previous)
    with open(out / "rejects.jsonl", "wb") as fh:
        fh.writelines(orjson.dumps(rej.to_dict(str(sample_set.path))) + b"\n" for rej in sample_set.rejected)

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
    if model_size is not None:  # (taken out again before `score_sample`: `records._score`)
        score_opts[MODEL_SIZE_OPTION] = model_size

    cache_db: RequestCache | None = None
    if cache:
        cache_db = RequestCache(out / CACHE_FILE if cache is True else Path(cache))
    writer = ResultsWriter(results_path)
    ordered = OrderedResults(results_path)  # the file as the run ends it, written block by block
    stream = SampleStream(sample_set, positions, previous, prompt_set, score_opts, ordered, Tally())
    prompts_by_id: dict[str, Prompt] = {}
    keys: dict[str, str] = {}
    counts = {"sent": 0, "from_cache": 0, "answered": 0}

    def finish(completion: Completion, put: bool = True) -> None:
        sample = stream.sample(completion.key)  # noqa: F821 (deleted after the loop)
        key = keys.pop(completion.key, None)
        if put and cache_db is not None and key is not None:
            cache_db.put(key, adapter.name, completion)
        record = make_record(sample, prompts_by_id.pop(completion.key, None), completion, score_opts)
        stream.add(record)  # noqa: F821 (deleted after the loop)
        writer.add(record)
        counts["answered"] += 1
        if progress is not None:
            progress(stream.skipped + counts["answered"], selected)  # noqa: F821 (deleted after the loop)

    image_root = sample_set.image_root.resolve()
    started = time.perf_counter()
    started_at = time.time()
    generate_wall = 0.0
    stopped = ended = False
    with _rare_full_collections():  # (the samples and records of a block hold no cycles)
        try:
            # (runner's URL_CHUNK and fetch_files, read here: a test shrinks the one and watches the other)
            for chunk, fetched in with_images(stream.todo(), download_progress, URL_CHUNK, fetch_files):
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
    # a replay file's replies to no sample of the file (another samples file's, or older ids): counted
    replay_ids = getattr(adapter, "replies", None) if identity.get("adapter") == "replay" else None
    unmatched = sample_set.absent(replay_ids) if isinstance(replay_ids, dict) else None
    del stream  # its blocks freed before the summary (`finish` above is not called after this)

    freeform_summary = None
    if freeform != "off" and tally.count("not_scored"):
        from veriscene.evaluate.freeform.api import extractor_cache as cached_extractor, score_described

        # the descriptions (read back from the results file a block at a time with their samples):
        # all that free-form scoring reads, and the image ids of them all
        replied: set[str] = set()
        described = RepliedRecords(results_path, sample_set, positions, lambda r: r["status"] == "not_scored",
                                   b'"status":"not_scored"', lambda r: replied.update(r["image_ids"] or ()))
        # the llm extractor asked through the run's request cache (or its own, `extractor_cache`): a
        # resumed run asks no extraction again
        own = extractor_cache is not None and not (extractor_cache is True and not isinstance(cache, bool))
        asked = cached_extractor(extractor, claims_model, extractor_cache if own else cache, out / CACHE_FILE)
        try:
            freeform_summary = score_described(described, replied, samples_path, scenes=scenes, matcher=freeform,
                                               out=out / "freeform.jsonl", extractor=extractor, model=asked)
        finally:
            if asked is not claims_model:
                asked.close()  # the cache
        if asked is not claims_model and "skipped" not in freeform_summary:
            freeform_summary["extractor_requests"] = asked.counts()
            freeform_summary["extractor_cache"] = str(asked.cache.path)
        del described, replied
    if claims_model is not None and claims_model is not extractor_model:
        claims_model.close()  # (made here from its spec; a Model given stays the caller's)
    process_summary = None
    if process:
        from veriscene.evaluate.process import is_stepped, score_stepped

        # the replies scored by program of programs of more than one step: all that process scoring reads
        stepped = RepliedRecords(results_path, sample_set, positions, is_stepped)
        process_summary = score_stepped(stepped, samples_path, scenes=scenes, out=out / "process.jsonl")
        del stepped
    # the index and the choice let go before the summary (28 bytes a sample)
    del sample_set, positions
    repeated = None  # scenes left out for an image id given before, when scenes were read
    if freeform_summary is not None or process_summary is not None:
        from veriscene.evaluate.freeform.scene_map import run_repeats

        repeated = [r.to_dict() for r in run_repeats(samples_path, scenes)]
    summary = tally.summary(n_boot=n_boot, confidence=confidence, seed=0,
                            ids_at=lambda lines: ids_on_lines(results_path, lines))
    errors = tally.count("error")
    # a replay model reads its replies from a file: no request is sent, nothing is timed; the
    # replies read are those the file had (before, every sample looked for, found or not)
    replay = identity.get("adapter") == "replay"
    sent, read = (0, getattr(adapter, "found", counts["sent"]) - found_before) if replay else (counts["sent"], 0)
    if replay:
        summary["latency"] = latency_stats([])
    summary.update({
        "model": identity, "samples": str(samples_path), "veriscene_version": __version__,
        "selection": {"limit": limit, "families": families, "seed": seed, "selected": selected,
                      "in_file": in_file},
        "counts": {"selected": selected, "rejected_lines": rejected_lines,
                   "resumed": stream_skipped, "requests_sent": sent, "from_cache": counts["from_cache"],
                   "replies_read": read, "replies_file": identity.get("file") if replay else None,
                   "replies_in_file": len(replay_ids) if isinstance(replay_ids, dict) else None,
                   "replies_unmatched": unmatched,
                   "errors": errors, **summary["status_counts"],
                   # HTTP requests made, retries included (a request counted once in requests_sent)
                   "attempts": stream_attempts,
                   # replies the server cut at the token limit: a reasoning model's answer may never come
                   "cut_at_max_tokens": tally.cut_at_max_tokens,
                   "cut_unparsed": tally.cut_unparsed},
        "settings": run_settings(adapter, prompt_set, started_at, model_size),
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
