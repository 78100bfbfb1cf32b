"""`veriscene annotate` on 1 and 2 (or more) workers: images per second, and the same output.

    python benchmarks/annotate_workers.py                          # 48 images, workers 1 and 2
    python benchmarks/annotate_workers.py --images 96 --workers 1 2 4 --stand-in
    python benchmarks/annotate_workers.py --batch-size 4          # the models a batch at a time
    python benchmarks/annotate_workers.py --workers 2 --device cpu,cpu   # each worker loads its own models

No model weights can be fetched here, so the models are transformers models of real architectures
and moderate size with random weights, built once and cached in `--cache`: a DETR (ResNet
backbone, images resized to a shortest edge of `--edge`), a DPT depth model and a SAM mask model.
Random weights cost what trained ones cost per image; they only find other objects (the detector's
threshold is 0, at most `--objects` per image, so SAM gets that many boxes). The images are random
rectangles, 640x480 PNG. With `--stand-in` the models are replaced by callables that cost nothing
(the pipeline's own work: reading images, colours, relations, writing).

Each worker count runs at one torch thread per worker (`--threads`, default 1) so that the output
can be compared byte for byte (a model's sums may round otherwise on another number of threads);
a row with the default threads (`cores / workers`) is printed too for one worker. Wall-clock time;
the median of `--repeats`. With `--device` (as `veriscene annotate --device`: several,
comma-separated, put the workers on them in turn, each loading its own copy of the models, as on
GPUs) the time includes each worker's loading; rows with fewer workers than devices are skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from annotate_overhead import make_images  # noqa: E402


def build_models(root: Path, edge: int) -> tuple[Path, Path, Path]:
    import torch
    from transformers import (
        DetrConfig, DetrForObjectDetection, DetrImageProcessor, DPTConfig, DPTForDepthEstimation,
        DPTImageProcessor, ResNetConfig, SamConfig, SamImageProcessor, SamMaskDecoderConfig, SamModel,
        SamProcessor, SamPromptEncoderConfig, SamVisionConfig,
    )

    folder = root / f"annotate-models-{edge}"
    paths = folder / "detr", folder / "dpt", folder / "sam"
    if all((p / "config.json").is_file() for p in paths):
        return paths
    torch.manual_seed(0)
    names = ["person", "car", "dog", "chair", "cup", "bottle", "table", "bicycle"]
    backbone = ResNetConfig(num_channels=3, embedding_size=32, hidden_sizes=[64, 128, 256, 512], depths=[2, 2, 2, 2],
                            layer_type="basic", out_features=["stage4"])
    detr = DetrConfig(use_timm_backbone=False, backbone_config=backbone, use_pretrained_backbone=False, d_model=128,
                      encoder_layers=3, decoder_layers=3, encoder_attention_heads=4, decoder_attention_heads=4,
                      encoder_ffn_dim=512, decoder_ffn_dim=512, num_queries=50,
                      id2label=dict(enumerate(names)), label2id={n: k for k, n in enumerate(names)})
    DetrForObjectDetection(detr).save_pretrained(paths[0])
    DetrImageProcessor(size={"shortest_edge": edge, "longest_edge": edge * 4 // 3}).save_pretrained(paths[0])
    dpt = DPTConfig(hidden_size=192, num_hidden_layers=4, num_attention_heads=4, intermediate_size=768,
                    image_size=224, patch_size=16, backbone_out_indices=[0, 1, 2, 3],
                    neck_hidden_sizes=[48, 96, 192, 384], fusion_hidden_size=64)
    DPTForDepthEstimation(dpt).save_pretrained(paths[1])
    DPTImageProcessor(size={"height": 224, "width": 224}).save_pretrained(paths[1])
    sam = SamConfig(
        vision_config=SamVisionConfig(hidden_size=192, output_channels=64, num_hidden_layers=4, num_attention_heads=4,
                                      image_size=256, patch_size=16, mlp_dim=768, global_attn_indexes=[1, 3],
                                      window_size=4, num_pos_feats=32),
        prompt_encoder_config=SamPromptEncoderConfig(hidden_size=64, image_size=256, patch_size=16,
                                                     mask_input_channels=16),
        mask_decoder_config=SamMaskDecoderConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                                 mlp_dim=256, iou_head_hidden_dim=64, iou_head_depth=3))
    SamModel(sam).save_pretrained(paths[2])
    SamProcessor(SamImageProcessor(size={"longest_edge": 256}, pad_size={"height": 256, "width": 256},
                                   mask_size={"longest_edge": 64}, mask_pad_size={"height": 64, "width": 64})
                 ).save_pretrained(paths[2])
    return paths


def stand_ins(width: int, height: int, objects: int) -> dict:
    from veriscene.annotate import Detection

    rng = np.random.default_rng(1)
    found = []
    for k in range(objects):
        x0, y0 = float(rng.uniform(0, width - 60)), float(rng.uniform(0, height - 60))
        found.append(Detection(("person", "car", "cup")[k % 3], (x0, y0, x0 + 50.0, y0 + 40.0), 0.9))
    return {"detector": StandIn(found), "depth": Flat(width, height)}


class StandIn:  # module-level classes: they travel to spawned workers too
    def __init__(self, found: list) -> None:
        self.found = found

    def __call__(self, image):  # noqa: ANN001, ANN204
        return list(self.found)


class Flat:
    def __init__(self, width: int, height: int) -> None:
        self.map = np.tile(np.linspace(0.0, 1.0, width), (height, 1))

    def __call__(self, image):  # noqa: ANN001, ANN204
        return self.map


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--objects", type=int, default=8)
    parser.add_argument("--edge", type=int, default=320)
    parser.add_argument("--batch-size", type=int, default=1, help="images through each model at once")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--stand-in", action="store_true", help="callables that cost nothing instead of models")
    parser.add_argument("--device", default="cpu", help="torch device(s), as `veriscene annotate --device`")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "veriscene-bench")
    args = parser.parse_args()

    from veriscene.annotate import annotate

    folder = make_images(args.cache, args.images, 640, 480, 0)
    if args.stand_in:
        stages = stand_ins(640, 480, args.objects)
        what = f"stand-in stages ({args.objects} boxes, a fixed depth map)"
    else:
        detr, dpt, sam = build_models(args.cache, args.edge)
        stages = {"detector": detr, "depth": dpt, "segmenter": sam, "threshold": 0.0, "max_objects": args.objects}
        what = f"random-weight DETR (edge {args.edge}), DPT and SAM, {args.objects} objects per image"
    devices = [d for d in args.device.split(",") if d.strip()]
    print(f"{args.images} images of 640x480; {what}; batch size {args.batch_size}; device {args.device}; "
          f"wall-clock, median of {args.repeats}")
    print(f"{'workers':>7} {'threads':>7} {'seconds':>8} {'images/s':>9} {'speed-up':>9}  output sha256")
    rows = [(w, args.threads) for w in args.workers] + [(1, None)]
    first = None
    with tempfile.TemporaryDirectory() as work:
        for workers, threads in rows:
            if workers < len(devices):
                continue
            times = []
            for r in range(args.repeats):
                out = Path(work) / f"w{workers}-t{threads}-{r}" / "scenes.jsonl"
                t = time.perf_counter()
                annotate(folder, out, workers=workers, threads=threads, batch_size=args.batch_size,
                         device=args.device, **stages)
                times.append(time.perf_counter() - t)
            seconds = statistics.median(times)
            first = first or seconds
            digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
            shown = "torch's" if threads is None else str(threads)
            print(f"{workers:>7} {shown:>7} {seconds:>8.2f} {args.images / seconds:>9.2f} {first / seconds:>9.2f}  "
                  f"{digest}")


if __name__ == "__main__":
    main()
