"""A resumed run says how many of its shards it kept and how many it ran."""

from __future__ import annotations

import orjson

from veriscene.engine.generate import generate

OPTIONS = {"generators": "counting", "shard_size": 5, "shard_format": "zstd"}  # 12 scenes: 3 shards, kept


def test_resume_says_the_shards_kept_and_run(tmp_path, scenes_file) -> None:
    out = tmp_path / "run"
    whole = generate(scenes_file, out, **OPTIONS)
    assert not any("resumed" in note for note in whole.notes)
    again = generate(scenes_file, out, resume=True, **OPTIONS)  # finished: nothing to run
    assert [n for n in again.notes if n.startswith("resumed")] == [
        "resumed: the run had finished; its 3 shard(s) kept, none run again"]
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    (out / "manifest.json").write_bytes(orjson.dumps({"config": manifest["config"], "key": manifest["key"],
                                                      "status": "running"}))
    (out / "shards" / "shard-00001.json").unlink()  # killed before its second shard was done
    resumed = generate(scenes_file, out, resume=True, **OPTIONS)
    assert [n for n in resumed.notes if n.startswith("resumed")] == [
        "resumed: 2 of 3 shard(s) kept from the interrupted run, 1 run now"]
    assert resumed.samples == whole.samples


def test_a_resume_with_no_run_to_resume_says_nothing_of_shards(tmp_path, scenes_file) -> None:
    summary = generate(scenes_file, tmp_path / "new", resume=True, **OPTIONS)
    assert not any("resumed" in note for note in summary.notes)
    # but says that it made a new run (an --out mistyped for the interrupted run's started one unsaid)
    assert f"resume: {tmp_path / 'new'} held no run to resume (no manifest.json): a new run was made" in summary.notes
    assert not any(note.startswith("resume:") for note in generate(scenes_file, tmp_path / "new", resume=True,
                                                                  **OPTIONS).notes)
    # --overwrite with it removed the run there: that run is not said to be missing
    again = generate(scenes_file, tmp_path / "new", resume=True, overwrite=True, **OPTIONS)
    assert not any(note.startswith("resume:") for note in again.notes)
