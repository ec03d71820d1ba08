"""Geometry and common fields of CVAT XML shape elements, in both layouts (images and video).

Each element is turned into CVAT's internal points (see :mod:`app.domain.annotations`):
box → [xtl, ytl, xbr, ybr]; polygon/polyline/points → flat list; ellipse → [cx, cy, cx+rx, cy-ry];
cuboid → the 16 corner numbers in CVAT's attribute order; mask → CVAT runs + inclusive box.
"""

from __future__ import annotations

import math
from pathlib import Path

from app.domain.enums import ShapeType, Source
from app.formats.errors import FormatError
from app.formats.validate import MAX_INT32, MAX_SIDE, coordinates, int_text
from app.formats.xmltree import Node

SHAPE_TAGS = {
    "box": ShapeType.RECTANGLE,
    "polygon": ShapeType.POLYGON,
    "polyline": ShapeType.POLYLINE,
    "points": ShapeType.POINTS,
    "ellipse": ShapeType.ELLIPSE,
    "cuboid": ShapeType.CUBOID,
    "mask": ShapeType.MASK,
    "skeleton": ShapeType.SKELETON,
}
CUBOID_KEYS = ("xtl1", "ytl1", "xbl1", "ybl1", "xtr1", "ytr1", "xbr1", "ybr1",
               "xtl2", "ytl2", "xbl2", "ybl2", "xtr2", "ytr2", "xbr2", "ybr2")
MIN_POINTS = {ShapeType.POLYGON: 3, ShapeType.POLYLINE: 2, ShapeType.POINTS: 1}
_SOURCES = {s.value for s in Source}


def number(node: Node, key: str, file: Path) -> float:
    """A required finite number attribute."""
    raw = node.attrib.get(key)
    if raw is None:
        raise FormatError(file, node.where(), f"attribute {key!r} is missing")
    try:
        value = float(raw)
    except ValueError:
        raise FormatError(file, node.where(), f"bad coordinates: {key}={raw!r} is not a number") from None
    if not math.isfinite(value):
        raise FormatError(file, node.where(), f"bad coordinates: {key}={raw!r} is not finite")
    return coordinates([value], file, node.where(), key)[0]


def integer(node: Node, key: str, file: Path, default: int = 0, lo: int = -MAX_INT32 - 1, hi: int = MAX_INT32) -> int:
    """An integer attribute in [lo, hi] (CVAT's 32-bit integer fields by default)."""
    raw = node.attrib.get(key)
    if raw is None or raw == "":
        return default
    return int_text(raw, file, node.where(), key, lo, hi)


def flag(node: Node, key: str, file: Path, default: bool = False) -> bool:
    raw = node.attrib.get(key)
    if raw is None or raw == "":
        return default
    if raw in ("0", "1"):
        return raw == "1"
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    raise FormatError(file, node.where(), f"{key}={raw!r} must be 0 or 1")


def source(node: Node, default: str, warnings: list[str]) -> Source:
    """The file's ``source``; unknown values are read as the default (with a warning)."""
    raw = node.attrib.get("source")
    if not raw:
        return Source(default)
    if raw not in _SOURCES:
        warnings.append(f"{node.where()}: unknown source {raw!r}, read as {default!r}")
        return Source(default)
    return Source(raw)


def point_list(node: Node, file: Path, shape_type: ShapeType) -> list[float]:
    raw = node.attrib.get("points")
    if raw is None:
        raise FormatError(file, node.where(), "attribute 'points' is missing")
    pairs = [p for p in raw.strip().split(";") if p.strip()]
    try:
        values = [float(v) for p in pairs for v in p.split(",")]
    except ValueError:
        raise FormatError(file, node.where(), f"bad coordinates in points={raw[:60]!r}") from None
    if len(values) != 2 * len(pairs):
        raise FormatError(file, node.where(), f"bad coordinates: every point needs x,y in points={raw[:60]!r}")
    coordinates(values, file, node.where(), "points")
    need = MIN_POINTS.get(shape_type, 1)
    if len(pairs) < need:
        raise FormatError(file, node.where(), f"a {shape_type.value} needs at least {need} points, got {len(pairs)}")
    return values


def mask_points(node: Node, file: Path) -> list[float]:
    rle = node.attrib.get("rle")
    if rle is None:
        raise FormatError(file, node.where(), "attribute 'rle' is missing")
    try:
        runs = [int(v) for v in rle.replace(" ", "").split(",") if v != ""]
    except ValueError:
        raise FormatError(file, node.where(), "rle must be comma-separated integers") from None
    left, top = integer(node, "left", file), integer(node, "top", file)
    width, height = integer(node, "width", file, -1, hi=MAX_SIDE), integer(node, "height", file, -1, hi=MAX_SIDE)
    if width <= 0 or height <= 0:
        raise FormatError(file, node.where(), f"mask width/height must be positive, got {width}x{height}")
    if any(r < 0 for r in runs):
        raise FormatError(file, node.where(), "mask rle has a negative run")
    total = sum(runs)
    if total != width * height:
        raise FormatError(file, node.where(),
                          f"mask rle runs add up to {total}, but the {width}x{height} box has {width * height} pixels")
    return [float(r) for r in runs] + [float(left), float(top), float(left + width - 1), float(top + height - 1)]


def geometry(node: Node, shape_type: ShapeType, file: Path) -> tuple[list[float], float]:
    """(points, rotation) of a non-skeleton shape element."""
    rotation = 0.0
    if shape_type is ShapeType.RECTANGLE:
        xtl, ytl, xbr, ybr = (number(node, k, file) for k in ("xtl", "ytl", "xbr", "ybr"))
        if xbr < xtl or ybr < ytl:
            raise FormatError(file, node.where(), f"bad coordinates: box corners ({xtl}, {ytl}) > ({xbr}, {ybr})")
        points = [xtl, ytl, xbr, ybr]
    elif shape_type is ShapeType.ELLIPSE:
        cx, cy, rx, ry = (number(node, k, file) for k in ("cx", "cy", "rx", "ry"))
        if rx < 0 or ry < 0:
            raise FormatError(file, node.where(), "bad coordinates: ellipse radii must not be negative")
        points = [cx, cy, cx + rx, cy - ry]
    elif shape_type is ShapeType.CUBOID:
        points = [number(node, k, file) for k in CUBOID_KEYS]
    elif shape_type is ShapeType.MASK:
        points = mask_points(node, file)
    else:
        points = point_list(node, file, shape_type)
    if "rotation" in node.attrib and shape_type in (ShapeType.RECTANGLE, ShapeType.ELLIPSE):
        rotation = number(node, "rotation", file)
    return points, rotation
