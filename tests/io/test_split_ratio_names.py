"""`split --ratios` text: a split named twice is refused by name (the last share stood for both,
and the error said the shares' sum or 'needs at least two parts' instead)."""

from __future__ import annotations

import pytest

from veriscene.io.split import check_ratios, parse_ratios


@pytest.mark.parametrize("text", ["train=0.5,train=0.5", "train=0.5,test=0.3,test=0.2", " a=0.5 , b=0.5, a =0.5"])
def test_a_split_named_twice_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is given twice"):
        parse_ratios(text)


def test_distinct_names_are_read_in_order() -> None:
    assert check_ratios(parse_ratios("train=0.8, val=0.1,test=0.1")) == {"train": 0.8, "val": 0.1, "test": 0.1}
