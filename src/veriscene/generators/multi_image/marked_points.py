"""multi.marked_point.v1: in which image does the marked point lie on a <name>? (family
multi_select; image_index; asked only with ``marks: true``).

Every image of a group of 2-4 carries one point drawn as a labelled mark (`veriscene.scene.marks`:
"A" on Image 1, "B" on Image 2, ...; images[k]["marks"]), and exactly one of the points lies on
an object of the name asked about. The program holds each as an `image_marked_point` (k, label,
x, y), asks `marked_on` of it and the image's objects of the name, and picks the one image where
it does (`select_image{n}`: it fails unless exactly one does). A reply may name the image ("Image
2", "the second image"), its mark ("B", "point B": `answers.mark_replies.labels_as_images`) or the
mark's point by coordinates ("(419, 50)", "(4, 419, 50)": `answers.mark_replies.image_points_named`,
read at each image's size, which the sample's ``meta["image_sizes"]`` gives).

The points are placed as the single-image point generators place theirs (segmentation.*,
depth.points.v1): on masks (on boxes alone: below), uniformly among the
points at least `margin_px` inside an object's visible mask, where no other mask lies
(`regions.PointSampler`), on the question's coordinate grid (`box_format`). As a mark covers the
pixels around its point, a point also lies a mark's reach or more inside its object (the ring
lies on it, the object seen around it), and only on an object whose box's shorter side is
`min_side_reaches` reaches or more (4, `scene.marks.fits_mark`, the rule of the single-image point
generators too: on a smaller one the mark would hide the shape asked about):

- the answer's point (the anchor's) lies on an object of the name, so chosen;
- every other image's lies on an object of another name, not one that may name the same thing
  (`vocabulary_draws.naming_same`: no "person" for "man"), more than two marks' reaches
  (`scene.marks.mark_reach`) from every box of the name: a mark drawn there covers no part of
  such an object, and its ring keeps as much again clear of it. The image annotates the name in full (`multi_image.common.counted`: on a data
  set of a closed category list, one of its names), so no unannotated one lies under the point,
  and holds no crowd or stuff region of it.

Scenes annotated with boxes alone (Visual Genome, GQA: no masks) are asked of boxes instead:
"In which image does the marked point lie inside the bounding box of a <name>?" (template group
"boxes", program `marked_in_box`), for every image of a group where one has no masks. Why not "on
a <name>": a box is not its object's outline, and no point inside a box is known to lie on the
object (any point strictly inside a box misses some shape with that box: a ring, an L, the gap
between a man's legs, the space under a table), so a point inside a box of the name, clear of
every other box, would still be a guess. Inside or outside the box is known, to within how
loosely the box was drawn, which the points keep away from:

- the answer's point lies in the middle of a box of the name: `BOX_INSET` (a quarter) of the
  box's width and height or more, and a mark's reach or more, from each of its edges, so a box
  drawn up to a quarter too wide on each side still holds it;
- every other image's lies as far inside a box of another name (not one alike), more than two
  marks' reaches from every box of the name (as on masks), in an image that annotates the name in
  full: the point is outside every box of the name, and a box drawn a little too tight or a mark
  drawn over the edge does not change that;
- the boxes the points lie in have their shorter side `min_side_reaches` reaches or more, as on
  masks;
- the names of a data set of boxes alone are its annotators' own, not a closed list of disjoint
  categories: a sign may be named "street sign". So every other image's point keeps as far from
  the boxes of names of the same head word (`same_head`: "street sign", "stop sign" beside
  "sign", and "sign" beside "street sign") as from the name's, and lies in none;
- a substance's boxes ("grass", "sky", "water": `text.is_uncountable`) are patches of it, and "the
  bounding box of grass" may as well be read as the rectangle around all of them: every other
  image's point keeps as far from that rectangle too, so it lies between no two patches.

Each mark's label goes at the corner of its ring where it hides the least of the object the point
lies on, then no small other object (``label_at``: `regions.label_corners`, as the single-image
point generators place theirs).

A group where some image offers no such point is not asked: counted as ``marks_unplaced:<generator>``
in the run's counts (``marks_unplaced_boxes:<generator>`` for a group asked of boxes). The marks
keep clear of each other by construction (one an image).

Off by default (``marks: false``): the generator then asks nothing (its ``per_scene`` is 0), and
runs without it make the very samples they made before it existed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Sequence

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Candidate, GeneratorConfig, GroupContext
from veriscene.generators.common import sample_up_to
from veriscene.generators.multi_image.common import GroupGenerator, alike_names, counted, objects_node, shuffled
from veriscene.generators.regions import PointSampler, label_corners, shown_point
from veriscene.generators.registry import register
from veriscene.generators.vocabulary_draws import name_kind
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import ExecutionContext, SceneIndex
from veriscene.scene.marks import LABELS, MIN_SIDE_REACHES, fits_mark, mark_reach
from veriscene.scene.model import Scene
from veriscene.text import is_uncountable, number_word, with_article

MARKS_UNPLACED = "marks_unplaced"  # groups not asked: an image offered no sound point (run counts)
MARKS_UNPLACED_BOXES = "marks_unplaced_boxes"  # the same, of groups asked of boxes (scenes without masks)
BOX_INSET = 0.25  # on boxes alone, a point lies this share of its box's width / height or more inside it


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class MarkedPointConfig(GeneratorConfig):
    marks: bool = False  # ask at all: one labelled mark drawn on each image (off: nothing asked)
    margin_px: int = 4  # a point lies this many pixels or more inside its object's visible mask ...
    # ... and a mark's reach or more (`scene.marks.mark_reach`: the ring lies on the object, its
    # edge seen around it), on an object whose box's shorter side is this many reaches or more
    # (a mark on a small object hides it: which shape lies under it could not be seen)
    min_side_reaches: float = MIN_SIDE_REACHES  # (`scene.marks.fits_mark`, as the single-image generators')

    def __post_init__(self) -> None:
        # asks nothing unless marks: true (module notes): its per_scene is then 0, so the runner never
        # calls it; set here, in the filled configuration itself, so that every reader of a
        # configuration (the card, resume's check) fills the same one. Options are applied over the
        # filled default (`generator_options`: marks: true over per_scene 0), so with marks a
        # per_scene of 0 is read as the default (to ask nothing, leave marks off).
        if not self.marks:
            if self.per_scene != 0:
                object.__setattr__(self, "per_scene", 0)
        elif self.per_scene == 0:
            object.__setattr__(self, "per_scene", GeneratorConfig.per_scene)


def _labels_said(n: int) -> str:
    """"A, B and C": the labels of n images, as a question lists them ("The images carry the
    marked points A, B and C, one each."; "A, B or C" read as one of them)."""
    labels = list(LABELS[:n])
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


def _far_from_boxes(p: Sequence[float], boxes: Sequence[Sequence[float]], reach: float) -> bool:
    """Whether point p (pixels) lies more than `reach` pixels from each of `boxes` (x0 y0 x1 y1)."""
    for x0, y0, x1, y1 in boxes:
        dx = max(x0 - p[0], 0.0, p[0] - x1)
        dy = max(y0 - p[1], 0.0, p[1] - y1)
        if math.hypot(dx, dy) <= reach:
            return False
    return True


def _head(name: str) -> str:
    """A name's head word: the last word of what one of its objects is (`name_kind`): "street
    signs" -> "sign", "t-shirt" -> "shirt"."""
    return re.split(r"[\s\-]+", name_kind(name).strip())[-1]


def same_head(names: Iterable[str], name: str) -> list[str]:
    """Those of `names`, other than `name`, whose head word is `name`'s (`_head`): "street sign"
    and "stop sign" beside "sign", "sign" beside "street sign". Such a name may name an object of
    `name` (a street sign is a sign), or one of its names another (a sign may be a street sign)."""
    head = _head(name)
    return sorted(n for n in names if n != name and _head(n) == head)


def marked_program(n: int, name: str, marks: Sequence[dict[str, Any]], on: str = "marked_on") -> list[dict[str, Any]]:
    """The program: per image k, whether its mark (`image_marked_point`) lies on an object named
    `name` (`marked_on`; `marked_in_box` on boxes alone: inside one's box); then the one image
    where it does (`select_image{n}`)."""
    b = ProgramBuilder()
    flags = []
    for k, mark in enumerate(marks):
        objs = objects_node(b, k, name)
        point = b.add("image_marked_point", args=[k, mark["label"], *mark["point"]])
        flags.append(b.add(on, objs, point))
    b.add(f"select_image{n}", *flags)
    return b.program


@mypyc_attr(allow_interpreted_subclasses=True)
class MarkedPointImage(GroupGenerator):
    """In which image does the marked point lie on an X? X is one of the anchor's names; the
    anchor's point lies on one of its X objects, each partner's on an object of another name,
    clear of every X (module notes)."""

    Config = MarkedPointConfig
    answer_type = "image_index"
    in_order = True  # the group is shuffled: the answer position is uniform by construction
    requires = ()  # masks where every image of the group has them, else boxes (module notes)
    description = ("In which of 2-4 images, each with one labelled point drawn on it, the point lies on an object "
                   "of a given name (on boxes alone: inside its bounding box) (with marks: true).")
    example_options = {"marks": True}  # `veriscene generators` shows its question with marks on (`catalog`)
    templates = {
        "default": (
            "Each image has one marked point. In which image does the marked point lie on {a_obj}?",
            "In which of the {n} images is the marked point on {a_obj}?",
            "The images carry the marked points {labels}, one each. Which image's marked point lies on {a_obj}?",
        ),
        # scenes of boxes alone (module notes): inside or outside a box is known, on or off the object is not
        "boxes": (
            "Each image has one marked point. In which image does the marked point lie inside the bounding box of "
            "{a_obj} (the smallest upright rectangle around it)?",
            "In which of the {n} images is the marked point within the bounding box of {a_obj}, the smallest "
            "upright rectangle enclosing it?",
            "The images carry the marked points {labels}, one each. Which image's marked point lies inside the "
            "bounding box of {a_obj} (the smallest upright rectangle around it)?",
        ),
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        if not self.config.marks:  # type: ignore[attr-defined]
            return
        index = ctx.index
        regions = index.region_names if index.regions else frozenset()
        names = [n for n in sorted(index.by_name) if n not in regions]
        for name in sample_up_to(ctx.rng, names, self.max_candidates):
            made = self._candidate(ctx, name)
            if made is not None:
                yield made

    def _candidate(self, ctx: GroupContext, name: str) -> Candidate | None:
        alike = alike_names(ctx, (name,))
        others = self.partners(ctx, self.group_size(ctx) - 1, accept=counted(names=(name,), alike=alike))
        if others is None:
            return None
        # on masks where every image has them, else on boxes (module notes)
        boxes = ctx.scene.masks is None or any(scene.masks is None for scene in others)
        place = self._box_point if boxes else self._point
        on = place(ctx, ctx.scene, ctx.index, lambda i: ctx.scene.names[i] == name, None)
        if on is None:
            ctx.count(MARKS_UNPLACED_BOXES if boxes else MARKS_UNPLACED)
            return None
        points = {ctx.scene.image_id: on}  # image -> (point, the object it lies on)
        for scene in others:
            found = self._off_point(ctx, scene, name, alike, boxes)
            if found is None:
                ctx.count(MARKS_UNPLACED_BOXES if boxes else MARKS_UNPLACED)
                return None
            points[scene.image_id] = found
        scenes = shuffled(ctx, [ctx.scene, *others])
        n = len(scenes)
        marks = []
        for k, s in enumerate(scenes):  # each label where it hides the least of its object (`regions.label_corners`)
            p, i = points[s.image_id]
            corner = label_corners(ExecutionContext.of_indexes([ctx.index_of(s)]), [p], [i])
            if corner is None:  # (no corner inside the image: counted as a point not placed)
                ctx.count(MARKS_UNPLACED_BOXES if boxes else MARKS_UNPLACED)
                return None
            marks.append({"label": LABELS[k], "point": p, "label_at": corner[0]})
        answer = next(k for k, s in enumerate(scenes) if s is ctx.scene)
        slots = {"a_obj": with_article(name), "n": number_word(n), "labels": _labels_said(n)}
        return Candidate(None, slots, "boxes" if boxes else "default", expected=answer,
                         distractors=[k for k in range(n) if k != answer], scenes=scenes,
                         build=partial(marked_program, n, name, marks, "marked_in_box" if boxes else "marked_on"),
                         marks=[{**mark, "image": k} for k, mark in enumerate(marks)],
                         # (a reply may give a mark's point by coordinates: read at its image's size)
                         meta={"image_sizes": [[s.width, s.height] for s in scenes]})

    def _off_point(self, ctx: GroupContext, scene: Scene, name: str, alike: Sequence[str],
                   boxes: bool) -> tuple[list[float], int] | None:
        """A point of `scene` on an object of another name than `name` (nor one of `alike`), more
        than two marks' reaches from every box of `name` or `alike` (None: none found): on masks
        (`_point`), or with `boxes` inside boxes (`_box_point`), where the names of `name`'s head
        word (`same_head`) are kept clear of too."""
        index = ctx.index_of(scene)
        if name in (index.region_names if index.regions else ()):
            return None
        taken = {name, *alike}
        if boxes:  # (names of boxes alone are the annotators': module notes)
            taken.update(same_head(index.by_name, name))
        clear = [index.box_list[i] for n in taken for i in index.by_name.get(n, ())]
        if boxes and clear and is_uncountable(name):  # (grass in patches: the rectangle around all too)
            clear.append([min(b[0] for b in clear), min(b[1] for b in clear),
                          max(b[2] for b in clear), max(b[3] for b in clear)])
        reach = 2.0 * mark_reach(scene.width, scene.height)  # (the ring, and as much again, clear of them)
        place = self._box_point if boxes else self._point
        return place(ctx, scene, index, lambda i: scene.names[i] not in taken,
                     lambda p: _far_from_boxes(p, clear, reach))

    def _point(self, ctx: GroupContext, scene: Scene, index: SceneIndex, pick: Any,
               keep: Any) -> tuple[list[float], int] | None:
        """A point on the interior of one of `scene`'s objects `pick` accepts (tried in a random
        order, at most 3), for which `keep` (None: any) holds, and that object; None when none is
        found."""
        if scene.masks is None:
            return None
        config: MarkedPointConfig = self.config  # type: ignore[assignment]
        reach = mark_reach(scene.width, scene.height)
        boxes, width, height, least = index.box_list, scene.width, scene.height, config.min_side_reaches
        objects = [i for i in range(len(scene.names)) if scene.masks[i] is not None and pick(i)
                   and fits_mark(boxes[i], width, height, least)]
        sampler = PointSampler(ExecutionContext.of_indexes([index]), config.box_format,
                               margin_px=max(config.margin_px, reach))
        for i in sample_up_to(ctx.rng, objects, 3):
            found = sampler.sample(ctx.rng, i)
            if found is not None and (keep is None or keep(found[0][1])):
                return found[0][1], i
        return None

    def _box_point(self, ctx: GroupContext, scene: Scene, index: SceneIndex, pick: Any,
                   keep: Any) -> tuple[list[float], int] | None:
        """A point in the middle of the box of one of `scene`'s objects `pick` accepts (tried in
        a random order, at most 3; one point drawn in each), `BOX_INSET` of the box's sides and a
        mark's reach or more inside it, on the question's coordinate grid, for which `keep` (None:
        any) holds, and that object; None when none is found. For scenes of boxes alone (module notes)."""
        config: MarkedPointConfig = self.config  # type: ignore[assignment]
        reach = mark_reach(scene.width, scene.height)
        boxes, width, height, least = index.box_list, scene.width, scene.height, config.min_side_reaches
        objects = [i for i in range(len(scene.names)) if pick(i) and fits_mark(boxes[i], width, height, least)]
        for i in sample_up_to(ctx.rng, objects, 3):
            x0, y0, x1, y1 = boxes[i]
            dx, dy = max(reach, BOX_INSET * (x1 - x0)), max(reach, BOX_INSET * (y1 - y0))
            lo_x, hi_x, lo_y, hi_y = x0 + dx, x1 - dx, y0 + dy, y1 - dy
            if lo_x > hi_x or lo_y > hi_y:
                continue
            x = lo_x + float(ctx.rng.random()) * (hi_x - lo_x)
            y = lo_y + float(ctx.rng.random()) * (hi_y - lo_y)
            _, p = shown_point(scene, (x, y), config.box_format)
            if lo_x <= p[0] <= hi_x and lo_y <= p[1] <= hi_y and (keep is None or keep(p)):
                return p, i
        return None


register("multi.marked_point.v1", family="multi_select")(MarkedPointImage)