"""The scan's vocabulary counts each image once: the later records of an image id read before,
which generation rejects as duplicates, are taken out of it (`engine.scan._uncount_repeats`), so
the vocabulary is that of the file without them, whatever the later records say; and its pool
holds each image once, from its first record: a run makes the samples of the file without them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.scan import scan_scenes
from veriscene.generators.vocabulary import Vocabulary
from veriscene.scene.jsonl import dumps_scene


def _records(n: int, seed: int = 2) -> list[dict[str, Any]]:
    return [orjson.loads(dumps_scene(s)) for s in iter_scene_graphs(n, seed=seed)]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _vocabulary(path: Path | list[Path], **options: Any) -> dict[str, Any]:
    paths = [str(p) for p in path] if isinstance(path, list) else [str(path)]
    return scan_scenes(paths, seed=0, pool_size=0, **options).vocab.to_dict()


def _other_record_of(record: dict[str, Any]) -> dict[str, Any]:
    """Another record of the same image: a name, an attribute and a relation of its own."""
    other = {**record, "objects": [dict(o) for o in record["objects"]]}
    other["objects"][0] = {**other["objects"][0], "name": "zebra", "attributes": ["plaid"]}
    other["relations"] = [*record.get("relations", []), [0, "chasing", 1]]
    return other


def test_a_repeated_scene_is_counted_once(tmp_path: Path) -> None:
    records = _records(6)
    once = _vocabulary(_write(tmp_path / "once.jsonl", records))
    twice = _write(tmp_path / "twice.jsonl", [*records[:4], records[1], *records[4:], records[1]])
    scan = scan_scenes([str(twice)], seed=0, pool_size=0)
    assert scan.repeats_uncounted == 2 and scan.vocab.to_dict() == once
    assert once["scenes"] == 6


def test_the_first_record_of_an_image_is_the_one_counted(tmp_path: Path) -> None:
    """Two records of one image that disagree: the first counts (generation reads it), the words
    only the later one gives are in no count."""
    records = _records(5)
    later = _other_record_of(records[2])
    vocabulary = _vocabulary(_write(tmp_path / "scenes.jsonl", [*records, later]))
    assert vocabulary == _vocabulary(_write(tmp_path / "first.jsonl", records))
    assert "zebra" not in vocabulary["names"] and "plaid" not in vocabulary["attributes"]
    assert "chasing" not in vocabulary["predicates"] and "zebra" not in vocabulary["cooccurrence"]
    assert all("zebra" not in row for row in vocabulary["cooccurrence"].values())
    # the other way round, the other record's words are the counted ones
    swapped = _vocabulary(_write(tmp_path / "swapped.jsonl", [later, *records]))
    assert swapped == _vocabulary(_write(tmp_path / "alone.jsonl", [later, *records[:2], *records[3:]]))


def test_a_later_record_of_an_invalid_first_one_is_counted_by_neither(tmp_path: Path) -> None:
    """Generation rejects the first (invalid) and the later (duplicate): neither is counted."""
    records = _records(4)
    bad = {**records[1], "objects": [{**records[1]["objects"][0], "box": [10.0, 10.0, 5.0, 5.0]},
                                     *records[1]["objects"][1:]]}
    scan = scan_scenes([str(_write(tmp_path / "scenes.jsonl", [*records[:1], bad, *records[2:], records[1]]))],
                       seed=0, pool_size=0)
    assert scan.invalid == 1 and scan.repeats_uncounted == 1
    assert scan.vocab.to_dict() == _vocabulary(_write(tmp_path / "kept.jsonl", [records[0], *records[2:]]))


@pytest.mark.parametrize("workers", [1, 2])
def test_repeats_across_files_and_chunks(tmp_path: Path, workers: int) -> None:
    records = _records(40, seed=7)
    first = _write(tmp_path / "one.jsonl", records[:25])
    second = _write(tmp_path / "two.jsonl", [*records[10:15], *records[25:], _other_record_of(records[3])])
    vocabulary = _vocabulary([first, second], chunk_bytes=4096, workers=workers)
    assert vocabulary == _vocabulary(_write(tmp_path / "all.jsonl", records), chunk_bytes=4096)


def test_taking_a_scene_out_undoes_adding_it() -> None:
    scenes = list(iter_scene_graphs(8, seed=3))
    counted = Vocabulary.from_scenes(scenes)
    extra = scenes[5]
    counted.add_scene(extra)
    counted.remove_names(extra.names, [a for attrs in extra.attributes for a in attrs],
                         [p for _, p, _ in extra.relations])
    assert counted.to_dict() == Vocabulary.from_scenes(scenes).to_dict()


def test_a_run_says_it_and_writes_the_vocabulary_of_each_image_once(tmp_path: Path) -> None:
    from veriscene import generate

    records = _records(6)
    once = generate(str(_write(tmp_path / "once.jsonl", records)), tmp_path / "once", seed=0)
    twice = generate(str(_write(tmp_path / "twice.jsonl", [*records, _other_record_of(records[0])])),
                     tmp_path / "twice", seed=0)
    assert twice.rejects["rejected"] == 1 and once.rejects["rejected"] == 0
    assert (json.loads((tmp_path / "twice" / "vocabulary.json").read_text())
            == json.loads((tmp_path / "once" / "vocabulary.json").read_text()))
    assert any("1 scene record of an image id read before was left out of the vocabulary" in note
               for note in twice.notes)
    assert not any("left out of the vocabulary" in note for note in once.notes)


def _pool(paths: list[Path], **options: Any) -> list[tuple[str, bytes]]:
    scan = scan_scenes([str(p) for p in paths], seed=0, **options)
    return [(entry.image_id, entry.line) for entry in scan.pool]


@pytest.mark.parametrize(("pool_size", "chunk_bytes"), [(5, 4096), (5, 1 << 20), (100, 4096)])
def test_the_pool_holds_the_first_record_of_each_image(tmp_path: Path, pool_size: int, chunk_bytes: int) -> None:
    records = _records(40, seed=7)
    repeated = [_other_record_of(r) for r in records[::3]]  # every third image again, disagreeing
    early = repeated[:7]  # (of the first 20: near their first records, and again in other chunks)
    twice = _write(tmp_path / "twice.jsonl", [*records[:20], *early, *records[20:], *repeated])
    pool = _pool([twice], pool_size=pool_size, chunk_bytes=chunk_bytes)
    assert pool == _pool([_write(tmp_path / "once.jsonl", records)], pool_size=pool_size, chunk_bytes=chunk_bytes)
    assert len(pool) == min(pool_size, 40) and all(b"zebra" not in line for _, line in pool)


def test_a_pooled_later_record_of_an_invalid_first_one_is_taken_out(tmp_path: Path) -> None:
    records = _records(4)
    bad = {**records[1], "objects": [{**records[1]["objects"][0], "box": [10.0, 10.0, 5.0, 5.0]},
                                     *records[1]["objects"][1:]]}
    pool = _pool([_write(tmp_path / "scenes.jsonl", [bad, *records[2:], records[0], records[1]])], pool_size=10)
    assert sorted(image_id for image_id, _ in pool) == sorted(r["image_id"] for r in [records[0], *records[2:]])


def test_a_run_with_repeated_records_makes_the_samples_of_the_file_without_them(tmp_path: Path) -> None:
    from veriscene import generate

    records = _records(12)
    generate(str(_write(tmp_path / "once.jsonl", records)), tmp_path / "once", seed=0)
    again = [_other_record_of(records[3]), records[7]]
    generate(str(_write(tmp_path / "twice.jsonl", [*records[:9], *again, *records[9:]])), tmp_path / "twice", seed=0)
    samples = (tmp_path / "once" / "samples.jsonl").read_bytes()
    assert samples.count(b'"task":"multi.') > 100  # (partners drawn from the pool among them)
    assert (tmp_path / "twice" / "samples.jsonl").read_bytes() == samples


def _invalid(record: dict[str, Any]) -> dict[str, Any]:
    """The record with a box the shard pass rejects (x1 < x0)."""
    return {**record, "objects": [{**record["objects"][0], "box": [10.0, 10.0, 5.0, 5.0]}, *record["objects"][1:]]}


@pytest.mark.parametrize(("chunk_bytes", "workers", "gzipped"),
                         [(1 << 20, 1, False), (4096, 1, False), (4096, 2, False), (2048, 2, False), (4096, 1, True),
                          (4096, 2, True)])
def test_a_pool_of_images_whose_first_records_are_invalid_is_full(tmp_path: Path, chunk_bytes: int, workers: int,
                                                                  gzipped: bool) -> None:
    """Generation rejects both records of an image whose first is invalid (the later one as a
    duplicate): the pool is that of the file without the image, as full, not one scene short for
    each such image pooled from a later record."""
    from veriscene.engine.scan import stable_hash

    records = _records(40, seed=7)
    by_hash = sorted(records, key=lambda r: stable_hash(0, str(r["image_id"])))
    gone = by_hash[:3]  # the images the pool would hold first: invalid, then valid later
    kept = [r for r in records if r not in gone]
    shaped = [*(_invalid(r) for r in gone[:2]), *kept[:20], _invalid(gone[2]), *kept[20:], *gone]
    options = {"pool_size": 5, "chunk_bytes": chunk_bytes, "workers": workers}
    path = _write(tmp_path / "shaped.jsonl", shaped)
    if gzipped:  # (read as a stream, its chunks copied to files: the second pass streams it again)
        path = tmp_path / "shaped.jsonl.gz"
        path.write_bytes(gzip.compress((tmp_path / "shaped.jsonl").read_bytes()))
    pool = _pool([path], **options)
    assert pool == _pool([_write(tmp_path / "without.jsonl", kept)], **options)
    assert len(pool) == 5


def test_a_run_with_invalid_first_records_makes_the_samples_of_the_file_without_their_images(tmp_path: Path) -> None:
    """What a user sees: the partners of a run whose pooled images had an invalid first record
    and a valid later one are those of the file without them (before, a pool one scene short)."""
    from veriscene import generate
    from veriscene.engine.scan import stable_hash

    records = _records(12)
    gone = min(records, key=lambda r: stable_hash(0, str(r["image_id"])))  # pooled first
    kept = [r for r in records if r is not gone]
    generate(str(_write(tmp_path / "without.jsonl", kept)), tmp_path / "without", seed=0, pool_size=4)
    shaped = _write(tmp_path / "shaped.jsonl", [_invalid(gone), *kept, gone])
    generate(str(shaped), tmp_path / "shaped", seed=0, pool_size=4)
    samples = (tmp_path / "without" / "samples.jsonl").read_bytes()
    assert samples.count(b'"task":"multi.') > 50
    assert (tmp_path / "shaped" / "samples.jsonl").read_bytes() == samples
    rejected = (tmp_path / "shaped" / "rejects.jsonl").read_text()
    assert "duplicate image_id (first seen on line 1, itself rejected: no record of this image is read" in rejected


def test_a_pool_of_invalid_first_records_is_chosen_again_on_ray(tmp_path: Path, local_ray: Any) -> None:
    """The second pass runs on the run's backend: Ray's tasks choose the same pool."""
    from veriscene.engine.scan import stable_hash

    records = _records(40, seed=7)
    gone = sorted(records, key=lambda r: stable_hash(0, str(r["image_id"])))[:2]
    kept = [r for r in records if r not in gone]
    path = _write(tmp_path / "shaped.jsonl", [*(_invalid(r) for r in gone), *kept, *gone])
    options = {"pool_size": 5, "chunk_bytes": 4096}
    pool = _pool([path], backend="ray", workers=2, **options)
    assert pool == _pool([_write(tmp_path / "without.jsonl", kept)], **options) and len(pool) == 5


def test_a_duplicate_of_a_rejected_first_record_says_so(tmp_path: Path) -> None:
    """The reason of a later record names its first one, and says when that one is rejected too
    (invalid, or more objects than the run's limit): no record of the image is read then."""
    from veriscene.engine.scan import duplicate_lines

    records = _records(4)
    crowded = max(records, key=lambda r: len(r["objects"]))
    limit = len(crowded["objects"]) - 1
    others = [r for r in records if r is not crowded and len(r["objects"]) <= limit]
    shaped = [_invalid(others[0]), crowded, others[1], others[0], crowded, others[1]]
    scan = scan_scenes([str(_write(tmp_path / "scenes.jsonl", shaped))], max_scene_objects=limit)
    itself = (", itself rejected: no record of this image is read, and it is in no sample; fix that record, "
              "or remove it and this one is read")
    assert duplicate_lines(scan) == {4: f"duplicate image_id (first seen on line 1{itself})",
                                     5: f"duplicate image_id (first seen on line 2{itself})",
                                     6: "duplicate image_id (first seen on line 3)"}
