"""`veriscene publish`: the folder checked before the Hub is asked anything, the calls made to
`HfApi` (mocked: nothing is sent), the files they would upload, which `load_dataset` reads as the
Hub would, and the errors of a missing login, a refused token, a bad repo id or folder."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from veriscene.card import write_card
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export
from veriscene import publish as publish_module
from veriscene.publish import HubError, check_folder, glob_matches, publish

datasets = pytest.importorskip("datasets")
hub = pytest.importorskip("huggingface_hub")
from huggingface_hub import errors as hub_errors  # noqa: E402
from huggingface_hub.hf_api import CommitInfo, RepoUrl  # noqa: E402
from huggingface_hub.utils import filter_repo_objects  # noqa: E402

SECRET = "hf_thisisnotarealtokenbutasecret"
BATCHED_UPLOAD = publish_module.batched_upload  # the fixture `batched` stands in for it
SPLIT_FILES = ["data-00000-of-00001.arrow", "dataset_info.json", "state.json"]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as a user publishes it: an hf export of a train and a test run, and the card."""
    root = tmp_path_factory.mktemp("publish")
    for split, seed in (("train", 3), ("test", 4)):
        run_demo(root / split, scenes=2, seed=seed)
        export(root / split, root / "pub", to="hf", split=split)
    write_card(root / "train", root / "pub" / "README.md", license="cc-by-4.0")
    return root / "pub"


@pytest.fixture(autouse=True)
def batched(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub sends large folders in batches (else the command says so: tested apart)."""
    monkeypatch.setattr(publish_module, "batched_upload", lambda: True)


class FakeHub:
    """HfApi's methods that `publish` calls, recording them; upload_folder copies what it would
    send into `repo` (the files the Hub would hold) and deletes what its delete_patterns match
    there but the folder does not have, as huggingface_hub does."""

    def __init__(self, repo: Path, whoami: BaseException | None = None) -> None:
        self.repo, self.whoami_error = repo, whoami
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.tokens: list[str | None] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> "FakeHub":
        fake = self

        def whoami(api: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
            fake.tokens.append(api.token)
            fake.calls.append(("whoami", args, kwargs))
            if fake.whoami_error is not None:
                raise fake.whoami_error
            return {"name": "alice"}

        def create_repo(api: Any, repo_id: str, **kwargs: Any) -> RepoUrl:
            fake.calls.append(("create_repo", (repo_id,), kwargs))
            return RepoUrl(f"https://huggingface.co/datasets/{repo_id}")

        def create_branch(api: Any, repo_id: str, **kwargs: Any) -> None:
            fake.calls.append(("create_branch", (repo_id,), kwargs))

        def list_repo_files(api: Any, repo_id: str, **kwargs: Any) -> list[str]:
            fake.calls.append(("list_repo_files", (repo_id,), kwargs))
            return [".gitattributes", *fake.files()]

        def upload_folder(api: Any, **kwargs: Any) -> CommitInfo:
            fake.calls.append(("upload_folder", (), kwargs))
            folder = Path(kwargs["folder_path"])
            names = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
            sent = list(filter_repo_objects(names, ignore_patterns=kwargs.get("ignore_patterns")))
            if kwargs.get("delete_patterns"):
                for name in filter_repo_objects(fake.files(), allow_patterns=kwargs["delete_patterns"]):
                    if name not in sent:
                        (fake.repo / name).unlink()
            for name in sent:
                (fake.repo / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(folder / name, fake.repo / name)
            repo = f"https://huggingface.co/datasets/{kwargs['repo_id']}"
            return CommitInfo(commit_url=f"{repo}/commit/abc", commit_message=kwargs["commit_message"],
                              commit_description="", oid="abc",
                              pr_url=f"{repo}/discussions/7" if kwargs.get("create_pr") else None)

        for name, method in (("whoami", whoami), ("create_repo", create_repo), ("create_branch", create_branch),
                             ("list_repo_files", list_repo_files), ("upload_folder", upload_folder)):
            monkeypatch.setattr(hub.HfApi, name, method)
        return self

    def files(self) -> list[str]:
        """The files the Hub holds, relative, sorted."""
        return sorted(p.relative_to(self.repo).as_posix() for p in self.repo.rglob("*") if p.is_file())

    def call(self, name: str) -> dict[str, Any]:
        """The keyword arguments of the one call of `name`."""
        (found,) = [kwargs for called, _, kwargs in self.calls if called == name]
        return found

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]


def cli(*args: str) -> Any:
    result = CliRunner().invoke(app, ["publish", *args])
    result.said = " ".join(result.output.split())  # type: ignore[attr-defined]
    return result


def test_the_folder_goes_up_whole_and_loads_as_the_hub_would(published: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    leftover = published / ".veriscene-hf-x" / "data.arrow"  # an interrupted export's stream
    leftover.parent.mkdir()
    leftover.write_bytes(b"x")
    try:
        result = publish(published, "alice/demo-vqa", private=True)
    finally:
        shutil.rmtree(leftover.parent)
    expected = ["README.md", "dataset_dict.json", *(f"{s}/{f}" for s in ("test", "train") for f in SPLIT_FILES)]
    assert result.files == expected
    assert (result.repo_id, result.url) == ("alice/demo-vqa", "https://huggingface.co/datasets/alice/demo-vqa")
    assert result.commit_url == "https://huggingface.co/datasets/alice/demo-vqa/commit/abc"
    assert fake.names() == ["whoami", "create_repo", "list_repo_files", "upload_folder"]
    assert fake.calls[1][1:] == (("alice/demo-vqa",), {"repo_type": "dataset", "private": True, "exist_ok": True})
    assert fake.call("list_repo_files") == {"repo_type": "dataset", "revision": None}
    upload = fake.call("upload_folder")
    assert upload["folder_path"] == str(published) and upload["repo_id"] == "alice/demo-vqa"
    assert upload["repo_type"] == "dataset" and upload["commit_message"] == "veriscene publish: 8 files"
    assert (upload["revision"], upload["create_pr"], upload["delete_patterns"]) == (None, False, None)
    assert (result.revision, result.pr_url, result.deleted, result.kept) == (None, None, [], [])
    assert fake.tokens == [None]  # huggingface_hub's own login
    hub_copy = sorted(p.relative_to(fake.repo).as_posix() for p in fake.repo.rglob("*") if p.is_file())
    assert hub_copy == expected
    loaded = datasets.load_dataset(str(fake.repo), cache_dir=str(tmp_path / "cache"))
    saved = datasets.load_from_disk(str(published))
    assert {s: d.num_rows for s, d in loaded.items()} == {s: d.num_rows for s, d in saved.items()}
    assert loaded["train"]["id"] == saved["train"]["id"]
    assert isinstance(loaded["train"].features["images"].feature, datasets.Image)


def test_the_command_takes_the_token_from_the_variable_and_never_prints_it(
        published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    monkeypatch.setenv("MY_HUB_TOKEN", SECRET)
    result = cli(str(published), "alice/demo-vqa", "--token-env", "MY_HUB_TOKEN", "-m", "first release")
    assert result.exit_code == 0, result.output
    size = sum(p.stat().st_size for p in published.rglob("*") if p.is_file())
    assert result.said == (f'published 8 files, {size / 1e6:,.1f} MB to https://huggingface.co/datasets/alice/demo-vqa '
                           'load it with: datasets.load_dataset("alice/demo-vqa")')
    assert fake.tokens == [SECRET] and SECRET not in result.output
    assert fake.calls[1][2]["private"] is False and fake.call("upload_folder")["commit_message"] == "first release"


def test_a_dry_run_lists_the_files_and_sends_nothing(published: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    result = publish(published, "alice/demo-vqa", dry_run=True)
    assert result.files[:2] == ["README.md", "dataset_dict.json"] and len(result.files) == 8
    assert result.size == sum(p.stat().st_size for p in published.rglob("*") if p.is_file())
    assert result.commit_url is None
    shown = cli(str(published), "alice/demo-vqa", "--dry-run")
    assert shown.exit_code == 0
    assert shown.output.splitlines()[1:] == [f"  {name}" for name in result.files]
    assert "(dry run: nothing sent)" in shown.output
    assert fake.calls == []


def http_error(status: int) -> BaseException:
    client = importlib.import_module(hub_errors.Response.__module__.split(".")[0])  # the HTTP client hub uses
    request = client.Request("GET", "https://huggingface.co/api/whoami-v2")
    return hub_errors.HfHubHTTPError(f"{status} error", response=hub_errors.Response(status, request=request))


@pytest.mark.parametrize("error, said", [
    (hub_errors.LocalTokenNotFoundError("no token"), "not logged in to the Hugging Face Hub: log in with `hf auth "
                                                     "login`, or set HF_TOKEN"),
    (http_error(401), "the Hub refused the token (401 Unauthorized)"),
    (http_error(500), "the Hub answered 500 when asked who the token belongs to"),
    (hub_errors.OfflineModeIsEnabled("offline"), "HF_HUB_OFFLINE is set"),
    (ConnectionError("no route"), "could not reach the Hugging Face Hub: ConnectionError"),
])
def test_no_login_is_said_and_nothing_is_sent(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              error: BaseException, said: str) -> None:
    fake = FakeHub(tmp_path / "repo", whoami=error).install(monkeypatch)
    with pytest.raises(HubError, match="^" + said.replace("(", r"\(").replace(")", r"\)")):
        publish(published, "alice/demo-vqa")
    result = cli(str(published), "alice/demo-vqa")
    assert result.exit_code == 1 and said in result.said
    assert fake.names() == ["whoami", "whoami"]


def test_a_token_variable_not_set_is_said(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    result = cli(str(published), "alice/demo-vqa", "--token-env", "NO_SUCH_TOKEN")
    assert result.exit_code == 1
    assert result.said == "error: --token-env NO_SUCH_TOKEN: the environment variable NO_SUCH_TOKEN is not set or empty"
    assert fake.calls == []


@pytest.mark.parametrize("repo_id", ["a/b/c", "alice/has space", "alice/-dash", ""])
def test_a_bad_repo_id_is_refused_before_the_hub_is_asked(published: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, repo_id: str) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    result = cli(str(published), repo_id)
    assert result.exit_code == 2
    assert f"error: repo id {repo_id!r} is not a Hub repository name: give USER/NAME or ORG/NAME" in result.said
    assert fake.calls == []


def card(folder: Path, front: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(f"---\n{front}---\n# a card\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("make, said", [
    (lambda d: d / "nothing", "nothing: no such folder"),
    (lambda d: d.mkdir() or d, "has no README.md, the dataset card the Hub shows"),
    (lambda d: card(d, "license: mit\n"), "README.md has no `configs` block naming the data files"),
    (lambda d: card(d, "configs:\n- config_name: default\n  data_files:\n  - split: test\n    path: data/*.parquet\n"),
     "README.md: split 'test''s data files (data/*.parquet) match no file in"),
    (lambda d: card(d, "configs: [\n"), "README.md: its front matter is not YAML"),
    (lambda d: card(d, "configs:\n- config_name: default\n  data_files:\n  - path: x\n"),
     "config 'default' has data_files without {split, path} entries"),
])
def test_a_folder_that_would_not_load_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 make: Any, said: str) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    folder = make(tmp_path / "pub")
    result = cli(str(folder), "alice/demo-vqa")
    assert result.exit_code == 2 and said in result.said, result.output
    assert fake.calls == []


def test_a_single_save_to_disk_folder_is_refused(tmp_path: Path) -> None:
    datasets.Dataset.from_dict({"x": [1]}).save_to_disk(str(tmp_path / "old"))
    card(tmp_path / "old", "configs:\n- config_name: default\n  data_files: '*.arrow'\n")
    with pytest.raises(ValueError, match="is a single `save_to_disk` folder"):
        check_folder(tmp_path / "old")


def test_check_folder_gives_each_split_s_files(published: Path) -> None:
    assert {s: [p.relative_to(published).as_posix() for p in files] for s, files in check_folder(published).items()} \
        == {"train": ["train/data-00000-of-00001.arrow"], "test": ["test/data-00000-of-00001.arrow"]}


def test_a_branch_is_created_and_committed_to(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    result = cli(str(published), "alice/demo-vqa", "--revision", "v2")
    assert result.exit_code == 0, result.output
    assert fake.names() == ["whoami", "create_repo", "create_branch", "list_repo_files", "upload_folder"]
    assert fake.call("create_branch") == {"branch": "v2", "repo_type": "dataset", "exist_ok": True}
    assert fake.call("list_repo_files")["revision"] == "v2"
    assert (fake.call("upload_folder")["revision"], fake.call("upload_folder")["create_pr"]) == ("v2", False)
    assert "to https://huggingface.co/datasets/alice/demo-vqa (branch v2)" in result.said
    assert result.said.endswith('load it with: datasets.load_dataset("alice/demo-vqa", revision="v2")')


def test_an_open_pull_request_is_added_to_without_creating_a_branch(published: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    result = publish(published, "alice/demo-vqa", revision="refs/pr/7")
    assert "create_branch" not in fake.names() and fake.call("upload_folder")["revision"] == "refs/pr/7"
    assert result.revision == "refs/pr/7"


def test_a_pull_request_is_opened_against_the_default_branch(published: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    result = cli(str(published), "alice/demo-vqa", "--create-pr")
    assert result.exit_code == 0, result.output
    upload = fake.call("upload_folder")
    assert (upload["create_pr"], upload["revision"]) == (True, None)
    assert fake.call("list_repo_files")["revision"] is None  # the pull request starts from main
    assert "in pull request https://huggingface.co/datasets/alice/demo-vqa/discussions/7" in result.said
    assert result.said.endswith('datasets.load_dataset("alice/demo-vqa", revision="refs/pr/7")')


def test_a_pull_request_on_a_branch_is_refused_before_the_hub_is_asked(published: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    result = cli(str(published), "alice/demo-vqa", "--create-pr", "--revision", "v2")
    assert result.exit_code == 2
    assert ("error: --create-pr opens a pull request against the default branch: give it without --revision v2 "
            "(to add to an open pull request, --revision refs/pr/N alone)") in result.said
    assert fake.calls == []
    with pytest.raises(ValueError) as refused:  # named as publish() takes them (`option_names`)
        publish(published, "alice/demo-vqa", create_pr=True, revision="v2")
    assert str(refused.value) == ("create_pr=True opens a pull request against the default branch: give it without "
                                  "revision='v2' (to add to an open pull request, revision='refs/pr/N' alone)")
    assert fake.calls == []


def earlier_upload(fake: FakeHub, names: list[str]) -> None:
    for name in names:
        (fake.repo / name).parent.mkdir(parents=True, exist_ok=True)
        (fake.repo / name).write_bytes(b"an earlier upload")


def test_an_earlier_upload_s_shards_that_would_be_read_are_refused(published: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    old = ["test/data-00001-of-00002.arrow", "train/data-00000-of-00002.arrow", "train/data-00001-of-00002.arrow"]
    earlier_upload(fake, old)
    result = cli(str(published), "alice/demo-vqa")
    assert result.exit_code == 2
    assert (f"error: alice/demo-vqa holds 3 data files the folder does not have, which the card's data files match "
            f"({', '.join(old)}): load_dataset would read them with the new ones. Publish with --replace") in result.said
    assert "upload_folder" not in fake.names() and fake.files() == old


def test_replace_deletes_what_the_folder_no_longer_has(published: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    old = ["scenes.jsonl", "train/data-00000-of-00002.arrow", "train/data-00001-of-00002.arrow"]
    earlier_upload(fake, old + ["README.md"])
    result = cli(str(published), "alice/demo-vqa", "--replace")
    assert result.exit_code == 0, result.output
    assert fake.call("upload_folder")["delete_patterns"] == "*"
    assert f"deleted 3 files of the repository (the folder no longer has them): {', '.join(old)}" in result.said
    expected = sorted(p.relative_to(published).as_posix() for p in published.rglob("*") if p.is_file())
    assert fake.files() == expected  # the README sent anew, the old shards and scenes gone
    loaded = datasets.load_dataset(str(fake.repo), cache_dir=str(tmp_path / "cache"))
    assert {s: d.num_rows for s, d in loaded.items()} == {s: d.num_rows for s, d in
                                                          datasets.load_from_disk(str(published)).items()}


def test_files_that_are_not_data_are_kept_and_said(published: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    earlier_upload(fake, ["scenes.jsonl", "images/1.png"])
    result = publish(published, "alice/demo-vqa")
    assert (result.kept, result.deleted) == (["images/1.png", "scenes.jsonl"], [])
    assert {"scenes.jsonl", "images/1.png"} <= set(fake.files())
    said = cli(str(published), "alice/demo-vqa").said
    assert ("kept 2 files of the repository (not in the folder nor read as data; --replace deletes them): "
            "images/1.png, scenes.jsonl") in said


def test_a_dry_run_with_replace_says_what_it_cannot_list(published: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHub(tmp_path / "repo").install(monkeypatch)
    result = cli(str(published), "alice/demo-vqa", "--dry-run", "--replace", "--revision", "v2")
    assert result.exit_code == 0 and fake.calls == []
    assert result.output.splitlines()[0].endswith("alice/demo-vqa (branch v2) (dry run: nothing sent):")
    assert result.output.splitlines()[-1] == ("  and delete the repository's files not listed here (the dry run does "
                                              "not read them)")


def test_a_huggingface_hub_sending_one_commit_is_said(published: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    FakeHub(tmp_path / "repo").install(monkeypatch)
    monkeypatch.setattr(publish_module, "batched_upload", lambda: False)
    result = cli(str(published), "alice/demo-vqa", "--dry-run")
    assert result.exit_code == 0
    assert "note: the installed huggingface_hub sends the folder in one commit, started over if interrupted" in \
        result.said


def test_batched_upload_needs_the_streamed_pipeline_and_hf_xet(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from huggingface_hub import hf_api

    if importlib.util.find_spec("huggingface_hub._upload_pipeline") is None:
        pytest.skip("huggingface_hub before its streamed upload pipeline")
    monkeypatch.setattr(hf_api, "is_xet_available", lambda: True)
    assert BATCHED_UPLOAD() is True
    monkeypatch.setattr(hf_api, "is_xet_available", lambda: False)  # hf_xet missing, or HF_HUB_DISABLE_XET
    assert BATCHED_UPLOAD() is False
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # a release without the pipeline
    monkeypatch.setattr(hf_api, "is_xet_available", lambda: True)
    assert BATCHED_UPLOAD() is False


@pytest.mark.parametrize("pattern, path, matches", [
    ("train/*.arrow", "train/data-00000-of-00001.arrow", True),
    ("train/*.arrow", "train/sub/data.arrow", False),
    ("*.arrow", "train/data.arrow", False),
    ("data/train.parquet", "data/train.parquet", True),
    ("data/train-*", "data/test-0.parquet", False),
    ("data/**/*.parquet", "data/train.parquet", True),
    ("data/**/*.parquet", "data/a/b/train.parquet", True),
    ("**/*.parquet", "train.parquet", True),
    ("./train/*.arrow", "train/x.arrow", True),
    ("train/data-0000[0-4]-*", "train/data-00003-of-00009.arrow", True),
])
def test_a_glob_matches_repository_paths_as_it_matches_files(tmp_path: Path, pattern: str, path: str,
                                                             matches: bool) -> None:
    assert glob_matches(pattern, path) is matches
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).touch()
    assert (tmp_path / path in tmp_path.glob(pattern)) is matches  # as check_folder finds the folder's
