"""`veriscene convert INPUT --from FORMAT --out scenes.jsonl`: annotation set -> veriscene JSONL.

Exit codes: 0 done (rejects, if any, are in the report), 1 a reject in --strict mode (or input
that cannot be read at all), 2 a missing file or an unknown format. Bad data never ends in a
traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from veriscene.errors import SceneValidationError
from veriscene.io.convert import ConvertSummary, convert
from veriscene.io.normalize import Normalizer
from veriscene.io.readers import READERS, FormatDetectionError

_SIZE = re.compile(r"^\s*(\d+)\s*[xX,]\s*(\d+)\s*$")


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    match = _SIZE.match(text)
    if not match or int(match.group(1)) <= 0 or int(match.group(2)) <= 0:
        raise typer.BadParameter(f"expected WIDTHxHEIGHT, e.g. 480x320, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def summary_table(summary: ConvertSummary) -> Table:
    table = Table(title=f"veriscene convert: {escape(summary.input)}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    how = f"auto-detected ({summary.detection_reason})" if summary.format_detected else "given"
    table.add_row("format", f"{summary.format} [dim]{escape(how)}[/dim]")
    table.add_row("scenes read", str(summary.scenes_read))
    table.add_row("scenes written", f"{summary.scenes_written} -> {escape(summary.output)}")
    table.add_row("scenes rejected", str(summary.scenes_rejected))
    for level, n in sorted(summary.rejected_by_level.items()):
        if level != "scene":
            table.add_row(f"{level}s rejected", str(n))
    table.add_row("boxes clipped", str(summary.boxes_clipped))
    for kind, n in sorted(summary.repairs.items()):
        if kind != "boxes_clipped":
            table.add_row(kind.replace("_", " "), str(n))
    table.add_row("reject report", escape(summary.rejects))
    return table


def register(app: typer.Typer) -> None:
    """Add the `convert` command to `app`."""

    @app.command("convert")
    def convert_command(
        input: Annotated[Path, typer.Argument(help="Annotation file or folder.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Output veriscene JSONL file.")],
        fmt: Annotated[str, typer.Option("--from", help=f"Input format: auto, {', '.join(READERS)}.")] = "auto",
        strict: Annotated[bool, typer.Option("--strict", help="Stop at the first rejected record (exit 1).")] = False,
        allow_pickle: Annotated[
            bool,
            typer.Option("--allow-pickle", help="Read ProVision .pkl masks (unpickling runs code: trusted files only)."),
        ] = False,
        rejects: Annotated[
            Path | None, typer.Option("--rejects", help="Reject report (default: OUT's folder/rejects.jsonl).")
        ] = None,
        image_root: Annotated[
            Path | None, typer.Option("--image-root", help="Image folder, for sizes missing from the annotation.")
        ] = None,
        image_size: Annotated[
            str | None, typer.Option("--image-size", help="Size of every image when unknown, WIDTHxHEIGHT.")
        ] = None,
        synonyms: Annotated[
            Path | None,
            typer.Option("--synonyms", help="JSON synonym map for names (or {names, attributes, predicates})."),
        ] = None,
        drop_bad_parts: Annotated[
            bool,
            typer.Option("--drop-bad-parts", help="Drop a bad object or relation instead of rejecting its whole scene."),
        ] = False,
    ) -> None:
        """Convert an annotation set (VG, GQA, COCO, CLEVR, ProVision, Open Images) to veriscene JSONL."""
        console, err = Console(), Console(stderr=True)
        options: dict[str, Any] = {
            "allow_pickle": allow_pickle,
            "image_root": image_root,
            "image_size": _parse_size(image_size),
            "drop_bad_parts": drop_bad_parts,
        }
        try:
            if synonyms is not None:
                options["normalizer"] = Normalizer.from_file(synonyms)
            summary = convert(input, out, fmt, strict=strict, rejects_path=rejects, **options)
        except FileNotFoundError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        except (KeyError, FormatDetectionError, TypeError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc.args[0] if exc.args else exc))}")
            raise typer.Exit(2) from None
        except SceneValidationError as exc:
            err.print(f"[red]rejected (--strict):[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except (ValueError, OSError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        console.print(summary_table(summary))
        if summary.rejected:
            console.print(
                f"[yellow]{summary.rejected} reject(s)[/yellow]: see {escape(summary.rejects)} "
                "(file, record, field, reason)"
            )
