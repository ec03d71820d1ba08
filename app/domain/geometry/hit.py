"""Hit test: which part of a shape (a handle, an edge, the inside) is at a point, within a tolerance.

The canvas calls :func:`hit_shape` on every mouse move, so it works on small numpy arrays and stops at
the first answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry.shape import CLOSED, editable_vertices, outline
from app.domain.mask import mask_box, points_to_crop


def point_in_polygon(x: float, y: float, xy: np.ndarray) -> bool:
    """Even-odd rule, vectorised over the edges."""
    if len(xy) < 3:
        return False
    x0, y0 = xy[:, 0], xy[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return bool(np.count_nonzero(crosses & (x < xs)) % 2)


def segment_distances(x: float, y: float, xy: np.ndarray, closed: bool) -> np.ndarray:
    """Distance from (x, y) to each edge (edge i joins vertex i and i+1)."""
    if len(xy) < 2:
        return np.zeros(0)
    a = xy if closed else xy[:-1]
    b = np.roll(xy, -1, axis=0) if closed else xy[1:]
    ab = b - a
    denom = (ab * ab).sum(axis=1)
    denom[denom == 0] = 1.0
    t = np.clip(((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / denom, 0, 1)
    px, py = a[:, 0] + t * ab[:, 0], a[:, 1] + t * ab[:, 1]
    return np.hypot(px - x, py - y)


def mask_contains(shape: Shape, x: float, y: float) -> bool:
    x1, y1, x2, y2 = mask_box(shape.points)
    if not (x1 <= x < x2 + 1 and y1 <= y < y2 + 1):
        return False
    crop, left, top = points_to_crop(shape.points)
    return bool(crop[int(y) - top, int(x) - left])


class HitKind(Enum):
    VERTEX = "vertex"
    EDGE = "edge"
    BODY = "body"
    ROTATE = "rotate"


@dataclass(frozen=True)
class Hit:
    kind: HitKind
    index: int = -1  # vertex or edge index
    distance: float = 0.0


def hit_shape(shape: Shape, x: float, y: float, tolerance: float) -> Hit | None:
    """What of ``shape`` is under (x, y): a vertex, an edge or the inside; None when nothing is."""
    handles = editable_vertices(shape)
    if len(handles):
        d = np.hypot(handles[:, 0] - x, handles[:, 1] - y)
        i = int(d.argmin())
        if d[i] <= tolerance:
            return Hit(HitKind.VERTEX, i, float(d[i]))
    t = shape.type
    if t is ShapeType.MASK:
        return Hit(HitKind.BODY) if mask_contains(shape, x, y) else None
    xy = outline(shape)
    if t in (ShapeType.POLYGON, ShapeType.POLYLINE):
        d = segment_distances(x, y, xy, closed=t is ShapeType.POLYGON)
        if len(d) and d.min() <= tolerance:
            return Hit(HitKind.EDGE, int(d.argmin()), float(d.min()))
    if t in CLOSED and point_in_polygon(x, y, xy):
        return Hit(HitKind.BODY)
    if t in (ShapeType.POINTS, ShapeType.SKELETON, ShapeType.CUBOID) and len(xy):
        d = np.hypot(xy[:, 0] - x, xy[:, 1] - y)
        if d.min() <= tolerance * 1.5:
            return Hit(HitKind.BODY, int(d.argmin()), float(d.min()))
    if t is ShapeType.SKELETON and len(xy) >= 1:
        x0, y0 = xy.min(axis=0)
        x1, y1 = xy.max(axis=0)
        if x0 <= x <= x1 and y0 <= y <= y1:
            return Hit(HitKind.BODY)
    return None


