"""The scripts of examples/ run as a user runs them (a fresh process, in an empty folder) and print
what proves they worked, so that they never rot. About 15 s in all."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"
TIMEOUT_S = 120


def run(cwd: Path, *args: str) -> str:
    """Run `python ARGS` in `cwd`; its standard output, or a failure showing both streams."""
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    return done.stdout


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"{pattern!r} not in the output:\n{text}"
    return float(match.group(1))


def test_coco_to_llava(tmp_path: Path) -> None:
    out = run(tmp_path, str(EXAMPLES / "coco_to_llava.py"))
    assert number(r"^convert: (\d+) scenes written, 0 rejected", out) == 3
    samples = number(r"^generate: (\d+) samples from 3 scenes", out)
    assert samples > 0
    assert f"verify: {samples:.0f} of {samples:.0f} samples verified, 0 mismatches" in out
    assert f"export: {samples:.0f} LLaVA records, 0 images missing" in out
    assert (tmp_path / "coco_to_llava_out" / "llava.json").is_file()
    assert '"from": "gpt"' in out  # the record printed


def test_benchmark_a_model(tmp_path: Path) -> None:
    pytest.importorskip("httpx", reason="openai: models need the `eval` extra (httpx)")
    out = run(tmp_path, str(EXAMPLES / "benchmark_a_model.py"))
    assert number(r"^benchmark: (\d+) samples, 0 verification mismatches", out) > 0
    assert 0.0 < number(r"^baseline: accuracy ([\d.]+)", out) < 0.6  # it answers without looking
    assert number(r"^targets: accuracy ([\d.]+)", out) == 1.0  # the export's targets are all right
    assert number(r"^targets - baseline: \+([\d.]+) points", out) > 40
    assert (tmp_path / "bench_eval" / "compare" / "compare.md").is_file()


def rewards_table(out: str) -> dict[str, list[float]]:
    """completion label -> [accuracy, format, weighted] from the script's table."""
    rows = re.findall(r"^(right|wrong|hedged|no tags) +([\d.]+) +([\d.]+) +([\d.]+)$", out, re.MULTILINE)
    return {label: [float(x) for x in values] for label, *values in rows}


def check_rewards(out: str) -> None:
    assert number(r"^export: (\d+) rows", out) > 0
    assert rewards_table(out) == {"right": [1.0, 1.0, 1.1], "wrong": [0.0, 1.0, 0.1],
                                  "hedged": [0.0, 1.0, 0.1], "no tags": [1.0, 0.0, 1.0]}
    assert number(r"^verl right +score ([\d.]+) correct True", out) == 1.0
    assert number(r"^verl wrong +score ([\d.]+) correct False", out) == 0.1  # the format's share alone


def test_rl_rewards(tmp_path: Path) -> None:
    out = run(tmp_path, str(EXAMPLES / "rl_rewards.py"))
    check_rewards(out)
    try:
        import gymnasium  # noqa: F401
    except ImportError:
        assert "gymnasium not installed: environment skipped" in out
    else:  # two episodes: a wrong answer, then the right one at half the reward
        assert out.count("reward 0.0, feedback 'incorrect, 1 attempt left'") == 2
        assert out.count("reward 0.5, feedback 'correct', done True") == 2


def test_rl_rewards_without_gymnasium(tmp_path: Path) -> None:
    # None in sys.modules makes `import gymnasium` raise ImportError, as when it is not installed
    script = EXAMPLES / "rl_rewards.py"
    out = run(tmp_path, "-c", "import runpy, sys; sys.modules['gymnasium'] = None; "
                              f"runpy.run_path({str(script)!r}, run_name='__main__')")
    check_rewards(out)
    assert "gymnasium not installed: environment skipped" in out


def test_rl_environment(tmp_path: Path) -> None:
    pytest.importorskip("gymnasium")
    out = run(tmp_path, str(EXAMPLES / "rl_environment.py"))
    assert "zoom -> 'zoomed to [0.0, 0.0, 0.5, 0.5] of Image 2', a 256x192 view" in out
    assert "zoom image=9 -> error \"could not zoom: no image '9' to zoom into" in out
    assert "answer -> 'correct'" in out
    assert "environment_reward: [1.0, 1.0] (answered by tool: True, False)" in out
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        assert "pyarrow not installed: verl part skipped" in out
    else:  # per row: the gold in tags and bare score 1, a wrong answer and no answer 0
        assert "verl batch: 12 responses, scores [1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]" in out


def test_the_plugin_runs_as_its_header_says(tmp_path: Path) -> None:
    """The Python recipe in my_generators.py's docstring, run as written from a copy of examples/."""
    plugin = EXAMPLES / "my_generators.py"
    doc = ast.get_docstring(ast.parse(plugin.read_text(encoding="utf-8"))) or ""
    recipe = re.search(r"^ {4}import veriscene\n.*?\.ok\n", doc, re.MULTILINE | re.DOTALL)
    assert recipe, "my_generators.py's docstring has no Python recipe (import veriscene ... .ok)"
    (tmp_path / "examples").mkdir()
    shutil.copy(plugin, tmp_path / "examples")
    code = textwrap.dedent(recipe.group(0)) + "print('samples', summary.samples)\n"
    assert number(r"^samples (\d+)$", run(tmp_path, "-c", code)) > 0
