"""Vertex edits on shapes: each returns a changed copy, the shape given is never touched."""

from __future__ import annotations

import math

import numpy as np

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry.shape import rect_corners, rotate


def translate(shape: Shape, dx: float, dy: float) -> Shape:
    """A copy moved by (dx, dy); masks move by whole pixels."""
    out = shape.copy()
    if shape.type is ShapeType.MASK:
        ix, iy = round(dx), round(dy)
        out.points = list(shape.points[:-4]) + [shape.points[-4] + ix, shape.points[-3] + iy,
                                                shape.points[-2] + ix, shape.points[-1] + iy]
    elif shape.type is ShapeType.SKELETON:
        for e in out.elements:
            e.points = [v + (dx if i % 2 == 0 else dy) for i, v in enumerate(e.points)]
    else:
        out.points = [v + (dx if i % 2 == 0 else dy) for i, v in enumerate(shape.points)]
    return out


def move_vertex(shape: Shape, index: int, x: float, y: float) -> Shape:
    """A copy with handle ``index`` (as numbered by :func:`editable_vertices`) at (x, y)."""
    out = shape.copy()
    t = shape.type
    if t is ShapeType.RECTANGLE:
        corners = rect_corners(shape.points, shape.rotation)
        opposite = corners[(index + 2) % 4]
        cx, cy = (opposite[0] + x) / 2, (opposite[1] + y) / 2
        a, b = rotate(np.array([[x, y], opposite]), cx, cy, -shape.rotation)
        out.points = [min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])]
    elif t is ShapeType.ELLIPSE:
        cx, cy, px, py = shape.points[:4]
        (lx, ly), = rotate(np.array([[x, y]]), cx, cy, -shape.rotation)
        if index == 0:
            out.points = [cx, cy, cx + abs(lx - cx), py]
        else:
            out.points = [cx, cy, px, cy - abs(ly - cy)]
    elif t is ShapeType.SKELETON:
        live = [e for e in out.elements if len(e.points) >= 2]
        live[index].points = [x, y]
    else:
        out.points[2 * index : 2 * index + 2] = [x, y]
    return out


def insert_vertex(shape: Shape, edge: int, x: float, y: float) -> Shape:
    out = shape.copy()
    out.points[2 * edge + 2 : 2 * edge + 2] = [x, y]
    return out


def min_vertices(shape_type: ShapeType) -> int:
    return {ShapeType.POLYGON: 3, ShapeType.POLYLINE: 2, ShapeType.POINTS: 1}.get(shape_type, 0)


def delete_vertex(shape: Shape, index: int) -> Shape | None:
    """A copy without vertex ``index``; None when the shape would become degenerate."""
    if shape.type not in (ShapeType.POLYGON, ShapeType.POLYLINE, ShapeType.POINTS):
        return None
    if len(shape.points) // 2 - 1 < min_vertices(shape.type):
        return None
    out = shape.copy()
    del out.points[2 * index : 2 * index + 2]
    return out


def rotation_handle(shape: Shape, scale: float) -> tuple[float, float] | None:
    """Where the rotation handle of a rectangle/ellipse is (above the top edge, 24 screen px)."""
    if shape.type not in (ShapeType.RECTANGLE, ShapeType.ELLIPSE):
        return None
    if shape.type is ShapeType.RECTANGLE:
        x1, y1, x2, y2 = shape.points[:4]
        cx, cy, top = (x1 + x2) / 2, (y1 + y2) / 2, y1
    else:
        cx, cy, _, top = shape.points[:4]
    (hx, hy), = rotate(np.array([[cx, top - 24.0 / max(scale, 1e-6)]]), cx, cy, shape.rotation)
    return float(hx), float(hy)


def rotation_towards(shape: Shape, x: float, y: float) -> float:
    """The rotation (degrees, [0, 360)) that points the shape's top towards (x, y)."""
    if shape.type is ShapeType.RECTANGLE:
        x1, y1, x2, y2 = shape.points[:4]
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    else:
        cx, cy = shape.points[:2]
    return math.degrees(math.atan2(x - cx, cy - y)) % 360.0


def normalized_rect(x1: float, y1: float, x2: float, y2: float) -> list[float]:
    return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]
