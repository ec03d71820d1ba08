"""Rectangles (incl. rotated) and ellipses.

Boxes with the same rotation: exact axis-aligned IoU (Datumaro's ``bbox_iou``: -1 without intersection).
Different rotation: both boxes rotated about their centres, rounded to 2 decimals as polygons and
compared by pixel IoU. Ellipses: always a 720-point polygon (rotated about the centre), pixel IoU.
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


def ellipse_polygon(obj: QObject, *, rotate: bool = True) -> list[float]:
    """Datumaro's 720-point ellipse outline; with ``rotate`` turned about the centre and rounded."""
    x1, y1, x2, y2 = obj.box_corners()
    theta = np.linspace(0, 2 * np.pi, num=ELLIPSE_POINTS)
    cx, cy = 0.5 * (x1 + x2), 0.5 * (y1 + y2)
    xs = cx + 0.5 * (x2 - x1) * np.cos(theta)
    ys = cy + 0.5 * (y2 - y1) * np.sin(theta)
    points = np.column_stack([xs, ys]).ravel().tolist()
    if not rotate:
        return points
    return round2(_rotate(points, np.array([cx, cy]), obj.rotation))


def bbox_iou_matrix(a: Sequence[QObject], b: Sequence[QObject]) -> np.ndarray:
    """Datumaro's ``bbox_iou`` for all pairs, vectorized with the same arithmetic (-1: no intersection)."""
    ab = np.array([o.bbox() for o in a], dtype=float).reshape(-1, 4)
    bb = np.array([o.bbox() for o in b], dtype=float).reshape(-1, 4)
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
    """Cached rasterized outlines of one frame's boxes/ellipses, with outline bounds for prefiltering."""

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self._cache: dict[int, tuple[rle.Region | None, list[float], tuple[float, float, float, float]]] = {}

    def get(self, obj: QObject) -> tuple[list[float], tuple[float, float, float, float]]:
        entry = self._cache.get(id(obj))
        if entry is None:
            poly = box_polygon(obj) if obj.kind == "bbox" else ellipse_polygon(obj)
            xs, ys = poly[0::2], poly[1::2]
            entry = (None, poly, (min(xs), min(ys), max(xs), max(ys)))
            self._cache[id(obj)] = entry
        return entry[1], entry[2]

    def region(self, obj: QObject) -> rle.Region:
        poly, bounds = self.get(obj)
        entry = self._cache[id(obj)]
        if entry[0] is None:
            entry = (rle.from_polygons([poly], self.height, self.width), poly, bounds)
            self._cache[id(obj)] = entry
        return entry[0]  # type: ignore[return-value]


def _disjoint(p: tuple[float, float, float, float], q: tuple[float, float, float, float]) -> bool:
    margin = 2.0
    return p[2] + margin < q[0] or q[2] + margin < p[0] or p[3] + margin < q[1] or q[3] + margin < p[1]


def polygon_iou(rasters: _Rasters, x: QObject, y: QObject) -> float:
    """Pixel IoU of the two outlines; 0 without computing pixels when their bounds are far apart."""
    if _disjoint(rasters.get(x)[1], rasters.get(y)[1]):
        return 0.0
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
    rasters = _Rasters(height, width)
    for i, x in enumerate(gt):
        for j, y in enumerate(ds):
            if x.attributes.get("rotation", 0) != y.attributes.get("rotation", 0):
                sim[i, j] = polygon_iou(rasters, x, y)
    return _finish(gt, ds, sim, threshold)


def match_ellipses(gt: Sequence[QObject], ds: Sequence[QObject], height: int, width: int, threshold: float) -> TypeResult:
    if not gt and not ds:
        return TypeResult()
    rasters = _Rasters(height, width)
    sim = np.zeros((len(gt), len(ds)))
    for i, x in enumerate(gt):
        for j, y in enumerate(ds):
            sim[i, j] = polygon_iou(rasters, x, y)
    return _finish(gt, ds, sim, threshold)
