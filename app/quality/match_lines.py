"""Polylines: a Gaussian point-distance similarity over both lines resampled to common breakpoints.

Scale S = image area, r = line_thickness. Far-apart lines (bbox-circle test) score 0. Matching is
direction-agnostic (best of direct and reversed); the direction check recomputes the direct value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.quality.assignment import assign, same_label_attr
from app.quality.objects import QObject
from app.quality.typeresult import TypeResult, fill_best, record_pairs

EPSILON = 1e-7


def _bbox_circle(points: list[float]) -> tuple[float, float, float]:
    xs, ys = points[0::2], points[1::2]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return (x0 + x1) / 2, (y0 + y1) / 2, ((x1 - x0) ** 2 + (y1 - y0) ** 2) / 4


def _cumulative(p: np.ndarray) -> tuple[np.ndarray, list[float]]:
    lengths = np.linalg.norm(p[1:] - p[:-1], axis=1)
    ends = [0]
    for value in lengths:
        ends.append(ends[-1] + value)
    ends.pop(0)
    ends.append(ends[-1])
    return lengths, ends


def approximate_points(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Resample two lines to one point count, inserting each line's breakpoints into the other by
    relative arc length, so corners survive (CVAT's LineMatcher.approximate_points)."""
    a_count, b_count = len(a) - 1, len(b) - 1
    a_lengths, a_ends = _cumulative(a)
    b_lengths, b_ends = _cumulative(b)
    a_length, b_length = a_ends[-1], b_ends[-1]
    size = len(a) + len(b) - 1
    a_new, b_new = np.zeros((size, 2)), np.zeros((size, 2))
    a_new[0], b_new[0] = a[0], b[0]
    ai = bi = 0
    nxt = 0
    while ai < a_count or bi < b_count:
        nxt = ai + bi + 1
        a_pos = a_ends[ai] / (a_length or 1)
        b_pos = b_ends[bi] / (b_length or 1)
        if ai < a_count and a_pos <= b_pos:
            if bi < b_count:
                q = (b_pos - a_pos) * (b_length / (b_lengths[bi] or 1))
                b_new[nxt] = b[1 + bi] if abs(q) <= EPSILON else b[bi] * q + b[1 + bi] * (1 - q)
            elif bi == b_count:
                b_new[nxt] = b[bi]
            ai += 1
            a_new[nxt] = a[ai]
        elif bi < b_count:
            if ai < a_count:
                q = (a_pos - b_pos) * (a_length / (a_lengths[ai] or 1))
                a_new[nxt] = a[1 + ai] if abs(q) <= EPSILON else a[ai] * q + a[1 + ai] * (1 - q)
            elif ai == a_count:
                a_new[nxt] = a[ai]
            bi += 1
            b_new[nxt] = b[bi]
        else:  # pragma: no cover - unreachable by construction
            raise AssertionError("line approximation lost its position")
    if nxt < size:
        a_new, b_new = a_new[:nxt], b_new[:nxt]
    return a_new, b_new


class LineSimilarity:
    """Similarity of two polylines at one image scale."""

    def __init__(self, scale: float, thickness: float, oriented: bool) -> None:
        self.scale = scale
        self.thickness = thickness
        self.oriented = oriented

    def __call__(self, gt: QObject, ds: QObject) -> float:
        gx, gy, gr2 = _bbox_circle(gt.points)
        dx, dy, dr2 = _bbox_circle(ds.points)
        if (dx - gx) ** 2 + (dy - gy) ** 2 > dr2 + gr2 + self.scale * (6 * self.thickness) ** 2:
            return 0
        a, b = approximate_points(np.array(gt.points).reshape((-1, 2)), np.array(ds.points).reshape((-1, 2)))
        candidates = [b] if self.oriented else [b, b[::-1]]
        return max(self._compare(a, c) for c in candidates)

    def _compare(self, a: np.ndarray, b: np.ndarray) -> float:
        dists = np.linalg.norm(a - b, axis=1)
        return sum(np.exp(-(dists**2) / (2 * self.scale * (2 * self.thickness) ** 2))) / len(a)


def match_lines(gt: Sequence[QObject], ds: Sequence[QObject], height: int, width: int, threshold: float,
                thickness: float) -> TypeResult:
    if not gt and not ds:
        return TypeResult()
    similarity = LineSimilarity(float(np.prod((height, width))), thickness, oriented=False)
    sim = np.zeros((len(gt), len(ds)))
    if gt and ds:
        ca = np.array([_bbox_circle(o.points) for o in gt], dtype=float)
        cb = np.array([_bbox_circle(o.points) for o in ds], dtype=float)
        dist2 = (cb[None, :, 0] - ca[:, None, 0]) ** 2 + (cb[None, :, 1] - ca[:, None, 1]) ** 2
        # far apart pairs score 0 in LineSimilarity; a slack keeps borderline pairs for the exact test
        near = dist2 <= (cb[None, :, 2] + ca[:, None, 2] + similarity.scale * (6 * thickness) ** 2) * (1 + 1e-9) + 1e-6
        for i, j in zip(*np.nonzero(near)):
            sim[i, j] = similarity(gt[i], ds[j])
    result = TypeResult(assignment=assign(list(gt), list(ds), sim, threshold, same_label_attr))
    record_pairs(result, sim, gt, ds)
    fill_best(result, gt, ds, sim)
    return result
