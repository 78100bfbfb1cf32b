"""`veriscene publish FOLDER REPO_ID`: a folder holding a dataset card and its data, uploaded to a
Hugging Face Hub dataset repository, after checking that `load_dataset` would read it.

The folder is what `load_dataset(FOLDER)` reads locally and `load_dataset(REPO_ID)` reads once
pushed: its README.md (`veriscene card`) with a `configs` block whose every split's globs match
files of the folder. Checked before anything is sent (`check_folder`): the card is there, its
front matter parses, each split matches files, no `state.json` at the top (a single
`save_to_disk` folder, which `load_dataset` refuses).

The token: from the environment variable `token_env` names, else huggingface_hub's own (the
HF_TOKEN variable, or the one `hf auth login` saved). It is never printed nor put in a message.
Not logged in, a token the Hub refuses and offline mode are said as such (`HubError`); a bad
repo id or folder is a ValueError (FileNotFoundError for a missing folder), said before the Hub
is asked anything.

Where it goes: the default branch, a branch (`revision`, created from main if need be) or a new
pull request (`create_pr`). Files of the repository the folder does not have (an earlier upload's
shards) are kept, unless `replace` deletes them in the same commit (huggingface_hub's
`delete_patterns`); kept files that the card's data globs match would be read by `load_dataset`
with the new ones, so publishing refuses them without `replace`. huggingface_hub with hf_xet (its
release 1.20 and later) sends a large folder in several commits and resumes an interrupted
upload when run again (`batched_upload`); an older one sends one commit.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from veriscene.card_data import matched_files
from veriscene.errors import VerisceneError
from veriscene.option_names import option

LOGIN_HELP = "log in with `hf auth login`, or set HF_TOKEN (or the variable --token-env names) to a write token"
IGNORED = [".veriscene-*", "*/.veriscene-*"]  # temporary export folders left by an interrupted export


class HubError(VerisceneError, RuntimeError):
    """The Hub could not be used: not logged in, a refused token, offline, unreachable."""


@dataclass
class PublishResult:
    """What `publish` sent: the repository, its page, the files uploaded (relative paths, sorted)."""

    repo_id: str
    url: str
    files: list[str] = field(default_factory=list)
    size: int = 0  # bytes of `files`
    commit_url: str | None = None  # None for a dry run
    revision: str | None = None  # the branch or pull request ref written to (None: the default branch)
    pr_url: str | None = None  # the pull request `create_pr` opened
    deleted: list[str] = field(default_factory=list)  # files of the repository `replace` deleted
    kept: list[str] = field(default_factory=list)  # files of the repository not in the folder, left there
    batched: bool = True  # whether huggingface_hub sends a large folder in several commits, resumably


def read_front_matter(card: Path) -> dict[str, Any]:
    """The YAML front matter of a README.md card ({} when it has none); a ValueError names the card."""
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    head, sep, _ = text[3:].partition("\n---")
    if not sep:
        raise ValueError(f"{card}: the front matter opened by '---' is never closed")
    try:
        data = yaml.safe_load(head)
    except yaml.YAMLError as exc:
        raise ValueError(f"{card}: its front matter is not YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{card}: its front matter is not a mapping of keys")
    return data


def _split_globs(configs: Any, card: Path) -> dict[str, list[str]]:
    """{split: globs} of the default config of a card's `configs` block."""
    if not isinstance(configs, list) or not configs or not isinstance(configs[0], dict):
        raise ValueError(f"{card}: `configs` is not a list of configs")
    default = next((c for c in configs if isinstance(c, dict) and c.get("config_name") == "default"), configs[0])
    files = default.get("data_files")
    if isinstance(files, str):
        return {"train": [files]}
    out: dict[str, list[str]] = {}
    for entry in files if isinstance(files, list) else [None]:
        if not isinstance(entry, dict) or not isinstance(entry.get("split"), str) or not entry.get("path"):
            raise ValueError(f"{card}: config {default.get('config_name')!r} has data_files without "
                             "{split, path} entries")
        path = entry["path"]
        out.setdefault(entry["split"], []).extend([path] if isinstance(path, str) else [str(p) for p in path])
    return out


def data_globs(folder: str | os.PathLike[str]) -> dict[str, list[str]]:
    """{split: the data-files globs of the card's default config} of a folder ready to publish,
    or why it is not (ValueError; FileNotFoundError for a missing folder)."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder (give the folder holding the card and the data)")
    card = root / "README.md"
    if not card.is_file():
        raise ValueError(f"{root} has no README.md, the dataset card the Hub shows and reads its splits from: "
                         f"write it first (veriscene card RUN --out {root}/)")
    if (root / "state.json").is_file():
        raise ValueError(f"{root} is a single `save_to_disk` folder (state.json at its top, an hf export of veriscene "
                         "0.10 or before), which load_dataset refuses: export it again with `veriscene export --to hf`")
    configs = read_front_matter(card).get("configs")
    if configs is None:
        raise ValueError(f"{card} has no `configs` block naming the data files: the Hub would read every data file "
                         "of the folder (scenes and manifest included) as one split; write the card with "
                         f"{option('data_files=', '--data-files')}")
    return _split_globs(configs, card)


def check_folder(folder: str | os.PathLike[str]) -> dict[str, list[Path]]:
    """{split: the files its globs match} of a folder ready to publish, or why it is not (ValueError)."""
    root = Path(folder)
    globs = data_globs(root)
    card = root / "README.md"
    matched = matched_files(root, globs)
    for split, files in matched.items():
        if not files:
            raise ValueError(f"{card}: split {split!r}'s data files ({', '.join(globs[split])}) match no file in "
                             f"{root}; the paths are relative to the card's folder")
    return matched


def hub_token(token_env: str | None) -> str | None:
    """The token from `token_env` (an environment variable's name), or None for huggingface_hub's own."""
    if token_env is None:
        return None
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise HubError(f"--token-env {token_env}: the environment variable {token_env} is not set or empty")
    return token


def check_repo_id(repo_id: str) -> str:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise ValueError(f"repo id {repo_id!r} is not a Hub repository name: give USER/NAME or ORG/NAME (letters, "
                         f"digits, '-', '_', '.'; {exc})") from None
    return repo_id


def transport_errors() -> tuple[type[BaseException], ...]:
    """What a request of huggingface_hub raises when the Hub is out of reach: OSError (its HTTP
    errors too), and its HTTP client's transport errors (httpx2, httpx or requests by release)."""
    found: list[type[BaseException]] = [OSError]
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError")):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return tuple(found)


def login(api: Any) -> str:
    """The user name the token belongs to; a HubError says why there is none."""
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError, OfflineModeIsEnabled

    try:
        return str(api.whoami()["name"])
    except LocalTokenNotFoundError:
        raise HubError(f"not logged in to the Hugging Face Hub: {LOGIN_HELP}") from None
    except OfflineModeIsEnabled:
        raise HubError("HF_HUB_OFFLINE is set: huggingface_hub does not reach the Hub; unset it to publish") from None
    except HfHubHTTPError as exc:
        status = getattr(exc.response, "status_code", None)
        if status == 401:
            raise HubError(f"the Hub refused the token (401 Unauthorized): {LOGIN_HELP}") from None
        raise HubError(f"the Hub answered {status} when asked who the token belongs to") from None
    except transport_errors() as exc:  # no connection, DNS, TLS
        raise HubError(f"could not reach the Hugging Face Hub: {type(exc).__name__}") from None


def upload_files(root: Path) -> list[str]:
    """The files of `root` an upload sends (relative, sorted): all but IGNORED."""
    from huggingface_hub.utils import filter_repo_objects

    return sorted(filter_repo_objects((p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()),
                                      ignore_patterns=IGNORED))


def glob_matches(pattern: str, path: str) -> bool:
    """Whether a repository path matches a card's data-files glob as it matches in the folder:
    `*`, `?` and `[...]` within one path component, `**` any number of components."""
    return _glob_parts([p for p in pattern.split("/") if p not in ("", ".")], path.split("/"))


def _glob_parts(parts: list[str], names: list[str]) -> bool:
    if not parts:
        return not names
    if parts[0] == "**":
        return any(_glob_parts(parts[1:], names[k:]) for k in range(len(names) + 1))
    return bool(names) and fnmatch.fnmatchcase(names[0], parts[0]) and _glob_parts(parts[1:], names[1:])


def batched_upload() -> bool:
    """Whether the installed huggingface_hub's `upload_folder` sends a large folder in several
    commits and resumes an interrupted upload when run again: its streamed pipeline (release 1.20
    and later) with hf_xet installed (and HF_HUB_DISABLE_XET unset). Otherwise it sends one commit."""
    if importlib.util.find_spec("huggingface_hub._upload_pipeline") is None:
        return False
    from huggingface_hub import hf_api

    xet = getattr(hf_api, "is_xet_available", None)
    return bool(xet is not None and xet())


def check_target(revision: str | None, create_pr: bool) -> None:
    """Where an upload goes, refused before the Hub is asked: a pull request is opened against
    the default branch, so `create_pr` takes no `revision`."""
    if create_pr and revision is not None:
        raise ValueError(option(
            f"create_pr=True opens a pull request against the default branch: give it without revision={revision!r} "
            "(to add to an open pull request, revision='refs/pr/N' alone)",
            f"--create-pr opens a pull request against the default branch: give it without --revision {revision} "
            "(to add to an open pull request, --revision refs/pr/N alone)"))
    if revision is not None and not revision.strip():
        raise ValueError(f"{option('revision', '--revision')} is empty: give a branch name (or refs/pr/N)")


def _left_over(remote: list[str], files: list[str], globs: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(the repository's files the folder does not have, those of them the card's globs match)."""
    left = sorted(set(remote) - set(files) - {".gitattributes"})
    return left, [name for name in left if any(glob_matches(g, name) for split in globs.values() for g in split)]


def publish(folder: str | os.PathLike[str], repo_id: str, *, private: bool = False, token_env: str | None = None,
            message: str | None = None, dry_run: bool = False, revision: str | None = None,
            create_pr: bool = False, replace: bool = False) -> PublishResult:
    """Upload `folder` (a dataset card and its data files) to the Hub dataset repository `repo_id`
    (created if need be, private if `private`: the flag applies when the repository is created).
    `token_env`: the environment variable holding the token (default: huggingface_hub's login).
    `message`: the commit message. `revision`: the branch to commit to (created from the default
    branch if need be; `refs/pr/N` adds to an open pull request), default the default branch.
    `create_pr`: open a pull request against the default branch instead. `replace`: delete the
    files of the repository the folder does not have; without it they are kept, and publishing
    refuses (ValueError, nothing sent) when the card's data globs match some of them, which
    `load_dataset` would read with the new files. `dry_run`: check the folder, repo id and target,
    list the files, send nothing (no login needed; the repository is not read). Raises ValueError
    / FileNotFoundError for the folder, repo id or target, HubError for the login, before any upload."""
    from huggingface_hub import HfApi

    root = Path(folder)
    check_repo_id(repo_id)
    check_target(revision, create_pr)
    globs = data_globs(root)
    check_folder(root)
    files = upload_files(root)
    size = sum((root / name).stat().st_size for name in files)
    page = f"https://huggingface.co/datasets/{repo_id}"
    if dry_run:
        return PublishResult(repo_id, page, files, size, revision=revision, batched=batched_upload())
    api = HfApi(token=hub_token(token_env))
    user = login(api)
    try:
        repo = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision is not None and not revision.startswith("refs/"):
            api.create_branch(repo.repo_id, branch=revision, repo_type="dataset", exist_ok=True)
        # a pull request starts from the default branch: its files are the ones left over
        remote = api.list_repo_files(repo.repo_id, repo_type="dataset", revision=None if create_pr else revision)
    except transport_errors() as exc:  # huggingface_hub's HTTP errors are OSErrors; no token in their text
        raise HubError(f"publishing to {repo_id} as {user} failed: {exc}") from None
    left, read_too = _left_over(remote, files, globs)
    if read_too and not replace:
        where = f"{repo_id} (branch {revision})" if revision and not create_pr else repo_id
        shown = ", ".join(read_too[:5]) + (f" and {len(read_too) - 5} more" if len(read_too) > 5 else "")
        raise ValueError(f"{where} holds {len(read_too)} data files the folder does not have, which the card's "
                         f"data files match ({shown}): load_dataset would read them with the new ones. Publish "
                         f"with {option('replace=True', '--replace')} to delete them in the same commit; nothing was sent")
    try:
        commit = api.upload_folder(folder_path=str(root), repo_id=repo.repo_id, repo_type="dataset",
                                   revision=revision, create_pr=create_pr,
                                   commit_message=message or f"veriscene publish: {len(files)} files",
                                   ignore_patterns=IGNORED, delete_patterns="*" if replace else None)
    except transport_errors() as exc:
        raise HubError(f"publishing to {repo_id} as {user} failed: {exc}") from None
    pr_url = getattr(commit, "pr_url", None)
    return PublishResult(repo.repo_id, f"https://huggingface.co/datasets/{repo.repo_id}", files, size,
                         getattr(commit, "commit_url", None),
                         revision=getattr(commit, "pr_revision", None) if pr_url else revision, pr_url=pr_url,
                         deleted=left if replace else [], kept=[] if replace else left, batched=batched_upload())
