"""benchmarks/reward_gaming.py still runs (on a small demo run) and finds no hedge earning a reward
(helper-240). Its figures are in its docstring; no speed is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_reward_gaming_benchmark(tmp_path: Path) -> None:
    table = tmp_path / "table.json"
    done = subprocess.run([sys.executable, str(BENCH / "reward_gaming.py"), "--scenes", "12", "--per-task", "2",
                           "--json", str(table)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "0 cell(s) flagged '!'" in done.stdout, done.stdout
    plain = next(line.split()[2:] for line in done.stdout.splitlines() if line.startswith("honest  plain"))
    header = next(line.split()[2:] for line in done.stdout.splitlines() if line.startswith("group"))
    assert all(float(v) == 1.0 for kind, v in zip(header, plain) if kind != "box")
    assert "every_name_and_attribute" in done.stdout and table.exists()
    # the combined free-form score (helper-245): listing everything, a vague reply or none earns less
    # than the gold description; saying nothing earns 0
    figures = json.loads(table.read_text())["text"]
    for task in {key.rsplit(".", 2)[0] for key in figures}:
        gold = figures[f"{task}.gold.combined"]
        assert figures[f"{task}.empty.combined"] == figures[f"{task}.question.combined"] == 0.0
        for listing in ("every_name_and_attribute", "objects_every_attribute", "every_relation", "long_vague",
                        "every_name_each_image", "every_name", "not_in_scene", "absent_names", "markdown_table",
                        "hidden_listing", "hedged_alternatives", "huge"):
            assert figures[f"{task}.{listing}.combined"] < gold, (task, listing)
    # the free-form RL reward (helper-250): no gamed reply earns more than the gold, sample by sample
    assert "0 free-form cell(s) flagged '!'; gamed replies earning more than the gold: 0" in done.stdout, done.stdout
    # hedges (helper-260): a hedge on every sentence earns less than the gold, hedging false claims
    # no more than saying them plainly, and a torn policy no more by hedging than by committing
    for task in {key.rsplit(".", 2)[0] for key in figures}:
        for hedged in ("maybe_each", "think_each", "probably_each", "paren_each", "possible_each"):
            assert figures[f"{task}.{hedged}.combined"] <= figures[f"{task}.gold.combined"], (task, hedged)
        assert (figures[f"{task}.gold_and_hedged_not_in_scene.combined"]
                <= figures[f"{task}.gold_and_not_in_scene.combined"]), task
    torn = done.stdout.split("a policy torn between the gold and a half-right rival", 1)[1].splitlines()[1:4]
    assert len(torn) == 3 and not any("!" in line for line in torn), torn
