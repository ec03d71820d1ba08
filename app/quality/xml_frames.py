"""Turn ``<image>`` elements of two CVAT exports into compared frames, in a worker process.

Each element is parsed with the C XML parser and its shapes and tags become compared objects
(:class:`app.quality.objects.QObject`) straight away, without domain shapes in between: labels and
attributes are mapped by name onto the compared label list (the job file's onto the GT file's, as
:mod:`app.quality.compare_files` does), attributes typed and defaulted per label once, objects numbered by
their position in the file; the result equals :func:`app.quality.frames.build_frames` on the shapes the
formats reader gives. Values are checked like the formats reader checks them; where it would reject
something this raises :class:`FastPathUnsupported` and the full reader takes over.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.domain.enums import ShapeType
from app.domain.labels import AttributeSpec, Label
from app.formats import cvat_xml_shapes as xs
from app.formats.errors import FormatError
from app.quality.conflicts import AnnotationRef
from app.quality.objects import (
    _KIND,
    ABSENT,
    HIDDEN,
    VISIBLE,
    LabelIndex,
    QFrame,
    QObject,
    order_frame_objects,
    round_objects,
    set_geometry,
    typed_value,
)
from app.quality.xml_stream import ElementAttrs, FastPathUnsupported, ImageChunk


@dataclass
class LabelNames:
    """One label of a file: its id in the compared label list (-1: not compared), its attributes by name
    (None: declared but not compared) and its sublabels by name."""

    id: int
    attributes: dict[str, int | None] = field(default_factory=dict)
    sublabels: dict[str, LabelNames] = field(default_factory=dict)


@dataclass
class FileLabels:
    """How one file's names map onto the compared label list, and the file's job id in conflicts."""

    job_id: int
    labels: dict[str, LabelNames]


def file_labels(labels: Sequence[Label], job_id: int, label_map: dict[int, int] | None = None,
                attr_map: dict[int, int] | None = None) -> FileLabels:
    """Name maps for a file whose labels carry the file's ids; ``label_map``/``attr_map`` map those ids
    onto the compared list (None: the file's ids are the compared ones)."""

    def one(label: Label) -> LabelNames:
        ident = label.id if label_map is None else label_map.get(label.id, -1)  # type: ignore[arg-type]
        attrs = {s.name: (s.id if attr_map is None else attr_map.get(s.id)) for s in label.attributes}  # type: ignore[arg-type]
        return LabelNames(ident, attrs, {sub.name: one(sub) for sub in label.sublabels})

    out: dict[str, LabelNames] = {}
    for label in labels:
        out.setdefault(label.name, one(label))
    return FileLabels(job_id, out)


def _label(el: ET.Element, labels: FileLabels) -> LabelNames:
    found = labels.labels.get(el.get("label", ""))
    if found is None:
        raise FastPathUnsupported(f"undeclared label {el.get('label', '')!r}")
    return found


_FINITE = math.isfinite
_KINDS = {tag: (shape_type, _KIND[shape_type], shape_type.value) for tag, shape_type in xs.SHAPE_TAGS.items()}
_BOX_KEYS = ("xtl", "ytl", "xbr", "ybr")
_ELLIPSE_KEYS = ("cx", "cy", "rx", "ry")


class _Plan:
    """How the objects of one file label become compared objects: the label's index (None: not compared),
    the compared attribute spec of each of the file's attribute names, the typed defaults."""

    __slots__ = ("index", "label_id", "specs", "defaults", "names")

    def __init__(self, names: LabelNames, index: LabelIndex) -> None:
        self.names = names
        self.label_id = names.id
        self.index = index.index_of.get(names.id)
        self.specs: dict[str, AttributeSpec | None] = {}
        self.defaults: dict[str, Any] = {}
        if self.index is None:
            return
        label = index.labels[self.index]
        by_id = {spec.id: spec for spec in label.attributes}
        self.defaults = {spec.name: typed_value(spec, spec.default_value) for spec in label.attributes}
        if len(self.defaults) != len(label.attributes):
            raise FastPathUnsupported("attributes with the same name in one label")
        self.specs = {name: by_id.get(spec_id) for name, spec_id in names.attributes.items() if spec_id is not None}

    def attributes(self, el: ET.Element) -> dict[str, Any]:
        """The compared attributes of an element (every attribute of the label, typed as CVAT does)."""
        out = dict(self.defaults)
        declared = self.names.attributes
        for child in el:
            if child.tag != "attribute":
                continue
            name = child.get("name", "")
            if name not in declared:
                raise FastPathUnsupported(f"undeclared attribute {name!r}")
            spec = self.specs.get(name)
            if spec is not None:
                out[spec.name] = typed_value(spec, child.text or "")
        return out


class _Reader:
    """Turns the elements of one file's images into compared objects (a worker keeps one per file)."""

    def __init__(self, labels: FileLabels, index: LabelIndex) -> None:
        self.labels = labels
        self.index = index
        self.plans: dict[int, _Plan] = {}

    def plan(self, el: ET.Element, names: LabelNames | None = None) -> _Plan:
        if names is None:
            names = _label(el, self.labels)
        plan = self.plans.get(id(names))
        if plan is None:
            plan = self.plans[id(names)] = _Plan(names, self.index)
        return plan

    def tag(self, el: ET.Element, ident: int) -> QObject | None:
        plan = self.plan(el)
        group = xs.integer(ElementAttrs(el.attrib), "group_id", "")
        attributes = plan.attributes(el)
        if plan.index is None:
            return None
        return QObject(kind="tag", label=plan.index, group=group, attributes=attributes,
                       ref=AnnotationRef(ident, self.labels.job_id, "tag", None))

    def shape(self, el: ET.Element, ident: int) -> QObject | None:
        """The element's compared object (None: not compared); values are checked as the formats reader
        checks them (:mod:`app.formats.cvat_xml_shapes`), coordinates are left for :func:`round_objects`."""
        plan = self.plan(el)
        attrib = el.attrib
        at = ElementAttrs(attrib)
        shape_type, kind, type_name = _KINDS[el.tag]
        occluded = xs.flag(at, "occluded", "")
        z_order = xs.integer(at, "z_order", "")
        group = xs.integer(at, "group_id", "")
        attributes = plan.attributes(el)
        rotation = 0.0
        elements: list[tuple[int, float, float, int]] = []
        if shape_type is ShapeType.SKELETON:
            points: list[float] = []
            for child in el.iterfind("points"):
                sub = plan.names.sublabels.get(child.get("label", ""))
                if sub is None:
                    raise FastPathUnsupported("unknown keypoint")
                c_at = ElementAttrs(child.attrib)
                xy = _point_list(child.attrib, ShapeType.POINTS)
                vis = ABSENT if xs.flag(c_at, "outside", "") else (HIDDEN if xs.flag(c_at, "occluded", "") else VISIBLE)
                self.plan(child, sub).attributes(child)  # checked, not compared (CVAT compares the skeleton's)
                sub_index = self.index.index_of.get(sub.id)
                if sub_index is not None and len(xy) >= 2:
                    elements.append((sub_index, xy[0], xy[1], vis))
        else:
            points, rotation = _geometry(attrib, shape_type)
        if plan.index is None:
            return None
        attributes["occluded"] = occluded
        if kind in ("bbox", "ellipse"):
            attributes["rotation"] = rotation
        obj = QObject(kind=kind, label=plan.index, ref=AnnotationRef(ident, self.labels.job_id, "shape", type_name),
                      group=group, z_order=z_order, attributes=attributes, rotation=rotation)
        if kind == "skeleton":
            obj.elements = elements
            return obj
        return obj if set_geometry(obj, points, rounding=False) else None


def _point_list(attrib: dict[str, str], shape_type: ShapeType) -> list[float]:
    """``points="x,y;x,y"``; anything unusual goes through the formats reader's parser (same values or
    its error)."""
    raw = attrib.get("points")
    if raw is not None:
        parts = raw.split(";")
        try:
            values = [float(v) for p in parts for v in p.split(",")]
        except ValueError:
            values = None
        if (values is not None and len(values) == 2 * len(parts) and len(parts) >= xs.MIN_POINTS.get(shape_type, 1)
                and all(map(_FINITE, values))):
            return values
    return xs.point_list(ElementAttrs(attrib), "", shape_type)  # type: ignore[arg-type]


def _geometry(attrib: dict[str, str], shape_type: ShapeType) -> tuple[list[float], float]:
    """:func:`app.formats.cvat_xml_shapes.geometry` with a short way for the common shapes."""
    if shape_type in (ShapeType.POLYGON, ShapeType.POLYLINE, ShapeType.POINTS):
        return _point_list(attrib, shape_type), 0.0
    if shape_type is ShapeType.RECTANGLE or shape_type is ShapeType.ELLIPSE:
        keys = _BOX_KEYS if shape_type is ShapeType.RECTANGLE else _ELLIPSE_KEYS
        try:
            a, b, c, d = (float(attrib[k]) for k in keys)
            rotation = float(attrib["rotation"]) if "rotation" in attrib else 0.0
        except (KeyError, ValueError):
            a = b = c = d = rotation = math.nan
        if _FINITE(a) and _FINITE(b) and _FINITE(c) and _FINITE(d) and _FINITE(rotation):
            if shape_type is ShapeType.RECTANGLE and c >= a and d >= b:
                return [a, b, c, d], rotation
            if shape_type is ShapeType.ELLIPSE and c >= 0 and d >= 0:
                return [a, b, a + c, b - d], rotation
    return xs.geometry(ElementAttrs(attrib), shape_type, "")  # type: ignore[arg-type]


def image_frame(chunk: ImageChunk, reader: _Reader) -> QFrame:
    """The compared frame of one image element."""
    try:
        el = ET.fromstring(chunk.data)
    except ET.ParseError as exc:
        raise FastPathUnsupported(f"malformed image element: {exc}") from exc
    if el.tag != "image" or el.get("name") != chunk.name:
        raise FastPathUnsupported("the image scanner lost its place")
    tags: list[QObject] = []
    shapes: list[QObject] = []
    tag_count = shape_count = 0
    try:
        for child in el:
            if child.tag == "tag":
                tag_count += 1
                obj = reader.tag(child, chunk.tags_before + tag_count)
                if obj is not None:
                    tags.append(obj)
            elif child.tag in _KINDS:
                shape_count += 1
                obj = reader.shape(child, chunk.shapes_before + shape_count)
                if obj is not None:
                    shapes.append(obj)
    except FormatError as exc:
        raise FastPathUnsupported(str(exc)) from exc
    if shape_count != chunk.shape_count or tag_count != chunk.tag_count:
        raise FastPathUnsupported("the image scanner lost its place")
    round_objects(shapes)
    return QFrame(chunk.number, chunk.name, chunk.width, chunk.height, order_frame_objects(tags, shapes))


def load_pairs(chunk: list[tuple[ImageChunk, ImageChunk]], index: LabelIndex,
               context: tuple[FileLabels, FileLabels]) -> list[tuple[QFrame, QFrame]]:
    """:data:`app.quality.parallel.Loader` for (GT image, job image) pairs."""
    gt_labels, ds_labels = context
    readers = _READERS.get((id(index), id(gt_labels)))
    if readers is None:  # one pair of readers per worker (index and context live as long as the worker)
        _READERS.clear()
        readers = _READERS[(id(index), id(gt_labels))] = (_Reader(gt_labels, index), _Reader(ds_labels, index), context)
    gt, ds, _ = readers
    return [(image_frame(g, gt), image_frame(d, ds)) for g, d in chunk]


_READERS: dict[tuple[int, int], tuple[_Reader, _Reader, Any]] = {}
