"""Archives of annotation folders (an MSD task as a tar, label maps in a zip), read as the folder
they hold through a cache unpacked once."""

from __future__ import annotations

import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pytest

from tests.io.readers.test_read_label_map import nifti_case, organ_map, save_png
from veriscene import generate
from veriscene.io.convert import convert
from veriscene.scene import read_scenes, unpack


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(unpack.UNPACKED_ENV, str(tmp_path / "unpacked"))


def _msd(root: Path) -> Path:
    """An MSD task folder: dataset.json, imagesTr, labelsTr (two NIfTI cases)."""
    affine = np.diag([1.0, 1.0, 2.0, 1.0])
    cases = [nifti_case(root / "labelsTr", f"c{i}", affine) for i in range(2)]
    (root / "imagesTr").mkdir()
    for _, image in cases:
        image.rename(root / "imagesTr" / image.name)
    (root / "dataset.json").write_bytes(orjson.dumps({
        "labels": {"0": "background", "1": "liver", "2": "spleen"},
        "training": [{"image": f"./imagesTr/{img.name}", "label": f"./labelsTr/{lab.name}"} for lab, img in cases]}))
    return root


def test_a_tar_of_a_task_folder_reads_as_the_folder(tmp_path) -> None:
    root = _msd(tmp_path / "Task01_Liver")
    archive = tmp_path / "Task01_Liver.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="Task01_Liver")
    reference = convert(root, tmp_path / "ref.jsonl", "label_map")
    summary = convert(archive, tmp_path / "scenes.jsonl")  # detected in the folder it holds
    assert summary.format == "label_map" and summary.scenes_written == reference.scenes_written > 0
    assert summary.input == str(archive)
    names = [s.names for s in read_scenes(tmp_path / "scenes.jsonl")]
    assert names == [s.names for s in read_scenes(tmp_path / "ref.jsonl")]
    # unpacked once: a second conversion reads the cache; a changed archive is unpacked again
    folder = unpack.unpacked(archive)
    assert folder.name == "Task01_Liver" and (folder / "dataset.json").is_file()
    made = folder.stat().st_mtime_ns
    assert unpack.unpacked(archive) == folder and folder.stat().st_mtime_ns == made
    os.utime(archive, ns=(made + 10**9, made + 10**9))
    assert unpack.unpacked(archive) == folder and (folder / "dataset.json").is_file()
    # generate --from auto on the archive: the same samples as from the folder
    run = generate(archive, tmp_path / "run", from_format="auto", generators="object.*", seed=1)
    again = generate(root, tmp_path / "run2", from_format="label_map", generators="object.*", seed=1)
    assert run.samples == again.samples > 0


def test_a_zip_of_label_maps_names_its_rejects_inside_it(tmp_path) -> None:
    maps = tmp_path / "maps"
    for k in range(2):
        save_png(maps / f"case{k}.png", np.roll(organ_map(), 4 * k, axis=1))
    save_png(maps / "flat.png", np.zeros((40, 60, 3), np.uint8))  # RGB: rejected
    archive = tmp_path / "maps.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(maps.iterdir()):
            zf.write(path, path.name)
        zf.writestr("__MACOSX/._case0.png", b"resource fork")
    summary = convert(archive, tmp_path / "scenes.jsonl", "label_map")
    assert summary.scenes_written == 2 and summary.rejected_by_level == {"file": 1}
    rejects = [orjson.loads(line) for line in (tmp_path / "rejects.jsonl").read_bytes().splitlines()]
    assert [r["file"] for r in rejects] == [f"{archive}/flat.png"]
    # a zip of JSON files is still read in place, not unpacked, for a format of one file
    assert not unpack.to_unpack(archive, "coco") and unpack.to_unpack(archive, "label_map")


def test_a_broken_archive_or_one_reaching_out_is_refused(tmp_path) -> None:
    root = _msd(tmp_path / "Task01")
    archive = tmp_path / "Task01.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(root, arcname="Task01")
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 3])
    with pytest.raises(ValueError, match=r"Task01.tar: cannot unpack the archive .*is it complete\?"):
        convert(archive, tmp_path / "scenes.jsonl", "label_map")
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 1
        import io

        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="evil.tar: cannot unpack the archive"):
        unpack.unpacked(evil)
    assert not list(tmp_path.rglob("outside.txt"))
