"""The values a pair's `relation.query` question may be offered as wrong options.

A scene offers its own answers only, in sets offered to the question of each of their values
(`option_blocks`): a scene of one pair has no other answer and is asked open only. Tests of what a
pair allows ask `query_options`: the vocabulary's predicates answering the same question, one
spelling a class (`distinct_options_like`: the data set's commonest), that pass the pair's
`wrong_option_test` (no reading a viewer may make, none that may hold with the answer)."""

from __future__ import annotations

from veriscene.generators import Vocabulary
from veriscene.generators.single_image.relations import distinct_options_like, wrong_option_test
from veriscene.program import SceneIndex
from veriscene.scene import Scene


def query_options(scene: Scene, vocab: Vocabulary, subject: int = 0, target: int = 1) -> set[str]:
    """The wrong options the pair (subject, target), of one predicate, allows."""
    index = SceneIndex(scene)
    (predicate,) = index.predicates_between[(subject, target)]
    allows = wrong_option_test(vocab, index, subject, target, predicate)
    return {p for p in distinct_options_like(vocab, predicate)[0] if allows(p)}
