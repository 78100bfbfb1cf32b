"""`veriscene view RUN`: browse a run in a web browser (Python: veriscene.viewer.view), or write
chosen samples to one self-contained HTML file with `--html` (veriscene.viewer.write_html)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape


def register(app: typer.Typer) -> None:
    @app.command("view")
    def view_command(
        run: str = typer.Argument(..., help="Run folder (one still generating too: its shards "
                                  "are shown as they finish), a samples file with --scenes, or a scenes file (or a "
                                  "folder of them) alone: its scene graphs, before generating. A finished run or a "
                                  "file may be given by URL (s3://...): read through a local copy."),
        scenes: Optional[str] = typer.Option(None, "--scenes", help="Scenes file, or a folder or quoted glob "
                                              "pattern of them (default: those the run's manifest names)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 exposes the run's "
                                 "files to the network)."),
        port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port, 0 to 65535 (0: any free port)."),
        limit: int = typer.Option(20_000, "--limit", min=0, help="Read the first N samples of the run (0: all)."),
        html: Optional[str] = typer.Option(None, "--html", metavar="<path>", help="Write one self-contained HTML file of samples "
                                            "instead of serving."),
        count: int = typer.Option(100, "--count", min=1, help="With --html: samples on the page."),
        task: str = typer.Option("", "--task", help="Only this generator, or the generators a quoted glob matches "
                                                        "(object.count.v1, 'object.*'): with --html, the samples "
                                                        "written; served, the list whose address is printed."),
        family: str = typer.Option("", "--family", help="Only this family, or those a quoted glob matches "
                                                        "(counting, 'multi_*') (as --task)."),
        mode: str = typer.Option("", "--mode", help="Only this mode: qa, mc, caption (as --task)."),
        image: str = typer.Option("", "--image", help="Only samples showing this image id (as --task)."),
        text: str = typer.Option("", "--text", help="Only questions containing these words (as --task)."),
        results: Optional[Path] = typer.Option(None, "--results", help="A `veriscene eval` output folder: show each "
                                               "sample's reply and score, filter by outcome."),
        outcome: str = typer.Option("", "--outcome", help="With --results: only correct, wrong, "
                                    "parse_failed, incorrect (wrong or parse_failed), not_scored, error or unanswered "
                                    "samples (as --task)."),
        freeform: Optional[Path] = typer.Option(None, "--freeform", help="With --results: the free-form replies' "
                                                "scores from this file (`veriscene score-freeform ... --out FILE`) "
                                                "instead of the eval folder's freeform.jsonl."),
        sort: str = typer.Option("", "--sort", help="With --results: only free-form replies, by helpfulness or "
                                 "truthfulness, lowest first (as --task)."),
        max_helpfulness: Optional[float] = typer.Option(None, "--max-helpfulness", min=0.0, max=1.0,
                                                        help="With --results: only free-form replies of at most "
                                                        "this helpfulness, 0 to 1 (as --task)."),
        max_truthfulness: Optional[float] = typer.Option(None, "--max-truthfulness", min=0.0, max=1.0,
                                                         help="With --results: only free-form replies of at most "
                                                         "this truthfulness, 0 to 1 (as --task)."),
    ) -> None:
        """Browse a run: each sample's images with the objects its program touches, the question,
        options and answer, and the program step by step with each step's value, checked against
        the stored answer; each scene graph's boxes, masks, attributes and relations; with
        --results, a model's replies and scores from `veriscene eval` (Python:
        veriscene.viewer.view, veriscene.viewer.write_html)."""
        from veriscene.console import console, err_console
        from veriscene.commands import exit_code, local_input, said_when_stopped
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.viewer import Catalog, Filters, view, write_html
        from veriscene.viewer.filter_names import filter_error
        from veriscene.viewer.listing import listing_href

        run = str(local_input(run))
        needing = [name for name, given in (("--outcome", outcome), ("--freeform", freeform), ("--sort", sort),
                                             ("--max-helpfulness", max_helpfulness is not None),
                                             ("--max-truthfulness", max_truthfulness is not None)) if given]
        if needing and results is None:
            raise typer.BadParameter(f"{', '.join(needing)} {'needs' if len(needing) == 1 else 'need'} --results "
                                     "(a veriscene eval output folder)")
        try:
            chosen = Filters(task=task, family=family, mode=mode, image=image, text=text, outcome=outcome,
                             sort=sort, max_helpfulness=max_helpfulness, max_truthfulness=max_truthfulness)
            if html is not None:  # (served, Ctrl-C is how the viewer is stopped: quietly, below)
                with said_when_stopped(lambda exc: unfinished_message(
                        exc, f"the page was not written to {html} (it is written once every sample is drawn)",
                        "run the same command again to write it (it starts over)")):
                    summary = write_html(run, html, scenes, count=count, limit=limit, results=results,
                                         filters=chosen, freeform=freeform)
                console.print(f"wrote {summary.samples_written} of {summary.samples_matching} matching samples to "
                              f"{summary.out}", markup=False)
                if summary.samples_matching == 0 and chosen.by_score and not summary.freeform_scores:
                    console.print("[yellow]no free-form scores were read: `veriscene eval` writes freeform.jsonl "
                                  "once it finishes (not with --freeform off); `score-freeform --out FILE` "
                                  "writes others, to give with --freeform FILE[/yellow]")
                elif summary.samples_matching == 0 and not chosen.empty:
                    console.print("[yellow]no sample matches the filters given: `veriscene stats RUN` lists the run's "
                                  "tasks, families and modes[/yellow]")
                if summary.missing_images:
                    console.print(f"[yellow]{summary.missing_images} image(s) without a readable file, drawn as a "
                                  "grey canvas[/yellow]")
                if summary.results_note:
                    console.print(f"[yellow]{escape(summary.results_note)}[/yellow]", soft_wrap=True)
                if summary.unreadable_lines:
                    console.print(f"[yellow]{summary.unreadable_lines} unreadable sample line(s) left out[/yellow]")
                return

            # served, the filters given open the list they keep (its address is printed)
            def ready(url: str, catalog: Catalog) -> None:
                unknown = filter_error(catalog, chosen)  # as the server answers such a query
                if unknown is not None:  # a misspelt family or task: stop before serving (view closes the server)
                    raise ValueError(unknown)
                more = " (the first; raise --limit)" if catalog.truncated else ""
                what = (f"{len(catalog.scene_rows):,} scenes" if catalog.scene_rows is not None
                        else f"{len(catalog.entries):,} samples")
                console.print(f"serving {what}{more} of {escape(run)} at [bold]{escape(url)}[/bold] (Ctrl-C to stop)")
                if catalog.results_note():
                    console.print(f"[yellow]{escape(catalog.results_note())}[/yellow]", soft_wrap=True)
                if chosen.by_score and not catalog.freeform:
                    console.print("[yellow]no free-form scores read yet: `veriscene eval` writes freeform.jsonl "
                                  "once it finishes (not with --freeform off)[/yellow]")
                if not chosen.empty:
                    kept = len(catalog.select(chosen)) if catalog.scene_rows is None else 0
                    console.print(f"{kept:,} samples match the filters given: [bold]{escape(url.rstrip('/'))}"
                                  f"{escape(listing_href(chosen))}[/bold]", soft_wrap=True)

            view(run, scenes, host=host, port=port, limit=limit, results=results, freeform=freeform,
                 on_ready=ready)
        except (FileNotFoundError, ValueError) as exc:
            err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)  # a path whole, to copy
            raise typer.Exit(exit_code(exc))  # bad data (DataError): 1, as the README says
        except IsADirectoryError as exc:  # --html naming a folder (`pages/` too), before the samples are read
            err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2)
        except OSError as exc:  # e.g. the port is taken
            where = f"cannot write {html}" if html is not None else f"cannot serve on {host}:{port}"
            err_console.print(f"[red]error:[/] {escape(where)}: {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2)
