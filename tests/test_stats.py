"""`veriscene stats`: counts, answer distributions, lengths, balance; PNG chart; CLI."""

import json

import orjson
import pytest
from typer.testing import CliRunner

from veriscene.stats import percentile, stats, write_chart
from veriscene.stats_bottomk import key_hash, text_hash


def record(task, family, answer, answer_type, question, mode="qa", choices=None, letter=None):
    meta = {"mode": mode}
    if letter:
        meta["answer_letter"] = letter
    return {"id": "x", "task": task, "family": family, "images": [], "question": question, "answer": answer,
            "answer_type": answer_type, "choices": choices, "program": [], "template_id": "d.0",
            "generator_version": 1, "seed": 0, "meta": meta}


@pytest.fixture
def run_dir(tmp_path):
    rows = [
        record("object.exists.v1", "object", True, "bool", "Is there a circle in the image?"),
        record("object.exists.v1", "object", False, "bool", "Is there a star in the image?"),
        record("object.exists.v1", "object", True, "bool", "Is there a star?\nOptions:\nA. yes\nB. no\nAnswer.",
               mode="mc", choices=["yes", "no"], letter="A"),
        record("object.count.v1", "counting", 2, "int", "How many circles are there?"),
        record("object.count.v1", "counting", 2, "int", "How many red circles are there?", mode="mc",
               choices=["1", "2", "3"], letter="B"),
        record("grounding.box.v1", "grounding", [1, 2, 3, 4], "box", "Where is the square?"),
    ]
    (tmp_path / "samples.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n{broken\n")
    return tmp_path


def test_counts_and_distributions(run_dir) -> None:
    report = stats(run_dir)
    d = report.to_dict()
    assert d["samples"] == 6 and d["unreadable"] == 1
    assert d["families"] == {"counting": 2, "grounding": 1, "object": 3}
    assert d["modes"] == {"mc": 2, "qa": 4}
    rows = {r["task"]: r for r in d["tasks"]}
    assert rows["object.exists.v1"]["top_answers"] == [["yes", 2], ["no", 1]]
    assert rows["object.exists.v1"]["yes_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert rows["object.count.v1"]["max_share"] == 1.0 and rows["object.count.v1"]["entropy_bits"] == 0.0
    assert rows["grounding.box.v1"]["top_answers"] == []  # boxes are not categorical
    assert d["yes_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert d["mc_letters"]["2"]["counts"] == {"A": 1} and d["mc_letters"]["2"]["max_deviation_points"] == 50.0
    assert d["question_words"]["max"] == 7.0 and d["question_words"]["p5"] == 4.0  # options not counted
    assert "options" not in report.vocabulary and "circle" in report.vocabulary


def test_one_answer_has_entropy_zero_not_minus_zero(run_dir) -> None:
    """A task of one answer showed entropy '-0.00' in the table and -0.0 in --json."""
    from veriscene.cli import app

    row = next(r for r in stats(run_dir).to_dict()["tasks"] if r["task"] == "object.count.v1")
    assert str(row["entropy_bits"]) == "0.0"
    result = CliRunner().invoke(app, ["stats", str(run_dir), "--json", "--no-chart"])
    assert '"entropy_bits": -0.0' not in result.output and '"entropy_bits": 0.0' in result.output


def test_the_first_unreadable_line_is_named_alike_on_any_number_of_workers(tmp_path, monkeypatch) -> None:
    """The report counted unreadable lines and the command said '1 unreadable lines', not where."""
    from veriscene import stats as module
    from veriscene.cli import app

    rows = [orjson.dumps(record("object.count.v1", "counting", k, "int", f"How many {k}?")) for k in range(400)]
    lost = {k: v for k, v in record("object.count.v1", "counting", 1, "int", "How many?").items() if k != "answer"}
    rows[300:300] = [b"", orjson.dumps(lost), b"{broken"]  # lines 301 (blank), 302 and 303
    (tmp_path / "samples.jsonl").write_bytes(b"\n".join(rows) + b"\n")
    monkeypatch.setattr(module, "PART_BYTES", 4_000)  # the unreadable lines in a part that does not start the file
    one, two = stats(tmp_path / "samples.jsonl"), stats(tmp_path / "samples.jsonl", workers=2)
    first = f"{tmp_path / 'samples.jsonl'}, line 302: field 'answer' missing"
    assert one.first_unreadable == two.first_unreadable == first
    assert one.unreadable == two.unreadable == 2
    result = CliRunner().invoke(app, ["stats", str(tmp_path / "samples.jsonl"), "--no-chart"])
    assert result.exit_code == 0 and "2 unreadable line(s) left out (first: " in result.output


def test_percentile_nearest_rank() -> None:
    from collections import Counter

    hist = Counter({5: 1, 6: 2, 10: 1})
    assert [percentile(hist, q) for q in (0, 25, 50, 75, 100)] == [5.0, 5.0, 6.0, 6.0, 10.0]


def test_chart_and_cli(run_dir) -> None:
    png = write_chart(stats(run_dir), run_dir / "chart.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from veriscene.cli import app

    result = CliRunner().invoke(app, ["stats", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["samples"] == 6
    assert (run_dir / "stats.png").exists()
    result = CliRunner().invoke(app, ["stats", str(run_dir / "missing")])
    assert result.exit_code == 2


def test_text_only_guess_is_leave_one_out(tmp_path) -> None:
    """`text_only`: a sample's answer guessed as the commonest among the other samples with the
    same question text (the task's commonest answer, leave-one-out, when there are none)."""
    q = "Is there a person in the image?"
    rows = [record("object.exists.v1", "object", True, "bool", q) for _ in range(3)]
    rows += [record("object.exists.v1", "object", False, "bool", q)]  # person: yes 3, no 1
    rows += [record("object.exists.v1", "object", False, "bool", f"Is there a {n}?") for n in ("cat", "dog")]
    rows += [record("object.exists.v1", "object", False, "bool", "Is there a cow?", mode="mc",
                    choices=["yes", "no"], letter="B")]  # multiple choice: not counted
    (tmp_path / "samples.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    row, = stats(tmp_path).task_rows()
    # yes 3, no 3: the constant guess is "no" (ties in sorted order), right 3 times. Person: each
    # yes guessed from the other person samples (2 yes, 1 no): right 3 times; the no (3 yes
    # left): wrong. Cat and dog: no other sample of their text, the constant guess: right.
    assert (row["text_only"], row["text_only_samples"]) == (pytest.approx(5 / 6, abs=1e-4), 6)
    assert row["majority"] == pytest.approx(3 / 6, abs=1e-4)
    from veriscene.cli import app

    result = CliRunner().invoke(app, ["stats", str(tmp_path), "--no-chart"])
    assert result.exit_code == 0 and "text only" in result.output


def test_workers_give_the_report_of_one_process(tmp_path, monkeypatch) -> None:
    """Read in parts on two processes and merged: the same report, with the question texts of a
    task past the limit the same bottom-k sample (the texts of smallest hash) as one process keeps."""
    from veriscene import generate
    from veriscene import stats as module
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    write_scenes(iter_scene_graphs(40, seed=6), tmp_path / "scenes.jsonl")
    generate(tmp_path / "scenes.jsonl", tmp_path / "run", generators="object.*,counting.*,attribute.*,spatial.*")
    with (tmp_path / "run" / "samples.jsonl").open("ab") as fh:
        fh.write(b"not json\n")
    monkeypatch.setattr(module, "MAX_QUESTIONS", 7)  # inherited by the forked workers
    monkeypatch.setattr(module, "PART_BYTES", 20_000)
    one = stats(tmp_path / "run")
    assert one.unreadable == 1 and any(len(texts) == 7 for texts in one.by_question.values())
    done: list[int] = []
    two = stats(tmp_path / "run", workers=2, progress=done.append)
    assert two.to_dict() == one.to_dict() and sum(done) == one.samples + one.unreadable
    assert two.by_question == one.by_question
    # the texts kept are the 7 of smallest hash, each with all its samples counted
    records = [orjson.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()[:-1]]
    for task, texts in one.by_question.items():
        asked = [r for r in records if r["task"] == task and r["meta"]["mode"] == "qa"]
        every = sorted({r["question"] for r in asked}, key=key_hash)[:7]
        kept = dict(texts.by_key())  # text_hash -> answers
        assert sorted(kept) == sorted(text_hash(text) for text in every)
        for text in every:
            assert sum(kept[text_hash(text)].values()) == sum(r["question"] == text for r in asked)
    # a run kept as zstd shards: a shard file a part
    generate(tmp_path / "scenes.jsonl", tmp_path / "zst", generators="object.*,counting.*,attribute.*,spatial.*",
             shard_format="zstd", shard_size=7)
    assert stats(tmp_path / "zst", workers=2).to_dict() == {**one.to_dict(), "unreadable": 0}
    with pytest.raises(ValueError, match="workers must be at least 1"):
        stats(tmp_path / "run", workers=0)


def test_without_matplotlib_the_report_is_printed_and_the_chart_skipped(run_dir, monkeypatch) -> None:
    import sys

    from veriscene.cli import app

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'veriscene\[stats\]'"):
        write_chart(stats(run_dir), run_dir / "chart.png")
    result = CliRunner().invoke(app, ["stats", str(run_dir), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["samples"] == 6
    assert "chart skipped" in result.stderr and "veriscene[stats]" in result.stderr
    assert not (run_dir / "stats.png").exists()


def test_chart_asked_for_without_matplotlib_exits_2_before_reading(run_dir, monkeypatch) -> None:
    """`--chart` by name is refused when it cannot be drawn (a missing extra: exit 2), with the
    package and the install command; by default the chart is skipped and the report printed."""
    import sys

    from veriscene.cli import app
    from veriscene.errors import MissingExtra

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtra):
        write_chart(stats(run_dir), run_dir / "chart.png")
    result = CliRunner().invoke(app, ["stats", str(run_dir), "--chart", "--json"])
    assert result.exit_code == 2, result.output
    assert "matplotlib" in result.stderr and "pip install 'veriscene[stats]'" in result.stderr
    assert result.stdout == "" and not (run_dir / "stats.png").exists()
    assert CliRunner().invoke(app, ["stats", str(run_dir), "--no-chart", "--json"]).exit_code == 0


def test_image_index_answers_are_named_as_questions_name_images(tmp_path) -> None:
    """A stored image index is 0-based; reports say 'Image 1' as the questions and exports do."""
    q = "In which of the two images is there a cup?"
    rows = [record("multi.has_object.v1", "multi_select", i, "image_index", q) for i in (0, 1, 1)]
    (tmp_path / "samples.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    row, = stats(tmp_path).task_rows()
    assert row["top_answers"] == [["Image 2", 2], ["Image 1", 1]]


@pytest.mark.parametrize("workers, error, said", [(0, ValueError, "workers must be at least 1, got 0"),
                                                  (None, TypeError, "workers must be an integer, got None")])
def test_workers_out_of_range_are_named(run_dir, workers, error, said) -> None:
    # before, None: "'<' not supported between instances of 'NoneType' and 'int'"
    with pytest.raises(error) as info:
        stats(run_dir, workers=workers)
    assert str(info.value) == said


def test_chart_argument_of_the_wrong_kind_is_named_before_drawing(run_dir, tmp_path) -> None:
    # before: "'PosixPath' object has no attribute 'per_task'" for a run's path
    with pytest.raises(TypeError) as info:
        write_chart(run_dir, tmp_path / "chart.png")
    assert str(info.value) == (f"report must be a StatsReport, as veriscene.stats.stats returns, got "
                               f"{run_dir!r}: write_chart(stats({str(run_dir)!r}), path)")
    with pytest.raises(TypeError) as info:
        write_chart(stats(run_dir), None)
    assert str(info.value) == "path must be the PNG file to write, a str or a path; got None"
    assert not list(tmp_path.glob("*.png"))


def test_chart_path_that_cannot_be_the_file_is_refused_before_drawing(run_dir, tmp_path) -> None:
    # before: a folder drew "<folder>.png" beside it and returned the folder; below a file,
    # matplotlib's "[Errno 20] Not a directory" once the chart was drawn
    from veriscene.io.writers.files import OutputError

    (tmp_path / "afile").write_text("x")
    with pytest.raises(IsADirectoryError) as info:
        write_chart(stats(run_dir), run_dir)
    assert str(info.value) == f"path {run_dir} is a folder: give the file to write (e.g. {run_dir / 'stats.png'})"
    with pytest.raises(OutputError) as info:
        write_chart(stats(run_dir), tmp_path / "afile" / "c.png")
    assert str(info.value) == (f"path {tmp_path / 'afile' / 'c.png'}: cannot write there: {tmp_path / 'afile'} "
                               "is a file, not a folder")
    assert not list(tmp_path.rglob("*.png")) and not list(run_dir.parent.glob("*.png"))
    with pytest.raises(IsADirectoryError) as info:  # before: a file named `charts` (the separator dropped)
        write_chart(stats(run_dir), str(tmp_path / "charts") + "/")
    assert str(info.value) == (f"path {tmp_path / 'charts'}/ names a folder (it ends in /): give the file to write "
                               f"(e.g. {tmp_path / 'charts' / 'stats.png'})")
    assert not (tmp_path / "charts").exists()


def test_chart_makes_missing_folders_and_writes_the_name_given(run_dir, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    # before: a name without a suffix was written as NAME.png, and NAME returned
    assert write_chart(stats(run_dir), tmp_path / "new" / "chart") == tmp_path / "new" / "chart"
    assert (tmp_path / "new" / "chart").read_bytes().startswith(b"\x89PNG")


def test_stats_of_no_run_or_with_a_progress_that_is_no_function_is_refused(run_dir) -> None:
    with pytest.raises(TypeError) as info:
        stats(None)
    assert str(info.value) == "run must be a run folder or a samples file, a str or a path; got None"
    with pytest.raises(TypeError) as info:
        stats(run_dir, progress=1)
    assert str(info.value) == "progress must be a function, called as progress(n), or None; got 1"
