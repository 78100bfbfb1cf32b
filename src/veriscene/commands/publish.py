"""`veriscene publish FOLDER REPO_ID`: a dataset card and its data uploaded to the Hugging Face Hub."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

ONE_COMMIT = ("note: the installed huggingface_hub sends the folder in one commit, started over if interrupted; "
              "huggingface_hub 1.20 or later with hf_xet sends a large folder in several commits and resumes an "
              "interrupted upload when the command is run again (pip install -U huggingface_hub hf_xet)")


def register(app: typer.Typer) -> None:
    """Add the `publish` command to `app`."""

    @app.command("publish")
    def publish_command(
        folder: Annotated[str, typer.Argument(help="The folder to upload: the dataset card (README.md, from "
                                              "`veriscene card`) and the data files its configs name.")],
        repo_id: Annotated[str, typer.Argument(help="The Hub dataset repository, USER/NAME or ORG/NAME (created if "
                                               "need be).")],
        private: Annotated[bool, typer.Option("--private", help="Create the repository private (a repository that "
                                              "exists keeps its visibility).")] = False,
        token_env: Annotated[Optional[str], typer.Option(
            "--token-env", help="The environment variable holding a write token (default: HF_TOKEN, or the login "
            "`hf auth login` saved). The token is never printed.")] = None,
        message: Annotated[Optional[str], typer.Option("--message", "-m", help="The commit message.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the folder and the repo id and list the files "
                                              "that would go up; send nothing (no login needed).")] = False,
        revision: Annotated[Optional[str], typer.Option(
            "--revision", help="The branch to commit to, created from the default branch if need be (refs/pr/N: "
            "add to an open pull request). Default: the default branch.")] = None,
        create_pr: Annotated[bool, typer.Option("--create-pr", help="Open a pull request against the default branch "
                                                "with the upload, instead of committing to it.")] = False,
        replace: Annotated[bool, typer.Option(
            "--replace", help="Delete the repository's files the folder does not have (an earlier upload's shards), "
            "in the same commit. Without it they are kept, and publish refuses when the card's data files match "
            "some of them (load_dataset would read them with the new ones).")] = False,
    ) -> None:
        """Upload a folder holding a dataset card and its data to a Hugging Face Hub dataset repository,
        after checking that `datasets.load_dataset` would read it: the card is there, each split of its
        configs matches files, no `save_to_disk` state.json at the top (Python: veriscene.publish.publish)."""
        from veriscene.commands import fail, said_when_stopped
        from veriscene.console import err_console
        from veriscene.engine.interrupts import unfinished_message
        from veriscene.errors import MissingExtra
        from veriscene.publish import HubError, batched_upload, publish

        try:
            import huggingface_hub  # noqa: F401
        except ImportError:  # it comes with `datasets`
            fail(str(MissingExtra("publish", "hf", "huggingface_hub")))
        batched = batched_upload()
        if not batched:  # said before an upload that may take hours
            err_console.print(ONE_COMMIT, soft_wrap=True, markup=False, highlight=False)
        if dry_run:
            stopped = ("the dry run did not finish (nothing was sent)", "run the same command again")
        elif batched:  # huggingface_hub's streamed pipeline: several commits, an upload run again goes on
            stopped = (f"the upload to {repo_id} did not finish (the files it committed stay there)",
                       "run the same command again to go on (the upload resumes)")
        else:
            stopped = (f"the upload to {repo_id} did not finish (the installed huggingface_hub sends the folder in "
                       "one commit)", "run the same command again to upload it (it starts over)")
        try:
            with said_when_stopped(lambda exc: unfinished_message(exc, *stopped)):
                result = publish(folder, repo_id, private=private, token_env=token_env, message=message,
                                 dry_run=dry_run, revision=revision, create_pr=create_pr, replace=replace)
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
        except HubError as exc:
            fail(str(exc), code=1)
        size = f"{len(result.files)} files, {result.size / 1e6:,.1f} MB"
        target = f" (branch {result.revision})" if result.revision else ""
        if dry_run:
            typer.echo(f"would publish {size} to {result.url}{target} (dry run: nothing sent):")
            for name in result.files:
                typer.echo(f"  {name}")
            if replace:
                typer.echo("  and delete the repository's files not listed here (the dry run does not read them)")
            return
        if result.pr_url:
            typer.echo(f"published {size} to {result.url} in pull request {result.pr_url}")
        else:
            typer.echo(f"published {size} to {result.url}{target}")
        for verb, names in (("deleted", result.deleted), ("kept", result.kept)):
            if names:
                shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                why = ("the folder no longer has them" if verb == "deleted"
                       else "not in the folder nor read as data; --replace deletes them")
                typer.echo(f"{verb} {len(names)} files of the repository ({why}): {shown}")
        at = f', revision="{result.revision}"' if result.revision else ""
        typer.echo(f'load it with: datasets.load_dataset("{result.repo_id}"{at})')
