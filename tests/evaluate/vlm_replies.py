"""Forty replies written by hand as VLMs write them (LLaVA's long paragraphs, Qwen-VL's short
answers, GPT-4o's markdown lists; hedges, counts in words, fronted relative positions), over the
scene graphs of `data/freeform_vlm/` (demo, Visual Genome- and GQA-shaped, COCO-shaped with a
category set), each with the claims a careful judge finds false against the scene graph
(helper-185, session 63).

A judge's label is the scorer's wording of each false claim: "3 x star" (a count), "hexagon is
blue" (an attribute), "no bird" (an absence), "small purple triangle right of big yellow
triangle" (a relation, with the words of its mentions), and "maybe ..." for a claim the reply
hedges ("there might be a dog": "maybe dog"). Claims the scene graph leaves open (a name it does
not annotate in full, a relation a sparse graph may lack) are false to no judge and not listed.
The replies marked `held_out` were not looked at while the scorer was changed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from veriscene.evaluate.freeform import ReplyScore, score_texts

DATA = Path(__file__).parent / "data" / "freeform_vlm"
SCENES = {"demo": DATA / "demo.jsonl", "vg": DATA / "vg.jsonl", "gqa": DATA / "gqa.jsonl", "coco": DATA / "coco.jsonl"}


@dataclass(frozen=True)
class Reply:
    key: str
    dataset: str  # a key of SCENES
    image: str
    style: str  # "llava" (long paragraph), "qwen" (short), "gpt4o" (markdown)
    text: str
    false: frozenset[str]  # the claims a careful judge finds false, in the scorer's wording
    held_out: bool = False
    note: str = ""


def _r(key: str, dataset: str, image: str, style: str, text: str, false: set[str] | None = None,
       held_out: bool = False, note: str = "") -> Reply:
    return Reply(key, dataset, image, style, text, frozenset(false or ()), held_out, note)


REPLIES: tuple[Reply, ...] = (
    # -- demo: 480 x 360 pictures of shapes, every object, attribute and relation annotated ----------
    _r("d0-long", "demo", "demo-000000", "llava",
       "The image features a collection of colorful geometric shapes arranged on a light beige background. "
       "In the bottom portion of the image, there are two large red circles with a glossy finish. Above them, "
       "near the top center, is a smaller gray circle. On the left side, there is a large red star, and below "
       "the red star is a small gray triangle. To the right of the red star is a small orange star. On the right "
       "side of the image, a green hexagon sits below a gray square. There might also be a small purple diamond "
       "partially hidden behind the hexagon.",
       {"maybe diamond", "maybe diamond is purple", "maybe diamond is small", "maybe small purple diamond behind hexagon"},
       note="fronted relations true; a hedged hallucinated diamond"),
    _r("d1-md", "demo", "demo-000001", "gpt4o",
       "Here's a breakdown of the shapes in the image:\n\n"
       "- **Green circle** (large) – near the top, slightly left of center.\n"
       "- **Brown circle** (small) – in the top-right corner.\n"
       "- **Orange star** (small) – on the far left edge.\n"
       "- **Blue star** (large) – lower left, overlapping a **red hexagon** that sits behind it.\n"
       "- **Brown hexagon** (small) – right of center.\n\n"
       "In total there are six shapes: two circles, two stars and two hexagons.",
       note="markdown list, all true"),
    _r("d2-count", "demo", "demo-000002", "qwen",
       "The image contains eight shapes: three stars, two diamonds, a hexagon, a triangle and a square.",
       {"3 x star"}, note="two stars"),
    _r("d3-fronted", "demo", "demo-000003", "llava",
       "In this image, a large purple star is located in the top right corner. Below the purple star is a large "
       "green triangle. To the left of the green triangle is a large yellow triangle, and above the yellow "
       "triangle there is a small purple star. A small blue square sits in the top left corner, and a small red "
       "hexagon is at the bottom.",
       held_out=True, note="subjects after their verbs, all true"),
    _r("d4-fronted-false", "demo", "demo-000004", "llava",
       "A small orange circle rests on top of a large yellow triangle. Below the yellow triangle is a small red "
       "triangle. To the right of the large yellow triangle stands a small purple triangle, and a small purple "
       "diamond is near the top of the image.",
       {"small purple triangle right of big yellow triangle"}, note="the purple triangle is left of it"),
    _r("d5-hedged-true", "demo", "demo-000005", "llava",
       "I can see several shapes. There appears to be a large purple hexagon in the middle, and what looks like a "
       "small orange square overlapping a large purple triangle on the left. I can't tell whether there is a "
       "green circle near the bottom right.",
       note="hedged true claims; an uncertain circle states nothing"),
    _r("d6-hedged-false", "demo", "demo-000006", "llava",
       "This picture shows five shapes. In the upper left, a small brown triangle sits on top of a large purple "
       "hexagon. On the right, a large brown hexagon overlaps a large gray triangle, which is probably behind it. "
       "A small blue circle is in the bottom left corner, possibly next to a green square.",
       {"maybe square", "maybe square is green"}, held_out=True, note="a hedged hallucinated square"),
    _r("d7-list", "demo", "demo-000007", "gpt4o",
       "The image shows the following objects:\n"
       "1. A large red square in the center, with a small gray star on top of it.\n"
       "2. Two hexagons – one yellow at the bottom and one green on the right.\n"
       "3. A large blue circle in the lower right.\n"
       "4. A green diamond near the top.\n"
       "5. Three small brown squares on the left side.",
       {"3 x small brown square"}, note="one small brown square"),
    _r("d0-fronted-false", "demo", "demo-000000", "qwen",
       "To the left of the green hexagon is a gray square.",
       {"gray square left of green hexagon"}, note="the square is above the hexagon, in its column"),
    _r("d1-negations", "demo", "demo-000001", "qwen",
       "I don't see any triangles in this image. The large blue star is in front of the red hexagon, and there "
       "isn't a square anywhere.",
       note="absences said with n't, true"),
    _r("d2-long", "demo", "demo-000002", "llava",
       "The image displays eight geometric shapes scattered across a pale background. On the far left there is a "
       "small gray square, and below it is a large green diamond. A large red star sits in the upper middle of "
       "the picture, partially covering a small green star behind it. To the right of the red star is a small "
       "green circle. Near the bottom, a large yellow diamond appears to be to the right of a small gray "
       "triangle. At the top, there seems to be a small purple hexagon.",
       note="all true, two of them hedged"),
    _r("d3-colour", "demo", "demo-000003", "qwen",
       "Above the large yellow triangle there is a small blue star, and a big purple star occupies the top right "
       "corner. The square in the top left is red.",
       {"star is blue", "square is red"}, held_out=True, note="the small star is purple, the square blue"),
    _r("d4-md-counts", "demo", "demo-000004", "gpt4o",
       "**Shapes present:**\n"
       "* Three triangles: one large and yellow, one small and red, and one small and purple.\n"
       "* One small orange circle, sitting on the yellow triangle.\n"
       "* One small purple diamond near the top.\n\n"
       "There are no squares or hexagons.",
       note="counts in words, absences, all true"),
    _r("d6-hedged-count", "demo", "demo-000006", "qwen",
       "There are maybe four shapes here: two hexagons, two triangles and a circle. The small blue circle is at "
       "the bottom left, below the large purple hexagon.",
       {"maybe 4 x shape"}, held_out=True, note="five shapes, hedged"),
    # -- Visual Genome-shaped: attributes and relations sparse, the names annotated in full --------
    _r("vg1-long", "vg", "1", "llava",
       "The image captures a sunny day in a park. A tall man wearing a blue shirt and blue jeans is standing on "
       "the grass, holding a red leash. Next to the man stands a small brown dog. Behind the bench there are two "
       "tall green trees. The man also seems to be wearing a black hat. In the background, there is a white "
       "fence and a clear blue sky.",
       note="all true (one tree not annotated tall: open)"),
    _r("vg1-short-false", "vg", "1", "qwen",
       "A man in a red shirt walks a black dog past three trees.",
       {"shirt is red", "dog is black", "3 x tree"}, held_out=True, note="blue shirt, brown dog, two trees"),
    _r("vg2-md", "vg", "2", "gpt4o",
       "**Scene description**\n\n"
       "- A woman is seated at a wooden table, smiling.\n"
       "- On the table: two white plates (one holding a slice of pizza), a white cup, an empty glass and a napkin.\n"
       "- A silver fork lies to the left of the first plate, and a knife is next to the other plate.\n"
       "- Behind the woman there is an open window.\n\n"
       "Overall, it looks like a casual lunch at home.",
       note="all true; the window is behind her"),
    _r("vg2-hedges", "vg", "2", "llava",
       "A woman sits on a black chair at the table. There may be a bottle of wine next to the glass, and the "
       "pizza looks like it has pepperoni. I'm not sure whether there are three plates.",
       held_out=True, note="hedged open claims; an uncertain count states nothing"),
    _r("vg3-long", "vg", "3", "llava",
       "This is a city street scene. Two cars are parked along the street: a red car on the left and a white car "
       "on the right, both in front of buildings. The building on the left is made of brick and has three "
       "windows. On the right side of the image, a stop sign is mounted on a gray pole, and a person is walking "
       "on the sidewalk next to a blue bicycle. There might be a traffic light further down the road.",
       note="all true or open"),
    _r("vg3-short-false", "vg", "3", "qwen",
       "Three cars are parked on the street in front of a tall brick building.",
       {"3 x car"}, note="two cars"),
    _r("vg4-md", "vg", "4", "gpt4o",
       "The photo shows a cozy living room:\n"
       "- An orange cat is sleeping on a gray couch.\n"
       "- Two pillows sit on the couch, a red one on the left and a yellow one on the right.\n"
       "- A folded blue blanket lies next to the cat.\n"
       "- A white lamp stands next to the couch.\n"
       "- Above the couch hangs a colorful painting on the white wall.\n"
       "- A remote control, which appears to be black, rests on the couch.",
       note="all true"),
    _r("vg4-false", "vg", "4", "qwen",
       "A black cat is lying on a red couch with two blue pillows.",
       {"cat is black", "couch is red", "pillow is blue", "2 x blue pillow"}, held_out=True,
       note="orange cat, gray couch, a red and a yellow pillow"),
    _r("vg5-long", "vg", "5", "llava",
       "In this picture, two gray elephants are standing in muddy brown water. The larger elephant on the left "
       "has long tusks and a long trunk, while the smaller one stands to its right. Behind the smaller elephant "
       "there is a leafy green tree, and a white bird is flying in the cloudy blue sky. It might be a watering "
       "hole in the savanna.",
       note="all true or open"),
    _r("vg6-md", "vg", "6", "gpt4o",
       "### Description\n"
       "A young boy in a white shirt and blue shorts is throwing a red frisbee. To his right, a young girl with "
       "long blonde hair is watching him. She is wearing a pink shirt.\n\n"
       "### Other details\n"
       "- A black dog is running on the green grass, chasing a yellow ball.\n"
       "- A green tree stands at the right edge of the image.",
       note="all true"),
    _r("vg6-false", "vg", "6", "llava",
       "Two boys are playing frisbee in a park while a brown dog runs after a ball. The girl might be holding an "
       "ice cream cone.",
       {"2 x boy", "dog is brown"}, held_out=True, note="one boy, a black dog; the cone is open"),
    # -- GQA-shaped ------------------------------------------------------------------------------------
    _r("gqa-kitchen-long", "gqa", "2354786", "llava",
       "This kitchen has a tall white refrigerator on the right side. To the left of the refrigerator is a "
       "wooden counter with a silver sink in it, and above the sink is a silver faucet. On the counter there are "
       "a yellow banana, a red apple and a green apple, as well as an empty white bowl. Two brown wooden "
       "cabinets hang above the counter, and a white towel hangs on the refrigerator door.",
       note="all true"),
    _r("gqa-kitchen-false", "gqa", "2354786", "qwen",
       "Next to the sink, there is a microwave. Above the refrigerator is a brown cabinet, and there are three "
       "apples on the counter.",
       {"brown cabinet above refrigerator", "3 x apple"}, note="the cabinets are left of it; two apples"),
    _r("gqa-beach", "gqa", "2410533", "qwen",
       "A man in a black wetsuit is surfing a large white wave on a long white surfboard. The sky is clear and "
       "blue, and a white bird flies above the ocean.",
       note="all true"),
    _r("gqa-beach-hedges", "gqa", "2410533", "llava",
       "There is no one else on the beach besides the surfer. The man appears to be wearing a red wetsuit, and "
       "there might be a boat in the distance. I don't see any birds.",
       {"maybe wetsuit is red", "no bird"}, held_out=True, note="a black wetsuit, hedged; a bird flies"),
    _r("gqa-office-md", "gqa", "2335871", "gpt4o",
       "**Items on the desk:**\n"
       "1. An open silver laptop on the left.\n"
       "2. A large black monitor with a black keyboard in front of it.\n"
       "3. A white wireless mouse to the right of the keyboard.\n"
       "4. A red ceramic mug.\n"
       "5. Two books stacked on top of each other: a blue one and a red one.\n\n"
       "A black leather chair is in front of the desk, and a silver lamp stands next to the monitor. There "
       "seems to be a small green plant near the mug.",
       note="all true"),
    _r("gqa-office-false", "gqa", "2335871", "qwen",
       "The desk holds two laptops and a monitor. The keyboard is behind the monitor, and the mug is blue.",
       {"2 x laptop", "keyboard behind monitor", "mug is blue"}, held_out=True,
       note="one laptop; the keyboard is in front; a red mug"),
    _r("gqa-bus-long", "gqa", "2320055", "llava",
       "The image shows a busy street with a red double-decker bus on the left and a white bus on the right. A "
       "person holding a black umbrella is walking on the left side, next to the red bus. Another person stands "
       "next to the white bus. Above the white bus, a green traffic light is visible. The red bus has two black "
       "wheels and several windows.",
       note="all true"),
    _r("gqa-bus-false", "gqa", "2320055", "qwen",
       "Two red buses drive down the road, and a man with a yellow umbrella waits at the corner.",
       {"2 x red bus", "umbrella is yellow"}, held_out=True, note="a red and a white bus; a black umbrella"),
    _r("gqa-bath", "gqa", "2398120", "qwen",
       "A clean white bathroom with a toilet on the left, a white sink in the middle and a rectangular mirror "
       "above the sink. A blue towel hangs on the right, and a pink toothbrush sits in the sink next to a green "
       "bar of soap.",
       held_out=True, note="all true"),
    # -- COCO-shaped: the 80 categories annotated in full, no attributes or relations --------------
    _r("coco1-long", "coco", "1", "llava",
       "The image shows a living room where a person is standing near a dining table. On the table there is a "
       "cup and a couple of books. To the left of the person are two chairs, and a potted plant sits further "
       "back. A television is mounted on the left wall. There may also be a teddy bear on a chair, though it's "
       "hard to tell.",
       {"maybe teddy bear", "maybe teddy bear on chair"}, held_out=True, note="no teddy bear, hedged"),
    _r("coco3-md", "coco", "3", "gpt4o",
       "This appears to be a child's bedroom. Key elements:\n"
       "- **Bed**: occupies most of the left side, with a teddy bear lying on it.\n"
       "- **Books**: three books on a shelf in the upper right.\n"
       "- **Plant**: a potted plant near the window.\n"
       "- **Chair**: a chair on the right side.\n\n"
       "I don't see any people in the room.",
       note="all true (shelf, window: not COCO categories); no person"),
    _r("coco5-false", "coco", "5", "llava",
       "The image shows a pile of four teddy bears sitting together. Behind the two smaller teddy bears is a "
       "larger one, and there might be a dog next to them.",
       {"4 x teddy bear", "maybe dog"}, held_out=True,
       note="three teddy bears; 'the two smaller' picks some of them, no count"),
    _r("coco6-long", "coco", "6", "llava",
       "A group of five people are standing in a line on a field. A dog sits in front of them, and a ball lies "
       "on the ground to the right of the dog. The players might be posing for a team photo.",
       note="all true or open"),
    _r("coco7-false", "coco", "7", "llava",
       "Two birds are flying above a wooden bench. A man sits on the bench, and next to him a bicycle is parked. "
       "A red car is parked on the left, and there are three dogs playing on the grass.",
       {"dog", "3 x dog", "dog on grass"}, held_out=True,
       note="no dog; 'dog on grass' added by helper-188 once 'on' was read on COCO: the relation of an absent "
            "object is false, as 'maybe teddy bear on chair' (coco1-long), though the grass is open"),
    _r("coco4-md", "coco", "4", "gpt4o",
       "The main subject is a red **stop sign** mounted on a pole. In the bottom left corner, part of a car is "
       "visible. No people or traffic lights appear in the frame.",
       note="all true or open"),
)


def scored(replies: Sequence[Reply], scenes: Mapping[str, Path]) -> list[tuple[Reply, ReplyScore]]:
    """Each reply with its lexical score, the replies of each data set scored against its scenes
    (`scenes`: data set -> scene file)."""
    out: list[tuple[Reply, ReplyScore]] = []
    for dataset, path in scenes.items():
        mine = [r for r in replies if r.dataset == dataset]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # COCO categories no fixture scene shows
            scores, _, _ = score_texts([(r.image, r.text) for r in mine], path, matcher="lexical")
        out += zip(mine, scores)
    return out
