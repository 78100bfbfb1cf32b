"""`veriscene publish FOLDER REPO_ID`: a dataset card and its data uploaded to the Hugging Face Hub."""

from __future__ import annotations

from typing import Annotated, Optional

import typer


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
    ) -> None:
        """Upload a folder holding a dataset card and its data to a Hugging Face Hub dataset repository,
        after checking that `datasets.load_dataset` would read it: the card is there, each split of its
        configs matches files, no `save_to_disk` state.json at the top (Python: veriscene.publish.publish)."""
        from veriscene.commands import fail
        from veriscene.publish import HubError, publish

        try:
            result = publish(folder, repo_id, private=private, token_env=token_env, message=message, dry_run=dry_run)
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc))
        except HubError as exc:
            fail(str(exc), code=1)
        size = f"{len(result.files)} files, {result.size / 1e6:,.1f} MB"
        if dry_run:
            typer.echo(f"would publish {size} to {result.url} (dry run: nothing sent):")
            for name in result.files:
                typer.echo(f"  {name}")
            return
        typer.echo(f"published {size} to {result.url}")
        typer.echo(f'load it with: datasets.load_dataset("{result.repo_id}")')
