"""multi.exists_all.v1: is there an X in every image? (family multi_aggregate; bool, yes and no
groups drawn for every X)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.common import sample_up_to
from veriscene.generators.multi_image.common import GroupGenerator, alike_names, exists_node, folded, missing, shuffled
from veriscene.generators.multi_image.sets import every_image
from veriscene.generators.registry import register
from veriscene.text import number_word, unit_phrase, with_article


@mypyc_attr(allow_interpreted_subclasses=True)
class ExistsInAll(GroupGenerator):
    """Is there an X in every image? For an anchor name X: a "yes" group (partners from
    `with_name(X)`) and a "no" group (one partner lacking X, the others with X); both or neither
    are proposed, so yes/no stays balanced."""

    answer_type = "bool"
    description = "Whether every one of 2-4 images contains an object of a given name."
    # `obj` is one object as "at least one" takes it (`unit_phrase`): "at least one patch of
    # grass", "at least one pair of jeans", "at least one group of trees", never "one grass";
    # `all` is "both" for two images ("Do the two images both show ...")
    templates = {
        "default": (
            "Is there {a_obj} in {every_image}?",
            "Does each of the {n} images contain {a_obj}?",
            "Do the {n} images {all} show at least one {obj}?",
        )
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        for name in sample_up_to(ctx.rng, sorted(ctx.index.by_name), 2):
            with_x = ctx.pool.with_name(name)
            n_yes, n_no = self.group_size(ctx), self.group_size(ctx)
            yes = self.partners(ctx, n_yes - 1, among=with_x)
            lacking = self.partners(ctx, 1, accept=missing(names=(name,), alike=alike_names(ctx, (name,))))
            no = None if lacking is None else self.partners(ctx, n_no - 2, among=with_x,
                                                            exclude=[s.image_id for s in lacking])
            if yes is None or no is None or lacking is None:
                continue
            for others, expected in ((yes, True), (lacking + no, False)):
                n = len(others) + 1
                yield Candidate(None, {"a_obj": with_article(name), "obj": unit_phrase(name), "n": number_word(n),
                                 "all": "both" if n == 2 else "all", "every_image": every_image(n)},
                                expected=expected, distractors=[not expected],
                                scenes=shuffled(ctx, [ctx.scene, *others]),
                                build=partial(folded, n, partial(exists_node, name=name), "and"))


register("multi.exists_all.v1", family="multi_aggregate")(ExistsInAll)
