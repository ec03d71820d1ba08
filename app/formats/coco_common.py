"""Shared COCO pieces: JSON loading with clear errors, RLE conversions, attribute value conversions.

COCO RLE is column-major over the whole image and starts with a background run; CVAT's mask encoding
is row-major over the mask's box (:mod:`app.domain.mask`). Uncompressed RLE has ``counts`` as a list,
compressed RLE as a string (pycocotools' encoding).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from app.domain.enums import AttributeType
from app.domain.mask import encode_runs
from app.formats.errors import FormatError


def load_json(raw: bytes, file: str | Path) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FormatError(file, f"line {exc.lineno}, column {exc.colno}", f"malformed JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(file, "", f"not UTF-8 text: {exc}") from exc


#: Most pixels an RLE may cover (16384 x 16384): its mask is decoded whole, so a damaged size must not
#: allocate gigabytes before the counts are found wrong.
MAX_RLE_PIXELS = 1 << 28


def rle_to_bitmap(segmentation: dict[str, Any], width: int, height: int, file: str | Path, where: str) -> np.ndarray:
    """Decode an uncompressed or compressed RLE; its size must be the image size."""
    size = segmentation.get("size")
    counts = segmentation.get("counts")
    if not (isinstance(size, list) and len(size) == 2):
        raise FormatError(file, where, "an RLE segmentation needs 'size': [height, width]")
    if not all(not isinstance(v, bool) and isinstance(v, int | float) and float(v).is_integer() and v >= 0
               for v in size):
        raise FormatError(file, where, f"the RLE 'size' {str(size)[:60]} must be two non-negative integers "
                                       "[height, width]")
    h, w = int(size[0]), int(size[1])
    if w * h > MAX_RLE_PIXELS:
        raise FormatError(file, where, f"the RLE size {w}x{h} is larger than an image can be here "
                                       f"({MAX_RLE_PIXELS} pixels)")
    if (w, h) != (width, height) and width > 0 and height > 0:
        raise FormatError(file, where, f"the RLE size {w}x{h} differs from the image size {width}x{height}")
    if isinstance(counts, list):
        if not all(isinstance(c, int) and c >= 0 for c in counts):
            raise FormatError(file, where, "RLE counts must be non-negative integers")
        total = sum(counts)
        if total != w * h:
            raise FormatError(file, where, f"RLE runs add up to {total}, but a {w}x{h} image has {w * h} pixels")
        values = np.zeros(len(counts), dtype=bool)
        values[1::2] = True
        return np.repeat(values, counts).reshape(w, h).T
    if isinstance(counts, str):
        try:
            bitmap = coco_mask.decode({"counts": counts.encode("ascii"), "size": [h, w]})
        except (ValueError, TypeError, UnicodeEncodeError) as exc:
            raise FormatError(file, where, f"cannot decode the compressed RLE: {exc}") from exc
        return bitmap.astype(bool)
    raise FormatError(file, where, "RLE 'counts' must be a list or a string")


def bitmap_to_rle(bitmap: np.ndarray) -> dict[str, Any]:
    """Uncompressed COCO RLE (column-major, background first) of a full-image bool array."""
    h, w = bitmap.shape
    return {"counts": encode_runs(np.ascontiguousarray(bitmap.T)), "size": [h, w]}


def rle_area_bbox(rle: dict[str, Any]) -> tuple[float, list[float]]:
    h, w = rle["size"]
    compressed = coco_mask.frPyObjects(rle, h, w)
    return float(coco_mask.area(compressed)), [float(v) for v in coco_mask.toBbox(compressed)]


def polygons_area(polygons: list[list[float]], width: int, height: int) -> float:
    if not polygons:
        return 0.0
    rles = coco_mask.frPyObjects(polygons, max(height, 1), max(width, 1))
    return float(coco_mask.area(coco_mask.merge(rles)))


def value_to_json(value: str, input_type: AttributeType) -> Any:
    """CVAT attribute string → COCO JSON value (checkbox → bool, number → int/float, else str)."""
    if input_type is AttributeType.CHECKBOX:
        return value.lower() == "true"
    if input_type is AttributeType.NUMBER:
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


def value_from_json(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)
