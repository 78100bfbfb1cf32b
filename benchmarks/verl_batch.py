"""verl rewards one by one and in batches: responses per second of CPU time, and the rows compared.

    python benchmarks/verl_batch.py --scenes 40 --group 8 --rounds 5 [--freeform] [--distinct]

Input: a demo run of `--scenes` scenes (made in a temporary folder, images rendered) exported with
`veriscene export --to verl`; every row gets a GRPO group of `--group` responses (the gold answer
in tags, bare and after "The answer is", another sample's answer of its task, garbage, an empty
reply, cycled: a group of 8 repeats two of them, as groups do; with `--distinct` every response of
a group differs, in its think block, around the gold answer, another one or none). Free-form rows
are left out unless `--freeform` (then scored with `run_dir`, the combined score against the
run's scene graphs). The batch is scored `--rounds` times each way, alternated: one
`compute_score` call per response (verl's naive reward manager) and one `compute_score_batch`
call (verl's batch reward manager). Printed: responses, rows, the median responses per second of
this process's CPU time (`time.process_time`) each way, the speed-up, and whether the two gave
the same rows (they must).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from veriscene.demo.pipeline import run_demo
from veriscene.io.export import export
from veriscene.io.writers.text import answer_text
from veriscene.rewards.verl import compute_score, compute_score_batch


def batch_of(run: Path, group: int, freeform: bool, distinct: bool = False) -> tuple[list[Any], ...]:
    """The four columns of a batch of `group` responses per exported row."""
    import pyarrow.parquet as pq

    export(run, run / "verl.parquet", "verl")
    rows = pq.read_table(run / "verl.parquet").to_pylist()
    with open(run / "samples.jsonl", encoding="utf-8") as fh:
        samples = {s["id"]: s for s in map(json.loads, fh)}
    by_task: dict[str, list[str]] = {}
    for s in samples.values():
        by_task.setdefault(s["task"], []).append(answer_text(s))
    sources: list[Any] = []
    texts: list[Any] = []
    truths: list[Any] = []
    infos: list[Any] = []
    for n, row in enumerate(rows):
        sample = samples[row["extra_info"]["sample_id"]]
        if sample["answer_type"] == "text" and not sample.get("choices") and not freeform:
            continue
        gold, pool = answer_text(sample), by_task[sample["task"]]
        other = next((a for a in pool[n % len(pool):] + pool if a != gold), "nothing")
        replies = [f"<think>Looking at the image.</think><answer>{gold}</answer>", gold, f"The answer is {gold}.",
                   f"<answer>{other}</answer>", "I cannot tell from this picture.", ""]
        for k in range(group):
            sources.append(row["data_source"])
            texts.append(replies[k % len(replies)] if not distinct else
                         f"<think>Look {k}.</think><answer>{(gold, other, 'no idea')[k % 3]}</answer>")
            truths.append(row["reward_model"]["ground_truth"])
            infos.append(dict(row["extra_info"]))
    return sources, texts, truths, infos


def rate(score: Callable[[], list[dict[str, Any]]], n: int) -> tuple[float, list[dict[str, Any]]]:
    start = time.process_time()
    out = score()
    return n / max(time.process_time() - start, 1e-9), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=40, help="demo scenes (default 40)")
    parser.add_argument("--group", type=int, default=8, help="responses per row, GRPO's n (default 8)")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds each way (default 5)")
    parser.add_argument("--freeform", action="store_true", help="score free-form rows too (with run_dir)")
    parser.add_argument("--distinct", action="store_true",
                        help="every response of a group different (by its think block): no response scored once for two")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="verl_batch_") as tmp:
        run = Path(tmp) / "run"
        run_demo(run, scenes=args.scenes, seed=0)
        sources, texts, truths, infos = batch_of(run, args.group, args.freeform, args.distinct)
        keywords: dict[str, Any] = {"vocabulary_file": str(run / "vocabulary.json")}
        if args.freeform:
            keywords["run_dir"] = str(run)
        n = len(texts)
        one = lambda: [compute_score(s, t, g, i, **keywords) for s, t, g, i in zip(sources, texts, truths, infos)]  # noqa: E731
        batch = lambda: compute_score_batch(sources, texts, truths, infos, **keywords)  # noqa: E731
        rate(one, n)  # warm: the vocabulary and (free-form) the scene graphs read once
        rates: dict[str, list[float]] = {"one by one": [], "batch": []}
        same = True
        for _ in range(args.rounds):
            r1, rows1 = rate(one, n)
            r2, rows2 = rate(batch, n)
            rates["one by one"].append(r1)
            rates["batch"].append(r2)
            same = same and rows1 == rows2
        print(f"{n} responses, {n // args.group} rows x {args.group}, {args.scenes} demo scenes"
              f"{', free-form rows included' if args.freeform else ''}"
              f"{', every response of a group distinct' if args.distinct else ''}; {args.rounds} alternated rounds")
        print(f"{'way':12} {'responses/s (median CPU)':>26} {'min':>10} {'max':>10}")
        for way, values in rates.items():
            print(f"{way:12} {statistics.median(values):26,.0f} {min(values):10,.0f} {max(values):10,.0f}")
        speedup = statistics.median(rates["batch"]) / statistics.median(rates["one by one"])
        print(f"speed-up {speedup:.2f}x; same rows: {'yes' if same else 'NO'}")
        if not same:
            raise SystemExit("compute_score_batch and compute_score disagree")


if __name__ == "__main__":
    main()
