"""Free-form scoring's scenes (`evaluate.freeform.scene_map`): an image id two scene files give is
scored against the first file's scene, as generate, verify and export --reasoning read it, and
said, naming both files; `score-freeform --scenes` is repeatable and reads every file given."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tests.evaluate.conftest import samples
from veriscene.cli import app
from veriscene.evaluate import evaluate, score_freeform
from veriscene.evaluate.freeform import score_texts
from veriscene.evaluate.freeform.scene_map import RepeatedScene, load_scene_map, repeated_in_files
from veriscene.scene import read_scenes, write_scenes
from veriscene.scene.model import Scene

runner = CliRunner()


@pytest.fixture()
def two_files(demo_run: Path, tmp_path: Path) -> tuple[Path, Path, list[Scene]]:
    """A holds demo scenes 0 and 1; B holds scene 2 under scene 1's id, and scene 3."""
    scenes = list(read_scenes(demo_run / "scenes.jsonl"))[:4]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_scenes(scenes[:2], a)
    write_scenes([replace(scenes[2], image_id=scenes[1].image_id), scenes[3]], b)
    return a, b, scenes


@pytest.mark.parametrize("order", ["ab", "ba"])
def test_the_first_file_s_scene_of_an_id_is_kept_and_the_other_named(two_files, order: str) -> None:
    a, b, scenes = two_files
    first, second = (a, b) if order == "ab" else (b, a)
    found, repeated = load_scene_map([first, second])
    assert sorted(found) == sorted(s.image_id for s in (scenes[0], scenes[1], scenes[3]))
    kept = scenes[1] if order == "ab" else scenes[2]
    assert found[scenes[1].image_id].boxes.tolist() == kept.boxes.tolist()
    assert repeated == [RepeatedScene(scenes[1].image_id, str(first), str(second))]
    assert repeated[0].message() == (f"image id {scenes[1].image_id!r} is in both {first} and {second}: the first "
                                     "scene is scored")


def test_an_id_twice_in_one_file_or_in_memory_is_named_too(two_files, tmp_path: Path) -> None:
    _, _, scenes = two_files
    one = tmp_path / "one.jsonl"
    write_scenes([scenes[0], replace(scenes[1], image_id=scenes[0].image_id)], one)
    found, repeated = load_scene_map(one)
    assert found[scenes[0].image_id].boxes.tolist() == scenes[0].boxes.tolist()
    assert [r.message() for r in repeated] == [f"image id {scenes[0].image_id!r} is in {one} twice: the first scene "
                                               "is scored"]
    found, repeated = load_scene_map([scenes[0], replace(scenes[1], image_id=scenes[0].image_id)])
    assert found[scenes[0].image_id] is scenes[0]
    assert [r.to_dict() for r in repeated] == [{"image_id": scenes[0].image_id, "used": None, "ignored": None}]


def test_the_image_ids_alone_give_the_same_repeats(two_files, tmp_path: Path) -> None:
    a, b, scenes = two_files
    one = tmp_path / "one.jsonl"
    write_scenes([scenes[0], replace(scenes[1], image_id=scenes[0].image_id)], one)
    for files in ([a, b], [b, a], [one], [a, one, b]):
        assert repeated_in_files(files) == load_scene_map(files)[1]
    assert len(repeated_in_files([a, one, b])) == 3


def _caption_replies(run: Path, path: Path, image_ids: list[str]) -> Path:
    """Each image's caption target as the reply (truthful against the run's own scene)."""
    by_image = {}
    for s in samples(run):
        if s["task"] == "scene_graph.caption.v1" and not s.get("choices"):
            by_image.setdefault(s["images"][0]["id"], s["answer"])
    path.write_bytes(b"".join(orjson.dumps({"id": i, "image_id": i, "reply": by_image[i]}) + b"\n"
                              for i in image_ids))
    return path


def test_score_freeform_reads_every_scenes_file_and_says_the_repeated_ids(demo_run: Path, two_files,
                                                                          tmp_path: Path) -> None:
    a, b, scenes = two_files
    ids = [s.image_id for s in (scenes[0], scenes[1], scenes[3])]
    replies = _caption_replies(demo_run, tmp_path / "replies.jsonl", ids)
    result = runner.invoke(app, ["score-freeform", str(replies), "--scenes", str(a), "--scenes", str(b),
                                 "--matcher", "lexical", "--out", str(tmp_path / "scores.jsonl")])
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert (summary["n"], summary["rejected"], summary["repeated_scenes"]) == (3, 0, 1)  # B's own id scored too
    scores = {r["id"]: r for r in map(orjson.loads, (tmp_path / "scores.jsonl").read_bytes().splitlines())}
    assert scores[scenes[1].image_id]["truthfulness"] == 1.0  # against A's scene, the one its caption describes
    assert (f"repeated image id {scenes[1].image_id!r} is in both {a} and {b}: the first scene is scored"
            in result.stderr)
    assert "give each data set's image ids a prefix of their own (convert -r id_prefix=NAME/)" in result.stderr


def test_the_python_api_takes_the_files_in_order(demo_run: Path, two_files, tmp_path: Path) -> None:
    a, b, scenes = two_files
    replies = _caption_replies(demo_run, tmp_path / "replies.jsonl", [scenes[1].image_id])
    first_a = score_freeform(replies, [a, b], matcher="lexical")
    first_b = score_freeform(replies, [b, a], matcher="lexical")
    assert first_a.records[0]["truthfulness"] == 1.0 > first_b.records[0]["truthfulness"]
    assert [r.ignored for r in first_a.repeated] == [str(b)] and [r.ignored for r in first_b.repeated] == [str(a)]
    assert "repeated_scenes" not in score_freeform(replies, [a], matcher="lexical").summary()
    with pytest.warns(UserWarning, match=f"image id {scenes[1].image_id!r} is in both {a} and {b}"):
        score_texts([(scenes[1].image_id, "A red circle.")], [a, b], matcher="lexical")


def _all_replies(run: Path, path: Path) -> Path:
    """Every sample answered: a caption by its target, anything else by "yes"."""
    path.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": s["answer"] if s["answer_type"] == "text"
                                            and not s.get("choices") else "yes"}) + b"\n" for s in samples(run)))
    return path


def test_eval_scenes_is_repeatable_and_says_the_repeated_ids(demo_run: Path, two_files, tmp_path: Path) -> None:
    """`eval --scenes A --scenes B`: both read, an id of both scored against A's scene, said on stderr
    and listed in summary.json; B first scores the caption of A's image against B's scene."""
    a, b, scenes = two_files
    replies = _all_replies(demo_run, tmp_path / "replies.jsonl")
    truthful = {}
    for first, second in ((a, b), (b, a)):
        out = tmp_path / f"eval_{first.stem}"
        result = runner.invoke(app, ["eval", str(demo_run), "--model", f"replay:{replies}", "--out", str(out),
                                     "--scenes", str(first), "--scenes", str(second), "--freeform", "lexical"])
        assert result.exit_code == 0, result.output
        summary = orjson.loads((out / "summary.json").read_bytes())
        assert summary["repeated_scenes"] == [{"image_id": scenes[1].image_id, "used": str(first),
                                               "ignored": str(second)}]
        assert summary["freeform"]["repeated_scenes"] == 1
        assert (f"repeated image id {scenes[1].image_id!r} is in both {first} and {second}: the first scene is "
                "scored") in result.stderr
        assert "convert -r id_prefix=NAME/" in result.stderr
        assert (f"| scenes | 1 image id(s) given twice, e.g. {scenes[1].image_id!r} (used: {first}): the first scene "
                "read") in (out / "report.md").read_text()
        rows = [orjson.loads(line) for line in (out / "freeform.jsonl").read_bytes().splitlines()]
        truthful[first] = [r["truthfulness"] for r in rows if r["image_ids"] == [scenes[1].image_id]
                           and r["task"] == "scene_graph.caption.v1"]
    assert truthful[a] == [1.0] and truthful[b][0] < 1.0


def test_eval_counts_repeated_scenes_whenever_it_reads_scenes(demo_run: Path, two_files, tmp_path: Path) -> None:
    a, b, scenes = two_files
    replies = _all_replies(demo_run, tmp_path / "replies.jsonl")
    steps = evaluate(demo_run, f"replay:{replies}", tmp_path / "steps", scenes=[a, b], freeform="off",
                     process=True).summary  # the step scores read the first scene too
    assert [r["ignored"] for r in steps["repeated_scenes"]] == [str(b)]
    alone = evaluate(demo_run, f"replay:{replies}", tmp_path / "alone", scenes=a, freeform="lexical").summary
    assert alone["repeated_scenes"] == [] and "repeated_scenes" not in alone["freeform"]
    unread = evaluate(demo_run, f"replay:{replies}", tmp_path / "unread", scenes=[a, b], freeform="off").summary
    assert "repeated_scenes" not in unread  # no scene read, none counted


def test_only_the_scenes_asked_for_are_kept(two_files) -> None:
    """`keep`: every scene is read and checked and its repeats found, but only those ids' scenes
    held; `each` sees the first scene of every id (a vocabulary of them all)."""
    a, b, scenes = two_files
    whole, repeated = load_scene_map([a, b])
    seen: list[str] = []
    kept, kept_repeated = load_scene_map([a, b], keep={scenes[3].image_id, "no-such-image"},
                                         each=lambda scene: seen.append(scene.image_id))
    assert list(kept) == [scenes[3].image_id] and kept[scenes[3].image_id].boxes.tolist() == scenes[3].boxes.tolist()
    assert kept_repeated == repeated and len(repeated) == 1
    assert seen == list(whole)  # the first scene of each id, once, in the order read


def test_replies_are_scored_as_against_every_scene_held(demo_run: Path, tmp_path: Path) -> None:
    """`score_freeform` holds the scenes of the images replied to only; its scores (which use the
    words of every scene read) are those of scoring against all the scenes given in memory."""
    every = list(read_scenes(demo_run / "scenes.jsonl"))
    ids = [every[1].image_id, every[4].image_id]
    replies = _caption_replies(demo_run, tmp_path / "replies.jsonl", ids)
    replied = {n for s in every if s.image_id in ids for n in s.names}
    elsewhere = sorted({n for s in every for n in s.names} - replied)
    assert elsewhere  # a name only scenes not replied to have
    (tmp_path / "replies.jsonl").write_bytes(replies.read_bytes() + orjson.dumps(
        {"id": "x", "image_id": ids[0], "reply": f"There is a large {elsewhere[0]}."}) + b"\n")
    from_file = score_freeform(replies, demo_run / "scenes.jsonl", matcher="lexical")
    in_memory = score_freeform(replies, {s.image_id: s for s in every}, matcher="lexical")
    assert from_file.records == in_memory.records and len(from_file.records) == 3
    assert from_file.summary() == in_memory.summary()
    assert any(elsewhere[0] in h for h in from_file.records[2]["hallucinations"])
