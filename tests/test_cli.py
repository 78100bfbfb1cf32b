"""The command line: demo end to end, determinism, errors without tracebacks."""

import orjson
from typer.testing import CliRunner

from veriscene.cli import app

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "generate", "verify", "generators", "convert", "annotate", "export"):
        assert command in result.output


def test_every_command_has_help() -> None:
    for command in ("demo", "generate", "verify", "generators", "convert", "annotate", "export"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command


def test_demo_is_verified_and_deterministic(tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = runner.invoke(app, ["demo", "--out", str(a), "--scenes", "12", "--seed", "4"])
    assert first.exit_code == 0, first.output
    assert "0 mismatches" in first.output
    assert runner.invoke(app, ["demo", "--out", str(b), "--scenes", "12", "--seed", "4"]).exit_code == 0
    for name in ("samples.jsonl", "scenes.jsonl", "llava.json", "images/demo-000003.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    llava = orjson.loads((a / "llava.json").read_bytes())
    assert llava[0]["image"].startswith("images/") and llava[0]["conversations"][0]["value"].startswith("<image>")


def test_verify_reports_tampered_sample(tmp_path) -> None:
    out = tmp_path / "d"
    assert runner.invoke(app, ["demo", "--out", str(out), "--scenes", "5"]).exit_code == 0
    lines = (out / "samples.jsonl").read_bytes().splitlines()
    record = orjson.loads(lines[0])
    record["answer"] = not record["answer"] if isinstance(record["answer"], bool) else "tampered"
    lines[0] = orjson.dumps(record)
    (out / "samples.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 1
    assert f"MISMATCH line 1 sample {record['id']}" in result.output


def test_generate_bad_scene_file_strict_one_line_error(tmp_path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"image_id": "a", "width": 10, "height": 10, "objects": [], "relations": [[0, "on", 1]]}\n')
    result = runner.invoke(app, ["generate", str(bad), "--out", str(tmp_path / "o"), "--strict"])
    assert result.exit_code == 1
    assert "line 1, field 'relations[0]" in result.output
    assert "Traceback" not in result.output


def test_generate_scan_chunk_option_reaches_the_manifest(tmp_path) -> None:
    good = tmp_path / "s.jsonl"
    good.write_text('{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}\n')
    result = runner.invoke(app, ["generate", str(good), "--out", str(tmp_path / "o"), "--scan-chunk-mb", "2"])
    assert result.exit_code == 0, result.output
    assert orjson.loads((tmp_path / "o" / "manifest.json").read_bytes())["config"]["scan_chunk_bytes"] == 2 << 20


def test_generate_compressed_input_and_a_truncated_one(tmp_path) -> None:
    import gzip

    record = b'{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}\n'
    packed = tmp_path / "s.jsonl.gz"
    packed.write_bytes(gzip.compress(record * 1))
    result = runner.invoke(app, ["generate", str(packed), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "samples.jsonl").read_bytes()
    packed.write_bytes(packed.read_bytes()[:-10])
    result = runner.invoke(app, ["generate", str(packed), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 2 and "Traceback" not in result.output and "Aborted" not in result.output
    assert "cannot read the gzip-compressed scene file to its end" in " ".join(result.output.split())


def test_generate_on_a_folder_says_to_convert_it(tmp_path) -> None:
    (tmp_path / "scenes").mkdir()
    result = runner.invoke(app, ["generate", str(tmp_path / "scenes"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "is a folder: pass from_format='auto' (--from auto)" in " ".join(result.output.split())


def test_generate_unknown_generator_suggests(tmp_path) -> None:
    good = tmp_path / "s.jsonl"
    good.write_text('{"image_id": "a", "width": 10, "height": 10, "objects": []}\n')
    result = runner.invoke(app, ["generate", str(good), "--out", str(tmp_path / "o"), "-g", "object.cont.v1"])
    assert result.exit_code == 2 and "did you mean object.count.v1" in result.output


def test_generators_json() -> None:
    result = runner.invoke(app, ["generators", "--json"])
    rows = orjson.loads(result.output)
    assert {r["family"] for r in rows} >= {"object", "counting", "attribute", "relation", "spatial", "grounding"}


def test_a_warning_is_one_line_of_the_error_output(capsys) -> None:
    from veriscene.cli import _show_warning

    _show_warning(UserWarning("the images are not on 1 node(s) [of] the Ray cluster"), UserWarning, "parallel.py", 3)
    assert capsys.readouterr().err == "warning: the images are not on 1 node(s) [of] the Ray cluster\n"


def test_an_error_is_printed_as_it_reads(tmp_path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    missing = tmp_path / "[of] scenes.jsonl"  # brackets that rich would take for markup
    result = CliRunner().invoke(app, ["generate", str(missing), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"scene file {missing} does not exist" in " ".join(result.output.split())
