"""`veriscene split SCENES... --out DIR --ratios train=0.9,test=0.1`: held-out images (Python:
veriscene.split)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def register(app: typer.Typer) -> None:
    """Add the `split` command to `app`."""

    @app.command("split")
    def split_command(
        scenes: Annotated[list[str], typer.Argument(help="Scene graphs (veriscene JSONL, plain or compressed): "
                                                    "files, folders (their *.jsonl files, compressed or not) or "
                                                    "quoted glob patterns, read as one input, in order, as "
                                                    "generate reads them.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder receiving NAME.jsonl per split, split.json "
                                          "(inputs, seed, ratios, counts) and split_rejects.jsonl.")],
        ratios: Annotated[str, typer.Option("--ratios", help="Split names and shares, adding up to 1, e.g. "
                                            "train=0.8,val=0.1,test=0.1.")] = "train=0.9,test=0.1",
        seed: Annotated[int, typer.Option("--seed", help="Another seed draws other splits; the same seed, the "
                                          "same splits on any machine.")] = 0,
        group_by: Annotated[str | None, typer.Option(
            "--group-by", help="Keep together the scenes that share this field of their record (a dotted path, "
            "e.g. meta.label_map: the slices of one volume); records without it are split by image id, "
            "counted.")] = None,
        compress: Annotated[str, typer.Option("--compress", help="none, gz or zst (NAME.jsonl.zst).")] = "none",
    ) -> None:
        """Split scene graphs into train / validation / test files with no image (or group) in two
        of them, by a hash of each image id: run `generate` on each file for held-out benchmarks
        (Python: veriscene.split)."""
        from veriscene.commands import exit_code, fail, said_when_stopped
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.engine.run_lock import RunLockedError
        from veriscene.io.split import split

        try:  # its files are written through temporary names, removed when it is stopped (`io.split`)
            with said_when_stopped(lambda exc: unfinished_message(
                    exc, f"the split into {out} did not finish, and none of its files was written (they are "
                    "written whole, at the end)", "run the same command again (it starts over)")):
                summary = split(scenes, out, ratios=ratios, seed=seed, group_by=group_by, compress=compress)
        except (FileNotFoundError, ValueError, TypeError) as exc:  # bad data (DataError: a file cut short): 1
            fail(str(exc), exit_code(exc))
        except RunLockedError as exc:  # another split writing --out
            fail(str(exc))
        except OSError as exc:  # a broken compressed file, a full disk
            fail(str(exc), code=1)
        console = Console()
        table = Table(title=f"split into {escape(str(out))}")
        table.add_column("split")
        table.add_column("file")
        table.add_column("scenes", justify="right")
        if group_by is not None:
            table.add_column("groups", justify="right")
        total = sum(summary.scenes.values())
        for name, path in summary.files.items():
            share = f" ({summary.scenes[name] / total:.1%})" if total else ""
            row = [escape(name), escape(str(path)), f"{summary.scenes[name]}{share}"]
            if group_by is not None:
                row.append(str(summary.groups[name]))
            table.add_row(*row)
        console.print(table)
        for note in summary.notes:
            console.print(f"note: {escape(note)}", soft_wrap=True, highlight=False)
        empty = [name for name, n in summary.scenes.items() if not n]
        if empty and total:  # a benchmark split of no image: generate on it makes nothing
            console.print(f"[yellow]warning[/]: {' and '.join(escape(n) for n in empty)} "
                          f"{'holds' if len(empty) == 1 else 'hold'} no scene: {total} scene(s) were split by "
                          "a hash of their image ids, so a share holds its ratio only over many; give more scenes, "
                          "or other ratios or --seed", soft_wrap=True)
        if summary.volumes_across:  # slices of one volume are nearly the same image: a test set would leak
            console.print(f"[yellow]warning[/]: {summary.volumes_across} of {summary.volumes} medical volume(s) have "
                          "slices in more than one split (neighbouring slices are almost the same image, so a model "
                          f"tested on them has seen them): split with --group-by {escape(summary.volume_field or '')} "
                          "to keep each volume's slices in one split", soft_wrap=True)
        if summary.ungrouped:
            console.print(f"[yellow]warning[/]: {summary.ungrouped} records have no {escape(group_by or '')}: split "
                          "by their image id", soft_wrap=True)
        if summary.repeated:
            console.print(f"[yellow]warning[/]: {summary.repeated} records repeat the image id of an earlier one, e.g. "
                          f"{escape(summary.repeats[0])}: they are in one split, but `generate` reads the first scene "
                          "of an id only (the others are rejected as duplicates); data sets whose images share ids "
                          "need ids of their own (a prefix per data set) before splitting", soft_wrap=True)
        if summary.rejected:
            console.print(f"[yellow]rejected[/] {summary.rejected} lines (in {escape(str(out / 'split_rejects.jsonl'))}), "
                          "e.g.:", soft_wrap=True)
            for error in summary.errors[:5]:
                console.print(f"  {escape(error)}", soft_wrap=True, highlight=False)
            if not total:  # as convert and generate: every record rejected is a failure
                fail(f"no scene split: all {summary.rejected} lines of the input were rejected", code=1)
