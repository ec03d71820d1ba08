"""Columnar outputs of the built-in adapters (YOLO, torchvision): one batch of objects per shape type.

The built-in adapters produce :class:`DetectionBatch` objects and never need cvat-sdk request objects
on the hot path: the runner hands batches to :meth:`app.models.validation.OutputMapper.map_batches`,
which still checks every label id, shape type, point list and skeleton (the rules that apply to
data of this form; ids, sources, frames and attributes cannot be set in a batch). ``detect()`` of the
same adapters converts the batches with :func:`to_sdk`, so they stay ordinary CVAT detection
functions, and both routes give identical shapes (tested).
"""

from __future__ import annotations

import functools
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
        return BatchDetector.prepare_image(self, rgb)

    def prepare_image(self, rgb: Any) -> Any:
        """The PIL image ``detect`` (the CVAT protocol) gets for a decoded RGB array, made on the
        runner's decoding thread. Adapters may attach their own input conversion to it (ready before
        inference); the image itself is the plain ``Image.fromarray`` of the frame."""
        from PIL import Image

        return Image.fromarray(rgb)

    def detect_batches(self, context: Any, image: Any) -> list[DetectionBatch]:
        raise NotImplementedError

    def detect(self, context: Any, image: Any) -> list[Any]:
        return to_sdk(self.detect_batches(context, image))


class _Builders:
    """cvat-sdk request objects built from values whose types are known (``int`` label ids, ``float``
    points and scores, the ``ShapeType`` enum itself): cvat-sdk's per-field type check is skipped
    while building (most of the cost), and ``_check_type`` is restored afterwards, so each object is
    the one ``cvataa.shape`` / ``keypoint`` / ``tag`` would build, state for state (tested)."""

    def __init__(self) -> None:
        from cvat_sdk import models

        self.models = models
        # as the checked constructor converts a "type" string (read-only values, shared by the objects)
        self.types = {name: models.ShapeType(name, _path_to_item=["type"])
                      for name in ("rectangle", "polygon", "mask", "skeleton", "points")}

    @staticmethod
    def _checked(obj: Any) -> Any:
        obj.__dict__["_check_type"] = True  # as built by cvataa's helpers: later assignments are checked
        return obj

    def shape(self, label: int, shape_type: str, **kwargs: Any) -> Any:
        return self._checked(self.models.LabeledShapeRequest(
            type=self.types[shape_type], label_id=label, frame=0, _check_type=False, **kwargs))

    def keypoint(self, label: int, points: list[float], outside: bool) -> Any:
        return self._checked(self.models.SubLabeledShapeRequest(
            type=self.types["points"], label_id=label, frame=0, points=points, outside=outside, _check_type=False))

    def tag(self, label: int) -> Any:
        return self._checked(self.models.LabeledImageRequest(label_id=label, frame=0, _check_type=False))


@functools.cache
def _sdk_builders() -> _Builders:
    return _Builders()


def to_sdk(batches: Sequence[DetectionBatch]) -> list[Any]:
    """The same objects as cvat-sdk ``LabeledShapeRequest`` / ``LabeledImageRequest`` (CVAT protocol),
    equal to what ``cvataa.shape`` / ``skeleton`` / ``keypoint`` / ``tag`` build from these values."""
    build = _sdk_builders()
    out: list[Any] = []
    for batch in batches:
        kind = batch.type
        for i, label in enumerate(batch.labels):
            if kind == "tag":
                out.append(build.tag(int(label)))
                continue
            score = float(batch.scores[i])
            if kind == "skeleton":
                elements = [build.keypoint(int(sub), [float(x), float(y)], bool(out_))
                            for sub, (x, y), out_ in zip(batch.sublabels, batch.keypoints[i], batch.outside[i])]
                out.append(build.shape(int(label), kind, elements=elements, score=score))
                continue
            points = [float(v) for v in batch.points[i]]
            if batch.rotations is not None:
                out.append(build.shape(int(label), kind, points=points, score=score,
                                       rotation=float(batch.rotations[i])))
            else:
                out.append(build.shape(int(label), kind, points=points, score=score))
    return out
