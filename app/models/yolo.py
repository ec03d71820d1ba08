"""Ultralytics YOLO checkpoints as CVAT detection functions.

Tasks map as in CVAT's YOLO function: detect -> rectangle, obb -> rotated rectangle, segment -> mask
(polygons when ``conv_mask_to_poly``), pose -> skeleton (keypoints below ``keypoint_threshold`` are
outside), classify -> tag. ``context.conf_threshold`` is passed to predict only when set. Inputs are
converted to BGR as Ultralytics expects for numpy images. Never downloads: the checkpoint must be a
file (see :class:`app.models.manager.ModelManager`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from app.models.detections import BatchDetector, DetectionBatch
from app.models.device import configure_threads, select_device, use_half
from app.models.ultralytics_env import import_yolo

COCO_KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                  "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
                  "left_knee", "right_knee", "left_ankle", "right_ankle")
COCO_SKELETON = ((15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
                 (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6))
SUPPORTED_TASKS = ("detect", "obb", "segment", "pose", "classify")


def _skeleton_svg(name: str, keypoints: list[str], edges: tuple[tuple[int, int], ...]) -> str:
    from app.domain.enums import LabelType
    from app.domain.labels import Label
    from app.domain.labels_json import svg_from_skeleton

    label = Label(name, type=LabelType.SKELETON, sublabels=[Label(k, type=LabelType.POINTS) for k in keypoints],
                  edges=list(edges))
    return svg_from_skeleton(label)


@dataclass(frozen=True)
class BgrFrame:
    """A frame already converted to Ultralytics' BGR input (see :meth:`YoloFunction.prepare`)."""

    array: np.ndarray


class YoloFunction(BatchDetector):
    """A detection function backed by an Ultralytics checkpoint (``detect`` for the CVAT protocol,
    ``detect_batches`` for the runner's fast route).

    Parameters
    ----------
    path:
        The ``.pt`` checkpoint (or a model ``.yaml``, which builds random weights: tests only).
    device:
        Preference (``auto``/``cpu``/``cuda``); None reads the saved preferences.
    keypoint_threshold:
        Keypoint confidence under which a pose keypoint is marked outside (CVAT uses 0.5).
    imgsz, max_det:
        Passed to ``predict`` when given.
    """

    def __init__(self, path: str | Path, *, device: str | None = None, keypoint_threshold: float = 0.5,
                 imgsz: int | None = None, max_det: int | None = None) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() not in (".yaml", ".yml"):
            from app.models.manager import ModelManager

            ModelManager().ensure_safe(self.path)  # Ultralytics' loader unpickles with code allowed
        YOLO = import_yolo()
        self.device = select_device(device)
        self.half = use_half(self.device)
        if self.device == "cpu":
            configure_threads()
        self.model = YOLO(str(self.path))
        self.task = self.model.task
        if self.task not in SUPPORTED_TASKS:
            raise ValueError(f"{self.path}: YOLO task {self.task!r} is not supported ({', '.join(SUPPORTED_TASKS)})")
        self.keypoint_threshold = keypoint_threshold
        self.predict_args: dict[str, Any] = {"verbose": False, "device": self.device}
        if self.half:
            self.predict_args["quantize"] = 16  # fp16 on CUDA (ultralytics 8.4 replaced `half` by `quantize`)
        if imgsz:
            self.predict_args["imgsz"] = imgsz
        if max_det:
            self.predict_args["max_det"] = max_det
        self.spec = self._build_spec()

    # ------------------------------------------------------------------------------- spec
    def _keypoint_names(self) -> list[str]:
        count = int(getattr(self.model.model, "kpt_shape", (0,))[0] or 0)
        return list(COCO_KEYPOINTS) if count == len(COCO_KEYPOINTS) else [str(i + 1) for i in range(count)]

    def _build_spec(self) -> Any:
        import cvat_sdk.auto_annotation as cvataa

        names = dict(self.model.names)
        labels = []
        for class_id, name in sorted(names.items()):
            if self.task == "pose":
                keypoints = self._keypoint_names()
                edges = COCO_SKELETON if len(keypoints) == len(COCO_KEYPOINTS) else ()
                labels.append(cvataa.skeleton_label_spec(
                    name, class_id, [cvataa.keypoint_spec(k, i) for i, k in enumerate(keypoints)],
                    svg=_skeleton_svg(name, keypoints, edges)))
            else:
                kind = {"detect": "rectangle", "obb": "rectangle", "segment": "mask", "classify": "tag"}[self.task]
                labels.append(cvataa.label_spec(name, class_id, type=kind))
        return cvataa.DetectionFunctionSpec(labels=labels)

    # ------------------------------------------------------------------------------- inference
    def prepare(self, rgb: Any) -> BgrFrame:
        """The BGR copy Ultralytics expects, made on the runner's decoding thread (one OpenCV pass:
        a strided NumPy copy of the reversed channels costs ~10x more)."""
        import cv2

        array = np.asarray(rgb)
        if array.ndim == 3 and array.shape[2] == 3 and array.dtype == np.uint8:
            return BgrFrame(cv2.cvtColor(array, cv2.COLOR_RGB2BGR))
        return BgrFrame(np.ascontiguousarray(array[:, :, 2::-1]))

    def prepare_image(self, rgb: Any) -> Any:
        """The CVAT protocol's PIL image of the frame, carrying its BGR copy (made here, on the
        runner's decoding thread, instead of in :meth:`predict` on the inference thread)."""
        image = super().prepare_image(rgb)
        if image.mode == "RGB":
            image.fieldmark_bgr = self.prepare(rgb)
        return image

    def predict(self, image: Any, conf: float | None = None, retina_masks: bool = False) -> Any:
        """The raw Ultralytics result for one PIL image, RGB array or :class:`BgrFrame`."""
        ready = getattr(image, "fieldmark_bgr", None)
        if isinstance(image, BgrFrame):
            bgr = image.array
        elif isinstance(ready, BgrFrame) and image.mode == "RGB" and ready.array.shape[:2] == image.size[::-1]:
            bgr = ready.array  # converted by prepare_image on the decoding thread
        else:
            if hasattr(image, "mode") and image.mode != "RGB":
                image = image.convert("RGB")
            bgr = self.prepare(image).array
        args = dict(self.predict_args)
        if conf is not None:
            args["conf"] = conf
        if retina_masks:
            args["retina_masks"] = True
        return self.model.predict(bgr, **args)[0]

    def detect_batches(self, context: Any, image: Any) -> list[DetectionBatch]:
        conv = bool(context.conv_mask_to_poly)
        result = self.predict(image, context.conf_threshold, retina_masks=self.task == "segment" and not conv)
        if self.task == "classify":
            return self._tags(result, context.conf_threshold)
        if self.task == "obb":
            return self._rotated(result)
        if self.task == "segment":
            return self._segments(result, conv)
        if self.task == "pose":
            return self._poses(result)
        return self._boxes(result)

    @staticmethod
    def _boxes(result: Any) -> list[DetectionBatch]:
        boxes = result.boxes
        return [DetectionBatch("rectangle", boxes.cls.int().tolist(), boxes.conf.tolist(), boxes.xyxy.tolist())]

    @staticmethod
    def _rotated(result: Any) -> list[DetectionBatch]:
        obb = result.obb
        xywhr = obb.xywhr.double().cpu().numpy().reshape(-1, 5)
        cx, cy, w, h = xywhr[:, 0], xywhr[:, 1], xywhr[:, 2] / 2, xywhr[:, 3] / 2
        corners = np.stack([cx - w, cy - h, cx + w, cy + h], axis=1)
        rotations = np.degrees(xywhr[:, 4]) % 360
        return [DetectionBatch("rectangle", obb.cls.int().tolist(), obb.conf.tolist(), corners.tolist(),
                               rotations=rotations.tolist())]

    @staticmethod
    def _segments(result: Any, conv_mask_to_poly: bool) -> list[DetectionBatch]:
        from cvat_sdk.masks import encode_mask

        if result.masks is None:
            return []
        classes, scores = result.boxes.cls.int().tolist(), result.boxes.conf.tolist()
        keep: list[int] = []
        points: list[list[float]] = []
        if conv_mask_to_poly:
            for i, polygon in enumerate(result.masks.xy):
                if len(polygon) >= 3:
                    keep.append(i)
                    points.append(polygon.reshape(-1).astype(float).tolist())
            kind = "polygon"
        else:
            masks = result.masks.data.cpu().numpy() > 0.5
            height, width = result.orig_shape
            for i, (bitmap, box) in enumerate(zip(masks, result.boxes.xyxy.tolist())):
                if bitmap.shape == (height, width) and bitmap.any():
                    keep.append(i)
                    points.append([float(v) for v in encode_mask(bitmap, bbox=box)])
            kind = "mask"
        return [DetectionBatch(kind, [classes[i] for i in keep], [scores[i] for i in keep], points)]

    def _poses(self, result: Any) -> list[DetectionBatch]:
        if result.keypoints is None:
            return []
        xy = result.keypoints.xy.cpu().numpy()
        confidences = result.keypoints.conf
        conf = confidences.cpu().numpy() if confidences is not None else np.ones(xy.shape[:2])
        return [DetectionBatch("skeleton", result.boxes.cls.int().tolist(), result.boxes.conf.tolist(),
                               sublabels=list(range(xy.shape[1])), keypoints=xy.tolist(),
                               outside=(conf < self.keypoint_threshold).tolist())]

    @staticmethod
    def _tags(result: Any, threshold: float | None) -> list[DetectionBatch]:
        probs = result.probs
        if probs is None or (threshold is not None and float(probs.top1conf) < threshold):
            return []
        return [DetectionBatch("tag", [int(probs.top1)], [float(probs.top1conf)])]


def create(model: str = "yolo11n", device: str = "", keypoint_threshold: float = 0.5, imgsz: int = 0,
           max_det: int = 0) -> YoloFunction:
    """cvat-cli style factory: ``--function-module app.models.yolo -p model=str:yolo11n-pose``."""
    from app.models.manager import ModelManager

    path = Path(model) if model.endswith(".yaml") else ModelManager().resolve(model)
    return YoloFunction(path, device=device or None, keypoint_threshold=keypoint_threshold,
                        imgsz=imgsz or None, max_det=max_det or None)
