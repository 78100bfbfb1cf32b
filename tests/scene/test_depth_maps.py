"""Reading dense depth maps (`veriscene.scene.depth_maps`): .npy and 16-bit PNG files, the
encoding (depth or inverse depth), values without depth, and files that cannot be read."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import make_scene
from veriscene.scene.depth_maps import (
    DepthMapError, anchored, load_depth_map, open_depth_map, steady_pixels, value_range,
)

W, H = 8, 6


def with_map(path: Path | str | None, **meta) -> object:
    return make_scene([{"name": "box", "box": [1, 1, 4, 4]}], width=W, height=H,
                      depth_map=None if path is None else str(path), meta=meta)


def ramp() -> np.ndarray:
    """(H, W) float: 1.0 at row 0 to 3.5 at row 5, the same along each row."""
    return np.repeat(np.linspace(1.0, 3.5, H)[:, None], W, axis=1)


def test_npy_float_is_read_as_float32_depth(tmp_path: Path) -> None:
    np.save(tmp_path / "d.npy", ramp())
    got = load_depth_map(with_map(tmp_path / "d.npy"))
    assert got.dtype == np.float32 and got.shape == (H, W)
    assert got[0, 0] == 1.0 and got[5, 7] == 3.5


def test_png16_is_read_in_its_units(tmp_path: Path) -> None:
    mm = (ramp() * 1000).astype(np.uint16)  # millimetres, as NYU Depth v2 and ScanNet write them
    Image.fromarray(mm).save(tmp_path / "d.png")
    got = load_depth_map(with_map(tmp_path / "d.png"))
    assert got[0, 0] == 1000.0 and got[5, 0] == 3500.0


def test_png8_is_refused_as_a_picture_of_depth(tmp_path: Path) -> None:
    Image.fromarray((ramp() * 50).astype(np.uint8)).save(tmp_path / "d.png")
    with pytest.raises(DepthMapError, match=r"d\.png of scene 's0': a PNG of mode L, not 16-bit"):
        load_depth_map(with_map(tmp_path / "d.png"))


def test_a_refusal_is_said_once_not_as_unreadable(tmp_path: Path) -> None:
    """A DepthMapError is a ValueError: it was caught again as a file that cannot be read, its
    message wrapped in "unreadable (DepthMapError: field ...)" and the advice cut at 400 characters."""
    Image.fromarray((ramp() * 50).astype(np.uint8)).save(tmp_path / "d.png")
    with pytest.raises(DepthMapError) as refused:
        load_depth_map(with_map(tmp_path / "d.png"))
    assert refused.value.reason == (f"depth map {tmp_path / 'd.png'} of scene 's0': a PNG of mode L, not 16-bit grayscale "
                                    "(an 8-bit or colour PNG is a picture of depth, not depth: write the values as "
                                    ".npy or a 16-bit PNG)")


@pytest.mark.parametrize("read", [load_depth_map, open_depth_map])
def test_png_over_the_pixel_limit_is_a_depth_map_error(tmp_path: Path, read, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over twice the decompression-bomb limit (VERISCENE_MAX_IMAGE_PIXELS): Pillow's own error,
    which no caller takes for a bad map, took a whole verify down; now the map's file and scene."""
    Image.fromarray((ramp() * 1000).astype(np.uint16)).save(tmp_path / "d.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20)  # the map is 48 pixels
    with pytest.raises(DepthMapError, match=r"d\.png of scene 's0': over twice Pillow's decompression-bomb limit "
                                            r"\(Image\.MAX_IMAGE_PIXELS: 20\); .*VERISCENE_MAX_IMAGE_PIXELS=PIXELS"):
        read(with_map(tmp_path / "d.png"))


def test_nan_inf_zero_and_negative_are_no_depth(tmp_path: Path) -> None:
    values = ramp()
    values[0, 0], values[0, 1], values[0, 2], values[0, 3] = np.nan, np.inf, 0.0, -2.0
    np.save(tmp_path / "d.npy", values)
    got = load_depth_map(with_map(tmp_path / "d.npy"))
    assert np.isnan(got[0, :4]).all() and got[0, 4] == 1.0
    assert np.isfinite(got[1:]).all()


def test_inverse_depth_is_turned_into_depth(tmp_path: Path) -> None:
    np.save(tmp_path / "d.npy", 1.0 / ramp())
    got = load_depth_map(with_map(tmp_path / "d.npy", depth_map_encoding="inverse"))
    assert got[0, 0] == pytest.approx(1.0) and got[5, 0] == pytest.approx(3.5)


def test_unknown_encoding_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "d.npy", ramp())
    with pytest.raises(DepthMapError, match="depth_map_encoding must be one of depth, inverse, relative, relative_inverse, got 'disparity'"):
        load_depth_map(with_map(tmp_path / "d.npy", depth_map_encoding="disparity"))


@pytest.mark.parametrize("shape", [(W, H), (H, W, 3), (H + 1, W)])
def test_wrong_shape_names_file_scene_and_sizes(tmp_path: Path, shape) -> None:
    np.save(tmp_path / "d.npy", np.ones(shape))
    with pytest.raises(DepthMapError, match=r"depth map .*d\.npy of scene 's0': the map is .*, the scene 8x6"):
        load_depth_map(with_map(tmp_path / "d.npy"))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DepthMapError, match=r"nope\.npy of scene 's0': no such file"):
        load_depth_map(with_map(tmp_path / "nope.npy"))
    (tmp_path / "bad.npy").write_bytes(b"not an array")
    with pytest.raises(DepthMapError, match=r"bad\.npy of scene 's0': unreadable"):
        load_depth_map(with_map(tmp_path / "bad.npy"))
    with pytest.raises(DepthMapError, match=r"not a kind of depth map read here \(\.exr\)"):
        load_depth_map(with_map(tmp_path / "d.exr"))
    np.save(tmp_path / "s.npy", np.array([["a"] * W] * H))
    with pytest.raises(DepthMapError, match="not numbers"):
        load_depth_map(with_map(tmp_path / "s.npy"))


def test_relative_paths_are_anchored_at_the_scene_file_folder(tmp_path: Path) -> None:
    assert anchored(with_map("maps/d.npy"), tmp_path).depth_map == str(tmp_path / "maps" / "d.npy")
    assert anchored(with_map("/abs/d.npy"), tmp_path).depth_map == "/abs/d.npy"
    assert anchored(with_map(None), tmp_path).depth_map is None
    assert anchored(with_map("d.npy"), None).depth_map == "d.npy"


def test_a_relative_path_under_a_folder_url_is_read_from_the_url_not_here(tmp_path: Path, memory,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenes read from a URL: their relative map was read from the working directory (here a file
    of that name, the wrong map, read without a word), then refused naming the URL; now it is read
    from the URL (its local copy, `engine.downloads.fetch_file`)."""
    import io

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "downloads"))
    np.save(tmp_path / "d.npy", ramp())  # the wrong map
    buffer = io.BytesIO()
    np.save(buffer, ramp()[::-1])
    memory.pipe_file("/bucket/scenes/d.npy", buffer.getvalue())
    scene = anchored(with_map("d.npy"), "memory://bucket/scenes/")
    assert scene.depth_map == "memory://bucket/scenes/d.npy"
    np.testing.assert_array_equal(load_depth_map(scene), ramp()[::-1].astype(np.float32))
    with pytest.raises(DepthMapError, match=r"depth map memory://bucket/scenes/e\.npy of scene 's0': no such file at "
                                            "the URL"):
        load_depth_map(anchored(with_map("e.npy"), "memory://bucket/scenes/"))


def test_steady_pixels_leave_out_edges_borders_and_holes() -> None:
    depth = np.full((12, 12), 2.0, dtype=np.float32)
    depth[:, 6:] = 1.0  # a depth edge between columns 5 and 6
    depth[:, :3] = np.linspace(2.2, 2.0, 3)  # a slope of 5 % a pixel and less: no edge
    depth[9, 2] = np.nan
    steady = steady_pixels(depth, radius=2, tolerance=0.05)
    assert steady[2:10, 2:10].sum() > 0
    assert not steady[:, 4:8].any()  # within 2 px of the edge
    assert not steady[:2].any() and not steady[:, :2].any()  # the window leaves the image
    assert not steady[7:12, 0:5].any()  # within 2 px of the hole
    assert steady[4, 2] and steady[4, 8]
    depth[4, 9] = 1.06  # a step of 6 %
    assert not steady_pixels(depth, radius=2, tolerance=0.05)[2:7, 7:12].any()


def test_relative_maps_keep_zero_and_negative_values(tmp_path: Path) -> None:
    values = ramp() - 2.0  # from -1.0 to 1.5: a shifted map
    values[0, 0] = np.nan
    np.save(tmp_path / "d.npy", values)
    got = load_depth_map(with_map(tmp_path / "d.npy", depth_map_encoding="relative"))
    assert np.isnan(got[0, 0]) and got[0, 1] == -1.0 and np.isfinite(got[1:]).all()
    assert value_range(got) == pytest.approx(2.5)  # (8 pixels of each value: the percentiles are the ends)


def test_steady_pixels_of_a_relative_map_measure_steps_by_its_range() -> None:
    depth = np.zeros((12, 12), dtype=np.float32)
    depth[:, 6:] = -1.0  # an edge of the whole range, in values 0 and below
    steady = steady_pixels(depth, radius=2, tolerance=0.05, spread=1.0)
    assert steady[4, 2] and steady[4, 9] and not steady[:, 4:8].any()


@pytest.mark.parametrize("encoding", ["depth", "inverse", "relative", "relative_inverse"])
@pytest.mark.parametrize("kind", ["npy", "png"])
def test_a_pixel_at_a_time_gives_the_whole_maps_values(tmp_path: Path, encoding: str, kind: str) -> None:
    values = (ramp() * 1000).astype(np.uint16) if kind == "png" else ramp() - 2.0
    values[0, :3] = 0
    if kind == "npy":
        values[1, 1], values[1, 2] = np.nan, np.inf
        np.save(tmp_path / "d.npy", values)
    else:
        Image.fromarray(values).save(tmp_path / "d.png")
    scene = with_map(tmp_path / f"d.{kind}", depth_map_encoding=encoding)
    whole, pixels = load_depth_map(scene), open_depth_map(scene)
    for row in range(H):
        for col in range(W):
            one = pixels.at(row, col)
            assert (np.isnan(one) and np.isnan(whole[row, col])) or one == whole[row, col], (row, col)
    assert np.isnan(whole).sum() == {("npy", "depth"): 24, ("npy", "inverse"): 24, ("npy", "relative"): 2,
                                     ("png", "depth"): 3, ("png", "inverse"): 3, ("png", "relative"): 0,
                                     ("npy", "relative_inverse"): 2, ("png", "relative_inverse"): 0}[kind, encoding]


@pytest.mark.parametrize("kind", ["npy", "png"])
def test_relative_inverse_maps_are_flipped_and_keep_zero(tmp_path: Path, kind: str) -> None:
    """Larger = closer up to a scale and a shift (a model's disparity, ProVision's 0-255): read as
    -v, so smaller = closer; 0 (the farthest) and less are values, not "no depth"."""
    values = (ramp() * 10).astype(np.uint16)
    values[0, 0] = 0
    if kind == "npy":
        np.save(tmp_path / "d.npy", values)
    else:
        Image.fromarray(values).save(tmp_path / "d.png")
    got = load_depth_map(with_map(tmp_path / f"d.{kind}", depth_map_encoding="relative_inverse"))
    np.testing.assert_array_equal(got, -values.astype(np.float32))
    assert got[0, 0] == 0 and open_depth_map(with_map(tmp_path / f"d.{kind}", depth_map_encoding="relative_inverse")).at(0, 0) == 0
