"""Scored exports (trl, verl, lmms_eval) carry the run's vocabulary.json, which the rewards and the
lmms-eval task read so that a reply naming another of the data set's words beside the gold scores
0, as `veriscene eval` scores it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.io.conftest import make_sample
from tests.io.test_export import cli
from tests.io.writers.test_lmms_eval import load_utils

from veriscene.errors import DataError
from veriscene.io.export import export
from veriscene.rewards import make_accuracy_reward
from veriscene.rewards.verl import compute_score

VOCABULARY = {"names": {"wug": 3, "blicket": 2}, "attributes": {}, "predicates": {}, "scenes": 3}
REPLY = "It is a wug. It is a blicket."  # two of the data set's names: no answer


@pytest.fixture
def word_run(run_dir: Path) -> Path:
    """The hand-made run with a word question and a vocabulary of made-up names (no built-in
    word list holds them: only the run's vocabulary makes 'blicket' a rival of 'wug')."""
    word = make_sample("s-word", ["images/a.png"], question="What is the object?", answer="wug",
                       answer_type="str", template_id="q.0")
    with open(run_dir / "samples.jsonl", "a") as fh:
        fh.write(json.dumps(word) + "\n")
    (run_dir / "vocabulary.json").write_text(json.dumps(VOCABULARY))
    return run_dir


@pytest.mark.parametrize("fmt, out, shipped", [
    ("trl", "ex/train.parquet", "ex/train.vocabulary.json"),
    ("trl", "ex/t.jsonl", "ex/t.vocabulary.json"),
    ("verl", "ex", "ex/vocabulary.json"),
    ("verl", "ex/v.parquet", "ex/v.vocabulary.json"),
    ("lmms_eval", "task", "task/vocabulary.json"),
])
def test_scored_exports_ship_the_run_vocabulary(word_run: Path, tmp_path: Path, fmt: str, out: str,
                                                shipped: str) -> None:
    summary = export(word_run, tmp_path / out, to=fmt)
    assert summary.vocabulary_file == tmp_path / shipped and summary.vocabulary_file in summary.files
    assert (tmp_path / shipped).read_bytes() == (word_run / "vocabulary.json").read_bytes()
    assert summary.to_dict()["vocabulary_file"] == str(tmp_path / shipped)


@pytest.mark.parametrize("fmt", ["llava", "sharegpt", "parquet", "jsonl"])
def test_exports_not_scored_ship_none(word_run: Path, tmp_path: Path, fmt: str) -> None:
    summary = export(word_run, tmp_path / "ex", to=fmt)
    assert summary.vocabulary_file is None and not list((tmp_path / "ex").glob("*vocabulary*"))


def test_a_samples_file_without_a_vocabulary_beside_it_ships_none(tmp_path: Path) -> None:
    (tmp_path / "samples.jsonl").write_text(json.dumps(make_sample("s-1", [])) + "\n")
    summary = export(tmp_path / "samples.jsonl", tmp_path / "ex" / "t.parquet", to="trl")
    assert summary.vocabulary_file is None and summary.samples_written == 1


def test_an_export_into_the_run_folder_keeps_its_vocabulary(word_run: Path) -> None:
    before = (word_run / "vocabulary.json").read_bytes()
    summary = export(word_run, word_run, to="verl")
    assert summary.vocabulary_file == word_run / "vocabulary.json"
    assert (word_run / "vocabulary.json").read_bytes() == before


def test_the_shipped_vocabulary_makes_rewards_and_lmms_eval_refuse_two_names(word_run: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    trl = export(word_run, tmp_path / "trl" / "train.parquet", to="trl")
    rows = pq.read_table(tmp_path / "trl" / "train.parquet").to_pylist()
    row = next(r for r in rows if r["sample_id"] == "s-word")
    with_words = make_accuracy_reward(vocabulary_file=trl.vocabulary_file)
    plain = make_accuracy_reward()
    columns = {k: [v] for k, v in row.items() if k not in ("prompt", "images", "completion")}
    assert plain(completions=[REPLY], **columns) == [1.0]  # the built-in words know neither name
    assert with_words(completions=[REPLY], **columns) == [0.0]
    assert with_words(completions=["wug"], **columns) == [1.0]

    verl = export(word_run, tmp_path / "verl", to="verl")
    vrow = next(r for r in pq.read_table(tmp_path / "verl" / "verl.parquet").to_pylist()
                if r["extra_info"]["sample_id"] == "s-word")
    gold = vrow["reward_model"]["ground_truth"]
    assert compute_score(vrow["data_source"], REPLY, gold, vrow["extra_info"])["score"] == 1.0
    scored = compute_score(vrow["data_source"], REPLY, gold, vrow["extra_info"], vocabulary_file=str(verl.vocabulary_file))
    assert scored["score"] == 0.0

    export(word_run, tmp_path / "task", to="lmms_eval")
    utils = load_utils(tmp_path / "task")
    doc = {"id": "s-word", "answer": json.dumps("wug"), "answer_type": "str", "choices": None,
           "meta": json.dumps({"mode": "qa", "question": "What is the object?"})}
    assert utils.process_results(doc, [REPLY])["accuracy"] == 0.0
    assert utils.process_results(doc, ["wug"])["accuracy"] == 1.0


def test_the_cli_says_how_to_give_the_vocabulary_to_the_reward(word_run: Path, tmp_path: Path) -> None:
    result = cli(str(word_run), "--to", "verl", "--out", str(tmp_path / "v"))
    assert result.exit_code == 0
    said = " ".join(result.stdout.split())
    assert f"custom_reward_function.reward_kwargs.vocabulary_file={tmp_path / 'v' / 'vocabulary.json'}" in said


@pytest.mark.parametrize("fmt, out", [("trl", "ex/train.parquet"), ("verl", "ex"), ("lmms_eval", "task")])
@pytest.mark.parametrize("vocabulary, said", [
    (b'{"names": {"wug": 3', "not valid JSON"),
    (b"[1, 2]", "a vocabulary file must hold a JSON object, got list"),
    (b'{"names": 5}', "field 'names' must be a mapping"),
])
def test_a_vocabulary_that_cannot_be_read_is_refused_before_writing(word_run: Path, tmp_path: Path, fmt: str,
                                                                   out: str, vocabulary: bytes, said: str) -> None:
    """Found by fuzzing a run's files: a vocabulary.json cut short (or of other fields) was copied
    beside a trl / verl / lmms_eval export without a word; the rewards reading it failed later."""
    (word_run / "vocabulary.json").write_bytes(vocabulary)
    with pytest.raises(DataError) as caught:
        export(word_run, tmp_path / out, to=fmt)
    assert str(word_run / "vocabulary.json") in str(caught.value) and said in str(caught.value)
    assert "ships the run's vocabulary" in str(caught.value)
    assert not (tmp_path / out.split("/")[0]).exists()
