"""`veriscene eval`, `veriscene compare` and `veriscene score-freeform` (Python: veriscene.evaluate)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from veriscene.commands import exit_code, fail as _fail, said

# the free-form matchers `evaluate.freeform.embed.load_matcher` takes, and `off` (no free-form scoring);
# checked here so that a wrong name is said before any request is made, not after all of them. The
# same as `evaluate.runner`'s, which `evaluate` checks (not imported: the CLI starts without numpy)
MATCHERS = ("auto", "minilm", "lexical")
FREEFORM_CHOICES = (*MATCHERS, "off")
EXTRACTORS = ("rules", "llm")  # `evaluate.freeform.api.EXTRACTORS` (not imported, as MATCHERS)
# the claim extractor's options, the same in eval and score-freeform ({url}: the option of its server)
EXTRACTOR_HELP = ("How the claims of free-form replies are read: rules, or llm (an OpenAI-compatible model: "
                  "--extractor-model and {url}).")
EXTRACTOR_MODEL_HELP = "openai:NAME, the model of --extractor llm."
EXTRACTOR_KEY_HELP = "Environment variable holding --extractor-model's API key{default}."


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    """Exit 2 naming `option`, its value and the allowed ones when `value` is not one of `choices`."""
    if value not in choices:
        import difflib

        close = difflib.get_close_matches(value, choices, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        _fail(f"{option}: unknown value {value!r}{hint}; choose one of {', '.join(choices)}")


def _params(items: list[str]) -> dict[str, Any]:
    import orjson

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--param expects KEY=VALUE (VALUE read as JSON when it parses), got {item!r}")
        try:
            out[key] = orjson.loads(value)
        except orjson.JSONDecodeError:
            out[key] = value
    return out


def cache_option(cache: Path | None, no_cache: bool, option: str = "--cache") -> bool | Path:
    """The `cache=` of --cache FILE and --no-cache (eval, score-freeform; `option` "--extractor-cache":
    eval's --extractor-cache FILE and --no-extractor-cache): the file, False, or True (the default
    cache) for neither; both given exit 2 (--no-cache won, the file said nowhere)."""
    no = "--no-" + option.removeprefix("--")
    if cache is not None and no_cache:
        _fail(f"{option} and {no} contradict each other ({option} {cache}): give {option} FILE to use that "
              f"request cache, or {no} to use none")
    return False if no_cache else (cache or True)


def cache_fault(cache: Path) -> str | None:
    """Why the request cache file `cache` cannot be made or written, or None: its folder (or the
    nearest that exists) a file, or not writable (its permissions, a read-only mount), or the file
    itself not writable. SQLite says only "unable to open database file" of these, which
    `RequestCache` words as a file to remove."""
    folder = cache.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if cache.exists() and not os.access(cache, os.R_OK | os.W_OK):
        return f"{cache} cannot be written"
    if not os.access(folder, os.W_OK | os.X_OK):  # (SQLite writes its -wal and -shm files beside the cache)
        return f"the folder {folder} cannot be written"
    return None


def _failed_requests(summary: dict[str, Any]) -> str:
    """The error line of a run with failed requests: how many, why (commonest reasons), what to do."""
    from veriscene.evaluate.report import retry_advice

    counts = summary["counts"]
    reasons = "; ".join(f"{n} x {reason}" for reason, n in summary.get("error_reasons") or [])
    return (f"{counts['errors']} of {counts['selected']} samples got no reply ({reasons}): "
            f"{retry_advice(summary)}")


def say_repeated(repeated: list[Any]) -> None:
    """On stderr: the first image ids two scenes gave (`scene_map.RepeatedScene`), how many more,
    and how to keep data sets apart (score-freeform, eval)."""
    from veriscene.console import err_console
    from veriscene.evaluate.freeform.scene_map import ADVICE

    for repeat in repeated[:5]:
        err_console.print(f"[yellow]repeated[/] {escape(repeat.message())}", soft_wrap=True, markup=True,
                          highlight=False)
    if len(repeated) > 5:
        err_console.print(f"[yellow]repeated[/] and {len(repeated) - 5} more image ids", highlight=False)
    if repeated:
        err_console.print(f"[yellow]repeated[/] {escape(ADVICE)}", soft_wrap=True, markup=True, highlight=False)


def _replied(results: Path) -> bool:
    """Whether an eval results file holds a reply (a record of another status than "error"), read
    up to the first one: said at once when a run of millions of records is stopped."""
    import orjson

    try:
        with open(results, "rb") as fh:
            for line in fh:
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:  # a line cut short by the stop
                    continue
                if isinstance(record, dict) and record.get("status") != "error":
                    return True
    except OSError:  # no results file: no reply
        return False
    return False


def _check_extractor_cache(extractor: str, cache: Path | None) -> None:
    """eval's --extractor-cache FILE: refused (exit 2) with the rules, which ask no model (the file
    neither made nor read, said nowhere), and where it cannot be written: said before the model
    is asked, not once its every reply is in."""
    from veriscene.evaluate.freeform.api import check_cache

    if cache is None:
        return
    try:
        check_cache(extractor, cache, option="--extractor-cache", python="extractor_cache")
    except ValueError as exc:
        _fail(str(exc))
    fault = cache_fault(cache)
    if fault is not None:
        _fail(f"--extractor-cache {cache}: {fault}: pass another --extractor-cache FILE, or --no-extractor-cache")


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        samples: str = typer.Argument(..., help="samples.jsonl (or a run folder holding one), or its URL (s3://...: read "
                                      "through a local copy)."),
        model: str = typer.Option(..., "--model", "-m", help="openai:NAME (a model served by an OpenAI-compatible server at --base-url), "
                            "hf:PATH (a local transformers model; the ml extra) or replay:FILE (replies read from a "
                            "JSONL file of {\"id\", \"reply\"} lines; no model is run)."),
        out: Path = typer.Option(..., "--out", "-o", help="Output folder (rerun the same command to resume)."),
        base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1."),
        api_key_env: str = typer.Option("OPENAI_API_KEY", "--api-key-env", help="Environment variable holding the API key."),
        concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Requests in flight (openai)."),
        timeout: float = typer.Option(120.0, "--timeout", min=0.001, help="Per-request timeout in seconds (openai)."),
        max_retries: int = typer.Option(6, "--max-retries", min=0, help="Retries on 429, 5xx, timeouts, connection errors (openai)."),
        max_retry_wait: float = typer.Option(300.0, "--max-retry-wait", min=0.0, help="Longest wait a server's "
                                             "Retry-After is honoured for, in seconds (openai); asked to wait "
                                             "longer, the request fails as rate limited (the same command asks it "
                                             "again later)."),
        max_tokens: int = typer.Option(512, "--max-tokens", min=1, help="Most tokens a reply may have (openai, hf)."),
        temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature (openai; for hf: --param do_sample=true --param "
                                       "temperature=T)."),
        param: list[str] = typer.Option([], "--param", help="Extra generation parameter KEY=VALUE, VALUE read as JSON "
                                  "when it parses (repeatable): a request field (openai), a generate() argument (hf)."),
        batch_size: int = typer.Option(8, "--batch-size", min=1, help="Batch size (hf)."),
        limit: int | None = typer.Option(None, "--limit", min=0, help="Evaluate at most this many samples: the first N, "
                                            "or N drawn at random with --seed."),
        families: str | None = typer.Option(None, "--families", "-f", help="Only these families or generators, comma-separated; "
                                              "globs allowed (counting,relation.*)."),
        seed: int | None = typer.Option(None, "--seed", help="With --limit: draw the N samples at random with this "
                                         "seed (the same seed, the same samples)."),
        prompts: Path | None = typer.Option(None, "--prompts", help="JSON file of prompts replacing the built-in ones: "
                                             "{\"system\": ..., \"template\": \"{question}\\n{instruction}\", \"instructions\": "
                                             "{ANSWER_TYPE: ...}, \"request\": ...} (README: Evaluating a model); 'reasoning': the built-in set "
                                             "asking for <think> and <answer>."),
        system: str | None = typer.Option(None, "--system", help="System prompt sent before every question "
                                           "(default: the --prompts file's 'system'; another one is refused, as "
                                           "export --instructions refuses it)."),
        cache: Path | None = typer.Option(None, "--cache", help="Request cache file, to share between runs (default: "
                                      "OUT/requests.sqlite)."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Use no request cache: replies (and --extractor "
                                     "llm's extractions, unless --extractor-cache FILE) are neither stored in nor "
                                     "read from one."),
        scenes: list[Path] | None = typer.Option(None, "--scenes", help="Scene graphs for free-form scoring and "
                                                 "--process: a file, or a folder or quoted glob pattern of them; "
                                                 "repeatable, an image id of two files read from the first's scene, "
                                                 "as generate read it, and said on stderr (default: the scene files "
                                                 "the run's manifest names)."),
        freeform_matcher: str = typer.Option("auto", "--freeform-matcher", "--freeform", help="How free-form "
                                             "replies are scored against the scene graphs: auto (minilm when "
                                             "installed, else lexical), minilm, lexical, or off (free-form replies "
                                             "not scored); score-freeform's --freeform-matcher. --freeform: its "
                                             "earlier name, still read."),
        process: bool = typer.Option(False, "--process", help="Also score the reasoning of multi-step replies "
                                     "against their programs' intermediate steps (process F1, as process_reward "
                                     "scores; OUT/process.jsonl), from the same scenes as --freeform-matcher."),
        extractor: str = typer.Option("rules", "--extractor", help=EXTRACTOR_HELP.format(url="--extractor-base-url")),
        extractor_model: str | None = typer.Option(None, "--extractor-model", help=EXTRACTOR_MODEL_HELP),
        extractor_base_url: str | None = typer.Option(None, "--extractor-base-url", help="OpenAI-compatible "
                                                      "server of --extractor-model (default: --base-url)."),
        extractor_api_key_env: str | None = typer.Option(None, "--extractor-api-key-env", help=EXTRACTOR_KEY_HELP.format(
            default=" (default: --api-key-env when the extractor's server is the model's, i.e. no or the same "
                    "--extractor-base-url; else OPENAI_API_KEY)")),
        extractor_cache: Path | None = typer.Option(None, "--extractor-cache", help="Request cache file of "
                                                    "--extractor llm's claim extractions (default: the model's, "
                                                    "--cache FILE or OUT/requests.sqlite; none with --no-cache)."),
        no_extractor_cache: bool = typer.Option(False, "--no-extractor-cache", help="Ask --extractor llm every "
                                                "extraction again (the model's replies still kept in, and read "
                                                "from, the request cache)."),
        model_image_size: list[str] = typer.Option([], "--model-image-size", help="WIDTHxHEIGHT of the image "
                                                   "the model saw, when it resizes images and answers pixel boxes "
                                                   "and points (also points given for marked points) in the "
                                                   "resized frame (e.g. 644x476): their "
                                                   "coordinates are scaled back to the original image before "
                                                   "scoring, as the rewards' model_image_size does. Or, repeatable, "
                                                   "NAME=WIDTHxHEIGHT (NAME=original: answers in the original "
                                                   "pixels) for each model a script evaluates: the run takes its "
                                                   "--model's (NAME: the spec, the name after 'openai:' / 'hf:', "
                                                   "or its last path components: 'final', 'run1/final'); a "
                                                   "WIDTHxHEIGHT without NAME= beside them is every other model's, "
                                                   "and a model neither names is refused. Instead of WIDTHxHEIGHT, "
                                                   "the processor's own rule, each image's size from its original: "
                                                   "qwen2-vl (Qwen2-VL / Qwen2.5-VL, as their folders and vLLM set "
                                                   "it: sides rounded to 28, 3136 to 12845056 pixels), "
                                                   "qwen2-vl:min_pixels=N,max_pixels=N (a server's own limits), "
                                                   "config:/path/to/model (read from its "
                                                   "preprocessor_config.json; a processor not understood is "
                                                   "refused), or config alone (the hf:PATH model's own folder)."),
    ) -> None:
        """Run a model on samples, score every reply by program, write results and reports (Python:
        veriscene.evaluate.evaluate)."""
        from functools import partial

        from veriscene.console import console, err_console, stage_bars
        from veriscene.evaluate import ModelConfigError, evaluate
        from veriscene.commands import local_input

        check_choice("--freeform-matcher", freeform_matcher, FREEFORM_CHOICES)
        check_choice("--extractor", extractor, EXTRACTORS)
        seen_size = None
        if model_image_size:
            from veriscene.evaluate.model_frame import for_model, parse_size_options

            try:  # (this run's size chosen by evaluate; a model the names miss said here, before anything)
                seen_size = parse_size_options(model_image_size)
                for_model(seen_size, model, "--model-image-size")
            except ValueError as exc:
                _fail(str(exc))
        else:  # an hf: model whose processor resizes: its pixel replies read in the original frame, said
            from veriscene.evaluate.model_frame import unstated_resize

            unsaid = unstated_resize(model)
            if unsaid:
                err_console.print(f"[yellow]warning[/] {escape(unsaid)}", soft_wrap=True, markup=True,
                                  highlight=False)
        cached = cache_option(cache, no_cache)
        # None: the model's cache (`evaluate(extractor_cache=None)`)
        claims_cached = (None if extractor_cache is None and not no_extractor_cache
                         else cache_option(extractor_cache, no_extractor_cache, "--extractor-cache"))
        if extractor == "llm" and freeform_matcher == "off":
            _fail("--extractor llm reads the claims of free-form replies, which --freeform-matcher off leaves "
                  "unscored")
        _check_extractor_cache(extractor, extractor_cache)
        if seed is not None and limit is None:
            err_console.print(f"[yellow]warning[/] --seed {seed} without --limit draws nothing: every sample "
                              "selected is evaluated (--limit N --seed S draws N of them)", soft_wrap=True,
                              markup=True, highlight=False)
        samples_path = local_input(samples)
        kind = model.partition(":")[0]
        options: dict[str, Any] = {}
        if kind == "openai":
            options = {"concurrency": concurrency, "timeout": timeout, "max_retries": max_retries,
                       "max_retry_wait": max_retry_wait,
                       "max_tokens": max_tokens, "temperature": temperature, "api_key_env": api_key_env,
                       "extra_params": _params(param)}
        elif kind == "hf":
            options = {"batch_size": batch_size, "max_new_tokens": max_tokens, "generate_kwargs": _params(param) or None}
        from veriscene.engine.interrupts import exit_status, terminate_raises

        # SIGTERM stops the run as Ctrl-C does, said below, not with no word (`engine.interrupts`);
        # a --system other than the prompts' is refused before any request
        try:
            with terminate_raises(), stage_bars() as shown:
                result = evaluate(samples_path, model, out, base_url=base_url, limit=limit, families=families, seed=seed,
                                  prompts=prompts, system=system, cache=cached, extractor_cache=claims_cached,
                                  model_options=options, scenes=[str(p) for p in scenes] if scenes else None,
                                  freeform_matcher=freeform_matcher, process=process, extractor=extractor,
                                  extractor_model=extractor_model, extractor_base_url=extractor_base_url,
                                  model_image_size=seen_size,
                                  # (the model's key at its server, whatever the model: --api-key-env goes to openai only)
                                  extractor_api_key_env=extractor_api_key_env or (
                                      api_key_env if extractor_base_url in (None, base_url) else None),
                                  progress=partial(shown, "evaluating"),
                                  download_progress=partial(shown, "downloading images"))
        except (ModelConfigError, FileNotFoundError, ValueError, KeyError, ImportError) as exc:
            _fail(said(exc), exit_code(exc))
        except OSError as exc:  # an --out below a file or another run writing it (2), a disk full (1)
            from veriscene.engine.run_lock import RunLockedError

            _fail(str(exc), 2 if isinstance(exc, (NotADirectoryError, RunLockedError)) else 1)
        except KeyboardInterrupt as exc:  # said as generate, convert and export say it (`engine.interrupts`)
            from veriscene.console import say_stopped
            from veriscene.engine.interrupts import eval_stopped_message

            # each reply is in results.jsonl as it arrives (and in the cache): the same command goes on from them
            say_stopped(eval_stopped_message(str(out), exc, kept=_replied(out / "results.jsonl")))
            raise typer.Exit(exit_status(exc)) from None
        # soft_wrap: the Markdown report whole, its table rows unbroken when stdout is a file or pipe
        console.print((out / "report.md").read_text(encoding="utf-8"), markup=False, highlight=False,
                      soft_wrap=True)
        console.print(f"wrote {out}/results.jsonl, {out}/summary.json, {out}/report.md, {out}/report.html",
                      soft_wrap=True, markup=False)
        from veriscene.evaluate.freeform.scene_map import RepeatedScene
        from veriscene.evaluate.report import cut_text

        rejected = result.counts.get("rejected_lines", 0)
        if rejected:  # counted in the report's first line, easily missed: said here with the first reason
            import orjson

            first = orjson.loads((out / "rejects.jsonl").read_bytes().split(b"\n", 1)[0])
            err_console.print(f"[yellow]warning[/] {rejected} line(s) of {escape(str(first['file']))} were not "
                              f"evaluated (first: line {first['line']}: {escape(str(first['reason']))}); all are "
                              f"listed in {escape(str(out))}/rejects.jsonl",
                              soft_wrap=True, markup=True, highlight=False)
        say_repeated([RepeatedScene(**r) for r in result.summary.get("repeated_scenes") or []])
        freeform_summary = result.summary.get("freeform") or {}
        for skipped in (freeform_summary.get("skipped"), (result.summary.get("process") or {}).get("skipped")):
            if skipped:  # free-form or --process scores not made (the reports say it too; before, not stderr)
                err_console.print(f"[yellow]warning[/] {escape(skipped)}", soft_wrap=True, markup=True,
                                  highlight=False)
        if freeform_summary.get("rejected_scenes"):  # their images' free-form replies were not scored
            err_console.print(f"[yellow]warning[/] {freeform_summary['rejected_scenes']} scene line(s) not read "
                              f"(first: {escape(freeform_summary['rejected_scene_examples'][0])}): the free-form "
                              "replies on their images are not scored", soft_wrap=True, markup=True, highlight=False)
        if cut_text(result.summary):  # on stderr too: the report on stdout runs to a few screens
            err_console.print(f"[yellow]warning[/] {escape(cut_text(result.summary))}", soft_wrap=True, markup=True,
                              highlight=False)
        from veriscene.evaluate.report import freeform_left_out

        if freeform_left_out(freeform_summary):  # descriptions not in the free-form scores
            err_console.print(f"[yellow]warning[/] free-form descriptions left out of their scores: "
                              f"{escape(freeform_left_out(freeform_summary))}", soft_wrap=True, markup=True,
                              highlight=False)
        if not result.complete:
            _fail(_failed_requests(result.summary), 1)

    @app.command("compare")
    def compare_command(
        runs: list[Path] = typer.Argument(..., help="Output folders of `veriscene eval` runs; the paired "
                                          "differences are against the first."),
        out: Path | None = typer.Option(None, "--out", "-o", help="Also write compare.md and compare.html into "
                                        "this folder."),
    ) -> None:
        """Put several evaluation runs side by side (accuracy, CIs, parse failures, paired differences)
        (Python: veriscene.evaluate.compare)."""
        from veriscene.commands import said_when_stopped
        from veriscene.console import console
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.evaluate import compare
        from veriscene.evaluate.compare import to_markdown

        written = f", and nothing was written to {out} (compare.md and compare.html are written last)" if out else ""
        try:
            with said_when_stopped(lambda exc: unfinished_message(
                    exc, f"the comparison did not finish{written}", "run the same command again (it starts over)")):
                result = compare(runs, out)
        except (FileNotFoundError, ValueError) as exc:  # a malformed summary or results file (DataError): 1
            _fail(str(exc), exit_code(exc))
        console.print(to_markdown(result), markup=False, highlight=False, soft_wrap=True)

    @app.command("score-freeform")
    def score_freeform_command(
        responses: Path = typer.Argument(..., help="JSONL of free-form replies, one a line: the text (response, "
                                         "reply, output, text or caption) and the image (image_id, image_ids or images). "
                                         "An eval run's results.jsonl works: its descriptions are scored, the answers "
                                         "eval scored by program are left out."),
        scenes: list[Path] | None = typer.Option(None, "--scenes", help="Scene graphs (veriscene JSONL, plain or "
                                                 "compressed): a file, or a folder or quoted glob pattern of them; "
                                                 "repeatable, an image id of two files scored against the first's "
                                                 "scene, as generate read it, and said on stderr (default: the scene "
                                                 "files of the run whose samples the replies answer, as its manifest "
                                                 "names them: --samples, or the samples an eval run's run.json "
                                                 "names)."),
        samples: Path | None = typer.Option(None, "--samples", help="The samples the replies answer, for region "
                                            "descriptions (scored against their region) (default: for an eval run's "
                                            "results.jsonl, the samples its run.json names)."),
        out: str | None = typer.Option(None, "--out", "-o", metavar="<path>",
                                       help="Write each reply's scores and claims here (JSONL)."),
        freeform_matcher: str = typer.Option("auto", "--freeform-matcher", "--matcher", help="How words outside "
                                             "the scene vocabulary are mapped onto it: minilm (all-MiniLM-L6-v2; the "
                                             "ml extra), lexical (spellings and synonyms) or auto (minilm when "
                                             "installed, else lexical); eval's --freeform-matcher. --matcher: its "
                                             "earlier name, still read."),
        extractor: str = typer.Option("rules", "--extractor", help=EXTRACTOR_HELP.format(url="--base-url")),
        extractor_model: str | None = typer.Option(None, "--extractor-model", help=EXTRACTOR_MODEL_HELP),
        base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible server of the extractor model, "
                                            "e.g. http://localhost:8000/v1."),
        cache: Path | None = typer.Option(None, "--cache", help="Request cache file of --extractor llm: a reply's "
                                          "claims once extracted are not asked again (default: requests.sqlite "
                                          "beside RESPONSES, an eval run's own for its results.jsonl)."),
        no_cache: bool = typer.Option(False, "--no-cache", help="Use no request cache: every extraction is asked."),
        extractor_api_key_env: str = typer.Option("OPENAI_API_KEY", "--extractor-api-key-env",
                                                  help=EXTRACTOR_KEY_HELP.format(default="")),
    ) -> None:
        """Helpfulness, truthfulness, their combined score (F1; a reply without claims 0) and
        hallucinated claims of free-form replies against scene graphs, printed as one JSON summary;
        skipped lines are listed on stderr (Python: veriscene.evaluate.score_freeform)."""
        import orjson

        from veriscene.commands import said_when_stopped
        from veriscene.console import console, err_console
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.evaluate import ModelConfigError, score_freeform

        check_choice("--freeform-matcher", freeform_matcher, MATCHERS)
        check_choice("--extractor", extractor, EXTRACTORS)
        cached = cache_option(cache, no_cache)
        from veriscene.evaluate.freeform.api import check_cache

        try:  # the rules ask no model: a --cache FILE would go unused, said nowhere (Python: the same message)
            check_cache(extractor, cached)
        except ValueError as exc:
            _fail(str(exc))
        if extractor == "llm" and not no_cache and responses.is_file():
            from veriscene.evaluate.cache import CACHE_FILE

            fault = cache_fault(cache or responses.parent / CACHE_FILE)
            if fault is not None and cache is None:
                _fail(f"--extractor llm keeps its claim extractions in a request cache, by default {CACHE_FILE} "
                      f"beside RESPONSES ({responses.parent / CACHE_FILE}), and {fault}: pass --cache FILE in a "
                      "folder that can be written, or --no-cache")
            if fault is not None:
                _fail(f"--cache {cache}: {fault}: pass another --cache FILE, or --no-cache")
        written = f", and nothing was written to {out} (it is written once every reply is scored)" if out else ""
        try:
            from veriscene.evaluate.freeform.api import extractor_model as claims_model

            # the same check and loading as eval's (`evaluate(extractor=, extractor_model=)`)
            model = claims_model(extractor, extractor_model, base_url, api_key_env=extractor_api_key_env)
            with said_when_stopped(lambda exc: unfinished_message(
                    exc, f"the scoring did not finish{written}", "run the same command again (it starts over)")):
                report = score_freeform(responses, scenes or None, extractor=extractor,
                                        freeform_matcher=freeform_matcher, model=model, out=out, samples=samples,
                                        cache=cached)
        except (FileNotFoundError, ValueError, KeyError, ModelConfigError, ImportError) as exc:
            _fail(said(exc), exit_code(exc))  # bad data (DataError): 1
        except OSError as exc:  # an --out naming a folder (`scores/` too) or below a file (2), a disk full (1)
            _fail(str(exc), 2 if isinstance(exc, (NotADirectoryError, IsADirectoryError)) else 1)
        if report.scored_by_program and not report.records and not report.rejected:
            _fail(f"{responses} holds no description: its {report.scored_by_program} replies are answers `veriscene "
                  "eval` scored by program (results.jsonl status scored / parse_failed); score-freeform scores "
                  "the free-form ones (status not_scored)", 1)
        console.print_json(orjson.dumps(report.summary()).decode())
        say_repeated(report.repeated)  # on stderr: standard output stays one JSON document (`| jq` works)
        for message in report.rejected_scenes[:10]:  # the replies on their images are skipped below
            err_console.print(f"[yellow]skipped scene[/] {escape(message)}", soft_wrap=True, markup=True,
                              highlight=False)
        if len(report.rejected_scenes) > 10:
            err_console.print(f"[yellow]skipped[/] {len(report.rejected_scenes) - 10} more scene lines",
                              highlight=False)
        if report.scored_by_program:
            err_console.print(f"[yellow]left out[/] {report.scored_by_program} lines of {escape(str(responses))}: "
                              "answers `veriscene "
                              "eval` scored by program (status scored / parse_failed), not descriptions",
                              soft_wrap=True, markup=True, highlight=False)
        for r in report.rejected[:10]:
            err_console.print(f"[yellow]skipped[/] {escape(str(responses))}, line {r['line']}: "
                              f"{escape(str(r['reason']))}", soft_wrap=True,
                              markup=True, highlight=False)
        if len(report.rejected) > 10:
            err_console.print(f"[yellow]skipped[/] {len(report.rejected) - 10} more lines", highlight=False)
        if report.rejected and not report.records:
            _fail(f"no reply of {responses} could be scored: all {len(report.rejected)} lines skipped", 1)
