"""CVAT's mask encoding: run lengths, row-major over the mask's box, starting with a background run.

``points = [run_0, run_1, ..., run_k, x1, y1, x2, y2]`` where the box corners are inclusive. This is
the encoding of CVAT's database, of ``cvat_sdk.masks`` and (runs and box) of CVAT XML. COCO RLE is
different (column-major over the whole image) and lives in the COCO format module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class MaskEncodingError(ValueError):
    """Raised for run lengths that do not describe their box."""


def encode_runs(bitmap: np.ndarray) -> list[int]:
    """Run lengths of a 2-D bool array, row-major, first run background (possibly 0)."""
    flat = np.ascontiguousarray(bitmap, dtype=bool).ravel()
    if flat.size == 0:
        return [0]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return runs


def decode_runs(runs: Sequence[float], width: int, height: int) -> np.ndarray:
    """The (height, width) bool array that ``runs`` describe. Raises when the runs don't add up."""
    counts = np.asarray(runs, dtype=np.int64)
    if counts.size and counts.min() < 0:
        raise MaskEncodingError("mask run lengths must not be negative")
    total = int(counts.sum())
    if total != width * height:
        raise MaskEncodingError(
            f"mask run lengths add up to {total}, but the {width}x{height} box has {width * height} pixels"
        )
    values = np.zeros(counts.size, dtype=bool)
    values[1::2] = True
    return np.repeat(values, counts).reshape(height, width)


def mask_to_points(bitmap: np.ndarray, left: int = 0, top: int = 0, *, crop: bool = True) -> list[float]:
    """Encode a bool array placed at (left, top). With ``crop`` it is first cut to its tight box."""
    bitmap = np.asarray(bitmap, dtype=bool)
    if crop:
        ys, xs = np.nonzero(bitmap)
        if ys.size == 0:
            return [1.0, float(left), float(top), float(left), float(top)]
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
        bitmap = bitmap[y0 : y1 + 1, x0 : x1 + 1]
        left, top = left + x0, top + y0
    h, w = bitmap.shape
    return [float(r) for r in encode_runs(bitmap)] + [float(left), float(top), float(left + w - 1), float(top + h - 1)]


def mask_box(points: Sequence[float]) -> tuple[int, int, int, int]:
    """The inclusive box (x1, y1, x2, y2) of an encoded mask."""
    x1, y1, x2, y2 = (int(round(v)) for v in points[-4:])
    return x1, y1, x2, y2


def points_to_crop(points: Sequence[float]) -> tuple[np.ndarray, int, int]:
    """Decode to (bitmap of the box, left, top)."""
    if len(points) < 5:
        raise MaskEncodingError("a mask needs run lengths and a box (at least 5 numbers)")
    x1, y1, x2, y2 = mask_box(points)
    return decode_runs(points[:-4], x2 - x1 + 1, y2 - y1 + 1), x1, y1


def points_to_mask(points: Sequence[float], width: int, height: int) -> np.ndarray:
    """Decode onto a full (height, width) frame; parts of the box outside the frame are clipped."""
    crop, left, top = points_to_crop(points)
    full = np.zeros((height, width), dtype=bool)
    h, w = crop.shape
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + w, width), min(top + h, height)
    if x1 > x0 and y1 > y0:
        full[y0:y1, x0:x1] = crop[y0 - top : y1 - top, x0 - left : x1 - left]
    return full


def mask_area(points: Sequence[float]) -> int:
    """Number of foreground pixels, computed from the runs without decoding."""
    return int(sum(points[1:-4:2]))
