"""Outline, bounding box and area of a shape of any type (numpy only).

Every function works in image coordinates on CVAT's point encoding (see :mod:`app.domain.annotations`):
rectangles ``[x1, y1, x2, y2]`` turned by ``rotation`` degrees (clockwise on screen) about their centre,
ellipses ``[cx, cy, rx-point x, ry-point y]``, masks as CVAT run lengths plus an inclusive box. The canvas
draws these outlines and the tools hit-test and edit with them, so both agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.mask import mask_area, mask_box

ELLIPSE_SEGMENTS = 48
CLOSED = {ShapeType.RECTANGLE, ShapeType.POLYGON, ShapeType.ELLIPSE}


def pairs(points: Sequence[float]) -> np.ndarray:
    """``[x0, y0, x1, y1, ...]`` as an (N, 2) float array."""
    return np.asarray(points, dtype=np.float64).reshape(-1, 2)


def rotate(xy: np.ndarray, cx: float, cy: float, degrees: float) -> np.ndarray:
    """Rotate points clockwise on screen (y grows downwards) by ``degrees`` about (cx, cy)."""
    if not degrees:
        return xy
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    d = xy - (cx, cy)
    return np.column_stack((d[:, 0] * c - d[:, 1] * s + cx, d[:, 0] * s + d[:, 1] * c + cy))


def rect_corners(points: Sequence[float], rotation: float = 0.0) -> np.ndarray:
    x1, y1, x2, y2 = points[:4]
    xy = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float64)
    return rotate(xy, (x1 + x2) / 2, (y1 + y2) / 2, rotation)


def ellipse_outline(points: Sequence[float], rotation: float = 0.0, segments: int = ELLIPSE_SEGMENTS) -> np.ndarray:
    cx, cy, px, py = points[:4]
    rx, ry = abs(px - cx), abs(cy - py)
    t = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    xy = np.column_stack((cx + rx * np.cos(t), cy + ry * np.sin(t)))
    return rotate(xy, cx, cy, rotation)


def outline(shape: Shape) -> np.ndarray:
    """The vertices to draw: closed for rectangles/polygons/ellipses, open for polylines, the points
    themselves for points, keypoints for skeletons and the box corners for masks."""
    t = shape.type
    if t is ShapeType.RECTANGLE:
        return rect_corners(shape.points, shape.rotation)
    if t is ShapeType.ELLIPSE:
        return ellipse_outline(shape.points, shape.rotation)
    if t is ShapeType.MASK:
        x1, y1, x2, y2 = mask_box(shape.points)
        return np.array([[x1, y1], [x2 + 1, y1], [x2 + 1, y2 + 1], [x1, y2 + 1]], dtype=np.float64)
    if t is ShapeType.SKELETON:
        pts = [e.points[:2] for e in shape.elements if len(e.points) >= 2]
        return np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    if not shape.points:
        return np.zeros((0, 2))
    return pairs(shape.points)


def bbox(shape: Shape) -> tuple[float, float, float, float]:
    """(x_min, y_min, x_max, y_max) of the outline; masks end one past their last pixel; zeros when empty."""
    t = shape.type
    pts = shape.points
    # Plain Python on the point list: ~10x faster than building an array for a 20-50 vertex polygon.
    if t in (ShapeType.POLYGON, ShapeType.POLYLINE, ShapeType.POINTS) and len(pts) >= 2:
        xs, ys = pts[0::2], pts[1::2]
        return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))
    if t is ShapeType.RECTANGLE and not shape.rotation and len(pts) >= 4:
        x1, y1, x2, y2 = (float(v) for v in pts[:4])
        return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)
    if t is ShapeType.ELLIPSE and not shape.rotation and len(pts) >= 4:
        cx, cy, px, py = (float(v) for v in pts[:4])
        rx, ry = abs(px - cx), abs(cy - py)
        return cx - rx, cy - ry, cx + rx, cy + ry
    xy = outline(shape)
    if len(xy) == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


def editable_vertices(shape: Shape) -> np.ndarray:
    """Vertices the user can drag (handles): rectangle corners, polygon/polyline/points vertices,
    ellipse (centre, right, top) points and skeleton keypoints; none for masks."""
    t = shape.type
    if t is ShapeType.RECTANGLE:
        return rect_corners(shape.points, shape.rotation)
    if t is ShapeType.ELLIPSE:
        cx, cy, px, py = shape.points[:4]
        xy = np.array([[px, cy], [cx, py]], dtype=np.float64)
        return rotate(xy, cx, cy, shape.rotation)
    if t is ShapeType.MASK:
        return np.zeros((0, 2))
    return outline(shape)




def polygon_area(points: Sequence[float]) -> float:
    """Shoelace area of a flat ``[x0, y0, x1, y1, ...]`` polygon (0 with fewer than three vertices)."""
    xs, ys = points[0::2], points[1::2]
    if len(xs) < 3:
        return 0.0
    return abs(sum(xs[i] * ys[i - 1] - xs[i - 1] * ys[i] for i in range(len(xs)))) / 2


def area(shape: Shape) -> float:
    """Area in square pixels: rectangles (any rotation), polygons, ellipses, masks (pixel count);
    0 for polylines, points, skeletons and cuboids, which enclose nothing."""
    t, p = shape.type, shape.points
    if t is ShapeType.MASK:
        return float(mask_area(p)) if len(p) >= 5 else 0.0
    if t is ShapeType.POLYGON:
        return polygon_area(p)
    if len(p) < 4:
        return 0.0
    if t is ShapeType.RECTANGLE:
        return abs((p[2] - p[0]) * (p[3] - p[1]))
    if t is ShapeType.ELLIPSE:
        return math.pi * abs(p[2] - p[0]) * abs(p[1] - p[3])
    return 0.0
