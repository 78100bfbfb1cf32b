"""Mixture files: validation with file/key in errors, weights, config overrides, budget plans."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from veriscene.generators import get_generator
from veriscene.generators.mixture import Mixture, MixtureError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "mixture.yaml"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "mix.yaml"
    path.write_text(text)
    return path


def test_example_file_loads() -> None:
    mix = Mixture.load(EXAMPLE)
    assert mix.budget == 16 and mix.modes == ("qa", "mc")
    gens = {g.name: g for g in mix.make_generators()}
    assert len(gens) >= 25
    assert gens["grounding.box.v1"].config.box_format == "norm1000"
    assert gens["grounding.refexp.v1"].config.num_choices == 3


def test_weights_are_family_times_generator(tmp_path) -> None:
    mix = Mixture.load(write(tmp_path, """
default_weight: 0
families: {counting: 2.0, depth: 0.5}
generators:
  object.count.v1: 3.0
  "relation.*": 0.25
  relation.query.v1: 1.0
"""))
    w = lambda name: mix.weight(get_generator(name))
    assert w("object.count.v1") == 6.0  # counting family 2.0 x 3.0
    assert w("counting.compare.v1") == 2.0  # family listed: generator factor 1.0
    assert w("depth.points.v1") == 0.5
    assert w("relation.exists.v1") == 0.25  # glob
    assert w("relation.query.v1") == 1.0  # exact name wins over the glob
    assert w("object.exists.v1") == 0.0  # neither listed: default_weight
    assert "object.exists.v1" not in {c.name for c in mix.selected()}


@pytest.mark.parametrize("text, key", [
    ("budgett: 3", "budgett"),
    ("budget: 0", "budget"),
    ("modes: [qa, caption]", "modes"),
    ("families: {countin: 1}", "families.countin"),
    ("generators: {object.cont.v1: 1}", "generators.object.cont.v1"),
    ("generators: {object.count.v1: -1}", "generators.object.count.v1"),
    ("generators: {object.count.v1: {weight: 1, config: {colour: red}}}", "generators.object.count.v1.config.colour"),
    ("generators: {object.count.v1: {config: {num_choices: 'four'}}}", "generators.object.count.v1.config.num_choices"),
    ("generators: {grounding.box.v1: {config: {box_format: inches}}}", "generators.grounding.box.v1.config.box_format"),
])
def test_errors_name_file_and_key(tmp_path, text, key) -> None:
    path = write(tmp_path, text)
    with pytest.raises(MixtureError) as info:
        Mixture.load(path)
    assert str(path) in str(info.value) and f"key '{key}'" in str(info.value)


def test_unknown_generator_suggests_close_matches(tmp_path) -> None:
    with pytest.raises(MixtureError, match="did you mean object.count.v1"):
        Mixture.load(write(tmp_path, "generators: {object.cont.v1: 1}"))


def test_plan_is_deterministic_within_budget_and_proportional(tmp_path) -> None:
    mix = Mixture.load(write(tmp_path, """
budget: 10
default_weight: 0
generators: {object.count.v1: 3.0, object.exists.v1: 1.0, scene_graph.caption.v1: 1.0}
"""))
    gens = mix.make_generators()
    plans = [mix.plan(np.random.default_rng(s), gens) for s in range(400)]
    assert plans[:5] == [mix.plan(np.random.default_rng(s), gens) for s in range(5)]
    for plan in plans:
        cost = 2 * plan["object.count.v1"] + 2 * plan["object.exists.v1"] + plan["scene_graph.caption.v1"]
        assert cost <= 10 and cost >= 9  # a caption (cost 1) fills an odd remainder when drawn
    total = Counter()
    for plan in plans:
        total.update(plan)
    assert 2.5 <= total["object.count.v1"] / total["object.exists.v1"] <= 3.5


def test_no_budget_means_per_scene(tmp_path) -> None:
    mix = Mixture.load(write(tmp_path, "generators: {object.count.v1: {config: {per_scene: 2}}}\ndefault_weight: 0"))
    assert mix.plan(np.random.default_rng(0), mix.make_generators()) == {"object.count.v1": 2}


@pytest.mark.parametrize("text, key, said", [
    ("budget: 1\nmodes: both\ndefault_weight: 0\ngenerators: {object.count.v1: 1}", "budget",
     "1 is less than one question of object.count.v1 costs (2 samples"),
    ("budget: 100000000000\ndefault_weight: 0\ngenerators: {object.count.v1: 1}", "budget",
     "must be an integer from 1 to 1000"),
    ("budget: 4\ngenerators: {object.count.v1: {config: {per_scene: 2}}}",
     "generators.object.count.v1.config.per_scene", "has no effect with a budget"),
    ("generators: {object.absent.v1: {config: {adversarial: -3}}}", "generators.object.absent.v1.config.adversarial",
     "must be from 0 to 1000, got -3"),
    ("generators: {scene_graph.multihop.v1: {config: {max_hops: -3}}}",
     "generators.scene_graph.multihop.v1.config.max_hops", "must be from 1 to 1000, got -3"),
    ("generators: {object.count.v1: {config: {per_scene: 5000}}}", "generators.object.count.v1.config.per_scene",
     "must be from 1 to 1000"),
    ("generators: {depth.points.v1: {config: {min_depth_gap: .nan}}}",
     "generators.depth.points.v1.config.min_depth_gap", "must be from 0.0 to 1.0, got nan"),
])
def test_budgets_and_config_values_out_of_range_are_refused(tmp_path, text, key, said) -> None:
    with pytest.raises(MixtureError) as info:
        Mixture.load(write(tmp_path, text))
    assert f"key '{key}'" in str(info.value) and said in str(info.value)


def test_a_budget_that_one_generator_fits_is_kept(tmp_path) -> None:
    mix = Mixture.load(write(tmp_path, "budget: 1\nmodes: [qa]\ndefault_weight: 0\ngenerators: {object.count.v1: 1}"))
    assert mix.plan(np.random.default_rng(0), mix.make_generators()) == {"object.count.v1": 1}


def test_per_scene_given_with_a_mixture_must_agree_with_it(tmp_path) -> None:
    fixed = Mixture.load(write(tmp_path, "default_weight: 0\ngenerators: {object.count.v1: {config: {per_scene: 2}}, "
                                         "object.exists.v1: 1}"))
    with pytest.raises(MixtureError, match=r"per_scene \(5\) contradicts the mixture's per_scene of object.count.v1"):
        fixed.make_generators(5)
    assert {g.name: g.config.per_scene for g in fixed.make_generators(2)} == {"object.count.v1": 2,
                                                                              "object.exists.v1": 2}
    budget = Mixture.load(write(tmp_path, "budget: 4\ndefault_weight: 0\ngenerators: {object.count.v1: 1}"))
    with pytest.raises(MixtureError, match="has no effect with the mixture's budget"):
        budget.make_generators(3)


def test_a_name_without_its_version_is_a_name(tmp_path) -> None:
    """As `-g object.count` selects object.count.v1, a mixture's key object.count weighs and
    configures it (it was refused: 'matches no registered generator'), and wins over a glob."""
    mix = Mixture.load(write(tmp_path, """
default_weight: 0
generators:
  "object.*": 0.5
  object.count: {weight: 3.0, config: {per_scene: 2}}
"""))
    assert mix.weight(get_generator("object.count.v1")) == 3.0
    assert mix.weight(get_generator("object.exists.v1")) == 0.5
    assert {g.name: g.config.per_scene for g in mix.make_generators()}["object.count.v1"] == 2
    with pytest.raises(MixtureError, match="generators.object.coun"):
        Mixture.load(write(tmp_path, "generators: {object.coun: 1.0}\n"))


def test_a_generator_asking_nothing_takes_no_share_of_a_budget(tmp_path) -> None:
    """multi.marked_point.v1 without marks has per_scene 0: a budget drawn over it spent samples on
    it that it never made (20 demo scenes, budget 16: 278 samples where 0.30.0 made 290)."""
    head = "budget: 10\ndefault_weight: 0\ngenerators: {object.count.v1: 1.0, multi.marked_point.v1: "
    off = Mixture.load(write(tmp_path, head + "1.0}"))
    plans = [off.plan(np.random.default_rng(s), off.make_generators()) for s in range(20)]
    assert all(plan == {"object.count.v1": 5, "multi.marked_point.v1": 0} for plan in plans)
    on = Mixture.load(write(tmp_path, head + "{weight: 1.0, config: {marks: true}}}"))
    drawn = Counter()
    for s in range(20):
        drawn.update(on.plan(np.random.default_rng(s), on.make_generators()))
    assert drawn["multi.marked_point.v1"] > 0 and drawn["object.count.v1"] > 0


def test_a_generator_entry_s_misspelt_key_is_said_with_the_one_meant() -> None:
    with pytest.raises(MixtureError, match=r"^mix, key 'generators\.grounding\.box\.v1\.wieght': unknown key; "
                                           r"allowed: \['weight', 'config'\]; did you mean 'weight'\?$"):
        Mixture.from_dict({"generators": {"grounding.box.v1": {"wieght": 1.0}}}, source="mix")
    with pytest.raises(MixtureError, match=r"allowed: \['weight', 'config'\]$"):  # nothing close: no guess
        Mixture.from_dict({"generators": {"grounding.box.v1": {"share": 1.0}}}, source="mix")
