"""Rectangles (incl. rotated) and ellipses.

Boxes with the same rotation: exact axis-aligned IoU (Datumaro's ``bbox_iou``: -1 without intersection).
Different rotation: both boxes rotated about their centres, rounded to 2 decimals as polygons and
compared by pixel IoU. Ellipses: always a 720-point polygon (rotated about the centre), pixel IoU.

These outlines are Datumaro's, not :mod:`app.domain.geometry`'s (48-point ellipses, no rounding):
quality reports must reproduce CVAT's numbers, so the point counts and the rounding are CVAT's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.quality import rle
from app.quality.assignment import assign, same_label_attr
from app.quality.objects import QObject, round2
from app.quality.typeresult import TypeResult, fill_best, record_pairs

ELLIPSE_POINTS = 720
_THETA = np.linspace(0, 2 * np.pi, num=ELLIPSE_POINTS)
_COS, _SIN = np.cos(_THETA), np.sin(_THETA)


def _rotate(points: list[float], center: np.ndarray, degrees: float) -> list[float]:
    angle = degrees / 180 * math.pi
    if not angle:
        return points
    xy = np.reshape(points, (-1, 2))
    rel = xy - center
    cos, sin = np.cos(angle), np.sin(angle)
    return (np.matmul(rel, ((cos, sin), (-sin, cos))) + center).flatten().tolist()


def box_polygon(obj: QObject, *, rotate: bool = True) -> list[float]:
    """The box outline ([x, y, x+w, y, ...]); with ``rotate`` turned and rounded like CVAT's to_polygon."""
    x, y, x2, y2 = obj.box_corners()
    w, h = x2 - x, y2 - y
    points = [x, y, x + w, y, x + w, y + h, x, y + h]
    if not rotate:
        return points
    xy = np.reshape(points, (-1, 2))
    return round2(_rotate(points, (xy[0] + xy[2]) / 2, obj.rotation))


def ellipse_polygon(obj: QObject, *, rotate: bool = True) -> np.ndarray:
    """Datumaro's 720-point ellipse outline (flat x, y array); with ``rotate`` turned about the centre and
    rounded. Kept as an array from start to rasterization (the same doubles as Datumaro's lists)."""
    x1, y1, x2, y2 = obj.box_corners()
    cx, cy = 0.5 * (x1 + x2), 0.5 * (y1 + y2)
    xs = cx + 0.5 * (x2 - x1) * _COS
    ys = cy + 0.5 * (y2 - y1) * _SIN
    points = np.column_stack([xs, ys]).ravel()
    if not rotate:
        return points
    if obj.rotation:
        angle = obj.rotation / 180 * math.pi
        center = np.array([cx, cy])
        cos, sin = np.cos(angle), np.sin(angle)
        points = (np.matmul(points.reshape(-1, 2) - center, ((cos, sin), (-sin, cos))) + center).ravel()
    return np.around(points, 2)


def bbox_iou_matrix(a: Sequence[QObject], b: Sequence[QObject]) -> np.ndarray:
    """Datumaro's ``bbox_iou`` for all pairs, vectorized with the same arithmetic (-1: no intersection)."""
    return box_iou_arrays(np.array([o.bbox() for o in a], dtype=float).reshape(-1, 4),
                          np.array([o.bbox() for o in b], dtype=float).reshape(-1, 4))


def box_iou_arrays(ab: np.ndarray, bb: np.ndarray) -> np.ndarray:
    """:func:`bbox_iou_matrix` for boxes given as ``[x, y, w, h]`` rows."""
    ax, ay, aw, ah = (ab[:, k][:, None] for k in range(4))
    bx, by, bw, bh = (bb[:, k][None, :] for k in range(4))
    in_right = np.minimum(ax + aw, bx + bw)
    in_left = np.maximum(ax, bx)
    in_top = np.maximum(ay, by)
    in_bottom = np.minimum(ay + ah, by + bh)
    inter = np.maximum(0, in_right - in_left) * np.maximum(0, in_bottom - in_top)
    union = aw * ah + bw * bh - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        out = inter / union
    out[inter == 0] = -1
    return out


class _Rasters:
    """Cached rasterized outlines of one frame's boxes/ellipses."""

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self._cache: dict[int, rle.Region] = {}

    def region(self, obj: QObject) -> rle.Region:
        region = self._cache.get(id(obj))
        if region is None:
            poly = box_polygon(obj) if obj.kind == "bbox" else ellipse_polygon(obj)
            region = self._cache[id(obj)] = rle.from_polygons([poly], self.height, self.width)
        return region


def outline_bounds(objs: Sequence[QObject]) -> np.ndarray:
    """Conservative bounds (x0, y0, x1, y1) of boxes/ellipses turned by any angle about their centres."""
    corners = np.array([o.box_corners() for o in objs], dtype=float).reshape(-1, 4)
    rotated = np.array([bool(o.rotation) for o in objs], dtype=bool)
    cx, cy = (corners[:, 0] + corners[:, 2]) / 2, (corners[:, 1] + corners[:, 3]) / 2
    r = np.hypot(corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 1]) / 2
    out = corners.copy()
    out[rotated] = np.column_stack([cx - r, cy - r, cx + r, cy + r])[rotated]
    return out


def may_meet(a: np.ndarray, b: np.ndarray, margin: float = 2.0) -> np.ndarray:
    """Pairs of bounds that come within ``margin`` pixels of each other (rasterized pixels could touch)."""
    return ((a[:, None, 0] <= b[None, :, 2] + margin) & (b[None, :, 0] <= a[:, None, 2] + margin)
            & (a[:, None, 1] <= b[None, :, 3] + margin) & (b[None, :, 1] <= a[:, None, 3] + margin))


def polygon_iou(rasters: _Rasters, x: QObject, y: QObject) -> float:
    """Pixel IoU of the two (turned, rounded) outlines."""
    return rle.iou(rasters.region(x), rasters.region(y))


def _finish(gt: Sequence[QObject], ds: Sequence[QObject], sim: np.ndarray, threshold: float) -> TypeResult:
    result = TypeResult(assignment=assign(list(gt), list(ds), sim, threshold, same_label_attr))
    record_pairs(result, sim, gt, ds)
    fill_best(result, gt, ds, sim)
    return result


def match_boxes(gt: Sequence[QObject], ds: Sequence[QObject], height: int, width: int, threshold: float) -> TypeResult:
    if not gt and not ds:
        return TypeResult()
    sim = bbox_iou_matrix(gt, ds) if gt and ds else np.zeros((len(gt), len(ds)))
    if gt and ds:
        ra = np.array([o.attributes.get("rotation", 0) for o in gt], dtype=float)
        rb = np.array([o.attributes.get("rotation", 0) for o in ds], dtype=float)
        differ = ra[:, None] != rb[None, :]
        if differ.any():
            rasters = _Rasters(height, width)
            meet = may_meet(outline_bounds(gt), outline_bounds(ds))
            for i, j in zip(*np.nonzero(differ)):
                sim[i, j] = polygon_iou(rasters, gt[i], ds[j]) if meet[i, j] else 0.0
    return _finish(gt, ds, sim, threshold)


def match_ellipses(
    gt: Sequence[QObject], ds: Sequence[QObject], height: int, width: int, threshold: float
) -> TypeResult:
    if not gt and not ds:
        return TypeResult()
    sim = np.zeros((len(gt), len(ds)))
    if gt and ds:
        rasters = _Rasters(height, width)
        meet = may_meet(outline_bounds(gt), outline_bounds(ds))
        for i, j in zip(*np.nonzero(meet)):
            sim[i, j] = polygon_iou(rasters, gt[i], ds[j])
    return _finish(gt, ds, sim, threshold)
