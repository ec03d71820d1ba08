"""Mask -> polygon, with a target vertex count (the interactors' point slider) or a pixel tolerance.

A CVAT polygon has no holes, so :func:`mask_to_polygon` outlines the *largest* connected region's
outer boundary and ignores holes (choose mask output to keep them). Small specks and thin bridges
that a model leaves around the object do not change which region is the largest.

Vertex counts are reached by a bisection over the Douglas-Peucker tolerance: the result has at most
``max_points`` vertices and is as detailed as that allows. Coordinates are pixel indices of the
boundary pixels, shifted by ``(left, top)`` when the mask is a crop of a larger frame.

Everything that turns a mask into polygons uses this module: the interactors' point slider
(``max_points``), the trackers and detectors (``tolerance``, 1 px as CVAT's SAM 2 tracker function),
the YOLO export (:func:`mask_outlines`, every region) and CVAT-encoded masks (:func:`mask_points_to_polygon`).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from app.domain.enums import ShapeType
from app.domain.geometry.raster import bitmap_bbox
from app.domain.mask import mask_to_points, points_to_crop

MIN_POINTS = 3
_BISECT_STEPS = 18


class PolygonizeError(ValueError):
    """The arguments do not describe a mask that can be outlined."""


def largest_contour(mask: np.ndarray) -> np.ndarray | None:
    """The outer contour (N, 2) int32 of the largest region of a 2-D mask, or None when it is empty.

    Regions are compared by contour area, ties by outline length; a one-pixel region (area 0) still
    wins over nothing."""
    bitmap = np.asarray(mask)
    if bitmap.ndim != 2:
        raise PolygonizeError(f"a mask must be 2-D, got shape {bitmap.shape}")
    if bitmap.dtype != np.uint8:
        bitmap = (bitmap > 0).astype(np.uint8)
    contours, _ = cv2.findContours(bitmap, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    best = max(contours, key=lambda c: (cv2.contourArea(c), len(c)))
    return best.reshape(-1, 2)


def simplify(contour: np.ndarray, *, max_points: int | None = None, tolerance: float | None = None) -> np.ndarray:
    """Simplify a closed contour (N, 2).

    ``tolerance`` (pixels) runs one Douglas-Peucker pass. ``max_points`` finds the smallest tolerance
    that leaves at most that many vertices (never fewer than 3 when the contour has 3 or more).
    Both None returns the contour unchanged."""
    pts = np.asarray(contour, dtype=np.float32).reshape(-1, 1, 2)
    if tolerance is not None:
        pts = cv2.approxPolyDP(pts, float(tolerance), True)
    if max_points is None or len(pts) <= max(int(max_points), MIN_POINTS):
        return pts.reshape(-1, 2)
    target = max(int(max_points), MIN_POINTS)
    lo, hi = 0.0, float(max(np.ptp(pts[:, 0, 0]), np.ptp(pts[:, 0, 1]), 1.0))
    best = cv2.approxPolyDP(pts, hi, True)
    for _ in range(_BISECT_STEPS):
        mid = (lo + hi) / 2
        approx = cv2.approxPolyDP(pts, mid, True)
        if len(approx) <= target:
            hi, best = mid, approx
        else:
            lo = mid
        if hi - lo < 0.05:
            break
    if len(best) < MIN_POINTS:  # a huge tolerance collapsed the outline: keep 3 spread-out vertices
        idx = np.linspace(0, len(pts) - 1, MIN_POINTS).astype(int)
        best = pts[idx]
    return best.reshape(-1, 2)


def mask_to_polygon(
    mask: np.ndarray,
    *,
    max_points: int | None = None,
    tolerance: float | None = None,
    left: float = 0.0,
    top: float = 0.0,
) -> list[float] | None:
    """The flat ``[x0, y0, x1, y1, ...]`` polygon outlining the mask's largest region, or None when
    the mask is empty or the region is too small to give three distinct vertices.

    Parameters
    ----------
    mask:
        2-D bool/uint8 array (non-zero = inside).
    max_points:
        Upper bound on the vertex count (the point slider); None keeps every corner.
    tolerance:
        Douglas-Peucker tolerance in pixels applied first (default: none).
    left, top:
        Offset of the mask in the frame, added to every vertex.
    """
    return contour_to_polygon(largest_contour(mask), max_points=max_points, tolerance=tolerance, left=left, top=top)


def contour_to_polygon(contour: np.ndarray | None, *, max_points: int | None = None, tolerance: float | None = None,
                       left: float = 0.0, top: float = 0.0) -> list[float] | None:
    """:func:`mask_to_polygon` from an already found :func:`largest_contour` (re-simplifying a cached
    contour when only the point budget changes is much cheaper than outlining the mask again)."""
    if max_points is not None and int(max_points) < MIN_POINTS:
        raise PolygonizeError(f"a polygon needs at least {MIN_POINTS} points, max_points={max_points}")
    if contour is None:
        return None
    if len(contour) < MIN_POINTS:
        contour = _pixel_outline(contour)
    poly = simplify(contour, max_points=max_points, tolerance=tolerance)
    if len(np.unique(poly, axis=0)) < MIN_POINTS:
        return None
    poly = poly + np.array([left, top], dtype=np.float32)
    return [float(v) for v in poly.reshape(-1)]


def _pixel_outline(contour: np.ndarray) -> np.ndarray:
    """A 1-2 pixel contour (a dot or a short line) as the box around those pixels."""
    x0, y0 = contour.min(axis=0)
    x1, y1 = contour.max(axis=0) + 1
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def contour_point_count(mask: np.ndarray) -> int:
    """How many vertices the largest region's full-detail outline has (the slider's useful maximum)."""
    contour = largest_contour(mask)
    return 0 if contour is None else len(contour)


def mask_points_to_polygon(points: Sequence[float], *, max_points: int | None = None,
                           tolerance: float | None = None) -> list[float] | None:
    """:func:`mask_to_polygon` of a mask in CVAT's encoding (runs + inclusive box), in frame coordinates."""
    crop, left, top = points_to_crop(points)
    return mask_to_polygon(crop, max_points=max_points, tolerance=tolerance, left=left, top=top)


def mask_outlines(mask: np.ndarray, left: float = 0.0, top: float = 0.0) -> list[list[float]]:
    """Every region's outer boundary at full detail (no simplification), as flat polygons shifted by
    ``(left, top)``; regions whose boundary has fewer than three corners are left out."""
    bitmap = np.asarray(mask)
    if bitmap.ndim != 2:
        raise PolygonizeError(f"a mask must be 2-D, got shape {bitmap.shape}")
    contours, _ = cv2.findContours((bitmap > 0).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [[float(v) for x, y in c.reshape(-1, 2) for v in (x + left, y + top)] for c in contours if len(c) >= 3]


TRACK_TOLERANCE = 1.0  # pixels, as CVAT's SAM 2 tracker function and torchvision's mask -> polygon


def bitmap_to_shape(mask: np.ndarray, shape_type: ShapeType, tolerance: float = TRACK_TOLERANCE) -> list[float] | None:
    """Points of a polygon (largest region, simplified by ``tolerance``), a mask (cut to its tight box)
    or a rectangle (the pixels' box) describing a full-frame ``mask``; None when it is empty or degenerate."""
    if not mask.any():
        return None
    if shape_type == ShapeType.MASK:
        return mask_to_points(mask)
    if shape_type == ShapeType.POLYGON:
        return mask_to_polygon(mask, tolerance=tolerance)
    if shape_type == ShapeType.RECTANGLE:
        return bitmap_bbox(mask)
    raise ValueError(f"cannot turn a mask into a {shape_type.value}")
