"""The rationale of a caption of whole images: the objects it is built from, with their boxes.

A caption has no program steps to reason through (`describe_scene`, `describe_images` are one
node each), but it is built from the scene graph's objects, and a describer finds them first. Its
think block lists them, each with its box in the sample's box convention; the caption follows as
the answer:

    describe_scene   "There are 3 objects, from left to right: a small red circle at [...], a
                     large blue square at [...] and a small red circle at [...]."
    describe_images  "In Image 1: two circles at [...] and [...]; one square at [...]. In
                     Image 2: one circle at [...]."

So a reasoning export has one target format for every sample (`format_reward` 1.0 on captions
too), and what a model learns to write before a caption is grounded, never paraphrased. A caption
has no steps, so `process_reward` gives it None, as it does any sample without steps; free-form
scoring (`score-freeform`, eval's descriptions) reads the answer block only
(`answers.extract.answer_section`), so the list does not count as the description.

Objects are listed as the caption says them: `describe_scene` left to right (its order), a crowd
region as "many people", a stuff region by its noun ("sky"), all of them when the scene does not
annotate every name in full ("The annotated objects, from left to right: ..."); `describe_images`
by kind in alphabetical order, image by image, a kind being what the caption counts as one (names
that read alike, 'men' and 'group of men', are one kind, by the caption's own
`program.ops_multi._caption_kinds`: "two groups of men at [...] and [...]", never "a group of men"
beside "men" when the caption says "Both images contain exactly two groups of men."). At most
`MAX_OBJECTS` (12) of an image are listed with their boxes, the rest counted ("and 18 more
objects"; in a group, kinds past it by name and count, without boxes). Measured in tokens
(characters / 4) on 100 Visual Genome-shaped scenes (`benchmarks/_scenes.vg_shaped_scenes`,
groups=0.3), 20-49 objects each: with 30 boxes a scene's think block took 424 tokens (median) and
a group's 1,014 (max 1,404), as long as or longer than the caption after it (323 and 864); with
12, 180 and 605 (max 832). A group's list stays long because every kind the caption names is
named. The demo's scenes (at most 8 objects) list them all either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from veriscene.answers import format_box
from veriscene.program import ExecutionContext
from veriscene.program.context import SceneIndex
from veriscene.program.ops_multi import _caption_kinds  # the caption's own grouping of names
from veriscene.scene.describe import noun_phrase
from veriscene.text import counted, join_words, number_word
from veriscene.text_nouns import plural, region_noun, with_article

CAPTION_OPS = ("describe_scene", "describe_images")  # descriptions of whole images
MAX_OBJECTS = 12  # objects of an image listed with their boxes; more are counted (see the docstring)


def is_caption(program: Any) -> bool:
    """Whether `program` describes whole images (a caption), not one object or a question. A
    malformed program (not a list of nodes) is none: the checker refuses it where it is run."""
    return isinstance(program, list) and any(isinstance(node, Mapping) and node.get("op") in CAPTION_OPS
                                             for node in program)


def caption_rationale(program: Sequence[Mapping[str, Any]], ctx: ExecutionContext, box_format: str) -> str:
    """The think text of a caption program on `ctx`'s scenes (see the module docstring)."""
    node = next(node for node in program if node.get("op") in CAPTION_OPS)
    if node["op"] == "describe_scene":
        return _scene_objects(ctx, int(node["args"][0]), box_format)
    names = {name for k in range(len(ctx.scenes)) for name in ctx.index(k).by_name}
    kinds = _caption_kinds(names)  # kind (its first name) -> its names, over the whole group
    return " ".join(_image_objects(ctx, k, kinds, box_format) for k in range(len(ctx.scenes)))


def _box(ctx: ExecutionContext, image: int, i: int, box_format: str) -> str:
    scene = ctx.scene(image)
    return format_box([float(v) for v in scene.boxes[i]], (scene.width, scene.height), box_format)


def _more(listed: int, total: int) -> list[str]:
    return [f"{number_word(total - listed)} more object{'s' if total - listed != 1 else ''}"] if total > listed else []


def _scene_objects(ctx: ExecutionContext, image: int, box_format: str) -> str:
    """Every object of one image, left to right (the caption's order), with its box."""
    index: SceneIndex = ctx.index(image)
    scene = index.scene
    if len(scene) == 0:
        return "There are no annotated objects."
    centers = index.center_list
    order = sorted(range(len(scene)), key=lambda i: (centers[i][0], i))
    said = []
    for i in order[:MAX_OBJECTS]:
        phrase = noun_phrase(scene.names[i], sorted(scene.attributes[i]))
        what = f"many {plural(phrase)}" if i in index.crowd else region_noun(phrase) if i in index.stuff \
            else with_article(phrase)
        said.append(f"{what} at {_box(ctx, image, i, box_format)}")
    listed = join_words(said + _more(len(said), len(scene)))
    if index.regions or index.exhaustive is not None:  # no total: a region is several, or an area
        return f"The annotated objects, from left to right: {listed}."
    return f"There {'is' if len(scene) == 1 else 'are'} {len(scene)} object{'s' if len(scene) != 1 else ''}, " \
           f"from left to right: {listed}."


def _image_objects(ctx: ExecutionContext, image: int, kinds: Mapping[str, Sequence[str]], box_format: str) -> str:
    """One image of a group, kind by kind in alphabetical order (`kinds`: the caption's, of every
    image's names): how many, and their boxes."""
    index: SceneIndex = ctx.index(image)
    if not index.by_name:
        return f"In Image {image + 1}: no annotated objects."
    said, listed = [], 0
    for kind in sorted(kinds):
        members = sorted(i for name in kinds[kind] for i in index.by_name.get(name, ()))
        if not members:
            continue
        boxes = [_box(ctx, image, i, box_format) for i in members[:max(0, MAX_OBJECTS - listed)]]
        listed += len(boxes)
        if any(i in index.crowd for i in members):
            amount = f"many {plural(kind)}"
        else:
            amount = region_noun(kind) if any(i in index.stuff for i in members) else counted(len(members), kind)
        more = [f"{number_word(len(members) - len(boxes))} more"] if boxes and len(boxes) < len(members) else []
        said.append(amount + (f" at {join_words(boxes + more)}" if boxes else ""))
    return f"In Image {image + 1}: {'; '.join(said)}."
