"""The summary sorts the tally's id keys where they are (`Tally._id_keys` turns their bytes to
native order in place, and back): a second summary is the first, and records added after it
count, in the order of their ids."""

from __future__ import annotations

import random
from typing import Any

from veriscene.evaluate.tally import Tally


def _record(sample_id: str, correct: bool) -> dict[str, Any]:
    return {"id": sample_id, "status": "scored", "correct": correct, "score": float(correct), "task": "t.v1",
            "family": "f", "answer_type": "int", "mode": "qa", "steps": 2, "images": 1, "latency_s": 0.1}


def test_a_summary_leaves_the_keys_as_they_were() -> None:
    rng = random.Random(3)
    ids = [f"{rng.choice(['same-prefix-of-16', 'x', 'é'])}{rng.randrange(10**6)}" for _ in range(300)]
    records = [_record(i, rng.random() < 0.5) for i in ids]
    tally = Tally()
    for r in records[:200]:
        tally.add(r)
    keys = bytes(tally._keys)

    def ids_at(positions: Any) -> list[str]:
        return [records[p]["id"] for p in positions.tolist()]

    first = tally.summary(n_boot=50, ids_at=ids_at)
    assert bytes(tally._keys) == keys
    assert tally.summary(n_boot=50, ids_at=ids_at) == first
    for r in records[200:]:  # the key bytes grow again: no view of them kept
        tally.add(r)
    whole = Tally()
    for r in records:
        whole.add(r)
    assert tally.summary(n_boot=50, ids_at=ids_at) == whole.summary(n_boot=50, ids_at=ids_at)
