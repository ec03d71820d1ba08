"""Turn ``<image>`` elements of two CVAT exports into compared frames, in a worker process.

Each element is parsed with the C XML parser and its shapes and tags become domain objects with the
compared label list's ids straight away (the job file's labels are mapped onto the GT file's by name,
as :mod:`app.quality.compare_files` does), numbered by their position in the file, then converted by
:func:`app.quality.frames.build_frames`. Values are checked like the formats reader checks them; where it
would reject something this raises :class:`FastPathUnsupported` and the full reader takes over.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import ShapeType
from app.domain.labels import Label
from app.formats import cvat_xml_shapes as xs
from app.formats.errors import FormatError
from app.quality.frames import FrameMeta, build_frames
from app.quality.objects import LabelIndex, QFrame
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


def _attributes(el: ET.Element, names: LabelNames) -> dict[int, str]:
    values: dict[int, str] = {}
    for child in el:
        if child.tag != "attribute":
            continue
        name = child.get("name", "")
        if name not in names.attributes:
            raise FastPathUnsupported(f"undeclared attribute {name!r}")
        spec = names.attributes[name]
        if spec is not None:
            values[spec] = child.text or ""
    return values


def _label(el: ET.Element, labels: FileLabels) -> LabelNames:
    found = labels.labels.get(el.get("label", ""))
    if found is None:
        raise FastPathUnsupported(f"undeclared label {el.get('label', '')!r}")
    return found


def _shape(el: ET.Element, labels: FileLabels, frame: int, ident: int) -> Shape:
    names = _label(el, labels)
    at = ElementAttrs(el.attrib)
    shape_type = xs.SHAPE_TAGS[el.tag]
    shape = Shape(shape_type, frame, names.id, occluded=xs.flag(at, "occluded", ""),
                  z_order=xs.integer(at, "z_order", ""), group=xs.integer(at, "group_id", ""),
                  attributes=_attributes(el, names), id=ident)
    if shape_type is ShapeType.SKELETON:
        for child in el.iterfind("points"):
            sub = names.sublabels.get(child.get("label", ""))
            if sub is None:
                raise FastPathUnsupported("unknown keypoint")
            c_at = ElementAttrs(child.attrib)
            shape.elements.append(Shape(ShapeType.POINTS, frame, sub.id, xs.point_list(c_at, "", ShapeType.POINTS),
                                        occluded=xs.flag(c_at, "occluded", ""), outside=xs.flag(c_at, "outside", ""),
                                        attributes=_attributes(child, sub)))
    else:
        shape.points, shape.rotation = xs.geometry(at, shape_type, "")
    return shape


def image_frame(chunk: ImageChunk, labels: FileLabels, index: LabelIndex) -> QFrame:
    """The compared frame of one image element."""
    try:
        el = ET.fromstring(chunk.data)
    except ET.ParseError as exc:
        raise FastPathUnsupported(f"malformed image element: {exc}") from exc
    if el.tag != "image" or el.get("name") != chunk.name:
        raise FastPathUnsupported("the image scanner lost its place")
    ann = Annotations()
    frame = chunk.number
    try:
        for child in el:
            if child.tag == "tag":
                names = _label(child, labels)
                ann.tags.append(Tag(frame, names.id, group=xs.integer(ElementAttrs(child.attrib), "group_id", ""),
                                    attributes=_attributes(child, names), id=chunk.tags_before + len(ann.tags) + 1))
            elif child.tag in xs.SHAPE_TAGS:
                ann.shapes.append(_shape(child, labels, frame, chunk.shapes_before + len(ann.shapes) + 1))
    except FormatError as exc:
        raise FastPathUnsupported(str(exc)) from exc
    if len(ann.shapes) != chunk.shape_count or len(ann.tags) != chunk.tag_count:
        raise FastPathUnsupported("the image scanner lost its place")
    meta = FrameMeta(frame, chunk.name, chunk.width, chunk.height)
    return build_frames(ann, [meta], index, labels.job_id)[frame]


def load_pairs(chunk: list[tuple[ImageChunk, ImageChunk]], index: LabelIndex,
               context: tuple[FileLabels, FileLabels]) -> list[tuple[QFrame, QFrame]]:
    """:data:`app.quality.parallel.Loader` for (GT image, job image) pairs."""
    gt_labels, ds_labels = context
    return [(image_frame(g, gt_labels, index), image_frame(d, ds_labels, index)) for g, d in chunk]
