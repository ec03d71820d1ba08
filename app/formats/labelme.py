"""labelme JSON (labelme 3.x-5.x, AnyLabeling, X-AnyLabeling): one ``.json`` per image, read and written.

Reading (a folder searched recursively for ``*.json``, or one file):

- ``shapes``: ``rectangle`` (two corners), ``polygon``, ``line`` / ``linestrip`` → polyline, ``point`` /
  ``points`` → points, ``circle`` (centre, a point on the circle) → ellipse, ``mask`` (inclusive box
  corners + base64 PNG of the box) → CVAT mask, X-AnyLabeling ``rotation`` (four corners) → a rotated
  rectangle; ``ai_polygon``/``ai_mask`` as polygon/mask.
- ``label`` → label by name; ``group_id`` → group (unique over the dataset); ``flags`` of a shape and
  X-AnyLabeling's ``attributes`` → attributes by name (booleans → checkbox); ``description`` → a text
  attribute ``description``; ``difficult`` → a checkbox attribute ``difficult``; ``occluded`` (flag or
  attribute) → the shape's occluded; ``score`` → the shape's score.
- Image ``flags`` that are true → tags (the flag name is a tag label).
- The frame is ``imagePath`` relative to the dataset folder; its size is ``imageWidth``/``imageHeight``.
  ``imageData`` is not decoded (images are taken from ``imagePath``).

Writing: ``<image stem>.json`` beside where the image goes (``images/<name>``), labelme 5 layout with
``imageData: null``. Polylines of 2 points → ``line``, else ``linestrip``; one point → ``point``, several
→ ``points``; rotated rectangles → X-AnyLabeling ``rotation``; circles for round unrotated ellipses,
other ellipses as polygons; masks as labelme masks. Skeletons and cuboids have no labelme form and are
not written; tracks are written on every frame where they are visible.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from PIL import Image

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import LabelType, ShapeType
from app.domain.geometry import ellipse_outline, rect_corners
from app.domain.labels import Label
from app.domain.mask import mask_box, mask_to_points, points_to_crop
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry, Progress
from app.formats.errors import FormatError
from app.formats.frame_matching import is_file
from app.formats.plain_common import (
    LabelIndex,
    image_side,
    integer,
    json_attribute,
    number,
    obj,
    read_json,
    seq,
    shapes_by_frame,
    text,
    write_json,
)

VERSION = "5.5.0"
_KINDS = {"rectangle", "polygon", "line", "linestrip", "point", "points", "circle", "mask", "rotation",
          "ai_polygon", "ai_mask"}


def _files(path: Path) -> tuple[Path, list[Path]]:
    if not path.exists():
        raise FormatError(path, "", "the file does not exist")
    if path.is_file():
        return path.parent, [path]
    files = sorted(p for p in path.rglob("*.json") if p.is_file())
    if not files:
        raise FormatError(path, "", "no labelme .json file in the folder")
    return path, files


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.registry = LabelRegistry()
        self.frames: list[DatasetFrame] = []
        self.files: list[str | None] = []
        self.ann = Annotations()
        self.groups: dict[tuple[int, int], int] = {}
        self.warnings: list[str] = []

    def label(self, name: str, kind: LabelType = LabelType.ANY) -> Label:
        return self.registry.get(name) or self.registry.create(name, kind)

    def read(self, file: Path) -> None:
        doc = obj(read_json(file), file, "")
        if "shapes" not in doc:
            raise FormatError(file, "", "not a labelme file: 'shapes' is missing")
        image_path = text(doc.get("imagePath"), file, "imagePath", allow_none=True) or f"{file.stem}.jpg"
        image_path = image_path.replace("\\", "/")
        folder = file.parent.relative_to(self.root).as_posix() if file.parent != self.root else ""
        name = str(PurePosixPath(folder, image_path)) if folder else image_path
        name = _normalise(name)
        width = image_side(doc.get("imageWidth") or 0, file, "imageWidth")
        height = image_side(doc.get("imageHeight") or 0, file, "imageHeight")
        index = len(self.frames)
        self.frames.append(DatasetFrame(index=index, name=name, width=width, height=height))
        image = (file.parent / image_path)
        self.files.append(str(image) if is_file(image) else None)
        flags = doc.get("flags") or {}
        for key, value in obj(flags, file, "flags").items():
            if not isinstance(value, bool):
                raise FormatError(file, f"flags.{key}", "an image flag must be true or false")
            label = self.label(key, LabelType.TAG)
            if value:
                self.ann.tags.append(Tag(frame=index, label_id=label.id))
        for k, raw in enumerate(seq(doc["shapes"], file, "shapes")):
            self.shape(obj(raw, file, f"shapes[{k}]"), file, f"shapes[{k}]", index)

    def shape(self, raw: dict[str, Any], file: Path, where: str, frame: int) -> None:
        kind = text(raw.get("shape_type") or "polygon", file, f"{where}.shape_type")
        if kind not in _KINDS:
            raise FormatError(file, f"{where}.shape_type", f"unknown shape type {kind!r}; expected one of "
                              + ", ".join(sorted(_KINDS)))
        name = text(raw.get("label"), file, f"{where}.label")
        if not name:
            raise FormatError(file, f"{where}.label", "the label is empty")
        label = self.label(name)
        xy = _points(raw.get("points"), file, f"{where}.points")
        shape_type, points, rotation = self.geometry(kind, xy, raw, file, where)
        shape = Shape(type=shape_type, frame=frame, label_id=label.id, points=points, rotation=rotation)
        group = raw.get("group_id")
        if group is not None:
            key = (frame, integer(group, file, f"{where}.group_id", lo=0))
            shape.group = self.groups.setdefault(key, len(self.groups) + 1)
        if raw.get("score") is not None:
            shape.score = number(raw["score"], file, f"{where}.score", limit=1e9)
        for key, value in obj(raw.get("flags") or {}, file, f"{where}.flags").items():
            self.attribute(shape, label, key, value, file, f"{where}.flags.{key}")
        for key, value in obj(raw.get("attributes") or {}, file, f"{where}.attributes").items():
            self.attribute(shape, label, key, value, file, f"{where}.attributes.{key}")
        if raw.get("difficult") is not None:
            if not isinstance(raw["difficult"], bool):
                raise FormatError(file, f"{where}.difficult", "expected true or false")
            self.attribute(shape, label, "difficult", raw["difficult"], file, f"{where}.difficult")
        description = text(raw.get("description"), file, f"{where}.description", allow_none=True)
        if description:
            self.attribute(shape, label, "description", description, file, f"{where}.description")
        self.ann.shapes.append(shape)

    def attribute(self, shape: Shape, label: Label, key: str, value: Any, file: Path, where: str) -> None:
        if key == "occluded" and isinstance(value, bool):
            shape.occluded = value
            return
        spec_id, string = json_attribute(self.registry, label, key, value, file, where)
        shape.attributes[spec_id] = string

    def geometry(self, kind: str, xy: list[float], raw: dict[str, Any], file: Path,
                 where: str) -> tuple[ShapeType, list[float], float]:
        n = len(xy) // 2
        need = {"rectangle": 2, "circle": 2, "mask": 2, "ai_mask": 2, "rotation": 4, "line": 2, "linestrip": 2,
                "point": 1, "points": 1, "polygon": 3, "ai_polygon": 3}.get(kind, 1)
        exact = kind in ("rectangle", "circle", "rotation", "mask", "ai_mask", "point", "line")
        if n < need or (exact and n != need):
            raise FormatError(file, f"{where}.points",
                              f"a {kind} needs {'exactly' if exact else 'at least'} {need} points, found {n}")
        if kind == "rectangle":
            x1, y1, x2, y2 = xy
            return ShapeType.RECTANGLE, [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)], 0.0
        if kind == "rotation":
            return (ShapeType.RECTANGLE, *_from_corners(xy))
        if kind == "circle":
            cx, cy, px, py = xy
            r = math.hypot(px - cx, py - cy)
            return ShapeType.ELLIPSE, [cx, cy, cx + r, cy - r], 0.0
        if kind in ("polygon", "ai_polygon"):
            return ShapeType.POLYGON, xy, 0.0
        if kind in ("line", "linestrip"):
            return ShapeType.POLYLINE, xy, 0.0
        if kind in ("point", "points"):
            return ShapeType.POINTS, xy, 0.0
        return ShapeType.MASK, _mask(raw.get("mask"), xy, file, where), 0.0

    def dataset(self) -> Dataset:
        return Dataset(labels=self.registry.labels, frames=self.frames, annotations=self.ann,
                       meta={"format": "labelme", "layout": "images", "warnings": self.warnings,
                             "image_files": self.files})


def _normalise(name: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(name).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", "/"):
            parts.append(part)
    return "/".join(parts) or name


def _points(value: Any, file: Path, where: str) -> list[float]:
    out: list[float] = []
    for k, pair in enumerate(seq(value, file, where)):
        if not isinstance(pair, list) or len(pair) != 2:
            raise FormatError(file, f"{where}[{k}]", "a point must be a list [x, y]")
        out += [number(pair[0], file, f"{where}[{k}][0]"), number(pair[1], file, f"{where}[{k}][1]")]
    return out


def _from_corners(xy: list[float]) -> tuple[list[float], float]:
    """Centre-based box and rotation (degrees, clockwise in image coordinates) from four corners in order."""
    p = np.asarray(xy, dtype=np.float64).reshape(4, 2)
    cx, cy = p.mean(axis=0)
    w = float(np.hypot(*(p[1] - p[0])))
    h = float(np.hypot(*(p[2] - p[1])))
    angle = math.degrees(math.atan2(p[1][1] - p[0][1], p[1][0] - p[0][0])) % 360.0
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], angle


def _mask(value: Any, xy: list[float], file: Path, where: str) -> list[float]:
    data = text(value, file, f"{where}.mask")
    try:
        raw = base64.b64decode(data, validate=True)
        image = Image.open(io.BytesIO(raw))
        bitmap = np.asarray(image.convert("L")) > 0 if image.mode not in ("1", "L") else np.asarray(image) > 0
    except (binascii.Error, ValueError, OSError, Image.DecompressionBombError) as exc:
        raise FormatError(file, f"{where}.mask", f"not a base64 PNG: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - ultralytics patches Image.open; its fallback raises ImportError
        raise FormatError(file, f"{where}.mask", "not a base64 PNG") from exc
    left, top = int(math.floor(min(xy[0::2]))), int(math.floor(min(xy[1::2])))
    if not bitmap.any():
        raise FormatError(file, f"{where}.mask", "the mask is empty")
    return mask_to_points(bitmap, left, top)


def read_labelme(path: Path, *, progress: Progress | None = None) -> Dataset:
    """Read a labelme / X-AnyLabeling folder (recursively) or a single ``.json``."""
    path = Path(path)
    root, files = _files(path)
    reader = _Reader(root)
    for done, file in enumerate(files):
        reader.read(file)
        if progress is not None:
            progress(done + 1, len(files))
    return reader.dataset()


# ---------------------------------------------------------------------- writing


def _pairs(points: list[float]) -> list[list[float]]:
    return [[float(points[i]), float(points[i + 1])] for i in range(0, len(points) - 1, 2)]


def _shape_json(shape: Shape, labels: LabelIndex) -> dict[str, Any] | None:
    p = shape.points
    extra: dict[str, Any] = {}
    if shape.type is ShapeType.RECTANGLE:
        if shape.rotation % 360:
            corners = rect_corners(p, shape.rotation)
            kind, points = "rotation", corners.tolist()
            extra["direction"] = math.radians(shape.rotation % 360)
        else:
            kind, points = "rectangle", [[p[0], p[1]], [p[2], p[3]]]
    elif shape.type is ShapeType.POLYGON:
        kind, points = "polygon", _pairs(p)
    elif shape.type is ShapeType.POLYLINE:
        kind, points = ("line" if len(p) == 4 else "linestrip"), _pairs(p)
    elif shape.type is ShapeType.POINTS:
        kind, points = ("point" if len(p) == 2 else "points"), _pairs(p)
    elif shape.type is ShapeType.ELLIPSE:
        rx, ry = abs(p[2] - p[0]), abs(p[1] - p[3])
        if abs(rx - ry) < 1e-6 and not shape.rotation % 360:
            kind, points = "circle", [[p[0], p[1]], [p[0] + rx, p[1]]]
        else:
            kind, points = "polygon", ellipse_outline(p, shape.rotation).tolist()
    elif shape.type is ShapeType.MASK:
        crop, left, top = points_to_crop(p)
        x1, y1, x2, y2 = mask_box(p)
        buffer = io.BytesIO()
        Image.fromarray(crop.astype(np.uint8) * 255, mode="L").convert("1").save(buffer, format="PNG")
        kind, points = "mask", [[float(x1), float(y1)], [float(x2), float(y2)]]
        extra["mask"] = base64.b64encode(buffer.getvalue()).decode("ascii")
    else:
        return None
    attributes = labels.attributes(shape.attributes)
    description = attributes.pop("description", "")
    difficult = attributes.pop("difficult", None)
    if shape.occluded:
        attributes["occluded"] = True
    out: dict[str, Any] = {"label": labels.name(shape.label_id), "points": [[float(x), float(y)] for x, y in points],
                           "group_id": shape.group or None, "description": str(description),
                           "shape_type": kind, "flags": {}, "mask": extra.pop("mask", None)}
    if attributes:
        out["attributes"] = attributes
    if difficult is not None:
        out["difficult"] = bool(difficult) if isinstance(difficult, bool) else str(difficult).lower() == "true"
    if shape.score != 1.0:
        out["score"] = shape.score
    out.update(extra)
    return out


def json_name(frame: DatasetFrame) -> str:
    return str(PurePosixPath(frame.name.replace("\\", "/").lstrip("/")).with_suffix(".json"))


def write_labelme(dataset: Dataset, folder: Path, *, progress: Progress | None = None) -> str:
    """One labelme 5 JSON per frame under ``folder`` (images go beside them); returns the layout name."""
    labels = LabelIndex(dataset)
    tag_labels = [label.name for label in dataset.labels if label.type is LabelType.TAG]
    by_frame = shapes_by_frame(dataset)
    tags: dict[int, set[str]] = {}
    for tag in dataset.annotations.tags:
        tags.setdefault(tag.frame, set()).add(labels.name(tag.label_id))
    tag_labels += sorted({n for names in tags.values() for n in names} - set(tag_labels))
    paths = []
    total = len(dataset.frames)
    for k, frame in enumerate(dataset.frames):
        image = frame.name.replace("\\", "/").lstrip("/")
        paths.append(image)
        shapes = []
        for shape, _track, _key in sorted(by_frame.get(frame.index, []), key=lambda item: item[0].z_order):
            item = _shape_json(shape, labels)
            if item is not None:
                shapes.append(item)
        doc = {"version": VERSION, "flags": {name: name in tags.get(frame.index, ()) for name in tag_labels},
               "shapes": shapes, "imagePath": PurePosixPath(image).name, "imageData": None,
               "imageHeight": frame.height, "imageWidth": frame.width}
        write_json(folder / json_name(frame), doc)
        if progress is not None and k % 64 == 0:
            progress(k, total)
    dataset.meta["export_image_paths"] = paths
    return "labelme"

