"""The `veriscene` command line: a thin layer over the Python API (same names, same options)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from veriscene import __version__
from veriscene.commands import exit_code, fail, said
from veriscene.commands.environment import EPILOG
# the formats and reader options of the help, without the readers (0.2 s): each command imports
# what it runs when it runs
from veriscene.commands.reader_help import FORMATS, READER_OPTION_HELP

app = typer.Typer(
    name="veriscene",
    help="Turn scene graphs into verifiable vision-language data: every question carries the program "
    "that computes its answer.",
    epilog=EPILOG,  # the environment variables read
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from veriscene.compiled import build_said

        # "(pure Python)" or "(compiled with mypyc: 58 modules)": the build `pip install` made (setup.py)
        typer.echo(f"veriscene {__version__} ({build_said()})")
        raise typer.Exit()


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    """A warning as one line of the command's error output (`warning: ...`), not Python's two."""
    from rich.markup import escape

    from veriscene.console import err_console

    # soft_wrap: not broken at the terminal's width (a path, an "(id 10)" whole, to copy), as `fail` prints errors
    err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


@app.callback()
def main(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """veriscene command line."""
    import os
    import warnings

    from veriscene.option_names import set_cli_names

    warnings.showwarning = _show_warning
    # errors made while the command runs name its options (--base-url), not the Python ones (base_url)
    before = set_cli_names(True)
    ctx.call_on_close(lambda: set_cli_names(before))
    # unset or empty, the variable leaves Pillow's limit as it is and cannot be bad: the module that
    # reads it (with numpy and Pillow, 0.1 s) is then imported by what opens images, not here
    if os.environ.get("VERISCENE_MAX_IMAGE_PIXELS", "").strip():
        from veriscene.scene.image_files import check_max_image_pixels

        try:  # a bad VERISCENE_MAX_IMAGE_PIXELS: said before any work, as a bad option is
            check_max_image_pixels()
        except ValueError as exc:
            _fail(str(exc))
    if os.environ.get("VERISCENE_PROGRESS_SECONDS", "").strip():  # the same: a bad period said before any work
        from veriscene.plain_progress import progress_seconds

        try:
            progress_seconds()
        except ValueError as exc:
            _fail(str(exc))


_fail = fail

PLUGINS_HELP = ("A Python file (my_generators.py) or an importable module of generators of your own, registered "
                "with @register: imported here and in every worker, its generators selected like the built-in "
                "ones; repeat it, or separate several by commas. The run records each one's SHA-256: --resume "
                "refuses a changed plugin.")


# -g of generate and demo: globs match family names as well as generator names
GENERATORS_HELP = ("Comma-separated generator names, families, or globs over either (object.*, multi_*, counting); "
                   "`veriscene generators` lists them.")
# --set of generate and demo (`generator_options`), parsed by `_generator_settings`
SET_HELP = ("A generator option, as a mixture's config sets it: NAME a generator (with or without version), family or "
            "glob, as -g takes them; OPTION a field of its config (`veriscene generators` lists each one's with its "
            "default); VALUE read as YAML (true, 3, 0.2, norm1000). Repeat it: --set depth.map_points.marks=true "
            "--set 'counting.*.num_choices=3'. A family or glob sets the option on those of its generators that have "
            "it; an exact name wins over a glob. Naming no generator of the run is refused.")


def _generator_settings(texts: Optional[list[str]]) -> dict[str, dict[str, object]] | None:
    """`--set` texts as `generator_options` ({NAME: {OPTION: VALUE}}, None for none), or the
    command's error (exit 2) naming the malformed one; names, types and ranges are checked by the
    run, before it reads or writes a file."""
    from veriscene.generators.generator_options import GeneratorOptionError, parse_settings

    try:
        return parse_settings(texts or ()) or None
    except GeneratorOptionError as exc:
        _fail(str(exc))


@app.command()
def demo(
    out: Path = typer.Option(Path("demo_out"), "--out", "-o", help="Output folder: new, empty, or an earlier demo's "
                             "(one holding other scene graphs, a run or other images is refused, exit 2)."),
    scenes: int = typer.Option(200, "--scenes", "-n", min=1, help="Number of synthetic scenes to render."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**64 - 1, help="Run seed, 0 to 2^64-1 (the synthetic "
                             "world's random generator takes no negative seed): the same seed gives byte-identical "
                             "output."),
    generators: Optional[str] = typer.Option(None, "--generators", "-g", help=GENERATORS_HELP),
    mode: str = typer.Option("both", "--mode", help="qa, mc or both."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes for generation."),
    generator_options: Optional[list[str]] = typer.Option(
        None, "--set", metavar="NAME.OPTION=VALUE", help=SET_HELP + " Recorded in the manifest, as generate's."),
) -> None:
    """Render the built-in synthetic world, generate samples with every generator (or those -g
    names, their options as --set gives them), export LLaVA JSON and verify everything (Python:
    veriscene.demo.pipeline.run_demo)."""
    from veriscene.commands import said_when_stopped
    from veriscene.console import console, print_run_summary, print_verify_report, stage_progress
    from veriscene.demo.pipeline import run_demo
    from veriscene.engine.interrupts import unfinished_message

    settings = _generator_settings(generator_options)
    labels = {"render": "rendering scenes", "generate": "generating", "verify": "verifying"}
    try:  # the demo owns its folder: the same command replaces what a stopped one wrote
        with said_when_stopped(lambda exc: unfinished_message(
                exc, f"the demo in {out} did not finish", "run the same command again to make it (it starts over, "
                "replacing what the stopped one wrote)")), stage_progress(labels) as advance:
            result = run_demo(out, scenes=scenes, seed=seed, generators=generators, mode=mode, workers=workers,
                              generator_options=settings, progress=advance)
    except (KeyError, ValueError) as exc:
        _fail(said(exc))
    except OSError as exc:  # --out where no folder can be made
        _fail(str(exc))
    print_run_summary(result.summary, title=f"Demo: {scenes} scenes, seed {seed}")
    print_verify_report(result.verification)
    written = [f"{out}/{name}" for name in ("scenes.jsonl", "samples.jsonl", "llava.json", "manifest.json",
                                            "vocabulary.json", "rejects.jsonl") if (out / name).exists()]
    console.print(f"wrote {out}/images/ ({scenes} PNG), {', '.join(written)}", markup=False)
    if not result.verification.ok:
        raise typer.Exit(1)


@app.command()
def generate(
    scenes: list[str] = typer.Argument(..., help="Scene graphs: veriscene JSONL (plain, or compressed with gzip, zstd, bz2 "
                                       "or xz), or any format with --from (a file in a zip archive named past it: "
                                       "sceneGraphs.zip/val_sceneGraphs.json). Several files, a folder (its *.jsonl "
                                       "files, compressed or not) or a quoted glob pattern are read as one input, in order. "
                                       "JSONL files may be given by URL (s3://bucket/scenes.jsonl.zst, a folder or pattern of "
                                       "them), as may an annotation file or folder with --from (and files or folders -r "
                                       "options name): they are read through a local copy, downloaded once."),
    out: str = typer.Option(..., "--out", "-o", help="Output folder, or a URL (s3://bucket/run, gs://..., any fsspec "
                            "URL): the run is then made in --staging and uploaded as it goes, each shard as it is done."),
    from_format: str = typer.Option("jsonl", "--from", help="Input format: jsonl (the default: veriscene JSONL, also "
                                    "named veriscene_jsonl), auto, "
                                    + ", ".join(f for f in FORMATS if f != "veriscene_jsonl")
                                    + "; any but jsonl is converted into OUT/scenes.jsonl first, as is jsonl given "
                                    "-r options (id_prefix=NAME/, sparse=...)."),
    seed: int = typer.Option(0, "--seed", help="Run seed: any 64-bit integer, signed or not (-2^63 to 2^64-1; "
                             "each is hashed with the scene ids, so -1 and 2^64-1 are different runs). The same "
                             "seed and input give the same samples."),
    generators: Optional[str] = typer.Option(None, "--generators", "-g", help=GENERATORS_HELP),
    mode: Optional[str] = typer.Option(None, "--mode", help="qa, mc or both (default both; captions always run)."),
    mixture: Optional[Path] = typer.Option(None, "--mixture", help="Mixture YAML: generator weights, per-scene budget, modes "
                                           "(see examples/mixture.yaml); in place of --generators and --mode."),
    generator_options: Optional[list[str]] = typer.Option(
        None, "--set", metavar="NAME.OPTION=VALUE", help=SET_HELP + " Wins over the mixture's config and --per-scene "
        "for the generators it names. Recorded in the manifest (--resume refuses other options)."),
    per_scene: Optional[int] = typer.Option(None, "--per-scene", min=1, help="Samples per scene, generator and mode, "
                                            "up to 1000 (default 1; more spread each scene's fixed cost: 3 makes "
                                            "1.5-1.8x the samples per second). Not with a mixture's budget."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="Worker processes, or Ray CPUs "
                                          "(default 1; on a Ray cluster, its CPUs; at most 4 per CPU of this machine, "
                                          "no more processes than shards)."),
    backend: str = typer.Option("local", "--backend", help="local (in-process / process pool) or ray."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster address: HOST:PORT (what `ray start "
                                          "--head` prints), ray://HOST:PORT, or auto for the cluster `ray start` "
                                          "made here (default: RAY_ADDRESS if set, else a local Ray)."),
    shared_output: Optional[bool] = typer.Option(None, "--shared-output/--no-shared-output", help="With --backend "
                                                 "ray: workers write (and compress) their shards into OUT themselves, "
                                                 "which every node must see at the same path, or send their samples "
                                                 "back to be written here (default: the first when every node sees OUT, "
                                                 "looked for before the run)."),
    shard_size: int = typer.Option(200, "--shard-size", min=1, help="Scenes per shard (memory holds ~2 x workers shards of samples)."),
    shard_format: str = typer.Option("jsonl", "--shard-format", help="jsonl (merged into samples.jsonl), or zstd or parquet (kept as shards)."),
    scan_chunk_mb: int = typer.Option(64, "--scan-chunk-mb", min=1, help="MiB of input per task of the first pass (more, smaller "
                                      "chunks share it among more workers; co-occurrence of inputs above one chunk depends on it)."),
    max_scene_objects: Optional[int] = typer.Option(None, "--max-scene-objects", min=0, help="Reject a scene of "
                                                    "more objects than this (default 20000, or with --resume the "
                                                    "run's own; 0: no limit): listed in OUT/rejects.jsonl and "
                                                    "counted, never drawn as a partner. Generation grows faster than "
                                                    "a scene's objects, and one scene of hundreds of thousands (a "
                                                    "mask generator or converter gone wrong) would stall the run."),
    resume: bool = typer.Option(False, "--resume", help="Complete an interrupted run in OUT (same options and input)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a run already in OUT (its files, shards/, "
                                   "export/, README.md, stats.png), or write into a folder holding other files."),
    to: Optional[str] = typer.Option(None, "--to", help="Also export to a trainer format (llava, sharegpt, parquet, hf, trl, verl, jsonl, lmms_eval), into "
                                      "OUT/export/FORMAT."),
    embed_images: bool = typer.Option(False, "--embed-images", help="With --to parquet, trl or verl: store the image "
                                      "bytes in the export (as `veriscene export --embed-images`), so that it loads "
                                      "from any folder or machine; hf and lmms_eval always store them. Without it, "
                                      "their images are paths relative to the folder the export is read from."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad scene record."),
    reader_option: Optional[list[str]] = typer.Option(None, "--reader-option", "-r", metavar="KEY=VALUE",
                                                      help="With --from FORMAT: " + READER_OPTION_HELP),
    plugins: Optional[list[str]] = typer.Option(None, "--plugins", metavar="FILE_OR_MODULE", help=PLUGINS_HELP),
    staging: Optional[Path] = typer.Option(None, "--staging", help="With --out URL: the local folder the run is made in "
                                           "(default: under $VERISCENE_STAGING or ~/.cache/veriscene/staging, named "
                                           "after the URL). --resume on another machine downloads the run into it first."),
) -> None:
    """Generate samples from scene graphs: streaming, sharded, resumable, identical output for any
    number of workers (Python: veriscene.generate)."""
    from veriscene.commands.convert import check_reader_options, parse_reader_options
    from veriscene.console import console, download_progress, generate_progress, print_run_summary
    from veriscene.engine import fetch, remote
    from veriscene.engine.generate import MAX_SCAN_CHUNK, generate as run_generate
    from veriscene.engine.manifest import ResumeMismatchError, RunExistsError
    from veriscene.errors import DataError

    if scan_chunk_mb > MAX_SCAN_CHUNK >> 20:  # the API's bound, said in the option's unit
        _fail(f"--scan-chunk-mb must be at most {MAX_SCAN_CHUNK >> 20}, got {scan_chunk_mb}")
    settings = _generator_settings(generator_options)
    if embed_images and to is None:
        _fail("--embed-images goes with --to FORMAT (parquet, trl, verl): it stores the image bytes in that export")
    if to is not None:  # an unknown format is said before the run, not after it
        from veriscene.commands.export import usage_error
        from veriscene.io.writers import check_libraries, get_writer

        try:
            get_writer(to)
            check_libraries(to)
        except KeyError as exc:
            _fail(f"--to: {exc.args[0]}")
        except ImportError as exc:  # the library the format writes with (MissingExtra): not after the run
            _fail(str(exc))
        if embed_images and (wrong := usage_error(to, None, None, False, None, embed_images=True)):
            _fail(wrong)  # --embed-images with a format that names images by path: before the run
        if to == "lmms_eval" and remote.is_url(out):  # as `export --out URL` refuses it, before the run
            _fail("--to lmms_eval cannot go with an --out URL: the task folder's YAML files name its data files by "
                  "absolute local path, which would mean nothing once uploaded. Generate to the URL without --to, "
                  "then export the task folder on the machine that runs lmms-eval: veriscene export "
                  f"{out} --to lmms_eval --out tasks/veriscene")
    from veriscene.engine.run_inputs import input_format

    try:
        fmt = input_format(from_format)
    except KeyError as exc:
        _fail(said(exc))
    first = Path(scenes[0])
    try:
        read_options = parse_reader_options(reader_option)
    except (FileNotFoundError, KeyError, ValueError) as exc:  # a synonyms file: missing (2), malformed (1)
        _fail(str(exc.args[0] if isinstance(exc, KeyError) else exc), exit_code(exc))
    except ImportError as exc:  # a synonyms file at a URL without fsspec (RemotePackageMissing, a MissingExtra)
        _fail(str(exc))
    except RuntimeError as exc:  # a synonyms file at a URL that cannot be read (RemoteError)
        _fail(str(exc), code=1)
    converting = fmt != "jsonl" or bool(read_options)  # veriscene JSONL given -r options: read by its reader
    named = [v for v in (read_options or {}).values() if isinstance(v, str) and remote.is_url(v)]
    if any(remote.is_url(item) for item in scenes) or named:  # downloaded here, with a bar; `generate` finds the copies
        try:
            with download_progress() as shown:
                if converting and len(scenes) == 1 and remote.is_url(scenes[0]):  # an annotation file or folder
                    first = fetch.fetch_input(scenes[0], progress=shown)
                elif any(remote.is_url(item) for item in scenes):
                    fetch.fetch_scenes(scenes, progress=shown)
                if converting:
                    fetch.fetch_options(read_options, progress=shown)
        except (FileNotFoundError, ValueError, ImportError) as exc:  # ImportError: no fsspec (a MissingExtra)
            _fail(str(exc))
        except RuntimeError as exc:  # RemoteError: no credentials, no network
            _fail(str(exc), code=1)
    try:
        if read_options:
            check_reader_options(read_options, fmt, first)
    except (FileNotFoundError, KeyError) as exc:
        _fail(str(exc.args[0] if isinstance(exc, KeyError) else exc))
    from veriscene.engine.interrupts import (
        exit_status,
        interrupted_message,
        kept_a_run,
        terminate_raises,
    )

    try:  # SIGTERM stops the run as Ctrl-C does, said below, not with no word (`engine.interrupts`)
        with terminate_raises(), generate_progress() as shown:  # the scan counts the scenes
            summary = run_generate(
                scenes, out, seed=seed, generators=generators, mode=mode, per_scene=per_scene, strict=strict,
                workers=workers, backend=backend, address=address, shared_output=shared_output, shard_size=shard_size,
                shard_format=shard_format, scan_chunk=scan_chunk_mb << 20, resume=resume, overwrite=overwrite,
                max_scene_objects=max_scene_objects,
                from_format=from_format, reader_options=read_options or None, mixture=mixture,
                generator_options=settings, plugins=plugins,
                staging=staging, **shown,
            )
    except DataError as exc:  # bad data: a record, a file cut short, a malformed label table or manifest
        _fail(str(exc), code=1)
    except (RunExistsError, ResumeMismatchError, FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        _fail(str(exc))
    except (KeyError, ValueError, TypeError) as exc:
        _fail(said(exc))
    except ImportError as exc:  # an optional package a chosen option needs (MissingExtra: Ray, zstd shards, a
        _fail(str(exc))  # reader's, fsspec for an output URL), before RuntimeError: RemotePackageMissing is both
    except RuntimeError as exc:  # Ray's cluster out of reach, or the output URL (RemoteError)
        _fail(str(exc), code=1)
    except OSError as exc:  # the system's: a disk full, a file it may not read or write
        _fail(str(exc), code=1)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM
        from veriscene.console import say_stopped
        from veriscene.engine import converted

        if remote.is_url(out):  # its staging folder; with --resume, the run at the URL stays (it may be
            # stopped while downloading it, before its manifest is here)
            folder = Path(staging or remote.default_staging(out))
            kept = resume or kept_a_run(folder)
        else:
            folder = remote.local_path(out)
            kept = kept_a_run(folder)
        converted_in = None  # a run taken back keeps its input's conversion for --resume (`converted.kept_or_taken_back`)
        if converting and not kept and converted.kept(folder):
            converted_in = str(folder) if remote.is_url(out) else out
        say_stopped(interrupted_message(out, exc, kept=kept, converted_in=converted_in))
        raise typer.Exit(exit_status(exc)) from None
    print_run_summary(summary)
    rejected = summary.rejects.get("rejected", 0)
    if not summary.scenes and rejected:  # as convert and generate --from: no run of no samples passes
        _fail(f"no scene read: all {rejected} scene record(s) of the input were rejected (the first are said "
              f"above; all in {summary.rejects.get('report')})", code=1)
    if to:
        from veriscene.commands import said_when_stopped
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.io.export import export

        run_dir = Path(summary.run_dir)  # for a run at a URL, its staging folder
        where = f"{out.rstrip('/')}/export/{to}" if remote.is_url(out) else str(run_dir / "export" / to)
        # the run is complete: a stop now loses only the export, which `veriscene export` makes (outside
        # the `try`, whose RuntimeError would take the typer.Exit it raises for a failure)
        with said_when_stopped(lambda exc: unfinished_message(
                exc, f"the run in {out} is complete, but its export to {where} did not finish",
                f"make it with: veriscene export {out} --to {to} --out {where}"
                f"{' --embed-images' if embed_images else ''}")):
            try:
                # at a URL, the export's image paths are absolute, as the run's samples are and as
                # `veriscene export RUN --out URL` writes them: relative to the staging folder they
                # would mean nothing once uploaded
                result = export(run_dir, run_dir / "export" / to, to=to, absolute_paths=remote.is_url(out),
                                embed_images=embed_images)
                if remote.is_url(out):
                    remote.upload_run(run_dir, out)
            except ImportError as exc:  # fsspec gone since the run started (RemotePackageMissing)
                _fail(str(exc))
            except RunExistsError as exc:  # another run writes the URL (RunLockedError), or replaced this one since
                _fail(str(exc))
            except RuntimeError as exc:
                _fail(str(exc), code=1)
        console.print(f"exported {result.samples_written} samples to {where} ({to})", markup=False)
        from veriscene.commands.export import print_notes

        print_notes(result, console)  # missing images, skipped samples: as `veriscene export` says them


@app.command()
def verify(
    path: str = typer.Argument(..., help="A run folder (from demo or generate) or a samples.jsonl file, or its URL "
                               "(s3://bucket/run: read through a local copy)."),
    scenes: Optional[str] = typer.Option(None, "--scenes", help="Scene file, or a folder or quoted glob pattern of "
                                          "them read as one input (default: the run's, from its manifest)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes, or Ray CPUs: samples are "
                                "checked 1,000 at a time, each batch sent with the scenes it needs."),
    backend: str = typer.Option("local", "--backend", help="local (in-process / process pool) or ray."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster address: HOST:PORT, ray://HOST:PORT "
                                          "or auto (default: RAY_ADDRESS if set, else a local Ray)."),
    plugins: Optional[list[str]] = typer.Option(None, "--plugins", metavar="FILE_OR_MODULE", help="The run's "
                                                "generators (and ops) of your own, as given to generate: their "
                                                "options' texts are then checked too."),
) -> None:
    """Check a finished run's sample files against its manifest (every shard there, with its
    SHA-256), re-execute every sample's program on its scene graph and compare with the stored
    answer. Exit status 1 on any difference, mismatch or unreadable record (Python: veriscene.verify).
    Mismatches in a run another release made say so (verify with that release); generators whose
    fingerprints in the manifest differ from this build's are noted, not failed (their questions
    may be worded otherwise)."""
    from veriscene.commands import local_input, said_when_stopped
    from veriscene.console import print_verify_report, progress_bar
    from veriscene.engine.interrupts import unfinished_message
    from veriscene.engine.runfiles import sample_count
    from veriscene.errors import DataError
    from veriscene.verify import verify as run_verify

    run = local_input(path)
    # outside the `try`: its typer.Exit is a RuntimeError, which the `try` would take for Ray's
    with said_when_stopped(lambda exc: unfinished_message(
            exc, f"the verification of {path} did not finish (it writes nothing)",
            "run the same command again to verify it (it starts over)")):
        try:
            with progress_bar("verifying", sample_count(run)) as advance:
                report = run_verify(run, scenes, progress=advance, workers=workers, backend=backend,
                                    address=address, plugins=plugins)
        except DataError as exc:  # a scene file cut short or corrupt, a manifest unreadable: bad data, as a mismatch is
            _fail(str(exc), code=1)
        except (FileNotFoundError, ValueError, ImportError) as exc:  # ImportError: Ray not installed (MissingExtra)
            _fail(str(exc))
        except (RuntimeError, OSError) as exc:  # the run's input at a URL that cannot be read (RemoteError), Ray
            _fail(str(exc), code=1)  # out of reach, the system's (a file it may not read)
    print_verify_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command("generators")
def list_generators(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    plugins: Optional[list[str]] = typer.Option(None, "--plugins", metavar="FILE_OR_MODULE", help="Also list the "
                                                "generators of these Python files or modules of your own."),
) -> None:
    """List every registered generator with family, modes, requirements, answer type and one
    example question (its first question on a few built-in demo scenes; one that asks nothing by
    default is shown with the options it needs, "(marks=true) ...") (Python:
    veriscene.generators.catalog.generator_catalog)."""
    import json

    from veriscene.console import console
    from veriscene.generators.catalog import generator_catalog, own_options, shared_options

    try:
        rows = generator_catalog(plugins=plugins)
    except ValueError as exc:  # a plugin missing or failing to import
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table
    from rich.text import Text

    from veriscene.generators.generator_options import option_text

    shared = ", ".join(f"{name}={option_text(value)}" for name, value in shared_options().items())
    # how an example not asked on the demo scenes as they are was made, and how a user's get what it needs
    made = "".join(f"\n{r['name']}'s example: {r['example_scenes']}" for r in rows if r.get("example_scenes"))
    table = Table(title=f"{len(rows)} generators",
                  caption=f"options: each generator's own, with their defaults; every generator also takes {shared}. "
                  f"Set one with: veriscene generate ... --set NAME.OPTION=VALUE{made}", caption_justify="left")
    table.add_column("name", no_wrap=True, min_width=max(len(r["name"]) for r in rows))  # typed for -g: never cut
    for col in ("family", "answer", "modes", "requires", "options", "example"):
        # options folded, never cut with an ellipsis: each NAME=VALUE whole is what --set takes
        table.add_column(col, overflow="fold" if col == "options" else "ellipsis")
    for r in rows:  # plain text: rich would read "[x0, y0, x1, y1]" in a question as markup and drop it
        table.add_row(*(Text(cell) for cell in (r["name"], r["family"], r["answer_type"], ",".join(r["modes"]),
                                                 ",".join(r["requires"]) or "-", own_options(r),
                                                 _example_cell(r))))
    console.print(table)


def _example_cell(row: dict[str, Any]) -> str:
    """A listing row's example, after the options it was made with ("(marks=true) In which image
    ..."), or its description when it has none."""
    if not row["example"]:
        return str(row["description"])
    from veriscene.generators.generator_options import option_text

    given = ", ".join(f"{name}={option_text(value)}" for name, value in (row.get("example_options") or {}).items())
    on = str(row.get("example_scenes") or "").split(" (")[0]  # "on demo scenes given a synthetic depth map" (the
    # rest, how it is made and how a user's scenes get one, under the table)
    said = "; ".join(part for part in (given, on) if part)
    return f"({said}) {row['example']}" if said else str(row["example"])


def _register_plugins() -> None:
    """Commands contributed by subsystems (each module exposes `register(app)`)."""
    import importlib

    for module in (
        "veriscene.commands.convert",
        "veriscene.commands.annotate",
        "veriscene.commands.export",
        "veriscene.commands.split",
        "veriscene.commands.stats",
        "veriscene.commands.card",
        "veriscene.commands.publish",
        "veriscene.commands.evaluate",
        "veriscene.commands.view",
    ):
        importlib.import_module(module).register(app)


_register_plugins()


def _one_line_summaries() -> None:
    """Each command's line in `veriscene --help`: the first paragraph of its help as one line (the
    list keeps the docstring's line breaks otherwise, which break the table's wrapping)."""
    import inspect

    for info in app.registered_commands:
        if info.short_help is None:
            text = info.help or (inspect.getdoc(info.callback) if info.callback is not None else None) or ""
            info.short_help = " ".join(text.split("\n\n")[0].split()) or None


_one_line_summaries()

if __name__ == "__main__":  # pragma: no cover
    app()
