"""Writer for COCO 1.0: ``annotations/instances_<subset>.json`` and ``person_keypoints_<subset>.json``.

Follows CVAT's COCO export: categories for every label incl. skeleton keypoints (``supercategory`` =
skeleton), ids ``1 + position``; rectangles, polygons, masks and ellipses become instances, a non-zero
group becomes one instance (the largest shape gives label and attributes, the bbox is the union);
a group with a mask or an ellipse is written as an uncompressed RLE (``iscrowd: 1``), otherwise as
polygons. Attributes: the label's (checkbox → bool, number → number) plus ``occluded``, ``rotation``
and, for shapes from tracks, ``track_id`` and ``keyframe``. Skeletons go to the keypoints file; an
instance grouped with a skeleton is that person's bbox/area/segmentation there (and is not repeated as
an instance when the keypoints file is written). Frames go to ``<kind>_<subset>.json`` by subset.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import area, shape_to_bitmap
from app.domain.interpolation import track_to_shapes
from app.domain.labels import Label
from app.domain.mask import mask_box
from app.formats.coco_common import bitmap_to_rle, polygons_area, value_to_json
from app.formats.dataset import Dataset, DatasetFrame, Progress

INSTANCE_TYPES = (ShapeType.RECTANGLE, ShapeType.POLYGON, ShapeType.MASK, ShapeType.ELLIPSE)


def _box(shape: Shape) -> tuple[float, float, float, float]:
    """COCO's box: the unrotated extent (rotation goes to the attributes, as in CVAT's export)."""
    p = shape.points
    if shape.type is ShapeType.RECTANGLE:
        return p[0], p[1], p[2], p[3]
    if shape.type is ShapeType.MASK:
        x1, y1, x2, y2 = mask_box(p)
        return x1, y1, x2 + 1, y2 + 1
    if shape.type is ShapeType.ELLIPSE:
        rx, ry = abs(p[2] - p[0]), abs(p[1] - p[3])
        return p[0] - rx, p[1] - ry, p[0] + rx, p[1] + ry
    xs, ys = p[0::2], p[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _raster(shapes: list[Shape], frame: DatasetFrame) -> np.ndarray:
    """The union of the group's masks, polygons and ellipses (rectangles add no pixels, as in CVAT's export)."""
    canvas = np.zeros((frame.height, frame.width), dtype=bool)
    for s in shapes:
        if s.type in (ShapeType.MASK, ShapeType.POLYGON, ShapeType.ELLIPSE):
            canvas |= shape_to_bitmap(s.type, s.points, frame.width, frame.height, s.rotation)
    return canvas


class _Writer:
    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self.flat: list[tuple[Label, str]] = []
        for label in dataset.labels:
            self.flat.append((label, ""))
            self.flat.extend((sub, label.name) for sub in label.sublabels)
        self.cat_id = {label.id: k + 1 for k, (label, _parent) in enumerate(self.flat)}
        self.specs = {spec.id: spec for label, _ in self.flat for spec in label.attributes}
        self.labels = {label.id: label for label, _ in self.flat}

    def shapes_by_frame(self) -> dict[int, list[tuple[Shape, dict[str, Any]]]]:
        """Plain shapes and flattened track shapes (with their track_id/keyframe extras)."""
        out: dict[int, list[tuple[Shape, dict[str, Any]]]] = defaultdict(list)
        for shape in self.ds.annotations.shapes:
            out[shape.frame].append((shape, {}))
        ends = self.ds.task_ends()
        for track_id, track in enumerate(self.ds.annotations.tracks):
            keys = {s.frame for s in track.shapes}
            for shape in track_to_shapes(track, range(track.frame, ends[track.frame] + 1)):
                out[shape.frame].append((shape, {"track_id": track_id, "keyframe": shape.frame in keys}))
        return out

    def attributes(self, shape: Shape, extra: dict[str, Any]) -> dict[str, Any]:
        out = {self.specs[k].name: value_to_json(v, self.specs[k].input_type)
               for k, v in shape.attributes.items() if k in self.specs}
        out["occluded"] = bool(shape.occluded)
        if shape.type in (ShapeType.RECTANGLE, ShapeType.ELLIPSE):
            out["rotation"] = float(shape.rotation)
        out.update(extra)
        return out

    def instance(self, group: list[tuple[Shape, dict[str, Any]]], frame: DatasetFrame) -> dict[str, Any]:
        leader, extra = group[0] if len(group) == 1 else max(group, key=lambda item: area(item[0]))
        shapes = [s for s, _ in group]
        if len(shapes) == 1:
            x1, y1, x2, y2 = _box(shapes[0])
        else:
            boxes = [_box(s) for s in shapes]
            x1, y1 = min(b[0] for b in boxes), min(b[1] for b in boxes)
            x2, y2 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        entry: dict[str, Any] = {"category_id": self.cat_id[leader.label_id], "iscrowd": 0,
                                 "bbox": [x1, y1, x2 - x1, y2 - y1], "attributes": self.attributes(leader, extra)}
        if any(s.type in (ShapeType.MASK, ShapeType.ELLIPSE) for s in shapes):
            bitmap = _raster(shapes, frame)
            entry.update(iscrowd=1, segmentation=bitmap_to_rle(bitmap), area=float(bitmap.sum()))
        elif any(s.type is ShapeType.POLYGON for s in shapes):
            polygons = [list(map(float, s.points)) for s in shapes if s.type is ShapeType.POLYGON]
            entry.update(segmentation=polygons, area=polygons_area(polygons, frame.width, frame.height))
        else:
            entry.update(segmentation=[], area=(x2 - x1) * (y2 - y1))
        if leader.score != 1.0:
            entry["score"] = leader.score
        return entry

    def skeleton(self, shape: Shape, extra: dict[str, Any], partner: dict[str, Any] | None) -> dict[str, Any]:
        label = self.labels[shape.label_id]
        by_label = {e.label_id: e for e in shape.elements}
        keypoints: list[float] = []
        visible = []
        for sub in label.sublabels:
            e = by_label.get(sub.id)
            if e is None or e.outside:
                keypoints += [0, 0, 0]
                continue
            keypoints += [float(e.points[0]), float(e.points[1]), 1 if e.occluded else 2]
            visible.append((e.points[0], e.points[1]))
        entry: dict[str, Any] = {"category_id": self.cat_id[shape.label_id], "iscrowd": 0, "segmentation": [],
                                 "keypoints": keypoints, "num_keypoints": len(visible),
                                 "attributes": self.attributes(shape, extra)}
        if partner is not None:
            entry.update({k: partner[k] for k in ("segmentation", "bbox", "area", "iscrowd")})
        elif visible:
            xs, ys = [p[0] for p in visible], [p[1] for p in visible]
            w, h = max(xs) - min(xs), max(ys) - min(ys)
            entry.update(bbox=[min(xs), min(ys), w, h], area=w * h)
        else:
            entry.update(bbox=[0, 0, 0, 0], area=0)
        return entry


def _document(images: list[dict[str, Any]], categories: list[dict[str, Any]],
              annotations: list[dict[str, Any]]) -> dict:
    return {"licenses": [{"name": "", "id": 0, "url": ""}],
            "info": {"contributor": "", "date_created": "", "description": "", "url": "", "version": "", "year": ""},
            "categories": categories, "images": images, "annotations": annotations}


def write_coco(dataset: Dataset, folder: Path, *, kind: str = "auto", progress: Progress | None = None) -> str:
    """Write COCO files into ``folder``; ``kind``: auto (keypoints file when there are skeletons),
    instances, keypoints. Sets ``meta['export_image_paths']`` (``images/<subset>/<name>``)."""
    w = _Writer(dataset)
    by_frame = w.shapes_by_frame()
    subsets: dict[str, list[DatasetFrame]] = defaultdict(list)
    for frame in dataset.frames:
        subsets[frame.subset or "default"].append(frame)
    has_skeletons = any(s.type is ShapeType.SKELETON for items in by_frame.values() for s, _ in items)
    write_instances = kind in ("auto", "instances")
    write_keypoints = kind == "keypoints" or (kind == "auto" and has_skeletons)
    (folder / "annotations").mkdir(parents=True, exist_ok=True)
    done = 0
    for subset, frames in subsets.items():
        images, instances, keypoints = [], [], []
        for frame in frames:
            images.append({"id": frame.index + 1, "width": frame.width, "height": frame.height, "file_name": frame.name,
                           "license": 0, "flickr_url": "", "coco_url": "", "date_captured": 0})
            groups: dict[int, list[tuple[Shape, dict[str, Any]]]] = defaultdict(list)
            singles = []
            for item in by_frame.get(frame.index, []):
                if item[0].type in INSTANCE_TYPES:
                    (groups[item[0].group] if item[0].group else singles).append(item)
            partners = {}
            people = {s.group for s, _ in by_frame.get(frame.index, []) if s.type is ShapeType.SKELETON and s.group}
            for group_id, items in groups.items():
                entry = w.instance(items, frame)
                partners[group_id] = entry
                if group_id not in people or not write_keypoints:  # else: the keypoints entry's own bbox/segmentation
                    instances.append({**entry, "image_id": frame.index + 1})
            for item in singles:
                instances.append({**w.instance([item], frame), "image_id": frame.index + 1})
            for shape, extra in by_frame.get(frame.index, []):
                if shape.type is ShapeType.SKELETON:
                    entry = w.skeleton(shape, extra, partners.get(shape.group) if shape.group else None)
                    keypoints.append({**entry, "image_id": frame.index + 1})
            done += 1
            if progress is not None and done % 256 == 0:
                progress(done, len(dataset.frames))
        for k, entry in enumerate(instances):
            entry["id"] = k + 1
        for k, entry in enumerate(keypoints):
            entry["id"] = k + 1
        if write_instances:
            cats = [{"id": k + 1, "name": label.name, "supercategory": parent}
                    for k, (label, parent) in enumerate(w.flat)]
            _dump(folder / "annotations" / f"instances_{subset}.json", _document(images, cats, instances))
        if write_keypoints:
            cats = [{"id": w.cat_id[label.id], "name": label.name, "supercategory": "",
                     "keypoints": [s.name for s in label.sublabels],
                     "skeleton": [[a + 1, b + 1] for a, b in label.edges]} for label in dataset.labels]
            _dump(folder / "annotations" / f"person_keypoints_{subset}.json", _document(images, cats, keypoints))
    dataset.meta["export_image_paths"] = [f"images/{f.subset or 'default'}/{f.name}" for f in dataset.frames]
    return "coco"


def _dump(path: Path, doc: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(doc, separators=(",", ":")))  # dumps uses the C encoder; dump streams in Python
