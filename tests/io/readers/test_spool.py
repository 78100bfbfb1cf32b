"""Records held in a temporary file while an annotation file is read (`_spool`)."""

from __future__ import annotations

import math

from veriscene.io.readers._spool import GroupedSpool, Spool


def test_spool_gives_records_back_in_order_and_unchanged() -> None:
    spool = Spool()
    records = [{"id": 1, "nan": math.nan, "big": 2**80, "nested": [[1.5, 2.25]]}, "text", None, [1, {"a": ()}]]
    for r in records:
        spool.add(r)
    back = list(spool)
    assert back[1:] == records[1:] and back[0]["big"] == 2**80 and math.isnan(back[0]["nan"])
    assert back[0]["nested"] == [[1.5, 2.25]] and list(spool)[1:] == records[1:]  # read again from the start
    spool.close()
    assert list(Spool()) == []


def test_grouped_spool_groups_by_key_in_the_order_added() -> None:
    spool = GroupedSpool()
    for k, key in enumerate(["b", "a", "b", "c", "a", "b"]):
        spool.add(key, {"n": k, "key": key, "payload": "x" * (k * 1000)})
    assert [r["n"] for r in spool.pop("b")] == [0, 2, 5]
    assert spool.pop("b") == [] and spool.pop("zzz") == []  # once only; unknown keys have none
    assert [r["n"] for r in spool.pop("a")] == [1, 4] and spool.pop("a") == []
    assert spool.pop("a") == [] and spool.remaining() == [("c", 1)]
    assert len(spool.pop("c")[0]["payload"]) == 3000 and spool.remaining() == []
    spool.close()
    empty = GroupedSpool()
    assert empty.pop("x") == [] and empty.remaining() == []
