"""Dense captions of a scene graph (`scene_caption`): every object with its attributes, counted
by kind, then sentences of its relations naming each object by its referring expression
(`describe.referents`) or its place among objects described alike (`positions`). The
`describe_scene` op of programs answers with it (`program.ops`).
"""

from __future__ import annotations

from typing import Sequence

from veriscene.program.context import SceneIndex
from veriscene.scene.describe import Referent, _all_ranked_attributes, noun_phrase, referents
from veriscene.scene.model import Scene
from veriscene.scene.positions import placed_phrases
from veriscene.text import (
    agreeing_relation_phrase,
    capitalise,
    counted,
    has_subject_free_phrase,
    join_words,
    number_word,
    plural,
    region_noun,
    relation_phrase,
    relation_phrase_plural,
    takes_plural_verb,
    trim_predicate,
    with_article,
)
from veriscene.text_predicates import predicate_key
from veriscene.vocab import CONVERSE_PREDICATES


# A contact said of both objects ("touching": the medical readers state it both ways, from the
# pixels) and the relation implying it ("surrounded by": a structure surrounded by another touches
# it), as `generators.single_image.relations.CONTACTS`: each said once, the implying one if held.
_SAID_BOTH_WAYS = frozenset({"touching"})
_IMPLIED_BY = {"touching": "surrounded by"}


def scene_caption(scene: Scene, max_relations: int = 12, index: SceneIndex | None = None) -> str:
    """A dense description: every object with its attributes, then up to `max_relations`
    relations (one of each converse pair, one of a relation's spellings: `predicate_key`, no
    contact beside the relation implying it: `_IMPLIED_BY`), in a
    deterministic order (left to right). Pass the
    scene's `index` to share its lookup tables."""
    index = index if index is not None else SceneIndex(scene)
    if len(scene) == 0:
        return "The image shows no annotated objects."
    centers = index.center_list
    order = sorted(range(len(scene)), key=lambda i: (centers[i][0], i))
    # noun_phrase of each object, from its attributes in adjective order
    ranked = _all_ranked_attributes(index)
    phrases = [noun_phrase(name, ranked[i]) for i, name in enumerate(scene.names)]
    groups: dict[str, int] = {}
    for i in order:
        groups[phrases[i]] = groups.get(phrases[i], 0) + 1
    if index.regions or index.exhaustive is not None or scene.meta.get("category_set") is not None:
        # a crowd region is several instances ("many people"), a stuff region an area ("sky"), a
        # name not annotated exhaustively has at least its annotated instances, and a scene of a
        # closed category list (COCO) annotates none of the other objects it shows: no total
        crowds = {phrases[i] for i in index.crowd}
        stuff = {phrases[i] for i in index.stuff} - crowds
        partial = {phrases[i] for i, name in enumerate(scene.names) if not index.complete(name)}

        def amount(p: str, n: int) -> str:
            if p in crowds:
                return f"many {plural(p)}"
            if p in stuff:
                return region_noun(p)
            return f"at least {counted(n, p)}" if p in partial and n > 1 else counted(n, p)

        listed = join_words([amount(p, n) for p, n in groups.items()])
        sentences = [f"The image shows {listed}."]
    else:
        listed = join_words([counted(n, p) for p, n in groups.items()])
        total = len(scene)
        # "one object", "five objects" (it said "1 object"), "33 objects"
        sentences = [f"The image shows {number_word(total)} object{'s' if total != 1 else ''}: {listed}."]
    emitted = 0
    seen: set[tuple[int, str, int]] = set()
    stated: set[tuple[int, str, int]] = set()  # (subject, predicate_key, object) said
    rank = {i: r for r, i in enumerate(order)}
    refs = referents(index, allow_relations=False)
    placed = placed_phrases(index, phrases)
    said: set[str] = set()
    for s, p, o in sorted(scene.relations, key=lambda r: (rank[r[0]], r[1], rank[r[2]])):
        converse = CONVERSE_PREDICATES.get(p, p if p in _SAID_BOTH_WAYS else None)
        if converse is not None and (o, converse, s) in seen:
            continue
        implying = _IMPLIED_BY.get(p)
        if implying is not None and ((s, implying, o) in index.relation_set or (o, implying, s) in index.relation_set):
            continue  # "The lesion is surrounded by the liver." says it touches the liver
        seen.add((s, p, o))
        spelled = (s, predicate_key(p), o)
        if spelled in stated:
            continue  # another spelling of a relation said: "holds" after "is holding"
        stated.add(spelled)
        # two objects described alike, related to each other: "A striped zebra is next to another
        # striped zebra" (by their places, "the left zebra is left of the right one", says nothing)
        alike = phrases[s] == phrases[o]
        subj_text, subj_plural, subj_noun = _mention(index, refs, {} if alike else placed, phrases, s)
        obj_text = _mention(index, refs, {} if alike else placed, phrases, o)[0]
        if obj_text == subj_text and obj_text.startswith(("a ", "an ")):
            obj_text = "another " + obj_text.partition(" ")[2]
        sentence = f"{capitalise(subj_text)} {_caption_verb(p, subj_noun, subj_plural)} {obj_text}."
        if sentence in said:  # two objects alike that could not be told apart, in one relation
            continue
        said.add(sentence)
        sentences.append(sentence)
        emitted += 1
        if emitted >= max_relations:
            break
    return " ".join(sentences)


def _mention(index: SceneIndex, refs: dict[int, Referent], placed: dict[int, str], phrases: Sequence[str],
             i: int) -> tuple[str, bool, str]:
    """How a caption's relation sentence names object i (`phrases[i]`: its attributes and name),
    whether that takes a plural verb, and the noun it names the object by (for a verb that says
    it: `_caption_verb`): its referring expression ("the jeans": plural), else, one of several
    described alike, by its place among them (`placed`: "the left red circle"), else one of several as
    the listing counted them: a crowd region is a group ("a group of people", listed as "many
    people"; never "a person"), a stuff region an area ("sky", "trees": listed so, `region_noun`),
    any other object one of its kind ("a cup", "a pair of jeans", "grass")."""
    name = index.scene.names[i]
    ref = refs.get(i)
    if ref is not None:
        return ref.the, ref.plural, name
    if i in placed:
        return f"the {placed[i]}", takes_plural_verb(name), name
    if i in index.crowd:
        return with_article(plural(phrases[i])), False, plural(name)
    if i in index.stuff:
        text = region_noun(phrases[i])
        return text, takes_plural_verb(text), region_noun(name)
    return with_article(phrases[i]), False, name


def _caption_verb(predicate: str, noun: str, plural_verb: bool) -> str:
    """The verb phrase of a caption's relation sentence whose subject is named by `noun` and takes
    a plural verb or not: "are on", "holds"; a predicate that needs its subject's noun (`of`:
    `has_subject_free_phrase`) says it ("The leg is a leg of the table", "The jeans are jeans of
    the man", "Hair is part of the man"; "is of" is no English), one object of a name plural in
    form as the caption counted it ("A pair of jeans is a pair of jeans of the man")."""
    if has_subject_free_phrase(predicate):
        return relation_phrase_plural(predicate) if plural_verb else relation_phrase(predicate)
    if takes_plural_verb(noun) == plural_verb:
        return agreeing_relation_phrase(noun, predicate)
    # a singular mention of a name plural in form ("a group of people", "a pair of jeans"):
    # `agreeing_relation_phrase` would agree with the noun ("are people of")
    return f"is {with_article(noun)} {trim_predicate(predicate)}"
