"""`veriscene annotate IMAGES --detector MODEL --out scenes.jsonl`: raw images -> scene graphs.

Exit codes: 0 done (unreadable images, if any, are in the report), 1 a reject in --strict mode, a
model that cannot be loaded (here or on a worker's device) or that fails on each of the first
images, a server refusing the key, URL or model (HTTP 401/403/404: --resume goes on once it is
put right), a run that wrote no scene at all (every image rejected), 2 missing images or model
folder (or a folder without images, a list file naming none), or options that do not go together
(no detector or two, an unknown --box-format, a served model without --base-url) or out of range
(--max-objects 0, --threshold 2, --names naming none), 130 Ctrl-C and 143 SIGTERM
(what was done is kept: --resume goes on; before the first image is done, nothing is).

Images the vision-language models' server failed on (requests timed out or failed after their
retries) are counted apart and, with --resume, done again (`veriscene.annotate.retry`), even once
the run has finished: the output then comes out as a run that never failed would have written it.
A finished run with nothing to do again is left as it is by --resume, which says it had finished;
one with other images, models or settings is refused (exit 1), naming what differs
(`veriscene.annotate.runfile`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from veriscene.commands import fail
from veriscene.commands.convert import add_contents, exit_codes

if TYPE_CHECKING:  # imported by the command when it runs, not at every `veriscene` start (0.3 s)
    from veriscene.io.convert import ConvertSummary

# How the summary names what a run rejected, by reject level, and what it counted (other counts:
# their key with spaces). An image is a scene; a file reject is an image skipped before reading;
# an attribute or relation reject is a request to a vision-language model that failed (also
# counted as `attribute_requests_failed`, `relation_requests_failed`: said once, by level).
_REJECTED = {"scene": "images rejected", "file": "images skipped", "object": "objects dropped",
             "attribute": "attributes left out (request failed)",
             "relation": "relations left out (request failed)"}
_SAID_BY_LEVEL = ("attribute_requests_failed", "relation_requests_failed")
_COUNTED = {
    "boxes_clipped": "boxes clipped to the image",
    "duplicate_objects_merged": "duplicate detections merged",
    "masks_from_boxes": "empty masks replaced by the box",
    "images_without_objects": "images with no object found",
    "detector_labels_not_in_names": "detections not in --names",
    "detector_objects_over_max_objects": "detections over --max-objects",
    "detector_replies_cut_off": "detector replies cut off at the token limit",
    "images_failed_on_the_server": "images rejected: the server failed",
    "images_partly_failed_on_the_server": "images without some attributes or relations: the server failed",
    "images_retried_after_server_failures": "images retried after server failures",
    "retried_images_failing_again": "retried images failing again",
}


def register(app: typer.Typer) -> None:
    """Add the `annotate` command to `app`."""

    @app.command("annotate")
    def annotate_command(
        images: Annotated[Path, typer.Argument(help="A folder of images (searched recursively), a text file "
                                                    "listing image paths, or one image.")],
        out: Annotated[str, typer.Option("--out", "-o", metavar="<path>", help="Output veriscene JSONL file (compressed when named .gz, .zst, .bz2 or .xz, once finished).")],
        detector: Annotated[Path | None, typer.Option("--detector", help="Local folder of a transformers "
                                                      "object-detection model and its image processor.")] = None,
        detector_model: Annotated[str | None, typer.Option("--detector-model", help="Instead of --detector: a "
                                                           "vision-language model on the --base-url server that "
                                                           "lists the objects with their boxes (Qwen2.5-VL, ...).")
                                  ] = None,
        box_format: Annotated[str, typer.Option("--box-format", help="How --detector-model gives boxes: pixels, "
                                                "norm1000, norm1 or yxyx_norm1000 (Gemini).")] = "pixels",
        max_side: Annotated[int | None, typer.Option("--max-side", min=1, help="Images sent to --detector-model are "
                                                     "scaled down to this longer side first.")] = None,
        segmenter: Annotated[Path | None, typer.Option("--segmenter", help="Local folder of a transformers "
                                                   "promptable mask model (SAM), prompted with each box (optional).")] = None,
        depth: Annotated[Path | None, typer.Option("--depth", help="Local folder of a transformers depth model "
                                                                   "(optional).")] = None,
        depth_maps: Annotated[Path | None, typer.Option("--depth-maps", help="Write the --depth model's map of each "
                                                        "image into this folder (IMAGE_ID.npy), named by its scene: "
                                                        "depth.map_points then asks which of two points anywhere "
                                                        "is closer.")] = None,
        names: Annotated[str | None, typer.Option("--names", help="Names to look for, comma-separated or a file "
                                                  "of one per line: the detector is then an open-vocabulary one "
                                                  "(OWL-ViT, OWLv2, Grounding DINO).")] = None,
        attributes_model: Annotated[str | None, typer.Option("--attributes-model", help="A vision-language model "
                                                             "on an OpenAI-compatible server (vLLM, ...) asked "
                                                             "each object's attributes (optional).")] = None,
        relations_model: Annotated[str | None, typer.Option("--relations-model", help="A vision-language model "
                                                            "on an OpenAI-compatible server asked how pairs of near "
                                                            "objects relate (optional).")] = None,
        predicates: Annotated[str | None, typer.Option("--predicates", help="Predicates --relations-model "
                                                       "chooses from, comma-separated (default: on, in, holding, "
                                                       "wearing, riding, ...).")] = None,
        base_url: Annotated[str | None, typer.Option("--base-url", help="The server of --detector-model, "
                                                     "--attributes-model and --relations-model, e.g. http://localhost:8000/v1 (API key: "
                                                     "OPENAI_API_KEY).")] = None,
        attribute_kinds: Annotated[str, typer.Option("--attribute-kinds", help="Attribute types to ask, "
                                                     "comma-separated (color, material, finish, size, shape, "
                                                     "pattern).")] = "color,material",
        concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Requests to each vision-language model "
                                                                       "at once.")] = 8,
        timeout: Annotated[float, typer.Option("--timeout", min=0.001, help="Seconds to wait for each reply of "
                                               "the vision-language models' server before it counts as failed "
                                               "(and is retried).")] = 120.0,
        max_retries: Annotated[int, typer.Option("--max-retries", min=0, help="Retries of a request to the "
                                                 "vision-language models' server that timed out or failed "
                                                 "(HTTP 429, 5xx, no connection), with growing waits.")] = 6,
        threshold: Annotated[float, typer.Option("--threshold", min=0.0, max=1.0, help="Lowest detection score kept.")] = 0.5,
        max_objects: Annotated[int, typer.Option("--max-objects", min=1, help="Most objects kept per image.")] = 50,
        device: Annotated[str, typer.Option("--device", help="torch device: cpu, cuda, cuda:1, mps; or several, "
                                            "comma-separated (cuda:0,cuda:1): one worker on each, with its own "
                                            "models. On Ray: cuda gives each worker a GPU of its own.")] = "cpu",
        batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Images through the detector, mask and "
                                                                     "depth models at once (faster on a GPU).")] = 1,
        workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Processes annotating images at once, "
                                                    "each with its own copy of the models (the output is the same "
                                                    "for any number, at the same --threads; default: one per "
                                                    "--device; on Ray with cuda, as many as the cluster's GPUs "
                                                    "hold).")] = None,
        threads: Annotated[int | None, typer.Option("--threads", help="torch threads per worker (default: "
                                                    "cores / workers with several, else torch's own). Models "
                                                    "may round otherwise on another number: a resume keeps it.")] = None,
        backend: Annotated[str, typer.Option("--backend", help="local (processes here) or ray (Ray tasks; "
                                                               "the loaded models go to each worker once).")] = "local",
        address: Annotated[str | None, typer.Option("--address", help="Ray cluster address: HOST:PORT, "
                                                                      "ray://HOST:PORT, or auto for the cluster "
                                                                      "`ray start` made here (default: RAY_ADDRESS "
                                                                      "if set, else a local Ray).")] = None,
        gpus_per_worker: Annotated[float, typer.Option("--gpus-per-worker", help="On Ray with --device cuda: each "
                                                       "worker's share of a GPU (0.5: two workers per GPU).")] = 1.0,
        colours: Annotated[bool, typer.Option("--colours/--no-colours", help="Name each object's dominant "
                                                                             "colour.")] = True,
        relations: Annotated[bool, typer.Option("--relations/--no-relations", help="Add left of / right of / "
                                                "above / below between boxes clearly apart.")] = True,
        margin: Annotated[float, typer.Option("--margin", help="Gap between boxes for a relation, share of the "
                                                               "image's width or height.")] = 0.02,
        strict: Annotated[bool, typer.Option("--strict", help="Stop at the first unreadable image (exit 1).")] = False,
        resume: Annotated[bool, typer.Option("--resume", help="Go on with a run that was stopped part-way, "
                                             "and do again the images the vision-language models' server failed "
                                             "on, even once the run finished (same images, models and "
                                             "settings, else refused); a finished run with nothing to do "
                                             "again is left as it is.")] = False,
        task_timeout: Annotated[float | None, typer.Option(
            "--task-timeout", min=0.001, help="Seconds to wait for a worker's batch of images (the first includes "
                                             "loading its models): past it the run stops, naming the hang, and "
                                             "--resume goes on from what was done. Default: wait for ever.")] = None,
        rejects: Annotated[str | None, typer.Option("--rejects", metavar="<path>", help="Reject report (default: OUT's "
                                                                       "folder/rejects.jsonl).")] = None,
    ) -> None:
        """Make scene graphs from raw images with local models or a vision-language model on a server: objects, masks, colours, depth, relations; on several workers if asked (Python: veriscene.annotate.annotate)."""
        from veriscene.annotate import annotate, image_files
        from veriscene.console import progress_bar
        from veriscene.io.writers.files import OutputError

        usage = usage_error(detector, detector_model, box_format, base_url, attributes_model, relations_model)
        if usage is None and depth_maps is not None and depth is None:
            usage = "--depth-maps is where the --depth model's maps are written: give --depth too"
        if usage is None and backend == "ray":
            from veriscene.engine.ray_cluster import cluster_address

            try:
                cluster_address(address)  # --address, or RAY_ADDRESS
            except ValueError as exc:
                usage = str(exc)
        if usage:
            fail(usage)  # exit 2, before any model is loaded or image read
        wanted = None
        if names is not None:
            listed = Path(names)
            wanted = (listed.read_text(encoding="utf-8").splitlines() if listed.is_file() else names.split(","))
            if not any(name.strip() for name in wanted):
                fail(f"--names {names}: no name to look for (comma-separated, or a file of one a line)")
        console, err = Console(), Console(stderr=True)
        # RuntimeError: models that cannot load on a worker's device, or that fail on each first image
        # interrupted() outside exit_codes, which would take its typer.Exit (a RuntimeError) for a failure
        # an --out (or --rejects) that is a folder or below a file: a usage error, said before any work
        # (`out` and `rejects` as given: `--out scenes/` names a folder, which Path would make a file)
        with interrupted(err, Path(out), Path(rejects) if rejects is not None else None), \
                exit_codes(err, usage=(IsADirectoryError, OutputError), failures=(RuntimeError,)):
            total = len(image_files(images)[1])
            kinds = [k.strip() for k in attribute_kinds.split(",") if k.strip()]
            with progress_bar("annotating", total) as advance:
                summary = annotate(images, out, detector=detector, detector_model=detector_model, box_format=box_format,
                                   max_side=max_side, segmenter=segmenter, depth=depth, depth_maps=depth_maps,
                                   names=wanted,
                                   attributes_model=attributes_model, attribute_kinds=kinds,
                                   relations_model=relations_model,
                                   predicates=None if predicates is None else predicates.split(","),
                                   base_url=base_url, concurrency=concurrency, timeout=timeout,
                                   max_retries=max_retries, threshold=threshold, max_objects=max_objects,
                                   device=device, colours=colours, relations=relations, margin=margin, strict=strict,
                                   rejects=rejects, resume=resume, progress=advance, batch_size=batch_size,
                                   workers=workers, backend=backend, address=address, threads=threads,
                                   gpus_per_worker=gpus_per_worker, task_timeout=task_timeout)
        print_annotate_summary(console, summary)
        print_server_failures(console, summary.repairs)
        if summary.scenes_written == 0 and summary.scenes_read > 0:  # nothing to generate from: a failed run
            err.print(f"[red]error:[/red] no scene written: all {summary.scenes_read} image(s) were rejected "
                      f"(reasons in {escape(summary.rejects)})")
            raise typer.Exit(1)


def summary_table(summary: ConvertSummary) -> Table:
    """What an annotation run did: images read, scenes written, what was rejected and counted
    (counts of nothing left out, but for images rejected), and where the rejects are."""
    table = Table(title=f"veriscene annotate: {escape(summary.input)}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("images read", str(summary.scenes_read))
    table.add_row("scenes written", f"{summary.scenes_written} -> {escape(summary.output)}")
    add_contents(table, summary)
    table.add_row("images rejected", str(summary.scenes_rejected))
    for level, n in sorted(summary.rejected_by_level.items()):
        if level != "scene":
            table.add_row(escape(_REJECTED.get(level, f"{level}s rejected")), str(n))
    counts = {"boxes_clipped": summary.boxes_clipped, **summary.repairs}
    for kind, n in counts.items():
        if kind not in _SAID_BY_LEVEL and (n or kind == "retried_images_failing_again"):  # "0 failing again" is news
            table.add_row(escape(_COUNTED.get(kind, kind.replace("_", " "))), str(n))
    if summary.sparse:
        table.add_row("recorded in part", f"{escape(', '.join(summary.sparse))} [dim](one not recorded may still be true: "
                      "questions never take it for absent)[/dim]")
    table.add_row("reject report", escape(summary.rejects))
    return table


def print_annotate_summary(console: Console, summary: ConvertSummary) -> None:
    """The summary table of an annotation run, its notes (a resume of a run that had finished says
    so), and where its rejects are."""
    console.print(summary_table(summary))
    for note in summary.notes:
        console.print(note, emoji=False, markup=False)
    if summary.rejected:
        console.print(f"[yellow]{summary.rejected} reject(s)[/yellow]: see {escape(summary.rejects)} (each names "
                      "the image, the stage at fault and why)")


def _identity(path: Path) -> tuple[int, int, int] | None:
    """A file's inode, size and modification time (None: no file): whether a run wrote it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


@contextmanager
def interrupted(err: Console, out: Path, rejects: Path | None = None) -> Iterator[None]:
    """Ctrl-C, or SIGTERM (which raises as Ctrl-C does in the block, `engine.interrupts`): say
    what is kept and how to go on, exit 130 or 143 (as a shell would). The images done are kept
    when the run's state is beside `out` (saved after each image, `annotate.runfile`); without
    it, no image was done, and what the run began beside `out` goes (its empty partial file and
    server-failure notes, the reject report it began: `rejects`, default rejects.jsonl beside
    `out`, when the run wrote it), and the folder it made for them: the same command starts over.
    Before, those files stayed while the message said nothing was kept (SIGTERM before that
    ended the run with no word, and Ctrl-C before the first image spoke of images kept)."""
    from veriscene.annotate.retry import notes_file
    from veriscene.annotate.runfile import run_files
    from veriscene.console import say_stopped
    from veriscene.engine.interrupts import annotate_stopped_message, exit_status, terminate_raises

    report = rejects if rejects is not None else out.parent / "rejects.jsonl"
    found, folder_made = _identity(report), not out.parent.exists()
    try:
        with terminate_raises():
            yield
    except KeyboardInterrupt as exc:
        partial, state = run_files(out)
        kept = state.is_file()
        if not kept:
            for begun in (partial, notes_file(out), *((report,) if _identity(report) != found else ())):
                begun.unlink(missing_ok=True)
            if folder_made and out.parent.is_dir() and not any(out.parent.iterdir()):
                out.parent.rmdir()
        say_stopped(annotate_stopped_message(str(out), exc, kept), err)
        raise typer.Exit(exit_status(exc)) from None


def usage_error(detector: Path | None, detector_model: str | None, box_format: str, base_url: str | None,
                attributes_model: str | None, relations_model: str | None) -> str | None:
    """What is wrong with `veriscene annotate`'s options taken together (exit 2), else None."""
    from veriscene.annotate.vlm_detect import BOX_FORMATS

    if (detector is None) == (detector_model is None):
        return "give one detector: --detector MODEL_DIR or --detector-model NAME"
    if box_format not in BOX_FORMATS:
        return f"unknown --box-format {box_format!r}; choose one of {', '.join(BOX_FORMATS)}"
    if (attributes_model or relations_model or detector_model) and base_url is None:
        return "--detector-model, --attributes-model and --relations-model need --base-url (the OpenAI-compatible server)"
    if base_url is not None:  # a URL no request could go to: a usage error, as in eval (exit 1 before)
        from veriscene.evaluate.adapters.base import ModelConfigError
        from veriscene.evaluate.adapters.openai_compat import chat_url

        try:
            chat_url(base_url)
        except ModelConfigError as exc:
            return str(exc)
    return None


def print_server_failures(console: Console, repairs: dict[str, int]) -> None:
    """What a run says of the images the server failed on: those it did again, those left to do."""
    from veriscene.annotate.pipeline import SERVER_FAILED, SERVER_PARTLY
    from veriscene.annotate.retry import FAILED_AGAIN, RETRIED

    retried, again = repairs.get(RETRIED, 0), repairs.get(FAILED_AGAIN, 0)
    if retried:
        console.print(f"Retried {retried} image(s) the server had failed on: {retried - again} done now, "
                      f"{again} failing again.")
    failed, partly = repairs.get(SERVER_FAILED, 0), repairs.get(SERVER_PARTLY, 0)
    if failed or partly:
        what = " and ".join([f"{failed} image(s) rejected"] * bool(failed)
                            + [f"{partly} image(s) written without some attributes or relations"] * bool(partly))
        console.print(f"[yellow]{what} because the server failed[/yellow] (requests timed out or failed after their "
                      "retries), not "
                      "because of the images: the reject report names them (reason 'the ... failed: ... gave up "
                      "after'). Once the server is well, run the same command with --resume: only these images are "
                      "sent again, and the output comes out as if they had never failed. --timeout and "
                      "--max-retries wait longer.")
