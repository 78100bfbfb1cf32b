"""What a free-form reply states, as an extractor gives it and the scorer checks it: a `Claim`
of one of five kinds about `Mention`s (a name plus every attribute said with it), tied to the
images its wording names, if any. The kinds and how they are read: `claims`. An extractor that
cannot read a reply's claims gives None for it, or `Unread` saying why."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from veriscene.evaluate.freeform.image_refs import ImageScope


@dataclass(frozen=True)
class Mention:
    name: str
    attributes: tuple[str, ...] = ()
    count: int | None = None
    every: bool = False  # "both circles", "all the squares": what is said of it holds of each
    hedged: bool = field(default=False, compare=False)  # said with a hedge ("there might be a cup": `hedges`)

    @property
    def phrase(self) -> str:
        return " ".join([*self.attributes, self.name])


@dataclass(frozen=True)
class Claim:
    kind: str  # "entity" | "attribute" | "relation" | "count" | "absent" ("there is no dog")
    subject: Mention
    attribute: str | None = None
    predicate: str | None = None
    object: Mention | None = None
    count: int | None = None
    images: ImageScope | None = None  # the images the wording names; None: some image of the sample
    hedged: bool = False  # said with a hedge ("there might be a dog"): `hedges.HEDGED_WEIGHT` of its tuple
    # a relation a reader may say of other nouns than `subject` too ("a man on a motorcycle next
    # to a bus": the motorcycle; `attachable`): those mentions, in the order said
    alternatives: tuple[Mention, ...] = ()

    @property
    def text(self) -> str:
        return (("maybe " if self.hedged else "") + self.statement
                + (f" [{_scope_text(self.images)}]" if self.images is not None else ""))

    @property
    def statement(self) -> str:
        """The claim without the images it is tied to."""
        if self.kind == "entity":
            return self.subject.name
        if self.kind == "attribute":
            return f"{'every ' if self.subject.every else ''}{self.subject.name} is {self.attribute}"
        if self.kind == "count":
            return f"{self.count} x {self.subject.phrase}"
        if self.kind == "absent":
            return f"no {self.subject.name}"
        assert self.object is not None
        said = [self.subject.phrase, *(m.phrase for m in self.alternatives)]
        subject = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} or {said[-1]}"  # "A, B or C"
        return f"{subject} {self.predicate} {self.object.phrase}"

    def readings(self) -> list[Claim]:
        """The claim as said of each noun it may be said of (itself when there is one)."""
        if not self.alternatives:
            return [self]
        return [replace(self, subject=m, alternatives=()) for m in (self.subject, *self.alternatives)]


def _scope_text(scope: ImageScope) -> str:
    if scope.every:
        return "every image"
    return "image " + ", ".join(str(i + 1) for i in scope.images)


@dataclass(frozen=True)
class Unread:
    """An extractor's answer for a reply that gives no claims, and why (the field of the model's
    JSON at fault: `llm_claims.parse_claims`). The reply is rejected with the reason, never
    scored as one without claims."""

    reason: str
