"""`veriscene eval` killed with SIGKILL while replies arrive out of order, then resumed.

An early request hangs while later ones are answered: every reply the client received before the
kill must be in results.jsonl (with the request cache or without it), the resume must not ask
for them again, and the finished file holds each sample once, in sample order.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from tests.evaluate.conftest import answer_table, samples
from tests.evaluate.fake_server import FakeServer

LIMIT = 40  # samples evaluated
STUCK = 3  # the sample whose request hangs until the kill
ANSWERED_BEFORE_KILL = 20


def _lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_a_killed_run_keeps_every_reply_it_received(demo_run: Path, tmp_path: Path, cache: bool) -> None:
    table = answer_table(demo_run)
    index = {text: i for i, (text, _) in enumerate(table)}
    gate = threading.Event()
    lock = threading.Lock()
    answered: list[str] = []

    def answer(text: str, images: list[str]) -> str:
        with lock:
            hang = not gate.is_set() and (index[text] == STUCK or len(answered) >= ANSWERED_BEFORE_KILL)
            if not hang:
                answered.append(text)
        if hang:
            gate.wait()
        return table[(text, tuple(images))]

    out = tmp_path / "out"
    ids = [s["id"] for s in samples(demo_run)[:LIMIT]]
    with FakeServer(answer) as server:
        cmd = [sys.executable, "-m", "veriscene", "eval", str(demo_run), "--model", "openai:fake",
               "--base-url", server.url, "--out", str(out), "--limit", str(LIMIT), "--concurrency", "4",
               "--freeform", "off", *([] if cache else ["--no-cache"])]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # a bound on a wait, not a timing check: the run's start (imports, reading the run)
            # took over 20 s on a machine loaded 6-11 deep; the loops end as soon as the state holds
            deadline = time.monotonic() + 120
            while len(answered) < ANSWERED_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.01)
            # every reply sent has been taken in once the run has written it (or after a long wait)
            while len(_lines(out / "results.jsonl") if (out / "results.jsonl").exists() else []) \
                    < ANSWERED_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        with lock:
            received = set(answered)
        written = _lines(out / "results.jsonl")
        assert len(received) == ANSWERED_BEFORE_KILL
        # every reply received is written although the stuck sample's (earlier) never came
        assert len(written) == ANSWERED_BEFORE_KILL
        assert ids[STUCK] not in {r["id"] for r in written}
        assert {r["prompt"] for r in written} == received

        gate.set()
        done = subprocess.run(cmd, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    delivered = server.delivered()
    # asked twice: only the requests in flight at the kill (the stuck one and those held behind the gate)
    twice = {key for key, n in delivered.items() if n > 1}
    assert len(twice) <= 4 and all(n <= 2 for n in delivered.values())
    counts = orjson.loads((out / "summary.json").read_bytes())["counts"]
    assert counts["resumed"] == ANSWERED_BEFORE_KILL
    assert counts["requests_sent"] == LIMIT - ANSWERED_BEFORE_KILL and counts["from_cache"] == 0
    final = _lines(out / "results.jsonl")
    assert [r["id"] for r in final] == ids
    assert all(r["status"] != "error" for r in final)
