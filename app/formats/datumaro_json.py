"""Datumaro JSON (``dm_format_version`` 1.0): ``annotations/<subset>.json`` + ``images/<subset>/<path>``.

Written by the ``datumaro`` package and by CVAT's "Datumaro 1.0" export. Read and written natively (the
package's reader raises its own errors and loads the whole dataset model; ours checks each value and
names the file and JSON path).

- ``categories.label.labels`` → labels (``parent`` names a skeleton's keypoints; label and category
  ``attributes`` become text attributes unless values show booleans/numbers); ``categories.points``
  → skeleton keypoint names and joints (1-based, as COCO; 0-based when an index 0 occurs).
- Annotations: ``bbox`` [x, y, w, h] → rectangle (``rotation`` attribute → rotation), ``polygon``,
  ``polyline``, ``points`` (``visibility`` 0 → outside for a skeleton element), ``ellipse`` (box corners),
  ``mask`` (COCO RLE over the image, compressed or not) → CVAT mask, ``label`` → tag, ``skeleton`` with
  ``elements``. ``occluded``, ``score`` and ``z_order`` go to the shape; ``track_id`` + ``keyframe``
  rebuild tracks (CVAT's convention). ``caption``, ``cuboid_3d`` and others are skipped with a warning.
- Frames: ``image.path`` (else the item id), ``image.size`` = [height, width], ``attr.frame``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import Label
from app.domain.mask import mask_to_points, points_to_mask
from app.formats.coco_common import rle_to_bitmap
from app.formats.coco_tracks import TrackCollector
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
from app.media.images import IMAGE_SUFFIXES

_SPECIAL = {"occluded", "rotation", "track_id", "keyframe", "outside", "score"}
_SHAPES = {"bbox", "polygon", "polyline", "points", "ellipse", "mask", "skeleton", "label"}


def _files(path: Path) -> tuple[Path, list[Path]]:
    if not path.exists():
        raise FormatError(path, "", "the file does not exist")
    if path.is_file():
        root = path.parent.parent if path.parent.name == "annotations" else path.parent
        return root, [path]
    files = sorted((path / "annotations").glob("*.json")) if (path / "annotations").is_dir() else []
    if not files:
        raise FormatError(path, "", "no Datumaro annotations/<subset>.json file")
    return path, files


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.registry = LabelRegistry()
        self.frames: list[DatasetFrame] = []
        self.files: list[str | None] = []
        self.ann = Annotations()
        self.tracks = TrackCollector()
        self.groups: dict[tuple[int, int], int] = {}
        self.skipped: dict[str, int] = defaultdict(int)
        self.warnings: list[str] = []

    def categories(self, doc: dict[str, Any], file: Path) -> list[Label | None]:
        """This file's labels by position (a keypoint's position maps to its sublabel)."""
        cats = obj(doc.get("categories") or {}, file, "categories")
        label_cat = obj(cats.get("label") or {}, file, "categories.label")
        raw = seq(label_cat.get("labels") or [], file, "categories.label.labels")
        common = [text(a, file, "categories.label.attributes") for a in seq(label_cat.get("attributes") or [],
                                                                             file, "categories.label.attributes")]
        entries = []
        for k, item in enumerate(raw):
            where = f"categories.label.labels[{k}]"
            item = obj(item, file, where)
            name = text(item.get("name"), file, f"{where}.name")
            if not name:
                raise FormatError(file, f"{where}.name", "the label name is empty")
            parent = text(item.get("parent") or "", file, f"{where}.parent")
            attrs = [text(a, file, f"{where}.attributes") for a in seq(item.get("attributes") or [], file,
                                                                       f"{where}.attributes")]
            entries.append((name, parent, attrs))
        skeletons: dict[int, tuple[list[str], list[tuple[int, int]]]] = {}
        points_cat = obj(cats.get("points") or {}, file, "categories.points")
        for k, item in enumerate(seq(points_cat.get("items") or [], file, "categories.points.items")):
            where = f"categories.points.items[{k}]"
            item = obj(item, file, where)
            label_id = integer(item.get("label_id"), file, f"{where}.label_id", lo=0, hi=len(entries) - 1)
            names = [text(n, file, f"{where}.labels") for n in seq(item.get("labels") or [], file, f"{where}.labels")]
            joints = []
            for j, pair in enumerate(seq(item.get("joints") or [], file, f"{where}.joints")):
                pair = seq(pair, file, f"{where}.joints[{j}]")
                if len(pair) != 2:
                    raise FormatError(file, f"{where}.joints[{j}]", "a joint is a pair of keypoint indices")
                joints.append((integer(pair[0], file, f"{where}.joints[{j}]", lo=0, hi=len(names)),
                               integer(pair[1], file, f"{where}.joints[{j}]", lo=0, hi=len(names))))
            skeletons[label_id] = (names, joints)
        children = defaultdict(list)
        for name, parent, _attrs in entries:
            if parent:
                children[parent].append(name)
        by_position: list[Label | None] = []
        for k, (name, parent, attrs) in enumerate(entries):
            if parent:
                by_position.append(None)  # resolved below, once the skeleton exists
                continue
            label = self.registry.get(name)
            if label is None:
                kp_names, joints = skeletons.get(k, ([], []))
                kp_names = kp_names or children.get(name, [])
                if kp_names or name in children:
                    base = 0 if any(0 in j for j in joints) else 1
                    label = Label(name=name, type=LabelType.SKELETON,
                                  sublabels=[Label(name=n, type=LabelType.POINTS) for n in kp_names],
                                  edges=[(a - base, b - base) for a, b in joints
                                         if 0 <= a - base < len(kp_names) and 0 <= b - base < len(kp_names)])
                else:
                    label = Label(name=name)
                self.registry.add(label)
            for attr in [*attrs, *common]:
                if attr not in _SPECIAL and label.attribute(attr) is None:
                    self.registry.add_attribute(label, attr)
            by_position.append(label)
        for k, (name, parent, _attrs) in enumerate(entries):
            if parent:
                skeleton = self.registry.get(parent)
                sub = next((s for s in skeleton.sublabels if s.name == name), None) if skeleton else None
                if sub is None:
                    raise FormatError(file, f"categories.label.labels[{k}].parent",
                                      f"keypoint {name!r} names parent {parent!r}, which is not a skeleton label")
                by_position[k] = sub
        return by_position

    def read(self, file: Path, subset: str) -> None:
        doc = obj(read_json(file), file, "")
        if "items" not in doc:
            raise FormatError(file, "", "not a Datumaro file: 'items' is missing")
        labels = self.categories(doc, file)
        for k, item in enumerate(seq(doc["items"], file, "items")):
            self.item(obj(item, file, f"items[{k}]"), file, f"items[{k}]", subset, labels)

    def item(self, item: dict[str, Any], file: Path, where: str, subset: str, labels: list[Label | None]) -> None:
        item_id = item.get("id")
        if isinstance(item_id, int) and not isinstance(item_id, bool):
            item_id = str(item_id)
        item_id = text(item_id, file, f"{where}.id")
        image = obj(item.get("image") or item.get("media") or {}, file, f"{where}.image")
        name = text(image.get("path") or "", file, f"{where}.image.path").replace("\\", "/") or item_id
        height = width = 0
        if image.get("size") is not None:
            size = seq(image["size"], file, f"{where}.image.size")
            if len(size) != 2:
                raise FormatError(file, f"{where}.image.size", "the size is [height, width]")
            height = image_side(size[0], file, f"{where}.image.size[0]")
            width = image_side(size[1], file, f"{where}.image.size[1]")
        attr = obj(item.get("attr") or {}, file, f"{where}.attr")
        frame_number = integer(attr["frame"], file, f"{where}.attr.frame", lo=0) if "frame" in attr else None
        index = len(self.frames)
        self.frames.append(DatasetFrame(index=index, name=name, width=width, height=height, subset=subset,
                                        number=frame_number))
        self.files.append(self.image_file(name, subset))
        for k, ann in enumerate(seq(item.get("annotations") or [], file, f"{where}.annotations")):
            self.annotation(obj(ann, file, f"{where}.annotations[{k}]"), file, f"{where}.annotations[{k}]", index,
                            labels)

    def image_file(self, name: str, subset: str) -> str | None:
        for base in (self.root / "images" / subset, self.root / "images", self.root / "images" / "default"):
            path = base / name
            if is_file(path):
                return str(path)
            if not PurePosixPath(name).suffix:
                for suffix in IMAGE_SUFFIXES:
                    if is_file(base / f"{name}{suffix}"):
                        return str(base / f"{name}{suffix}")
        return None

    def label_of(self, ann: dict[str, Any], file: Path, where: str, labels: list[Label | None]) -> Label:
        value = ann.get("label_id")
        if value is None:
            return self.registry.get("unlabeled") or self.registry.create("unlabeled")
        position = integer(value, file, f"{where}.label_id", lo=0)
        if position >= len(labels) or labels[position] is None:
            raise FormatError(file, f"{where}.label_id", f"label id {position} is not in categories.label.labels")
        return labels[position]

    def annotation(self, ann: dict[str, Any], file: Path, where: str, frame: int, labels: list[Label | None]) -> None:
        kind = text(ann.get("type"), file, f"{where}.type")
        if kind not in _SHAPES:
            self.skipped[kind] += 1
            return
        label = self.label_of(ann, file, where, labels)
        attrs = obj(ann.get("attributes") or {}, file, f"{where}.attributes")
        values = {}
        for key, value in attrs.items():
            if key not in _SPECIAL:
                spec_id, string = json_attribute(self.registry, label, key, value, file, f"{where}.attributes.{key}")
                values[spec_id] = string
        group = integer(ann.get("group") or 0, file, f"{where}.group", lo=0)
        group = self.groups.setdefault((frame, group), len(self.groups) + 1) if group else 0
        if kind == "label":
            self.ann.tags.append(Tag(frame=frame, label_id=label.id, group=group, attributes=values))
            return
        shape = self.shape(kind, ann, label, file, where, frame, labels)
        shape.attributes, shape.group = values, group
        shape.z_order = integer(ann.get("z_order") or 0, file, f"{where}.z_order")
        shape.occluded = bool(attrs.get("occluded", False))
        if attrs.get("rotation") is not None and shape.type in (ShapeType.RECTANGLE, ShapeType.ELLIPSE):
            shape.rotation = number(attrs["rotation"], file, f"{where}.attributes.rotation", limit=1e6) % 360
        if attrs.get("score") is not None:
            shape.score = number(attrs["score"], file, f"{where}.attributes.score", limit=1e9)
        if attrs.get("track_id") is not None and shape.type is not ShapeType.SKELETON:
            track = integer(attrs["track_id"], file, f"{where}.attributes.track_id")
            if not attrs.get("outside", False):
                self.tracks.add(track, bool(attrs.get("keyframe", True)), shape)
        else:
            self.ann.shapes.append(shape)

    def shape(self, kind: str, ann: dict[str, Any], label: Label, file: Path, where: str, frame: int,
              labels: list[Label | None]) -> Shape:
        if kind == "bbox":
            box = [number(v, file, f"{where}.bbox") for v in seq(ann.get("bbox"), file, f"{where}.bbox")]
            if len(box) != 4 or box[2] < 0 or box[3] < 0:
                raise FormatError(file, f"{where}.bbox", "a bbox is [x, y, width, height] with a size >= 0")
            x, y, w, h = box
            return Shape(type=ShapeType.RECTANGLE, frame=frame, label_id=label.id, points=[x, y, x + w, y + h])
        if kind == "mask":
            f = self.frames[frame]
            rle = obj(ann.get("rle"), file, f"{where}.rle")
            bitmap = rle_to_bitmap(rle, f.width, f.height, file, f"{where}.rle")
            if f.width <= 0:
                f.height, f.width = bitmap.shape
            return Shape(type=ShapeType.MASK, frame=frame, label_id=label.id, points=mask_to_points(bitmap))
        if kind == "skeleton":
            return self.skeleton(ann, label, frame, file, where, labels)
        minimum = {"polygon": 3, "polyline": 2, "points": 1, "ellipse": 2}[kind]
        points = self.points(ann, file, where, minimum, 2 if kind == "ellipse" else None)
        if kind == "ellipse":
            x1, y1, x2, y2 = points
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            return Shape(type=ShapeType.ELLIPSE, frame=frame, label_id=label.id,
                         points=[cx, cy, cx + abs(x2 - x1) / 2, cy - abs(y2 - y1) / 2])
        shape_type = {"polygon": ShapeType.POLYGON, "polyline": ShapeType.POLYLINE, "points": ShapeType.POINTS}[kind]
        return Shape(type=shape_type, frame=frame, label_id=label.id, points=points)

    def skeleton(self, ann: dict[str, Any], label: Label, frame: int, file: Path, where: str,
                 labels: list[Label | None]) -> Shape:
        if label.type is not LabelType.SKELETON:
            raise FormatError(file, where, f"a skeleton uses label {label.name!r}, which has no keypoints")
        by_sub: dict[int, Shape] = {}
        for k, element in enumerate(seq(ann.get("elements") or [], file, f"{where}.elements")):
            at = f"{where}.elements[{k}]"
            element = obj(element, file, at)
            if element.get("label_id") is None:
                if k >= len(label.sublabels):
                    raise FormatError(file, at, "more elements than the skeleton has keypoints")
                sub = label.sublabels[k]
            else:
                position = integer(element["label_id"], file, f"{at}.label_id", lo=0)
                sub = labels[position] if position < len(labels) else None
                if sub is None or all(sub is not s for s in label.sublabels):
                    raise FormatError(file, f"{at}.label_id",
                                      f"label id {position} is not a keypoint of skeleton {label.name!r}")
            points = self.points(element, file, at, 1, 1)
            visibility = seq(element.get("visibility") or [2], file, f"{at}.visibility")
            v = integer(visibility[0], file, f"{at}.visibility[0]", lo=0, hi=2)
            by_sub[sub.id] = Shape(type=ShapeType.POINTS, frame=frame, label_id=sub.id, points=points,
                                   outside=v == 0, occluded=v == 1)
        out = [by_sub.get(sub.id) or Shape(type=ShapeType.POINTS, frame=frame, label_id=sub.id, points=[0.0, 0.0],
                                           outside=True) for sub in label.sublabels]
        return Shape(type=ShapeType.SKELETON, frame=frame, label_id=label.id, elements=out)

    def points(self, ann: dict[str, Any], file: Path, where: str, minimum: int, exact: int | None) -> list[float]:
        raw = seq(ann.get("points"), file, f"{where}.points")
        values = [number(v, file, f"{where}.points[{k}]") for k, v in enumerate(raw)]
        n = len(values) // 2
        if len(values) % 2 or n < minimum or (exact is not None and n != exact):
            need = f"exactly {exact}" if exact is not None else f"at least {minimum}"
            raise FormatError(file, f"{where}.points", f"expected {need} x, y pairs, found {len(values)} numbers")
        return values


def read_datumaro(path: Path, *, progress: Progress | None = None) -> Dataset:
    """Read a Datumaro dataset folder (``annotations/<subset>.json``) or one of its JSON files."""
    root, files = _files(Path(path))
    reader = _Reader(root)
    for done, file in enumerate(files):
        subset = file.stem if file.stem != "default" else ""
        reader.read(file, subset)
        if progress is not None:
            progress(done + 1, len(files))
    reader.ann.tracks.extend(reader.tracks.tracks(len(reader.frames)))
    for kind, count in reader.skipped.items():
        reader.warnings.append(f"{count} {kind!r} annotation(s) have no Fieldmark form and were skipped")
    return Dataset(labels=reader.registry.labels, frames=reader.frames, annotations=reader.ann,
                   meta={"format": "datumaro", "layout": "images", "warnings": reader.warnings,
                         "image_files": reader.files, "subsets": sorted({f.subset for f in reader.frames})})


# ---------------------------------------------------------------------- writing


def _label_entries(dataset: Dataset) -> tuple[list[dict[str, Any]], dict[int, int], list[dict[str, Any]]]:
    """``categories.label.labels``, project label id → position, and ``categories.points.items``."""
    entries: list[dict[str, Any]] = []
    position: dict[int, int] = {}
    points_items = []
    for label in dataset.labels:
        position[label.id] = len(entries)
        entries.append({"name": label.name, "parent": "", "attributes": [a.name for a in label.attributes]})
    for label in dataset.labels:
        if label.sublabels:
            for sub in label.sublabels:
                position[sub.id] = len(entries)
                entries.append({"name": sub.name, "parent": label.name, "attributes": [a.name for a in sub.attributes]})
            points_items.append({"label_id": position[label.id], "labels": [s.name for s in label.sublabels],
                                 "joints": [[a + 1, b + 1] for a, b in label.edges]})
    return entries, position, points_items


def _compressed_rle(bitmap: np.ndarray) -> dict[str, Any]:
    rle = coco_mask.encode(np.asfortranarray(bitmap.astype(np.uint8)))
    return {"counts": rle["counts"].decode("ascii"), "size": [int(v) for v in rle["size"]]}


class _Writer:
    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self.index = LabelIndex(dataset)
        self.entries, self.position, self.points_items = _label_entries(dataset)
        self.next_id = 0

    def common(self, shape: Shape | Tag, kind: str, extra: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        attrs = self.index.attributes(shape.attributes)
        attrs.update(extra)
        return {"id": self.next_id, "type": kind, "attributes": attrs, "group": shape.group,
                "label_id": self.position.get(shape.label_id)}

    def shape(self, shape: Shape, frame: DatasetFrame, track: int | None, keyframe: bool) -> dict[str, Any] | None:
        extra: dict[str, Any] = {"occluded": shape.occluded}
        if track is not None:
            extra.update(track_id=track, keyframe=keyframe)
        if shape.score != 1.0:
            extra["score"] = shape.score
        p = shape.points
        if shape.type is ShapeType.RECTANGLE:
            extra["rotation"] = shape.rotation
            out = self.common(shape, "bbox", extra)
            out["bbox"] = [p[0], p[1], p[2] - p[0], p[3] - p[1]]
        elif shape.type in (ShapeType.POLYGON, ShapeType.POLYLINE, ShapeType.POINTS):
            out = self.common(shape, shape.type.value, extra)
            out["points"] = list(p)
            if shape.type is ShapeType.POINTS:
                out["visibility"] = [2] * (len(p) // 2)
        elif shape.type is ShapeType.ELLIPSE:
            rx, ry = abs(p[2] - p[0]), abs(p[1] - p[3])
            extra["rotation"] = shape.rotation
            out = self.common(shape, "ellipse", extra)
            out["points"] = [p[0] - rx, p[1] - ry, p[0] + rx, p[1] + ry]
        elif shape.type is ShapeType.MASK:
            out = self.common(shape, "mask", extra)
            out["rle"] = _compressed_rle(points_to_mask(p, frame.width, frame.height))
        elif shape.type is ShapeType.SKELETON:
            out = self.common(shape, "skeleton", extra)
            out["elements"] = [{"id": 0, "type": "points", "attributes": self.index.attributes(e.attributes),
                                "group": 0, "label_id": self.position.get(e.label_id), "z_order": 0,
                                "points": list(e.points[:2]) or [0.0, 0.0],
                                "visibility": [0 if e.outside else 1 if e.occluded else 2]}
                               for e in shape.elements]
        else:
            return None
        out["z_order"] = shape.z_order
        return out

    def subset_doc(self, frames: list[DatasetFrame], by_frame: dict[int, list[Any]],
                   tags: dict[int, list[Tag]]) -> dict[str, Any]:
        items = []
        for frame in frames:
            anns = []
            for shape, track, keyframe in by_frame.get(frame.index, []):
                item = self.shape(shape, frame, track, keyframe)
                if item is not None:
                    anns.append(item)
            for tag in tags.get(frame.index, []):
                anns.append(self.common(tag, "label", {}))
            name = frame.name.replace("\\", "/").lstrip("/")
            items.append({"id": str(PurePosixPath(name).with_suffix("")), "annotations": anns,
                          "attr": {"frame": frame.number if frame.number is not None else frame.index},
                          "image": {"path": name, "size": [frame.height, frame.width]}})
        colormap = []
        for k, label in enumerate(self.ds.labels):
            color = label.color.lstrip("#")
            if len(color) == 6:
                colormap.append({"label_id": self.position[label.id], "r": int(color[0:2], 16),
                                 "g": int(color[2:4], 16), "b": int(color[4:6], 16)})
            del k
        categories: dict[str, Any] = {"label": {"labels": self.entries, "attributes": ["occluded"]}}
        if colormap:
            categories["mask"] = {"colormap": colormap}
        if self.points_items:
            categories["points"] = {"items": self.points_items}
        return {"dm_format_version": "1.0", "media_type": 2, "infos": {}, "categories": categories, "items": items}


def write_datumaro(dataset: Dataset, folder: Path, *, progress: Progress | None = None, **_options: Any) -> str:
    """Write ``annotations/<subset>.json`` per subset (``default`` for frames without one); images go to
    ``images/<subset>/<name>``. Returns the layout name."""
    writer = _Writer(dataset)
    by_frame = shapes_by_frame(dataset)
    tags: dict[int, list[Tag]] = defaultdict(list)
    for tag in dataset.annotations.tags:
        tags[tag.frame].append(tag)
    subsets: dict[str, list[DatasetFrame]] = defaultdict(list)
    for frame in dataset.frames:
        subsets[frame.subset or "default"].append(frame)
    for done, (subset, frames) in enumerate(subsets.items()):
        write_json(folder / "annotations" / f"{subset}.json", writer.subset_doc(frames, by_frame, tags))
        if progress is not None:
            progress(done + 1, len(subsets))
    dataset.meta["export_image_paths"] = [f"images/{f.subset or 'default'}/{f.name.replace(chr(92), '/').lstrip('/')}"
                                          for f in dataset.frames]
    return "datumaro"
