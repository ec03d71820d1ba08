"""Columnar outputs of the built-in adapters (YOLO, torchvision): one batch of objects per shape type.

The built-in adapters produce :class:`DetectionBatch` objects and never need cvat-sdk request objects
on the hot path: the runner hands batches to :meth:`app.models.validation.OutputMapper.map_batches`,
which still checks every label id, shape type, point list and skeleton (the rules that apply to
data of this form; ids, sources, frames and attributes cannot be set in a batch). ``detect()`` of the
same adapters converts the batches with :func:`to_sdk`, so they stay ordinary CVAT detection
functions, and both routes give identical shapes (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BATCH_TYPES = ("rectangle", "polygon", "mask", "skeleton", "tag")


@dataclass
class DetectionBatch:
    """Objects of one type from one frame, in columns.

    Parameters
    ----------
    type:
        One of :data:`BATCH_TYPES`.
    labels:
        Spec label id per object.
    scores:
        Confidence per object (ignored for tags).
    points:
        Point list per object in CVAT's encoding (empty lists for skeletons and tags).
    rotations:
        Degrees per object (rectangles only), or None.
    sublabels:
        Skeletons: the spec sublabel id of each keypoint column (same for every object).
    keypoints, outside:
        Skeletons: per object, ``[x, y]`` per keypoint and whether each keypoint is outside.
    """

    type: str
    labels: Sequence[int]
    scores: Sequence[float]
    points: Sequence[Sequence[float]] = ()
    rotations: Sequence[float] | None = None
    sublabels: Sequence[int] = ()
    keypoints: Sequence[Sequence[Sequence[float]]] = ()
    outside: Sequence[Sequence[bool]] = ()

    def __len__(self) -> int:
        return len(self.labels)


class BatchDetector:
    """Base of the built-in adapters: implement :meth:`detect_batches`; ``detect`` (the CVAT protocol)
    is derived from it. Only classes of this package derive from it, so user functions always take
    the cvat-sdk route and its full validation."""

    spec: Any

    def prepare(self, rgb: Any) -> Any:
        """Turn a decoded RGB array into :meth:`detect_batches`' input; the runner calls it on its
        decoding thread, ahead of inference. The default is the PIL image of the CVAT protocol."""
        from PIL import Image

        return Image.fromarray(rgb)

    def detect_batches(self, context: Any, image: Any) -> list[DetectionBatch]:
        raise NotImplementedError

    def detect(self, context: Any, image: Any) -> list[Any]:
        return to_sdk(self.detect_batches(context, image))


def _keypoints(cvataa: Any, batch: DetectionBatch, index: int) -> list[Any]:
    return [cvataa.keypoint(int(sub), [float(x), float(y)], outside=bool(out))
            for sub, (x, y), out in zip(batch.sublabels, batch.keypoints[index], batch.outside[index])]


def to_sdk(batches: Sequence[DetectionBatch]) -> list[Any]:
    """The same objects as cvat-sdk ``LabeledShapeRequest`` / ``LabeledImageRequest`` (CVAT protocol)."""
    import cvat_sdk.auto_annotation as cvataa

    out: list[Any] = []
    for batch in batches:
        for i, label in enumerate(batch.labels):
            if batch.type == "tag":
                out.append(cvataa.tag(int(label)))
                continue
            kwargs: dict[str, Any] = {"score": float(batch.scores[i])}
            if batch.type == "skeleton":
                out.append(cvataa.skeleton(int(label), _keypoints(cvataa, batch, i), **kwargs))
                continue
            if batch.rotations is not None:
                kwargs["rotation"] = float(batch.rotations[i])
            points = [float(v) for v in batch.points[i]]
            out.append(cvataa.shape(int(label), type=batch.type, points=points, **kwargs))
    return out
