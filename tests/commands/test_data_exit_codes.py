"""Bad data exits 1, a bad option or a missing input 2, across the commands (`errors.DataError`,
`veriscene.commands.exit_code`): malformed side files (label table, synonyms), a run's manifest,
replay and results files, an input of no valid record; the message names the file (and line and
field), and no traceback reaches the user. One bad scene line is said and counted, not fatal."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.pipeline import run_demo

runner = CliRunner()


def _says(output: str, message: str) -> bool:
    """Whether the output says `message`, whitespace aside (rich wraps long paths)."""
    return "".join(message.split()) in "".join(output.split())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    run_demo(out, scenes=2, seed=1)
    return out


@pytest.fixture(scope="module")
def evaluated(run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An evaluation folder of `run`, every reply replayed from its answers."""
    root = tmp_path_factory.mktemp("eval")
    replies = root / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": str(s["answer"])}) + b"\n"
                                 for s in map(orjson.loads, (run / "samples.jsonl").read_bytes().splitlines())))
    result = runner.invoke(app, ["eval", str(run), "--model", f"replay:{replies}", "--out", str(root / "out"),
                                 "--freeform", "off"])
    assert result.exit_code == 0, result.output
    return root / "out"


def _copy(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to)
    return to


def _check(args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert _says(result.output, message), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def test_a_malformed_label_table_is_bad_data_for_generate_as_for_convert(tmp_path: Path) -> None:
    """generate --from label_map -r labels=FILE of malformed JSON exited 2 where convert exits 1."""
    labels = np.zeros((8, 8), dtype=np.uint8)
    labels[1:5, 1:5] = 1
    np.save(tmp_path / "map.npy", labels)
    (tmp_path / "names.json").write_text('{"1": ')
    for command in ("generate", "convert"):
        out = tmp_path / f"{command}_out"
        _check([command, str(tmp_path / "map.npy"), "--from", "label_map", "--out", str(out),
                "-r", f"labels={tmp_path / 'names.json'}"], 1, "names.json: malformed JSON")


def test_a_malformed_synonyms_file_is_bad_data_not_a_traceback(run: Path, tmp_path: Path) -> None:
    """generate -r synonyms=FILE of malformed JSON ended in a ValueError traceback."""
    (tmp_path / "synonyms.json").write_text('{"names": [1, 2')
    _check(["generate", str(run / "scenes.jsonl"), "--out", str(tmp_path / "out"),
            "-r", f"synonyms={tmp_path / 'synonyms.json'}"], 1, "synonyms.json: synonym file is not valid JSON")


@pytest.mark.parametrize("command", [
    ["verify", "RUN"], ["view", "RUN", "--html", "OUT/view.html"], ["card", "RUN", "--out", "OUT/README.md"],
    ["generate", "RUN/scenes.jsonl", "--out", "RUN", "--resume"],
], ids=["verify", "view", "card", "generate-resume"])
def test_a_corrupt_manifest_is_bad_data_named(run: Path, tmp_path: Path, command: list[str]) -> None:
    """verify and view said 'unexpected character ...' without the file, exit 2; card and generate
    --resume exited 2."""
    broken = _copy(run, tmp_path / "broken")
    (broken / "manifest.json").write_text("{bad")
    (tmp_path / "out").mkdir()
    args = [a.replace("RUN", str(broken)).replace("OUT", str(tmp_path / "out")) for a in command]
    _check(args, 1, f"{broken / 'manifest.json'} is not valid JSON")


def _scenes_with_a_bad_line(run: Path, tmp_path: Path) -> Path:
    """The run's scenes with a line of malformed JSON second."""
    lines = (run / "scenes.jsonl").read_bytes().splitlines()
    (tmp_path / "scenes.jsonl").write_bytes(b"\n".join([lines[0], b'{"image_id": "x",', *lines[1:]]) + b"\n")
    return tmp_path / "scenes.jsonl"


@pytest.mark.parametrize("command", [["stats", "RUN", "--no-chart"], ["export", "RUN", "--to", "llava", "--out", "OUT"],
                                     ["eval", "RUN", "--model", "replay:OUT/none.jsonl", "--out", "OUT/eval"]],
                         ids=["stats", "export", "eval"])
def test_a_corrupt_manifest_of_a_sharded_run_is_bad_data_named(run: Path, tmp_path: Path, command: list[str]) -> None:
    """Its shards are found through the manifest: 'unexpected character ...' without the file (eval: exit 2)."""
    result = runner.invoke(app, ["generate", str(run / "scenes.jsonl"), "--out", str(tmp_path / "run"),
                                 "--shard-format", "zstd", "--shard-size", "1", "-g", "object.count.v1"])
    assert result.exit_code == 0, result.output
    (tmp_path / "run" / "manifest.json").write_text("{bad")
    args = [a.replace("RUN", str(tmp_path / "run")).replace("OUT", str(tmp_path / "out")) for a in command]
    _check(args, 1, f"{tmp_path / 'run' / 'manifest.json'} is not valid JSON")


def test_score_freeform_skips_and_counts_a_bad_scene_line(run: Path, tmp_path: Path) -> None:
    """One bad scene line stopped the scoring (exit 2); it is now said and counted, the rest scored."""
    scenes = _scenes_with_a_bad_line(run, tmp_path)
    image_id = orjson.loads(scenes.read_bytes().splitlines()[0])["image_id"]
    (tmp_path / "replies.jsonl").write_bytes(orjson.dumps({"image_id": image_id, "response": "A red circle."}) + b"\n")
    result = runner.invoke(app, ["score-freeform", str(tmp_path / "replies.jsonl"), "--scenes", str(scenes),
                                 "--matcher", "lexical"])
    assert result.exit_code == 0, result.output
    assert _says(result.stderr, f"skipped scene {scenes}, line 2: invalid JSON")
    summary = orjson.loads(result.stdout)
    assert (summary["n"], summary["rejected_scenes"]) == (1, 1)


def test_eval_free_form_scoring_skips_and_counts_a_bad_scene_line(run: Path, evaluated: Path,
                                                                   tmp_path: Path) -> None:
    """eval --freeform read the scenes after every request was made, and one bad line ended the run
    there (no summary, no report)."""
    scenes = _scenes_with_a_bad_line(run, tmp_path)
    result = runner.invoke(app, ["eval", str(run), "--model", f"replay:{evaluated.parent / 'replies.jsonl'}",
                                 "--out", str(tmp_path / "out"), "--scenes", str(scenes), "--freeform", "lexical"])
    assert result.exit_code == 0, result.output
    assert _says(result.stderr, f"warning 1 scene line(s) not read (first: {scenes}, line 2: invalid JSON")
    freeform = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())["freeform"]
    assert freeform["rejected_scenes"] == 1 and freeform["n"] > 0


def test_verify_says_why_a_scene_is_not_valid(run: Path, tmp_path: Path) -> None:
    """verify said 'no valid scene for [ids]' of every sample of an invalid scene, not which one nor why."""
    lines = (run / "scenes.jsonl").read_bytes().splitlines()
    broken = orjson.loads(lines[1])
    broken["width"] = "wide"
    (tmp_path / "scenes.jsonl").write_bytes(b"\n".join([lines[0], orjson.dumps(broken), *lines[2:]]) + b"\n")
    result = runner.invoke(app, ["verify", str(run), "--scenes", str(tmp_path / "scenes.jsonl")])
    assert result.exit_code == 1, result.output
    assert _says(result.output, f"the scene of {broken['image_id']} is not valid: {tmp_path / 'scenes.jsonl'}, line 2, "
                                "field 'width': width must be a positive integer, got 'wide'")


def test_a_malformed_replay_file_is_bad_data_a_missing_one_usage(run: Path, tmp_path: Path) -> None:
    (tmp_path / "replies.jsonl").write_text('{"id": "a", "reply": "yes"}\n{"id": \n')
    _check(["eval", str(run), "--model", f"replay:{tmp_path / 'replies.jsonl'}", "--out", str(tmp_path / "a")],
           1, f"{tmp_path / 'replies.jsonl'}, line 2: not valid JSON")
    _check(["eval", str(run), "--model", f"replay:{tmp_path / 'none.jsonl'}", "--out", str(tmp_path / "b")],
           2, f"replay file {tmp_path / 'none.jsonl'} does not exist")


def test_eval_resuming_a_damaged_results_file_is_bad_data(run: Path, evaluated: Path, tmp_path: Path) -> None:
    out = _copy(evaluated, tmp_path / "out")
    with open(out / "results.jsonl", "ab") as fh:  # a bad line with another after it: no torn last write
        fh.write(b'{"id": \n{"id": "x"}\n')
    _check(["eval", str(run), "--model", f"replay:{evaluated.parent / 'replies.jsonl'}", "--out", str(out)],
           1, "results.jsonl, line")


def test_compare_names_a_damaged_summary_or_results_file(evaluated: Path, tmp_path: Path) -> None:
    """compare said a bad summary.json without its name (exit 2), and a results line without an id
    ended in a KeyError traceback."""
    bad_summary = _copy(evaluated, tmp_path / "summary")
    (bad_summary / "summary.json").write_text("{bad")
    _check(["compare", str(evaluated), str(bad_summary)], 1, f"{bad_summary / 'summary.json'}: not valid JSON")
    bad_results = _copy(evaluated, tmp_path / "results")
    lines = (bad_results / "results.jsonl").read_bytes().splitlines()
    (bad_results / "results.jsonl").write_bytes(b"\n".join([lines[0], b'{"status": "scored"}', *lines[1:]]) + b"\n")
    _check(["compare", str(evaluated), str(bad_results)], 1,
           f"{bad_results / 'results.jsonl'}, line 2, field 'id': missing or not a string")
    _check(["compare", str(evaluated), str(tmp_path / "none")], 2, "has no summary.json")


def test_generate_of_scene_records_all_rejected_fails_as_convert_does(run: Path, tmp_path: Path) -> None:
    """A JSONL input of no readable scene made a run of no samples and exited 0 (convert and
    generate --from exit 1 there); one bad record among good ones is still counted, exit 0."""
    (tmp_path / "bad.jsonl").write_text('{"image_id": "a", "width": "wide", "height": 4}\n{"image_id": \n')
    _check(["generate", str(tmp_path / "bad.jsonl"), "--out", str(tmp_path / "out")], 1,
           "no scene read: all 2 scene record(s) of the input were rejected")
    lines = (run / "scenes.jsonl").read_text().splitlines()
    (tmp_path / "some.jsonl").write_text("\n".join([lines[0], '{"image_id": ', *lines[1:]]) + "\n")
    _check(["generate", str(tmp_path / "some.jsonl"), "--out", str(tmp_path / "some")], 0,
           "1 scene record(s) rejected")


@pytest.mark.parametrize("command, message", [
    (["eval", "BAD", "--model", "replay:BAD", "--out", "OUT"], "holds no sample to evaluate: 2 line(s) rejected"),
    (["export", "BAD", "--to", "llava", "--out", "OUT"], "no sample exported: all 2 were skipped (the first: "),
    (["split", "BAD", "--out", "OUT"], "no scene split: all 2 lines of the input were rejected"),
], ids=["eval", "export", "split"])
def test_an_input_of_no_readable_record_is_a_failure(tmp_path: Path, command: list[str], message: str) -> None:
    """As convert and generate: eval exited 2 (a usage error), export and split 0 with empty outputs."""
    (tmp_path / "bad.jsonl").write_text('{"id": \n[1, 2]\n')
    _check([a.replace("BAD", str(tmp_path / "bad.jsonl")).replace("OUT", str(tmp_path / "out")) for a in command],
           1, message)


@pytest.mark.parametrize("args, message", [
    (["demo", "--scenes", "1", "--out", "BLOCKED/demo"], "Not a directory"),
    (["eval", "RUN", "--model", "replay:REPLIES", "--out", "BLOCKED/eval"], "Not a directory"),
    # refused before any reply is scored (`check_file`), naming the file in the way
    (["score-freeform", "FF", "--scenes", "RUN/scenes.jsonl", "--matcher", "lexical", "--out", "BLOCKED/ff.jsonl"],
     "cannot write there: BLOCKED is a file, not a folder"),
], ids=["demo", "eval", "score-freeform"])
def test_an_out_below_a_file_is_said_not_a_traceback(run: Path, evaluated: Path, tmp_path: Path,
                                                     args: list[str], message: str) -> None:
    """demo ended in a NotADirectoryError traceback; eval and score-freeform said 'error: 20' (the errno)."""
    (tmp_path / "blocked").write_text("a file")
    image_id = orjson.loads((run / "scenes.jsonl").read_bytes().splitlines()[0])["image_id"]
    (tmp_path / "ff.jsonl").write_bytes(orjson.dumps({"image_id": image_id, "response": "A circle."}) + b"\n")
    names = {"BLOCKED": str(tmp_path / "blocked"), "RUN": str(run), "FF": str(tmp_path / "ff.jsonl"),
             "REPLIES": str(evaluated.parent / "replies.jsonl")}
    for key, value in names.items():
        args = [a.replace(key, value) for a in args]
        message = message.replace(key, value)
    _check(args, 2, message)


@pytest.mark.parametrize("command, target", [("generate", "veriscene.engine.generate.generate"),
                                             ("verify", "veriscene.verify.verify")])
def test_a_system_error_is_a_failure_said(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          command: str, target: str) -> None:
    """An OSError other than a missing file (a disk full, a permission refused) ended in a traceback."""
    module, name = target.rsplit(".", 1)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "x"))

    monkeypatch.setattr(importlib.import_module(module), name, refuse)  # the module: its package names the function
    args = {"generate": ["generate", str(run / "scenes.jsonl"), "--out", str(tmp_path / "out")],
            "verify": ["verify", str(run)]}[command]
    _check(args, 1, f"Permission denied: '{tmp_path / 'x'}'")


@pytest.mark.parametrize("args, message", [
    (["generate", "RUN/scenes.jsonl", "--out", "OUT", "--mode", "xx"], "mode must be one of"),
    (["generate", "OUT/none.jsonl", "--out", "OUT"], "does not exist"),
    (["verify", "RUN", "--backend", "foo"], "backend must be one of"),
    # a misspelt mode matched no sample: exit 0, 'no sample matches the filters given'
    (["view", "RUN", "--html", "OUT.html", "--mode", "captions"],
     "mode must be one of qa, mc, caption, got 'captions'"),
], ids=["generate-mode", "generate-missing", "verify-backend", "view-mode"])
def test_usage_errors_stay_2(run: Path, tmp_path: Path, args: list[str], message: str) -> None:
    _check([a.replace("RUN", str(run)).replace("OUT", str(tmp_path / "out")) for a in args], 2, message)
