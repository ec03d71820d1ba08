"""Pixel regions as run-length encodings over the column-major frame (COCO's layout), never as
full-frame arrays: memory and time follow the number of runs.

A :class:`Region` holds either a pycocotools compressed RLE (polygons are rasterized by pycocotools,
the reference CVAT uses; unions, intersections and areas then run in its C code) or explicit run
intervals ``[start, end)`` of flat indices ``x * height + y`` (needed for differences, e.g. the
visible part of an annotation under later ones). Each form is derived from the other on demand.
CVAT masks (row-major runs over an inclusive box) are converted through a box-sized bitmap only.

Why this is not :mod:`app.domain.geometry.raster`: quality reports must reproduce CVAT's numbers, and
CVAT rasterises with pycocotools (its own pixel-coverage rule, column-major RLE), which differs from
OpenCV's ``fillPoly`` along polygon edges (fillPoly takes in every pixel the edge touches); the
general module stays on OpenCV for the editor, models and formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from app.domain.mask import decode_runs

_EMPTY = np.zeros(0, dtype=np.int64)


class Region:
    """A set of pixels of a ``height`` x ``width`` frame."""

    __slots__ = ("height", "width", "_starts", "_ends", "_coco", "_area", "_bbox")

    def __init__(self, height: int, width: int, starts: np.ndarray | None = _EMPTY, ends: np.ndarray | None = _EMPTY,
                 coco: dict[str, Any] | None = None) -> None:
        self.height = int(height)
        self.width = int(width)
        self._starts = starts
        self._ends = ends
        self._coco = coco
        self._area: int | None = None
        self._bbox: list[float] | None = None

    # -------------------------------------------------------------- the two representations

    def _decode(self) -> None:
        counts = counts_from_string(self._coco["counts"])  # type: ignore[index]
        self._starts, self._ends = _runs_from_counts(counts)

    @property
    def starts(self) -> np.ndarray:
        if self._starts is None:
            self._decode()
        return self._starts  # type: ignore[return-value]

    @property
    def ends(self) -> np.ndarray:
        if self._ends is None:
            self._decode()
        return self._ends  # type: ignore[return-value]

    @property
    def coco(self) -> dict[str, Any]:
        """The pycocotools compressed RLE of the region."""
        if self._coco is None:
            h, w = self.height, self.width
            bounds = np.empty(2 * self.starts.size + 2, dtype=np.int64)
            bounds[0] = 0
            bounds[1:-1:2] = self.starts
            bounds[2:-1:2] = self.ends
            bounds[-1] = h * w
            counts = np.diff(bounds)
            self._coco = coco_mask.frPyObjects({"counts": counts.tolist(), "size": [h, w]}, h, w)
        return self._coco

    # -------------------------------------------------------------- measures

    @property
    def area(self) -> int:
        if self._area is None:
            if self._coco is not None:
                self._area = int(coco_mask.area(self._coco))
            else:
                self._area = int(np.sum(self.ends - self.starts)) if self.starts.size else 0
        return self._area

    def is_empty(self) -> bool:
        return self.area == 0

    def bbox(self) -> list[float]:
        """Pixel bounding box ``[x, y, w, h]`` as pycocotools' ``toBbox`` gives it (zeros when empty)."""
        if self._bbox is None:
            if self._coco is not None:
                self._bbox = [float(v) for v in coco_mask.toBbox(self._coco)]
            elif not self.starts.size:
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


def _runs_from_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not counts.size:
        return _EMPTY, _EMPTY
    bounds = np.cumsum(counts)
    starts = bounds[0::2]
    ends = bounds[1::2]
    return _normalize(starts[: ends.size], ends)


def _normalize(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort intervals, drop empty ones, merge overlapping and adjacent ones."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if starts.size <= 1:
        return starts.astype(np.int64), ends.astype(np.int64)
    if np.all(starts[1:] > ends[:-1]):
        return starts.astype(np.int64), ends.astype(np.int64)
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    new = np.empty(starts.size, dtype=bool)
    new[0] = True
    new[1:] = starts[1:] > reach[:-1]
    idx = np.flatnonzero(new)
    return starts[idx].astype(np.int64), np.maximum.reduceat(ends, idx).astype(np.int64)


# ----------------------------------------------------------------------------- set operations


def union(regions: Sequence[Region], height: int, width: int) -> Region:
    """Pixels in any of ``regions``."""
    parts = [r for r in regions if not r.is_empty()]
    if not parts:
        return Region(height, width)
    if len(parts) == 1:
        return parts[0]
    return Region(height, width, None, None, coco_mask.merge([r.coco for r in parts]))


def intersection_area(a: Region, b: Region) -> int:
    if a.is_empty() or b.is_empty():
        return 0
    return int(coco_mask.area(coco_mask.merge([a.coco, b.coco], intersect=True)))


def intersection(a: Region, b: Region) -> Region:
    if a.is_empty() or b.is_empty():
        return Region(a.height, a.width)
    return Region(a.height, a.width, None, None, coco_mask.merge([a.coco, b.coco], intersect=True))


def difference(a: Region, b: Region) -> Region:
    """Pixels of ``a`` not in ``b``."""
    if a.is_empty() or b.is_empty():
        return a
    pos = np.concatenate([a.starts, a.ends, b.starts, b.ends])
    na, nb = a.starts.size, b.starts.size
    da = np.concatenate([np.ones(na, np.int64), -np.ones(na, np.int64), np.zeros(2 * nb, np.int64)])
    db = np.concatenate([np.zeros(2 * na, np.int64), np.ones(nb, np.int64), -np.ones(nb, np.int64)])
    order = np.argsort(pos, kind="stable")
    pos, ca, cb = pos[order], np.cumsum(da[order]), np.cumsum(db[order])
    last = np.empty(pos.size, dtype=bool)
    last[:-1] = pos[1:] != pos[:-1]
    last[-1] = True
    pos, ca, cb = pos[last], ca[last], cb[last]
    inside = (ca[:-1] > 0) & (cb[:-1] == 0)
    s, e = _normalize(pos[:-1][inside], pos[1:][inside])
    return Region(a.height, a.width, s, e)


def iou(a: Region, b: Region) -> float:
    """Pixel IoU as pycocotools computes it (0 when nothing intersects or both are empty)."""
    inter = intersection_area(a, b)
    if not inter:
        return 0.0
    return float(inter) / float(a.area + b.area - inter)


# ----------------------------------------------------------------------------- construction


def counts_from_string(text: bytes) -> np.ndarray:
    """Decode a COCO compressed RLE counts string (5 bits per char, deltas from index 3 on)."""
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
    s, e = _runs_from_counts(counts)
    return Region(height, width, s, e)


def from_polygons(polygons: Sequence[Sequence[float]], height: int, width: int) -> Region:
    """Rasterize polygons (flat ``[x0, y0, ...]`` lists or float arrays, >= 3 points each) with pycocotools,
    united."""
    polys = [p if isinstance(p, (list, np.ndarray)) else list(p) for p in polygons if len(p) >= 6]
    if not polys or height <= 0 or width <= 0:
        return Region(height, width)
    rles = coco_mask.frPyObjects(polys, height, width)
    coco = rles[0] if len(rles) == 1 else coco_mask.merge(rles)
    return Region(height, width, None, None, coco)


def from_cvat_mask(points: Sequence[float], height: int, width: int) -> Region:
    """A CVAT mask (runs over its inclusive box, then ``x1, y1, x2, y2``), clipped to the frame."""
    left, top, right, bottom = (int(v) for v in points[-4:])
    runs = np.asarray(points[:-4], dtype=float).astype(np.int64)  # int() of each value, in one call
    crop = decode_runs(runs, right - left + 1, bottom - top + 1)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(bottom + 1, height), min(right + 1, width)
    if y1 <= y0 or x1 <= x0:
        return Region(height, width)
    crop = crop[y0 - top : y1 - top, x0 - left : x1 - left]
    hh, ww = crop.shape
    padded = np.zeros((ww, hh + 1), dtype=np.int8)
    padded[:, :hh] = crop.T
    change = np.diff(np.concatenate(([0], padded.ravel())))
    run_starts = np.flatnonzero(change == 1)
    run_ends = np.flatnonzero(change == -1)
    col_s, row_s = np.divmod(run_starts, hh + 1)
    col_e, row_e = np.divmod(run_ends, hh + 1)
    starts = (x0 + col_s) * height + y0 + row_s
    ends = (x0 + col_e) * height + y0 + row_e
    s, e = _normalize(starts.astype(np.int64), ends.astype(np.int64))
    return Region(height, width, s, e)
