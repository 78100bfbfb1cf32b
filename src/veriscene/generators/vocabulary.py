"""The data set's vocabulary: object names, attribute values by type, predicates.

Generators draw multiple-choice distractors and "absent" names for negative questions from it. It
is collected in one streaming pass over the scenes before generation (so every worker sees the
same vocabulary and output does not depend on scene order) and saved with the run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from veriscene.scene.model import Scene
from veriscene.vocab import attribute_type


@dataclass
class Vocabulary:
    names: Counter[str] = field(default_factory=Counter)
    attributes: Counter[str] = field(default_factory=Counter)
    predicates: Counter[str] = field(default_factory=Counter)

    def add_scene(self, scene: Scene) -> None:
        self.names.update(scene.names)
        for attrs in scene.attributes:
            self.attributes.update(attrs)
        self.predicates.update(p for _, p, _ in scene.relations)

    @classmethod
    def from_scenes(cls, scenes: Iterable[Scene]) -> "Vocabulary":
        vocab = cls()
        for scene in scenes:
            vocab.add_scene(scene)
        return vocab

    # Sorted views: every draw from the vocabulary is over a deterministic order.
    def name_list(self) -> list[str]:
        return sorted(self.names)

    def attributes_of_type(self, kind: str) -> list[str]:
        """Sorted attribute words of a type (cached: the vocabulary is fixed once a run starts)."""
        cache = self.__dict__.setdefault("_by_type", {})
        if kind not in cache:
            cache[kind] = sorted(a for a in self.attributes if attribute_type(a) == kind)
        return cache[kind]

    def attribute_types(self) -> list[str]:
        return sorted({attribute_type(a) for a in self.attributes})

    def predicate_list(self) -> list[str]:
        return sorted(self.predicates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": dict(sorted(self.names.items())),
            "attributes": dict(sorted(self.attributes.items())),
            "predicates": dict(sorted(self.predicates.items())),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Vocabulary":
        return cls(Counter(d.get("names", {})), Counter(d.get("attributes", {})), Counter(d.get("predicates", {})))
