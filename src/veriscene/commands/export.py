"""`veriscene export RUN_DIR --to FORMAT --out PATH`: a generation run to a trainer's format."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # the writers are imported by the command when it runs, not at every `veriscene` start
    from veriscene.io.writers.common import ExportSummary

FORMATS = ("llava", "sharegpt", "parquet", "hf", "trl", "verl", "jsonl", "lmms_eval")
NO_TEXT_TARGETS = ("verl", "lmms_eval")  # targets scored by program (rewards, lmms-eval): no --mc-style
CONVERSATION_FORMATS = ("llava", "sharegpt", "trl")  # formats whose records are conversations: --turns


def default_out(run_dir: Path, fmt: str) -> Path:
    """RUN_DIR/export/<fmt>: a folder that receives the format's default file name (as
    `veriscene.export` without `out`: `io.export.default_out`)."""
    base = run_dir.parent if run_dir.is_file() else run_dir
    return base / "export" / fmt


def print_summary(summary: ExportSummary, console: Console, checked: bool = False) -> None:
    table = Table(title=f"export to {escape(summary.format)}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_row("written", escape("\n".join(str(f) for f in summary.files)) or "-")
    table.add_row("samples", str(summary.samples_written))
    if summary.conversations is not None:
        table.add_row("conversations", str(summary.conversations))
    table.add_row("skipped", str(summary.samples_skipped))
    if summary.samples_expected is not None:
        table.add_row("run's manifest", f"{summary.samples_expected} samples")
    root = summary.image_root
    table.add_row("image root", escape(str(root)) if root is not None else "- (absolute paths)")
    table.add_row("image references", str(summary.images_referenced))
    if summary.images_embedded:
        table.add_row("images embedded", str(summary.images_embedded))
    table.add_row("images missing", str(summary.images_missing))
    if summary.images_at_urls:
        how = ("their bytes read from the store" if summary.images_embedded else
               f"written as they are; {summary.images_checked} found in the store" if checked else
               "written as they are, not checked: --check-urls asks the store")
        table.add_row("images at URLs", f"{summary.images_at_urls} ({how})")
    console.print(table)
    print_notes(summary, console)
    hint = _VOCABULARY_USE.get(summary.format)
    if summary.vocabulary_file is not None and hint:
        path = summary.vocabulary_file
        path = path if isinstance(path, str) else path.resolve()  # a trainer runs from another folder
        console.print(f"the run's words score replies: {escape(hint.format(path=path))}", soft_wrap=True,
                      highlight=False)


# how each scored export's reader gives the run's vocabulary to veriscene's scoring
_VOCABULARY_USE = {
    "trl": "make_accuracy_reward(vocabulary_file='{path}')",
    "verl": "custom_reward_function.reward_kwargs.vocabulary_file={path}",
    "lmms_eval": "the task's utils.py reads {path}",
}


def print_notes(summary: ExportSummary, console: Console) -> None:
    """What an export wrote but should be looked at, under its table (`veriscene export`) or its
    one line (`veriscene generate --to`): warnings, the skipped samples listed and how many more,
    the missing images."""
    for warning in summary.warnings:
        console.print(f"[bold red]warning[/bold red]: {escape(warning)}", soft_wrap=True)
    for reason in summary.errors:
        console.print(f"[yellow]skipped[/yellow] {escape(reason)}", soft_wrap=True)
    unlisted = summary.samples_skipped - len(summary.errors)
    if summary.errors and unlisted > 0:  # the summary lists the first MAX_LISTED reasons only
        console.print(f"[yellow]skipped[/yellow] ... and {unlisted} more sample(s)")
    if summary.images_missing:
        console.print(
            f"[yellow]warning[/yellow]: {summary.images_missing} referenced image(s) not found "
            f"(the export was written; paths point where the images are expected), e.g.:"
        )
        for path in summary.missing_examples:
            console.print(f"  {escape(path)}", soft_wrap=True, highlight=False)  # a path whole, to copy
        if summary.images_missing > len(summary.missing_examples):
            console.print(f"  ... and {summary.images_missing - len(summary.missing_examples)} more")


def register(app: typer.Typer) -> None:
    """Add the `export` command to `app`."""

    @app.command("export")
    def export_command(
        run_dir: Annotated[
            str,
            typer.Argument(help="Generation run folder holding samples.jsonl (or a .jsonl file), or its URL (s3://bucket/run: read through a local copy)."),
        ],
        to: Annotated[str, typer.Option("--to", help=f"Output format: {', '.join(FORMATS)}.")],
        out: Annotated[
            str | None,
            typer.Option(
                "--out", "-o",  # as every other command that writes takes it
                help="Output file of the format's suffix (.json: llava, sharegpt; .parquet: parquet, verl, trl; "
                ".jsonl: jsonl, trl), or a folder receiving its default file name (hf and lmms_eval: always a "
                "folder; another data suffix, e.g. --to parquet --out e.json, is refused), or its URL "
                "(s3://bucket/exports/train.parquet: written here, then uploaded; image paths absolute unless "
                "--image-root). Default: RUN_DIR/export/FORMAT.",  # ("[default: ...]" was read as rich markup, and dropped)
            ),
        ] = None,
        image_root: Annotated[
            Path | None,
            typer.Option(
                "--image-root",
                help="Write image paths relative to this folder (default: the output folder; "
                "not with --absolute-paths).",
            ),
        ] = None,
        embed_images: Annotated[
            bool,
            typer.Option("--embed-images", help="Store image bytes (parquet, trl, verl; hf and lmms_eval always do). "
                         "Without it (or --absolute-paths), parquet, trl and verl exports hold image paths relative "
                         "to the output folder, which `datasets` and verl open relative to the folder they run in: "
                         "the export warns."),
        ] = False,
        absolute_paths: Annotated[
            bool,
            typer.Option("--absolute-paths", help="Write absolute image paths instead (not with --image-root): "
                         "readers find the images from any folder, on this machine."),
        ] = False,
        check_urls: Annotated[
            bool,
            typer.Option("--check-urls", help="Without --embed-images: ask the store whether each image named by URL "
                         "exists (a metadata request per image, 16 at a time); missing ones are counted and listed."),
        ] = False,
        mc_style: Annotated[
            str | None,
            typer.Option(
                "--mc-style",
                help="Multiple-choice targets as 'letter' (B, the default) or 'letter_text' (B. red, the question "
                "then ending 'Answer with the option's letter and its text from the given choices.'); not for verl "
                "and lmms_eval, whose targets are scored by program.",
            ),
        ] = None,
        instructions: Annotated[
            bool,
            typer.Option("--instructions", help="Add to each question the answer-format instruction `veriscene eval` "
                         "sends with it ('Answer with a single number.'; --prompts FILE sets them): a model trained "
                         "on short answers then keeps long ones for other prompts, and is trained as it is "
                         "evaluated. llava, sharegpt, parquet, hf, trl, verl."),
        ] = False,
        turns: Annotated[
            int,
            typer.Option("--turns", min=1, help="llava, sharegpt, trl: up to N questions about the same image(s) in "
                         "one conversation, the image shown in its first question only (default 1: a conversation per "
                         "sample). Questions of one scene are taken in sample id order, a fact (its qa and mc forms) "
                         "at most once per conversation, captions last. trl with N > 1 writes SFTTrainer's "
                         "`messages` records, a ground truth per turn."),
        ] = 1,
        reasoning: Annotated[
            bool,
            typer.Option("--reasoning", help="Chain-of-thought targets: each sample's rationale, computed from its "
                         "program on the scene graph (the objects found with their boxes, counts, values), in "
                         "<think>...</think>, then <answer>...</answer>. llava, sharegpt, parquet, hf, trl."),
        ] = False,
        scenes: Annotated[
            list[Path] | None,
            typer.Option("--scenes", help="With --reasoning: the scene graphs the rationales are computed from "
                         "(default: those the run's manifest names); repeatable."),
        ] = None,
        allow_incomplete: Annotated[
            bool,
            typer.Option("--allow-incomplete", help="Export a finished run whose sample files hold another number of "
                         "samples than its manifest records (cut short, added to), with a warning; without it, "
                         "such an export stops and writes nothing (`veriscene verify RUN` tells what differs)."),
        ] = False,
        task_name: Annotated[
            str | None,
            typer.Option("--task-name", help="lmms_eval: the group task's name, letters, digits and _ (subtasks "
                         "are NAME_<family>; default veriscene)."),
        ] = None,
        split_by: Annotated[
            str | None,
            typer.Option("--split-by", help="lmms_eval: one subtask per 'family' (the default) or per 'task' "
                         "(generator)."),
        ] = None,
        max_new_tokens: Annotated[
            int | None,
            typer.Option("--max-new-tokens", min=1, help="lmms_eval: the tasks' generation limit (default 128, or 512 "
                         "with prompts that ask for reasoning, such as --prompts reasoning: eval --max-tokens' "
                         "default)."),
        ] = None,
        split: Annotated[
            str | None,
            typer.Option("--split", help="hf: the split the run is in the exported DatasetDict folder, OUT/SPLIT/ "
                         "(default train); the folder's other splits are kept, so a train and a test run export "
                         "into one folder. verl: the split each row's extra_info names (default train; test for "
                         "a data.val_files export)."),
        ] = None,
        system: Annotated[
            str | None,
            typer.Option("--system", help="A system message that opens every record (sharegpt, trl, verl), e.g. the "
                         "reasoning instruction of an R1-style recipe; the other formats refuse it (llava takes it from its "
                         "conversation template). "
                         "Default with --instructions: the 'system' of the --prompts file, as eval sends it (another "
                         "--system is refused)."),
        ] = None,
        prompts: Annotated[
            Path | None,
            typer.Option("--prompts", help="Prompt JSON file, as `veriscene eval --prompts` takes: lmms_eval's "
                         "prompts; for other formats, the instructions --instructions adds, and its 'system' the "
                         "system message (sharegpt, trl, verl). 'reasoning': the built-in "
                         "set that also asks for <think> and <answer> (with --reasoning)."),
        ] = None,
    ) -> None:
        """Export a generation run to LLaVA, ShareGPT, Parquet, HF datasets, TRL, verl, or an
        lmms-eval task folder scored by program (Python: veriscene.io.export.export)."""
        from veriscene.commands import fail, local_input
        from veriscene.console import progress_bar
        from veriscene.engine.remote import RemoteError
        from veriscene.engine.run_lock import RunLockedError
        from veriscene.engine.runfiles import sample_count
        from veriscene.io.export import export
        from veriscene.io.writers.common import OutputError

        console = Console()
        usage = usage_error(to, out, mc_style, absolute_paths, image_root, embed_images, turns, check_urls,
                            task_name, split_by, max_new_tokens) or _instructions_error(to, instructions, prompts,
                                                                                      system)
        if usage:
            fail(usage)
        if reasoning or scenes:
            from veriscene.io.reasoning import check_reasoning_format

            if not reasoning:
                fail("--scenes is read for reasoning targets: give --reasoning too")
            try:
                check_reasoning_format(to)
            except ValueError as exc:
                fail(str(exc))
        if system is not None:
            from veriscene.io.writers import check_system_format

            try:
                check_system_format(to, system)
            except ValueError as exc:
                fail(str(exc))
        if split is not None and to not in ("hf", "verl"):  # (verl: its rows' extra_info.split, as split= gives)
            fail(f"--split names the split of an hf export's DatasetDict or of verl's rows, not of --to {to}")
        if split is not None:
            from veriscene.io.writers.hf_datasets import check_split

            try:
                check_split(split)
            except ValueError as exc:
                fail(str(exc))
        run = local_input(run_dir)
        options: dict[str, Any] = {"absolute_paths": absolute_paths, "allow_incomplete": allow_incomplete}
        if to == "lmms_eval":  # targets are scored by program, not compared as text
            options.update(task_name=task_name or "veriscene", split_by=split_by or "family", prompts=prompts,
                           max_new_tokens=max_new_tokens)
        elif to != "verl":  # verl targets are rewards, not text
            options["mc_style"] = mc_style or "letter"
        if split is not None:
            options["split"] = split
        if turns != 1:
            options["turns"] = turns
        if instructions:
            options.update(instructions=True, prompts=prompts)
        if system is not None:
            options["system"] = system
        if reasoning:
            options.update(reasoning=True, scenes=[str(f) for f in scenes] if scenes else None)
        from veriscene.engine.interrupts import (
            exit_status,
            export_stopped_message,
            terminate_raises,
        )

        target = out if out is not None else default_out(run, to)
        try:  # SIGTERM stops the export as Ctrl-C does, said below (it ended the process with no word,
            # leaving the file it was writing hidden beside --out)
            with terminate_raises(), progress_bar("exporting", sample_count(run)) as advance:
                summary = export(
                    run,
                    target,
                    to,
                    image_root=image_root,
                    embed_images=embed_images,
                    check_urls=check_urls,
                    progress=advance,
                    **options,
                )
        except (OutputError, FileNotFoundError, ImportError, RunLockedError) as exc:  # a wrong --out, no such run,
            fail(str(exc))  # a package the format needs not installed (MissingExtra), --out being written: nothing written
        except (OSError, ValueError, TypeError, RemoteError) as exc:
            fail(str(exc), code=1)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM
            from veriscene.console import say_stopped

            say_stopped(export_stopped_message(str(target), exc))
            raise typer.Exit(exit_status(exc)) from None
        print_summary(summary, console, checked=check_urls)
        if not summary.samples_written and summary.samples_skipped:  # as convert and generate: a failure
            first = f" (the first: {summary.errors[0]})" if summary.errors else ""
            fail(f"no sample exported: all {summary.samples_skipped} were skipped{first}", code=1)


def _instructions_error(to: str, instructions: bool, prompts: Path | None, system: str | None = None) -> str | None:
    """What is wrong with --instructions / --prompts (and the prompts' system message against
    --system) for format `to` (exit 2), else None."""
    from veriscene.io.export import instruction_prompts, system_from_prompts

    try:
        prompt_set = instruction_prompts(to, instructions, {"prompts": prompts} if prompts is not None else {})
        system_from_prompts(to, prompt_set, {"system": system})
    except (ValueError, OSError) as exc:
        return str(exc)  # (named as the CLI names its options: `option_names`)
    return None


def _close(given: str, known: tuple[str, ...]) -> str:
    """"; did you mean 'llava'?" for a name close to a known one, else ""."""
    import difflib

    close = difflib.get_close_matches(given, known, n=2)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _task_options_error(to: str, task_name: str | None, split_by: str | None,
                        max_new_tokens: int | None = None) -> str | None:
    """What is wrong with --task-name / --split-by / --max-new-tokens (lmms_eval's only: another
    format ignored them, exit 0, where `export(to=...)` refuses them), else None."""
    from veriscene.io.writers.lmms_eval import SPLIT_KEYS, TASK_NAME

    given = [name for name, value in (("--task-name", task_name), ("--split-by", split_by),
                                      ("--max-new-tokens", max_new_tokens)) if value is not None]
    if given and to != "lmms_eval":
        return (f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} for --to lmms_eval (its task folder's "
                f"tasks), not --to {to}")
    if split_by is not None and split_by not in SPLIT_KEYS:
        return f"unknown --split-by {split_by!r}{_close(split_by, SPLIT_KEYS)}; choose one of {', '.join(SPLIT_KEYS)}"
    if task_name is not None and not TASK_NAME.fullmatch(task_name):
        return (f"--task-name {task_name!r}: a task name is letters, digits and _, starting with a letter "
                "(lmms-eval's --tasks takes it)")
    return None


def usage_error(to: str, out: str | None, mc_style: str | None, absolute_paths: bool,
                image_root: Path | None, embed_images: bool = False, turns: int = 1,
                check_urls: bool = False, task_name: str | None = None, split_by: str | None = None,
                max_new_tokens: int | None = None) -> str | None:
    """What is wrong with the options of `veriscene export` taken together (exit 2), else None."""
    from veriscene.engine.remote import is_url
    from veriscene.io.writers import EMBEDDING_FORMATS
    from veriscene.io.writers.text import MC_STYLES

    if to not in FORMATS:  # "lava": did you mean 'llava'?, as `generate --to` and `export(to=)` say
        return f"unknown format {to!r}{_close(to, FORMATS)}; choose one of {', '.join(FORMATS)}"
    if mc_style is not None and mc_style not in MC_STYLES:
        return f"unknown --mc-style {mc_style!r}{_close(mc_style, MC_STYLES)}; choose one of {', '.join(MC_STYLES)}"
    if mc_style is not None and to in NO_TEXT_TARGETS:
        return f"--mc-style does not apply to {to}: its targets are scored by program, not compared as text"
    if embed_images and to not in EMBEDDING_FORMATS:
        return (f"--embed-images does not apply to {to}: it names images by path; formats that store image bytes: "
                f"{', '.join(EMBEDDING_FORMATS)}")
    if embed_images and to == "trl" and out is not None and out.lower().endswith(".jsonl"):
        return (f"--embed-images stores the images in a Parquet file: TRL JSONL names them by path; give --out "
                f"{out[:-len('.jsonl')]}.parquet, or leave out --embed-images")
    if embed_images and check_urls:
        return ("--check-urls is for an export without --embed-images: embedding reads every image's bytes, so a "
                "missing one is found (and counted) anyway")
    if turns != 1 and to not in CONVERSATION_FORMATS:
        return (f"--turns does not apply to {to}: its records are single questions; formats whose records are "
                f"conversations: {', '.join(CONVERSATION_FORMATS)}")
    if absolute_paths and image_root is not None:
        return "--absolute-paths and --image-root exclude each other (absolute paths are relative to no folder)"
    task_error = _task_options_error(to, task_name, split_by, max_new_tokens)
    if task_error:
        return task_error
    if to == "lmms_eval" and out is not None and is_url(out):
        return ("an lmms_eval task folder names its data files by absolute local path: export it to a local "
                "folder on the machine that runs lmms-eval, not to a URL")
    return None
