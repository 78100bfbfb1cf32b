"""`Draws` makes numpy's draws: the same values and the same generator state afterwards."""

from __future__ import annotations

import random

import numpy as np
import pytest

from veriscene.generators import draws
from veriscene.generators.common import sample_up_to
from veriscene.generators.draws import Draws

BOUNDS = [1, 2, 3, 5, 9, 64, 1000, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40]


def _pair(seed: int) -> tuple[Draws, np.random.Generator]:
    return Draws(np.random.PCG64(seed)), np.random.Generator(np.random.PCG64(seed))


def test_the_emulation_is_in_use() -> None:
    # the import-time comparison passed, so the faster methods are the ones called
    assert Draws.integers is not np.random.Generator.integers
    assert draws._matches_numpy()


@pytest.mark.parametrize("trial", range(40))
def test_mixed_draws_match_numpy(trial: int) -> None:
    """A random mix of every kind of call the generators make, on one generator each."""
    r = random.Random(trial)
    ours, theirs = _pair(r.randrange(2**63))
    for _ in range(400):
        kind = r.random()
        if kind < 0.45:
            n = r.choice([*BOUNDS, r.randrange(1, 2**33)])
            if r.random() < 0.3:
                low = r.randrange(-50, 50)
                got, want = ours.integers(low, low + n), theirs.integers(low, low + n)
            else:
                got, want = ours.integers(n), theirs.integers(n)
            assert got == want and type(got) in (int, np.int64)
        elif kind < 0.75:
            n = r.choice([1, 2, 5, 30, 200, 9_999, 10_000, 10_001, 50_000])
            k = r.randint(1, min(n, 12))
            assert ours.distinct(n, k) == theirs.choice(n, k, replace=False).tolist()
        elif kind < 0.85:
            assert ours.random() == theirs.random()  # reads 64 bits, beside the buffered 32
        elif kind < 0.95:
            a = list(range(r.randint(1, 9)))
            b = list(a)
            ours.shuffle(a)
            theirs.shuffle(b)
            assert a == b
        else:
            assert ours.integers(10, size=3).tolist() == theirs.integers(10, size=3).tolist()
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_below_makes_the_draws_of_integers_of_one_bound() -> None:
    """`below(n)`, the runner's draws, beside integers and numpy's other draws (`random` reads
    64 bits, `shuffle` 32-bit words from PCG64's kept half word too)."""
    r = random.Random(5)
    ours, theirs = _pair(13)
    for _ in range(600):
        n = r.choice([1, 2, 3, 7, 1000, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40])
        got = ours.below(n)
        assert got == theirs.integers(n) and type(got) is int
        kind = r.random()
        if kind < 0.2:
            assert ours.random() == theirs.random()
        elif kind < 0.4:
            assert ours.integers(n) == theirs.integers(n)
        elif kind < 0.5:
            a, b = list(range(6)), list(range(6))
            ours.shuffle(a), theirs.shuffle(b)
            assert a == b
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_one_value_is_a_python_int_and_other_calls_are_numpy_s() -> None:
    ours, theirs = _pair(7)
    assert type(ours.integers(5)) is int and type(ours.integers(2, 9)) is int
    theirs.integers(5), theirs.integers(2, 9)
    assert ours.integers(1) == 0 and ours.integers(4, 5) == 4  # one value: nothing drawn
    assert ours.bit_generator.state == theirs.bit_generator.state
    # arrays, other dtypes, closed ranges and numpy bounds go to numpy itself
    assert ours.integers(0, 10, size=4).dtype == np.int64
    assert ours.integers(5, dtype=np.int32).dtype == np.int32
    assert 1 <= ours.integers(1, 3, endpoint=True) <= 3
    assert ours.integers(np.int64(6)) < 6
    with pytest.raises(ValueError):
        ours.integers(0)


def test_one_random_float_is_next_double_and_other_calls_are_numpy_s() -> None:
    """`random()` draws its float here (a Python float, numpy's value, beside the kept half word
    of a 32-bit draw); with a size, dtype or out array it is numpy's own call."""
    assert Draws.random is not np.random.Generator.random  # the emulation is in use
    ours, theirs = _pair(21)
    for n in (3, 1000, 7):
        assert ours.integers(n) == theirs.integers(n)  # (a half word kept after the first)
        got = ours.random()
        assert got == theirs.random() and type(got) is float
    assert ours.random(3).tolist() == theirs.random(3).tolist()
    assert ours.random(dtype=np.float32) == theirs.random(dtype=np.float32)
    out_ours, out_theirs = np.empty(2), np.empty(2)
    ours.random(out=out_ours), theirs.random(out=out_theirs)
    assert out_ours.tolist() == out_theirs.tolist()
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_reseeding_keeps_the_fast_path_on_the_same_state() -> None:
    from veriscene.generators.runner import reseed

    ours, theirs = _pair(0)
    for parts in [(1, "a"), (2, "b"), (3, "object.count.v1")]:
        reseed(ours, *parts), reseed(theirs, *parts)
        assert [ours.integers(97) for _ in range(20)] == theirs.integers(97, size=20).tolist()


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_sample_up_to_draws_the_same_with_draws_and_numpy(k: int) -> None:
    items = [f"w{i}" for i in range(40)]
    ours, theirs = _pair(11)
    for _ in range(50):
        assert sample_up_to(ours, items, k) == sample_up_to(theirs, items, k)
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_a_numpy_that_draws_otherwise_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # what the import-time check sees if numpy's bounded draw changed: a mismatch
    monkeypatch.setattr(Draws, "distinct", lambda self, n, k: list(range(k)))
    assert not draws._matches_numpy()


def test_set_pcg64_gives_the_state_the_dict_gives() -> None:
    r = random.Random(3)
    ours, theirs = _pair(5)
    for _ in range(200):
        ours.integers(9), theirs.integers(9)  # leave a half word buffered now and then
        if r.random() < 0.5:
            ours.random(), theirs.random()
        words = r.randbytes(32)
        ours.set_pcg64(words)
        theirs.bit_generator.state = draws.pcg64_state(words)
        assert ours.bit_generator.state == theirs.bit_generator.state
        assert ours.integers(1000, size=4).tolist() == theirs.integers(1000, size=4).tolist()


def test_set_pcg64_on_another_bit_generator_goes_through_the_state_dict() -> None:
    rng = Draws(np.random.MT19937(0))
    with pytest.raises(ValueError):  # an MT19937 cannot take a PCG64 state: numpy's own check
        rng.set_pcg64(bytes(32))
    assert draws._pcg64_layout()  # this machine's layout is the one written directly


def test_a_copy_or_pickle_is_a_draws_in_the_same_state() -> None:
    import copy
    import pickle

    ours, theirs = _pair(9)
    ours.integers(7), theirs.integers(7)  # half a word buffered
    for other in (pickle.loads(pickle.dumps(ours)), copy.deepcopy(ours)):
        assert type(other) is Draws and other.bit_generator.state == theirs.bit_generator.state
        assert other.integers(1000) == np.random.Generator(copy.deepcopy(theirs.bit_generator)).integers(1000)
        other.set_pcg64(bytes(32))  # its own state, not the original's
    assert ours.bit_generator.state == theirs.bit_generator.state
