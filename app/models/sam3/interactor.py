"""SAM 3 as a click/box interactor (the Interactors tab, like SAM 2): ``Sam3TrackerModel`` from the
full SAM 3 checkpoint, through the :class:`app.models.interactor.Interactor` protocol.

``prepare`` computes the image embeddings once per frame (kept for the last :data:`KEEP` frames);
``predict`` runs the prompt encoder and mask decoder for the clicks and box and returns the mask at
the frame's size. Loading is lazy (first ``prepare``/``predict``, in the tool's worker thread).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import numpy as np

from app.models.interactor import MaskResult, Prompts

KEEP = 2


class Sam3Interactor:
    """Clicks (positive/negative) and a box -> one mask, with SAM 3's tracker."""

    name = "sam3"
    description = ("SAM 3 (Meta, Nov 2025): clicks and a box give one object's mask, as SAM 2; needs the "
                   "SAM 3 checkpoint imported in AI > Models (SAM License)")

    def __init__(self, spec: str = "sam3", *, manager: Any = None, device: str | None = None) -> None:
        self.spec, self.manager, self.device = spec, manager, device
        self.model: Any = None
        self.processor: Any = None
        self.image_processor: Any = None
        self._lock = threading.Lock()
        self._embeddings: OrderedDict[Hashable, tuple[Any, tuple[int, int]]] = OrderedDict()

    def check(self) -> str | None:
        """Why the model cannot be used (no checkpoint, licence, no tracker weights), else None. Reads
        only the file's header: cheap enough for the GUI thread."""
        from app.models.manager import ModelManager
        from app.models.model_files import ModelError
        from app.models.sam3.checkpoint import check_sam3, resolve
        from app.models.sam3.licence import LICENCE_NAME, LicenceStore

        manager = self.manager or ModelManager()
        try:
            path = resolve(self.spec, manager)
            header = check_sam3(path)
            if not LicenceStore(manager.root).accepted(LICENCE_NAME):
                return f"SAM 3: the {LICENCE_NAME} has not been accepted; import the checkpoint in AI > Models"
        except ModelError as exc:
            return str(exc)
        if not any(k.startswith("tracker_model.") for k in header):
            return f"{path}: this SAM 3 file has no tracker weights, which clicks and boxes need"
        return None

    def load(self) -> None:
        with self._lock:
            if self.model is not None:
                return
            from transformers import Sam3ImageProcessor, Sam3TrackerProcessor

            from app.models.device import configure_threads, select_device
            from app.models.sam3.checkpoint import load_tracker, resolve

            device = select_device(self.device)
            if device == "cpu":
                configure_threads()
            model = load_tracker(resolve(self.spec, self.manager), self.manager).to(device)
            side = int(model.config.prompt_encoder_config.image_size)
            mask_side = int(model.config.vision_config.backbone_feature_sizes[0][0])
            self.image_processor = Sam3ImageProcessor(size={"height": side, "width": side},
                                                      mask_size={"height": mask_side, "width": mask_side})
            self.processor = Sam3TrackerProcessor(image_processor=self.image_processor)
            self.device, self.model = device, model

    def requirement(self, prompts: Prompts) -> str | None:
        return None if prompts.positive or prompts.box is not None else "click on the object (or drag a box)"

    def is_prepared(self, key: Hashable) -> bool:
        return key in self._embeddings

    def prepare(self, key: Hashable, image: np.ndarray) -> None:
        import torch

        if key in self._embeddings:
            self._embeddings.move_to_end(key)
            return
        self.load()
        rgb = np.array(image, copy=True)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB image (H, W, 3), got shape {rgb.shape}")
        pixels = self.image_processor(images=rgb, return_tensors="pt").pixel_values.to(self.device)
        with torch.inference_mode():
            embeddings = self.model.get_image_embeddings(pixels)
        self._embeddings[key] = (embeddings, rgb.shape[:2])
        while len(self._embeddings) > KEEP:
            self._embeddings.popitem(last=False)

    def predict(self, key: Hashable, image: np.ndarray | None, prompts: Prompts) -> MaskResult:
        import torch

        missing = self.requirement(prompts)
        if missing:
            raise ValueError(missing)
        if key not in self._embeddings:
            if image is None:
                raise ValueError("no image for this frame yet")
            self.prepare(key, image)
        embeddings, (height, width) = self._embeddings[key]
        inputs = self._prompt_tensors(prompts, height, width)
        with torch.inference_mode():
            out = self.model(image_embeddings=embeddings, multimask_output=False, **inputs)
            masks = self.processor.post_process_masks(out.pred_masks.cpu(), [[height, width]])[0]
        mask = masks.reshape(-1, height, width)[0].numpy().astype(bool)
        return MaskResult(mask, 0, 0, width, height, score=float(out.iou_scores.reshape(-1)[0]))

    def _prompt_tensors(self, prompts: Prompts, height: int, width: int) -> dict[str, Any]:
        points = [*prompts.positive, *prompts.negative]
        kwargs: dict[str, Any] = {"original_sizes": [[height, width]], "return_tensors": "pt"}
        if points:
            kwargs["input_points"] = [[[[float(x), float(y)] for x, y in points]]]
            kwargs["input_labels"] = [[[1] * len(prompts.positive) + [0] * len(prompts.negative)]]
        if prompts.box is not None:
            x1, y1, x2, y2 = prompts.box
            kwargs["input_boxes"] = [[[min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]]]
        encoded = self.processor(images=None, **kwargs)
        return {k: encoded[k].to(self.device) for k in ("input_points", "input_labels", "input_boxes") if k in encoded}

