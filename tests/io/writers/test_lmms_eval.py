"""The lmms-eval task folder: YAML lmms-eval reads, Parquet `datasets` loads, hooks that score
by program. lmms-eval itself is not installed here: its loading path is followed by hand
(`datasets.load_dataset("parquet", data_files=...)`, `!function utils.<name>`, `include`)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
import yaml

pytest.importorskip("datasets")
import datasets  # noqa: E402

from veriscene.demo.pipeline import run_demo  # noqa: E402
from veriscene.evaluate.prompts import PromptSet  # noqa: E402
from veriscene.io.export import export  # noqa: E402
from veriscene.io.writers.text import answer_text  # noqa: E402


class _Loader(yaml.SafeLoader):
    """lmms-eval's reading of task YAML: `!function utils.name` names a hook."""


_Loader.add_constructor("!function", lambda loader, node: ("function", loader.construct_scalar(node)))


def load_yaml(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_Loader)


def load_utils(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"lmms_utils_{abs(hash(folder))}", folder / "utils.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lmms_run")
    run_demo(out, scenes=5, seed=4)
    return out


@pytest.fixture(scope="module")
def task(run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("lmms") / "task"
    return out, export(run, out, to="lmms_eval")


def records(run: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines() if line.strip()]


def scorable(r: dict[str, Any]) -> bool:
    return r["answer_type"] != "text" or bool(r.get("choices"))


def test_task_files_are_what_lmms_eval_reads(run: Path, task: tuple[Path, Any]) -> None:
    out, summary = task
    rows = records(run)
    group = load_yaml(out / "veriscene.yaml")
    families = sorted({r["family"] for r in rows if scorable(r)})
    assert group["group"] == "veriscene"
    assert group["task"] == [f"veriscene_{f}" for f in families]
    assert [m["metric"] for m in group["aggregate_metric_list"]] == ["accuracy", "score", "parse_failure"]
    template = load_yaml(out / "_default_template_yaml")
    for hook in ("doc_to_visual", "doc_to_text", "doc_to_target", "process_results"):
        assert template[hook] == ("function", f"utils.{hook}")
    assert template["dataset_path"] == "parquet" and template["test_split"] == "test"
    total = 0
    for name in group["task"]:
        sub = load_yaml(out / f"{name}.yaml")
        assert sub["task"] == name and (out / sub["include"]).is_file()
        data = Path(sub["dataset_kwargs"]["data_files"]["test"])
        assert data.is_absolute() and data.is_file()
        total += sub["metadata"]["samples"]
    assert total == summary.samples_written == sum(scorable(r) for r in rows)
    assert summary.samples_skipped == sum(not scorable(r) for r in rows) > 0
    assert "not scored by program" in summary.errors[0]
    assert summary.images_missing == 0 and summary.images_embedded > 0


def test_hooks_score_the_planned_replies(run: Path, task: tuple[Path, Any]) -> None:
    out, _ = task
    utils = load_utils(out)
    by_id = {r["id"]: r for r in records(run)}
    prompts = PromptSet()
    seen = 0
    for name in load_yaml(out / "veriscene.yaml")["task"]:
        files = load_yaml(out / f"{name}.yaml")["dataset_kwargs"]["data_files"]
        docs = datasets.load_dataset("parquet", data_files=files)["test"]
        for doc in docs:
            record = by_id[doc["id"]]
            visuals = utils.doc_to_visual(doc)
            assert len(visuals) == len(record["images"])
            assert all(v.mode == "RGB" and v.size == (480, 360) for v in visuals)
            assert utils.doc_to_text(doc) == prompts.text(record)
            assert utils.doc_to_text(doc, {"pre_prompt": "P: ", "post_prompt": " Q"}) == f"P: {prompts.text(record)} Q"
            assert utils.doc_to_target(doc) == answer_text(record)
            right = utils.process_results(doc, [answer_text(record)])
            assert right["accuracy"] == 1.0 and right["parse_failure"] == 0.0, (record["task"], doc["prompt"])
            # a box written with two decimals overlaps the pixel box less than fully
            assert right["score"] > 0.85 if record["answer_type"] == "box" else right["score"] == 1.0
            garbage = utils.process_results(doc, ["I cannot tell."])
            assert garbage["accuracy"] == 0.0 and garbage["score"] == 0.0
            seen += 1
    assert seen == sum(scorable(r) for r in records(run))


def test_split_by_task_name_and_prompts(run: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps({"template": "Q: {question}\n{instruction}", "instructions": {"bool": "Say yes or no."}}))
    out = tmp_path / "bench"
    summary = export(run, out, to="lmms_eval", task_name="shapes", split_by="task", prompts=str(prompts))
    group = load_yaml(out / "shapes.yaml")
    tasks = sorted({r["task"] for r in records(run) if scorable(r)})
    assert group["task"] == ["shapes_" + t.replace(".", "_") for t in tasks]
    files = load_yaml(out / "shapes_object_exists_v1.yaml")["dataset_kwargs"]["data_files"]
    doc = datasets.load_dataset("parquet", data_files=files)["test"][0]
    assert doc["prompt"].startswith("Q: ") and doc["prompt"].endswith("Say yes or no.")
    assert summary.samples_written == sum(scorable(r) for r in records(run))


@pytest.mark.parametrize("options, message", [
    ({"task_name": "1bad"}, "task_name"),
    ({"split_by": "mode"}, "split_by"),
    ({"max_new_tokens": 0}, "max_new_tokens must be a whole number of at least 1, got 0"),
])
def test_bad_options(run: Path, tmp_path: Path, options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        export(run, tmp_path / "x", to="lmms_eval", **options)


def test_export_command(run: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["export", str(run), "--to", "lmms_eval", "--out", str(out),
                                      "--task-name", "demo_bench"])
    assert result.exit_code == 0, result.output
    assert (out / "demo_bench.yaml").is_file() and (out / "utils.py").is_file()


def test_keys_that_clean_to_the_same_name_get_distinct_subtasks(run: Path, tmp_path: Path) -> None:
    rows = [r for r in records(run) if r["task"] == "object.count.v1"][:4]
    for k, r in enumerate(rows):
        r["task"] = "my.count" if k % 2 else "my_count"
    (run / "renamed.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    try:
        export(run / "renamed.jsonl", tmp_path / "t", to="lmms_eval", split_by="task")
    finally:
        (run / "renamed.jsonl").unlink()
    group = load_yaml(tmp_path / "t" / "veriscene.yaml")
    assert sorted(group["task"]) == ["veriscene_my_count", "veriscene_my_count_2"]
    files = {load_yaml(tmp_path / "t" / f"{n}.yaml")["dataset_kwargs"]["data_files"]["test"] for n in group["task"]}
    assert len(files) == 2 and all(Path(f).is_file() for f in files)


def test_a_missing_image_is_a_null_cell(run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = export(run_dir, tmp_path / "t", to="lmms_eval")
    assert summary.images_missing == 1 and summary.missing_examples[0].endswith("images/missing.png")
    monkeypatch.chdir(run_dir.parent)  # where the relative path "../run/images/missing.png" would lead elsewhere
    data_file = load_yaml(tmp_path / "t" / "veriscene_object.yaml")["dataset_kwargs"]["data_files"]["test"]
    ds = datasets.load_dataset("parquet", data_files={"test": data_file}, split="test")
    images = dict(zip(ds["id"], ds["images"]))
    assert images["s-missing"] == [None]
    assert images["s-bool"][0].size == (40, 80)
    assert load_utils(tmp_path / "t").doc_to_visual({"images": images["s-missing"]}) == []


def test_exporting_again_replaces_the_earlier_export(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "t"
    export(run, out, to="lmms_eval", split_by="task", task_name="old")
    (out / "mine.yaml").write_text("task: mine\n")  # not veriscene's: kept
    (out / "data" / "mine.parquet").write_bytes(b"x")
    summary = export(run, out, to="lmms_eval")
    group = load_yaml(out / "veriscene.yaml")
    assert sorted(p.name for p in out.glob("*.yaml")) == sorted(["mine.yaml", "veriscene.yaml",
                                                                 *(f"{n}.yaml" for n in group["task"])])
    data = {load_yaml(out / f"{n}.yaml")["dataset_kwargs"]["data_files"]["test"] for n in group["task"]}
    assert {p.name for p in (out / "data").iterdir()} == {Path(f).name for f in data} | {"mine.parquet"}
    assert set(summary.files) == {*out.glob("veriscene*.yaml"), out / "_default_template_yaml", out / "utils.py",
                                  out / "vocabulary.json", *(Path(f) for f in data)}


@pytest.mark.parametrize("args, limit", [([], 128), (["--prompts", "reasoning"], 512),
                                         (["--prompts", "reasoning", "--max-new-tokens", "2048"], 2048),
                                         (["--max-new-tokens", "64"], 64)])
def test_the_generation_limit_leaves_room_for_the_reply_asked_for(run: Path, tmp_path: Path, args: list[str],
                                                                 limit: int) -> None:
    """A task asking for reasoning (--prompts reasoning: a think block, then the answer) stopped
    every reply at 128 new tokens, where `veriscene eval` allows 512, so the harnesses disagreed:
    cut in its think block, a reply has no answer. The limit is 512 then, and --max-new-tokens
    (Python max_new_tokens=, which the command did not take) sets it."""
    from typer.testing import CliRunner

    from veriscene.cli import app

    out = tmp_path / "bench"
    result = CliRunner().invoke(app, ["export", str(run), "--to", "lmms_eval", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    assert load_yaml(out / "_default_template_yaml")["generation_kwargs"]["max_new_tokens"] == limit


def test_a_system_message_of_the_prompts_is_said_to_be_in_no_task(run: Path, tmp_path: Path) -> None:
    """`veriscene eval --prompts FILE` sends the file's "system" with every question; the task
    folder has no place for it, and it was left out without a word, so lmms-eval asked otherwise."""
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps({"system": "Be brief, it's a test."}))
    summary = export(run, tmp_path / "bench", to="lmms_eval", prompts=str(prompts))
    assert summary.warnings == [
        "the prompts' system message \"Be brief, it's a test.\" (sent by `veriscene eval --prompts`) is in no task: "
        "lmms-eval sends one for a whole run, given as `--system_instruction 'Be brief, it'\"'\"'s a test.'`; "
        "without it the two harnesses ask differently"]
    assert not export(run, tmp_path / "plain", to="lmms_eval").warnings
