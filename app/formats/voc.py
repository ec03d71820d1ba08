"""Pascal VOC: detection XML (``Annotations/``), segmentation PNGs (``SegmentationClass/``,
``SegmentationObject/``), subsets (``ImageSets/Main|Segmentation/<subset>.txt``), ``labelmap.txt``.

Reading:

- ``<object>``: ``name`` → label, ``bndbox`` → rectangle, ``difficult``/``truncated`` → checkbox attributes,
  ``occluded`` → the shape's occluded, ``pose`` → a text attribute (when not ``Unspecified``), CVAT's
  ``<attributes><attribute><name/><value/>`` → attributes by name. Coordinates are kept as written.
- Segmentation: each object of ``SegmentationObject/<id>.png`` becomes a mask of the class under it in
  ``SegmentationClass/<id>.png``; object ``k`` is grouped with the ``k``-th ``<object>`` of the XML (VOC's
  rule). With only class PNGs, each class present becomes one mask. Classes are ``labelmap.txt``'s lines
  (index = line) or, without it, VOC's 21 classes.
- Subsets: the ``<subset>.txt`` lists (``trainval`` is skipped when ``train`` or ``val`` exist; class
  lists ``<class>_<subset>.txt`` are ignored).

Writing: one XML per frame with its rectangles (a rotated one by its unrotated box and a ``rotation``
attribute), class and object PNGs painted from polygons, ellipses and masks (``z_order``; object ``k`` is
the ``k``-th ``<object>`` when the shape is grouped with a rectangle, numbered after the boxes otherwise),
``ImageSets/Main|Segmentation/<subset>.txt``, ``labelmap.txt`` with the labels' colours. Polygons and
ellipses come back as masks; polylines, points, skeletons, cuboids and tags are not written.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from app.domain.annotations import Annotations, Shape
from app.domain.enums import AttributeType, LabelType, ShapeType
from app.domain.labels import Label
from app.domain.mask import mask_to_points
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry, Progress
from app.formats.errors import FormatError
from app.formats.frame_matching import is_file
from app.formats.plain_common import LabelIndex, parse_number, read_text, shapes_by_frame, voc_palette
from app.formats.seg_png import (
    VOC_LABELS,
    Colormap,
    check_pair,
    class_map,
    instance_map,
    masks,
    read_colormap,
    render,
    save_index_png,
    write_colormap,
)
from app.formats.validate import path_entry
from app.formats.xmltree import Node, parse_file
from app.media.images import IMAGE_SUFFIXES

_FLAGS = ("difficult", "truncated")


def _subsets(root: Path) -> dict[str, str]:
    """Item id → subset name, from ImageSets/Main and ImageSets/Segmentation lists."""
    out: dict[str, str] = {}
    for kind in ("Main", "Segmentation", "Layout", "Action"):
        folder = root / "ImageSets" / kind
        if not folder.is_dir():
            continue
        lists = {p.stem: p for p in sorted(folder.glob("*.txt"))}
        if "trainval" in lists and ("train" in lists or "val" in lists):
            del lists["trainval"]
        for subset, file in lists.items():
            for n, line in enumerate(read_text(file).splitlines(), start=1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) > 1:  # a per-class list "<id> <1|-1|0>": not a subset
                    break
                path_entry(parts[0] + ".xml", file, f"line {n}")  # the item's files must be nameable
                if parts[0] in out and out[parts[0]] != subset:
                    continue
                out[parts[0]] = subset
    return out


def _image_of(root: Path, item: str) -> Path | None:
    for suffix in IMAGE_SUFFIXES:
        candidate = root / "JPEGImages" / f"{item}{suffix}"
        if is_file(candidate):  # item names come from the file (ImageSets): maybe one the system refuses
            return candidate
    return None


class _Reader:
    def __init__(self, root: Path, create: bool) -> None:
        self.root = root
        self.create = create
        self.registry = LabelRegistry()
        self.colors: Colormap | None = None
        self.frames: list[DatasetFrame] = []
        self.files: list[str | None] = []
        self.ann = Annotations()
        self.groups = 0
        self.warnings: list[str] = []
        labelmap = root / "labelmap.txt"
        if labelmap.is_file():
            self.colors = read_colormap(labelmap)
            for name, (r, g, b) in self.colors:
                if name != "background":
                    self.registry.add(Label(name=name, color=f"#{r:02x}{g:02x}{b:02x}"))

    def label(self, name: str, file: Path, where: str) -> Label:
        label = self.registry.get(name)
        if label is None:
            if self.colors is not None and not self.create:
                raise FormatError(file, where, f"label {name!r} is not in labelmap.txt (import with 'create "
                                               "missing labels' to add it)")
            label = self.registry.create(name)
        return label

    def class_label(self, index: int, file: Path) -> Label:
        names = [n for n, _c in self.colors] if self.colors is not None else list(VOC_LABELS)
        if not 0 < index < len(names):
            raise FormatError(file, "", f"class index {index} is not in the "
                              + ("colour map (labelmap.txt)" if self.colors is not None else "VOC class list"))
        return self.registry.get(names[index]) or self.registry.create(names[index])

    def item(self, item: str, subset: str) -> None:
        xml = self.root / "Annotations" / f"{item}.xml"
        image = _image_of(self.root, item)
        name, width, height = (image.name if image else f"{item}.jpg"), 0, 0
        objects: list[Node] = []
        if is_file(xml):
            root = parse_file(xml)
            if root.tag != "annotation":
                raise FormatError(xml, root.where(), "not a VOC file: the root element must be <annotation>")
            name = root.findtext("filename") or name
            size = root.find("size")
            if size is not None:
                width = _int(size, "width", xml)
                height = _int(size, "height", xml)
            objects = root.findall("object")
        index = len(self.frames)
        self.frames.append(DatasetFrame(index=index, name=name, width=width, height=height, subset=subset))
        self.files.append(str(image) if image else None)
        groups: list[int] = []
        for node in objects:
            groups.append(self.detection(node, xml, index))
        self.segmentation(item, index, groups)

    def detection(self, node: Node, file: Path, frame: int) -> int:
        where = node.where()
        name = node.findtext("name")
        if not name:
            raise FormatError(file, where, "the object has no <name>")
        label = self.label(name, file, where)
        self.groups += 1
        shape = Shape(type=ShapeType.RECTANGLE, frame=frame, label_id=label.id, group=self.groups)
        box = node.find("bndbox")
        for key in _FLAGS:
            text = node.findtext(key)
            if text:
                self.set_attr(shape, label, key, _flag(text, file, node.find(key) or node), AttributeType.CHECKBOX)
        occluded = node.findtext("occluded")
        if occluded:
            shape.occluded = _flag(occluded, file, node.find("occluded") or node) == "true"
        pose = node.findtext("pose")
        if pose and pose != "Unspecified":
            self.set_attr(shape, label, "pose", pose, AttributeType.TEXT)
        attrs = node.find("attributes")
        for attr in attrs.findall("attribute") if attrs is not None else []:
            key = attr.findtext("name")
            if not key:
                raise FormatError(file, attr.where(), "an <attribute> has no <name>")
            value = attr.findtext("value")
            if key == "rotation":
                shape.rotation = parse_number(value, file, attr.where(), limit=1e6) % 360
            elif key == "occluded":
                shape.occluded = value.lower() == "true"
            else:
                self.set_attr(shape, label, key, value, AttributeType.TEXT)
        if box is not None:
            x1, y1, x2, y2 = (parse_number(box.findtext(k), file, box.where() + f" <{k}>")
                              for k in ("xmin", "ymin", "xmax", "ymax"))
            if x2 < x1 or y2 < y1:
                raise FormatError(file, box.where(), f"the box is inverted ({x1}, {y1}, {x2}, {y2})")
            shape.points = [x1, y1, x2, y2]
            self.ann.shapes.append(shape)
        return self.groups

    def set_attr(self, shape: Shape, label: Label, key: str, value: str, kind: AttributeType) -> None:
        spec = label.attribute(key)
        if spec is None:
            spec = self.registry.add_attribute(label, key)
            if kind is AttributeType.CHECKBOX:
                spec.input_type, spec.values, spec.default_value = kind, ["false"], "false"
        shape.attributes[spec.id] = value

    def segmentation(self, item: str, frame: int, groups: list[int]) -> None:
        f = self.frames[frame]
        cls_file = self.root / "SegmentationClass" / f"{item}.png"
        obj_file = self.root / "SegmentationObject" / f"{item}.png"
        classes = class_map(cls_file, self.colors, f.width, f.height) if is_file(cls_file) else None
        objects = instance_map(obj_file, f.width, f.height) if is_file(obj_file) else None
        if classes is None and objects is None:
            return
        check_pair(classes, objects, cls_file, obj_file)
        shape_of = objects if objects is not None else classes
        if f.width <= 0 or f.height <= 0:
            f.height, f.width = shape_of.shape
        for cls, number, bitmap in masks(classes, objects, void=True):
            if cls == 0:
                self.warnings.append(f"{obj_file}: object {number} has no class under it and was skipped")
                continue
            label = self.class_label(cls, cls_file)
            group = groups[number - 1] if 0 < number <= len(groups) else 0
            self.ann.shapes.append(Shape(type=ShapeType.MASK, frame=frame, label_id=label.id,
                                         points=mask_to_points(bitmap), group=group))


def _int(node: Node, key: str, file: Path) -> int:
    text = node.findtext(key)
    if not text:
        return 0
    value = parse_number(text, file, node.where() + f" <{key}>", limit=200_000)
    if value < 0 or not value.is_integer():
        raise FormatError(file, node.where() + f" <{key}>", f"{text!r} is not a size in pixels")
    return int(value)


def _flag(text: str, file: Path, node: Node) -> str:
    value = text.strip().lower()
    if value in ("1", "true", "yes"):
        return "true"
    if value in ("0", "false", "no"):
        return "false"
    raise FormatError(file, node.where(), f"{text!r} is not 0/1")


def read_voc(path: Path, *, create_missing_labels: bool = True, progress: Progress | None = None) -> Dataset:
    """Read a VOC folder (the one holding ``Annotations/`` and/or ``SegmentationClass/``)."""
    root = Path(path)
    if not root.is_dir():
        raise FormatError(root, "", "a Pascal VOC dataset is a folder (with Annotations/ or SegmentationClass/)")
    subsets = _subsets(root)
    items: dict[str, None] = dict.fromkeys(sorted(subsets))
    for folder, suffix in (("Annotations", ".xml"), ("SegmentationClass", ".png"), ("SegmentationObject", ".png")):
        for file in sorted((root / folder).glob(f"*{suffix}")) if (root / folder).is_dir() else []:
            items.setdefault(file.stem, None)
    if not items:
        raise FormatError(root, "", "no VOC annotations: Annotations/*.xml, SegmentationClass/*.png or "
                                    "ImageSets lists are missing")
    reader = _Reader(root, create_missing_labels)
    for done, item in enumerate(items):
        reader.item(item, subsets.get(item, ""))
        if progress is not None:
            progress(done + 1, len(items))
    return Dataset(labels=reader.registry.labels, frames=reader.frames, annotations=reader.ann,
                   meta={"format": "voc", "layout": "images", "warnings": reader.warnings,
                         "image_files": reader.files, "subsets": sorted({f.subset for f in reader.frames})})


# ---------------------------------------------------------------------- writing


def _colormap(dataset: Dataset) -> Colormap:
    palette = voc_palette()
    out: Colormap = [("background", (0, 0, 0))]
    for k, label in enumerate(x for x in dataset.labels if x.type not in (LabelType.TAG, LabelType.SKELETON)):
        color = label.color.lstrip("#")
        rgb = tuple(int(color[i:i + 2], 16) for i in (0, 2, 4)) if len(color) == 6 else palette[k + 1]
        out.append((label.name, (int(rgb[0]), int(rgb[1]), int(rgb[2]))))
    return out


def _xml(frame: DatasetFrame, objects: list[tuple[Shape, list[float]]], labels: LabelIndex,
         segmented: bool) -> str:
    lines = ["<annotation>", "  <folder>VOC</folder>", f"  <filename>{escape(PurePosixPath(frame.name).name)}"
             "</filename>", "  <source><database>Fieldmark</database></source>",
             f"  <size><width>{frame.width}</width><height>{frame.height}</height><depth>3</depth></size>",
             f"  <segmented>{int(segmented)}</segmented>"]
    for shape, box in objects:
        attrs = dict(labels.attributes(shape.attributes))
        flags = {k: int(str(attrs.pop(k, False)).lower() in ("true", "1")) for k in _FLAGS}
        pose = attrs.pop("pose", "Unspecified")
        if shape.rotation % 360:
            attrs["rotation"] = shape.rotation % 360
        lines += ["  <object>", f"    <name>{escape(labels.name(shape.label_id))}</name>",
                  f"    <pose>{escape(str(pose))}</pose>", f"    <truncated>{flags['truncated']}</truncated>",
                  f"    <difficult>{flags['difficult']}</difficult>",
                  f"    <occluded>{int(shape.occluded)}</occluded>",
                  "    <bndbox>" + "".join(f"<{k}>{v:g}</{k}>" for k, v in zip(("xmin", "ymin", "xmax", "ymax"), box))
                  + "</bndbox>"]
        if attrs:
            lines.append("    <attributes>")
            for key, value in attrs.items():
                text = str(value).lower() if isinstance(value, bool) else str(value)
                lines.append(f"      <attribute><name>{escape(key)}</name><value>{escape(text)}</value></attribute>")
            lines.append("    </attributes>")
        lines.append("  </object>")
    lines.append("</annotation>")
    return "\n".join(lines) + "\n"


def write_voc(dataset: Dataset, folder: Path, *, progress: Progress | None = None, **_options: Any) -> str:
    """Write ``dataset`` as Pascal VOC under ``folder``; returns the layout name."""
    labels = LabelIndex(dataset)
    colors = _colormap(dataset)
    class_index = {name: k for k, (name, _c) in enumerate(colors)}
    by_frame = shapes_by_frame(dataset)
    subsets: dict[str, list[str]] = defaultdict(list)
    paths = []
    stems: set[str] = set()
    total = len(dataset.frames)
    for k, frame in enumerate(dataset.frames):
        stem = PurePosixPath(frame.name.replace("\\", "/")).stem
        if stem in stems:
            stem = f"{stem}_{frame.index}"
        stems.add(stem)
        suffix = PurePosixPath(frame.name).suffix or ".jpg"
        paths.append(f"JPEGImages/{stem}{suffix}")
        subsets[frame.subset or "default"].append(stem)
        shapes = [s for s, _t, _k in by_frame.get(frame.index, [])]

        def class_of(shape: Shape) -> int | None:
            return class_index.get(labels.name(shape.label_id))

        boxes = [s for s in shapes if s.type is ShapeType.RECTANGLE]
        objects: list[tuple[Shape, list[float]]] = [(s, list(s.points[:4])) for s in boxes]
        classes, instances, painted = render([s for s in shapes if s.type is not ShapeType.RECTANGLE],
                                             frame.width, frame.height, class_of)
        if painted:
            # object k of the PNG is the k-th <object> of its group's box; masks without a box come after
            box_of = {s.group: n + 1 for n, s in enumerate(boxes) if s.group}
            extra = len(boxes)
            numbers = [0]
            for shape in painted:
                if shape.group in box_of:
                    numbers.append(box_of.pop(shape.group))
                else:
                    extra += 1
                    numbers.append(extra)
            instances = np.asarray(numbers, dtype=np.int32)[instances]
            save_index_png(folder / "SegmentationClass" / f"{stem}.png", classes)
            save_index_png(folder / "SegmentationObject" / f"{stem}.png", instances)
        path = folder / "Annotations" / f"{stem}.xml"  # every image has one (its name and size), objects or not
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_xml(frame, objects, labels, bool(painted)), encoding="utf-8")
        if progress is not None and k % 64 == 0:
            progress(k, total)
    for name, items in subsets.items():
        for kind in ("Main", "Segmentation"):
            target = folder / "ImageSets" / kind / f"{name}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(items) + "\n", encoding="utf-8")
    write_colormap(folder / "labelmap.txt", colors)
    dataset.meta["export_image_paths"] = paths
    return "voc"
