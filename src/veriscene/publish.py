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
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from veriscene.card_data import matched_files
from veriscene.errors import VerisceneError

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


def check_folder(folder: str | os.PathLike[str]) -> dict[str, list[Path]]:
    """{split: the files its globs match} of a folder ready to publish, or why it is not (ValueError)."""
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
                         "of the folder (scenes and manifest included) as one split; write the card with --data-files")
    globs = _split_globs(configs, card)
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


def publish(folder: str | os.PathLike[str], repo_id: str, *, private: bool = False, token_env: str | None = None,
            message: str | None = None, dry_run: bool = False) -> PublishResult:
    """Upload `folder` (a dataset card and its data files) to the Hub dataset repository `repo_id`
    (created if need be, private if `private`: the flag applies when the repository is created).
    `token_env`: the environment variable holding the token (default: huggingface_hub's login).
    `message`: the commit message. `dry_run`: check the folder and repo id, list the files, send
    nothing (no login needed). Raises ValueError / FileNotFoundError for the folder or repo id,
    HubError for the login, before any upload."""
    from huggingface_hub import HfApi

    root = Path(folder)
    check_repo_id(repo_id)
    check_folder(root)
    files = upload_files(root)
    size = sum((root / name).stat().st_size for name in files)
    if dry_run:
        return PublishResult(repo_id, f"https://huggingface.co/datasets/{repo_id}", files, size)
    api = HfApi(token=hub_token(token_env))
    user = login(api)
    try:
        repo = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(root), repo_id=repo.repo_id, repo_type="dataset",
                                   commit_message=message or f"veriscene publish: {len(files)} files",
                                   ignore_patterns=IGNORED)
    except transport_errors() as exc:  # huggingface_hub's HTTP errors are OSErrors; no token in their text
        raise HubError(f"publishing to {repo_id} as {user} failed: {exc}") from None
    return PublishResult(repo.repo_id, f"https://huggingface.co/datasets/{repo.repo_id}", files, size,
                         getattr(commit, "commit_url", None))
