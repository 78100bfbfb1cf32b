"""`veriscene stats DIR`: counts, answer distributions, question lengths and balance of a run,
how much the question text alone, or the options alone, tell of the answer, as tables and as a PNG chart
(DIR/stats.png); `--json` prints the report as JSON instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from rich.console import Console

TELLING_POINTS = 10  # text-only above a constant guess by more than this many points is reported


def print_report(report_dict: dict[str, Any], chart: Path | None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    table = Table(title=f"{report_dict['samples']} samples")
    for col in ("task", "family", "samples", "top answers", "max share", "entropy (bits)", "yes",
                "text only (constant)", "options alone (chance)"):
        table.add_column(col)
    for r in report_dict["tasks"]:
        top = ", ".join(f"{a[:24]} {n}" for a, n in r["top_answers"][:3])
        table.add_row(  # answers as written: "[x0, y0, x1, y1]" or "[red]" is no markup
            escape(r["task"]), escape(r["family"]), str(r["samples"]), escape(top) or "-",
            "-" if r["max_share"] is None else f"{r['max_share']:.0%}",
            "-" if r["entropy_bits"] is None else f"{r['entropy_bits']:.2f}",
            "-" if r["yes_share"] is None else f"{r['yes_share']:.0%}",
            "-" if r["text_only"] is None else f"{r['text_only']:.0%} ({r['majority']:.0%})",
            "-" if r["options_alone"] is None else f"{r['options_alone']:.0%} ({r['options_chance']:.0%})",
        )
    console.print(table)
    telling = [f"{r['task']} {r['text_only']:.0%} against {r['majority']:.0%}" for r in report_dict["tasks"]
               if r["text_only"] is not None and r["text_only"] - r["majority"] > TELLING_POINTS / 100]
    console.print("text only: the share of question-answer samples a guess from the question text alone gets "
                  "right (the commonest answer of the other samples asking the same), against a constant guess")
    if telling:
        console.print(f"[yellow]question text tells the answer more than {TELLING_POINTS} points above a constant "
                      f"guess (a choice listed in it, or a prior of the data):[/yellow] {escape('; '.join(telling))}")
    print_options(console, report_dict["tasks"])
    families = ", ".join(f"{k} {v}" for k, v in report_dict["families"].items())
    modes = ", ".join(f"{k} {v}" for k, v in report_dict["modes"].items())
    words = report_dict["question_words"]
    console.print(f"families: {escape(families)}")
    console.print(f"modes: {escape(modes)}")
    console.print(f"question words: median {words['p50']:.0f}, 5-95% {words['p5']:.0f}-{words['p95']:.0f}, "
                  f"max {words['max']:.0f}; vocabulary {report_dict['vocabulary_size']} words")
    if report_dict["yes_share"] is not None:
        console.print(f"yes/no: {report_dict['yes_share']:.1%} yes")
    for n, entry in report_dict["mc_letters"].items():
        counts = ", ".join(f"{k} {v}" for k, v in entry["counts"].items())
        console.print(f"multiple choice, {n} options: {escape(counts)} (max deviation {entry['max_deviation_points']:.1f} points)")
    if report_dict["unreadable"]:  # left out of every count above
        first = report_dict.get("first_unreadable")
        console.print(f"[yellow]{report_dict['unreadable']} unreadable line(s) left out[/yellow]"
                      + (f" (first: {escape(first)})" if first else ""), soft_wrap=True)
    if chart is not None:
        console.print(f"chart: {chart}", markup=False)


def print_options(console: "Console", rows: list[dict[str, Any]]) -> None:
    """The options-alone note, and the tasks whose options tell the answer, with their telling options."""
    from rich.markup import escape

    from veriscene.stats_options import TELLING_OFFERED, options_tell, telling_text

    console.print("options alone: the share of multiple-choice samples a guess from the option texts alone gets "
                  "right (the option most often right when offered, cross-fitted over two halves), against chance")
    telling = [r for r in rows if options_tell(r, TELLING_POINTS)]
    if telling:
        console.print(f"[yellow]options tell the answer more than {TELLING_POINTS} points above chance (tasks of at "
                      f"least {TELLING_OFFERED} multiple-choice samples):[/yellow]")
    for r in telling:
        said = "; ".join(telling_text(t) for t in r["options_telling"])
        console.print(f"  {escape(r['task'])} {r['options_alone']:.0%} against {r['options_chance']:.0%}"
                      + (f" ({escape(said)})" if said else ""), soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the `stats` command to `app`."""

    @app.command("stats")
    def stats_command(
        run: Annotated[str, typer.Argument(help="Run folder holding samples.jsonl (or a samples .jsonl file), or its URL (s3://bucket/run: read through a local copy).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        chart: Annotated[Optional[bool], typer.Option(
            "--chart/--no-chart", show_default=False,
            help="Write stats.png into the run folder (Python: veriscene.stats.write_chart). Default: "
                 "when matplotlib is installed (the `stats` extra); --chart without it exits 2.")] = None,
        workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Local processes reading the samples, "
                                             "each 32 MiB of them or a shard file at a time (the same report).")] = 1,
    ) -> None:
        """Counts per task, family and mode, answer distributions, question length and vocabulary,
        yes/no and multiple-choice balance, and per task how often a guess from the question text
        alone, or from a multiple choice's options alone, is right (Python: veriscene.stats.stats)."""
        from veriscene.commands import fail, local_input, no_samples_read, said_when_stopped
        from veriscene.console import progress_bar
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.engine.runfiles import sample_count
        from veriscene.stats import stats, write_chart

        if chart:  # asked for by name: refused before any reading when it cannot be drawn
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                from veriscene.errors import MissingExtra

                fail(str(MissingExtra("the stats chart (--chart)", "stats", "matplotlib")))
        path = local_input(run)
        try:
            with said_when_stopped(lambda exc: unfinished_message(
                    exc, f"the statistics of {run} did not finish, and nothing was written (the chart is drawn last)",
                    "run the same command again (it starts over)")), \
                    progress_bar("reading", sample_count(path)) as advance:
                report = stats(path, progress=advance, workers=workers)
        except FileNotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except ValueError as exc:  # a shard file damaged or cut short
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        data = report.to_dict()
        if report.first_unreadable:  # "FILE, line N: reason"
            data["first_unreadable"] = report.first_unreadable
        if not data["samples"] and data["unreadable"]:  # (was: empty tables, a chart of nothing, exit 0)
            fail(no_samples_read(run, path, data["unreadable"], report.first_unreadable), 1)
        png = None
        if chart is not False:
            folder = path if path.is_dir() else path.parent
            try:
                png = write_chart(report, folder / "stats.png")
            except ImportError as exc:  # by default: the report is still printed; only the chart is left out
                typer.echo(f"chart skipped: {exc} (or leave the chart out: --no-chart)", err=True)
        if as_json:
            typer.echo(json.dumps(data, indent=2))
        else:
            print_report(data, png)
