"""The dataset card: front matter, counts against `veriscene stats`, verification, bad lines, a
samples file alone, the scenes file's facts, the reproduce command (run for real), the command."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections import Counter
from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from veriscene.card import DistinctCount, card_facts, dataset_card, write_card
from veriscene.card_text import render_card, size_category
from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.engine.generate import generate
from veriscene.stats import stats


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("card") / "demo_run"
    run_demo(out, scenes=8, seed=3)
    return out


@pytest.fixture(scope="module")
def card(run: Path) -> str:
    return dataset_card(run, license="cc-by-4.0", verify=True)


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    head, _, _ = text[4:].partition("\n---\n")
    return yaml.safe_load(head)


def section(text: str, title: str) -> str:
    """The body of the `## title` section."""
    after = text.split(f"\n## {title}\n", 1)[1]
    return after.split("\n## ", 1)[0]


def table_rows(text: str, first_header: str) -> list[list[str]]:
    """Rows of the Markdown table whose first column is `first_header`, cells stripped."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def command_in(text: str) -> list[str]:
    return shlex.split(re.search(r"```bash\n(.*?)\n```", text, re.S).group(1))


def samples_of(folder: Path) -> list[tuple[str, object]]:
    return [(r["id"], r["answer"]) for r in map(orjson.loads, (folder / "samples.jsonl").read_bytes().splitlines())]


# ---- the card of a demo run -------------------------------------------------------------------------

def test_front_matter_reads_back_with_hub_fields(run: Path, card: str) -> None:
    meta = front_matter(card)
    report = stats(run)
    assert meta["license"] == "cc-by-4.0"
    assert meta["pretty_name"] == "demo_run"
    assert meta["size_categories"] == ["n<1K"] and report.samples < 1000
    assert meta["task_categories"] == ["visual-question-answering"] and meta["language"] == ["en"]
    assert meta["tags"][:4] == ["veriscene", "scene-graph", "synthetic", "verifiable"]
    assert sorted(meta["tags"][4:]) == sorted(report.per_family)
    # a card in the run folder names the run's samples: else the Hub reads scenes and rejects as data
    assert meta["configs"] == [{"config_name": "default", "data_files": "samples.jsonl"}]


def test_tables_sum_to_the_samples_and_match_stats(run: Path, card: str) -> None:
    report = stats(run)
    contents = section(card, "Contents")
    tasks = {r[0].strip("`"): int(r[2].replace(",", "")) for r in table_rows(contents, "task")}
    families = {r[0]: (int(r[1].replace(",", "")), int(r[2])) for r in table_rows(contents, "family")}
    assert sum(tasks.values()) == report.samples == sum(f[0] for f in families.values())
    assert tasks == dict(report.per_task)
    assert {f: n for f, (n, _) in families.items()} == dict(report.per_family)
    assert {f: t for f, (_, t) in families.items()} == dict(Counter(report.task_family.values()))
    assert f"{report.samples:,} samples (by mode:" in card
    assert f"vocabulary {len(report.vocabulary):,} distinct" in contents


def test_task_rows_give_answer_types_modes_and_shares(run: Path, card: str) -> None:
    records = [orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines()]
    rows = {r[0].strip("`"): r for r in table_rows(section(card, "Contents"), "task")}
    for task, row in rows.items():
        mine = [r for r in records if r["task"] == task]
        assert row[3] == ", ".join(sorted({r["answer_type"] for r in mine}))
        assert set(row[4].split(", ")) == {r["meta"]["mode"] for r in mine}
    exists = [r for r in records if r["task"] == "object.exists.v1"]
    yes = sum(r["answer"] for r in exists) / len(exists)
    assert rows["object.exists.v1"][7] == f"{yes:.0%}"
    assert rows["grounding.box.v1"][5:9] == ["–", "–", "–", "–"]  # box answers are not tallied


def test_verify_true_states_every_sample_checked(run: Path, card: str) -> None:
    n = stats(run).samples
    assert f"{n:,} of {n:,} samples' programs recompute the stored answer" in section(card, "Verification")


def test_a_verified_card_notes_generators_whose_fingerprint_differs(run: Path, tmp_path: Path) -> None:
    other = tmp_path / "demo_run"
    shutil.copytree(run, other)
    manifest = orjson.loads((other / "manifest.json").read_bytes())
    manifest["fingerprints"]["object.exists.v1"] = "0123456789abcdef"  # as another build recorded it
    (other / "manifest.json").write_bytes(orjson.dumps(manifest))
    body = " ".join(section(dataset_card(other, verify=True), "Verification").split())
    assert ("Note: the templates, answer type or config fields of generator object.exists.v1 are not those that "
            "made the run (their fingerprints in manifest.json differ), so their questions") in body
    assert "fingerprints" not in section(dataset_card(run, verify=True), "Verification")


def test_without_verify_the_card_says_unchecked(run: Path) -> None:
    body = section(dataset_card(run), "Verification")
    assert "Not checked when this card was written" in body and "`veriscene verify demo_run`" in body


def test_made_from_the_manifest(run: Path, card: str) -> None:
    manifest = orjson.loads((run / "manifest.json").read_bytes())
    made = section(card, "How it was made")
    assert manifest["config"]["scenes"]["sha256"] in made
    assert f"Seed: {manifest['config']['seed']}." in made
    assert f"{manifest['counts']['scenes']} scenes read, 0 rejected" in made
    assert "None of the 8 scenes is marked as annotated only in part" in section(card, "Limitations")


def test_fields_are_the_sample_record_fields(card: str) -> None:
    from veriscene.sample import SAMPLE_FIELDS

    rows = table_rows(section(card, "Fields"), "field")
    assert [r[0].strip("`") for r in rows] == list(SAMPLE_FIELDS)


def test_data_files_and_awkward_names_give_valid_yaml(run: Path) -> None:
    name = "Shapes: 'demo' #1 - \"quoted\""
    meta = front_matter(dataset_card(run, name=name, data_files="data/*.jsonl"))
    assert meta["pretty_name"] == name
    assert meta["configs"] == [{"config_name": "default", "data_files": "data/*.jsonl"}]


@pytest.mark.parametrize("n, bucket", [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (99_999, "10K<n<100K"),
                                       (100_000, "100K<n<1M"), (3_000_000, "1M<n<10M"), (10**13, "n>1T")])
def test_size_category(n: int, bucket: str) -> None:
    assert size_category(n) == bucket


def test_distinct_count_across_flushes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DistinctCount, "BUFFER", 3)
    values = [f"img{k % 7}" for k in range(50)] + ["img0", "img0", "other"]
    counter = DistinctCount()
    for v in values:
        counter.add(v)
    assert len(counter) == len(set(values)) == 8


# ---- bad lines, a samples file alone, the scenes file -------------------------------------------------

def test_bad_sample_lines_are_counted_as_stats_counts_them(run: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(run, broken)
    with open(broken / "samples.jsonl", "ab") as fh:
        fh.write(b"{not json\n" + orjson.dumps({"id": "x", "question": "no task"}) + b"\n")
    report = stats(broken)
    assert report.unreadable == 2
    facts = card_facts(broken)
    assert facts.report.unreadable == 2 and facts.report.samples == report.samples
    assert "2 sample lines could not be read" in render_card(facts)
    first = f"(first: {broken / 'samples.jsonl'}, line {report.samples + 1}: not JSON ("
    assert f"2 unreadable line(s) {first}" in facts.counts_line()
    assert f"2 unreadable line(s) {first}" in card_facts(broken, workers=2).counts_line()  # alike on parts


def test_a_samples_file_alone(run: Path, tmp_path: Path) -> None:
    alone = tmp_path / "published" / "train.jsonl"
    alone.parent.mkdir()
    shutil.copy(run / "samples.jsonl", alone)
    text = dataset_card(alone, verify=True)
    assert "written without the run's `manifest.json`" in text and "are unknown and left out" in text
    assert section(text, "How it was made").strip() == "Unknown: no `manifest.json` was given with the samples."
    assert "no manifest.json names the scenes file" in section(text, "Verification")
    assert "`veriscene verify train.jsonl --scenes SCENES.jsonl`" in text
    assert "scenes file is not known" in section(text, "Limitations")
    assert sum(int(r[2]) for r in table_rows(text, "task")) == stats(alone).samples
    assert front_matter(text)["pretty_name"] == "published"


def test_a_samples_file_alone_verified_against_given_scenes(run: Path, tmp_path: Path) -> None:
    alone = tmp_path / "published" / "train.jsonl"
    alone.parent.mkdir()
    shutil.copy(run / "samples.jsonl", alone)
    n = stats(alone).samples
    body = section(dataset_card(alone, scenes=run / "scenes.jsonl", verify=True), "Verification")
    assert f"{n:,} of {n:,} samples' programs recompute the stored answer" in body
    assert "`veriscene verify train.jsonl --scenes scenes.jsonl`" in body  # the file's name, no local path
    with pytest.raises(ValueError, match="verify=True"):
        card_facts(alone, scenes=run / "scenes.jsonl")
    with pytest.raises(FileNotFoundError, match="nothing.jsonl does not exist"):
        card_facts(alone, scenes=tmp_path / "nothing.jsonl", verify=True)


def test_cli_card_verify_takes_scenes(run: Path, tmp_path: Path) -> None:
    alone = tmp_path / "train.jsonl"
    shutil.copy(run / "samples.jsonl", alone)
    n = stats(alone).samples
    result = CliRunner().invoke(app, ["card", str(alone), "--verify", "--scenes", str(run / "scenes.jsonl")])
    assert result.exit_code == 0, result.output
    assert f"; {n:,} of {n:,} verified" in result.output
    assert "programs recompute the stored answer" in section((tmp_path / "README.md").read_text(), "Verification")
    missing = CliRunner().invoke(app, ["card", str(alone), "--verify", "--scenes", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "none.jsonl does not exist" in missing.stderr
    unverified = CliRunner().invoke(app, ["card", str(alone), "--scenes", str(run / "scenes.jsonl")])
    assert unverified.exit_code == 2 and "give it with --verify" in unverified.stderr
    without = CliRunner().invoke(app, ["card", str(alone), "--verify"])  # the card says why it is not verified
    assert without.exit_code == 0 and "not verified: no manifest.json names the scenes file" in without.stdout
    assert without.stderr == "to verify against the scenes file the samples were made from: --verify --scenes FILE\n"


def test_sparse_scenes_are_counted(run: Path, tmp_path: Path) -> None:
    lines = (run / "scenes.jsonl").read_bytes().splitlines()
    records = [orjson.loads(line) for line in lines]
    for k, record in enumerate(records):
        for obj in record["objects"]:
            obj.pop("depth", None)  # so that depth.closer.v1 makes nothing
        kinds = ["attributes", "relations"] if k < 2 else ["relations"] if k < 5 else []
        if kinds:
            record["meta"] = {**record.get("meta", {}), "sparse": kinds}
    scenes = tmp_path / "sparse.jsonl"
    scenes.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    out = tmp_path / "sparse_run"
    generate(scenes, out, seed=0, generators="relation,attribute,object.exists.v1,depth.closer.v1", mode="qa")
    text = dataset_card(out)
    made = section(text, "How it was made")
    assert "lies outside the run folder: publish it too" in made
    idle = sorted(set(orjson.loads((out / "manifest.json").read_bytes())["config"]["generators"])
                  - set(stats(out).per_task))
    assert idle == ["depth.closer.v1"] and f"{len(idle)} made no sample: " + ", ".join(f"`{g}`" for g in idle) in made
    limits = section(text, "Limitations")
    assert "2 of 8 scenes record their attributes only in part" in limits
    assert "5 of 8 scenes record their relations only in part" in limits

    scenes.write_bytes(scenes.read_bytes() + b"\n")  # no longer the file the run was made from
    limits = section(dataset_card(out), "Limitations")
    assert "is not the one the run was made from" in limits and "only in part" not in limits
    scenes.unlink()
    text = dataset_card(out, verify=True)
    assert "was not found beside the run" in section(text, "Limitations")
    assert "could not run" in section(text, "Verification")


# ---- the reproduce command, run for real ------------------------------------------------------------

def reproduce(text: str, where: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = command_in(text)
    assert argv[:2] == ["veriscene", "generate"]
    argv = [str(out) if a == "OUT" else a for a in argv[1:]]
    monkeypatch.chdir(where)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output


def test_reproduce_command_makes_the_same_samples(run: Path, card: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    reproduce(section(card, "How it was made"), run.parent, tmp_path / "again", monkeypatch)
    assert samples_of(tmp_path / "again") == samples_of(run)


def test_reproduce_a_mixture_run(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mixture = tmp_path / "mix.yaml"
    mixture.write_text("budget: 6\nmodes: [qa]\ndefault_weight: 0.0\nfamilies: {counting: 2.0}\n"
                       "generators:\n  object.exists.v1: 1.0\n"
                       "  grounding.box.v1: {weight: 1.5, config: {box_format: norm1000}}\n")
    made = tmp_path / "made"
    generate(run / "scenes.jsonl", made / "mixed", seed=5, mixture=mixture, shard_size=3)
    text = section(dataset_card(made / "mixed"), "How it was made")
    argv = command_in(text)
    assert "--mixture" in argv and "--mode" not in argv and "-g" not in argv
    assert "cannot give" not in text and "at most 6 samples per scene; family weights: counting 2" in text
    assert "--per-scene" not in argv and argv[argv.index("--shard-size") + 1] == "3"
    rebuilt = re.search(r"```yaml\n(.*?)\n```", text, re.S).group(1)
    (made / "MIXTURE.yaml").write_text(rebuilt)
    reproduce(text, made, tmp_path / "again", monkeypatch)
    assert samples_of(tmp_path / "again") == samples_of(made / "mixed")


def as_earlier_release(run: Path, out: Path, version: str) -> Path:
    """A copy of `run` whose manifest is as `version`, before max_answer_items, wrote it."""
    shutil.copytree(run, out)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    manifest["config"]["veriscene_version"] = version
    for name in ("multi.common_objects.v1", "multi.common_attributes.v1", "multi.only_in.v1"):
        del manifest["config"]["generators"][name]["config"]["max_answer_items"]
    (out / "manifest.json").write_bytes(orjson.dumps(manifest))
    return out


def test_a_run_of_an_earlier_release_names_the_release_reproducing_needs(run: Path, tmp_path: Path) -> None:
    from veriscene import __version__

    old = as_earlier_release(run, tmp_path / run.name, "0.10.0")
    lines = (old / "samples.jsonl").read_bytes().splitlines()
    first = orjson.loads(lines[0])
    first["answer"] = "a phrasing of 0.10.0"  # an answer this release words otherwise
    (old / "samples.jsonl").write_bytes(b"\n".join([orjson.dumps(first), *lines[1:]]) + b"\n")
    text = dataset_card(old, verify=True)
    made = section(text, "How it was made")
    assert command_in(made) == command_in(section(dataset_card(run), "How it was made"))
    assert (f"The run was made by veriscene 0.10.0; this is veriscene {__version__}. Making it again byte for byte "
            "(sample ids, order, questions and answers) needs the veriscene 0.10.0 that made it "
            "(`pip install veriscene==0.10.0`)") in made
    absent = "max_answer_items: (not recorded: the run's release had no such field) -> 10"
    assert made.endswith(f"(each release gives its own; nothing to set):\n\n- multi.common_attributes.v1: {absent}\n"
                         f"- multi.common_objects.v1: {absent}\n- multi.only_in.v1: {absent}\n")
    assert "cannot give" not in made and "which the command line does not give" not in made
    assert (f"The run was made by veriscene 0.10.0 and checked with {__version__}: where an operation or phrasing "
            "changed between them the programs compute other answers (to check the data as made, verify with "
            "veriscene 0.10.0).") in section(text, "Verification")
    assert "made by veriscene" not in section(dataset_card(run, verify=True), "Verification")


# ---- the command ------------------------------------------------------------------------------------

def test_cli_writes_the_card(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "card" / "README.md"
    result = CliRunner().invoke(app, ["card", str(run), "--out", str(out), "--name", "Shapes", "--license",
                                      "mit", "--data-files", "samples.jsonl"])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    n = stats(run).samples
    assert f"{n:,} samples, 8 images, " in result.output
    meta = front_matter(out.read_text(encoding="utf-8"))
    assert meta["license"] == "mit" and meta["pretty_name"] == "Shapes"
    assert meta["configs"][0]["data_files"] == "samples.jsonl"
    # the card is written away from the run: the pattern names no file beside it, which is said
    assert "warning: --data-files 'samples.jsonl' matches no file in" in " ".join(result.output.split())
    inside = CliRunner().invoke(app, ["card", str(run), "--out", str(tmp_path / "in" / "README.md"),
                                      "--data-files", "samples.jsonl"])
    (tmp_path / "in" / "samples.jsonl").write_bytes((run / "samples.jsonl").read_bytes())
    again = CliRunner().invoke(app, ["card", str(run), "--out", str(tmp_path / "in" / "README.md"),
                                     "--data-files", "samples.jsonl"])
    assert "warning" in inside.output and again.exit_code == 0 and "warning" not in again.output


def test_cli_default_out_and_missing_run(run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(run, folder)
    result = CliRunner().invoke(app, ["card", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "README.md").read_text(encoding="utf-8").startswith("---\nlicense: unknown\n")
    result = CliRunner().invoke(app, ["card", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_cli_out_a_folder_or_below_a_file(run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cards").mkdir()
    result = CliRunner().invoke(app, ["card", str(run), "--out", str(tmp_path / "cards")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cards" / "README.md").read_text(encoding="utf-8").startswith("---\n")
    monkeypatch.setattr("veriscene.card.card_facts", lambda *a, **k: pytest.fail("the run was read"))
    below = tmp_path / "cards" / "README.md" / "card.md"
    result = CliRunner().invoke(app, ["card", str(run), "--out", str(below)])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == f"error: --out {below}: {tmp_path / 'cards' / 'README.md'} is a file, not a folder\n"


@pytest.mark.parametrize("sep", sorted({"/", os.sep}))  # os.sep: "\\" on Windows
def test_cli_out_ending_in_a_separator_is_a_new_folder(run: Path, tmp_path: Path, sep: str) -> None:
    result = CliRunner().invoke(app, ["card", str(run), "--out", str(tmp_path / "new") + sep])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new").is_dir() and (tmp_path / "new" / "README.md").read_text(encoding="utf-8").startswith("---\n")
    assert f"wrote {tmp_path / 'new' / 'README.md'}" in result.output
    assert write_card(run, str(tmp_path / "api") + sep) == tmp_path / "api" / "README.md"


def test_write_card_returns_the_path(run: Path, tmp_path: Path) -> None:
    path = write_card(run, tmp_path / "x" / "README.md", name="N")
    assert path.read_text(encoding="utf-8").startswith("---\n") and "# N\n" in path.read_text(encoding="utf-8")


def test_write_card_without_out_writes_where_the_command_does(run: Path, tmp_path: Path) -> None:
    """`write_card(run)` writes RUN/README.md, and README.md beside a samples file given alone, as
    `veriscene card RUN` does without --out (before, `out` was required: a TypeError)."""
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(run, folder)
    (folder / "README.md").unlink(missing_ok=True)
    assert write_card(folder) == folder / "README.md"
    assert (folder / "README.md").read_text(encoding="utf-8") == dataset_card(folder)
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(run / "samples.jsonl", alone / "train.jsonl")
    assert write_card(alone / "train.jsonl") == alone / "README.md"
    result = CliRunner().invoke(app, ["card", str(alone / "train.jsonl")])
    assert result.exit_code == 0, result.output
    assert (alone / "README.md").read_text(encoding="utf-8") == dataset_card(alone / "train.jsonl")


def test_scene_facts_of_a_compressed_scenes_file(run: Path, tmp_path: Path) -> None:
    from veriscene.scene.compressed import create_scene_file

    scenes = tmp_path / "scenes.jsonl.zst"
    with create_scene_file(scenes) as fh:
        fh.write((run / "scenes.jsonl").read_bytes())
    plain, packed = tmp_path / "plain_run", tmp_path / "packed_run"
    generate(run / "scenes.jsonl", plain, seed=0, generators="object", mode="qa")
    generate(scenes, packed, seed=0, generators="object", mode="qa")
    limits = section(dataset_card(packed), "Limitations")
    assert "was not found" not in limits and "is not the one" not in limits
    assert limits == section(dataset_card(plain), "Limitations")  # the same facts, read decompressed
    scenes.write_bytes(scenes.read_bytes()[:-8])  # the sha256 is of the file as stored
    assert "is not the one the run was made from" in section(dataset_card(packed), "Limitations")


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_each_scene_file_is_read_once_for_its_sha256_and_facts(run: Path, tmp_path: Path, monkeypatch, suffix) -> None:
    import builtins

    from veriscene.card import scene_facts
    from veriscene.engine.manifest import read_manifest
    from veriscene.scene.compressed import create_scene_file

    scenes = tmp_path / f"scenes.jsonl{suffix}"
    with create_scene_file(scenes) as fh:
        fh.write((run / "scenes.jsonl").read_bytes())
    out = tmp_path / "out"
    generate(scenes, out, seed=0, generators="object", mode="qa")
    opened: list[str] = []
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):
        if Path(str(file)).name == scenes.name:
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    facts, why = scene_facts(out, read_manifest(out)["config"])
    assert why == "" and facts is not None and facts.scenes == sum(1 for line in (run / "scenes.jsonl").read_bytes().splitlines() if line.strip())
    # compression() peeks at its first 6 bytes, then one pass reads it through (there were two)
    assert len(opened) == 2


def test_cli_verifies_on_several_workers_with_the_same_card(run: Path, card: str, tmp_path: Path) -> None:
    out = tmp_path / "README.md"
    result = CliRunner().invoke(app, ["card", str(run), "--out", str(out), "--license", "cc-by-4.0", "--verify",
                                      "--workers", "2"])
    assert result.exit_code == 0, result.output
    # the card of a one-process verification (written outside the run: no default configs block)
    assert out.read_text(encoding="utf-8") == dataset_card(run, license="cc-by-4.0", verify=True, card_dir=tmp_path)
    assert "programs recompute the stored answer" in section(card, "Verification")


def test_samples_read_in_parts_on_several_workers_give_the_same_card(run: Path, card: str, monkeypatch) -> None:
    import veriscene.card as module
    from veriscene.card_text import render_card

    monkeypatch.setattr(module, "PART_BYTES", 5_000)  # many parts: inherited by the forked workers
    assert len(module.sample_parts(run, module.PART_BYTES)) > 5
    read: list[int] = []
    facts = module.card_facts(run, verify=True, workers=2, progress=read.append)
    assert sum(read) == 2 * facts.report.samples  # read, then verified
    assert render_card(facts, license="cc-by-4.0") == card
    assert len(facts.tally.images) == len(module.card_facts(run).tally.images) > 0


def test_a_shard_cut_short_is_bad_data_exit_1(run: Path, tmp_path: Path) -> None:
    """The README's exit codes: 1 for a file that cannot be read, 2 for usage (was 2)."""
    zst = tmp_path / "zst"
    generate(run / "scenes.jsonl", zst, generators="object.count.v1", shard_format="zstd")
    shard = next((zst / "shards").glob("*.jsonl.zst"))
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    result = CliRunner().invoke(app, ["card", str(zst), "--out", str(tmp_path / "card.md")])
    assert result.exit_code == 1
    assert f"{shard.name} cannot be read" in result.output and "damaged or cut short" in result.output


@pytest.mark.parametrize("workers, error, said", [(0, ValueError, "workers must be at least 1, got 0"),
                                                  (None, TypeError, "workers must be an integer, got None")])
def test_workers_out_of_range_are_refused_before_the_card_is_written(run: Path, tmp_path: Path, workers, error,
                                                                     said) -> None:
    # before: workers=0 was taken (a card written), None failed deep inside ("'>' not supported")
    with pytest.raises(error) as info:
        write_card(run, tmp_path / "README.md", verify=True, workers=workers)
    assert str(info.value) == said
    assert not (tmp_path / "README.md").exists()


def test_wrong_flag_callback_or_out_is_refused_before_the_card_is_written(run: Path, tmp_path: Path) -> None:
    from veriscene.io.writers.files import OutputError

    with pytest.raises(TypeError) as info:  # before: verify="no" verified
        write_card(run, tmp_path / "README.md", verify="no")
    assert str(info.value) == "verify must be True or False, got 'no'"
    with pytest.raises(TypeError) as info:
        card_facts(run, progress=1)
    assert str(info.value) == "progress must be a function, called as progress(n), or None; got 1"
    with pytest.raises(TypeError) as info:
        write_card(run, 3)
    assert str(info.value) == "out must be the card's file, or the folder for its README.md, a str or a path; got 3"
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError) as info:  # before: "[Errno 17] File exists" once the samples were read
        write_card(run, tmp_path / "afile" / "README.md")
    assert str(info.value) == (f"out {tmp_path / 'afile' / 'README.md'}: cannot write there: {tmp_path / 'afile'} "
                               "is a file, not a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
