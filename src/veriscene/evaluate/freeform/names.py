"""Object names a reply and a scene graph may use for one thing, for free-form scoring.

    name_class      synonyms read as one name: "sofa" and "couch", "automobile" and "car", COCO's
                    "dining table" and "table", "sports ball" and "ball", "tv" and "television"
                    (`generators.vocabulary_draws.NAME_SYNONYMS` plus the wordings of replies below)
    broader_of      the names a broader name covers: "person" covers man, woman, boy, ... (a reply's
                    "two people" counts the man and the woman); a narrower name said of an object
                    annotated by the broader one ("a man" where COCO says "person") is left open
"""

from __future__ import annotations

from functools import lru_cache

from veriscene.generators.vocabulary_draws import BROADER_NAMES, NAME_SYNONYMS

# Names replies use for what the annotation calls otherwise (COCO's category names mostly); the
# first of each group is the class's name. Only words that name the same kind of thing.
_REPLY_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("car", "automobile", "auto"), ("couch", "sofa", "settee"), ("tv", "television", "tv set"),
    ("table", "dining table"), ("ball", "sports ball", "sport ball"), ("plant", "potted plant", "houseplant"), ("cell phone", "phone", "cellphone", "mobile phone"),
    ("airplane", "plane", "aeroplane", "jet"), ("bicycle", "bike"), ("motorcycle", "motorbike"),
    ("hair drier", "hair dryer"), ("laptop", "notebook computer"), ("refrigerator", "fridge"),
    ("monitor", "computer screen", "computer monitor"),
    # the demo world's shiny circles are drawn shaded: models call them spheres
    ("circle", "sphere", "orb"),
)


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    out: dict[str, str] = {}
    for group in (*_REPLY_SYNONYMS, *NAME_SYNONYMS):
        head = next((out[w] for w in group if w in out), group[0])
        for word in group:
            out.setdefault(word, head)
    return out


def name_class(name: str) -> str:
    """The name a (normalised) object name is read as: its synonym class's, else itself."""
    return _classes().get(name, name)


@lru_cache(maxsize=1)
def _broader() -> dict[str, frozenset[str]]:
    return {name_class(b): frozenset(name_class(n) for n in narrow) for b, narrow in BROADER_NAMES.items()}


def covers(broad: str, name: str) -> bool:
    """Whether an object annotated `name` may be called `broad` (classes of both): itself, or a
    narrower name under it ("person" covers "man")."""
    return broad == name or name in _broader().get(broad, ())


def broader_of(name: str) -> frozenset[str]:
    """The broader names over `name` ("man" -> person)."""
    return frozenset(b for b, narrow in _broader().items() if name in narrow)
