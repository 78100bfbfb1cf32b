"""Names sharing a WordNet synset across the input's scenes (Visual Genome keeps one per object,
``meta["synsets"]``) are read as one name in free-form scoring (helper-188): "a shirt" of an
object annotated "tshirt" (shirt.n.01, as another scene's "shirt") was false. Only one-word names
and the synset's own; never a name over or under another ("man" and "person")."""

from __future__ import annotations

from collections import Counter

import pytest

from veriscene.evaluate.freeform import score_texts
from veriscene.evaluate.freeform.names import synset_classes
from veriscene.scene.model import Scene


@pytest.mark.parametrize(("synsets", "classes"), [
    # one-word names of one synset: read as the synset's own name where a scene uses it
    ({"tshirt": Counter({"shirt.n.01": 3}), "shirt": Counter({"shirt.n.01": 5})}, {"tshirt": "shirt"}),
    # else as the most used one
    ({"tee": Counter({"jersey.n.03": 1}), "tshirt": Counter({"jersey.n.03": 4})}, {"tee": "tshirt"}),
    # a name of several words has its head noun's synset: narrower, not a synonym
    ({"tennis player": Counter({"player.n.01": 2}), "player": Counter({"player.n.01": 1})}, {}),
    ({"teddy bear": Counter({"teddy_bear.n.01": 1}), "teddy": Counter({"teddy_bear.n.01": 1})}, {}),  # one class already
    # a broader and a narrower name stay so whatever the synsets say (names.py: person covers man)
    ({"man": Counter({"person.n.01": 4}), "person": Counter({"person.n.01": 9})}, {}),
    ({"man": Counter({"man.n.01": 4}), "person": Counter({"person.n.01": 9})}, {}),
    # a name given two synsets as often is no one's synonym
    ({"top": Counter({"shirt.n.01": 2, "top.n.01": 2}), "shirt": Counter({"shirt.n.01": 5})}, {}),
    # its most frequent one counts
    ({"top": Counter({"shirt.n.01": 3, "top.n.01": 1}), "shirt": Counter({"shirt.n.01": 5})}, {"top": "shirt"}),
    # not a noun synset
    ({"along": Counter({"along.r.01": 1}), "alongside": Counter({"along.r.01": 1})}, {}),
    ({"shirt": Counter({"shirt.n.01": 1})}, {}),
])
def test_synset_classes(synsets: dict[str, Counter[str]], classes: dict[str, str]) -> None:
    assert synset_classes(synsets) == classes


def _scenes(synsets: bool) -> dict[str, Scene]:
    def scene(image_id: str, names: list[str], found: list[str]) -> Scene:
        objects = [{"name": n, "box": [10.0 + 50 * k, 10.0, 50.0 + 50 * k, 90.0], "attributes": ["red"] * (n != "man")}
                   for k, n in enumerate(names)]
        return Scene.from_objects(image_id, 300, 100, objects, meta={"synsets": found} if synsets else {})
    return {"a": scene("a", ["man", "tshirt"], ["man.n.01", "shirt.n.01"]),
            "b": scene("b", ["woman", "shirt"], ["woman.n.01", "shirt.n.01"])}


def _verdicts(scenes: dict[str, Scene], text: str) -> dict[str, bool | None]:
    (score,), _, _ = score_texts([("a", text)], scenes, matcher="lexical")
    return {c["text"]: c["supported"] for c in score.claims}


def test_a_name_of_the_same_synset_is_the_annotated_object() -> None:
    text = "A man in a red shirt. There is one shirt."
    assert _verdicts(_scenes(synsets=True), text) == {
        "man": True, "shirt": True, "shirt is red": True, "1 x shirt": True}
    # without synsets the names are two (a shirt where a tshirt is annotated is not there)
    assert _verdicts(_scenes(synsets=False), text) == {
        "man": True, "shirt": False, "shirt is red": False, "1 x shirt": False}
    # the reply's own word is read as the class too
    assert _verdicts(_scenes(synsets=True), "A red tshirt.") == {"shirt": True, "shirt is red": True}
