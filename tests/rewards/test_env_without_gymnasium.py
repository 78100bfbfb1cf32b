"""Without gymnasium, the environment's modules say which extra to install (`errors.MissingExtra`,
an ImportError), as every optional package does (helper-197: "No module named 'gymnasium'")."""

from __future__ import annotations

import importlib
import sys

import pytest

from veriscene.errors import MissingExtra


@pytest.mark.parametrize(("module", "what"), [
    ("veriscene.rewards.env", "the Gymnasium environment (veriscene.rewards.env, veriscene/VQA-v0)"),
    ("veriscene.rewards.trajectories", "recording episodes (veriscene.rewards.trajectories)"),
])
def test_the_rl_extra_is_named(monkeypatch: pytest.MonkeyPatch, module: str, what: str) -> None:
    monkeypatch.setitem(sys.modules, "gymnasium", None)  # import gymnasium raises ImportError
    monkeypatch.delitem(sys.modules, module, raising=False)  # imported afresh; put back after the test
    with pytest.raises(MissingExtra) as caught:
        importlib.import_module(module)
    assert str(caught.value) == f"{what} needs the `rl` extra (gymnasium): pip install 'veriscene[rl]'"
    assert isinstance(caught.value, ImportError)


def test_the_rewards_need_no_gymnasium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gymnasium", None)
    from veriscene.rewards import format_reward

    assert format_reward(completions=["<think>a</think><answer>3</answer>"]) == [1.0]
