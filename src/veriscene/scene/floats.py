"""float32 arrays as JSON numbers: the shortest decimal that reads back to the same float32.

`np.float32(12.3).tolist()` is the float64 12.300000190734863, which JSON writers print in full:
files grow and a box edge of 12.3 looks broken. `float32_json` gives instead, for each value v,
the float64 nearest to v's shortest float32 decimal ("12.3"), so orjson and json print that
decimal, and `np.float32(float(text)) == v` bit for bit (negative zero included).

Integral values stay floats (12.0, not 12): `datasets.load_dataset("json")` refuses files whose
box lists are integers in one file and floats in another, which writing every float as a float
keeps from happening (and a scene of whole-pixel boxes is written as before, byte for byte).

How, vectorised (no Python loop over values): a float32 needs 6 to 9 significant decimal digits.
Rounding v to k digits, k = 6..9, the first candidate that casts back to v is kept: for k = 6
it is v's shortest decimal padded with zeros whenever that decimal has 6 digits or fewer (half a
unit of the 6th digit is wider than half a float32 step, so no other 6-digit decimal is nearer);
for k > 6 it is the k-digit decimal nearest v, which casts back if any k-digit decimal does
(except at an exact power of two, whose interval is narrower below: Dragon4 decides those). Each
candidate is rint(v * 10**p) / 10**p or rint(v / 10**-p) * 10**-p with the power of ten exact
(|p| <= 22) and the integer below 10**10: one rounding, so it is the correctly rounded float64 of
that decimal, as a JSON reader would parse it, and the cast back is the reader's own. Values
below 1e-13 are rounded as if they were 1e-14 (fewer digits: they mostly miss), and what misses,
|v| >= 1e28, NaN and infinities go to numpy's Dragon4 (`astype(str)`: exact, about 5 us a value).

The cost is mostly numpy's per call: for one scene of 7 to 35 objects about 4 us when the boxes
are whole pixels, 10-20 us for two decimals, 30-50 us for arbitrary values (`tolist()`: 0.5-3.5
us); convert many scenes' columns in one call (`scene.jsonl.dumps_scenes`) where that matters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_LOW, _HIGH = -13, 27  # the decimal exponents e (10**e <= |v| < 10**(e+1)) rounded here
_TOO_BIG = 1e28  # and above: numpy's Dragon4, as are NaN and infinities
_EDGES = np.array([float(10**e) if e >= 0 else 10.0**e for e in range(_LOW, _HIGH + 1)])
_INTEGRAL = float(2**24)  # below it, an integral float32 is its own shortest decimal
_MANTISSA = np.uint32(0x7FFFFF)  # a float32's fraction bits: all zero for a power of two


def _scales(digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Per position i of `searchsorted(_EDGES, |v|, "right")` (decimal exponent e = _LOW - 1 + i;
    below 10**_LOW, zero included, counts as _LOW - 1): (up, down), the exact powers of ten that
    round to `digits` significant digits as rint(v * up / down) * down / up, one of them 1.0 so
    that each step rounds once. |p| <= 22 for every e and digits <= 9: exact in float64."""
    p = [(digits - 1) - e for e in range(_LOW - 1, _HIGH + 1)]  # Python ints: 10**22 exceeds int64
    up = np.array([float(10 ** max(k, 0)) for k in p])
    down = np.array([float(10 ** max(-k, 0)) for k in p])
    return up, down


_UP6, _DOWN6 = _scales(6)
_UP7_9, _DOWN7_9 = (np.stack(t, axis=1) for t in zip(*(_scales(k) for k in (7, 8, 9))))  # (n, 3)


def _none(mask: np.ndarray) -> bool:
    """`not mask.any()`, a few times faster on the short arrays of one scene."""
    return np.count_nonzero(mask) == 0


def _dragon4(flat: np.ndarray, x: np.ndarray) -> np.ndarray:
    """numpy's shortest repr of float32 `flat` (exact, about 5 us a value), read as float64 as
    JSON readers do; the exact expansion `x` where that double rounding ever lands elsewhere."""
    decimal = flat.astype(str).astype(np.float64)
    return np.where(decimal.astype(np.float32) == flat, decimal, x)


def _regular(x: np.ndarray, a: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """`shortest_float32` of finite (n,) values below 1e28: `x` and `a` their float64 value and
    magnitude, `flat` the float32 values."""
    at = np.searchsorted(_EDGES, a, side="right")  # decimal exponent, as an index of the tables
    up, down = _UP6[at], _DOWN6[at]
    out = np.rint(x * up / down) * down / up  # 6 digits: the shortest decimal if it has 6 or fewer
    missed = out.astype(np.float32) != flat
    if _none(missed):
        return out
    rest = np.flatnonzero(missed)  # 7, 8 and 9 digits side by side (n, 3): the first that hits
    up, down = _UP7_9[at[rest]], _DOWN7_9[at[rest]]
    found = np.rint(x[rest, None] * up / down) * down / up
    target = flat[rest]
    hit = found.astype(np.float32) == target[:, None]
    out[rest] = np.where(hit[:, 0], found[:, 0], np.where(hit[:, 1], found[:, 1], found[:, 2]))
    # an exact power of two has a narrower interval below it than above, so the nearest k-digit
    # decimal may miss where one above hits: Dragon4 decides those, and any 9-digit miss (never seen)
    odd = ~hit[:, 2] | (target.view(np.uint32) & _MANTISSA == 0)
    if not _none(odd):
        at_odd = rest[odd]
        out[at_odd] = _dragon4(flat[at_odd], x[at_odd])
    return out


def shortest_float32(values: np.ndarray) -> np.ndarray:
    """float64 array of the shape of float32 `values`: each the nearest float64 to the shortest
    decimal that rounds to the same float32. Zeros and non-finite values pass through unchanged."""
    v = np.asarray(values)
    if v.dtype != np.float32:
        raise TypeError(f"expected a float32 array, got {v.dtype}")
    flat = v.reshape(-1)
    x = flat.astype(np.float64)
    a = np.abs(x)
    if _none(x != np.rint(x)) and _none(a >= _INTEGRAL):  # NaN fails the first test
        return x.reshape(v.shape)  # whole numbers (e.g. pixel boxes) are exact already
    irregular = ~(a < _TOO_BIG)  # NaN, infinities and values past the tables
    if _none(irregular):
        return _regular(x, a, flat).reshape(v.shape)
    out = x.copy()  # NaN and infinities kept as they are
    ok = ~irregular
    if not _none(ok):
        out[ok] = _regular(x[ok], a[ok], flat[ok])
    big = irregular & np.isfinite(x)
    if not _none(big):
        out[big] = _dragon4(flat[big], x[big])
    return out.reshape(v.shape)


def float32_json(values: np.ndarray) -> Any:
    """Nested lists (a float for a 0-d array) of Python floats that JSON writers print as the
    shortest decimal of each float32 in `values`."""
    return shortest_float32(values).tolist()
