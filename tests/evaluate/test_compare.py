"""`compare` says when the accuracies it puts side by side are not over the same samples."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.evaluate.conftest import samples
from veriscene.evaluate import compare, evaluate
from veriscene.evaluate.compare import to_markdown


def replay(demo_run: Path, tmp_path: Path, name: str, count: int, **options) -> Path:
    replies = tmp_path / f"{name}.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": "yes"}) + b"\n"
                                 for r in samples(demo_run)[:count]))
    evaluate(demo_run, f"replay:{replies}", tmp_path / name, freeform="off", **options)
    return tmp_path / name


def test_runs_over_other_samples_are_said_so(demo_run: Path, tmp_path: Path) -> None:
    full = replay(demo_run, tmp_path, "full", 10_000)
    part = replay(demo_run, tmp_path, "part", 10_000, limit=12)
    result = compare([full, part])
    n = len(samples(demo_run))
    assert result["notes"] == [f"The runs evaluated different samples (replay:full.jsonl (full): {n}, "
                               "replay:part.jsonl (part): 12; 12 in all of them): their accuracies are over "
                               "different samples; the paired difference is over the samples both runs answered."]
    assert "**Note:** The runs evaluated different samples" in to_markdown(result)


def test_an_incomplete_run_and_another_samples_file_are_said_so(demo_run: Path, tmp_path: Path) -> None:
    full = replay(demo_run, tmp_path, "full", 10_000, limit=12)
    half = replay(demo_run, tmp_path, "half", 6, limit=12)
    copy = tmp_path / "copy" / "samples.jsonl"
    copy.parent.mkdir()
    copy.write_bytes((demo_run / "samples.jsonl").read_bytes())
    (copy.parent / "images").symlink_to(demo_run / "images")
    (copy.parent / "vocabulary.json").write_bytes((demo_run / "vocabulary.json").read_bytes())  # scored alike
    other = tmp_path / "other"
    evaluate(copy, f"replay:{tmp_path / 'full.jsonl'}", other, freeform="off", limit=12)
    evaluate(demo_run / "samples.jsonl", f"replay:{tmp_path / 'full.jsonl'}", tmp_path / "file", freeform="off",
             limit=12)
    assert compare([full, tmp_path / "file"])["notes"] == []  # a run folder and its samples.jsonl: the same
    notes = compare([full, half, other], tmp_path / "cmp")["notes"]
    assert notes[0].startswith("The runs read different samples files: replay:full.jsonl (full): "
                               f"{demo_run.resolve()}; ")
    assert notes[1:] == ["replay:half.jsonl (half) is incomplete: 6 of 12 samples got no reply and are left out "
                         "of its accuracy."]
    assert "Note: replay:half.jsonl (half) is incomplete" in (tmp_path / "cmp" / "compare.html").read_text()


def test_runs_over_the_same_samples_have_no_note(demo_run: Path, tmp_path: Path) -> None:
    a = replay(demo_run, tmp_path, "a", 10_000, limit=12)
    b = replay(demo_run, tmp_path, "b", 10_000, limit=12)
    assert compare([a, b])["notes"] == []


def test_runs_scored_with_other_vocabularies_or_asked_other_prompts_are_said_so(demo_run: Path,
                                                                                tmp_path: Path) -> None:
    a = replay(demo_run, tmp_path, "a", 10_000, limit=12)
    b = replay(demo_run, tmp_path, "b", 10_000, limit=12, prompts={"system": "Be brief."},
               score_options={"rivals": {"names": {"cat": 1}}})
    notes = compare([a, b])["notes"]
    assert len(notes) == 2
    assert notes[0].startswith("The runs were scored with different vocabularies (the rival words of `str` "
                               f"answers): replay:a.jsonl (a): {(demo_run / 'vocabulary.json').resolve()}; ")
    assert notes[1] == ("The runs asked with different prompts: replay:a.jsonl (a): built-in (no system prompt); "
                        "replay:b.jsonl (b): system 'Be brief.'.")


def test_groups_of_numbers_are_in_numeric_order(demo_run: Path, tmp_path: Path) -> None:
    a = replay(demo_run, tmp_path, "a", 10_000)
    steps = [row[0] for row in compare([a])["tables"]["by_steps"]]
    assert len(steps) > 2 and steps == sorted(steps, key=int)  # "2" before "10"


def test_paired_differences_by_family_are_over_each_familys_common_samples() -> None:
    from veriscene.evaluate.compare import _diff_cell, paired_by_family

    ids = [f"s{i}" for i in range(8)]
    family = {i: ("counting" if k < 4 else "relation") for k, i in enumerate(ids)}
    first = {i: 1.0 for i in ids}                                      # right on all 8
    second = {i: (0.0 if family[i] == "counting" else 1.0) for i in ids[:7]}  # s7 not answered
    table = paired_by_family([(set(ids), first, family), (set(ids), second, family)])
    assert list(table) == ["counting", "relation"]
    # every pair alike: the exact binomial bound of the share of samples the runs differ on, not
    # the bootstrap's point ([-1, -1] and [0, 0] before)
    assert table["counting"][0] == {"n": 4, "diff": -1.0, "ci": [-1.0, pytest.approx(-(0.025 ** 0.25))]}
    assert table["relation"][0] == {"n": 3, "diff": 0.0, "ci": [pytest.approx(0.025 ** (1 / 3) - 1),
                                                                pytest.approx(1 - 0.025 ** (1 / 3))]}
    assert _diff_cell(table["counting"][0]) == "-100.0 [-100.0, -39.8] (n=4) *"
    assert _diff_cell(table["relation"][0]) == "+0.0 [-70.8, 70.8] (n=3)"


def test_compare_of_two_runs_has_the_family_table(demo_run: Path, tmp_path: Path) -> None:
    a = replay(demo_run, tmp_path, "a", 10_000, limit=12)
    b = replay(demo_run, tmp_path, "b", 10_000, limit=12)
    result = compare([a, b])
    families = {s["family"] for s in samples(demo_run)[:12]}
    assert set(result["paired_by_family"]) == families
    assert "## Paired difference by family against replay:a.jsonl (a)" in to_markdown(result)
    assert compare([a])["paired_by_family"] == {}


def test_the_overall_table_has_the_macro_accuracy_over_families(demo_run: Path, tmp_path: Path) -> None:
    a = replay(demo_run, tmp_path, "a", 10_000)
    macro = orjson.loads((a / "summary.json").read_bytes())["macro_by_family"]
    row = compare([a])["tables"]["overall"][1]
    assert row == ["families, macro", f"{100 * macro['accuracy']:.1f} [{100 * macro['ci_low']:.1f}, "
                                      f"{100 * macro['ci_high']:.1f}] ({macro['groups']} families)"]


def test_ids_naming_other_samples_in_another_data_set_are_not_paired(demo_run: Path, other_demo_run: Path,
                                                                     tmp_path: Path) -> None:
    """Two data sets whose images share ids (demo-000000 ...): 4 sample ids in common, 3 of them
    questions with other answers (about other images); each run is answered right."""
    runs = []
    for name, run in (("a", demo_run), ("b", other_demo_run)):
        replies = tmp_path / f"{name}.jsonl"
        replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": orjson.dumps(r["answer"]).decode()})
                                     + b"\n" for r in samples(run)))
        evaluate(run, f"replay:{replies}", tmp_path / name, freeform="off", reports=False)
        runs.append(tmp_path / name)
    answers = {r["id"]: r["answer"] for r in samples(demo_run)}
    common = {r["id"] for r in samples(other_demo_run) if r["id"] in answers}
    other = sorted(r["id"] for r in samples(other_demo_run) if r["id"] in common and r["answer"] != answers[r["id"]])
    result = compare(runs)
    assert result["id_conflicts"] == other and len(other) == 3
    answered = {r["id"] for r in map(orjson.loads, (runs[0] / "results.jsonl").read_bytes().splitlines())
                if r["status"] in ("scored", "parse_failed")}
    assert result["paired_vs_first"][0]["n"] == len((common - set(other)) & answered) < len(common & answered)
    id_notes = [n for n in result["notes"] if "sample id" in n]
    assert id_notes[0].startswith("replay:b.jsonl (b) against replay:a.jsonl (a): 3 sample id(s) name two different "
                                  "samples (")
    assert f"{demo_run.resolve()}, line " in id_notes[0] and "left out of the paired differences" in id_notes[0]
    assert id_notes[1] == ("replay:b.jsonl (b) and replay:a.jsonl (a) were generated from other scene files and share "
                           "1 sample id(s) with the same answer, paired as the same question about the same image id: "
                           "if the two inputs' images of one id differ (two data sets), those pairs are not the same "
                           "samples.")
    same = compare([runs[0], runs[0]])
    assert same["id_conflicts"] == [] and not [n for n in same["notes"] if "sample id" in n]


def test_one_folder_as_text_is_refused_not_read_letter_by_letter(tmp_path: Path) -> None:
    # before: "/ has no summary.json" (the text's first letter taken for a folder)
    import pytest

    with pytest.raises(TypeError) as info:
        compare(str(tmp_path / "e1"))
    assert str(info.value) == (f"runs must be a list of evaluation folders, got one: '{tmp_path / 'e1'}'; give "
                               f"['{tmp_path / 'e1'}', ...]")


def test_the_runs_free_form_scores_are_side_by_side(demo_run: Path, tmp_path: Path) -> None:
    """compare puts the runs' helpfulness and truthfulness side by side, over all descriptions and
    per generator; before, it showed no free-form score at all, so two models' captions could not
    be compared with it."""
    runs = []
    for name, gold in (("gold", True), ("yes", False)):
        replies = tmp_path / f"{name}.jsonl"
        replies.write_bytes(b"".join(orjson.dumps({"id": r["id"], "reply": r["answer"] if gold and r["answer_type"]
                                                   == "text" else "yes"}) + b"\n" for r in samples(demo_run)))
        runs.append(tmp_path / name)
        evaluate(demo_run, f"replay:{replies}", runs[-1], freeform="lexical", n_boot=50)
    result = compare(runs, tmp_path / "cmp")
    ffs = [orjson.loads((run / "summary.json").read_bytes())["freeform"] for run in runs]
    rows = {row[0]: row[1:] for row in result["freeform"]}
    assert rows["helpfulness"][0].startswith(f"{100 * ffs[0]['helpfulness']:.1f} [") and \
        rows["helpfulness"][0].endswith(f"(n={ffs[0]['n']})")
    assert rows["truthfulness"][0].startswith("100.0 [100.0, 100.0]")
    for task, v in ffs[1]["by_task"].items():
        assert rows[f"helpfulness: {task}"][1].startswith(f"{100 * v['helpfulness']:.1f} [")
    assert "## Free-form answers" in (tmp_path / "cmp" / "compare.md").read_text()
    assert "<h2>Free-form answers</h2>" in (tmp_path / "cmp" / "compare.html").read_text()
    # runs without free-form scores: no such table
    assert compare([replay(demo_run, tmp_path, "a", 10_000, limit=6)])["freeform"] == []


def test_the_runs_reasoning_step_scores_are_side_by_side(demo_run: Path, tmp_path: Path) -> None:
    """compare puts the runs' process F1 (`eval --process`) side by side, overall and per family;
    before, it showed none of it."""
    stepped = replay(demo_run, tmp_path, "stepped", 10_000, limit=40, seed=1, process=True)
    plain = replay(demo_run, tmp_path, "plain", 10_000, limit=40, seed=1)
    process = orjson.loads((stepped / "summary.json").read_bytes())["process"]
    assert process["samples"] > 0
    result = compare([stepped, plain], tmp_path / "cmp")
    rows = {row[0]: row[1:] for row in result["process"]}
    assert rows["process F1"] == [f"{process['score']:.3f} (recall {process['recall']:.3f}, precision "
                                  f"{process['precision']:.3f}; n={process['samples']})", "-"]
    assert {f for f in rows if f != "process F1"} == set(process["by_family"])
    assert "## Reasoning steps" in (tmp_path / "cmp" / "compare.md").read_text()
    assert compare([plain])["process"] == []
