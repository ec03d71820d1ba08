"""A reduced SAM 3 built from the library's own ``Sam3Config`` (random weights), for tests and the bench.

Every sub-config keeps its real structure (ViT with windowed + global attention, CLIP text encoder with
the real 49 408-token vocabulary, geometry encoder, DETR encoder/decoder, mask decoder); only widths,
depths, the query count and the input side are small. ``side`` must be a multiple of 28 (patch 14, the
window is half the token grid).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def tiny_config(side: int = 112, queries: int = 8, width: int = 32) -> Any:
    from transformers import Sam3Config

    grid = side // 14
    small = {"hidden_size": width, "intermediate_size": 2 * width, "num_attention_heads": 2}
    return Sam3Config(
        vision_config={"backbone_config": {"model_type": "sam3_vit_model", **small, "num_hidden_layers": 2,
                                           "image_size": side, "pretrain_image_size": side,
                                           "window_size": grid // 2, "global_attn_indexes": [1]},
                       "fpn_hidden_size": width,
                       "backbone_feature_sizes": [[grid * 4] * 2, [grid * 2] * 2, [grid] * 2]},
        text_config={**small, "num_hidden_layers": 1, "projection_dim": width},
        geometry_encoder_config={**small, "num_layers": 1},
        detr_encoder_config={**small, "num_layers": 1},
        detr_decoder_config={**small, "num_layers": 1, "num_queries": queries},
        mask_decoder_config={"hidden_size": width, "num_attention_heads": 2},
    )


def tiny_model(seed: int = 0, **config: Any) -> Any:
    import torch
    from transformers import Sam3Model

    torch.manual_seed(seed)
    return Sam3Model(tiny_config(**config)).eval()


def save_tiny(path: Path, seed: int = 0, **config: Any) -> Path:
    from app.models.sam3.checkpoint import save_checkpoint

    return save_checkpoint(tiny_model(seed, **config), path)


def tiny_tracker(detector: Any, seed: int = 1) -> Any:
    """A reduced ``Sam3TrackerModel`` sharing ``detector``'s vision backbone (as the released model does)."""
    import torch
    from transformers import Sam3TrackerConfig, Sam3TrackerModel

    torch.manual_seed(seed)
    vision = detector.config.vision_config
    side = int(vision.backbone_config.image_size)
    width = int(vision.fpn_hidden_size)
    config = Sam3TrackerConfig(
        vision_config=vision.to_dict(),
        prompt_encoder_config={"hidden_size": width, "image_size": side, "patch_size": 14},
        mask_decoder_config={"hidden_size": width, "mlp_dim": 2 * width, "num_attention_heads": 2,
                             "iou_head_hidden_dim": width})
    tracker = Sam3TrackerModel(config).eval()
    backbone = {k: v for k, v in detector.state_dict().items() if k.startswith("vision_encoder.backbone.")}
    tracker.load_state_dict(backbone, strict=False)
    return tracker


def save_tiny_full(path: Path, seed: int = 0) -> Path:
    """A reduced SAM 3 checkpoint in the released video layout: detector + tracker weights."""
    from app.models.sam3.checkpoint import save_checkpoint

    detector = tiny_model(seed)
    return save_checkpoint(detector, path, tracker=tiny_tracker(detector))
