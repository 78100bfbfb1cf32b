"""Generator options by name (`generate --set NAME.OPTION=VALUE`, `generator_options=`): parsed,
checked as a mixture's config is, resolved to the run's generators, written back as `--set` reads them."""

from __future__ import annotations

from typing import Any

import pytest

from veriscene.generators.base import GeneratorConfig
from veriscene.generators.catalog import generator_catalog, own_options
from veriscene.generators.generator_options import (
    GeneratorOptionError, apply_settings, option_text, parse_settings, resolve_settings, settings_for,
)
from veriscene.generators.registry import GENERATORS, select_generators

MARKED = ["depth.map_points.v1", "depth.points.v1", "segmentation.different_object.v1",
          "segmentation.point_object.v1", "segmentation.same_object.v1"]


def test_values_are_read_as_yaml_in_the_order_given() -> None:
    parsed = parse_settings(["depth.map_points.marks=true", "counting.*.num_choices=3", "depth.points.v1.min_depth_gap=0.2",
                             "grounding.box.box_format=norm1000", "a.b=[x, y]", "depth.map_points.marks=false"])
    assert parsed == {"depth.map_points": {"marks": False}, "counting.*": {"num_choices": 3},
                      "depth.points.v1": {"min_depth_gap": 0.2}, "grounding.box": {"box_format": "norm1000"},
                      "a": {"b": ["x", "y"]}}


@pytest.mark.parametrize(("text", "said"), [
    ("marks", "give NAME.OPTION=VALUE"),
    ("depth.marks", "give NAME.OPTION=VALUE"),
    (".marks=true", "give NAME.OPTION=VALUE"),
    ("depth.points.marks=", "no value after '='"),
    ("depth.points.marks=[1, 2", "is not a YAML value"),
])
def test_malformed_text_is_refused_naming_it(text: str, said: str) -> None:
    with pytest.raises(GeneratorOptionError, match="--set") as caught:
        parse_settings([text])
    assert said in str(caught.value)


def test_names_resolve_as_g_takes_them() -> None:
    assert resolve_settings({"depth.map_points": {"marks": True}}) == {"depth.map_points.v1": {"marks": True}}
    assert resolve_settings({"depth.points.v1": {"marks": True}}) == {"depth.points.v1": {"marks": True}}
    # a glob or family sets the option on its generators that have it, and leaves the others alone
    assert sorted(resolve_settings({"depth.*": {"marks": True}})) == ["depth.map_points.v1", "depth.points.v1"]
    assert sorted(resolve_settings({"segmentation": {"marks": True}})) == MARKED[2:]
    counting = resolve_settings({"counting": {"num_choices": 3}})
    assert counting == {cls.name: {"num_choices": 3} for cls in select_generators("counting")}


def test_an_exact_name_wins_over_a_glob_whatever_their_order() -> None:
    for options in ({"depth.points": {"marks": False}, "depth.*": {"marks": True}},
                    {"depth.*": {"marks": True}, "depth.points": {"marks": False}}):
        assert resolve_settings(options) == {"depth.map_points.v1": {"marks": True}, "depth.points.v1": {"marks": False}}


def test_values_are_those_the_config_takes() -> None:
    resolved = resolve_settings({"depth.points": {"min_depth_gap": 0, "box_format": "norm1000"}})
    gap = resolved["depth.points.v1"]["min_depth_gap"]
    assert gap == 0.0 and type(gap) is float
    assert resolved["depth.points.v1"]["box_format"] == "norm1000"


@pytest.mark.parametrize(("options", "error", "said"), [
    ({"depht.points": {"marks": True}}, KeyError, "generator option depht.points.marks: unknown generator or family "
     "'depht.points'; did you mean depth.points.v1"),
    ({"depth.map_points": {"mark": True}}, GeneratorOptionError, "generator option depth.map_points.mark: "
     "depth.map_points.v1 has no option 'mark' (did you mean 'marks'?)"),
    ({"object.count": {"marks": True}}, GeneratorOptionError, "object.count.v1 has no option 'marks' (generators that "
     "have it: depth.map_points.v1, depth.points.v1"),
    ({"depth.*": {"num_choice": 3}}, GeneratorOptionError, "the generators depth.* selects have no option "
     "'num_choice' (did you mean 'num_choices'?)"),
    ({"depth.points": {"v1": True}}, GeneratorOptionError, "depth.points.v1 is a generator, not an option"),
    ({"depth.points": {"marks": "yes"}}, GeneratorOptionError, "generator option depth.points.marks: must be bool "
     "like the default False, got 'yes'"),
    ({"counting": {"num_choices": 9}}, GeneratorOptionError, "generator option counting.num_choices: must be from "
     "2 to 8, got 9"),
    ({"counting": {"num_choices": 3.5}}, GeneratorOptionError, "must be int like the default 4, got 3.5"),
    ({"grounding.box": {"box_format": "nrm"}}, GeneratorOptionError, "unknown box_format 'nrm'"),
    ({"counting,depth.*": {"per_scene": 2}}, GeneratorOptionError, "one generator name, family or glob per key"),
])
def test_what_cannot_be_set_is_refused_naming_the_option(options: dict[str, Any], error: type[Exception],
                                                          said: str) -> None:
    with pytest.raises(error) as caught:
        resolve_settings(options)
    message = str(caught.value.args[0])
    assert said in message, message


@pytest.mark.parametrize("options", [["depth.points.marks=true"], {"depth.points": True}, {1: {"marks": True}},
                                     {"depth.points": {1: True}}])
def test_a_generator_options_argument_of_another_shape_is_a_type_error(options: Any) -> None:
    with pytest.raises(TypeError, match="generator_options"):
        resolve_settings(options)


def test_the_command_line_s_dotted_form_is_told_its_python_form() -> None:
    with pytest.raises(TypeError) as caught:
        resolve_settings({"counting.num_choices": 3})
    assert str(caught.value) == (
        "generator_options['counting.num_choices'] must be a dict of option names to values, got 3; the command "
        "line's --set counting.num_choices=VALUE is, in Python, generator_options={'counting': {'num_choices': 3}}")
    with pytest.raises(TypeError) as caught:  # a generator's name, not NAME.OPTION: no such hint
        resolve_settings({"depth.points": True})
    assert "--set" not in str(caught.value)


def test_only_the_run_s_generators_take_options() -> None:
    run = ["depth.closer.v1", "depth.points.v1", "object.count.v1"]
    # a glob naming some of the run's generators sets theirs only
    assert settings_for({"depth.*": {"marks": True}}, run) == {"depth.points.v1": {"marks": True}}
    assert settings_for({"*": {"num_choices": 3}}, run) == {name: {"num_choices": 3} for name in run}
    for options in ({"depth.map_points": {"marks": True}}, {"segmentation.*": {"marks": True}}):
        with pytest.raises(GeneratorOptionError, match="not among the run's generators"):
            settings_for(options, run)


def test_applied_over_the_configs_made_before() -> None:
    instances = [GENERATORS[n](GENERATORS[n].Config(per_scene=2)) for n in ("depth.points.v1", "object.count.v1")]
    applied = apply_settings(instances, {"depth.points.v1": {"marks": True, "per_scene": 3}})
    assert [(g.config.per_scene, getattr(g.config, "marks", None)) for g in applied] == [(3, True), (2, None)]
    assert applied[1] is instances[1] and instances[0].config.per_scene == 2  # the instances given are not changed


@pytest.mark.parametrize("value", [True, False, 0, 12, 0.2, 1.0, 1e-05, 0.067, 123456.75, "norm1000", "true",
                                   "3", "", "a b", ["x", "y"], [1, 0.5]])
def test_option_text_reads_back_as_the_value(value: Any) -> None:
    (read,) = parse_settings([f"g.o={option_text(value)}"])["g"].values()
    assert read == value and type(read) is type(value)


def test_the_catalog_lists_each_generator_s_options_and_defaults() -> None:
    rows = {row["name"]: row for row in generator_catalog(examples=False)}
    assert rows["depth.points.v1"]["options"]["marks"] is False
    assert rows["depth.points.v1"]["options"]["per_scene"] == GeneratorConfig().per_scene
    assert set(rows["object.count.v1"]["options"]) == {"per_scene", "num_choices", "box_format"}
    assert all(set(row["options"]) >= {"per_scene", "num_choices", "box_format"} for row in rows.values())
    # the table's column: what --set takes, less the options every generator has at their shared defaults
    assert own_options(rows["object.count.v1"]) == "-"
    assert "marks=false" in own_options(rows["depth.points.v1"]).split("\n")
    assert "per_scene=1" not in own_options(rows["depth.points.v1"])


def test_a_mixture_s_unknown_config_field_gets_the_close_one() -> None:
    from veriscene.generators.mixture import Mixture, MixtureError

    with pytest.raises(MixtureError, match=r"depth.points.v1 has no config field 'mark' \(did you mean 'marks'\?\)"):
        Mixture.from_dict({"generators": {"depth.points.v1": {"config": {"mark": True}}}})


def test_the_generators_table_shows_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    import io

    from rich.console import Console

    monkeypatch.setattr("veriscene.generators.catalog.example_questions", dict)  # not run here: 10-20 s
    screen = io.StringIO()  # a wide console of its own: the shared one keeps the width it was made with
    monkeypatch.setattr("veriscene.console.console", Console(file=screen, width=300, color_system=None))
    result = CliRunner().invoke(app, ["generators"])
    assert result.exit_code == 0, result.output
    text = "".join(screen.getvalue().split())  # the table folds its cells at the console's width
    assert "marks=false" in text and "require_overlap=true" in text
    assert "everygeneratoralsotakesper_scene=1,num_choices=4,box_format=norm1" in text
    assert "--setNAME.OPTION=VALUE" in text
