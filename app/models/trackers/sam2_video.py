"""SAM 2 video tracking of polygons and masks with memory bounded in the length of the video.

The reference ``SAM2VideoPredictor`` loads every frame up front (12 MB per frame at 1024 px) and keeps
every frame's outputs for the whole run (about 0.75 MiB per frame per object). Propagation only ever
attends to the conditioning frame, the last ``num_maskmem - 1`` memory frames and the object pointers
of the last ``max_obj_ptrs_in_encoder`` frames (perf-anchors.md section 2), so this tracker drives the
model step by step (``SAM2Base.track_step``) with its own state:

- frames arrive one at a time (the runner decodes them on demand) and are encoded once for all objects;
- each object keeps its conditioning output plus a sliding window of recent outputs; outputs that
  fall out of the memory window lose their memory features, and outputs older than the pointer window
  are dropped, so the state of an object has a fixed size whatever the length of the video;
- time inside a state is the number of steps since the conditioning frame, so tracking backwards is
  the same walk over frames taken in reverse order.

Results come back in the type of the original shape: a mask cut to its tight box, or the largest outer
contour of the mask simplified to a polygon. An empty mask (SAM 2's object score says the object is
gone) means the object is lost.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from app.domain.enums import ShapeType
from app.domain.geometry import bitmap_to_shape, shape_to_bitmap
from app.models.trackers.base import TrackerError, TrackTarget, check_supported

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# Fall back to several masks when the single one is unstable (as SAM 2's video predictor does).
STABILITY_OVERRIDES = [
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_via_stability=true",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_delta=0.05",
    "++model.sam_mask_decoder_extra_args.dynamic_multimask_stability_thresh=0.98",
]
_KEEP_KEYS = ("maskmem_features", "maskmem_pos_enc", "obj_ptr", "object_score_logits")


def build_model(checkpoint: str | Path, *, config: str | None = None, image_size: int | None = None,
                device: str | None = None, threads: int | None = None) -> Any:
    """Build SAM 2 (``SAM2Base``) from a checkpoint name or path through sam2's own loader.

    The checkpoint is resolved and its config chosen as for the interactor
    (:mod:`app.models.sam2_image`). ``image_size`` overrides the model's input size (256 makes CPU
    runs ~50x cheaper, less precise). Raises :class:`TrackerError` naming the file on failure.
    """
    from app.models.device import configure_threads, select_device
    from app.models.manager import ModelError, ModelManager
    from app.models.sam2_image import Sam2Error, config_for, resolve_checkpoint

    try:
        path = resolve_checkpoint(checkpoint)
        name = config_for(path, config)
        ModelManager().ensure_safe(path)
    except (ModelError, Sam2Error) as exc:
        raise TrackerError(str(exc)) from exc
    import sam2  # noqa: F401 - initialises sam2's Hydra config module
    from sam2.build_sam import build_sam2

    overrides = list(STABILITY_OVERRIDES)
    if image_size:
        if image_size % 32:
            raise TrackerError(f"SAM 2 image size must be a multiple of 32, got {image_size}")
        overrides.append(f"++model.image_size={int(image_size)}")
    configure_threads(threads)
    try:
        return build_sam2(name, ckpt_path=str(path), device=select_device(device), mode="eval",
                          hydra_overrides_extra=overrides, apply_postprocessing=False)
    except (RuntimeError, KeyError, OSError, ValueError) as exc:
        raise TrackerError(f"{path}: cannot load it as a SAM 2 checkpoint with config {name} ({exc})") from exc


@dataclass
class Sam2Frame:
    """One frame encoded by SAM 2's image encoder (shared by every object on that frame)."""

    vision_feats: list[Any]
    vision_pos: list[Any]
    feat_sizes: list[tuple[int, int]]
    height: int
    width: int


@dataclass
class Sam2State:
    """Fixed-size memory of one tracked object."""

    shape_type: ShapeType
    size: tuple[int, int]  # (height, width) of the frames
    step: int = 0
    cond: dict[int, dict[str, Any]] = field(default_factory=dict)
    recent: OrderedDict[int, dict[str, Any]] = field(default_factory=OrderedDict)

    def stored_frames(self) -> int:
        return len(self.cond) + len(self.recent)

    def memory_frames(self) -> int:
        """How many stored outputs still hold memory features."""
        return sum(1 for out in (*self.cond.values(), *self.recent.values()) if "maskmem_features" in out)


def _compact(out: dict[str, Any]) -> dict[str, Any]:
    kept = {key: out[key] for key in _KEEP_KEYS if out.get(key) is not None}
    if "maskmem_pos_enc" in kept:
        kept["maskmem_pos_enc"] = [kept["maskmem_pos_enc"][-1]]
    return kept


class Sam2Tracker:
    """Polygons and masks with SAM 2 (any size); see the module docstring for the memory rules."""

    name = "SAM 2"
    supported_types = frozenset({ShapeType.POLYGON, ShapeType.MASK})

    def __init__(self, model: Any, *, name: str | None = None) -> None:
        self.model = model
        if name:
            self.name = name
        self.image_size = int(model.image_size)
        stride = max(1, int(getattr(model, "memory_temporal_stride_for_eval", 1)))
        self.memory_window = max(1, (int(model.num_maskmem) - 1) * stride + 1)
        self.pointer_window = max(self.memory_window, int(getattr(model, "max_obj_ptrs_in_encoder", 16)))

    @classmethod
    def load(cls, checkpoint: str | Path, *, config: str | None = None, image_size: int | None = None,
             device: str | None = None, threads: int | None = None) -> Sam2Tracker:
        return cls(build_model(checkpoint, config=config, image_size=image_size, device=device, threads=threads))

    # ------------------------------------------------------------------ helpers
    def _context(self) -> contextlib.AbstractContextManager:
        import torch

        if self.model.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _input_tensor(self, image: np.ndarray) -> Any:
        import torch

        size = self.image_size
        resized = cv2.resize(np.ascontiguousarray(image), (size, size), interpolation=cv2.INTER_LINEAR)
        normalised = (resized.astype(np.float32) / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
        return torch.from_numpy(normalised.transpose(2, 0, 1).copy())[None].to(self.model.device)

    def _mask_input(self, mask: np.ndarray) -> Any:
        import torch
        import torch.nn.functional as F

        tensor = torch.from_numpy(mask.astype(np.float32))[None, None].to(self.model.device)
        size = self.image_size
        resized = F.interpolate(tensor, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        return (resized >= 0.5).float()

    def _to_frame(self, logits: Any, height: int, width: int) -> np.ndarray:
        import torch.nn.functional as F

        full = F.interpolate(logits.float(), size=(height, width), mode="bilinear", align_corners=False)
        return (full[0, 0] > 0).cpu().numpy()

    def _prune(self, state: Sam2State) -> None:
        """Keep only what the next step can attend to (see the module docstring)."""
        nxt = state.step + 1
        for index in list(state.recent):
            if index <= nxt - self.pointer_window:
                del state.recent[index]
            elif index <= nxt - self.memory_window:
                out = state.recent[index]
                out.pop("maskmem_features", None)
                out.pop("maskmem_pos_enc", None)

    # ------------------------------------------------------------------ protocol
    def preprocess(self, image: np.ndarray) -> Sam2Frame:
        import torch

        if image.ndim != 3 or image.shape[2] != 3:
            raise TrackerError(f"{self.name} needs an RGB image, got an array of shape {image.shape}")
        with torch.inference_mode(), self._context():
            backbone = self.model.forward_image(self._input_tensor(image))
            _, feats, pos, sizes = self.model._prepare_backbone_features(backbone)
        return Sam2Frame(feats, pos, sizes, image.shape[0], image.shape[1])

    def init_state(self, pre: Sam2Frame, target: TrackTarget) -> Sam2State:
        import torch

        check_supported(self, target)
        mask = shape_to_bitmap(target.type, target.points, pre.width, pre.height)
        if not mask.any():
            raise TrackerError(f"{self.name}: the {target.type.value} covers no pixel of the frame")
        state = Sam2State(target.type, (pre.height, pre.width))
        with torch.inference_mode(), self._context():
            out = self.model.track_step(
                frame_idx=0, is_init_cond_frame=True, current_vision_feats=pre.vision_feats,
                current_vision_pos_embeds=pre.vision_pos, feat_sizes=pre.feat_sizes, point_inputs=None,
                mask_inputs=self._mask_input(mask),
                output_dict={"cond_frame_outputs": {}, "non_cond_frame_outputs": {}},
                num_frames=1, run_mem_encoder=True,
            )
        state.cond[0] = _compact(out)
        return state

    def track(self, pre: Sam2Frame, state: Sam2State) -> list[float] | None:
        import torch

        if (pre.height, pre.width) != state.size:
            raise TrackerError(f"{self.name}: frame size changed from {state.size} to {(pre.height, pre.width)}")
        state.step += 1
        with torch.inference_mode(), self._context():
            out = self.model.track_step(
                frame_idx=state.step, is_init_cond_frame=False, current_vision_feats=pre.vision_feats,
                current_vision_pos_embeds=pre.vision_pos, feat_sizes=pre.feat_sizes, point_inputs=None,
                mask_inputs=None,
                output_dict={"cond_frame_outputs": state.cond, "non_cond_frame_outputs": state.recent},
                num_frames=state.step + 1, run_mem_encoder=True,
            )
            mask = self._to_frame(out["pred_masks"], pre.height, pre.width)
        state.recent[state.step] = _compact(out)
        self._prune(state)
        return bitmap_to_shape(mask, state.shape_type)

    def close(self) -> None:
        self.model = None
