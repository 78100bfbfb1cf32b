"""A CMYK ICC profile for tests, written out byte by byte: LittleCMS builds none
(`ImageCms.createProfile` makes only sRGB, Lab and XYZ ones) and no installed package ships one.

An ICC v2 output profile (class ``prtr``, colour space CMYK, Lab as its connection space) whose
one table, A2B0 (`lut8Type`: 4 inputs, 3 outputs, a grid of 2 points an ink), gives the Lab colour
of each corner of the CMYK cube: the colour `shown(c, m, y, k)` says (sRGB, 0-1), worked out here
by sRGB's own formulas (its curve, its D50 matrix, CIE Lab). Between the corners LittleCMS
interpolates; corners come out within a few levels of 255 (8-bit Lab in the table).
"""

from __future__ import annotations

import struct
from typing import Callable

import numpy as np

D50 = (0.96422, 1.0, 0.82521)  # the connection space's white (ICC)
# linear sRGB -> XYZ of D50 white (sRGB's primaries, Bradford-adapted from D65)
SRGB_TO_XYZ_D50 = np.array([[0.4360747, 0.3850649, 0.1430804],
                            [0.2225045, 0.7168786, 0.0606169],
                            [0.0139322, 0.0971045, 0.7141733]])

Shown = Callable[[int, int, int, int], tuple[float, float, float]]


def naive(c: int, m: int, y: int, k: int) -> tuple[float, float, float]:
    """What Pillow's CMYK -> RGB gives (255 - ink, darkened by black), as 0-1."""
    return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))


def swapped(c: int, m: int, y: int, k: int) -> tuple[float, float, float]:
    """`naive` with red and green swapped: no rounding can hide a conversion left out."""
    r, g, b = naive(c, m, y, k)
    return (g, r, b)


def _lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB 0-1 -> (N, 3) CIE Lab (D50)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ SRGB_TO_XYZ_D50.T / np.array(D50)
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=-1)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))  # s15Fixed16Number


def cmyk_icc(shown: Shown = swapped, name: str = "CMYK test") -> bytes:
    """The profile (module notes) whose CMYK corners show as `shown` says, described as `name`."""
    corners = [(c, m, y, k) for c in (0, 1) for m in (0, 1) for y in (0, 1) for k in (0, 1)]  # first ink slowest
    lab = _lab(np.array([shown(*corner) for corner in corners], dtype=np.float64))
    # lut8's Lab: L 0-100 as 0-255, a and b -128-127 as 0-255
    grid = np.clip(np.round(np.stack([lab[:, 0] * 255 / 100, lab[:, 1] + 128, lab[:, 2] + 128], -1)), 0, 255)
    identity = bytes(range(256))  # the input and output curves
    a2b0 = (b"mft1" + bytes(4) + bytes([4, 3, 2, 0]) + b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
            + identity * 4 + grid.astype(np.uint8).tobytes() + identity * 3)
    text = name.encode("ascii") + b"\x00"
    # textDescriptionType: ASCII, then an empty Unicode and an empty ScriptCode description
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(8) + bytes(3) + bytes(67)
    wtpt = b"XYZ " + bytes(4) + b"".join(_s15(v) for v in D50)
    tags = [(b"desc", desc), (b"wtpt", wtpt), (b"A2B0", a2b0)]
    at = 128 + 4 + 12 * len(tags)  # the tags' data, after the header and the tag table
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", at + len(data), len(body))
        data += body + bytes(-len(body) % 4)  # each tag at a multiple of 4
    header = bytearray(128)
    header[8:12] = bytes([2, 0x10, 0, 0])  # version 2.1
    header[12:16], header[16:20], header[20:24], header[36:40] = b"prtr", b"CMYK", b"Lab ", b"acsp"
    header[68:80] = b"".join(_s15(v) for v in D50)  # the illuminant
    profile = bytes(header) + struct.pack(">I", len(tags)) + table + data
    return struct.pack(">I", len(profile)) + profile[4:]
