"""`veriscene.stats_bottomk`: bounded tallies held as 64-bit hashes in numpy rows."""

import gc
import hashlib
import json
import tracemalloc

import numpy as np
import orjson
import pytest

from veriscene.stats import StatsReport
from veriscene.stats_bottomk import CountsByKey, HashedRows, Texts, text_hash


def rows_of(keys: list[int], subs: list[int], counts: list[int]) -> dict:
    return {"key": np.array(keys, dtype=np.uint64), "sub": np.array(subs, dtype=np.uint32),
            "n": np.array(counts, dtype=np.int64)}


def test_rows_of_equal_keys_are_added_up_and_the_smallest_keys_kept() -> None:
    rows = HashedRows(limit=3, summed=("n",))
    rows.extend(rows_of([50, 10, 2**64 - 1, 10, 30], [0, 1, 0, 1, 2], [1, 2, 3, 4, 5]))
    rows.extend(rows_of([20, 10], [0, 0], [6, 7]))
    rows.compact()
    kept = rows.kept
    assert kept is not None
    assert kept["key"].tolist() == [10, 10, 20, 30] and kept["sub"].tolist() == [0, 1, 0, 2]
    assert kept["n"].tolist() == [7, 6, 6, 5] and len(rows) == 3 and rows.above == 30
    rows.extend(rows_of([40, 5], [0, 0], [1, 1]))  # 40 is past the bound: dropped
    rows.compact()
    assert rows.kept["key"].tolist() == [5, 10, 10, 20] and rows.above == 20


@pytest.mark.parametrize("parts", [1, 2, 5])
def test_counts_by_key_in_parts_are_the_bottom_k_of_the_whole(parts: int) -> None:
    """Texts counted in parts (each past the bound, the front moved into the rows several
    times) and merged: the `limit` texts of smallest hash, every one of their samples counted."""
    texts = [(f"question {k % 900}", f"answer {k % 7}") for k in range(5000)]
    tallies = [CountsByKey(100) for _ in range(parts)]
    for k, (text, answer) in enumerate(texts):
        found = tallies[k * parts // len(texts)].counts(text)
        if found is not None:
            found[answer] += 1
    whole = tallies[0]
    for tally in tallies[1:]:
        whole.merge(tally)
    kept = dict(whole.by_key())
    expected = sorted({text for text, _ in texts}, key=text_hash)[:100]
    assert sorted(kept) == sorted(map(text_hash, expected)) and len(whole) == 100
    for text in expected:
        assert kept[text_hash(text)] == {a: sum(t == text and b == a for t, b in texts)
                                         for a in {b for t, b in texts if t == text}}


def test_texts_are_indexed_as_a_numpy_column() -> None:
    column = Texts.of(["red", "", "café", "a\x1fb", "日本"])
    assert list(column) == ["red", "", "café", "a\x1fb", "日本"]
    assert list(column[np.array([4, 0, 0, 2])]) == ["日本", "red", "red", "café"]
    assert list(column[np.array([True, False, False, True, False])]) == ["red", "a\x1fb"]
    assert list(column[:2]) == ["red", ""] and list(column[np.array([], dtype=np.int64)]) == []
    assert list(Texts.concat([column[3:], column[:1]])) == ["a\x1fb", "日本", "red"]
    assert column.nbytes == len("redcafé日本a\x1fb".encode()) + 8 * 5


# ---- one task filled past every bound (20,000 question texts, option values, option sets) ------

def _pick(j: int, p: int, n: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{j}:{p}".encode(), digest_size=8).digest(), "little") % n


def past_the_bound(scale: int = 1) -> list[bytes]:
    """60,000 sample lines of one task (divided by `scale`): 30,000 questions over 25,000 texts
    (answers 0-6), and 30,000 multiple choices of 4 options from 30,000 values, one in ten offering
    "naught" as the answer (telling, and of small hash: kept)."""
    lines, n, texts = [], 30_000 // scale, 25_000 // scale
    for j in range(n):
        lines.append(orjson.dumps({
            "id": f"q{j}", "task": "t.v1", "family": "object", "question": f"How many things are there in picture {j % texts}?",
            "answer": _pick(j, 0, 7) if j % 3 else j % texts % 7, "answer_type": "int", "meta": {"mode": "qa"}}))
    for j in range(n):
        choices: list[str] = []
        while len(choices) < 4:
            v = f"thing {_pick(j, len(choices) + 10 * len(choices) ** 2, n)}"
            choices = choices + [v] if v not in choices else choices + [f"{v}x"]
        answer = _pick(j, 99, 4)
        if j % 10 == 0:
            choices[answer] = "naught"
        lines.append(orjson.dumps({
            "id": f"m{j}", "task": "t.v1", "family": "object", "question": "Which one?", "answer": choices[answer],
            "answer_type": "str", "choices": choices, "meta": {"mode": "mc", "answer_letter": "ABCD"[answer]}}))
    return lines


def test_a_task_past_every_bound_reports_as_before() -> None:
    """The row of a task whose tallies all pass their bound (20,000 of each kept) is the one the
    tallies of strings gave (release 0.21.0: its digest, and the figures printed), read whole or
    in 3 parts in reverse order."""
    lines = past_the_bound()
    report = StatsReport()
    for line in lines:
        report.add(orjson.loads(line))
    report.done()
    tally, options = report.by_question["t.v1"], report.options["t.v1"]
    assert len(tally) == len(options.values) == len(options.sets) == 20_000
    row, = report.task_rows()
    assert json.dumps(row, sort_keys=True).startswith(
        '{"distinct_answers": 17842, "entropy_bits": 8.9228, "family": "object", "majority": 0.1443, '
        '"max_share": 0.0721, "options_alone": 0.3215, "options_chance": 0.25, "options_samples": 20000, '
        '"options_telling": [{"chance": 0.25, "offered": 3000, "option": "naught", "p_value": 0.0, "right": 3000}], '
        '"samples": 60000, "task": "t.v1", "text_only": 0.1415, "text_only_samples": 23996')
    assert hashlib.sha256(json.dumps([row], sort_keys=True).encode()).hexdigest()[:16] == "df90d1f73b2d1f77"
    parts = [StatsReport() for _ in range(3)]
    for k, line in enumerate(lines[::-1]):  # in reverse, as 3 workers' parts
        parts[k * 3 // len(lines)].add(orjson.loads(line))
    for part in parts[1:]:
        parts[0].merge(part)
    assert parts[0].done().task_rows() == [row]


def test_a_tally_past_its_bound_holds_under_120_bytes_an_entry(monkeypatch) -> None:
    """Bytes held per entry kept (question text, option value or option set) at the bound, by
    tracemalloc, with a tenth of the data and bounds of 2,000: 71 (56 at 20,000, where a tally's
    own fixed costs weigh less); the tallies of strings held 215 (202 at 20,000, 252 there with
    each record parsed as it is read)."""
    from veriscene import stats as module
    from veriscene import stats_options

    for name, where in (("MAX_QUESTIONS", module), ("MAX_OPTION_VALUES", stats_options),
                        ("MAX_OPTION_SETS", stats_options)):
        monkeypatch.setattr(where, name, 2_000)
    records = [orjson.loads(line) for line in past_the_bound(scale=10)]  # (parsed before: the tallies traced)
    gc.collect()
    tracemalloc.start()
    try:
        report = StatsReport()
        for record in records:
            report.add(record)
        report.done()
        held = tracemalloc.get_traced_memory()[0]
        tally, options = report.by_question["t.v1"], report.options["t.v1"]
        del tally, options
        report.by_question, report.options = {}, type(report.options)()
        gc.collect()
        per_entry = (held - tracemalloc.get_traced_memory()[0]) / 6_000
    finally:
        tracemalloc.stop()
    print(f"{per_entry:.0f} bytes an entry")
    assert per_entry < 120, per_entry  # a generous margin (memory, not time)
