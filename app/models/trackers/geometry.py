"""Shape <-> bitmap conversions shared by mask-based trackers (SAM 2, tracking functions).

A tracked polygon comes back as the largest outer contour of the predicted mask, simplified with
Douglas-Peucker; a tracked mask comes back as a mask cut to its tight box (CVAT's encoding).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from app.domain.enums import ShapeType
from app.domain.mask import mask_to_points, points_to_mask

SIMPLIFY_EPSILON = 1.0  # pixels, as CVAT's SAM 2 tracker function


def polygon_to_mask(points: Sequence[float], width: int, height: int) -> np.ndarray:
    """Fill a flat ``[x0, y0, x1, y1, ...]`` polygon onto a (height, width) bool frame."""
    canvas = np.zeros((height, width), dtype=np.uint8)
    coords = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(coords) >= 3:
        cv2.fillPoly(canvas, [np.round(coords).astype(np.int32)], 1)
    return canvas.astype(bool)


def shape_to_mask(shape_type: ShapeType, points: Sequence[float], width: int, height: int) -> np.ndarray:
    """The full-frame bool mask of a polygon, mask or rectangle."""
    if shape_type == ShapeType.MASK:
        return points_to_mask(points, width, height)
    if shape_type == ShapeType.POLYGON:
        return polygon_to_mask(points, width, height)
    if shape_type == ShapeType.RECTANGLE:
        x1, y1, x2, y2 = points[:4]
        return polygon_to_mask([x1, y1, x2, y1, x2, y2, x1, y2], width, height)
    raise ValueError(f"cannot turn a {shape_type.value} into a mask")


def largest_polygon(mask: np.ndarray, epsilon: float = SIMPLIFY_EPSILON) -> list[float] | None:
    """The largest outer contour of ``mask`` as a flat polygon, simplified; None if under 3 vertices."""
    contours, _ = cv2.findContours(np.ascontiguousarray(mask, dtype=np.uint8), cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    biggest = max(contours, key=cv2.contourArea)
    simplified = cv2.approxPolyDP(biggest, epsilon, True).reshape(-1, 2)
    if len(simplified) < 3:
        return None
    return [float(v) for v in simplified.ravel()]


def mask_to_shape(mask: np.ndarray, shape_type: ShapeType) -> list[float] | None:
    """Points of ``shape_type`` describing ``mask`` (None for an empty mask or a degenerate polygon)."""
    if not mask.any():
        return None
    if shape_type == ShapeType.MASK:
        return mask_to_points(mask)
    if shape_type == ShapeType.POLYGON:
        return largest_polygon(mask)
    if shape_type == ShapeType.RECTANGLE:
        ys, xs = np.nonzero(mask)
        return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
    raise ValueError(f"cannot turn a mask into a {shape_type.value}")
