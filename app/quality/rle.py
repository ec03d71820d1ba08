"""Pixel regions as run intervals over the column-major flattened frame (COCO's layout).

A :class:`Region` holds sorted, disjoint, non-adjacent half-open intervals ``[start, end)`` of flat
pixel indices ``x * height + y``. Memory and time follow the number of runs, never the frame area.

Polygons are rasterized by pycocotools (CVAT compares shapes through it, so its pixel rules are the
reference); its compressed counts string is decoded here, vectorized. CVAT masks (row-major runs over
an inclusive box) are converted through a box-sized bitmap only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pycocotools import mask as coco_mask

from app.domain.mask import decode_runs

_EMPTY = np.zeros(0, dtype=np.int64)


class Region:
    """A set of pixels of a ``height`` x ``width`` frame, as run intervals."""

    __slots__ = ("height", "width", "starts", "ends", "_area", "_bbox")

    def __init__(self, height: int, width: int, starts: np.ndarray = _EMPTY, ends: np.ndarray = _EMPTY) -> None:
        self.height = int(height)
        self.width = int(width)
        self.starts = starts
        self.ends = ends
        self._area: int | None = None
        self._bbox: list[float] | None = None

    @property
    def area(self) -> int:
        if self._area is None:
            self._area = int(np.sum(self.ends - self.starts)) if self.starts.size else 0
        return self._area

    def bbox(self) -> list[float]:
        """Pixel bounding box ``[x, y, w, h]`` as pycocotools' ``toBbox`` gives it (zeros when empty)."""
        if self._bbox is None:
            if not self.starts.size:
                self._bbox = [0.0, 0.0, 0.0, 0.0]
            else:
                h = self.height
                first_col = self.starts // h
                last_col = (self.ends - 1) // h
                x0, x1 = int(first_col[0]), int(last_col[-1])
                if np.any(last_col > first_col):
                    y0, y1 = 0, h - 1
                else:
                    y0, y1 = int(np.min(self.starts % h)), int(np.max((self.ends - 1) % h))
                self._bbox = [float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)]
        return self._bbox

    def col_range(self) -> tuple[int, int]:
        """First and last column touched (inclusive); (0, -1) when empty."""
        if not self.starts.size:
            return 0, -1
        return int(self.starts[0] // self.height), int((self.ends[-1] - 1) // self.height)


def _normalize(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort intervals, drop empty ones, merge overlapping and adjacent ones."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size <= 1:
        return starts.astype(np.int64), ends.astype(np.int64)
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    new = np.empty(starts.size, dtype=bool)
    new[0] = True
    new[1:] = starts[1:] > reach[:-1]
    idx = np.flatnonzero(new)
    return starts[idx].astype(np.int64), np.maximum.reduceat(ends, idx).astype(np.int64)


def union(regions: Sequence[Region], height: int, width: int) -> Region:
    """Pixels in any of ``regions``."""
    parts = [r for r in regions if r.starts.size]
    if not parts:
        return Region(height, width)
    if len(parts) == 1:
        return Region(height, width, parts[0].starts, parts[0].ends)
    s, e = _normalize(np.concatenate([r.starts for r in parts]), np.concatenate([r.ends for r in parts]))
    return Region(height, width, s, e)


def _coverage(a: Region, b: Region) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elementary segments between all boundaries, with the coverage by ``a`` and by ``b``."""
    pos = np.concatenate([a.starts, a.ends, b.starts, b.ends])
    na, nb = a.starts.size, b.starts.size
    da = np.concatenate([np.ones(na, np.int64), -np.ones(na, np.int64), np.zeros(2 * nb, np.int64)])
    db = np.concatenate([np.zeros(2 * na, np.int64), np.ones(nb, np.int64), -np.ones(nb, np.int64)])
    order = np.argsort(pos, kind="stable")
    pos, da, db = pos[order], np.cumsum(da[order]), np.cumsum(db[order])
    last = np.empty(pos.size, dtype=bool)
    last[:-1] = pos[1:] != pos[:-1]
    last[-1] = True
    return pos[last], da[last], db[last]


def _combine(a: Region, b: Region, keep_a: bool, keep_b: bool, both: bool) -> Region:
    if not a.starts.size or not b.starts.size:
        if both:
            return Region(a.height, a.width)
        return Region(a.height, a.width, a.starts, a.ends) if keep_a and not keep_b else Region(a.height, a.width)
    pos, ca, cb = _coverage(a, b)
    inside = (ca[:-1] > 0) & (cb[:-1] > 0) if both else (ca[:-1] > 0) & (cb[:-1] == 0)
    s, e = _normalize(pos[:-1][inside], pos[1:][inside])
    return Region(a.height, a.width, s, e)


def intersection(a: Region, b: Region) -> Region:
    return _combine(a, b, True, True, both=True)


def difference(a: Region, b: Region) -> Region:
    """Pixels of ``a`` not in ``b``."""
    if not b.starts.size or not a.starts.size:
        return Region(a.height, a.width, a.starts, a.ends)
    return _combine(a, b, True, False, both=False)


def intersection_area(a: Region, b: Region) -> int:
    if not a.starts.size or not b.starts.size:
        return 0
    if a.ends[-1] <= b.starts[0] or b.ends[-1] <= a.starts[0]:
        return 0
    pos, ca, cb = _coverage(a, b)
    inside = (ca[:-1] > 0) & (cb[:-1] > 0)
    return int(np.sum(pos[1:][inside] - pos[:-1][inside]))


def iou(a: Region, b: Region) -> float:
    """Pixel IoU as pycocotools computes it (0 when nothing intersects or both are empty)."""
    inter = intersection_area(a, b)
    if not inter:
        return 0.0
    return float(inter) / float(a.area + b.area - inter)


# ----------------------------------------------------------------------------- construction


def counts_from_string(text: bytes) -> np.ndarray:
    """Decode a COCO compressed RLE counts string (LEB-like, 5 bits per char, deltas from index 3)."""
    c = np.frombuffer(text, dtype=np.uint8).astype(np.int64) - 48
    if not c.size:
        return _EMPTY
    more = (c & 0x20) != 0
    ends = np.flatnonzero(~more)
    starts = np.empty(ends.size, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    number = np.repeat(np.arange(ends.size), lengths)
    shift = 5 * (np.arange(c.size) - starts[number])
    values = np.add.reduceat((c & 0x1F) << shift, starts)
    negative = (c[ends] & 0x10) != 0
    values[negative] -= np.left_shift(np.int64(1), 5 * lengths[negative])
    counts = values.copy()
    if counts.size > 3:
        counts[3::2] = counts[1] + np.cumsum(values[3::2])
    if counts.size > 4:
        counts[4::2] = counts[2] + np.cumsum(values[4::2])
    return counts


def from_counts(counts: np.ndarray, height: int, width: int) -> Region:
    """A region from COCO run counts (first run is background)."""
    if not counts.size:
        return Region(height, width)
    bounds = np.cumsum(counts)
    starts = bounds[0::2]
    ends = bounds[1::2]
    starts = starts[: ends.size]
    s, e = _normalize(starts, ends)
    return Region(height, width, s, e)


def from_polygons(polygons: Sequence[Sequence[float]], height: int, width: int) -> Region:
    """Rasterize polygons (flat ``[x0, y0, ...]`` lists, >= 3 points each) with pycocotools' rules, united."""
    polys = [list(map(float, p)) for p in polygons if len(p) >= 6]
    if not polys or height <= 0 or width <= 0:
        return Region(height, width)
    rles = coco_mask.frPyObjects(polys, height, width)
    regions = [from_counts(counts_from_string(r["counts"]), height, width) for r in rles]
    return regions[0] if len(regions) == 1 else union(regions, height, width)


def from_cvat_mask(points: Sequence[float], height: int, width: int) -> Region:
    """A CVAT mask (runs over its inclusive box, then ``x1, y1, x2, y2``), clipped to the frame."""
    left, top, right, bottom = (int(v) for v in points[-4:])
    crop = decode_runs([int(v) for v in points[:-4]], right - left + 1, bottom - top + 1)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(bottom + 1, height), min(right + 1, width)
    if y1 <= y0 or x1 <= x0:
        return Region(height, width)
    crop = crop[y0 - top : y1 - top, x0 - left : x1 - left]
    hh, ww = crop.shape
    padded = np.zeros((ww, hh + 1), dtype=np.int8)
    padded[:, :hh] = crop.T
    flat = padded.ravel()
    change = np.diff(np.concatenate(([0], flat)))
    run_starts = np.flatnonzero(change == 1)
    run_ends = np.flatnonzero(change == -1)
    col_s, row_s = np.divmod(run_starts, hh + 1)
    col_e, row_e = np.divmod(run_ends, hh + 1)
    starts = (x0 + col_s) * height + y0 + row_s
    ends = (x0 + col_e) * height + y0 + row_e
    s, e = _normalize(starts.astype(np.int64), ends.astype(np.int64))
    return Region(height, width, s, e)
