"""Workers that die: said with what to do, and a script without the main guard said as that."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from veriscene.engine import backends
from veriscene.engine.worker_faults import _died, _hung, rerun_script

UNGUARDED = """
{imports}
import veriscene

report = veriscene.verify({run!r}, workers=2, chunk_size=5)
print("verified", report.samples)
"""

GUARDED = """
import veriscene

if __name__ == "__main__":
    report = veriscene.verify({run!r}, workers=2, chunk_size=5)
    print("verified", report.samples)
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generation run to verify."""
    from veriscene import generate
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    folder = tmp_path_factory.mktemp("run")
    write_scenes(iter_scene_graphs(4, seed=3), folder / "scenes.jsonl")
    generate(folder / "scenes.jsonl", folder / "run", seed=2, generators="counting")
    return folder / "run"


def _script(tmp_path: Path, text: str, start_method: str | None) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "check.py"
    script.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != backends.START_METHOD_ENV}
    if start_method is not None:
        env[backends.START_METHOD_ENV] = start_method
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkserver and the default fork are Linux's")
@pytest.mark.parametrize(("imports", "start_method"), [("", "spawn"), ("import torch", None)])
def test_a_script_starting_workers_without_the_main_guard_is_told_so(tmp_path: Path, run: Path, imports: str,
                                                                     start_method: str | None) -> None:
    """The user's script: torch imported (veriscene then starts workers with forkserver) and
    `verify(..., workers=2)` at its top level. Each worker ran the script again and died
    starting; the run said to resume (verify has no --resume) or that memory ran out."""
    if imports:
        pytest.importorskip("torch")  # in the test extra: never skipped by `make test`
    done = _script(tmp_path, UNGUARDED.format(imports=imports, run=str(run)), start_method)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    last = said[said.rindex("WorkerDied"):]
    # (with forkserver, a worker may have started before another died: "while starting" is then not said;
    # and a worker whose forkserver died first has multiprocessing's exit code 255)
    codes = ("1",) if start_method == "spawn" else ("1", "255")
    assert any(last.startswith(f"WorkerDied: a worker process died (exit code {code})") for code in codes), last
    assert f"first run the main script {tmp_path / 'check.py'} again" in last
    assert 'Put the code that starts the workers under `if __name__ == "__main__":` in that script.' in last
    assert "--resume" not in last and "memory" not in last


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="spawn is chosen here; fork is Linux's default")
def test_the_same_script_with_the_main_guard_runs(tmp_path: Path, run: Path) -> None:
    done = _script(tmp_path, GUARDED.format(run=str(run)), "spawn")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("verified ")


def _module(**attrs: object) -> types.ModuleType:
    module = types.ModuleType("__main__")
    module.__spec__ = None
    for name, value in attrs.items():
        setattr(module, name, value)
    return module


@pytest.mark.parametrize(("main", "rerun"), [
    (_module(__file__="/work/user.py"), "/work/user.py"),  # python user.py
    (_module(), None),  # python -c, an interactive session, a notebook
    (_module(__file__="/pkg/__main__.py"), None),  # python pkg/ (a package's __main__.py is not run again)
    (_module(__file__="/bin/ipython"), None),
])
def test_rerun_script(monkeypatch: pytest.MonkeyPatch, main: types.ModuleType, rerun: str | None) -> None:
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert rerun_script() == rerun


def test_rerun_script_of_a_module_run_with_dash_m(monkeypatch: pytest.MonkeyPatch) -> None:
    main = _module(__file__="/site/tool/run.py")
    main.__spec__ = types.SimpleNamespace(name="tool.run")  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert rerun_script() == "/site/tool/run.py"
    main.__spec__ = types.SimpleNamespace(name="tool.__main__")  # type: ignore[assignment]
    assert rerun_script() is None


class _Ended:
    """A pool's process that has ended with `exitcode`."""

    def __init__(self, exitcode: int) -> None:
        self.exitcode = exitcode

    def join(self, timeout: float | None = None) -> None:
        pass


@pytest.mark.parametrize(("resumable", "advice"), [
    (True, "run the same command again with --resume (resume=True)"),
    (False, "Run the command again, with fewer workers if memory ran out"),
])
def test_the_advice_names_resume_only_for_commands_that_have_it(resumable: bool, advice: str) -> None:
    assert advice in _died([_Ended(-9)], resumable=resumable)
    assert ("--resume" in _hung(5, resumable)) is resumable


@pytest.mark.parametrize(("started", "method", "code", "guard"), [
    (False, "forkserver", 1, True),
    (False, "spawn", 1, True),
    (True, "spawn", 1, False),  # a worker had started: something else
    (False, "fork", 1, False),  # a forked worker runs no script again
    (False, "spawn", -9, False),
])
def test_a_death_while_starting_is_said_as_the_main_guard(monkeypatch: pytest.MonkeyPatch, started: bool,
                                                          method: str, code: int, guard: bool) -> None:
    monkeypatch.setitem(sys.modules, "__main__", _module(__file__="/work/user.py"))
    said = _died([_Ended(code)], started=started, method=method, resumable=True)
    assert ("if __name__ == \"__main__\":" in said) is guard
    assert ("--resume" in said) is not guard


@pytest.mark.parametrize(("text", "guard"), [
    ("import veriscene\nveriscene.verify('run', workers=2)\n", True),
    ("import veriscene\nif __name__ == '__main__':\n    veriscene.verify('run', workers=2)\n", False),
    ('import veriscene\nif "__main__" == __name__:\n    veriscene.verify("run", workers=2)\n', False),
])
def test_an_unguarded_script_is_told_so_even_after_a_worker_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    text: str, guard: bool) -> None:
    """With forkserver the server runs the script once before forking the workers, and one may
    have started before another died: the script's own text then decides."""
    script = tmp_path / "user.py"
    script.write_text(text)
    monkeypatch.setitem(sys.modules, "__main__", _module(__file__=str(script)))
    said = _died([_Ended(1)], started=True, method="forkserver", resumable=True)
    assert ("if __name__ == \"__main__\":" in said) is guard
    assert "while starting" not in said


@pytest.mark.parametrize(("text", "method", "codes", "guard"), [
    ("import veriscene\nveriscene.verify('run', workers=2)\n", "forkserver", [255, 255], True),
    ("import veriscene\nveriscene.verify('run', workers=2)\n", "forkserver", [255, 1], True),
    ("import veriscene\nif __name__ == '__main__':\n    veriscene.verify('run', workers=2)\n", "forkserver",
     [255, 255], False),  # a guarded script's forkserver died of something else
    ("import veriscene\nveriscene.verify('run', workers=2)\n", "spawn", [255, 255], False),  # no forkserver
])
def test_workers_whose_forkserver_died_in_an_unguarded_script_are_told_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, method: str, codes: list[int],
        guard: bool) -> None:
    """multiprocessing gives exit code 255 to a worker whose forkserver died before reporting its
    status: the server ran the unguarded script and failed in it (a fresh-clone run said "exit code
    255 ... if memory ran out")."""
    script = tmp_path / "user.py"
    script.write_text(text)
    monkeypatch.setitem(sys.modules, "__main__", _module(__file__=str(script)))
    said = _died([_Ended(code) for code in codes], started=True, method=method, resumable=False)
    assert ("if __name__ == \"__main__\":" in said) is guard
    assert ("memory" in said) is not guard


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a zombie is read from Linux's /proc")
def test_a_driver_killed_but_not_reaped_is_not_running() -> None:
    # a worker set up after its driver was killed with SIGKILL, before the driver's parent reaped
    # it (a zombie), must see it gone (die_with_parent), or it outlives the driver
    import signal
    import time

    from veriscene.engine.worker_faults import _running

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert _running(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30  # a bound on the wait for the kill to land, not a timing check
        while Path(f"/proc/{proc.pid}/stat").read_text().rsplit(") ", 1)[1][:1] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not _running(proc.pid)  # a zombie: os.kill(pid, 0) alone still finds it
    finally:
        proc.kill()
        proc.wait()
    assert not _running(proc.pid)
