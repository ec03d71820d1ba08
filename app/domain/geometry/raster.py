"""Shapes -> bitmaps: fill a polygon (or a rectangle, an ellipse, a mask) onto a frame-sized bool array.

Vertices are rounded to whole pixels and filled with OpenCV's ``fillPoly`` (a pixel is inside when its
centre is inside the rounded polygon, boundary included). The result is a (height, width) bool array;
parts outside the frame are clipped. For CVAT's mask encoding see :func:`polygon_to_mask_points`.
Quality control rasterises with pycocotools instead (see :mod:`app.quality.rle`), as CVAT does.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from app.domain.enums import ShapeType
from app.domain.geometry.shape import rect_corners
from app.domain.mask import mask_to_points, points_to_mask


def fill_polygon(bitmap: np.ndarray, points: Sequence[float], value: int = 1) -> np.ndarray:
    """Fill a flat ``[x0, y0, x1, y1, ...]`` polygon into the uint8 ``bitmap`` in place (and return it).

    Fewer than three vertices fill nothing."""
    coords = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(coords) >= 3:
        cv2.fillPoly(bitmap, [np.round(coords).astype(np.int32)], int(value))
    return bitmap


def polygon_to_bitmap(points: Sequence[float], width: int, height: int) -> np.ndarray:
    """The (height, width) bool array of a flat polygon."""
    return fill_polygon(np.zeros((height, width), dtype=np.uint8), points).astype(bool)


def polygon_to_mask_points(points: Sequence[float], width: int, height: int) -> list[float]:
    """A polygon as CVAT mask points (runs over the tight box + inclusive box), clipped to the frame."""
    return mask_to_points(polygon_to_bitmap(points, width, height))


def ellipse_to_bitmap(points: Sequence[float], rotation: float, width: int, height: int) -> np.ndarray:
    """An ellipse ``[cx, cy, rx-point x, ry-point y]`` turned by ``rotation`` degrees, filled (radii rounded)."""
    canvas = np.zeros((height, width), dtype=np.uint8)
    cx, cy, px, py = points[:4]
    axes = (int(round(abs(px - cx))), int(round(abs(cy - py))))
    cv2.ellipse(canvas, (int(round(cx)), int(round(cy))), axes, rotation, 0, 360, 1, thickness=-1)
    return canvas.astype(bool)


def shape_to_bitmap(shape_type: ShapeType, points: Sequence[float], width: int, height: int,
                    rotation: float = 0.0) -> np.ndarray:
    """The full-frame bool array of a polygon, rectangle (turned by ``rotation``), ellipse or mask."""
    if shape_type == ShapeType.MASK:
        return points_to_mask(points, width, height)
    if shape_type == ShapeType.POLYGON:
        return polygon_to_bitmap(points, width, height)
    if shape_type == ShapeType.RECTANGLE:
        return polygon_to_bitmap(rect_corners(points, rotation).ravel().tolist(), width, height)
    if shape_type == ShapeType.ELLIPSE:
        return ellipse_to_bitmap(points, rotation, width, height)
    raise ValueError(f"cannot turn a {shape_type.value} into a bitmap")


def bitmap_bbox(bitmap: np.ndarray) -> list[float] | None:
    """``[x1, y1, x2, y2]`` around the set pixels, x2/y2 one past the last pixel; None when empty."""
    ys, xs = np.nonzero(bitmap)
    if ys.size == 0:
        return None
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
