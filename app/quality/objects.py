"""Comparable objects: CVAT shapes, track frames and tags converted the way CVAT feeds them to its
comparison (Datumaro annotations): coordinates rounded to 2 decimals, attributes keyed by name with
defaults filled in and typed (number -> float, checkbox -> bool), ``occluded`` as an attribute,
rectangles [x1, y1, x2, y2] as boxes, ellipses as their box, skeletons as keypoint lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.domain.annotations import Shape, Tag
from app.domain.enums import AttributeType, ShapeType
from app.domain.labels import AttributeSpec, Label
from app.quality import rle
from app.quality.conflicts import AnnotationRef

# Visibility of skeleton keypoints (Datumaro's Points.Visibility).
ABSENT, HIDDEN, VISIBLE = 0, 1, 2

_KIND = {
    ShapeType.RECTANGLE: "bbox", ShapeType.ELLIPSE: "ellipse", ShapeType.POLYGON: "polygon",
    ShapeType.MASK: "mask", ShapeType.POINTS: "points", ShapeType.POLYLINE: "polyline",
    ShapeType.SKELETON: "skeleton", ShapeType.CUBOID: "other",
}


def round2(values: Sequence[float]) -> list[float]:
    """Datumaro's coordinate rounding, ``numpy.around(v, 2)``: scale by 100, round half to even, divide.

    Python's ``round(float)`` rounds half to even like ``numpy.rint`` and int / 100 is the correctly
    rounded quotient, so this gives the same doubles (up to the sign of zero) without numpy overhead.
    """
    if len(values) > 64:
        return np.around(np.asarray(values, dtype=float), 2).tolist()
    return [round(v * 100) / 100 for v in values]


@dataclass(eq=False)
class QObject:
    """One annotation as compared. Identity (``id()``) distinguishes objects; eq is disabled on purpose."""

    kind: str  # bbox, ellipse, polygon, mask, points, polyline, skeleton, tag, other
    label: int  # index in the dataset's label list (labels and sublabels in id order)
    ref: AnnotationRef
    group: int = 0
    z_order: int = 0
    attributes: dict[str, Any] = field(default_factory=dict)
    points: list[float] = field(default_factory=list)
    rotation: float = 0.0
    elements: list[tuple[int, float, float, int]] = field(default_factory=list)  # skeleton: label, x, y, vis
    mask_points: list[float] | None = None  # CVAT mask encoding
    _region: rle.Region | None = None
    _bbox: list[float] | None = None

    # -------------------------------------------------------------- geometry in Datumaro's terms

    def box_corners(self) -> tuple[float, float, float, float]:
        """x1, y1, x2, y2 of a box or an ellipse (rounded)."""
        x1, y1, x2, y2 = self.points[:4]
        return x1, y1, x2, y2

    def bbox(self, height: int = 0, width: int = 0) -> list[float] | None:
        """Datumaro's ``get_bbox`` ([x, y, w, h]); None for tags. Masks need the frame size."""
        if self._bbox is not None:
            return self._bbox
        box: list[float] | None
        if self.kind == "tag":
            return None
        if self.kind in ("bbox", "ellipse"):
            x1, y1, x2, y2 = self.box_corners()
            box = [x1, y1, x2 - x1, y2 - y1]
        elif self.kind == "mask":
            box = self.region(height, width).bbox()
        elif self.kind == "skeleton":
            pts = [(x, y) for _, x, y, v in self.elements if v != ABSENT]
            box = _extent([p[0] for p in pts], [p[1] for p in pts])
        else:
            box = _extent(self.points[0::2], self.points[1::2]) if self.points else None
        self._bbox = box
        return box

    def region(self, height: int, width: int) -> rle.Region:
        """Pixels of a polygon or mask (pycocotools rasterization), cached."""
        if self._region is None or self._region.height != height or self._region.width != width:
            if self.kind == "mask" and self.mask_points is not None:
                self._region = rle.from_cvat_mask(self.mask_points, height, width)
            else:
                self._region = rle.from_polygons([self.points], height, width)
        return self._region


def _extent(xs: Sequence[float], ys: Sequence[float]) -> list[float]:
    x0, x1 = min(xs, default=0), max(xs, default=0)
    y0, y1 = min(ys, default=0), max(ys, default=0)
    return [x0, y0, x1 - x0, y1 - y0]


@dataclass
class QFrame:
    """One compared frame of one side: size, objects in CVAT's order (tags, then shapes by z_order)."""

    frame_id: int
    name: str
    width: int
    height: int
    objects: list[QObject] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def of_kind(self, *kinds: str) -> list[QObject]:
        return [o for o in self.objects if o.kind in kinds]


class LabelIndex:
    """Dataset label indices: every label and sublabel ordered by id (CVAT's category order)."""

    def __init__(self, labels: Iterable[Label]) -> None:
        flat: list[Label] = []
        for label in labels:
            flat.append(label)
            flat.extend(label.sublabels)
        flat.sort(key=lambda lbl: (lbl.id if lbl.id is not None else 1 << 62))
        self.labels = flat
        self.index_of = {lbl.id: i for i, lbl in enumerate(flat)}
        self.parent_name: list[str] = []
        by_id = {lbl.id: lbl for lbl in flat}
        for lbl in flat:
            parent = by_id.get(lbl.parent_id) if lbl.parent_id is not None else None
            self.parent_name.append(parent.name if parent is not None else "")
        self._specs = {lbl.id: {s.id: s for s in lbl.attributes} for lbl in flat}

    def top_level(self) -> list[int]:
        """Indices of labels without a parent, in order (the confusion matrix axes)."""
        return [i for i, p in enumerate(self.parent_name) if not p]

    def sublabel_indices(self, skeleton_index: int) -> list[int]:
        """Indices of a skeleton's keypoint labels, sorted (the keypoint order in comparisons)."""
        name = self.labels[skeleton_index].name
        return [i for i, p in enumerate(self.parent_name) if p == name]

    def convert_attributes(self, label_id: int, values: dict[int, str]) -> dict[str, Any]:
        """Every attribute of the label by name: the value given, else the default, typed like CVAT."""
        label = self.labels[self.index_of[label_id]]
        out: dict[str, Any] = {}
        for spec in label.attributes:
            out[spec.name] = typed_value(spec, values.get(spec.id, spec.default_value))
        return out


def typed_value(spec: AttributeSpec, value: str) -> Any:
    """CVAT's attribute typing before comparison (bindings.py): number -> float, checkbox -> bool."""
    if spec.input_type is AttributeType.NUMBER:
        try:
            return float(value)
        except ValueError:
            return value
    if spec.input_type is AttributeType.CHECKBOX:
        return str(value).lower() == "true"
    return value


def convert_tag(tag: Tag, labels: LabelIndex, job_id: int, obj_id: int) -> QObject:
    return QObject(kind="tag", label=labels.index_of[tag.label_id], group=tag.group,
                   ref=AnnotationRef(obj_id, job_id, "tag", None),
                   attributes=labels.convert_attributes(tag.label_id, tag.attributes))


def convert_shape(shape: Shape, labels: LabelIndex, ref: AnnotationRef, *, rounding: bool = True) -> QObject | None:
    """One shape (or a track's shape on a frame) as a comparable object; None for unusable geometry.

    With ``rounding=False`` coordinates are left unrounded for :func:`round_objects` to round in bulk."""
    kind = _KIND[shape.type]
    attrs = labels.convert_attributes(shape.label_id, shape.attributes)
    attrs["occluded"] = bool(shape.occluded)
    if kind in ("bbox", "ellipse"):
        attrs["rotation"] = float(shape.rotation)
    obj = QObject(kind=kind, label=labels.index_of[shape.label_id], ref=ref, group=shape.group,
                  z_order=shape.z_order, attributes=attrs, rotation=float(shape.rotation))
    if kind == "skeleton":
        obj.elements = _skeleton_elements(shape, labels, rounding)
        return obj
    return obj if set_geometry(obj, list(shape.points), rounding) else None


def set_geometry(obj: QObject, pts: list[float], rounding: bool = True) -> bool:
    """Give a (non-skeleton) object its compared geometry from CVAT's points (``pts`` is kept, not copied);
    False for unusable geometry. Without ``rounding`` :func:`round_objects` rounds later, in bulk."""
    r2 = round2 if rounding else _same
    kind = obj.kind
    if kind == "bbox":
        if len(pts) < 4:
            return False
        x0, y0, x1, y1 = pts[:4]
        w, h = x1 - x0, y1 - y0
        obj.points = r2([x0, y0, x0 + w, y0 + h])
    elif kind == "ellipse":
        if len(pts) < 4:
            return False
        cx, cy, rx_pt, ty = pts[:4]
        obj.points = r2([2 * cx - rx_pt, ty, rx_pt, 2 * cy - ty])
    elif kind == "mask":
        if len(pts) < 5:
            return False
        obj.mask_points = pts
    elif kind == "polygon":
        if len(pts) < 6:
            return False
        obj.points = r2(pts)
    elif kind == "polyline":
        if len(pts) < 4:  # a line needs two points (CVAT cannot compare shorter ones either)
            return False
        obj.points = r2(pts)
    else:
        if len(pts) < 2:
            return False
        obj.points = r2(pts)
    return True


def _same(values: list[float]) -> list[float]:
    return values


def _skeleton_elements(shape: Shape, labels: LabelIndex, rounding: bool = True) -> list[tuple[int, float, float, int]]:
    out = []
    for element in shape.elements:
        if element.label_id not in labels.index_of or len(element.points) < 2:
            continue
        vis = ABSENT if element.outside else (HIDDEN if element.occluded else VISIBLE)
        x, y = round2(element.points[:2]) if rounding else element.points[:2]
        out.append((labels.index_of[element.label_id], x, y, vis))
    return out


def round_objects(objects: Sequence[QObject]) -> None:
    """Round the coordinates of many objects with one ``numpy.around`` call (same result as round2)."""
    chunks: list[Sequence[float]] = []
    for obj in objects:
        chunks.append(obj.points)
        if obj.elements:
            chunks.append([v for e in obj.elements for v in e[1:3]])
    flat = [v for c in chunks for v in c]
    if not flat:
        return
    rounded = np.around(np.asarray(flat, dtype=float), 2).tolist()
    pos = 0
    for obj in objects:
        n = len(obj.points)
        obj.points = rounded[pos : pos + n]
        pos += n
        if obj.elements:
            n = 2 * len(obj.elements)
            xy = rounded[pos : pos + n]
            obj.elements = [(e[0], xy[2 * k], xy[2 * k + 1], e[3]) for k, e in enumerate(obj.elements)]
            pos += n


def order_frame_objects(tags: list[QObject], shapes: list[QObject]) -> list[QObject]:
    """CVAT's item order: tags, then shapes stably sorted by z_order."""
    return tags + sorted(shapes, key=lambda o: o.z_order)
