"""Gzipped NIfTI voxels read into one kept buffer (`_nifti_voxels.VoxelReader`): the arrays nibabel
reads, or nibabel's own reading where a file is not one plain gzip stream of its voxels."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers._nifti_voxels import VoxelReader

nib = pytest.importorskip("nibabel")

AFFINE = np.diag([-0.8, -0.8, 2.5, 1.0])


def save(path: Path, array: np.ndarray, slope_inter: tuple[float, float] | None = None) -> Path:
    img = nib.Nifti1Image(array, AFFINE)
    if slope_inter is not None:
        img.header.set_slope_inter(*slope_inter)
    nib.save(img, path)
    return path


def volume(seed: int, dtype: type, shape: tuple[int, ...] = (9, 7, 5)) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < 0.3).astype(dtype)


@pytest.mark.parametrize("shape", [(9, 7, 5), (9, 7, 5, 1)])
def test_voxels_are_those_nibabel_reads_file_after_file(tmp_path: Path, shape: tuple[int, ...]) -> None:
    reader = VoxelReader()
    for k, dtype in enumerate([np.uint8, np.int16, np.float32, np.uint8]):  # one buffer for all
        path = save(tmp_path / f"mask{k}.nii.gz", volume(k, dtype, shape))
        img = nib.load(path)
        read = reader.read(img, path)
        assert read is not img  # read here, not left to nibabel
        voxels = np.asanyarray(read.dataobj)
        expected = np.asanyarray(nib.load(path).dataobj)
        assert voxels.dtype == expected.dtype and voxels.shape == expected.shape == shape
        assert np.array_equal(voxels, expected)
        canonical = nib.as_closest_canonical(read)  # as the reader turns it: the header's zooms and affine kept
        assert np.array_equal(np.asanyarray(canonical.dataobj), np.asanyarray(nib.as_closest_canonical(img).dataobj))
        assert canonical.header.get_zooms() == nib.as_closest_canonical(nib.load(path)).header.get_zooms()
        assert np.array_equal(canonical.affine, nib.as_closest_canonical(nib.load(path)).affine)


def _crc_wrong(raw: bytes) -> bytes:
    return raw[:-8] + bytes([raw[-8] ^ 0xFF]) + raw[-7:]


def _two_members(raw: bytes) -> bytes:
    data = gzip.decompress(raw)
    return gzip.compress(data[:200]) + gzip.compress(data[200:])


@pytest.mark.parametrize("spoil", [
    lambda raw: raw[:-30],  # cut short
    _crc_wrong,
    _two_members,
    lambda raw: raw + b"junk",  # something after the stream
    lambda raw: gzip.compress(gzip.decompress(raw) + bytes(16)),  # more bytes than the header's voxels
    lambda raw: gzip.compress(gzip.decompress(raw)[:-16]),  # fewer
], ids=["cut short", "crc wrong", "two members", "trailing junk", "more bytes", "fewer bytes"])
def test_a_file_it_cannot_read_whole_is_left_to_nibabel(tmp_path: Path, spoil: Callable[[bytes], bytes]) -> None:
    # (large enough for nibabel to read its header before the spoilt end)
    path = save(tmp_path / "mask.nii.gz", volume(0, np.uint8, (64, 64, 32)))
    path.write_bytes(spoil(path.read_bytes()))
    img = nib.load(path)
    assert VoxelReader().read(img, path) is img


@pytest.mark.parametrize(("slope_inter", "here"), [((1.0, 0.0), True), ((2.0, 0.0), False), ((1.0, -1.0), False)])
def test_scaled_voxels_are_left_to_nibabel(tmp_path: Path, slope_inter: tuple[float, float], here: bool) -> None:
    path = save(tmp_path / "mask.nii.gz", volume(0, np.int16), slope_inter)
    img = nib.load(path)
    read = VoxelReader().read(img, path)
    assert (read is not img) == here
    assert np.array_equal(np.asanyarray(read.dataobj), np.asanyarray(nib.load(path).dataobj))


def test_an_uncompressed_file_is_left_to_nibabel(tmp_path: Path) -> None:
    path = save(tmp_path / "mask.nii", volume(0, np.uint8))
    img = nib.load(path)
    assert VoxelReader().read(img, path) is img
