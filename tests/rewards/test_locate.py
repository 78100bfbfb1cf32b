"""Rows without a sample_id found by their gold, prompt and images (`rewards.locate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from veriscene.rewards.locate import SampleLocator, Unfound, image_digest, prompt_text


@pytest.fixture()
def locator(tmp_path: Path) -> SampleLocator:
    for name, colour in (("a.png", "red"), ("b.png", "blue")):
        Image.new("RGB", (8, 6), colour).save(tmp_path / name)
    samples = [
        {"id": "s1", "question": "Describe the image.", "answer": "A red square.", "images": [{"id": "a", "path": "a.png"}]},
        {"id": "s2", "question": "Describe the image.", "answer": "A blue circle.", "images": [{"id": "b", "path": "b.png"}]},
        {"id": "s3", "question": "How many squares?", "answer": 1, "images": [{"id": "a", "path": "a.png"}]},
        {"id": "s4", "question": "How many squares?", "answer": 1, "images": [{"id": "b", "path": "b.png"}]},
        {"id": "s5", "question": "Compare <image> with <image>.", "answer": "same", "images": []},
    ]
    return SampleLocator(samples, tmp_path)


def test_the_gold_tells_samples_of_one_question_apart(locator: SampleLocator) -> None:
    assert locator.locate(answer="A blue circle.", has_answer=True, prompt="Describe the image.") == "s2"


def test_the_question_inside_the_users_own_prompt(locator: SampleLocator) -> None:
    prompt = [{"role": "system", "content": "Be brief."},
              {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Please,  how many\nsquares?"}]}]
    assert locator.locate(prompt=prompt, images=[Image.new("RGB", (8, 6), "blue")]) == "s4"
    assert prompt_text(prompt) == "be brief. please, how many squares?"
    assert locator.locate(prompt="Compare the first with the second.") != "s5"  # (another question)
    assert locator.locate(prompt=[{"role": "user", "content": [{"type": "text", "text": "Compare"}, {"type": "image"},
                                                               {"type": "text", "text": "with"}, {"type": "image"},
                                                               {"type": "text", "text": "."}]}]) == "s5"


def test_images_given_as_cells_bytes_or_paths(locator: SampleLocator, tmp_path: Path) -> None:
    data = (tmp_path / "a.png").read_bytes()
    for image in ({"bytes": data, "path": None}, data, str(tmp_path / "a.png")):
        assert locator.locate(answer=1, has_answer=True, prompt="How many squares?", images=[image]) == "s3"
    assert image_digest("no/such.png") is None


def test_several_or_none_left_are_refused_saying_which(locator: SampleLocator) -> None:
    several = locator.locate(answer=1, has_answer=True, prompt="How many squares?")
    assert isinstance(several, Unfound)
    assert "2 samples of the run share its gold and question ('s3', 's4')" in several.reason
    assert "give the row its sample_id column" in several.reason
    none = locator.locate(answer="A green star.", has_answer=True, prompt="Describe the image.")
    assert isinstance(none, Unfound) and "no sample of the run has the row's gold answer" in none.reason
    # images that are none of the samples' do not pick one
    other = locator.locate(answer=1, has_answer=True, images=[Image.new("RGB", (8, 6), "green")])
    assert isinstance(other, Unfound)


def test_an_image_many_samples_show_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import veriscene.rewards.locate as locate

    for k in range(2):
        Image.new("RGB", (8, 6), (k, 0, 0)).save(tmp_path / f"i{k}.png")
    samples = [{"id": f"s{k}_{q}", "question": f"Question {q}?", "answer": "yes", "images": [{"id": f"i{k}", "path": f"i{k}.png"}]}
               for k in range(2) for q in range(5)]
    read: list[Any] = []
    digest = locate.image_digest
    monkeypatch.setattr(locate, "image_digest", lambda image, root=None: read.append(image) or digest(image, root))
    found = SampleLocator(samples, tmp_path).locate(answer="yes", has_answer=True, prompt="In my own words?",
                                                    images=[Image.new("RGB", (8, 6), (1, 0, 0))])
    assert isinstance(found, Unfound) and "5 samples of the run share its gold and images ('s1_0'" in found.reason
    assert sorted(str(i) for i in read if isinstance(i, str)) == ["i0.png", "i1.png"]  # (each once, not once a sample)


def test_images_matching_none_are_said(locator: SampleLocator) -> None:
    resized = locator.locate(answer=1, has_answer=True, prompt="How many squares?", images=[Image.new("RGB", (4, 3), "red")])
    assert isinstance(resized, Unfound)
    assert "its images show the pixels of none of them (re-encoded, resized or cropped?)" in resized.reason
    unread = locator.locate(answer=1, has_answer=True, prompt="How many squares?", images=["no/such.png"])
    assert isinstance(unread, Unfound) and "its image 1 cannot be read" in unread.reason


def test_a_refusal_names_the_row(locator: SampleLocator) -> None:
    several = locator.locate(answer=1, has_answer=True, prompt="How many squares?")
    assert isinstance(several, Unfound) and several.reason.startswith("the row (gold 1, prompt 'how many squares?') ")
    long = locator.locate(prompt="x" * 200)
    assert isinstance(long, Unfound) and f"prompt '{'x' * 60}...')" in long.reason


def test_images_of_another_sample_are_no_row_of_the_one_left(locator: SampleLocator) -> None:
    """Gold and question leave one sample, and the row's images are not its: refused, not guessed."""
    assert locator.locate(answer="A red square.", has_answer=True, prompt="Describe the image.",
                          images=[Image.new("RGB", (8, 6), "red")]) == "s1"
    other = locator.locate(answer="A red square.", has_answer=True, prompt="Describe the image.",
                           images=[Image.new("RGB", (8, 6), "blue")])
    assert isinstance(other, Unfound)
    assert "its images are not those of 's1', the one sample of its gold and question" in other.reason


def test_provenance_parts_samples_and_refuses_another_images(locator: SampleLocator) -> None:
    """A verl row (no prompt) is told by its gold and extra_info's image_ids; image ids no sample
    of its gold has are refused, naming them."""
    assert locator.locate(answer=1, has_answer=True, image_ids=["b"]) == "s4"
    assert locator.locate(answer=1, has_answer=True, image_ids=("a",), task=None) == "s3"
    other = locator.locate(answer="A red square.", has_answer=True, image_ids=["b"])
    assert isinstance(other, Unfound) and "has its image ids" in other.reason
    assert "image ids b" in other.reason and "extra_info.sample_id" in other.reason


def test_what_the_locator_keeps_is_bounded(tmp_path: Path) -> None:
    """Rows of the user's own prompts, each distinct: the rows told are kept up to `most_rows`
    (least recently used dropped first), the images' digests up to `most_images`; the answers
    are those of an unbounded locator."""
    for name, colour in (("a.png", "red"), ("b.png", "blue"), ("c.png", "green")):
        Image.new("RGB", (8, 6), colour).save(tmp_path / name)
    samples = [{"id": f"s{k}", "question": "Describe it.", "answer": "A shape.",
                "images": [{"id": name, "path": f"{name}.png"}]} for k, name in enumerate("abc")]
    small = SampleLocator(samples, tmp_path, most_rows=2, most_images=2)
    large = SampleLocator(samples, tmp_path)
    for k in range(10):
        image = Image.new("RGB", (8, 6), ("red", "blue", "green")[k % 3])
        row = {"answer": "A shape.", "has_answer": True, "prompt": f"Describe it, please ({k}).", "images": [image]}
        assert small.locate(**row) == large.locate(**row) == f"s{k % 3}"
        assert small.locate(answer="A shape.", has_answer=True, prompt=f"Describe it ({k}).") == large.locate(
            answer="A shape.", has_answer=True, prompt=f"Describe it ({k}).")
    sizes = small.cache_sizes()
    assert sizes["rows"] <= 2 and sizes["samples"] <= 2 and sizes["paths"] <= 2
    assert large.cache_sizes()["rows"] == 10
