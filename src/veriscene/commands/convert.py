"""`veriscene convert INPUT --from FORMAT --out scenes.jsonl`: annotation set -> veriscene JSONL.

Exit codes: 0 done (rejects, if any, are in the report), 1 a reject in --strict mode, input
that cannot be read at all, or no scene converted while something was rejected (a truncated
file, every record refused: `ConvertSummary.nothing_converted`), 2 a missing file, an unknown format, or a
reader option (-r) unknown to the format or of a value its reader does not take (`ReaderOptionError`), 130
Ctrl-C and 143 SIGTERM (said; the scene file and the reject report are left as they were: `interrupted`).
Bad data never ends in a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from veriscene.commands.reader_help import FORMATS, READER_OPTION_HELP

if TYPE_CHECKING:
    from veriscene.io.convert import ConvertSummary

# The readers, the engine and numpy are imported by the functions that use them, not here: this
# module is imported at every `veriscene` start, for its command's help.

_SIZE = re.compile(r"^\s*(\d+)\s*[xX,]\s*(\d+)\s*$")


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    match = _SIZE.match(text)
    if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise typer.BadParameter(f"expected WIDTHxHEIGHT, e.g. 480x320, got {text!r}")
    return int(match.group(1)), int(match.group(2))


# "1" and "0" stay text here: a number to `-r axis=0`, true or false to an option that is one
# (`veriscene.io.readers._fit_options` turns them into bools where the reader takes one)
_TRUE, _FALSE = ("true", "yes", "on"), ("false", "no", "off")




def parse_reader_options(pairs: list[str] | None) -> dict[str, Any]:
    """`KEY=VALUE` texts of the command line -> reader options (`veriscene.io.readers.read`):
    true/false (yes/no, on/off) become booleans, `image_size` WxH a pair, `synonyms` a Normalizer
    read from the file; other values stay text (paths, names; 1 and 0 too, numbers to `axis` or
    `step`, true and false to an option that is one). A malformed pair or a repeated key raises
    typer.BadParameter."""
    from veriscene.engine.fetch import fetch_file
    from veriscene.engine.remote import is_url
    from veriscene.io.normalize import Normalizer

    options: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--reader-option")
        if key in options:
            raise typer.BadParameter(f"{key!r} is given twice", param_hint="--reader-option")
        value = value.strip()
        if key == "image_size":
            options[key] = _parse_size(value)
        elif key == "synonyms":
            options["normalizer"] = Normalizer.from_file(fetch_file(value) if is_url(value) else value)
        elif value.lower() in _TRUE:
            options[key] = True
        elif value.lower() in _FALSE:
            options[key] = False
        else:
            options[key] = value
    return options


def check_reader_options(options: dict[str, Any], fmt: str, path: Path) -> None:
    """Refuse a command-line reader option that format `fmt` (detected from `path` for "auto")
    does not take, even set to false: a misspelt `-r mask=false` must not pass unnoticed."""
    if not options:
        return
    from veriscene.io.readers import COMMON_OPTIONS, detect_format, meant, reader_options, resolve_format
    from veriscene.scene.unpack import to_unpack, unpacked

    name = detect_format(unpacked(path) if to_unpack(path, fmt) else path) if fmt == "auto" else resolve_format(fmt)
    known = {*reader_options(name), *COMMON_OPTIONS, "synonyms"} - {"report", "strict", "normalizer"}
    for key in options:
        if key != "normalizer" and key not in known:
            raise typer.BadParameter(f"{key!r} is not an option of the {name} reader (it takes: "
                                     f"{', '.join(sorted(known))}){meant(key, known)}", param_hint="--reader-option")


def summary_table(summary: ConvertSummary, command: str = "convert") -> Table:
    table = Table(title=f"veriscene {command}: {escape(summary.input)}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    how = f"auto-detected ({summary.detection_reason})" if summary.format_detected else "given"
    table.add_row("format", f"{escape(summary.format)} [dim]{escape(how)}[/dim]")
    table.add_row("scenes read", str(summary.scenes_read))
    table.add_row("scenes written", f"{summary.scenes_written} -> {escape(summary.output)}")
    add_contents(table, summary)
    table.add_row("scenes rejected", str(summary.scenes_rejected))
    for level, n in sorted(summary.rejected_by_level.items()):
        if level != "scene":
            table.add_row(escape(f"{level}s rejected"), str(n))
    table.add_row("boxes clipped", str(summary.boxes_clipped))
    for kind, n in sorted(summary.repairs.items()):
        if kind != "boxes_clipped":
            table.add_row(escape(kind.replace("_", " ")), str(n))
    if summary.sparse:
        how = "; -r sparse=false takes them as complete" if command == "convert" else ""
        table.add_row("sparse annotations", f"{escape(', '.join(summary.sparse))} [dim](one not annotated may hold: "
                      f"programs never take it for absent{how})[/dim]")
    table.add_row("reject report", escape(summary.rejects))
    return table


def add_contents(table: Table, summary: ConvertSummary) -> None:
    """The rows of what the scenes written hold: objects and relations, and the objects with a
    mask and the scenes naming a depth map when there are any."""
    table.add_row("objects written", str(summary.objects_written))
    table.add_row("relations written", str(summary.relations_written))
    for what, n in (("objects with a mask", summary.masks_written), ("depth maps named", summary.depth_maps_written)):
        if n:
            table.add_row(what, str(n))


@contextmanager
def exit_codes(err: Console, usage: tuple[type[BaseException], ...] = (),
               failures: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Errors of a command that reads inputs, as messages and exit codes: 2 for a missing file, a
    reader option's bad value (`ReaderOptionError`), a package the input or an option needs not
    installed (`MissingExtra`, an ImportError), an output another run is writing (`RunLockedError`)
    or an error of `usage`, 1 for a reject in strict mode or an input that cannot be read (or an error
    of `failures`). Bad data never ends in a traceback."""
    from veriscene.engine.run_lock import RunLockedError
    from veriscene.errors import ReaderOptionError, SceneValidationError

    # typed locals: mypy refuses a star-unpacked tuple of exception classes in an except clause
    usage_errors: tuple[type[BaseException], ...] = (FileNotFoundError, ReaderOptionError, ImportError,
                                                     RunLockedError, *usage)
    failure_errors: tuple[type[BaseException], ...] = (ValueError, OSError, *failures)
    try:
        yield
    except usage_errors as exc:
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        err.print(f"[red]error:[/red] {escape(str(text))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except SceneValidationError as exc:
        err.print(f"[red]rejected (--strict):[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None
    except failure_errors as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def interrupted(err: Console, out: str | Path) -> Iterator[None]:
    """Ctrl-C or SIGTERM (which raises as Ctrl-C does in the block, `engine.interrupts`): say so
    and that nothing was written, exit 130 or 143. The scene file is written through a temporary
    name removed as the interrupt goes by (SIGTERM used to end the process with no word, and
    leave that file, up to the size of the scene file, hidden beside it)."""
    from veriscene.console import say_stopped
    from veriscene.engine.interrupts import exit_status, nothing_written_message, terminate_raises

    try:
        with terminate_raises():
            yield
    except KeyboardInterrupt as exc:
        say_stopped(nothing_written_message(str(out), exc), err)
        raise typer.Exit(exit_status(exc)) from None


def print_summary(console: Console, summary: ConvertSummary, command: str = "convert") -> None:
    """The summary table of a conversion (or annotation), and where its rejects are."""
    console.print(summary_table(summary, command))
    for warning in summary.warnings:
        console.print(f"[yellow]warning[/yellow]: {escape(warning)}", soft_wrap=True)
    for fault in summary.file_faults:
        console.print(f"[yellow]file rejected[/yellow]: {escape(fault)}", soft_wrap=True)
    if summary.rejected:
        console.print(f"[yellow]{summary.rejected} reject(s)[/yellow]: see {escape(summary.rejects)} "
                      "(file, record, field, reason)", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `convert` command to `app`."""

    @app.command("convert")
    def convert_command(
        input: Annotated[str, typer.Argument(help="Annotation file or folder (JSON and CSV files may be compressed: .gz, .zst, .bz2, .xz, or a zip of one file; one file of a zip of several is named past the archive: sceneGraphs.zip/val_sceneGraphs.json), or its URL (s3://bucket/instances.json, s3://bucket/labelsTr/: read through a local copy, as are files and folders -r options name by URL).")],
        out: Annotated[str, typer.Option("--out", "-o", metavar="<path>", help="Output veriscene JSONL file (compressed when named .gz, .zst, .bz2 or .xz).")],
        from_format: Annotated[str, typer.Option("--from", help=f"Input format: auto, {', '.join(FORMATS)}.")] = "auto",
        strict: Annotated[bool, typer.Option("--strict", help="Stop at the first rejected record (exit 1).")] = False,
        allow_pickle: Annotated[
            bool,
            typer.Option("--allow-pickle", help="Read ProVision .pkl masks (unpickling runs code: trusted files only)."),
        ] = False,
        rejects: Annotated[
            str | None, typer.Option("--rejects", metavar="<path>", help="Reject report (default: OUT's folder/rejects.jsonl).")
        ] = None,
        image_root: Annotated[
            str | None, typer.Option("--image-root", help="The folder the annotation names its images in (or its URL, "
                                     "s3://bucket/val2017): scene image paths are written to point there (relative to "
                                     "the output's folder), and sizes missing from the annotation are read from the "
                                     "image headers (not at a URL).")
        ] = None,
        image_size: Annotated[
            str | None, typer.Option("--image-size", help="Size of every image when unknown, WIDTHxHEIGHT.")
        ] = None,
        synonyms: Annotated[
            str | None,
            typer.Option("--synonyms", help="JSON synonym map for names (or {names, attributes, predicates}), or its URL."),
        ] = None,
        drop_bad_parts: Annotated[
            bool,
            typer.Option("--drop-bad-parts", help="Drop a bad object or relation instead of rejecting its whole scene."),
        ] = False,
        reader_option: Annotated[
            list[str] | None, typer.Option("--reader-option", "-r", metavar="KEY=VALUE", help=READER_OPTION_HELP)
        ] = None,
    ) -> None:
        """Convert an annotation set (VG, GQA, COCO, CLEVR, ProVision, Open Images, medical label maps, DICOM SEG and RTSTRUCT) to veriscene JSONL
        (Python: veriscene.io.convert.convert)."""
        from veriscene.console import download_progress
        from veriscene.engine.fetch import fetch_file, fetch_input, fetch_options
        from veriscene.engine.remote import RemoteError, is_url
        from veriscene.io.convert import convert
        from veriscene.io.normalize import Normalizer
        from veriscene.io.readers import FormatDetectionError
        from veriscene.io.writers.files import OutputError

        console, err = Console(), Console(stderr=True)
        options: dict[str, Any] = {
            "allow_pickle": allow_pickle,
            "image_root": image_root,
            "image_size": _parse_size(image_size),
            "drop_bad_parts": drop_bad_parts,
        }
        with interrupted(err, out), exit_codes(err, usage=(KeyError, FormatDetectionError, TypeError,
                                                           IsADirectoryError, OutputError), failures=(RemoteError,)):
            given = parse_reader_options(reader_option)
            with download_progress() as shown:  # downloaded once, here, with a bar; `convert` finds the copies
                local = fetch_input(input, progress=shown) if is_url(input) else Path(input)
                fetch_options(given, progress=shown)
            check_reader_options(given, from_format, local)
            for key, value in given.items():
                if options.get(key) not in (None, False):
                    raise typer.BadParameter(f"{key!r} is given both as an option and with --reader-option")
                options[key] = value
            if synonyms is not None:
                if "normalizer" in options:
                    raise typer.BadParameter("synonyms are given both with --synonyms and with --reader-option")
                options["normalizer"] = Normalizer.from_file(fetch_file(synonyms) if is_url(synonyms) else synonyms)
            summary = convert(input, out, from_format, strict=strict, rejects=rejects, **options)
        print_summary(console, summary)
        if summary.nothing_converted is not None:
            err.print(f"[red]error:[/red] {escape(summary.nothing_converted)}", soft_wrap=True)
            raise typer.Exit(1)
