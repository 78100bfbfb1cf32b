"""masks._read_counts (bad_counts, mask_runs) against our own character-by-character reading of
COCO's compressed counts and against pycocotools' decoded frames: the runs of many masks read
together (masks of odd and even counts of numbers, numbers of one to seven characters), and
why a wrong string is refused."""

from __future__ import annotations

import numpy as np

from veriscene.scene.masks import bad_counts, encode_mask, mask_runs


def _read_one(text: str, total: int) -> list[int] | str:
    """One mask's compressed counts read a character at a time, as pycocotools reads them: its
    runs, or why they are wrong (the first of: a character outside '0'..'o', the last number
    unfinished, a number of more than 7 characters, a negative run, runs not adding up)."""
    if any(not 48 <= ord(ch) < 112 for ch in text):
        return "compressed counts hold a character outside '0'..'o'"
    if ord(text[-1]) - 48 >= 32:
        return "compressed counts end inside a number"
    numbers: list[int] = []
    value = place = 0
    for ch in text:
        group = ord(ch) - 48
        if place == 7:
            return "compressed counts hold a number too large"
        value |= (group & 31) << (5 * place)
        place += 1
        if group < 32:  # the number's last character: bit 4 its sign
            if group & 16:
                value -= 1 << (5 * place)
            numbers.append(value)
            value = place = 0
    runs = list(numbers)
    for m in range(3, len(numbers)):  # run m = number m + run m-2
        runs[m] = numbers[m] + runs[m - 2]
    if min(runs) < 0:
        return "compressed counts hold a negative run"
    if sum(runs) != total:
        return f"the runs add up to {sum(runs)} pixels"
    return runs


def _frame_runs(mask: np.ndarray) -> list[int]:
    """A mask's runs from its pixels, column by column, background first."""
    flat = np.asarray(mask, bool).T.reshape(-1)
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = [0, *edges.tolist(), flat.size]
    runs = [b - a for a, b in zip(bounds, bounds[1:])]
    return [0, *runs] if flat.size and flat[0] else runs


def test_many_masks_read_together_are_each_read_alone() -> None:
    """Masks of odd and even counts of numbers, in every order, empty and full ones, and a frame
    of more than 2^19 pixels (its first runs need numbers of five characters): read together,
    each mask's runs are those of its pixels and of reading its string alone."""
    rng = np.random.default_rng(11)
    for h, w in ((17, 13), (1, 1), (9, 40), (820, 700)):
        masks = []
        for _ in range(9):
            mask = np.zeros((h, w), bool)
            x0, y0 = int(rng.integers(w)), int(rng.integers(h))
            mask[y0 : y0 + int(rng.integers(1, 30)), x0 : x0 + int(rng.integers(1, 30))] = rng.random() < 0.9
            if rng.random() < 0.4:
                mask[y0:, x0:] ^= rng.random((h - y0, w - x0)) < 0.05
            masks.append(mask)
        masks += [np.zeros((h, w), bool), np.ones((h, w), bool)]
        texts = [encode_mask(m)["counts"] for m in masks]
        sizes = {sum(ord(ch) < 80 for ch in t) % 2 for t in texts}
        assert h * w == 1 or sizes == {0, 1}  # odd and even counts of numbers among them
        if h * w > 1 << 19:
            assert any(sum(ord(ch) >= 80 for ch in t[:5]) == 4 for t in texts)  # a number of five characters
        for order in (list(range(len(masks))), list(rng.permutation(len(masks)))):
            runs = mask_runs([texts[i] for i in order], h, w)
            for i, got in zip(order, runs):
                assert not isinstance(got, str) and got.dtype == np.int64
                assert got.tolist() == _frame_runs(masks[i]) == _read_one(texts[i], h * w)


def test_wrong_strings_are_refused_as_read_alone() -> None:
    """Strings of random characters, and masks' strings with one character changed, cut or
    lengthened, each between right masks: refused (naming it) exactly when reading it alone
    refuses it, for the same reason; otherwise read as alone."""
    rng = np.random.default_rng(12)
    h, w = 11, 9
    right = [encode_mask(rng.random((h, w)) < p)["counts"] for p in (0.1, 0.5, 0.9)]
    alphabet = [chr(c) for c in range(48, 112)] + ["/", "p", "~"]
    for trial in range(3000):
        kind = trial % 3
        if kind == 0:
            text = "".join(rng.choice(alphabet, int(rng.integers(1, 14))))
        else:
            chars = list(encode_mask(rng.random((h, w)) < rng.random())["counts"])
            i = int(rng.integers(len(chars)))
            if kind == 1:
                chars[i] = str(rng.choice(alphabet))
            else:
                chars = chars[:i] + list(rng.choice(alphabet, int(rng.integers(0, 3))))
            text = "".join(chars) or "0"
        alone = _read_one(text, h * w)
        place = int(rng.integers(4))
        counts = right[:place] + [text] + right[place:]
        found = bad_counts(counts, h, w)
        if isinstance(alone, str):
            assert found is not None and found[0] == place and found[1].startswith(alone), (text, found, alone)
        else:
            assert found is None, (text, found)
            got = mask_runs(counts, h, w)[place]
            assert not isinstance(got, str) and got.tolist() == alone
