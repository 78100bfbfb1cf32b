"""Intermediate results of a sample's program, in words: the targets of step-level checks.

A multi-hop question ("Where is the hexagon to the right of the shiny square?") is answered by a
program whose intermediate nodes are facts a correct reasoning trace passes through: the shiny
square (the anchor), the hexagon right of it, and so on. `program_steps` runs the program with
`veriscene.program.run_nodes` and turns the intermediate values into `Step`s:

    kind      value (JSON)                                           from node types
    object    {"name", "attributes", "box": [x0, y0, x1, y1] px}     Object, or a set of one
    objects   {"name": common name | null, "count": k,               Objects (k != 1)
               "boxes": [[x0, y0, x1, y1] px, ...]}
    (in a multi-image program, both with "image": the 0-based image the boxes are in)
    count     int (and "name" of what was counted, when common)      Int
    bool      true / false                                           Bool
    value     str                                                    Str
    values    sorted list of str                                     StrSet

Which nodes become steps (`select`):
    "key"  (default) conclusions: every Object (`unique`, `extreme`), relation result
           (`relate`, `filter_relation`), one-object set used as the anchor of a relation, count,
           bool and query value; other filter results are search spaces and are left out
    "all"  every node except `scene`
The `scene` nodes, `describe_scene` and the final node (the answer, scored by the accuracy
reward) are never steps; a node denoting the same objects as an earlier step is not repeated.
Each step has `text`, a phrase such as ``the shiny square at [0.10, 0.20, 0.30, 0.40]`` with
boxes in the sample's box convention, each normalised by the size of its own image (images of a
multi-image sample may differ in size), for reference traces and SFT data (`reference_trace`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from veriscene.answers import format_box
from veriscene.program import ExecutionContext, Obj, Objs, check_program, run_nodes
from veriscene.program.types import BOOL, INT, OBJECT, OBJECTS, STR, STR_SET
from veriscene.scene.describe import noun_phrase
from veriscene.scene.model import Scene
from veriscene.text import counted, plural

SELECTIONS = ("key", "all")
_RELATION_OPS = ("relate", "filter_relation")
_NEVER = ("scene", "describe_scene")


@dataclass(frozen=True)
class Step:
    """One intermediate result: program node index, its op, kind, JSON value and words."""

    node: int
    op: str
    kind: str
    value: Any
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Step:
        return cls(node=int(d["node"]), op=str(d["op"]), kind=str(d["kind"]), value=d["value"], text=str(d["text"]))


@dataclass(frozen=True)
class StepContext:
    """What step words need: the box convention and the image size to render boxes in."""

    box_format: str = "norm1"
    image_size: tuple[int, int] | None = None

    def box(self, pixels: Sequence[float]) -> str:
        fmt = self.box_format if self.image_size is not None else "pixel"
        return format_box(pixels, self.image_size, fmt)


def _object_value(scene: Scene, i: int) -> dict[str, Any]:
    return {"name": scene.names[i], "attributes": sorted(scene.attributes[i]),
            "box": [round(float(v), 2) for v in scene.boxes[i]]}


def _common_name(scene: Scene, idx: Sequence[int]) -> str | None:
    names = {scene.names[i] for i in idx}
    return names.pop() if len(names) == 1 else None


def _step(node: int, op_name: str, type_name: str, value: Any, ctx: ExecutionContext,
          words: Sequence[StepContext], inputs: Sequence[Any]) -> Step | None:
    """`words[k]`: how boxes of image k are said."""
    where = {"image": value.image} if len(words) > 1 and isinstance(value, (Obj, Objs)) else {}
    if type_name == OBJECT or (type_name == OBJECTS and len(value.idx) == 1):
        obj = value if isinstance(value, Obj) else Obj(value.image, value.idx[0])
        v = _object_value(ctx.scene(obj.image), obj.index)
        text = f"the {noun_phrase(v['name'], v['attributes'])} at {words[obj.image].box(v['box'])}"
        return Step(node, op_name, "object", {**v, **where}, text)
    if type_name == OBJECTS:
        scene = ctx.scene(value.image)
        # an empty set is named after the set it was filtered from (inputs[0]), never after the
        # objects a relation is to: "no stars" above the hexagons, not "no hexagons"
        name = _common_name(scene, value.idx) if value.idx else _filtered_name(inputs[:1], ctx)
        boxes = [_object_value(scene, i)["box"] for i in value.idx]
        noun = name or "object"
        text = counted(len(boxes), noun) if boxes else f"no {plural(noun)}"
        if boxes:
            text += " at " + ", ".join(words[value.image].box(b) for b in boxes)
        return Step(node, op_name, "objects", {"name": name, "count": len(boxes), "boxes": boxes, **where}, text)
    if type_name == INT:
        name = _filtered_name(inputs, ctx)
        v_int = int(value)
        return Step(node, op_name, "count", {"count": v_int, "name": name},
                    counted(v_int, name) if name else f"{v_int}")
    if type_name == BOOL:
        return Step(node, op_name, "bool", bool(value), "yes" if value else "no")
    if type_name == STR:
        return Step(node, op_name, "value", str(value), str(value))
    if type_name == STR_SET:
        items = sorted(str(v) for v in value)
        return Step(node, op_name, "values", items, ", ".join(items) or "none")
    return None  # Box / Point / Image / Text intermediates are not stated as steps


def _filtered_name(inputs: Sequence[Any], ctx: ExecutionContext) -> str | None:
    """The common name of the objects a count / empty set was computed from, when known."""
    for v in inputs:
        if isinstance(v, Objs) and v.idx:
            return _common_name(ctx.scene(v.image), v.idx)
    return None


def _name_filters(program: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Node -> the object name a chain of filters restricts to (for empty sets and counts)."""
    names: dict[int, str] = {}
    for i, node in enumerate(program):
        if node["op"] == "filter_name":
            names[i] = str(node["args"][0])
        elif node["op"] in ("filter_attribute", "filter_relation", "intersect", "difference") and node["inputs"]:
            if node["inputs"][0] in names:
                names[i] = names[node["inputs"][0]]
        elif node["op"] in ("count", "exists") and node["inputs"][0] in names:
            names[i] = names[node["inputs"][0]]
    return names


def program_steps(program: Sequence[Mapping[str, Any]], scenes: Scene | Sequence[Scene] | ExecutionContext,
                  *, box_format: str = "norm1", image_size: Sequence[int] | None = None,
                  select: str = "key") -> list[Step]:
    """The intermediate steps of `program` on `scenes` (see the module docstring).

    `image_size` defaults to the first scene's size. Raises ProgramError for an ill-formed
    program and ExecutionFailure when it has no answer on these scenes.
    """
    if select not in SELECTIONS:
        raise ValueError(f"select must be one of {SELECTIONS}, got {select!r}")
    types = check_program(program, answerable=False)
    ctx = scenes if isinstance(scenes, ExecutionContext) else ExecutionContext(scene_list(scenes))
    values = run_nodes(program, ctx)
    first = ctx.scene(0)
    size = tuple(int(v) for v in image_size) if image_size is not None else (first.width, first.height)
    # boxes of image k normalised by its own size (the first image's: `image_size` when given)
    words = [StepContext(box_format, size if k == 0 else (ctx.scene(k).width, ctx.scene(k).height))  # type: ignore[arg-type]
             for k in range(len(ctx.scenes))]
    names = _name_filters(program)
    anchors = {node["inputs"][1] for node in program if node["op"] == "filter_relation"}
    steps: list[Step] = []
    seen: set[tuple[Any, ...]] = set()
    for i, (node, type_name, value) in enumerate(zip(program, types, values)):
        op_name = str(node["op"])
        if op_name in _NEVER or i == len(program) - 1:
            continue
        if select == "key" and type_name == OBJECTS and op_name not in _RELATION_OPS and not (
                i in anchors and len(value.idx) == 1):
            continue  # a plain filter result is a search space, unless it is the anchor of a hop
        if type_name in (OBJECT, OBJECTS):
            key: tuple[Any, ...] = ("objs", value.image, (value.index,) if isinstance(value, Obj) else value.idx)
            if key in seen:
                continue
            seen.add(key)
        step = _step(i, op_name, type_name, value, ctx, words, [values[j] for j in node.get("inputs", ())])
        if step is None:
            continue
        if step.kind in ("count", "objects") and step.value.get("name") is None and i in names:
            step = _with_name(step, names[i])
        steps.append(step)
    return steps


def _with_name(step: Step, name: str) -> Step:
    value = dict(step.value, name=name)
    n = value["count"]
    if step.kind == "count":
        text = counted(n, name)
    else:
        text = step.text.replace("object", name) if n else f"no {plural(name)}"
    return Step(step.node, step.op, step.kind, value, text)


def sample_box_format(sample: Mapping[str, Any]) -> str:
    """The box convention of a sample's boxes: meta["box_format"] (samples whose question or answer
    holds a box), else the generator's configured one (meta["config"]["box_format"]: a
    `spatial.relation` sample of a run configured for pixel boxes has no box of its own, but its
    rationale and its process targets give boxes in pixels), else "norm1"."""
    meta = sample.get("meta") or {}
    return str(meta.get("box_format") or (meta.get("config") or {}).get("box_format") or "norm1")


def scene_list(scenes: Any) -> list[Scene]:
    """A sample's scenes as a list: one Scene, or a non-empty list of them (in the order of the
    sample's images); TypeError / ValueError said for `scenes`, not from inside the program."""
    if isinstance(scenes, Scene):
        return [scenes]
    if isinstance(scenes, (str, bytes, Mapping)) or not isinstance(scenes, Sequence):
        raise TypeError(f"scenes must be a Scene or a list of the sample's Scenes (veriscene.scene.read_scenes), "
                        f"got {type(scenes).__name__}")
    found = list(scenes)
    if not found:
        raise ValueError("scenes is empty: give the Scene of each of the sample's images")
    bad = [s for s in found if not isinstance(s, Scene)]
    if bad:
        raise TypeError(f"scenes must be Scenes (veriscene.scene.read_scenes), got a {type(bad[0]).__name__} among them")
    return found


def sample_record(sample: Any) -> Mapping[str, Any]:
    """A sample as its record (a Sample's `to_dict`); TypeError for anything else, ValueError
    without a program."""
    from veriscene.sample import Sample

    record = sample.to_dict() if isinstance(sample, Sample) else sample
    if not isinstance(record, Mapping):
        raise TypeError(f"sample must be a sample record (a dict: a samples.jsonl line) or a Sample, "
                        f"got {type(sample).__name__}")
    if not isinstance(record.get("program"), list):
        raise ValueError(f"sample {record.get('id', '?')!r} has no program (a list of nodes): "  # noqa: TRY004
                         f"got keys {sorted(map(str, record))[:12]}")
    return record


def sample_steps(sample: Mapping[str, Any], scenes: Scene | Sequence[Scene] | ExecutionContext, *,
                 select: str = "key") -> list[Step]:
    """`program_steps` for a sample record, in its box convention (`sample_box_format`, image_size);
    `scenes` its Scenes, or an ExecutionContext over them (`program_steps`)."""
    sample = sample_record(sample)
    meta = sample.get("meta") or {}
    return program_steps(sample["program"], scenes, box_format=sample_box_format(sample),
                         image_size=meta.get("image_size"), select=select)


def steps_json(steps: Sequence[Step]) -> str:
    """Steps as the JSON text of the `steps` data set column read by `process_reward`."""
    return orjson.dumps([s.to_dict() for s in steps]).decode()


def steps_from_json(value: str | bytes | Sequence[Mapping[str, Any]]) -> list[Step]:
    items = orjson.loads(value) if isinstance(value, (str, bytes)) else value
    return [Step.from_dict(d) for d in items]


def reference_trace(steps: Sequence[Step], answer_text: str, *, think_tag: str = "think",
                    answer_tag: str = "answer") -> str:
    """A gold completion in the process format: one ``Step k: ...`` line per step in the
    think block, then the answer (for SFT warm-up data and for tests)."""
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Sequence) or not all(
            isinstance(s, Step) for s in steps):
        raise TypeError(f"steps must be a list of Step (program_steps, sample_steps), got {steps!r}"[:300])
    if not isinstance(answer_text, str):
        raise TypeError(f"answer_text must be the answer as text (a str), got {answer_text!r}")
    lines = [f"Step {k}: {s.text}." for k, s in enumerate(steps, start=1)]
    return f"<{think_tag}>\n" + "\n".join(lines) + f"\n</{think_tag}>\n<{answer_tag}>{answer_text}</{answer_tag}>"
