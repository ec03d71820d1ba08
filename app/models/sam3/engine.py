"""SAM 3 concept segmentation on one image: encode the image once, then one prompt pass per concept.

A prompt is a noun phrase ("parked car") and/or exemplar boxes (positive: "like this", negative: "not
like this"). :meth:`Sam3Engine.segment` returns every instance the model scores above the threshold,
as boxes and binary masks at the image's size. Text embeddings are cached per prompt. Scores follow
the library's post-processing (query score x presence score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.models.sam3.tokens import PromptError, encode


@dataclass(frozen=True)
class Exemplar:
    """An example box in image pixels ``(x1, y1, x2, y2)``; ``positive`` False marks a wrong hit."""

    box: tuple[float, float, float, float]
    positive: bool = True


@dataclass
class Instances:
    """Instances found by one prompt: ``scores`` (N,), ``boxes`` (N, 4) xyxy pixels, ``masks`` (N, H, W) bool."""

    scores: np.ndarray
    boxes: np.ndarray
    masks: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


@dataclass
class ImageFeatures:
    """The vision encoder's output for one image, reusable by every prompt on that image."""

    embeds: Any
    height: int
    width: int


class Sam3Engine:
    """A loaded ``Sam3Model`` with its image processor; one per model, used from one thread."""

    def __init__(self, model: Any, device: str = "cpu") -> None:
        from transformers import Sam3ImageProcessor

        self.model = model.to(device).eval()
        self.device = device
        backbone = model.config.vision_config.backbone_config
        side = int(backbone.image_size)
        mask_side = int(model.config.vision_config.backbone_feature_sizes[0][0])
        self.processor = Sam3ImageProcessor(size={"height": side, "width": side},
                                            mask_size={"height": mask_side, "width": mask_side})
        self._text: dict[str, Any] = {}

    def pixels(self, rgb: np.ndarray) -> tuple[Any, int, int]:
        """The model's input tensor for an RGB ``uint8`` array (runs on any thread)."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB image (H, W, 3), got shape {rgb.shape}")
        if not rgb.flags.writeable:  # decoded frames may be read-only; torch wants writable memory
            rgb = rgb.copy()
        return self.processor(images=rgb, return_tensors="pt").pixel_values, rgb.shape[0], rgb.shape[1]

    def encode_image(self, pixels: Any, height: int, width: int) -> ImageFeatures:
        import torch

        with torch.inference_mode():
            embeds = self.model.get_vision_features(pixel_values=pixels.to(self.device))
        return ImageFeatures(embeds, height, width)

    def text_embeds(self, prompt: str) -> tuple[Any, Any]:
        """``(text features, attention mask)`` of one prompt, cached."""
        import torch

        if prompt not in self._text:
            ids, mask = encode([prompt])
            with torch.inference_mode():
                embeds = self.model.get_text_features(input_ids=ids.to(self.device),
                                                      attention_mask=mask.to(self.device), return_dict=True)
            self._text[prompt] = (embeds, mask.to(self.device))
        return self._text[prompt]

    def segment(self, features: ImageFeatures, prompt: str, exemplars: Sequence[Exemplar] = (),
                threshold: float = 0.5) -> Instances:
        """Every instance of the concept ``prompt`` (and/or ``exemplars``) scoring above ``threshold``."""
        import torch

        if not prompt.strip() and not exemplars:
            raise PromptError("empty prompt: give a text prompt or at least one example box")
        embeds, mask = self.text_embeds(prompt if prompt.strip() else "visual")
        kwargs: dict[str, Any] = {}
        if exemplars:
            kwargs["input_boxes"], kwargs["input_boxes_labels"] = self._boxes(exemplars, features)
        with torch.inference_mode():
            out = self.model(vision_embeds=features.embeds, text_embeds=embeds, attention_mask=mask, **kwargs)
            result = self.processor.post_process_instance_segmentation(
                out, threshold=threshold, target_sizes=[(features.height, features.width)])[0]
        return Instances(result["scores"].float().cpu().numpy(), result["boxes"].float().cpu().numpy(),
                         result["masks"].bool().cpu().numpy().reshape(-1, features.height, features.width))

    def _boxes(self, exemplars: Sequence[Exemplar], features: ImageFeatures) -> tuple[Any, Any]:
        """Exemplars as the model wants them: normalised ``(cx, cy, w, h)`` and labels 1/0."""
        import torch

        rows = []
        for ex in exemplars:
            x1, x2 = sorted((float(ex.box[0]), float(ex.box[2])))
            y1, y2 = sorted((float(ex.box[1]), float(ex.box[3])))
            if x2 - x1 <= 0 or y2 - y1 <= 0:
                raise PromptError(f"example box {ex.box} has no area")
            w, h = features.width, features.height
            rows.append([(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h])
        boxes = torch.tensor([rows], dtype=torch.float32, device=self.device).clamp(0, 1)
        labels = torch.tensor([[1 if ex.positive else 0 for ex in exemplars]], dtype=torch.long, device=self.device)
        return boxes, labels
