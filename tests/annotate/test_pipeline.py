"""The annotation pipeline with callable stages (exact checks) and with tiny random transformers
models built here (the real loading code; no weights are downloaded)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from veriscene.annotate import Detection, annotate, annotate_images, clear_relations
from veriscene.errors import SceneValidationError
from veriscene.io.rejects import RejectReport


def draw_scene(path: Path) -> Path:
    """120x80: a red square on the left, a blue disc on the right, grey background."""
    image = Image.new("RGB", (120, 80), (128, 128, 128))
    pen = ImageDraw.Draw(image)
    pen.rectangle((10, 20, 40, 50), fill=(230, 20, 20))
    pen.ellipse((70, 15, 110, 55), fill=(30, 60, 220))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def fake_detector(image: Image.Image) -> list[Detection]:
    return [
        Detection("Cups", (10, 20, 41, 51), 0.6),
        Detection("ball", (70, 15, 111, 56), 0.9),
        Detection("ball", (71, 15, 111, 57), 0.5),  # the same ball again, scored lower
        Detection("box", (100, 60, 130, 90), 0.4),  # partly outside the 120x80 image
    ]


def gradient_depth(image: Image.Image) -> np.ndarray:
    return np.tile(np.arange(image.width, dtype=np.float64), (image.height, 1))  # farther to the right


def test_scenes_from_callable_stages(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "a" / "one.png")
    report = RejectReport()
    (s,) = annotate_images(tmp_path / "photos", detector=fake_detector, depth=gradient_depth, report=report)
    assert s.image_id == "a/one" and s.image == str(tmp_path / "photos" / "a" / "one.png")
    assert s.names == ("ball", "cup", "box")  # best score first, names normalised
    assert s.attributes == (("blue",), ("red",), ("gray",))  # the box holds grey background only
    assert s.boxes.tolist()[2] == [100.0, 60.0, 120.0, 80.0]
    assert report.repairs["boxes_clipped"] == 1 and report.repairs["duplicate_objects_merged"] == 1
    assert s.meta["scores"] == [0.9, 0.6, 0.4]
    assert s.meta["sparse"] == ["attributes", "relations"]
    assert s.meta["annotated_by"]["detector"] == "function" and s.meta["annotated_by"]["depth"] == "function"
    ball, cup, box = range(3)
    assert s.depth[cup] < s.depth[ball] < s.depth[box]
    assert {(cup, "left of", ball), (ball, "right of", cup), (cup, "left of", box), (ball, "above", box)} <= set(s.relations)
    assert (ball, "left of", box) not in s.relations  # their boxes overlap along x


def square_segmenter(image: Image.Image, boxes: list) -> list[np.ndarray]:
    """The red pixels inside each box (none for the ball: an empty mask)."""
    red = np.asarray(image)[..., 0] > 200
    out = []
    for x0, y0, x1, y1 in boxes:
        mask = np.zeros(red.shape, dtype=bool)
        mask[int(y0):int(y1), int(x0):int(x1)] = True
        out.append(mask & red & (np.asarray(image)[..., 2] < 100))
    return out


def test_masks_from_a_segmenter(tmp_path: Path) -> None:
    from veriscene.scene.masks import decode_mask

    draw_scene(tmp_path / "p.png")
    report = RejectReport()
    (s,) = annotate_images(tmp_path / "p.png", detector=fake_detector, segmenter=square_segmenter,
                           depth=gradient_depth, report=report)
    ball, cup, box = range(3)
    assert decode_mask(s.masks[cup]).sum() == 31 * 31  # the red square, drawn 10..40 inclusive
    assert s.attributes[cup] == ("red",)
    assert decode_mask(s.masks[ball]).sum() == (111 - 70) * (56 - 15)  # empty: the box stands for it
    assert report.repairs["masks_from_boxes"] == 3  # the ball, its duplicate and the box
    assert s.depth[cup] == 25.0  # the median column of the square's pixels
    for wrong in (lambda image, boxes: [np.zeros((2, 2), bool)] * len(boxes), lambda image, boxes: []):
        report = RejectReport()
        with pytest.raises(RuntimeError, match="the segmenter gave"):  # the only image failed: a model at fault
            list(annotate_images(tmp_path / "p.png", detector=fake_detector, report=report, segmenter=wrong))
        assert report.entries[0].field == "segmenter"


def test_clear_relations_margin() -> None:
    boxes = [[0, 0, 10, 10], [12, 0, 20, 10]]  # 2 pixels apart
    assert clear_relations(boxes, 100, 100, 0.02) == [(0, "left of", 1), (1, "right of", 0)]
    assert clear_relations(boxes, 100, 100, 0.03) == []


def test_bad_images_are_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "b.png")
    (tmp_path / "photos" / "a.jpg").write_bytes(b"not a jpeg")
    report = RejectReport()
    scenes = list(annotate_images(tmp_path / "photos", detector=fake_detector, report=report))
    assert [s.image_id for s in scenes] == ["b"]
    (entry,) = report.entries
    assert entry.record == str(tmp_path / "photos" / "a.jpg") and entry.field == "image"
    with pytest.raises(SceneValidationError):
        list(annotate_images(tmp_path / "photos", detector=fake_detector, strict=True))


def test_depth_map_of_another_size_rejects_the_image_bad_detections_are_dropped(tmp_path: Path) -> None:
    draw_scene(tmp_path / "x.png")
    report = RejectReport()
    with pytest.raises(RuntimeError, match="the depth map is 3x3"):
        list(annotate_images(tmp_path / "x.png", detector=fake_detector, report=report,
                             depth=lambda image: np.zeros((3, 3))))
    assert report.entries[0].field == "depth"
    report = RejectReport()
    (s,) = annotate_images(tmp_path / "x.png", report=report, detector=lambda image: [
        Detection("", (1, 1, 5, 5), 0.9), Detection("cup", (7, 7, 7, 9), 0.8), Detection("cup", (1, 1, 5, 5), 0.7),
        Detection("N/A", (20, 20, 30, 30), 0.6)])
    assert s.names == ("cup",)  # the nameless, the flat and the "N/A" detection are dropped, the image kept
    assert [(e.field, e.level) for e in report.entries] == [("detections[0].name", "object"),
                                                           ("detections[1].box", "object"),
                                                           ("detections[3].name", "object")]


def test_list_file_and_options(tmp_path: Path) -> None:
    draw_scene(tmp_path / "imgs" / "p.png")
    (tmp_path / "list.txt").write_text("# images\nimgs/p.png\n")
    (s,) = annotate_images(tmp_path / "list.txt", detector=fake_detector, colours=False, relations=False)
    assert s.image_id == "imgs/p" and s.relations == () and "sparse" not in s.meta
    with pytest.raises(ValueError):
        list(annotate_images(tmp_path / "list.txt", detector=fake_detector, margin=1.5))
    with pytest.raises(FileNotFoundError):
        list(annotate_images(tmp_path / "nothing", detector=fake_detector))


def test_transformers_models_end_to_end(tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    from veriscene import generate, verify

    detr, dpt, sam = tiny_models
    for k in range(3):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    summary = annotate(tmp_path / "photos", tmp_path / "scenes.jsonl", detector=detr, segmenter=sam, depth=dpt,
                       threshold=0.0)
    assert summary.scenes_written == 3 and summary.format == "pipeline" and summary.rejected == 0
    from veriscene.scene.jsonl import read_scenes

    scenes = list(read_scenes(tmp_path / "scenes.jsonl"))
    assert all(set(s.names) <= {"cup", "ball"} and s.depth is not None and s.masks is not None for s in scenes)
    assert sum(len(s) for s in scenes) > 0
    made_by = scenes[0].meta["annotated_by"]
    assert made_by["detector"]["kind"] == "DetrForObjectDetection" and made_by["detector"]["threshold"] == 0.0
    assert made_by["depth"]["kind"] == "DPTForDepthEstimation" and made_by["segmenter"]["kind"] == "SamModel"
    run = generate(tmp_path / "scenes.jsonl", tmp_path / "run")
    report = verify(tmp_path / "run")
    assert report.ok and report.verified == run.samples
    from veriscene.scene.masks import decode_mask

    for s in scenes:  # the random SAM's masks, cut to their boxes
        for box, rle in zip(s.boxes.tolist(), s.masks):
            rows, cols = np.nonzero(decode_mask(rle))
            assert box[0] <= cols.min() and cols.max() < box[2] and box[1] <= rows.min() and rows.max() < box[3]


def test_a_model_folder_that_is_not_there(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    draw_scene(tmp_path / "p.png")
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        annotate(tmp_path / "p.png", tmp_path / "s.jsonl", detector=tmp_path / "no-such-model")


def test_cli(tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app

    draw_scene(tmp_path / "photos" / "p.png")
    done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector", str(tiny_models[0]),
                                    "--threshold", "0", "--out", str(tmp_path / "s.jsonl")])
    assert done.exit_code == 0, done.output
    assert "veriscene annotate" in done.output and "scenes written" in done.output
    assert "objects written" in done.output and "relations written" in done.output
    missing = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector", str(tmp_path / "none"),
                                       "--out", str(tmp_path / "t.jsonl")])
    assert missing.exit_code == 2 and "nothing is downloaded" in " ".join(missing.output.split()), missing.output


def test_models_leave_autograd_alone(tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    import torch

    draw_scene(tmp_path / "p.png")
    annotate(tmp_path / "p.png", tmp_path / "s.jsonl", detector=tiny_models[0], segmenter=tiny_models[2],
             depth=tiny_models[1], threshold=0.0)
    assert torch.is_grad_enabled()  # a training loop in the same process still trains


@pytest.fixture(scope="module")
def tiny_owl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random OWL-ViT with a letters-only CLIP tokenizer, saved with its processor."""
    torch = pytest.importorskip("torch")
    import string

    from transformers import CLIPTokenizer, OwlViTConfig, OwlViTForObjectDetection, OwlViTImageProcessor, OwlViTProcessor

    vocab = {"!": 0, "<|startoftext|>": 1, "<|endoftext|>": 2}  # OWL-ViT takes a query starting with id 0 for padding
    for c in string.ascii_lowercase:
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    torch.manual_seed(0)
    config = OwlViTConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=16, intermediate_size=16, num_hidden_layers=1,
                         num_attention_heads=2, max_position_embeddings=16, bos_token_id=1, eos_token_id=2,
                         pad_token_id=2),
        vision_config=dict(hidden_size=16, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16)
    path = tmp_path_factory.mktemp("owl") / "owl"
    OwlViTForObjectDetection(config).save_pretrained(path)
    OwlViTProcessor(image_processor=OwlViTImageProcessor(size={"height": 32, "width": 32},
                                                         crop_size={"height": 32, "width": 32}),
                    tokenizer=CLIPTokenizer(vocab=vocab, merges=[])).save_pretrained(path)
    return path


def test_open_vocabulary_detector(tmp_path: Path, tiny_owl: Path) -> None:
    from typer.testing import CliRunner

    from veriscene.cli import app
    from veriscene.scene.jsonl import read_scenes

    draw_scene(tmp_path / "photos" / "p.png")
    summary = annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=tiny_owl, names=["cup", "ball"],
                       threshold=0.0)
    (s,) = read_scenes(tmp_path / "s.jsonl")
    assert summary.scenes_written == 1 and len(s) > 0 and set(s.names) <= {"cup", "ball"}
    made_by = s.meta["annotated_by"]["detector"]
    assert made_by["kind"] == "OwlViTForObjectDetection" and made_by["names"] == ["cup", "ball"]
    (tmp_path / "names.txt").write_text("cup\n\nball\n")
    done = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--detector", str(tiny_owl), "--names",
                                    str(tmp_path / "names.txt"), "--threshold", "0", "--out", str(tmp_path / "t.jsonl")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "t.jsonl").read_bytes() == (tmp_path / "s.jsonl").read_bytes()
    with pytest.raises(ValueError, match="at least one name"):
        annotate(tmp_path / "photos", tmp_path / "u.jsonl", detector=tiny_owl, names=[" "])


def test_a_model_failing_on_every_image_stops_the_run_one_failing_image_is_a_reject(tmp_path: Path) -> None:
    for k in range(5):
        draw_scene(tmp_path / "photos" / f"{k}.png")

    def broken(image):
        raise RuntimeError("weights do not fit")

    with pytest.raises(RuntimeError, match="each of the first 3 images failed.*detector failed: RuntimeError"):
        annotate(tmp_path / "photos", tmp_path / "s.jsonl", detector=broken)
    calls = []

    def flaky(image):
        calls.append(1)
        if len(calls) in (2, 3, 4):
            raise RuntimeError("out of memory")
        return fake_detector(image)

    summary = annotate(tmp_path / "photos", tmp_path / "t.jsonl", detector=flaky)
    assert summary.scenes_written == 2 and summary.scenes_rejected == 3
    lines = (tmp_path / "rejects.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all('"field":"detector"' in line and "out of memory" in line for line in lines)


class BatchingDetector:
    """`fake_detector` with a `batch` method that records the batch sizes it is given."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[int] = []
        self.fail_on = fail_on
        self.seen = 0

    def __call__(self, image: Image.Image) -> list[Detection]:
        self.seen += 1
        if self.seen == self.fail_on:
            raise RuntimeError("this image breaks the model")
        return fake_detector(image)

    def batch(self, images: list[Image.Image]) -> list[list[Detection]]:
        self.batches.append(len(images))
        if self.fail_on is not None:
            raise RuntimeError("one image of the batch breaks the model")
        return [fake_detector(image) for image in images]


def test_batches_go_through_the_model_at_once_and_one_bad_image_fails_alone(tmp_path: Path) -> None:
    for k in range(7):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    (tmp_path / "photos" / "3.png").write_bytes(b"broken")
    one = annotate(tmp_path / "photos", tmp_path / "a" / "s.jsonl", detector=BatchingDetector())  # one at a time
    batching = BatchingDetector()
    batched = annotate(tmp_path / "photos", tmp_path / "b" / "s.jsonl", detector=batching, batch_size=3)
    assert batching.batches == [3, 2]  # the broken image never reaches the model; the last one goes alone
    assert (tmp_path / "a" / "s.jsonl").read_bytes() == (tmp_path / "b" / "s.jsonl").read_bytes()
    assert batched.scenes_written == one.scenes_written == 6
    flaky = BatchingDetector(fail_on=2)
    summary = annotate(tmp_path / "photos", tmp_path / "c" / "s.jsonl", detector=flaky, batch_size=3)
    assert summary.scenes_written == 5 and summary.scenes_rejected == 2  # the broken file and the image at fault
    reasons = (tmp_path / "c" / "rejects.jsonl").read_text()
    assert "this image breaks the model" in reasons and "cannot read the image" in reasons


def test_batched_transformers_models_give_what_one_at_a_time_gives(tmp_path: Path,
                                                                   tiny_models: tuple[Path, Path, Path]) -> None:
    detr, dpt, _ = tiny_models
    for k in range(4):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    annotate(tmp_path / "photos", tmp_path / "a.jsonl", detector=detr, depth=dpt, threshold=0.0)
    annotate(tmp_path / "photos", tmp_path / "b.jsonl", detector=detr, depth=dpt, threshold=0.0, batch_size=4)
    from veriscene.scene.jsonl import read_scenes

    one, many = list(read_scenes(tmp_path / "a.jsonl")), list(read_scenes(tmp_path / "b.jsonl"))
    assert [s.names for s in one] == [s.names for s in many] and len(one) == 4
    for a, b in zip(one, many):  # the same up to float round-off (a batch may take other kernels)
        np.testing.assert_allclose(a.boxes, b.boxes, atol=0.05)
        np.testing.assert_allclose(a.depth, b.depth, rtol=1e-3, atol=1e-3)


def test_the_mask_model_takes_a_batch_of_images_with_their_own_numbers_of_boxes(
        tmp_path: Path, tiny_models: tuple[Path, Path, Path]) -> None:
    from veriscene.annotate.models import TransformersSegmenter

    sam = TransformersSegmenter(tiny_models[2])
    images = [Image.open(draw_scene(tmp_path / f"{k}.png")).convert("RGB") for k in range(3)]
    boxes = [[(10, 20, 41, 51)], [(70, 15, 111, 56), (10, 20, 41, 51), (0, 0, 120, 80)], []]
    batched = sam.batch(images, boxes)
    assert [len(m) for m in batched] == [1, 3, 0]  # the padding boxes' masks are left out
    for image, asked, got in zip(images, boxes, batched):
        alone = sam(image, asked)
        for a, b in zip(alone, got):  # the same masks, up to a pixel where round-off meets the threshold
            assert a.shape == b.shape == (80, 120) and (a != b).sum() <= 2


def test_masks_go_through_the_mask_model_a_batch_at_a_time(tmp_path: Path) -> None:
    class BatchingSegmenter:
        def __init__(self) -> None:
            self.batches: list[int] = []

        def __call__(self, image: Image.Image, boxes: list) -> list[np.ndarray]:
            self.batches.append(1)
            return square_segmenter(image, boxes)

        def batch(self, images: list, boxes: list) -> list[list[np.ndarray]]:
            self.batches.append(len(images))
            return [square_segmenter(image, b) for image, b in zip(images, boxes)]

    for k in range(5):
        draw_scene(tmp_path / "photos" / f"{k}.png")
    (tmp_path / "photos" / "1.png").write_bytes(b"broken")
    one = annotate(tmp_path / "photos", tmp_path / "a" / "s.jsonl", detector=fake_detector, segmenter=square_segmenter)
    segmenter = BatchingSegmenter()
    annotate(tmp_path / "photos", tmp_path / "b" / "s.jsonl", detector=fake_detector, segmenter=segmenter,
             batch_size=3)
    assert segmenter.batches == [2, 2]  # the broken image never reaches the model
    a, b = ([json.loads(line)["objects"] for line in (tmp_path / d / "s.jsonl").read_text().splitlines()]
            for d in "ab")
    assert a == b and one.scenes_written == len(a) == 4 and all("mask" in o for scene in a for o in scene)
