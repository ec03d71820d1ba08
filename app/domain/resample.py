"""Vertex correspondence between two polygons (or polylines) for interpolation.

CVAT pairs the vertices of two keyframes by index, so a polygon redrawn from another start vertex or
in the other direction spins or folds while it is interpolated. Here the correspondence is built
along the contour instead:

1. **Alignment.** Both contours are parametrised by normalised arc length. For a polygon, every
   start point on the second contour (its vertices and evenly spaced points on each edge) and both
   directions are tried; the one whose arc-length samples lie closest (sum of squared distances) to
   the first contour's samples wins. For a polyline only the direction is chosen. The candidates
   are geometric, so the result does not depend on where the second polygon's vertex list starts
   or which way it runs.
2. **Matching.** Every vertex of the contour with fewer vertices is paired with a distinct vertex
   of the other contour, keeping their order along the contour and minimising the total arc-length
   distance (a small dynamic programme). Each unpaired vertex of the larger contour is paired with
   the point of the smaller contour's edge at the same proportional arc length.

The result is two arrays of ``max(n0, n1)`` points: the first lies on (and contains every vertex of)
the first contour, the second on the second. Blending them linearly gives in-between shapes that
start and end at the keyframes exactly and never grow more vertices than the larger keyframe has.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

ALIGN_SAMPLES = 32  # arc-length samples used to compare two candidate alignments
DP_LIMIT = 400_000  # above this many (small x big) pairs the matching is greedy instead of optimal
_EPS = 1e-12


def _as_xy(points: tuple[float, ...]) -> np.ndarray:
    return np.asarray(points, dtype=np.float64).reshape(-1, 2)


def _cumulative(xy: np.ndarray, closed: bool) -> np.ndarray:
    """Cumulative arc length at each vertex (and, when closed, back at the start), normalised to 1.

    A contour of zero length is parametrised by vertex index instead.
    """
    ring = np.vstack([xy, xy[:1]]) if closed else xy
    lengths = np.hypot(*np.diff(ring, axis=0).T)
    total = float(lengths.sum())
    if total <= _EPS:
        lengths = np.ones(len(ring) - 1)
        total = float(len(lengths))
    return np.concatenate([[0.0], np.cumsum(lengths)]) / total


def _sample(xy: np.ndarray, cum: np.ndarray, params: np.ndarray, closed: bool) -> np.ndarray:
    """Points at normalised arc lengths ``params`` (wrapped into [0, 1) when closed)."""
    ring = np.vstack([xy, xy[:1]]) if closed else xy
    if closed:
        params = np.mod(params, 1.0)
    x = np.interp(params, cum, ring[:, 0])
    y = np.interp(params, cum, ring[:, 1])
    return np.stack([x, y], axis=-1)


def _start_candidates(cum: np.ndarray) -> np.ndarray:
    """Start points to try on a closed contour: its vertices and evenly spaced points on each edge."""
    edges = len(cum) - 1
    per_edge = max(1, math.ceil(ALIGN_SAMPLES / edges))
    fractions = np.arange(per_edge) / per_edge
    starts = cum[:-1, None] + fractions[None, :] * np.diff(cum)[:, None]
    return starts.ravel()


def _align(xy0: np.ndarray, cum0: np.ndarray, xy1: np.ndarray, cum1: np.ndarray, closed: bool) -> tuple[float, int]:
    """Start parameter ``c`` and direction ``d`` (+1/-1) on contour 1 that best match contour 0."""
    if closed:
        u = np.arange(ALIGN_SAMPLES) / ALIGN_SAMPLES
        starts = _start_candidates(cum1)
    else:
        u = np.linspace(0.0, 1.0, ALIGN_SAMPLES)
        starts = np.zeros(1)
    ref = _sample(xy0, cum0, u, closed)
    best = (math.inf, 0.0, 1)
    for direction in (1, -1):
        if closed:
            params = starts[:, None] + direction * u[None, :]
        else:
            params = (u if direction == 1 else 1.0 - u)[None, :]
        cost = ((_sample(xy1, cum1, params, closed) - ref[None]) ** 2).sum(axis=(1, 2))
        k = int(np.argmin(cost))
        if cost[k] < best[0]:
            best = (float(cost[k]), float(starts[k]), direction)
    return best[1], best[2]


def _monotone_match(small: np.ndarray, big: np.ndarray, pin_ends: bool) -> np.ndarray:
    """Indices into ``big`` (strictly increasing) paired with each entry of ``small`` (both sorted).

    Minimises the total ``|small[i] - big[j]|``. With ``pin_ends`` the first and last entries are
    paired with the first and last of ``big`` (polyline end points).
    """
    n_s, n_b = len(small), len(big)
    if n_s == n_b:
        return np.arange(n_b)
    if n_s * n_b > DP_LIMIT:
        return _greedy_match(small, big, pin_ends)
    cost = np.abs(small[:, None] - big[None, :])
    table = np.full((n_s, n_b), np.inf)
    cols = np.arange(n_b)
    for i in range(n_s):
        allowed = (cols >= i) & (cols <= n_b - n_s + i)
        if i == 0:
            row = cost[0].copy()
            if pin_ends:
                allowed &= cols == 0
        else:
            best_before = np.concatenate([[np.inf], np.minimum.accumulate(table[i - 1])[:-1]])
            row = cost[i] + best_before
            if pin_ends and i == n_s - 1:
                allowed &= cols == n_b - 1
        table[i] = np.where(allowed, row, np.inf)
    match = np.empty(n_s, dtype=np.int64)
    j = int(np.argmin(table[-1]))
    for i in range(n_s - 1, -1, -1):
        match[i] = j
        if i:
            j = int(np.argmin(table[i - 1][:j]))
    return match


def _greedy_match(small: np.ndarray, big: np.ndarray, pin_ends: bool) -> np.ndarray:
    """Linear-time stand-in for :func:`_monotone_match` on very large contours: each entry takes its
    nearest ``big`` entry, then the indices are pushed apart just enough to be strictly increasing."""
    n_s, n_b = len(small), len(big)
    pos = np.clip(np.searchsorted(big, small), 1, n_b - 1)
    nearest = np.where(np.abs(big[pos - 1] - small) <= np.abs(big[pos] - small), pos - 1, pos)
    if pin_ends:
        nearest[0], nearest[-1] = 0, n_b - 1
    ranks = np.arange(n_s)
    # match - rank must be non-decreasing (strictly increasing indices) and within [0, n_b - n_s]
    offset = np.minimum(np.maximum.accumulate(nearest - ranks), n_b - n_s)
    return (offset + ranks).astype(np.int64)


def _fill(small_params: np.ndarray, big_params: np.ndarray, match: np.ndarray, closed: bool) -> np.ndarray:
    """Parameters on the small contour for every vertex of the big one (matched ones take their pair's)."""
    out = np.empty(len(big_params))
    out[match] = small_params
    n_s = len(match)
    pairs = range(n_s) if closed else range(n_s - 1)
    for i in pairs:
        j0, j1 = int(match[i]), int(match[(i + 1) % n_s])
        s0, s1 = small_params[i], small_params[(i + 1) % n_s]
        b0, b1 = big_params[j0], big_params[j1]
        if closed and (i + 1) == n_s:  # the wrap-around gap, through parameter 1 == 0
            s1, b1 = s1 + 1.0, b1 + 1.0
            between = [*range(j0 + 1, len(big_params)), *range(0, j1)]
        else:
            between = list(range(j0 + 1, j1))
        if not between:
            continue
        bp = big_params[between] + np.where(np.asarray(between) < j0, 1.0, 0.0)
        span = b1 - b0
        frac = (bp - b0) / span if span > _EPS else np.linspace(0, 1, len(between) + 2)[1:-1]
        out[between] = s0 + frac * (s1 - s0)
    return np.mod(out, 1.0) if closed else out


@lru_cache(maxsize=4096)
def correspondence(
    points0: tuple[float, ...], points1: tuple[float, ...], closed: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Corresponding point arrays ``(a, b)``, each ``(max(n0, n1), 2)``, for two flat point lists.

    ``a`` lies on contour 0 and contains its vertices; ``b`` likewise for contour 1; ``a[k]`` moves to
    ``b[k]``. ``closed`` is True for polygons. Results are cached (the arrays are read-only).
    """
    xy0, xy1 = _as_xy(points0), _as_xy(points1)
    cum0, cum1 = _cumulative(xy0, closed), _cumulative(xy1, closed)
    start, direction = _align(xy0, cum0, xy1, cum1, closed)
    params0 = cum0[: len(xy0)]
    # Contour 1 re-parametrised from its aligned start, in its aligned direction.
    raw1 = cum1[: len(xy1)]
    params1 = np.mod((raw1 - start) * direction, 1.0) if closed else (raw1 if direction == 1 else 1.0 - raw1)
    if closed:
        params1 = np.where(params1 > 1.0 - 1e-12, 0.0, params1)
    order = np.argsort(params1, kind="stable")
    params1 = params1[order]

    def on_contour1(params: np.ndarray) -> np.ndarray:
        raw = start + direction * params if closed else (params if direction == 1 else 1.0 - params)
        return _sample(xy1, cum1, raw, closed)

    if len(xy0) >= len(xy1):
        match = _monotone_match(params1, params0, pin_ends=not closed)
        a = xy0.copy()
        b = on_contour1(_fill(params1, params0, match, closed))
        b[match] = xy1[order]  # exact vertices, not re-sampled ones
    else:
        match = _monotone_match(params0, params1, pin_ends=not closed)
        a = _sample(xy0, cum0, _fill(params0, params1, match, closed), closed)
        a[match] = xy0
        b = xy1[order].copy()
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b
