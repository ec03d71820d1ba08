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


def _cumulative(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """Segment lengths and each segment's end position along the line (the last repeated), as floats:
    the values of ``numpy.linalg.norm`` over the segments and a running sum."""
    dx = np.subtract(xs[1:], xs[:-1])
    dy = np.subtract(ys[1:], ys[:-1])
    lengths = np.sqrt(dx * dx + dy * dy).tolist()
    ends = []
    total = 0
    for value in lengths:
        total = total + value
        ends.append(total)
    ends.append(ends[-1])
    return lengths, ends


def approximate_points(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Resample two lines to one point count, inserting each line's breakpoints into the other by
    relative arc length, so corners survive (CVAT's LineMatcher.approximate_points).

    Runs on Python floats (the same IEEE operations per coordinate as CVAT's numpy rows)."""
    ax, ay = a[:, 0].tolist(), a[:, 1].tolist()
    bx, by = b[:, 0].tolist(), b[:, 1].tolist()
    a_count, b_count = len(ax) - 1, len(bx) - 1
    a_lengths, a_ends = _cumulative(ax, ay)
    b_lengths, b_ends = _cumulative(bx, by)
    a_length, b_length = a_ends[-1], b_ends[-1]
    size = a_count + b_count + 1
    a_new, b_new = [(ax[0], ay[0])], [(bx[0], by[0])]
    ai = bi = 0
    while ai < a_count or bi < b_count:
        a_pos = a_ends[ai] / (a_length or 1)
        b_pos = b_ends[bi] / (b_length or 1)
        if ai < a_count and a_pos <= b_pos:
            if bi < b_count:
                q = (b_pos - a_pos) * (b_length / (b_lengths[bi] or 1))
                if abs(q) <= EPSILON:
                    b_new.append((bx[1 + bi], by[1 + bi]))
                else:
                    b_new.append((bx[bi] * q + bx[1 + bi] * (1 - q), by[bi] * q + by[1 + bi] * (1 - q)))
            else:  # bi == b_count
                b_new.append((bx[bi], by[bi]))
            ai += 1
            a_new.append((ax[ai], ay[ai]))
        elif bi < b_count:
            if ai < a_count:
                q = (a_pos - b_pos) * (a_length / (a_lengths[ai] or 1))
                if abs(q) <= EPSILON:
                    a_new.append((ax[1 + ai], ay[1 + ai]))
                else:
                    a_new.append((ax[ai] * q + ax[1 + ai] * (1 - q), ay[ai] * q + ay[1 + ai] * (1 - q)))
            else:  # ai == a_count
                a_new.append((ax[ai], ay[ai]))
            bi += 1
            b_new.append((bx[bi], by[bi]))
        else:  # pragma: no cover - unreachable by construction
            raise AssertionError("line approximation lost its position")
    # CVAT cuts its arrays to the index of the last row it wrote, so that row is dropped
    del a_new[size - 1 :], b_new[size - 1 :]
    return np.array(a_new, dtype=float).reshape(-1, 2), np.array(b_new, dtype=float).reshape(-1, 2)


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
        d = a - b
        dists = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1])  # numpy.linalg.norm(d, axis=1), same values
        return sum(np.exp(-(dists**2) / (2 * self.scale * (2 * self.thickness) ** 2)).tolist()) / len(a)


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
