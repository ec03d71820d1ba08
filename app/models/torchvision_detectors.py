"""torchvision's COCO detectors (Faster R-CNN, Mask R-CNN, RetinaNet, Keypoint R-CNN) from checkpoint files.

The checkpoint is a ``state_dict`` (optionally wrapped as ``{"model": ...}`` / ``{"state_dict": ...}``,
optionally with ``"categories"``); the architecture is recognised from its keys and confirmed by a
strict load. Labels are the COCO categories torchvision ships as weight metadata (no download),
unless the file carries its own. Outputs: rectangles, masks (polygons with ``conv_mask_to_poly``) or
person skeletons with the 17 COCO keypoints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.domain.geometry import TRACK_TOLERANCE, mask_to_polygon
from app.models.detections import BatchDetector, DetectionBatch
from app.models.device import configure_threads, select_device
from app.models.yolo import COCO_KEYPOINTS, COCO_SKELETON, _skeleton_svg

FAMILIES: dict[str, tuple[str, ...]] = {
    "keypoint": ("keypointrcnn_resnet50_fpn",),
    "mask": ("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"),
    "retina": ("retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2"),
    "box": ("fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2", "fasterrcnn_mobilenet_v3_large_fpn",
            "fasterrcnn_mobilenet_v3_large_320_fpn"),
}
OUTPUT_TYPE = {"keypoint": "skeleton", "mask": "mask", "retina": "rectangle", "box": "rectangle"}
SKIPPED_CATEGORIES = ("__background__", "N/A")


class CheckpointError(ValueError):
    """The file is not a torchvision detector checkpoint this module knows."""


def family_of(keys: set[str]) -> str:
    if any(k.startswith("roi_heads.keypoint_predictor") for k in keys):
        return "keypoint"
    if any(k.startswith("roi_heads.mask_predictor") for k in keys):
        return "mask"
    if any(k.startswith("head.classification_head") for k in keys):
        return "retina"
    if any(k.startswith("roi_heads.box_predictor") for k in keys):
        return "box"
    raise CheckpointError("no torchvision detector heads (roi_heads / head.classification_head) in the state dict")


def _unwrap(raw: Any) -> tuple[dict[str, Any], list[str] | None]:
    categories = None
    if isinstance(raw, dict):
        categories = raw.get("categories")
        for key in ("model", "state_dict"):
            if isinstance(raw.get(key), dict):
                raw = raw[key]
                break
    if not isinstance(raw, dict):
        raise CheckpointError("expected a state_dict (a mapping of tensor names to tensors)")
    return raw, categories


def _num_classes(state: dict[str, Any], family: str) -> int:
    if family == "retina":
        weight = state["head.classification_head.cls_logits.weight"]
        anchors = state["head.regression_head.bbox_reg.weight"].shape[0] // 4
        return int(weight.shape[0] // anchors)
    return int(state["roi_heads.box_predictor.cls_score.weight"].shape[0])


def coco_categories(arch: str) -> list[str]:
    import torchvision

    return list(torchvision.models.get_model_weights(arch).DEFAULT.meta["categories"])


def load_detector(path: str | Path, device: str = "cpu", arch: str = "") -> tuple[Any, str, str, list[str]]:
    """Build the model for a checkpoint file; returns (model, arch, family, categories).

    ``arch`` forces one torchvision builder name. Without it the first architecture of the recognised
    family that loads strictly wins; note that the MobileNet 320 and full-resolution Faster R-CNN have
    identical weights and differ only in input size, so pass ``arch`` to get the 320 one."""
    import torch
    import torchvision

    from app.models.manager import ModelError, ModelManager

    path = Path(path)
    try:
        ModelManager().ensure_safe(path)
    except ModelError as exc:
        raise CheckpointError(str(exc)) from exc
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for unreadable/unsafe files
        raise CheckpointError(f"{path}: cannot read the checkpoint ({type(exc).__name__}: {exc})") from exc
    state, categories = _unwrap(raw)
    family = family_of(set(state))
    classes = _num_classes(state, family)
    errors = []
    if arch and arch not in FAMILIES[family]:
        raise CheckpointError(f"{path}: the weights are a {family} detector, not {arch}")
    for candidate in (arch,) if arch else FAMILIES[family]:
        kwargs: dict[str, Any] = {"weights": None, "weights_backbone": None, "num_classes": classes}
        if family == "keypoint":
            kwargs["num_keypoints"] = int(state["roi_heads.keypoint_predictor.kps_score_lowres.weight"].shape[1])
        model = torchvision.models.get_model(candidate, **kwargs)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            errors.append(f"{candidate}: {str(exc).splitlines()[0]}")
            continue
        names = list(categories) if categories else coco_categories(candidate)
        if len(names) != classes:
            names = [names[i] if i < len(names) else str(i) for i in range(classes)]
        return model.eval().to(device), candidate, family, names
    raise CheckpointError(f"{path}: matches no known {family} architecture ({'; '.join(errors)})")


class TorchvisionFunction(BatchDetector):
    """A detection function over a torchvision detector checkpoint."""

    def __init__(self, path: str | Path, *, device: str | None = None, default_threshold: float = 0.5,
                 keypoint_threshold: float = 0.0, arch: str = "") -> None:
        self.device = select_device(device)
        if self.device == "cpu":
            configure_threads()
        self.model, self.arch, self.family, self.categories = load_detector(path, self.device, arch)
        self.default_threshold = default_threshold
        self.keypoint_threshold = keypoint_threshold
        self.spec = self._build_spec()

    def _build_spec(self) -> Any:
        import cvat_sdk.auto_annotation as cvataa

        labels = []
        for index, name in enumerate(self.categories):
            if name in SKIPPED_CATEGORIES:
                continue
            if self.family == "keypoint":
                kps = list(COCO_KEYPOINTS)
                labels.append(
                    cvataa.skeleton_label_spec(
                        name,
                        index,
                        [cvataa.keypoint_spec(k, i) for i, k in enumerate(kps)],
                        svg=_skeleton_svg(name, kps, COCO_SKELETON),
                    )
                )
            else:
                labels.append(cvataa.label_spec(name, index, type=OUTPUT_TYPE[self.family]))
        return cvataa.DetectionFunctionSpec(labels=labels)

    def detect_batches(self, context: Any, image: Any) -> list[DetectionBatch]:
        import torch
        from torchvision.transforms.functional import to_tensor

        threshold = context.conf_threshold if context.conf_threshold is not None else self.default_threshold
        with torch.inference_mode():
            output = self.model([to_tensor(image.convert("RGB")).to(self.device)])[0]
        valid = {label.id for label in self.spec.labels}
        labels, scores = output["labels"].tolist(), output["scores"].tolist()
        keep = [i for i, (label, score) in enumerate(zip(labels, scores)) if score >= threshold and label in valid]
        if self.family == "keypoint":
            return [self._skeletons(output, keep, labels, scores)]
        if self.family == "mask":
            return [self._masks(output, keep, labels, scores, bool(context.conv_mask_to_poly))]
        boxes = output["boxes"].tolist()
        return [DetectionBatch("rectangle", [labels[i] for i in keep], [scores[i] for i in keep],
                               [boxes[i] for i in keep])]

    def _skeletons(self, output: dict, keep: list[int], labels: list[int], scores: list[float]) -> DetectionBatch:
        keypoints = output["keypoints"][:, :, :2].tolist()
        kscores = output["keypoints_scores"].tolist()
        return DetectionBatch("skeleton", [labels[i] for i in keep], [scores[i] for i in keep],
                              sublabels=list(range(len(COCO_KEYPOINTS))), keypoints=[keypoints[i] for i in keep],
                              outside=[[s < self.keypoint_threshold for s in kscores[i]] for i in keep])

    @staticmethod
    def _masks(output: dict, keep: list[int], labels: list[int], scores: list[float], conv: bool) -> DetectionBatch:
        from cvat_sdk.masks import encode_mask

        boxes = output["boxes"].tolist()
        kept, points = [], []
        for i in keep:
            bitmap = output["masks"][i, 0].cpu().numpy() >= 0.5
            if not bitmap.any():
                continue
            if conv:
                encoded = mask_to_polygon(bitmap, tolerance=TRACK_TOLERANCE) or []
            else:
                encoded = [float(v) for v in encode_mask(bitmap, bbox=boxes[i])]
            if encoded:
                kept.append(i)
                points.append(encoded)
        return DetectionBatch("polygon" if conv else "mask", [labels[i] for i in kept], [scores[i] for i in kept],
                              points)


def create(model: str, device: str = "", threshold: float = 0.5, arch: str = "") -> TorchvisionFunction:
    """cvat-cli style factory: ``--function-module app.models.torchvision_detectors -p model=str:FILE``."""
    from app.models.manager import ModelManager

    return TorchvisionFunction(ModelManager().resolve(model), device=device or None, default_threshold=threshold,
                              arch=arch)
