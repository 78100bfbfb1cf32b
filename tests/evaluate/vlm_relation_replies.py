"""Fifteen replies written by hand as VLMs write them, about two kinds of relation claims a careful
judge reads otherwise than the scorer did before helper-194 (session 64), each with the claims
the judge finds false (labels written before the scorer was run on them):

- "A on B next to C": the trailing relation may be said of A or of B ("a man on a motorcycle
  next to a bus": the motorcycle may be the one next to the bus), and in a chain of three of any
  noun before it ("a star on a square left of a hexagon near the circle"). The judge counts it
  true if some reading holds and false only if none may; the scorer's wording of such a claim
  names every noun it may be said of: "small orange square or big purple triangle left of blue
  triangle", "gray star, red square or green hexagon near brown square".
- "in front of" / "behind" where the scene has depth: true where the image shows the order
  (boxes that overlap; over a photo, with a dense depth map, boxes in one column or near), false
  where it shows the other order, open where it shows none (the demo's flat shapes apart) or
  where the two depths are too close to tell. Scenes without depth: as before.

Scenes: the demo's and Visual Genome- and COCO-shaped ones of `data/freeform_vlm/` (no depth
besides the demo's), and `data/freeform_relations/`: two Visual Genome-shaped scenes and one
COCO-shaped one with per-object depth and a dense depth map (as ProVision's depth stage or
`veriscene annotate` give them). Labels follow `vlm_replies` (the scorer's wording of each false
claim, "large" read as "big"; open or true claims are not listed). Measured before the change:
2 of 15 agree (5 counting the first reading of a claim with several as its wording, the only one
the scorer made: "person left of car" for "person or bench left of car").
"""

from __future__ import annotations

from pathlib import Path

from tests.evaluate.vlm_replies import SCENES as VLM_SCENES
from tests.evaluate.vlm_replies import Reply, _r

DATA = Path(__file__).parent / "data" / "freeform_relations"
SCENES = {"demo": VLM_SCENES["demo"], "vg": VLM_SCENES["vg"], "coco": VLM_SCENES["coco"],
          "vg-depth": DATA / "vg_depth.jsonl", "coco-depth": DATA / "coco_depth.jsonl"}

REPLIES: tuple[Reply, ...] = (
    # -- demo: flat shapes, depth by drawing order; every overlap annotated ------------------------
    _r("rd1-depth-apart", "demo", "demo-000001", "qwen",
       "The large blue star is in front of the red hexagon. The green circle is behind the brown circle, and "
       "the orange star is in front of the brown hexagon.",
       note="the circles, the star and the hexagon lie apart: flat shapes show no order between them (open)"),
    _r("rd2-depth-wrong", "demo", "demo-000002", "llava",
       "A small green star is in front of the large red star, and the yellow diamond is behind the gray "
       "triangle.",
       {"small green star in front of big red star"},
       note="the red star covers the green one; the diamond and the triangle lie apart (open)"),
    _r("rd3-attach-b", "demo", "demo-000002", "llava",
       "A large red star sits in front of a small green star to the left of the yellow diamond.",
       note="the green star is left of the diamond (the red star is not)"),
    _r("rd4-attach-none", "demo", "demo-000005", "qwen",
       "A small orange square is in front of a large purple triangle to the left of the blue triangle.",
       {"small orange square or big purple triangle left of blue triangle"},
       note="both lie above the blue triangle and reach further right: neither is left of it"),
    _r("rd5-chain-last", "demo", "demo-000007", "llava",
       "A small gray star sits on top of a large red square to the left of a green hexagon near the blue "
       "circle.",
       note="the hexagon is the one near the circle"),
    _r("rd6-chain-none", "demo", "demo-000007", "qwen",
       "The gray star is on top of the red square left of the green hexagon near the brown square.",
       {"gray star, red square or green hexagon near brown square"},
       note="the brown square is far from all three"),
    # -- Visual Genome-shaped, with depth over a photo (dense) ----------------------------------------
    _r("rv1-street", "vg-depth", "r-street", "llava",
       "A young man is riding a red motorcycle next to a yellow bus. The bus is behind the motorcycle, and a "
       "brick building stands behind the bus. A woman walks behind the bus.",
       {"woman behind bus"},
       note="the motorcycle is the one beside the bus; the woman overlaps the bus and is nearer"),
    _r("rv2-room-md", "vg-depth", "r-room", "gpt4o",
       "- A gray sofa with an orange cat on it.\n"
       "- A white lamp stands behind the sofa.\n"
       "- A wooden table sits in front of the sofa, and a white cup is on the table.\n"
       "- A brown dog lies behind the lamp.\n"
       "- An open window is in front of the lamp.",
       {"brown dog behind lamp", "open window in front of lamp"},
       note="the lamp beside the sofa and farther; the dog overlaps the lamp, nearer; the window farther"),
    _r("rv3-room-attach", "vg-depth", "r-room", "llava",
       "An orange cat is sleeping on the gray sofa next to the white lamp. A white cup sits on the wooden "
       "table in front of the sofa.",
       note="the sofa is the one next to the lamp; cup and table both in front of the sofa"),
    # -- Visual Genome-shaped, no depth ---------------------------------------------------------------
    _r("rv4-attach-b", "vg", "1", "llava",
       "There is a white fence behind the wooden bench to the left of the man. The tall man is standing on "
       "the grass.",
       note="the bench is left of the man (the fence spans the image); the man on the grass: open"),
    _r("rv5-depth-annotated", "vg", "5", "qwen",
       "Two gray elephants stand in muddy water. The small elephant is behind the green tree, and the tall "
       "grass is behind the large elephant.",
       {"small elephant behind green tree"},
       note="no depth: as annotated, the tree is behind the small elephant"),
    # -- COCO-shaped, with depth over a photo (dense) -------------------------------------------------
    _r("rc1-ride", "coco-depth", "c-ride", "llava",
       "There is a person on a horse next to a dog. The truck is behind the horse, and the dog is behind the "
       "horse. A car is in front of the truck.",
       {"dog behind horse", "car in front of truck"},
       note="the horse is the one next to the dog; the dog is nearer than the horse, the car farther than "
            "the truck"),
    _r("rc2-far-person", "coco-depth", "c-ride", "qwen",
       "A person stands in front of the car, and the horse is in front of the truck.",
       note="the second person overlaps the car and is nearer"),
    # -- COCO-shaped, no depth, no relations annotated ------------------------------------------------
    _r("rc3-attach-none", "coco", "7", "qwen",
       "A person on a bench to the left of the car. Two birds fly above the bench.",
       {"person or bench left of car"}, note="the car is at the far left"),
    _r("rc4-attach-b", "coco", "1", "qwen",
       "A cup on the dining table next to the chair.",
       note="the table reaches the chair, the cup does not"),
)
