"""Logic and comparison ops: integers compared, sets combined (`union`, `intersect`,
`difference`, with the completeness rules of `veriscene.program.ops`), booleans, equality of
values, of attribute words up to synonyms (`same_attribute`) and of objects."""

from __future__ import annotations

from veriscene.program.context import ExecutionContext
from veriscene.program.ops import COMPARISONS, _same_image, fail, no_region, sparse
from veriscene.program.registry import op
from veriscene.program.types import (
    ANY,
    BOOL,
    INT,
    OBJECT,
    OBJECTS,
    STR,
    Obj,
    Objs,
    OpenNames,
    open_words,
)
from veriscene.vocab import attribute_class


@op("compare_int", inputs=[INT, INT], args=[COMPARISONS], out=BOOL)
def compare_int(ctx: ExecutionContext, a: int, b: int, how: str) -> bool:
    """a > b, a < b or a == b."""
    return a > b if how == "greater" else a < b if how == "less" else a == b


@op("union", inputs=[OBJECTS, OBJECTS], out=OBJECTS)
def union(ctx: ExecutionContext, a: Objs, b: Objs) -> Objs:
    """Objects in either set."""
    _same_image(a, b)
    return Objs(a.image, tuple(sorted(set(a.idx) | set(b.idx))), a.complete and b.complete)


@op("intersect", inputs=[OBJECTS, OBJECTS], out=OBJECTS)
def intersect(ctx: ExecutionContext, a: Objs, b: Objs) -> Objs:
    """Objects in both sets."""
    _same_image(a, b)
    keep = set(b.idx)
    # the objects of a complete set are all annotated: the other set's test is exact on them
    # (unless the other set was filtered by sparse attributes or relations: never on such scenes)
    complete = a.complete and b.complete if ctx.index(a.image).sparse else a.complete or b.complete
    return Objs(a.image, tuple(i for i in a.idx if i in keep), complete)


@op("difference", inputs=[OBJECTS, OBJECTS], out=OBJECTS)
def difference(ctx: ExecutionContext, a: Objs, b: Objs) -> Objs:
    """Objects of the first set not in the second."""
    _same_image(a, b)
    if not b.complete and ctx.index(a.image).sparse:
        # "the cars that are not red": a car without "red" annotated may be red
        sparse(a.image, "attributes or relations", "which objects are outside the second set")
    drop = set(b.idx)
    return Objs(a.image, tuple(i for i in a.idx if i not in drop), a.complete)


@op("as_set", inputs=[OBJECT], out=OBJECTS)
def as_set(ctx: ExecutionContext, obj: Obj) -> Objs:
    """The one-object set {obj}."""
    return Objs(obj.image, (obj.index,))


@op("and", inputs=[BOOL, BOOL], out=BOOL)
def and_(ctx: ExecutionContext, a: bool, b: bool) -> bool:
    """Logical and."""
    return a and b


@op("or", inputs=[BOOL, BOOL], out=BOOL)
def or_(ctx: ExecutionContext, a: bool, b: bool) -> bool:
    """Logical or."""
    return a or b


@op("not", inputs=[BOOL], out=BOOL)
def not_(ctx: ExecutionContext, a: bool) -> bool:
    """Logical not."""
    return not a


@op("equal", inputs=[ANY, ANY], out=BOOL)
def equal(ctx: ExecutionContext, a: object, b: object) -> bool:
    """Equality of two values of the same type (fails on a set of words that may hold more:
    `OpenNames`)."""
    if a.__class__ is OpenNames or b.__class__ is OpenNames:
        fail("whether the sets are equal is unknown: an image of a closed category list (meta.category_set) "
             f"may show {sorted(open_words(a) | open_words(b))[:3]}, unannotated")
    return a == b


@op("same_attribute", inputs=[STR, STR], out=BOOL)
def same_attribute(ctx: ExecutionContext, a: str, b: str) -> bool:
    """Whether two attribute words name one value: equal, or synonyms ("big" and "large";
    `vocab.attribute_class`). Words of overlapping classes ("big", "huge") are not one value."""
    return a == b or attribute_class(a) == attribute_class(b)


@op("same_object", inputs=[OBJECT, OBJECT], out=BOOL)
def same_object(ctx: ExecutionContext, a: Obj, b: Obj) -> bool:
    """Whether two references denote the same object."""
    if ctx.has_regions:
        for o in (a, b):
            no_region(ctx, o.image, (o.index,), "whether two references denote one object")
    return a == b
