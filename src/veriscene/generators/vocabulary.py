"""The data set's vocabulary: object names, attribute values by type, predicates, and how often
two names occur in the same image.

Generators draw multiple-choice distractors and "absent" names for negative questions from it;
co-occurrence counts give *adversarial* absent names for hallucination probes (a fork is absent
from a kitchen scene that has a knife and a plate). It is collected in one streaming pass over the
scenes before generation (so every worker sees the same vocabulary and output does not depend on
scene order) and saved with the run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable, Sequence, TypeVar

from veriscene.scene.model import Scene
from veriscene.vocab import attribute_type, attribute_types_version

T = TypeVar("T")


@dataclass
class Vocabulary:
    names: Counter[str] = field(default_factory=Counter)
    attributes: Counter[str] = field(default_factory=Counter)
    predicates: Counter[str] = field(default_factory=Counter)
    # name -> other name -> number of scenes holding both (symmetric; each scene counts once)
    cooccurrence: dict[str, Counter[str]] = field(default_factory=dict)

    def add_scene(self, scene: Scene) -> None:
        self.add_names(scene.names, [a for attrs in scene.attributes for a in attrs], [p for _, p, _ in scene.relations])

    def add_names(self, names: Sequence[str], attributes: Iterable[str], predicates: Iterable[str]) -> None:
        """Count one scene from its object names, attribute occurrences and relation predicates
        (the engine's scan pass calls this on raw JSON, without building a Scene)."""
        self.__dict__.pop("_views", None)  # the sorted views are made again on next use
        self.names.update(names)
        distinct = sorted(set(names))
        for a in distinct:
            row = self.cooccurrence.setdefault(a, Counter())
            row.update(b for b in distinct if b != a)
        self.attributes.update(attributes)
        self.predicates.update(predicates)

    @classmethod
    def from_scenes(cls, scenes: Iterable[Scene]) -> "Vocabulary":
        vocab = cls()
        for scene in scenes:
            vocab.add_scene(scene)
        return vocab

    # Sorted views: every draw from the vocabulary is over a deterministic order. Each is made
    # once and shared (a vocabulary of a large annotation set has tens of thousands of words, and
    # generators ask for these views on every scene): callers must not modify the lists. They are
    # made again after `add_names`; change the counters only through it.
    def view(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value derived from the vocabulary (`key` names it and its arguments), computed once."""
        views = self.__dict__.setdefault("_views", {})
        try:
            return views[key]
        except KeyError:
            value = views[key] = compute()
            return value

    def name_list(self) -> list[str]:
        return self.view("names", lambda: sorted(self.names))

    def name_set(self) -> frozenset[str]:
        return self.view("name set", lambda: frozenset(self.names))

    def attributes_of_type(self, kind: str) -> list[str]:
        """Sorted attribute words of a type."""
        return self.view(("attributes of type", kind, attribute_types_version()),
                         lambda: sorted(a for a in self.attributes if attribute_type(a) == kind))

    def attribute_types(self) -> list[str]:
        return self.view(("attribute types", attribute_types_version()),
                         lambda: sorted({attribute_type(a) for a in self.attributes}))

    def predicate_list(self) -> list[str]:
        return self.view("predicates", lambda: sorted(self.predicates))

    def predicate_set(self) -> frozenset[str]:
        return self.view("predicate set", lambda: frozenset(self.predicates))

    def cooccurring_absent(self, present: Iterable[str], limit: int | None = None) -> list[str]:
        """Names absent from `present`, most co-occurring with the present names first (sum of
        co-occurrence counts), then by overall frequency, then alphabetically; the first `limit`
        of them when a limit is given."""
        present = set(present)
        score: Counter[str] = Counter()
        for name in present:
            score.update(self.cooccurrence.get(name, Counter()))
        # Only the co-occurring names need sorting per call; the rest keep the shared order by
        # frequency, then alphabetically.
        found = sorted((n for n, k in score.items() if k > 0 and n not in present and n in self.names),
                       key=lambda n: (-score[n], -self.names[n], n))
        by_count = self.view("names by count", lambda: sorted(self.names, key=lambda n: (-self.names[n], n)))
        if limit is None:
            return found + [n for n in by_count if n not in present and score[n] <= 0]
        found = found[:limit]
        for n in by_count:
            if len(found) >= limit:
                break
            if n not in present and score[n] <= 0:
                found.append(n)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": dict(sorted(self.names.items())),
            "attributes": dict(sorted(self.attributes.items())),
            "predicates": dict(sorted(self.predicates.items())),
            "cooccurrence": {a: dict(sorted(row.items())) for a, row in sorted(self.cooccurrence.items())},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Vocabulary":
        return cls(
            Counter(d.get("names", {})), Counter(d.get("attributes", {})), Counter(d.get("predicates", {})),
            {a: Counter(row) for a, row in d.get("cooccurrence", {}).items()},
        )
