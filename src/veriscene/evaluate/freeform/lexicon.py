"""The vocabulary free-form claims are read with and checked against: a `Lexicon` of object
names, attribute words and predicates, made from the scenes read (`lexicon_from_scenes`,
`add_scene_words`), with the names of each category set's scenes (COCO's 80 categories: what a
scene of the set annotates in full, `category_classes`) and WordNet synsets (Visual Genome's)."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from veriscene import vocab
from veriscene.answers.normalize import normalize_phrase
from veriscene.category_sets import listed_categories
from veriscene.evaluate.freeform.names import read_name
from veriscene.evaluate.freeform.words import PREDICATE_PHRASES
from veriscene.scene.model import Scene

# Places every lexicon reads as relation phrases, beside the directions and "near" (`vocab`'s
# converse predicates; "under", "next to", "beside" are `PREDICATE_PHRASES`): "a teddy bear on a
# chair" is a relation on any scene, one whose scenes annotate no relation (COCO) too
SPATIAL_PREDICATES = ("on", "on top of")


@dataclass
class Lexicon:
    """Known object names, attribute words and predicates (all normalised); and, of scenes that
    annotate a category list in full and nothing else (``meta["category_set"]``: COCO), the names
    of each list's scenes as they give them (`add_scene_words`): the categories the scorer
    takes as annotated in full on them (`category_classes`)."""

    names: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=lambda: {normalize_phrase(w) for w in vocab.ATTRIBUTE_TYPES})
    predicates: set[str] = field(default_factory=lambda: set(vocab.CONVERSE_PREDICATES) | set(SPATIAL_PREDICATES))
    category_sets: dict[str, set[str]] = field(default_factory=dict)  # category set id -> names
    # object name -> how many of its objects each WordNet synset id was given (``meta["synsets"]``,
    # Visual Genome's): names sharing one are read as one (`names.synset_classes`)
    synsets: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, names: Iterable[str] = (), attributes: Iterable[str] = (), predicates: Iterable[str] = ()) -> None:
        self.names.update(normalize_phrase(n) for n in names)
        self.attributes.update(normalize_phrase(a) for a in attributes)
        self.predicates.update(predicates)

    def phrase_table(self) -> list[tuple[tuple[str, ...], str]]:
        table = dict(PREDICATE_PHRASES)
        table.update({p: p for p in self.predicates})
        return sorted(((tuple(k.split()), v) for k, v in table.items()), key=lambda kv: -len(kv[0]))


def lexicon_from_scenes(scenes: Iterable[Scene]) -> Lexicon:
    lex = Lexicon()
    for s in scenes:
        add_scene_words(lex, s)
    return lex


def add_scene_words(lex: Lexicon, s: Scene) -> None:
    """Add a scene's object names, attributes and predicates to `lex` (what `lexicon_from_scenes`
    adds); the names of a scene of a category set (``meta["category_set"]``) to that set's too,
    and the set's whole list where the scene carries it (``meta["categories"]``, the first scene
    COCO's reader gives of a file: `veriscene.category_sets`), so that a category none of the
    scenes read shows is still closed. A list that is not its set's is not read (a warning)."""
    lex.add(names=s.names, attributes=[a for attrs in s.attributes for a in attrs],
            predicates=[p for _, p, _ in s.relations])
    synsets = s.meta.get("synsets")
    if isinstance(synsets, list) and len(synsets) == len(s.names):  # (one per object, or None)
        for name, synset in zip(s.names, synsets):
            if isinstance(synset, str) and synset:
                lex.synsets.setdefault(normalize_phrase(name), Counter())[synset] += 1
    category_set = s.meta.get("category_set")
    if category_set is not None:
        names = lex.category_sets.setdefault(category_set, set())
        names.update(s.names)
        try:
            listed = listed_categories(s.meta)
        except ValueError as exc:
            warnings.warn(f"scene {s.image_id!r}: {exc}; not read: the set's categories are the names of its scenes",
                          stacklevel=2)
            listed = None
        if listed is not None:
            names.update(listed[1])


def category_classes(lex: Lexicon, synonyms: Mapping[str, str] | None = None) -> dict[str, frozenset[str]]:
    """category set id -> the names its scenes give (`Lexicon.category_sets`) read as
    `SceneFacts` reads names (normalised, synonym class, through `synonyms`: `names.synset_classes`):
    what a scene of the set annotates in full."""
    return {k: frozenset(read_name(normalize_phrase(n), synonyms) for n in names)
            for k, names in lex.category_sets.items()}


def unseen_categories(lex: Lexicon) -> str | None:
    """What to say when the scenes read do not show every category of a set (and none of them
    carries the set's list, ``meta["categories"]``: scenes converted before 0.24, or a subset
    without the file's first scene): claims about a category no scene shows are left open, not
    checked. The number of categories is read from a set id as COCO's reader writes it
    ("80:1c6d..."); another id is taken as complete."""
    short = []
    for k, names in sorted(lex.category_sets.items()):
        head = k.partition(":")[0]
        if head.isdigit() and len(names) < int(head):
            short.append(f"{len(names)} of the {int(head)} categories of category set {k!r}")
    if not short:
        return None
    return (f"the scenes read show {'; '.join(short)}: claims about a category no scene shows are left open, "
            "not checked. Give the data set's whole converted scene file as the scenes (every scene is read "
            "for its names, only the replied ones are held)")
