"""`generate --from FORMAT` stopped or failing while it converts its input, or after, before its
first shard: the folder and the message agree. A conversion stopped part-way leaves nothing (nor
half a reject report, nor an earlier conversion's stamp gone); a finished one is kept after
Ctrl-C or SIGTERM, said, and reused by --resume; an error takes the conversion back with the run.
Before: the message said that nothing of the run was kept while the folder kept the conversion
(scenes.jsonl, convert_rejects.jsonl, scenes.source.json), or half its reject report."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.held_cli import HELD_SCAN, said, stopped_when_held
from veriscene import generate
from veriscene.engine.converted import FILES, REJECTS, STAMP
from veriscene.errors import SceneValidationError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, fork")

SIGNALS = [(signal.SIGINT, 130, "interrupted (Ctrl-C)"), (signal.SIGTERM, 143, "stopped by SIGTERM")]

# The CLI in a process held (the file argv[1] written) as the conversion writes its first scenes,
# a reject already in its report
HELD_CONVERSION = '''
import sys, time
from pathlib import Path

import veriscene.io.convert as convert
real = convert.dumps_scenes

def held(batch):
    Path(sys.argv[1]).write_text("converting")
    time.sleep(60)
    return real(batch)

convert.dumps_scenes = held
from veriscene.cli import app
app(sys.argv[2:], prog_name="veriscene")
'''

# ... or in the scan, the conversion done: `held_cli.HELD_SCAN`


def _coco(path: Path, name: str = "person") -> Path:
    """Two images of a `name`, and an annotation of an image not listed (an object reject)."""
    box = {"category_id": 1, "bbox": [2, 2, 10, 10]}
    path.write_text(json.dumps({
        "images": [{"id": k, "file_name": f"{k}.jpg", "width": 50, "height": 40} for k in (1, 2)],
        "annotations": [{"id": 1, "image_id": 1, **box}, {"id": 2, "image_id": 2, **box}, {"id": 3, "image_id": 9, **box}],
        "categories": [{"id": 1, "name": name}]}))
    return path


def _folder(out: Path) -> Path:
    out.mkdir()
    (out / ".hidden").write_bytes(b"the user's")  # a folder left as it was found keeps it, and only it
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _command(src: Path, out: Path, *extra: str) -> list[str]:
    return ["generate", str(src), "--from", "coco", "--out", str(out), "-g", "counting", *extra]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "veriscene", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "300"}, timeout=300)


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_stopped_while_converting_it_leaves_the_folder_as_it_was_and_says_so(
        tmp_path: Path, signum: int, status: int, what: str) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run")
    stopped = stopped_when_held(tmp_path / "held.py", HELD_CONVERSION, tmp_path / "ready", signum, *_command(src, out))
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (f"{what}: the run was stopped before it finished a shard, and nothing of it "
                                    f"is kept in {out}; run the same command again to start it over")
    assert _files(out) == {".hidden": b"the user's"}  # no reject report of the part converted
    again = _run(*_command(src, out))
    assert again.returncode == 0, again.stderr
    assert (out / "samples.jsonl").stat().st_size > 0


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_stopped_after_converting_it_keeps_the_conversion_says_so_and_resume_reuses_it(
        tmp_path: Path, signum: int, status: int, what: str) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run")
    stopped = stopped_when_held(tmp_path / "held.py", HELD_SCAN, tmp_path / "ready", signum, *_command(src, out))
    assert stopped.returncode == status, stopped.stderr
    assert said(stopped.stderr) == (
        f"{what}: the run was stopped before it finished a shard, and nothing of it is kept in {out} but its "
        "input, converted (scenes.jsonl, convert_rejects.jsonl, scenes.source.json); run the same command again "
        "with --resume to start it over from that conversion (without --resume, the input is converted again)")
    assert sorted(_files(out)) == sorted([".hidden", *FILES])
    resumed = _run(*_command(src, out, "--resume"))
    assert resumed.returncode == 0, resumed.stderr
    assert "reused: the input and options are unchanged" in said(resumed.stdout)
    assert (out / "samples.jsonl").stat().st_size > 0


def test_an_earlier_conversion_stays_whole_when_a_new_one_is_stopped(tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run")
    first = stopped_when_held(tmp_path / "held.py", HELD_SCAN, tmp_path / "ready", signal.SIGINT, *_command(src, out))
    assert first.returncode == 130, first.stderr
    kept = _files(out)
    assert sorted(kept) == sorted([".hidden", *FILES])
    _coco(src, name="man")  # the input changed, converted again and stopped while converting
    stopped = stopped_when_held(tmp_path / "held.py", HELD_CONVERSION, tmp_path / "ready", signal.SIGTERM,
                                *_command(src, out))
    assert stopped.returncode == 143, stopped.stderr
    assert "but its input, converted" in said(stopped.stderr)  # the earlier one: still there, said
    assert _files(out) == kept  # its stamp not gone, its reject report not cut short


def test_a_conversion_refusing_a_record_with_strict_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run")
    with pytest.raises(SceneValidationError, match="image_id"):
        generate(src, out, from_format="coco", generators="counting", strict=True)
    assert _files(out) == {".hidden": b"the user's"}


def test_a_run_failing_after_its_conversion_takes_the_conversion_back(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    engine = importlib.import_module("veriscene.engine.generate")  # (the package's `generate` is the function)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("the input could not be read")

    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run")
    monkeypatch.setattr(engine, "scan_scenes", broken)
    with pytest.raises(OSError, match="could not be read"):
        generate(src, out, from_format="coco", generators="counting")
    assert _files(out) == {".hidden": b"the user's"}


def test_a_conversion_that_converts_nothing_keeps_the_reject_report_it_names_and_no_empty_scene_file(
        tmp_path: Path) -> None:
    src, out = _coco(tmp_path / "instances.json"), _folder(tmp_path / "run")
    src.write_bytes(src.read_bytes()[:40])  # cut short
    with pytest.raises(SceneValidationError, match=f"see {out / REJECTS}"):
        generate(src, out, from_format="coco", generators="counting")
    assert sorted(_files(out)) == [".hidden", REJECTS]
    assert b"instances.json" in (out / REJECTS).read_bytes() and not (out / STAMP).exists()


def test_a_run_at_a_url_stopped_after_converting_says_its_staging_folder_keeps_the_conversion(tmp_path: Path) -> None:
    # memory:// is each process's own store: the URL holds nothing for the next command
    src, staging = _coco(tmp_path / "instances.json"), tmp_path / "stage"
    command = ["generate", str(src), "--from", "coco", "--out", "memory://bucket/run", "--staging", str(staging),
               "-g", "counting"]
    stopped = stopped_when_held(tmp_path / "held.py", HELD_SCAN, tmp_path / "ready", signal.SIGTERM, *command)
    assert stopped.returncode == 143, stopped.stderr
    assert said(stopped.stderr) == (
        "stopped by SIGTERM: the run was stopped before it finished a shard, and nothing of it is kept in "
        f"memory://bucket/run; its input, converted, is kept in its staging folder {staging} (scenes.jsonl, "
        "convert_rejects.jsonl, scenes.source.json); run the same command again with --resume to start it over "
        "from that conversion (without --resume, the input is converted again)")
    assert sorted(p.name for p in staging.iterdir() if not p.name.startswith(".")) == sorted(FILES)
    resumed = _run(*command, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "reused: the input and options are unchanged" in said(resumed.stdout)
