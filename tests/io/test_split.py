"""`veriscene.split`: scene graphs into splits with no image (or group) in two of them."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import orjson
import pytest
from tests.typer_app import invoke

from veriscene import read_scenes, split
from veriscene.commands.split import register
from veriscene.demo.world import make_world
from veriscene.scene import write_scenes


def write_lines(path: Path, records: list[object]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def ids_of(path: Path) -> list[str]:
    return [orjson.loads(line)["image_id"] for line in path.read_bytes().splitlines()]


def test_the_split_of_an_image_depends_on_its_id_and_the_seed_only(tmp_path: Path) -> None:
    records = [{"image_id": f"img-{k}"} for k in range(2000)]
    first = split(write_lines(tmp_path / "a.jsonl", records), tmp_path / "a", ratios="train=0.9,test=0.1")
    # reversed, and with 500 more images: the first 2,000 stay where they were
    more = [{"image_id": f"img-{k}"} for k in range(2500)]
    split(write_lines(tmp_path / "b.jsonl", more[::-1]), tmp_path / "b", ratios={"train": 0.9, "test": 0.1})
    for name in ("train", "test"):
        before = set(ids_of(tmp_path / "a" / f"{name}.jsonl"))
        after = set(ids_of(tmp_path / "b" / f"{name}.jsonl"))
        assert before == {i for i in after if int(i.split("-")[1]) < 2000}
    assert 0.87 < first.scenes["train"] / 2000 < 0.93 and first.scenes["test"] + first.scenes["train"] == 2000
    other = split(tmp_path / "a.jsonl", tmp_path / "c", ratios="train=0.9,test=0.1", seed=1)
    assert set(ids_of(tmp_path / "c" / "test.jsonl")) != set(ids_of(tmp_path / "a" / "test.jsonl"))
    assert other.scenes["train"] + other.scenes["test"] == 2000


def test_groups_are_kept_together_and_records_without_the_field_counted(tmp_path: Path) -> None:
    records = [{"image_id": f"v{v}-s{s}", "meta": {"label_map": f"vol{v}.nii.gz"}} for v in range(40) for s in range(5)]
    records += [{"image_id": "loose", "meta": {}}, {"image_id": "loose"}]  # an id given twice: one split
    summary = split(write_lines(tmp_path / "s.jsonl", records), tmp_path / "out",
                    ratios="train=0.5,test=0.5", group_by="meta.label_map")
    volumes = {name: {i.split("-")[0] for i in ids_of(tmp_path / "out" / f"{name}.jsonl") if i != "loose"}
               for name in ("train", "test")}
    assert volumes["train"] and volumes["test"] and not volumes["train"] & volumes["test"]
    assert sum(map(len, volumes.values())) == 40 == sum(summary.groups.values())
    assert summary.ungrouped == 2 and summary.repeated == 1
    assert sum(ids_of(tmp_path / "out" / f"{n}.jsonl").count("loose") for n in ("train", "test")) == 2
    assert any(ids_of(tmp_path / "out" / f"{n}.jsonl").count("loose") == 2 for n in ("train", "test"))


def test_image_ids_given_again_are_counted_and_named(tmp_path: Path) -> None:
    """Two data sets whose images share ids (both with a 1.jpg): each id's records go to one split
    (no image straddles two), but `generate` keeps the first of an id only: counted, the first named."""
    a = write_lines(tmp_path / "a.jsonl", [{"image_id": f"{k}.jpg", "image": f"a/{k}.jpg"} for k in range(40)])
    b = tmp_path / "b.jsonl"
    b.write_bytes(b"\n" + b"".join(orjson.dumps({"image_id": f"{k}.jpg", "image": f"b/{k}.jpg"}) + b"\n"
                                   for k in (3, 50, 7)) + b'{"image_id": "50.jpg"}\n')
    summary = split([a, b], tmp_path / "out", ratios="train=0.5,test=0.5")
    assert summary.repeated == 3
    assert summary.repeats == [f"{b}:2 repeats the image id of {a}:4", f"{b}:4 repeats the image id of {a}:8",
                               f"{b}:5 repeats the image id of {b}:3"]
    for k in ("3.jpg", "7.jpg", "50.jpg"):
        assert sorted(ids_of(tmp_path / "out" / f"{n}.jsonl").count(k) for n in ("train", "test")) == [0, 2]
    assert json.loads((tmp_path / "out" / "split.json").read_text())["counts"]["repeated"] == 3
    assert split(a, tmp_path / "alone").repeated == 0
    code, said = cli(str(tmp_path / "*.jsonl"), "--out", str(tmp_path / "o"))
    assert code == 0 and ("warning: 3 records repeat the image id of an earlier one, e.g. " + f"{b}:2 repeats the "
                          f"image id of {a}:4: they are in one split") in " ".join(said.split())


def test_bad_lines_are_reported_by_file_and_line_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"image_id": "a"}\n{not json\n\n[1, 2]\n{"image_id": ""}\n{"image_id": 7}\n')
    summary = split(path, tmp_path / "out")
    rejects = [json.loads(line) for line in (tmp_path / "out" / "split_rejects.jsonl").read_text().splitlines()]
    assert [(r["record"], r["field"]) for r in rejects] == [(2, None), (4, "image_id"), (5, "image_id")]
    assert all(r["file"] == str(path) for r in rejects)
    assert summary.rejected == 3 and sum(summary.scenes.values()) == 2
    assert summary.errors[0].startswith(f"{path}:2: not JSON")
    recorded = json.loads((tmp_path / "out" / "split.json").read_text())
    assert recorded["counts"]["rejected"] == 3 and recorded["inputs"][0]["sha256"]


def test_image_paths_follow_the_records_to_the_output_folder(tmp_path: Path) -> None:
    """Generated scenes with rendered images: each split names the same image files, from its
    new folder; absolute paths and URLs are left as they are."""
    world = make_world(tmp_path / "data", n=6, seed=2, render=True)
    write_scenes(world, tmp_path / "data" / "scenes.jsonl")
    base = orjson.loads((tmp_path / "data" / "scenes.jsonl").read_bytes().splitlines()[0])
    extra = [{**base, "image_id": "abs", "image": str(tmp_path / "x.png")},
             {**base, "image_id": "url", "image": "s3://b/y.png"}]
    with open(tmp_path / "data" / "scenes.jsonl", "ab") as fh:
        fh.write(b"".join(orjson.dumps(r) + b"\n" for r in extra))
    split(tmp_path / "data" / "scenes.jsonl", tmp_path / "deep" / "splits", ratios="a=0.5,b=0.5", compress="gz")
    seen = {}
    for name in ("a", "b"):
        for line in gzip.open(tmp_path / "deep" / "splits" / f"{name}.jsonl.gz").read().splitlines():
            record = orjson.loads(line)
            seen[record["image_id"]] = record.get("image")
            if record["image_id"] not in ("abs", "url"):
                found = os.path.normpath(tmp_path / "deep" / "splits" / record["image"])
                assert Path(found).is_file() and record["image"].startswith("../../data/")
    assert seen["abs"] == str(tmp_path / "x.png") and seen["url"] == "s3://b/y.png" and len(seen) == 8
    kept = [s.image_id for name in ("a", "b") for s in read_scenes(tmp_path / "deep" / "splits" / f"{name}.jsonl.gz")]
    assert sorted(kept) == sorted([s.image_id for s in world] + ["abs", "url"])


@pytest.mark.parametrize("ratios, said", [
    ("train=0.9", "at least two parts"),
    ("train=0.9,test=0.2", "add up to 1.1"),
    ("train=0.9,test", "expected NAME=NUMBER"),
    ("train=x,test=0.1", "expected NAME=NUMBER"),
    ("train=1,test=0", "above 0"),
    ("../x=0.5,test=0.5", "split name '../x'"),
])
def test_wrong_ratios_are_refused_before_anything_is_written(tmp_path: Path, ratios: str, said: str) -> None:
    with pytest.raises(ValueError, match=said.replace(".", r"\.").replace("(", r"\(")):
        split(write_lines(tmp_path / "s.jsonl", [{"image_id": "a"}]), tmp_path / "out", ratios=ratios)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("seed, error", [(2**64, ValueError), (True, TypeError), (1.5, TypeError)])
def test_a_seed_outside_generates_range_is_refused(tmp_path: Path, seed: object, error: type) -> None:
    with pytest.raises(error, match="seed must be"):
        split(write_lines(tmp_path / "s.jsonl", [{"image_id": "a"}]), tmp_path / "out", seed=seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("given, said", [
    ({"ratios": [0.9, 0.1]}, ("ratios must be a dict of split names and shares or a text such as "
                              "'train=0.9,test=0.1', got [0.9, 0.1]")),
    ({"group_by": 3}, "group_by must be the name of a scene field (a str, e.g. 'meta.video'), got 3"),
])
def test_arguments_of_the_wrong_kind_are_named_before_anything_is_written(tmp_path: Path, given: dict, said: str) -> None:
    # before: "'list' object has no attribute 'items'"; "'int' object has no attribute 'split'" with `out` made
    with pytest.raises(TypeError) as info:
        split(write_lines(tmp_path / "s.jsonl", [{"image_id": "a"}]), tmp_path / "out", **given)
    assert str(info.value) == said
    assert not (tmp_path / "out").exists()


def test_an_input_is_never_written_over(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "train.jsonl", [{"image_id": "a"}])
    with pytest.raises(ValueError, match="would be written over"):
        split(path, tmp_path)
    assert ids_of(path) == ["a"]


def test_slices_of_one_volume_split_apart_are_warned_of(tmp_path: Path) -> None:
    """Without --group-by, slices of one medical volume land in several splits (a test set leaking
    neighbours of its training slices): counted and said, naming the field to group by. Before,
    nothing said it. 2D label maps (no slice) and other scenes are no volumes."""
    records = [{"image_id": f"v{v}-z{s}", "meta": {"label_map": f"vol{v}.nii.gz", "slice": s}}
               for v in range(6) for s in range(8)]
    records += [{"image_id": f"x{k}", "meta": {"label_map": f"x{k}.png"}} for k in range(4)] + [{"image_id": "photo"}]
    path = write_lines(tmp_path / "s.jsonl", records)
    summary = split(path, tmp_path / "out", ratios="train=0.5,test=0.5")
    assert summary.volumes == 6 and summary.volumes_across == 6 and summary.volume_field == "meta.label_map"
    grouped = split(path, tmp_path / "grouped", ratios="train=0.5,test=0.5", group_by="meta.label_map")
    assert grouped.volumes == grouped.volumes_across == 0  # grouped: nothing to say
    code, said = cli(str(path), "--out", str(tmp_path / "cli"), "--ratios", "train=0.5,test=0.5")
    assert code == 0 and ("warning: 6 of 6 medical volume(s) have slices in more than one split" in " ".join(said.split()))
    assert "--group-by meta.label_map" in " ".join(said.split())
    seg = [{"image_id": f"s{s}", "meta": {"dicom_seg": "seg.dcm", "slice": s}} for s in range(30)]
    assert split(write_lines(tmp_path / "seg.jsonl", seg), tmp_path / "seg").volume_field == "meta.dicom_seg"


def cli(*args: str) -> tuple[int, str]:
    result = invoke(register, "split", *args)
    return result.exit_code, result.output


def test_cli(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [{"image_id": f"i{k}", "meta": {"video": k // 3}} for k in range(30)])
    code, said = cli(str(path), "--out", str(tmp_path / "o"), "--ratios", "train=0.8,val=0.1,test=0.1",
                     "--group-by", "meta.video")
    assert code == 0 and "groups" in said and (tmp_path / "o" / "val.jsonl").exists()
    code, said = cli(str(path), "--out", str(tmp_path / "p"), "--ratios", "train=0.8,test=0.3")
    assert code == 2 and "add up to 1.1" in said
    code, said = cli(str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "q"))
    assert code == 2 and "none.jsonl" in said


def test_cli_an_input_cut_short_is_bad_data_exit_1(tmp_path: Path) -> None:
    packed = tmp_path / "s.jsonl.gz"
    packed.write_bytes(gzip.compress(b"".join(orjson.dumps({"image_id": f"i{k}"}) + b"\n" for k in range(50)))[:-10])
    code, said = cli(str(packed), "--out", str(tmp_path / "o"))
    assert code == 1, said  # as a broken file is everywhere (README, exit codes); 2 is a usage error
    assert "cannot read the gzip-compressed scene file to its end" in " ".join(said.split())


def test_cli_takes_several_inputs_as_generate_does(tmp_path: Path) -> None:
    """Files, folders and patterns, read one after another: a repeat across input files is named
    by file and line, as the README shows ("b.jsonl:2 repeats the image id of a.jsonl:4")."""
    a = write_lines(tmp_path / "a.jsonl", [{"image_id": f"{k}.jpg"} for k in range(40)])
    (tmp_path / "more").mkdir()
    b = write_lines(tmp_path / "more" / "b.jsonl", [{"image_id": "x.jpg"}, {"image_id": "3.jpg"}])
    c = write_lines(tmp_path / "more" / "c.jsonl", [{"image_id": "y.jpg"}])
    code, said = cli(str(a), str(b), "--out", str(tmp_path / "two"), "--ratios", "train=0.5,test=0.5")
    assert code == 0 and f"{b}:2 repeats the image id of {a}:4" in " ".join(said.split())
    recorded = json.loads((tmp_path / "two" / "split.json").read_text())
    assert [i["path"] for i in recorded["inputs"]] == [str(a), str(b)]
    assert sum(recorded["counts"]["scenes"].values()) == 42 and recorded["counts"]["repeated"] == 1
    code, said = cli(str(a), str(tmp_path / "more"), str(tmp_path / "more" / "*.jsonl"), "--out", str(tmp_path / "x"))
    assert code == 2 and "given twice" in said  # a file twice, through its folder and a pattern
    code, said = cli(str(tmp_path / "more"), str(a), "--out", str(tmp_path / "three"))
    assert code == 0
    assert [i["path"] for i in json.loads((tmp_path / "three" / "split.json").read_text())["inputs"]] == \
        [str(b), str(c), str(a)]
    # one input works as before, the same files
    code, _ = cli(str(a), "--out", str(tmp_path / "one"))
    assert code == 0 and (tmp_path / "one" / "train.jsonl").read_bytes() == split(a, tmp_path / "api").files[
        "train"].read_bytes()
    code, said = cli(str(a), str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "q"))
    assert code == 2 and "none.jsonl does not exist" in said and not (tmp_path / "q").exists()


def test_a_folder_is_split_without_the_reject_reports_beside_its_scenes(tmp_path: Path) -> None:
    """A folder `split` (or `convert`) wrote holds split_rejects.jsonl (rejects.jsonl) beside its
    scenes: split again, it is left out and named, unless given by its own name."""
    write_lines(tmp_path / "s.jsonl", [{"image_id": f"i{k}"} for k in range(20)] + [[1, 2]])
    split(tmp_path / "s.jsonl", tmp_path / "first")
    report = tmp_path / "first" / "split_rejects.jsonl"
    assert report.stat().st_size  # the line [1, 2]
    summary = split(tmp_path / "first", tmp_path / "again")
    assert summary.rejected == 0 and sum(summary.scenes.values()) == 20
    assert summary.notes == [f"left out of the input: {report} (a reject report): veriscene writes such files "
                             "beside scene files, and they hold no scenes (give one by its own name to read it as "
                             "scenes)"]
    assert [i["path"] for i in json.loads((tmp_path / "again" / "split.json").read_text())["inputs"]] == \
        [str(tmp_path / "first" / "test.jsonl"), str(tmp_path / "first" / "train.jsonl")]
    code, said = cli(str(tmp_path / "first"), "--out", str(tmp_path / "cli"))
    assert code == 0 and f"note: left out of the input: {report} (a reject report)" in " ".join(said.split())
    assert split([tmp_path / "first" / "train.jsonl", report], tmp_path / "named").rejected == 1


def test_an_out_that_is_no_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(TypeError) as info:  # before: os.fspath's "expected str, bytes or os.PathLike object"
        split(write_lines(tmp_path / "s.jsonl", [{"image_id": "a"}]), None)  # type: ignore[arg-type]
    assert str(info.value) == "out must be the folder receiving the split files, a str or a path; got None"


def test_every_split_file_carries_the_category_list_of_its_sets(tmp_path: Path) -> None:
    """A COCO file lists its categories in its first scene only (`veriscene.category_sets`): each
    split file gets the list on the first scene of the set it holds, once, and a list that is not
    its id's is not passed on."""
    from veriscene.category_sets import category_set_id, listed_categories

    names = ["bus", "cat", "person"]
    good = category_set_id(names)
    wrong = category_set_id(["bus", "dog"])
    records: list[object] = [{"image_id": "c-0", "meta": {"category_set": good, "categories": names}}]
    records += [{"image_id": f"c-{k}", "meta": {"category_set": good}} for k in range(1, 60)]
    records += [{"image_id": "w-0", "meta": {"category_set": wrong, "categories": ["bus", "cat"]}}]
    records += [{"image_id": f"w-{k}", "meta": {"category_set": wrong}} for k in range(1, 60)]
    records += [{"image_id": f"vg-{k}", "meta": {"sparse": True}} for k in range(20)]
    split(write_lines(tmp_path / "in.jsonl", records), tmp_path / "out", ratios="train=0.5,test=0.5")
    for name in ("train", "test"):
        lines = [orjson.loads(line) for line in (tmp_path / "out" / f"{name}.jsonl").read_bytes().splitlines()]
        listed = [r for r in lines if "categories" in r["meta"]]
        goods = [r for r in lines if r["meta"].get("category_set") == good]
        assert goods and listed[0] is goods[0]  # the first scene of the set in this file
        assert listed_categories(listed[0]["meta"]) == (good, tuple(names))
        # the wrong list goes only where it was (as given: the scan counts and skips it)
        assert all(r["image_id"] == "w-0" for r in listed[1:])
        assert len([r for r in lines if r["image_id"].startswith("vg-")]) > 0
    total = sum(len((tmp_path / "out" / f"{n}.jsonl").read_bytes().splitlines()) for n in ("train", "test"))
    assert total == len(records)
