"""numpy's random Generator, with faster single bounded draws and small samples.

Generators make hundreds of small draws per scene (`rng.integers(n)` for a template, an answer
group, a partner image; `rng.choice(n, k, replace=False)` for a few distractors). numpy spends
most of such a call (about 1.2 us, 6 us for `choice`) parsing its arguments and making an array;
the draw itself is one call of the bit generator. `Draws` is a `numpy.random.Generator` whose
`integers(n)` / `integers(lo, hi)` (size None) and `distinct(n, k)` make exactly the draws numpy
makes, through the bit generator's documented ctypes interface (`BitGenerator.ctypes`), so the
values *and* the generator's state afterwards are the same as numpy's: a seeded run gives the
same samples with either, and the two can be mixed freely on one generator.

The bounded draw is numpy's (Lemire's multiply-and-reject on 32-bit words, `next_uint32` using
the bit generator's own buffered half word); `choice(n, k, replace=False)` on a population of at
most 10,000 is Floyd's algorithm followed by a Fisher-Yates shuffle of the k values, with the same
bounded draws. At import, the emulation is compared with numpy on several hundred draws; if they
differ (a numpy release that draws otherwise), `Draws` falls back to numpy's own calls.

`set_pcg64` re-seeds (the runner does for every scene and generator) by writing PCG64's state
into its C struct, where setting `bit_generator.state` builds and parses a dict; the struct's
layout is checked at import the same way, and the dict is used where it differs.

PCG64's `next_uint32` draws 64 bits every other call and keeps the high half in its C struct
(`has_uint32`, `uinteger`) for the next call. Where that layout was checked, `Draws` takes a
kept half word from the struct's two 32-bit fields itself (a read and a write of a memoryview)
instead of calling `next_uint32` through ctypes for it: the same word, and the struct left as
the call leaves it, so numpy's own methods (`shuffle`, `random`) read the same buffer. `below(n)`
is `integers(n)` without its other arguments to sort out, for the runner's own draws (about
4,500 instructions a draw through `integers`, 3,700 through `below`; callgrind).

Measured and left (helper-271, callgrind, Python 3.11, numpy 2.4): the ctypes call of
`next_uint32` costs about 2,150 instructions (388 calls a demo scene, with 545 `below`, 72
`random`, 94 `shuffle` and 46 re-seeds). Stepping PCG64 in Python ints instead (the 128-bit
multiply-add and XSL-RR output, the state read from and written to the C struct) costs 10,100
a 64-bit word: big-int arithmetic is dearer than the call. Drawing words in blocks
(`random_raw(16).tolist()`: 9,300 a block) would pay a block per re-seed for about eight words
used, and a rewind (`advance`: 5,600) before each of numpy's own methods called between draws.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import numpy as np
import numpy.random._generator  # noqa: F401  (compiled: mypyc finds the base class `Draws` subclasses there)
from mypy_extensions import mypyc_attr

_WORD = 0x100000000  # 2**32: bounds up to this are drawn from 32-bit words
_FLOYD_MAX = 10_000  # numpy's `choice` uses Floyd's algorithm up to this population (then a tail shuffle)
_INT64 = np.int64
# How `Draws` calls the bit generator's `next_uint32(state)`: as a function of Python's C API,
# which keeps the GIL (`ctypes.CFUNCTYPE`, numpy's type, releases and re-takes it around every
# call: the function neither blocks nor touches Python), with no argument types to convert
# through (the state is passed as the `c_void_p` numpy gives). A fifth fewer instructions a draw.
_NEXT32 = ctypes.PYFUNCTYPE(ctypes.c_uint32)
_NEXT_DOUBLE = ctypes.PYFUNCTYPE(ctypes.c_double)  # `next_double(state)`, called likewise
_FLOAT64 = np.float64


def _bounded(next32: Any, state: Any, n: int) -> int:
    """A uniform integer in [0, n) for 2 <= n <= 2**32, as numpy draws it (Lemire's method)."""
    m = next32(state) * n
    if (m & 0xFFFFFFFF) < n:
        threshold = (_WORD - n) % n
        while (m & 0xFFFFFFFF) < threshold:
            m = next32(state) * n
    return m >> 32


# compiled (veriscene.compiled) as a class of Python's own: a native class cannot subclass numpy's
@mypyc_attr(native_class=False)
class Draws(np.random.Generator):
    """A `numpy.random.Generator` (same bit generator, same results) with faster `integers` for
    one value and `distinct` for a few values without replacement. `integers` with one value
    returns a Python int (numpy returns a numpy integer of the same value)."""

    # No __dict__ (numpy's Generator has none): Python then reads these slots and finds methods
    # by its fast paths, about 40 instructions where an attribute of a dict costs 450
    __slots__ = ("_next32_of", "_next_double_of", "_pcg64", "_half")

    def __init__(self, bit_generator: np.random.BitGenerator) -> None:
        super().__init__(bit_generator)
        interface = bit_generator.ctypes  # function pointers into the bit generator's C state
        # a draw's C function (called as `_NEXT32`, below) and its state
        self._next32_of: tuple[Any, Any] = (ctypes.cast(interface.next_uint32, _NEXT32), interface.state)
        # `random()`'s C function and its state (numpy draws one float64 through it)
        self._next_double_of: tuple[Any, Any] = (ctypes.cast(interface.next_double, _NEXT_DOUBLE), interface.state)
        # PCG64's C state, written directly by `set_pcg64` where its layout was checked at import
        self._pcg64 = None
        # PCG64's kept half word, its C struct's [has_uint32, uinteger] as 32-bit words, where
        # the layout was checked (else None: every word drawn through `next_uint32`)
        self._half: memoryview | None = None
        if type(bit_generator) is np.random.PCG64 and _PCG64_LAYOUT:
            self._pcg64 = _pcg64_fields(interface.state_address)
            self._half = self._pcg64[1].cast("I")

    def __reduce__(self) -> tuple[Any, ...]:
        # numpy's own would give back a plain Generator (the same stream, without the fast draws)
        return (type(self), (self.bit_generator,))

    def set_pcg64(self, words: bytes) -> None:
        """Put the PCG64 generator in state (state, increment | 1, nothing buffered), the two
        128-bit numbers read little-endian from the 32 bytes `words`: what setting
        `bit_generator.state` to that dict does, without building and parsing the dict (a
        quarter of the cost). The memory layout is checked at import (`_PCG64_LAYOUT`)."""
        if self._pcg64 is None:
            self.bit_generator.state = pcg64_state(words)
        else:
            _write_pcg64(self._pcg64, words)

    def integers(self, low: Any, high: Any = None, size: Any = None, dtype: Any = _INT64,
                 endpoint: bool = False) -> Any:
        """`numpy.random.Generator.integers`; one int64 value in [low, high) is drawn here."""
        if size is None and dtype is _INT64 and not endpoint and type(low) is int:
            if high is None:
                n, offset = low, 0
            elif type(high) is int:
                n, offset = high - low, low
            else:
                n, offset = 0, 0
            # Lemire's method, as `_bounded` (inlined, with 2**32 as a literal: the hot path)
            if 2 <= n <= 0x100000000:
                next32, state = self._next32_of
                half = self._half
                if half is not None and half[0]:  # a kept half word: taken as next_uint32 takes it
                    half[0] = 0
                    m = half[1] * n
                else:
                    m = next32(state) * n
                if (m & 0xFFFFFFFF) < n:
                    threshold = (0x100000000 - n) % n
                    while (m & 0xFFFFFFFF) < threshold:
                        m = next32(state) * n
                return offset + (m >> 32)
            if n == 1:  # numpy draws nothing for a range of one value
                return offset
        return super().integers(low, high, size, dtype, endpoint)

    def below(self, n: int) -> int:
        """`int(integers(n))` for an int n >= 1: the same draw, without `integers`' arguments to
        sort out (the runner's own draws, a few hundred per scene). The bounded draw is written
        out here as in `integers` (a call between them would cost what this saves)."""
        if not 2 <= n <= 0x100000000:  # (one value, or past 32 bits: numpy's own way)
            return int(self.integers(n))
        next32, state = self._next32_of
        half = self._half
        if half is not None and half[0]:  # as in `integers`
            half[0] = 0
            m = half[1] * n
        else:
            m = next32(state) * n
        if (m & 0xFFFFFFFF) < n:
            threshold = (0x100000000 - n) % n
            while (m & 0xFFFFFFFF) < threshold:
                m = next32(state) * n
        return m >> 32

    def random(self, size: Any = None, dtype: Any = _FLOAT64, out: Any = None) -> Any:
        """`numpy.random.Generator.random`; one float64 (no size, dtype or out) is drawn here, by
        the bit generator's `next_double`, which numpy calls for it (the same value, a Python
        float as numpy returns it; PCG64's buffered half word is left as numpy leaves it: unread).
        Generators draw about 70 a demo scene ("half of the time", weighted word draws)."""
        if size is None and out is None and dtype is _FLOAT64:
            next_double, state = self._next_double_of
            return next_double(state)
        return super().random(size, dtype, out)

    def distinct(self, n: int, k: int) -> list[int]:
        """`self.choice(n, k, replace=False).tolist()`: k distinct values of range(n) in a random
        order (the same values, order and state as numpy)."""
        if not 0 < k <= n <= _FLOYD_MAX:
            return _numpy_distinct(self, n, k)
        next32, state = self._next32_of
        chosen: list[int] = []
        taken: set[int] = set()
        for j in range(n - k, n):  # Floyd: a value of [0, j], or j itself if that one is taken
            value = _bounded(next32, state, j + 1) if j else 0
            if value in taken:
                value = j
            taken.add(value)
            chosen.append(value)
        for i in range(k - 1, 0, -1):  # then shuffled (Fisher-Yates, from the end)
            j = _bounded(next32, state, i + 1)
            chosen[i], chosen[j] = chosen[j], chosen[i]
        return chosen


def _numpy_distinct(rng: np.random.Generator, n: int, k: int) -> list[int]:
    return [int(v) for v in rng.choice(n, k, replace=False).tolist()]


def pcg64_state(words: bytes) -> dict[str, Any]:
    """The PCG64 `bit_generator.state` whose state and increment (| 1) are the two 128-bit
    little-endian numbers of the 32 bytes `words`, nothing buffered (what `Draws.set_pcg64` sets)."""
    return {"bit_generator": "PCG64",
            "state": {"state": int.from_bytes(words[:16], "little"), "inc": int.from_bytes(words[16:32], "little") | 1},
            "has_uint32": 0, "uinteger": 0}


def _pcg64_fields(address: int) -> tuple[memoryview, memoryview]:
    """Writable bytes of numpy's pcg64_state struct at `address`, {pcg_state *, int has_uint32,
    uint32 uinteger}: the 32 bytes of the 128-bit state and increment it points to, and the 8 of
    the two buffer fields."""
    inner = ctypes.c_void_p.from_address(address).value
    assert inner is not None, "a pcg64_state points to its state"
    state = memoryview((ctypes.c_ubyte * 32).from_address(inner)).cast("B")
    buffered = memoryview((ctypes.c_ubyte * 8).from_address(address + ctypes.sizeof(ctypes.c_void_p))).cast("B")
    return state, buffered


def _write_pcg64(fields: tuple[memoryview, memoryview], words: bytes) -> None:
    """Write `pcg64_state(words)` into the fields of `_pcg64_fields` (state and increment as
    native, little-endian, 128-bit integers; nothing buffered)."""
    inner, buffered = fields
    inner[:] = words
    inner[16] |= 1  # the increment is odd
    buffered[:] = _NOTHING_BUFFERED  # has_uint32, uinteger


_NOTHING_BUFFERED = bytes(8)


def _pcg64_layout() -> bool:
    """Whether PCG64's C state is laid out as `Draws.set_pcg64` writes it (128-bit integers in
    the machine's little-endian order): written both ways, the states must be equal."""
    if sys.byteorder != "little":
        return False
    words = bytes(range(7, 39))
    ours, theirs = np.random.PCG64(0), np.random.PCG64(0)
    ours.random_raw(), ours.ctypes.next_uint32(ours.ctypes.state)  # something buffered, to be cleared
    _write_pcg64(_pcg64_fields(ours.ctypes.state_address), words)
    theirs.state = pcg64_state(words)  # type: ignore[assignment]  # numpy's stubs name a private TypedDict
    return ours.state == theirs.state and ours.random_raw(3).tolist() == theirs.random_raw(3).tolist()


def _matches_numpy() -> bool:
    """Whether `Draws` gives numpy's values and state on a mixed run of draws."""
    ours, theirs = Draws(np.random.PCG64(20240611)), np.random.Generator(np.random.PCG64(20240611))
    for step in range(800):
        bound = (2, 3, 7, 10, 1000, 2**31 + 5, 2**32, 12_345_678)[step % 8]
        if step % 5 == 4:
            k = 1 + step % 4
            if ours.distinct(bound % 9000 + k, k) != theirs.choice(bound % 9000 + k, k, replace=False).tolist():
                return False
        elif int(ours.integers(bound)) != int(theirs.integers(bound)):
            return False
        if step % 7 == 0 and ours.random() != theirs.random():  # shares the buffered half word
            return False
    return ours.bit_generator.state == theirs.bit_generator.state


_PCG64_LAYOUT = _pcg64_layout()

if not _matches_numpy():  # a numpy release that draws otherwise: use its own calls
    Draws.integers = np.random.Generator.integers  # type: ignore[method-assign]
    Draws.below = lambda self, n: int(np.random.Generator.integers(self, n))  # type: ignore[method-assign]
    Draws.distinct = _numpy_distinct  # type: ignore[method-assign, assignment]  # (a Draws is a Generator)
    Draws.random = np.random.Generator.random  # type: ignore[method-assign]
