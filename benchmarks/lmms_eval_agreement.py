"""Do lmms-eval and `veriscene eval` give the same scores? Both against one fake model.

    python benchmarks/lmms_eval_agreement.py --lmms-python ~/lmms-venv/bin/python
    python benchmarks/lmms_eval_agreement.py --scenes 3          # veriscene's side only

Builds a demo run, exports it with `export(..., to="lmms_eval", split_by="task")`, and starts
the tests' fake OpenAI-compatible server, whose reply depends only on the prompt's text: the
planned reply (correct 60%, wrong 25%, unreadable 15%; `tests/evaluate/conftest.py`) of the first
sample with that prompt. Then `veriscene eval` and lmms-eval (its `openai` model, run by
`--lmms-python`, a Python with lmms-eval and veriscene installed) ask every sample, and the script
prints each generator's accuracy in both, and how many generators differ. lmms-eval is not a
dependency of veriscene; without `--lmms-python` only veriscene's side runs. Free-form
descriptions are left out of both (lmms-eval gets only what is scored by program).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.evaluate.conftest import planned_reply  # noqa: E402
from tests.evaluate.fake_server import FakeServer  # noqa: E402
from veriscene.demo.pipeline import run_demo  # noqa: E402
from veriscene.evaluate import evaluate  # noqa: E402
from veriscene.evaluate.prompts import PromptSet  # noqa: E402
from veriscene.io.export import export  # noqa: E402
from veriscene.io.writers.lmms_eval import subtask_name  # noqa: E402


def scorable(sample: dict) -> bool:
    return sample["answer_type"] != "text" or bool(sample.get("choices"))


def lmms_accuracies(python: str, task_dir: Path, url: str, out: Path) -> dict[str, float]:
    """Per subtask accuracy from an lmms-eval run of the group task."""
    cmd = [python, "-m", "lmms_eval", "--model", "openai",
           "--model_args", f"model_version=fake,base_url={url},api_key=none,max_retries=1",
           "--include_path", str(task_dir), "--tasks", "bench", "--batch_size", "8",
           "--output_path", str(out)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(out / "hf"))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    results = sorted(out.rglob("*results*.json"))
    if done.returncode != 0 or not results:
        raise RuntimeError(f"lmms-eval failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    data = json.loads(results[-1].read_text())["results"]
    return {name: entry["accuracy,none"] for name, entry in data.items() if "accuracy,none" in entry}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=8, help="demo scenes (default 8)")
    parser.add_argument("--lmms-python", help="a Python with lmms-eval and veriscene installed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        run_demo(run, scenes=args.scenes, seed=0)
        samples = [orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines() if line.strip()]
        samples = [s for s in samples if scorable(s)]
        scored = run / "scored.jsonl"  # beside the images its paths name
        scored.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in samples))
        prompts = PromptSet()
        replies: dict[str, str] = {}
        for s in samples:
            replies.setdefault(prompts.text(s), planned_reply(s))
        task_dir = Path(tmp) / "task"
        export(scored, task_dir, to="lmms_eval", task_name="bench", split_by="task")
        with FakeServer(lambda text, images: replies.get(text.strip(), "no idea"), capacity=16) as server:
            ours = evaluate(scored, "openai:fake", Path(tmp) / "eval", base_url=server.url, scenes=run / "scenes.jsonl",
                            freeform="off", reports=False)
            by_task: dict[str, list[bool]] = defaultdict(list)
            for line in (ours.out / "results.jsonl").read_bytes().splitlines():
                r = orjson.loads(line)
                by_task[r["task"]].append(bool(r.get("correct")))
            theirs = lmms_accuracies(args.lmms_python, task_dir, server.url, Path(tmp) / "lmms") if args.lmms_python else {}
        print(f"{len(samples)} samples scored by program, {len(by_task)} generators, {len(replies)} distinct prompts")
        print(f"{'generator':34s} {'n':>5s} {'veriscene':>10s} {'lmms-eval':>10s}")
        differ = 0
        for task in sorted(by_task):
            values = by_task[task]
            mine = sum(values) / len(values)
            other = theirs.get(subtask_name("bench", task))
            if other is not None and abs(other - mine) > 1e-9:
                differ += 1
            shown = "-" if other is None else f"{other:.4f}"
            print(f"{task:34s} {len(values):5d} {mine:10.4f} {shown:>10s}")
        print(f"overall veriscene accuracy {ours.accuracy:.4f}")
        if theirs:
            print(f"generators whose accuracy differs: {differ} of {len(by_task)}")


if __name__ == "__main__":
    main()
