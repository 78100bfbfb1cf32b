"""COCO's categories as the reader takes them: names made plain for stuff classes (panoptic's
'sky-other-merged', COCO-Stuff's 'wall-brick'), stuff told from things (`isthing`, or COCO-Stuff's
classes by id and name), COCO-Stuff's merged class 183 "other" left out, the categories an LVIS
image annotates in full (`_exhaustive`), and the id of a file's category list (`category_set`). See
`coco` for the format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from veriscene.category_sets import category_set_id
from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext, bad, object_id


_STUFF_SUFFIXES = ("-merged", "-other", "-stuff")
# COCO-Stuff's "wall-brick" is a brick wall; other hyphenated names ("t-shirt", "floor-lamp") stay
_SURFACES = ("wall", "floor", "ceiling")
_MATERIALS = ("brick", "concrete", "marble", "panel", "stone", "tile", "wood")
_STUFF_WORDS = {"playingfield": "playing field", "window-blind": "window blind"}


def stuff_name(raw: str) -> str:
    """The plain name of a COCO panoptic or COCO-Stuff class: 'sky-other-merged' -> 'sky',
    'wall-brick' -> 'brick wall', 'door-stuff' -> 'door', 'playingfield' -> 'playing field'.
    Other names are returned unchanged."""
    name = raw
    while name.endswith(_STUFF_SUFFIXES) and len(name) > len("-other"):
        name = name.rsplit("-", 1)[0]
    head, _, tail = name.partition("-")
    if head in _SURFACES and tail in _MATERIALS:
        name = f"{tail} {head}"
    return _STUFF_WORDS.get(name, name) or raw


# COCO-Stuff's stuff classes, ids 92 to 182 in this order. Its files give no ``isthing``: a
# category is taken for a stuff class when its id and name are those of one. Its class 183,
# "other", is every thing pixel merged into one region (not an object): such annotations are
# skipped and counted (`merged_things_skipped`).
COCO_STUFF_CLASSES = (
    "banner blanket branch bridge building-other bush cabinet cage cardboard carpet ceiling-other ceiling-tile "
    "cloth clothes clouds counter cupboard curtain desk-stuff dirt door-stuff fence floor-marble floor-other "
    "floor-stone floor-tile floor-wood flower fog food-other fruit furniture-other grass gravel ground-other hill "
    "house leaves light mat metal mirror-stuff moss mountain mud napkin net paper pavement pillow plant-other "
    "plastic platform playingfield railing railroad river road rock roof rug salad sand sea shelf sky-other "
    "skyscraper snow solid-other stairs stone straw structural-other table tent textile-other towel tree vegetable "
    "wall-brick wall-concrete wall-other wall-panel wall-stone wall-tile wall-wood water-other waterdrops "
    "window-blind window-other wood"
).split()
_COCO_STUFF_FIRST = 92
_MERGED_THINGS = ("183", "other")


def _merged_things(cat: Any) -> bool:
    """Whether a category is COCO-Stuff's class 183, "other" (all thing pixels as one region)."""
    return isinstance(cat, dict) and (str(cat.get("id")), cat.get("name")) == _MERGED_THINGS and "isthing" not in cat


def _isthing(cid: str, raw: Any, cat: dict[str, Any]) -> bool:
    """A category's ``isthing``, or, when it has none, whether it is not one of COCO-Stuff's stuff
    classes (matched by id and name)."""
    if "isthing" in cat:
        return bool(cat["isthing"])
    k = int(cid) - _COCO_STUFF_FIRST if cid.isdigit() else -1
    return not (0 <= k < len(COCO_STUFF_CLASSES) and COCO_STUFF_CLASSES[k] == raw)


def _categories(data: dict[str, Any], ctx: ReadContext) -> tuple[dict[str, tuple[str, bool]], dict[str, str]]:
    """(category id -> (normalised name, isthing), category id -> why its annotations are refused).
    Stuff classes named like COCO's ('sky-other-merged') get their plain names (`stuff_name`).
    COCO-Stuff's merged thing region (`_MERGED_THINGS`) is left out: its annotations are skipped.
    An id listed twice (files merged by hand) is harmless with one name (counted as
    `duplicate_categories_ignored`); with two, which name its objects have is unknown: a file
    reject names both, and its annotations are refused with that reason. A category rejected (a
    name null or no text) whose id is read and given by no other entry: its annotations are refused
    as that category's, not as of an unknown id."""
    out: dict[str, tuple[str, bool]] = {}
    conflicts: dict[str, str] = {}
    where: dict[str, int] = {}  # category id -> index of its first entry
    rejected: dict[str, str] = {}  # category id -> why its entry was rejected (see the end)
    listed = data.get("categories")
    if listed is None:
        listed = []
    elif not isinstance(listed, list):  # its annotations are then rejected: no category is known
        ctx.file_error(bad(f"'categories' must be a list of {{id, name}}, got {type(listed).__name__} {listed!r}"[:200],
                           "categories").located(ctx.source, "categories"))
        listed = []
    for k, cat in enumerate(listed):
        field = f"categories[{k}]"
        cid = None
        try:
            if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
                raise bad(f"category must be {{id, name}}, got {cat!r}"[:200], field)
            cid = object_id(cat["id"], field + ".id")
            raw = cat["name"]
            if _merged_things(cat):
                continue
            isthing = _isthing(cid, raw, cat)
            raw = stuff_name(raw) if isinstance(raw, str) else raw
            entry = (ctx.name(raw, field + ".name"), isthing)
            if cid in conflicts:
                raise bad(f"{conflicts[cid]}; and again as {entry[0]!r}", field + ".id")
            if cid in out:
                if out[cid] == entry:
                    ctx.report.count("duplicate_categories_ignored")
                    continue
                conflicts[cid] = (f"category id {cid} is listed twice with different names: categories[{where[cid]}] "
                                  f"{out.pop(cid)[0]!r}, categories[{k}] {entry[0]!r}")
                raise bad(f"{conflicts[cid]}; the annotations of category {cid} are rejected", field + ".id")
            out[cid], where[cid] = entry, k
        except SceneValidationError as exc:
            ctx.file_error(exc.located(ctx.source, "categories"))
            if cid is not None and cid not in conflicts:
                rejected.setdefault(cid, f"category_id {cid} is that of {field}, rejected ({exc.reason}): its "
                                         "annotations are rejected with it")
    for cid, why in rejected.items():
        if cid not in out:  # (another entry of the id, read: its annotations have that one's name)
            conflicts.setdefault(cid, why)
    return _plain_names(out), conflicts


# LVIS names a category by a WordNet lemma that English says otherwise: "jean" is a pair of jeans,
# and "glass (drink container)" without its qualifier would be "glasses" that read as spectacles.
_LVIS_NAMES = {"jean": "jeans", "glass (drink container)": "drinking glass"}


def _plain_names(cats: dict[str, tuple[str, bool]]) -> dict[str, tuple[str, bool]]:
    """The categories with LVIS's qualifiers dropped where no other category shares the name
    before them: 'orange (fruit)' -> 'orange', 'bus (vehicle)' -> 'bus' (questions said "an orange
    (fruit)", "two buses (vehicle)"), while 'bow (weapon)' and 'bow (decorative ribbons)' keep
    theirs, as 'bat (animal)' does beside a category 'bat'. LVIS's 'jean' is 'jeans' and its
    'glass (drink container)' a 'drinking glass' (`_LVIS_NAMES`)."""
    def base(name: str) -> str:
        i = name.rfind(" (")
        return name[:i] if name.endswith(")") and i > 0 else name
    bases = Counter(base(name) for name in {_LVIS_NAMES.get(name, name) for name, _ in cats.values()})
    out = {}
    for cid, (name, isthing) in cats.items():
        name = _LVIS_NAMES.get(name, name)
        plain = base(name)
        name = plain if plain != name and bases[plain] == 1 else name
        out[cid] = (name, isthing)
    return out


_LVIS_KEYS = ("neg_category_ids", "not_exhaustive_category_ids")


def _exhaustive(image: dict[str, Any], anns: list[Any], names: list[str], cats: dict[str, tuple[str, bool]],
                refused: Mapping[str, str] | None = None) -> tuple[list[str], int]:
    """(the names an LVIS image annotates in full, sorted; how many ids its lists name that are
    `refused`). The names: its categories with annotations, except the ones LVIS marks
    `not_exhaustive_category_ids` and any with an annotation dropped here, plus the ones verified
    absent (`neg_category_ids`).

    `refused` are the category ids whose entries the file lists but the reader refused (a name
    null or no text, one id given two names: `_categories`' second result). Such a category has
    no name a question could say, or two: a question about it is unsound (its absence said of
    the wrong name), so a list naming it leaves it out, in either list (its annotations are
    refused too, so no kept name depends on it), and the image is kept. It was rejected as
    naming an "unknown category_id (not in categories)"."""
    refused = refused or {}
    dropped = 0
    listed: dict[str, set[str]] = {}
    for key in _LVIS_KEYS:
        ids = image.get(key)
        if ids is None:  # (0, "" and {} are refused below)
            ids = []
        if not isinstance(ids, list):
            raise bad(f"{key} must be a list of category ids, got {ids!r}"[:200], key)
        listed[key] = set()
        for k, raw in enumerate(ids):
            cid = object_id(raw, f"{key}[{k}]")
            if cid in refused and cid not in cats:
                dropped += 1
                continue
            if cid not in cats:
                raise bad(f"unknown category_id {cid} (not in categories)", f"{key}[{k}]")
            listed[key].add(cats[cid][0])
    ids = (str(ann.get("category_id")) for ann in anns if isinstance(ann, dict))
    wanted = Counter(cats[cid][0] for cid in ids if cid in cats)
    kept = Counter(names)
    full = {name for name, n in kept.items() if n == wanted.get(name)} - listed["not_exhaustive_category_ids"]
    return sorted(full | (listed["neg_category_ids"] - set(kept))), dropped


def category_set(cats: dict[str, tuple[str, bool]]) -> str:
    """The id of a file's categories, its scenes' ``meta["category_set"]``: how many names, and
    the first 16 hex digits of the SHA-256 of them sorted, one a line ("80:1c6d...";
    `veriscene.category_sets.category_set_id`). Files of one data set share it (COCO's train and
    val instances), other category lists differ (COCO panoptic's 133, Objects365's 365), so a
    scorer gathers each list's names apart from the others' (`veriscene.evaluate.freeform.score`).
    The list itself is written into the first scene of the file only (`category_names`):
    Objects365's 1.7 M scenes would carry 365 names each."""
    return category_set_id(name for name, _ in cats.values())


def category_names(cats: dict[str, tuple[str, bool]]) -> list[str]:
    """A file's category names, sorted (``meta["categories"]`` of its first scene)."""
    return sorted({name for name, _ in cats.values()})
