"""The command line: demo end to end, determinism, errors without tracebacks."""

import os

import orjson
import pytest
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


def test_each_command_is_summed_up_in_one_line_naming_its_python_function() -> None:
    """The list of `veriscene --help` wraps each summary as one paragraph (not at the docstring's
    line ends), and each names the Python function that does the same, which exists."""
    import importlib
    import re

    names = []
    for info in app.registered_commands:
        assert info.short_help and "\n" not in info.short_help, info.name
        found = re.search(r"\(Python: ([\w.]+)", info.short_help)
        assert found, info.short_help
        module, _, attr = found.group(1).rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr)), found.group(1)
        names.append(info.name or info.callback.__name__)
    assert len(names) == 15


def test_demo_is_verified_and_deterministic(tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    first = runner.invoke(app, ["demo", "--out", str(a), "--scenes", "12", "--seed", "4"])
    assert first.exit_code == 0, first.output
    assert "0 mismatches" in first.output
    # every file the demo leaves is named (the console wraps long paths anywhere: compared without spaces)
    wrote = "".join(first.output.split()).split("wrote", 1)[1]
    for name in ("images/(12PNG)", "scenes.jsonl", "samples.jsonl", "llava.json", "manifest.json",
                 "vocabulary.json", "rejects.jsonl"):
        assert name in wrote and (name.startswith("images") or (a / name).is_file()), name
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
    # a file cut short is bad data (exit 1, as a bad record with --strict), not a usage error (2)
    assert result.exit_code == 1 and "Traceback" not in result.output and "Aborted" not in result.output
    assert "cannot read the gzip-compressed scene file to its end" in " ".join(result.output.split())
    result = runner.invoke(app, ["verify", str(tmp_path / "o"), "--scenes", str(packed)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot read the gzip-compressed scene file to its end" in " ".join(result.output.split())


def test_generate_on_a_folder_without_scene_files_says_to_convert_it(tmp_path) -> None:
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "instances.json").write_text("{}")
    result = runner.invoke(app, ["generate", str(tmp_path / "scenes"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "is a folder without scene files (*.jsonl, compressed or not); to read annotation files from it, pass " \
        "--from auto" in " ".join(result.output.split())


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


def test_several_scene_files_from_generate_to_card(tmp_path) -> None:
    """`generate a b c -o OUT` reads the files as one input; verify, view, card and the card's
    command to make the run again all find them."""
    import shlex

    from veriscene.card import dataset_card
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    scenes = list(iter_scene_graphs(6, seed=2))
    files = [tmp_path / "in" / f"part-{k}.jsonl{suffix}" for k, suffix in enumerate(["", ".gz", ".zst"])]
    files[0].parent.mkdir()
    for k, path in enumerate(files):
        write_scenes(scenes[2 * k : 2 * k + 2], path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["generate", *map(str, files), "-o", str(out), "-g", "object,counting"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 0
    # a samples file with its scenes given as a folder
    result = runner.invoke(app, ["verify", str(out / "samples.jsonl"), "--scenes", str(tmp_path / "in")])
    assert result.exit_code == 0 and "0 mismatches" in " ".join(result.output.split()), result.output
    page = tmp_path / "page.html"
    assert runner.invoke(app, ["view", str(out), "--html", str(page), "--count", "5"]).exit_code == 0
    assert scenes[5].image_id in page.read_text() or scenes[0].image_id in page.read_text()
    from veriscene.viewer.catalog import Catalog

    catalog = Catalog.open(out)
    assert catalog.scenes_files == [out / os.path.join("..", "in", f.name) for f in files]
    found = catalog.scene(scenes[5].image_id)  # from the zstd file
    assert found is not None and found.image_id == scenes[5].image_id and found.names == scenes[5].names
    assert catalog.scenes_label(short=True) == "3 scene files, part-0.jsonl to part-2.jsonl.zst"
    card = dataset_card(out, verify=True)
    assert "3 files read as one input" in card and "part-2.jsonl.zst" in card
    (command,) = [line for line in card.splitlines() if line.startswith("veriscene generate")]
    argv = shlex.split(command)
    assert argv[2:6] == [os.path.join("in", f.name) for f in files] + ["--out"]
    # that command, run from the folder holding the run, makes the same samples
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        again = runner.invoke(app, argv[1:argv.index("--out") + 1] + [str(tmp_path / "again")] + argv[argv.index("OUT") + 1:])
    finally:
        os.chdir(old)
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "samples.jsonl").read_bytes().count(b"\n") == (out / "samples.jsonl").read_bytes().count(b"\n")



def _scene_file(tmp_path):
    good = tmp_path / "s.jsonl"
    good.write_text('{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}\n')
    return good


@pytest.mark.parametrize("args, said", [
    (["--to", "foo"], "--to: unknown export format 'foo'"),
    (["--seed", str(2**64)], "seed must be at most 18446744073709551615"),
    (["--scan-chunk-mb", "100000000000000"], "--scan-chunk-mb must be at most 1048576"),
    (["-w", "99999"], "workers must be at most"),
    (["--address", "10.0.0.1:6379"], "address is for the Ray backend"),
    (["-g", ""], "generators is empty"),
    (["--mode", "qa", "--mixture", "MIX"], "give either a mixture or --mode"),
])
def test_generate_usage_errors_are_said_before_the_run(tmp_path, args, said) -> None:
    mixture = tmp_path / "mix.yaml"
    mixture.write_text("default_weight: 0\ngenerators: {object.count.v1: 1}\n")
    args = [str(mixture) if a == "MIX" else a for a in args]
    result = runner.invoke(app, ["generate", str(_scene_file(tmp_path)), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert said in " ".join(result.output.split())
    assert not (tmp_path / "o").exists()


def test_generate_into_a_file_or_a_folder_of_other_files_is_refused(tmp_path) -> None:
    scenes = _scene_file(tmp_path)
    (tmp_path / "afile").write_text("hi")
    for out, said in [("afile", "is a file, not a folder"), ("afile/sub", "which is a file, not a folder")]:
        result = runner.invoke(app, ["generate", str(scenes), "--out", str(tmp_path / out)])
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "vocabulary.json").write_text('{"mine": 1}')
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["generate", str(scenes), "--out", str(tmp_path / "mine")])
    assert result.exit_code == 2 and "holds files but no veriscene run" in " ".join(result.output.split())
    assert (tmp_path / "mine" / "vocabulary.json").read_text() == '{"mine": 1}'


def test_generators_table_never_cuts_a_name(monkeypatch) -> None:
    from veriscene.console import console
    from veriscene.generators.catalog import generator_catalog

    monkeypatch.setattr(console, "width", 80)
    result = runner.invoke(app, ["generators"])
    assert result.exit_code == 0
    for row in generator_catalog():
        assert f"│ {row['name']}" in result.output, row["name"]


def test_generators_table_prints_templates_as_written(monkeypatch) -> None:
    # rich read "[x0, y0, x1, y1]" as a markup tag and dropped it: "Answer with , coordinates ..."
    from veriscene.console import console

    monkeypatch.setattr(console, "width", 400)
    result = runner.invoke(app, ["generators"])
    row = next(line for line in result.output.splitlines() if "│ grounding.box.v1 " in line)
    assert "Answer with [x0, y0, x1, y1], coordinates" in row
    assert "Answer with ," not in result.output


def test_generators_show_marked_points_example_with_the_options_it_needs(monkeypatch) -> None:
    # multi.marked_point.v1 asks nothing without marks: true; its example is made with it, and says so
    from veriscene.console import console
    from veriscene.generators.catalog import generator_catalog

    row = next(r for r in generator_catalog() if r["name"] == "multi.marked_point.v1")
    assert row["example_options"] == {"marks": True} and "marked point" in row["example"]
    assert row["options"]["marks"] is False  # (the default stays off)
    assert all(r["example_options"] == {} for r in generator_catalog() if r["name"] != row["name"])
    monkeypatch.setattr(console, "width", 400)
    result = runner.invoke(app, ["generators"])
    line = next(line for line in result.output.splitlines() if "│ multi.marked_point.v1 " in line)
    assert f"(marks=true) {row['example']}" in line


def test_a_missing_optional_package_is_one_line_naming_its_extra(tmp_path, monkeypatch) -> None:
    import sys

    good = tmp_path / "s.jsonl"
    good.write_text('{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "cat", "box": [1, 1, 5, 5]}]}\n')
    run = tmp_path / "o"
    assert runner.invoke(app, ["generate", str(good), "--out", str(run)]).exit_code == 0
    monkeypatch.setitem(sys.modules, "zstandard", None)  # import zstandard raises ImportError
    result = runner.invoke(app, ["generate", str(good), "--out", str(tmp_path / "z"), "--shard-format", "zstd"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in said and "pip install 'veriscene[zstd]'" in said
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = runner.invoke(app, ["export", str(run), "--to", "parquet", "--out", str(tmp_path / "p.parquet")])
    assert result.exit_code == 2 and "pip install 'veriscene[parquet]'" in " ".join(result.output.split())


def test_the_depth_map_generator_shows_an_example_on_a_synthetic_map() -> None:
    # the demo world has no depth maps: depth.map_points.v1's example is asked on demo scenes
    # given synthetic ones, and the listing says so and where a user's maps come from
    import re

    from veriscene.cli import _example_cell
    from veriscene.generators.catalog import generator_catalog

    row = next(r for r in generator_catalog() if r["name"] == "depth.map_points.v1")
    assert len(re.findall(r"\[0\.\d{3}, 0\.\d{3}\]", row["example"])) == 2, row["example"]  # two points asked about
    assert "synthetic depth map" in row["example_scenes"] and "--depth-maps" in row["example_scenes"]
    assert _example_cell(row) == f"(on demo scenes given a synthetic depth map) {row['example']}"
    assert all(r["example_scenes"] == "" for r in generator_catalog() if "depth_map" not in r["requires"])
