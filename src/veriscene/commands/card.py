"""`veriscene card RUN`: a dataset card (README.md with Hugging Face Hub front matter) for a run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from veriscene.card_data import DataFiles


def register(app: typer.Typer) -> None:
    """Add the `card` command to `app`."""

    @app.command("card")
    def card_command(
        run: Annotated[str, typer.Argument(help="Run folder holding manifest.json (or a samples .jsonl file), or its URL (s3://bucket/run: read through a local copy).")],
        out: Annotated[Optional[str], typer.Option(
            "--out", "-o", help="Where to write the card: a file, or a folder (one that exists, or a name "
            "ending in /) for FOLDER/README.md (default: RUN/README.md, or README.md beside a samples "
            "file).")] = None,
        name: Annotated[Optional[str], typer.Option(
            "--name", help="Title and pretty_name (default: the run folder's name).")] = None,
        license: Annotated[str, typer.Option("--license", help="License id for the Hub (e.g. cc-by-4.0).")] = "unknown",
        data_files: Annotated[Optional[list[str]], typer.Option("--data-files", help="Glob of the data files for "
                                                                "the Hub's configs block, relative to the card's folder "
                                                                "(e.g. data/*.parquet), or SPLIT=GLOB, repeated, one per "
                                                                "split (train=data/train.parquet --data-files "
                                                                "test=data/test.parquet). Default: the run's samples "
                                                                "files when the card goes in the run folder; each "
                                                                "split's SPLIT/*.arrow in an `export --to hf` "
                                                                "folder.")] = None,
        split_run: Annotated[Optional[list[str]], typer.Option(
            "--split-run", help="NAME=RUN, repeated: another split's run published with this card (test=runs/test); "
            "the card gains a Splits section (samples, images, how each was made, images shared: image ids both "
            "ask about, compared by file).")] = None,
        split: Annotated[str, typer.Option("--split", help="The split RUN is, beside --split-run ones.")] = "train",
        verify: Annotated[bool, typer.Option("--verify", help="Re-run every program and state the outcome "
                                      "in the card.")] = False,
        scenes: Annotated[Optional[str], typer.Option(
            "--scenes", help="With --verify: the scene file, or a folder or quoted glob pattern of them read as "
            "one input, to verify against (default: the run's, from its manifest; a samples file alone "
            "needs it).")] = None,
        workers: Annotated[int, typer.Option("--workers", min=1, help="Local processes reading the samples (the "
                                             "same card), and verifying them with --verify.")] = 1,
    ) -> None:
        """Write a dataset card for a run: Hugging Face Hub front matter, how it was made (with the
        command that makes it again), verification, contents per family and task, the fields of a
        sample and the limitations, all from the run's own files (Python: veriscene.card.write_card)."""
        from veriscene.card import NO_SCENES, card_facts, save_card
        from veriscene.card_data import parse_data_files
        from veriscene.card_splits import check_splits, image_overlap, parse_split_runs, split_facts
        from veriscene.card_text import card_data_files, render_card

        from veriscene.commands import local_input, said_when_stopped
        from veriscene.console import progress_bar
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.engine.runfiles import sample_count

        target = _card_path(out) if out is not None else None  # a wrong --out said before the samples are read
        try:
            globs = parse_data_files(data_files or [])
            others = parse_split_runs(split_run or [])
            check_splits(split, others, ("--split", "--split-run"))
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if scenes is not None and not verify:
            typer.echo("error: --scenes names the scenes to verify against: give it with --verify", err=True)
            raise typer.Exit(2)
        read = "read and verified" if verify else "read"
        stopped = (f"the card was not written (it is written once the run is {read})",
                   "run the same command again to write it (it starts over)")
        try:
            path = local_input(run)
            count = sample_count(path)
            with said_when_stopped(lambda exc: unfinished_message(exc, *stopped)), \
                    progress_bar("reading" if not verify else "reading, verifying",
                                 count * (2 if verify else 1) if count is not None else None) as advance:
                facts = card_facts(path, scenes=scenes, verify=verify, workers=workers, progress=advance)
            with said_when_stopped(lambda exc: unfinished_message(exc, *stopped)):
                splits = split_facts({k: local_input(v) for k, v in others.items()}, verify=verify, workers=workers)
        except (FileNotFoundError, ValueError) as exc:
            from veriscene.commands import exit_code

            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exit_code(exc)) from None  # bad data (DataError): 1
        if not facts.report.samples and facts.report.unreadable:
            from veriscene.commands import fail, no_samples_read

            fail(no_samples_read(run, path, facts.report.unreadable, facts.report.first_unreadable), 1)
        target = target if target is not None else facts.run_dir / "README.md"
        try:
            path = save_card(render_card(facts, name=name, license=license, data_files=globs,
                                         card_dir=target.parent, split=split, splits=splits), target)
        except OSError as exc:  # --out where no folder can be made
            typer.echo(f"error: cannot write {target}: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"wrote {path}")
        _warn_data_files(path.parent, card_data_files(facts, globs, target.parent))
        if license == "unknown" and facts.scenes is not None and facts.scenes.sources:
            typer.echo(f"warning: the scene graphs were converted from {', '.join(sorted(facts.scenes.sources))} "
                       "annotations, whose licence the card's Limitations name: give --license", err=True)
        _note_code(facts.manifest)
        for name, other in splits.items():
            shared = image_overlap(facts, other)
            if shared.leaked:
                typer.echo(f"warning: {split} and {name} share {shared.leaked:,} images ({shared.same:,} the same "
                           f"files or bytes, {shared.unknown:,} not compared): split the scene graphs with "
                           "`veriscene split` before generating", err=True)
            if shared.other:
                typer.echo(f"note: {split} and {name} share {shared.other:,} image ids of other images (their files "
                           "differ): no leak, but their sample ids may name different samples (README: Sample ids "
                           "across runs)", err=True)
        typer.echo(facts.counts_line())
        if facts.verify_error in NO_SCENES:
            typer.echo("to verify against the scenes file the samples were made from: --verify --scenes FILE", err=True)


def _note_code(manifest: dict[str, Any] | None) -> None:
    """Say, as `verify` does, when the code that made the run is not this installation's though
    the release is (the card says it beside its command that makes the run again)."""
    from veriscene import __version__
    from veriscene.engine.source_digest import code_changed, source_said

    changed = code_changed(manifest, __version__) if manifest is not None else []
    if changed:
        typer.echo(f"note: {source_said(changed)}: the card's command that makes the run again makes other samples "
                   "with this code where its generators changed", err=True)


def _card_path(out: str) -> Path:
    """Where `--out` puts the card (`veriscene.card.card_path`: OUT/README.md for a folder, else
    OUT); exits 2 when a folder on the way is a file."""
    from veriscene.card import card_path

    path = card_path(out)
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        typer.echo(f"error: --out {out}: {blocking} is a file, not a folder", err=True)
        raise typer.Exit(2)
    return path


def _warn_data_files(folder: Path, data_files: "DataFiles | None") -> None:
    """Warn of what would not load on the Hub: no configs, a split matching no file, a Parquet
    export whose images are paths without their bytes, or missing (null cells)."""
    from veriscene.card_data import images_missing, images_unstored, matched_files

    if (folder / "state.json").is_file():
        typer.echo(f"warning: {folder} is a single `save_to_disk` folder (an hf export of veriscene 0.10 or before): "
                   "load_dataset refuses it; export it again (`veriscene export --to hf` writes a split folder)", err=True)
    if not data_files:
        typer.echo("warning: no --data-files: the card has no configs block, and the Hub reads every data file "
                   "of the folder as one split", err=True)
        return
    for split, files in matched_files(folder, data_files).items():
        globs = data_files if isinstance(data_files, str) else data_files[split]
        pattern = globs if isinstance(globs, str) else ", ".join(globs)
        label = f"--data-files {pattern!r}" if isinstance(data_files, str) else f"--data-files {split}={pattern!r}"
        if not files:
            typer.echo(f"warning: {label} matches no file in {folder}: the Hub reads the pattern relative to "
                       "the card's folder (e.g. data/*.parquet, shards/*.jsonl.zst)", err=True)
        unstored = next((p for p in files if p.suffix == ".parquet" and images_unstored(p)), None)
        if unstored is not None:
            typer.echo(f"warning: {unstored.name} holds image paths without their bytes: the Hub cannot open them "
                       "(export with --embed-images)", err=True)
        missing = next((p for p in files if p.suffix == ".parquet" and images_missing(p)), None)
        if missing is not None:
            typer.echo(f"warning: {missing.name} has samples whose image is missing (a null cell: the export found no "
                       "file for it): the Hub shows no picture for them; export again where the images are "
                       "(--image-root)", err=True)
