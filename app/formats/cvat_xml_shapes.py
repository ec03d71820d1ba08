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
from app.formats.validate import MAX_COORDINATE, MAX_INT32, MAX_SIDE, coordinates, int_text
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
# Enum members as plain module names, and the minimum by id: an enum's hash and a class attribute lookup are
# Python-level calls, a measurable share of reading 500k shapes.
_RECTANGLE, _ELLIPSE, _CUBOID, _MASK = ShapeType.RECTANGLE, ShapeType.ELLIPSE, ShapeType.CUBOID, ShapeType.MASK
_MIN_VALUES = {id(t): 2 * n for t, n in MIN_POINTS.items()}
SOURCES = {s.value: s for s in Source}  # by the text a file gives

# The helpers below run once per attribute of every shape (millions in a big file): each takes the common,
# valid case in a few operations and leaves the exact error message to the general code.


def number(node: Node, key: str, file: Path) -> float:
    """A required finite number attribute."""
    raw = node.attrib.get(key)
    if raw is None:
        raise FormatError(file, node.where(), f"attribute {key!r} is missing")
    try:
        value = float(raw)
    except ValueError:
        raise FormatError(file, node.where(), f"bad coordinates: {key}={raw!r} is not a number") from None
    if -MAX_COORDINATE <= value <= MAX_COORDINATE:  # also false for NaN and infinities
        return value
    if not math.isfinite(value):
        raise FormatError(file, node.where(), f"bad coordinates: {key}={raw!r} is not finite")
    return coordinates([value], file, node.where(), key)[0]


def integer(node: Node, key: str, file: Path, default: int = 0, lo: int = -MAX_INT32 - 1, hi: int = MAX_INT32) -> int:
    """An integer attribute in [lo, hi] (CVAT's 32-bit integer fields by default)."""
    raw = node.attrib.get(key)
    if raw is None or raw == "":
        return default
    if raw == "0":
        return 0
    if raw.isascii() and raw.isdigit() and len(raw) < 10 and lo <= (value := int(raw)) <= hi:
        return value
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
    known = SOURCES.get(raw) if raw else None
    if known is not None:
        return known
    if raw:
        warnings.append(f"{node.where()}: unknown source {raw!r}, read as {default!r}")
    return SOURCES[default]


def point_list(node: Node, file: Path, shape_type: ShapeType) -> list[float]:
    raw = node.attrib.get("points")
    if raw is None:
        raise FormatError(file, node.where(), "attribute 'points' is missing")
    fast = point_values(raw)
    if fast is not None and len(fast) >= _MIN_VALUES.get(id(shape_type), 2):
        return fast
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


def point_values(raw: str) -> list[float] | None:
    """The numbers of a well-formed ``x,y;x,y`` list within range, or None (the caller then finds the error)."""
    try:
        values = list(map(float, raw.replace(";", ",").split(",")))
    except ValueError:
        return None
    total = sum(values)  # NaN or infinite when any value is; the range check below then sees finite values
    if (len(values) & 1 or len(values) != 2 * (raw.count(";") + 1) or total != total or total in _INFINITE
            or min(values) < -MAX_COORDINATE or max(values) > MAX_COORDINATE):
        return None
    return values


_INFINITE = (math.inf, -math.inf)


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
    attrib = node.attrib
    if shape_type is _RECTANGLE and "rotation" not in attrib:
        try:  # a valid box in a few operations; anything else goes the general way, which names the problem
            xtl, ytl, xbr, ybr = float(attrib["xtl"]), float(attrib["ytl"]), float(attrib["xbr"]), float(attrib["ybr"])
            if -MAX_COORDINATE <= xtl <= xbr <= MAX_COORDINATE and -MAX_COORDINATE <= ytl <= ybr <= MAX_COORDINATE:
                return [xtl, ytl, xbr, ybr], 0.0
        except (KeyError, ValueError):
            pass
    if shape_type is _RECTANGLE:
        xtl, ytl = number(node, "xtl", file), number(node, "ytl", file)
        xbr, ybr = number(node, "xbr", file), number(node, "ybr", file)
        if xbr < xtl or ybr < ytl:
            raise FormatError(file, node.where(), f"bad coordinates: box corners ({xtl}, {ytl}) > ({xbr}, {ybr})")
        points = [xtl, ytl, xbr, ybr]
    elif shape_type is _ELLIPSE:
        cx, cy, rx, ry = (number(node, k, file) for k in ("cx", "cy", "rx", "ry"))
        if rx < 0 or ry < 0:
            raise FormatError(file, node.where(), "bad coordinates: ellipse radii must not be negative")
        points = [cx, cy, cx + rx, cy - ry]
    elif shape_type is _CUBOID:
        points = [number(node, k, file) for k in CUBOID_KEYS]
    elif shape_type is _MASK:
        points = mask_points(node, file)
    else:
        points = point_list(node, file, shape_type)
    if (shape_type is _RECTANGLE or shape_type is _ELLIPSE) and "rotation" in attrib:
        rotation = number(node, "rotation", file)
    return points, rotation
