"""The words the rule extractor (`claims.RuleExtractor`) reads a reply with: relation phrases,
nouns that name no object, verbs, determiners, stopwords and negators. Kept apart from the
extractor so that it reads top to bottom; all are lower-case single tokens unless said otherwise."""

from __future__ import annotations

# Relation phrases as people write them -> canonical predicate (longest phrases win).
PREDICATE_PHRASES: dict[str, str] = {
    "to the left of": "left of", "on the left of": "left of", "on the left side of": "left of",
    "left of": "left of", "at the left of": "left of", "to the left side of": "left of",
    "to the right of": "right of", "on the right of": "right of", "on the right side of": "right of",
    "right of": "right of", "at the right of": "right of", "to the right side of": "right of",
    "above": "above", "over": "above", "higher than": "above",
    "below": "below", "under": "below", "beneath": "below", "underneath": "below", "lower than": "below",
    "on top of": "on top of", "in front of": "in front of", "behind": "behind", "in back of": "behind",
    "near": "near", "next to": "near", "close to": "near", "beside": "near", "by": "near",
    "closer to the camera than": "in front of", "farther from the camera than": "behind",
}
GENERIC_NOUNS = frozenset({
    "object", "shape", "thing", "item", "figure", "element", "one", "image", "picture", "photo", "scene",
    "background", "foreground", "left", "right", "top", "bottom", "side", "middle", "center", "centre",
    "corner", "edge", "total", "number", "color", "colour", "size", "variety", "mix", "group", "set",
    "arrangement", "pair", "lot", "kind", "type", "way", "part", "view", "rest", "other", "another", "each",
})
# words that name no object, when they are not one of the scene's names: an unknown head noun among
# them states nothing ("a simple composition", "a detailed description"), and such an adjective
# before a head is skipped ("a simple red circle" is "a red circle")
NON_OBJECT_WORDS = frozenset({
    "composition", "description", "attribute", "detail", "collection", "assortment", "layout", "array",
    "range", "selection", "mixture", "combination", "display", "scattering", "pattern", "space", "area",
    "surface", "canvas", "region", "box", "location", "position", "distance", "order", "row", "column",
    "caption", "summary", "overview", "sense", "style", "appearance", "shade", "hue", "texture", "finish",
    "material", "relation", "relationship", "placement", "count", "amount", "difference", "similarity",
    "instance", "example", "word", "sentence", "question", "answer",
    "breakdown", "rundown", "list", "depiction", "representation", "glimpse",  # "here's a breakdown of"
    "simple", "various", "different", "detailed", "colorful", "colourful", "geometric", "abstract", "similar",
    "identical", "distinct", "single", "whole", "overall", "main", "visible", "random", "clear", "neat",
    "basic", "solid", "bright", "dark", "vivid", "flat", "uniform", "empty", "blank", "entire",
    "separate", "individual", "assorted", "mixed", "scattered", "remaining", "prominent", "notable",
    "central", "additional", "second", "third", "first", "last", "previous", "following",
    "given", "described", "shown", "specific", "particular", "certain",
    "unique", "common", "same", "such", "own", "nearby", "distant", "closest", "nearest", "farthest",
    # settings, not objects ("a living room", "a kitchen with a fridge"), where the scene names none
    "room", "kitchen", "bathroom", "bedroom", "office", "park", "city", "outdoors", "indoors", "setting",
    "environment", "landscape", "interior", "day", "daytime", "night", "weather", "atmosphere",
    # comparatives and places said of a part of the image ("the upper middle", "the far left")
    "upper", "lower", "far", "smaller", "larger", "bigger", "taller", "shorter", "light",
})
# verbs a reply says of an object, never its head noun ("an office desk made of wood holds a laptop")
VERBS = frozenset({"holds", "hold", "wears", "sits", "stands", "lies", "hangs", "leans", "rests", "watches",
                   "plays", "walks", "runs", "sleeps", "eats", "drinks", "carries", "rides", "looks", "faces",
                   "lets", "makes", "adds", "gives", "creates", "provides", "features", "depicts", "displays"})

COUNTABLE_GENERIC = frozenset({"object", "shape", "thing", "item", "figure", "element"})
DEFINITE = frozenset({"the", "this", "that", "these", "those", "its", "their", "both", "each", "every", "all"})
DETERMINERS = frozenset({"a", "an", "the", "this", "that", "these", "those", "some", "several", "many", "few",
                         "multiple", "both", "another", "one", "its", "their"})
# determiners of a new thing ("a lamp", "some chairs"; numbers too: `phrases.opens_indefinite`)
INDEFINITE = frozenset({"a", "an", "another", "some", "several", "many", "few", "multiple"})
STOPWORDS = frozenset({
    "is", "are", "was", "were", "be", "been", "being", "and", "or", "but", "of", "in", "on", "at", "to",
    "with", "as", "it", "its", "they", "them", "there", "here", "which", "that", "who", "while", "whereas",
    "also", "too", "very", "quite", "slightly", "just", "only", "than", "from", "into", "has", "have", "had",
    "shows", "show", "showing", "contains", "contain", "containing", "includes", "include", "including",
    "see", "seen", "can", "appears", "appear", "seems", "looks", "sits", "sit", "lies", "lie", "stands",
    "located", "positioned", "placed", "situated", "each", "all", "any", "not", "no", "none", "without",
    "nothing", "image", "what", "where", "other", "others", "same", "different", "i", "we", "you",
}) | DETERMINERS
NEGATORS = frozenset({"no", "not", "without", "never", "nor", "neither", "none"})
POSITIONS = frozenset({"left", "right", "top", "bottom", "middle", "leftmost", "rightmost", "topmost", "bottommost"})
EVERY = frozenset({"both", "all", "every", "each"})
# after "the" and a number, words that pick some of the objects ("the two smaller circles")
SUBSET_WORDS = frozenset({"smaller", "larger", "bigger", "taller", "shorter", "upper", "lower", "remaining",
                           "left", "right", "top", "bottom", "first", "last", "outer", "inner", "front", "back"})
NOT_NOUNS = frozenset({"longer", "doubt", "matter", "need", "way", "sure", "clear", "visible", "evidence",
                        # prepositions after an attribute word ("is running across the grass")
                        "across", "through", "along", "around", "toward", "towards", "past", "onto", "into",
                        "against", "among", "between", "within", "throughout", "upon", "up", "down", "away",
                        # hedges after an attribute word ("the cat is black probably": `hedges`)
                        "maybe", "possibly", "perhaps", "probably", "likely", "presumably", "apparently", "seemingly",
                        "supposedly", "potentially",
                        # modals after a relative "that" read as a determiner ("a dog that might be asleep")
                        "might", "may", "could", "would", "should", "must", "will", "shall"})
PRONOUNS = frozenset({"it", "them", "him", "her", "they", "its", "their"})
WHOLE_IMAGE = frozenset({"image", "picture", "photo", "scene"})  # "no dog in the image" is no qualifier
# verbs that say an attribute of the mention before them: "the circle is red", "it looks small"
ATTRIBUTE_VERBS = frozenset({"is", "are", "was", "were", "looks", "look", "appears", "appear", "seems", "seem"})
# words allowed between such a verb and its attributes: "is also very small", "are both red"
DEGREE_WORDS = frozenset({"also", "very", "quite", "rather", "fairly", "both", "all", "mostly", "entirely"})
