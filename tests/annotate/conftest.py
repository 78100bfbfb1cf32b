"""Fixtures of the annotation tests: tiny random transformers models, built here."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A tiny random DETR (classes cup and ball), DPT and SAM, saved with their processors."""
    torch = pytest.importorskip("torch")  # the test extra has torch: never skipped by `make test`
    from transformers import (
        DetrConfig, DetrForObjectDetection, DetrImageProcessor, DPTConfig, DPTForDepthEstimation,
        DPTImageProcessor, ResNetConfig, SamConfig, SamImageProcessor, SamMaskDecoderConfig, SamModel,
        SamProcessor, SamPromptEncoderConfig, SamVisionConfig,
    )

    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    backbone = ResNetConfig(num_channels=3, embedding_size=8, hidden_sizes=[8, 8, 8, 8], depths=[1, 1, 1, 1],
                            out_features=["stage4"])
    detr = DetrConfig(use_timm_backbone=False, backbone_config=backbone, use_pretrained_backbone=False, d_model=16,
                      encoder_layers=1, decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                      encoder_ffn_dim=16, decoder_ffn_dim=16, num_queries=8,
                      id2label={0: "cup", 1: "ball"}, label2id={"cup": 0, "ball": 1})
    DetrForObjectDetection(detr).save_pretrained(root / "detr")
    DetrImageProcessor(size={"shortest_edge": 64, "longest_edge": 96}).save_pretrained(root / "detr")
    dpt = DPTConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16, image_size=32,
                    patch_size=8, backbone_out_indices=[0, 1], neck_hidden_sizes=[8, 8], reassemble_factors=[1, 1],
                    fusion_hidden_size=8, head_in_index=-1)
    DPTForDepthEstimation(dpt).save_pretrained(root / "dpt")
    DPTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(root / "dpt")
    sam = SamConfig(
        vision_config=SamVisionConfig(hidden_size=16, output_channels=8, num_hidden_layers=2, num_attention_heads=2,
                                      image_size=64, patch_size=16, mlp_dim=16, global_attn_indexes=[1],
                                      window_size=2, num_pos_feats=4),
        prompt_encoder_config=SamPromptEncoderConfig(hidden_size=8, image_size=64, patch_size=16, mask_input_channels=4),
        mask_decoder_config=SamMaskDecoderConfig(hidden_size=8, num_hidden_layers=2, num_attention_heads=2, mlp_dim=16,
                                                 iou_head_hidden_dim=8, iou_head_depth=2))
    SamModel(sam).save_pretrained(root / "sam")
    SamProcessor(SamImageProcessor(size={"longest_edge": 64}, pad_size={"height": 64, "width": 64},
                                   mask_size={"longest_edge": 16}, mask_pad_size={"height": 16, "width": 16})
                 ).save_pretrained(root / "sam")
    return root / "detr", root / "dpt", root / "sam"
