"""The summary of an evaluation copies no whole column (`tally.Tally.summary`): above the columns
it reads, a few bytes of each answered record and chunks of bounded size (traced by tracemalloc).
Before, the summary held the id order and every column again in id order, and float64 copies of
each group's values."""

from __future__ import annotations

import random
import tracemalloc

from veriscene.evaluate.tally import Tally

N = 300_000


def made_tally(n: int, seed: int = 0) -> Tally:
    """n records: 90 % scored, 5 % parse_failed, 5 % errors, of 40 tasks, 12 families, 5 step counts."""
    rng = random.Random(seed)
    tally = Tally()
    for k in range(n):
        status = ("error", "parse_failed")[k // 10 % 2] if k % 10 == 0 else "scored"
        answered = status != "error"
        score = rng.choice((0.0, 1.0, 0.5, rng.random())) if status == "scored" else 0.0
        tally.add({"id": f"{rng.getrandbits(64):016x}", "task": f"task{k % 40}.v1", "family": f"family{k % 12}",
                   "answer_type": "int", "mode": "qa", "steps": k % 5 + 1, "images": 1, "status": status,
                   "correct": score == 1.0 if answered else None, "score": score if answered else None,
                   "latency_s": None})
    return tally


def test_the_summary_of_300000_records_copies_no_whole_column() -> None:
    tally = made_tally(N)
    tracemalloc.start()
    try:
        summary = tally.summary(n_boot=1, ids_at=lambda positions: [])  # (distinct 16-byte keys: no id read)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary["overall"]["n"] == N - N // 20
    # above the columns: correct, score and group in id order (13 bytes an answered record), a
    # group's mask and values (10), one piece of the bootstrap's draws (2 MiB at most: 7 bytes a
    # record here) and a chunk of the counts: 33 bytes a record; before, 55 (the id order, every
    # column again in id order, masks of every record and float64 copies of each group's values)
    assert peak < 40 * N, peak / N
