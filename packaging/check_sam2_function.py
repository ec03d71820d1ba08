"""A CVAT detection function for packaging/check_package.sh: SAM 2.1 tiny from sam2's bundled config
(random weights, 256 px), one box prompt per image. It proves that torch, sam2's Hydra configs and the
TorchScript sources it needs work inside the packaged app. Not part of Fieldmark itself."""

from __future__ import annotations

import numpy as np
import cvat_sdk.auto_annotation as cvataa

spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("person", 0)])
IMAGE_SIZE = 256
_predictor = None


def _predictor_once():  # type: ignore[no-untyped-def]
    global _predictor
    if _predictor is None:
        import torch
        from sam2.build_sam import build_sam2
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        torch.set_num_threads(1)
        model = build_sam2("configs/sam2.1/sam2.1_hiera_t.yaml", ckpt_path=None, device="cpu",
                           hydra_overrides_extra=[f"++model.image_size={IMAGE_SIZE}"])
        _predictor = SAM2ImagePredictor(model)
        # The predictor assumes 1024 px feature maps unless told (see shared env-notes §3).
        _predictor._bb_feat_sizes = [(IMAGE_SIZE // s,) * 2 for s in (4, 8, 16)]
    return _predictor


def detect(context, image):  # type: ignore[no-untyped-def]
    predictor = _predictor_once()
    rgb = np.asarray(image.convert("RGB"))
    predictor.set_image(rgb)
    h, w = rgb.shape[:2]
    box = [w * 0.25, h * 0.25, w * 0.75, h * 0.75]
    masks, scores, _ = predictor.predict(box=np.array(box), multimask_output=False)
    print(f"SAM2 OK: mask {tuple(masks.shape)}, score {float(scores[0]):.3f}", flush=True)
    return [cvataa.rectangle(0, box)]
