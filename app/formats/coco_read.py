"""Reader for COCO 1.0 instances and person_keypoints files (a .json, a folder, or a .zip).

- Categories become labels by name (files of one dataset are merged); a category with ``keypoints``
  (or whose annotations carry keypoints) becomes a skeleton; categories whose ``supercategory`` is a
  skeleton and that are named like one of its keypoints are that skeleton's keypoints, not labels.
  Skeleton joints are read 1-based (COCO's rule) unless an index 0 occurs.
- An annotation with keypoints becomes one skeleton (v=0 → outside, 1 → occluded, 2 → visible); its
  segmentation (or a bbox that is not just the keypoints' extent) becomes a shape of the label
  ``<skeleton>_instance`` grouped with the skeleton, so bbox, area and segmentation survive a round trip.
- Datumaro's full COCO export is read: ``instances_*``, ``person_keypoints_*`` and ``labels_*`` (image
  labels → tags); ``captions_*``, ``image_info_*``, ``panoptic_*`` and ``stuff_*`` are skipped with a notice.
  ``<kind>_<subset>.json`` gives the frames' subset.
- Other annotations: polygon parts become polygons (grouped when several), RLE (list or compressed)
  becomes a CVAT mask, an empty segmentation a rectangle.
- ``attributes`` map by name (booleans → checkbox, numbers → number with the seen min/max);
  ``occluded``, ``rotation`` and ``score`` go to the shape; ``track_id`` + ``keyframe`` rebuild tracks
  (CVAT's convention).
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from typing import Any

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import AttributeType, LabelType, ShapeType
from app.domain.labels import AttributeSpec, Label
from app.domain.mask import mask_to_points
from app.formats.coco_common import load_json, rle_to_bitmap, value_from_json
from app.formats.coco_tracks import TrackCollector
from app.formats.dataset import UNLABELED, Dataset, DatasetFrame, LabelRegistry, Progress
from app.formats.errors import FormatError
from app.formats.validate import check_coco_document

_NAME = re.compile(r"^(instances|person_keypoints|labels|captions|image_info|panoptic|stuff)_(.+)\.json$",
                   re.IGNORECASE)
_READ = {"instances", "person_keypoints", "labels"}  # Datumaro's other COCO tasks hold no shapes we keep
_SPECIAL = {"occluded", "rotation", "track_id", "keyframe", "is_crowd", "iscrowd", "score", "z_order"}


def _sources(path: Path, notices: list[str]) -> list[tuple[str, bytes]]:
    """The JSON files to read; Datumaro's captions/image_info/panoptic/stuff files are skipped with a notice."""
    path = Path(path)
    if not path.exists():
        raise FormatError(path, "", "the file does not exist")
    if path.is_dir():
        files = sorted((path / "annotations").glob("*.json")) or sorted(path.glob("*.json"))
        if not files:
            raise FormatError(path, "", "no COCO .json file (looked in annotations/ and the folder itself)")
        found = [(str(f), f.name) for f in files]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".json"))
        if not names:
            raise FormatError(path, "", "the archive has no .json file")
        found = [(f"{path}!{n}", n) for n in names]
    else:
        found = [(str(path), path.name)]
    kept = [(file, name) for file, name in found if _kind(name) in _READ]
    skipped = [Path(name).name for file, name in found if _kind(name) not in _READ]
    if skipped:
        notice = (f"skipped {', '.join(skipped)}: captions, image_info, panoptic and stuff files hold no "
                  "instances, keypoints or image labels")
        if not kept:
            raise FormatError(path, "", notice.replace("skipped", "nothing to read in", 1))
        notices.append(notice)
    if zipfile.is_zipfile(path) and not path.is_dir():
        with zipfile.ZipFile(path) as archive:
            return [(file, archive.read(name)) for file, name in kept]
    return [(file, Path(file).read_bytes()) for file, _name in kept]


def _kind(name: str) -> str:
    match = _NAME.match(Path(name).name)
    return match.group(1).lower() if match else "instances"


def _subset(file: str) -> str:
    match = _NAME.match(Path(file.split("!")[-1]).name)
    return match.group(2) if match else ""


def _number_spec(values: list[Any]) -> AttributeSpec | None:
    """A number attribute when every value the file gives is a number: CVAT's min, max, step."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]
    if not numbers or len(numbers) != len(values):
        return None
    step = "1" if all(float(v).is_integer() for v in numbers) else "0.01"
    return AttributeSpec(name="", input_type=AttributeType.NUMBER,
                         values=[value_from_json(min(numbers)), value_from_json(max(numbers)), step])


def _require(obj: Any, key: str, file: str, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise FormatError(file, where, f"'{key}' is missing")
    return obj[key]


def _numbers(values: Any, file: str, where: str, what: str) -> list[float]:
    if not isinstance(values, list):
        raise FormatError(file, where, f"bad coordinates: {what} must be a list of numbers")
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise FormatError(file, where, f"bad coordinates: {what} holds a value that is not a number") from None
    if not all(map(math.isfinite, out)):
        raise FormatError(file, where, f"bad coordinates: {what} holds a value that is not finite")
    return out


class _CocoReader:
    def __init__(self, create: bool) -> None:
        self.create = create
        self.docs: list[tuple[str, str, dict[str, Any]]] = []
        self.registry = LabelRegistry()
        self.frames: list[DatasetFrame] = []
        self.frame_key: dict[tuple[str, str], int] = {}
        self.ann = Annotations()
        self.tracks = TrackCollector()
        self.groups = 0
        self.people: dict[tuple[str, int, Any], int] = {}  # (subset, frame, annotation id) -> group of a person
        self.warnings: list[str] = []

    # ------------------------------------------------------------------ labels (first pass)

    def build_labels(self) -> None:
        info: dict[str, dict[str, Any]] = {}
        for file, _subset_name, doc in self.docs:
            cats = {}
            for k, cat in enumerate(doc.get("categories") or []):
                name = str(_require(cat, "name", file, f"categories[{k}]"))
                cats[_require(cat, "id", file, f"categories[{k}]")] = name
                entry = info.setdefault(name, {"keypoints": [], "skeleton": [], "super": "", "max_kp": 0,
                                               "attrs": {}})
                if cat.get("keypoints"):
                    entry["keypoints"] = [str(n) for n in cat["keypoints"]]
                if cat.get("skeleton"):
                    entry["skeleton"] = cat["skeleton"]
                entry["super"] = entry["super"] or str(cat.get("supercategory") or "")
            for ann in doc.get("annotations") or []:
                name = cats.get(ann.get("category_id")) if isinstance(ann, dict) else None
                if name is None:
                    continue
                if ann.get("keypoints"):
                    info[name]["max_kp"] = max(info[name]["max_kp"], len(ann["keypoints"]) // 3)
                attributes = ann.get("attributes")
                for key, value in (attributes.items() if isinstance(attributes, dict) else ()):
                    if key not in _SPECIAL:
                        info[name]["attrs"].setdefault(key, []).append(value)
        skeletons = {n for n, e in info.items() if e["keypoints"] or e["max_kp"]}
        for name, entry in info.items():
            parent = info.get(entry["super"])
            if entry["super"] in skeletons and parent is not None and name in parent["keypoints"]:
                continue  # a keypoint of a skeleton, listed as a category by CVAT's instances export
            self.registry.add(self._label(name, entry, name in skeletons))

    @staticmethod
    def _label(name: str, entry: dict[str, Any], skeleton: bool) -> Label:
        attrs = []
        for key, values in entry["attrs"].items():
            spec = _number_spec(values)
            if spec is not None:
                spec.name = key
            elif all(isinstance(v, bool) for v in values):
                spec = AttributeSpec(name=key, input_type=AttributeType.CHECKBOX, values=["false"])
            else:
                spec = AttributeSpec(name=key, input_type=AttributeType.TEXT)
            attrs.append(spec)
        if not skeleton:
            return Label(name=name, attributes=attrs)
        names = list(entry["keypoints"])
        names += [f"{name}_point_{i + 1}" for i in range(len(names), entry["max_kp"])]
        pairs = [(int(a), int(b)) for a, b in entry["skeleton"]
                 if isinstance(a, int | float) and isinstance(b, int | float)]
        base = 0 if any(a == 0 or b == 0 for a, b in pairs) else 1
        edges = [(a - base, b - base) for a, b in pairs if 0 <= a - base < len(names) and 0 <= b - base < len(names)]
        return Label(name=name, type=LabelType.SKELETON, attributes=attrs, edges=edges,
                     sublabels=[Label(name=n, type=LabelType.POINTS) for n in names])

    # ------------------------------------------------------------------ annotations (second pass)

    def read_doc(self, file: str, subset: str, doc: dict[str, Any]) -> None:
        cats: dict[Any, Label] = {}
        for cat in doc.get("categories") or []:
            label = self.registry.get(str(cat["name"]))
            if label is not None:
                cats[cat["id"]] = label
        images: dict[Any, int] = {}
        for k, image in enumerate(_require(doc, "images", file, "")):
            where = f"images[{k}]"
            name = str(_require(image, "file_name", file, where))
            key = (subset, name)
            if key not in self.frame_key:
                self.frame_key[key] = len(self.frames)
                self.frames.append(DatasetFrame(index=len(self.frames), name=name, width=int(image.get("width") or 0),
                                                height=int(image.get("height") or 0), subset=subset,
                                                number=image.get("id") if isinstance(image.get("id"), int) else None))
            images[_require(image, "id", file, where)] = self.frame_key[key]
        tags = _kind(file.split("!")[-1]) == "labels"
        for k, ann in enumerate(_require(doc, "annotations", file, "")):
            where = f"annotations[{k}] (id {ann.get('id') if isinstance(ann, dict) else '?'})"
            if tags:
                self._tag(ann, file, where, cats, images)
            else:
                self._annotation(ann, file, where, cats, images)

    def _tag(self, ann: Any, file: str, where: str, cats: dict[Any, Label], images: dict[Any, int]) -> None:
        """An image label (Datumaro's ``labels_<subset>.json``): a tag."""
        image_id = _require(ann, "image_id", file, where)
        if image_id not in images:
            raise FormatError(file, where, f"refers to image id {image_id!r}, which 'images' does not list")
        label = self._label_of(ann, cats, file, where)
        self.ann.tags.append(Tag(frame=images[image_id], label_id=label.id,
                                 attributes=self._attributes(label, ann.get("attributes") or {})))

    def _label_of(self, ann: dict[str, Any], cats: dict[Any, Label], file: str, where: str) -> Label:
        cat = ann.get("category_id")
        label = cats.get(cat)
        if label is not None:
            return label
        if not self.create:
            reason = "has no category" if not cat else f"uses category id {cat}, which 'categories' does not list"
            raise FormatError(file, where, f"{reason} (import with 'create missing labels' to add it)")
        name = UNLABELED if not cat else f"category_{cat}"
        label = self.registry.get(name) or self.registry.create(name)
        cats[cat] = label
        return label

    def _annotation(self, ann: Any, file: str, where: str, cats: dict[Any, Label], images: dict[Any, int]) -> None:
        image_id = _require(ann, "image_id", file, where)
        if image_id not in images:
            raise FormatError(file, where, f"refers to image id {image_id!r}, which 'images' does not list")
        frame = images[image_id]
        label = self._label_of(ann, cats, file, where)
        attrs = ann.get("attributes") or {}
        common = {"occluded": bool(attrs.get("occluded", False)), "score": float(ann.get("score", 1.0)),
                  "attributes": self._attributes(label, attrs)}
        person_key = (self.frames[frame].subset, frame, ann.get("id"))
        person = False
        if ann.get("keypoints"):
            skeleton = self._skeleton(ann, label, frame, file, where, common)
            shapes = [skeleton] + self._person(ann, skeleton, label, frame, file, where)
            if person_key in self.people:  # its instance was read from instances_<subset>.json already
                shapes = shapes[:1]
                shapes[0].group = self.people[person_key]
                self.ann.shapes.append(shapes[0])
                return
        elif label.type is LabelType.SKELETON:  # a person's instance in a full export: its keypoints' partner
            if person_key in self.people:
                return
            label = self.registry.get(f"{label.name}_instance") or self.registry.create(f"{label.name}_instance")
            common["attributes"] = {}
            shapes = self._instance(ann, label, frame, file, where, common)
            person = True
        else:
            shapes = self._instance(ann, label, frame, file, where, common)
        if len(shapes) > 1 or (person and shapes):
            self.groups += 1
            for shape in shapes:
                shape.group = self.groups
            if ann.get("id") is not None:
                self.people.setdefault(person_key, self.groups)
        if "track_id" in attrs and len(shapes) == 1 and shapes[0].type is not ShapeType.SKELETON:
            self.tracks.add(attrs["track_id"], bool(attrs.get("keyframe", True)), shapes[0])
        else:
            self.ann.shapes.extend(shapes)

    def _attributes(self, label: Label, attrs: dict[str, Any]) -> dict[int, str]:
        out = {}
        for key, value in attrs.items():
            spec = label.attribute(key)
            if spec is not None and key not in _SPECIAL:
                out[spec.id] = value_from_json(value)
        return out

    def _skeleton(self, ann: dict[str, Any], label: Label, frame: int, file: str, where: str,
                  common: dict[str, Any]) -> Shape:
        values = _numbers(ann["keypoints"], file, where, "keypoints")
        if len(values) % 3 or label.type is not LabelType.SKELETON:
            raise FormatError(file, where, "keypoints must be x, y, v triples of a skeleton category")
        elements = []
        for i, sub in enumerate(label.sublabels):
            x, y, v = values[3 * i: 3 * i + 3] if 3 * i + 2 < len(values) else (0.0, 0.0, 0.0)
            elements.append(Shape(type=ShapeType.POINTS, frame=frame, label_id=sub.id, points=[x, y],
                                  outside=v == 0, occluded=v == 1))
        return Shape(type=ShapeType.SKELETON, frame=frame, label_id=label.id, elements=elements, **common)

    def _person(self, ann: dict[str, Any], skeleton: Shape, label: Label, frame: int, file: str,
                where: str) -> list[Shape]:
        """The person instance of a keypoints annotation: its segmentation, or its bbox when that is not just
        the keypoints' extent, as shapes of the label ``<skeleton>_instance`` grouped with the skeleton (the
        writer puts a grouped instance back as the keypoints entry's bbox/area/segmentation)."""
        seg = ann.get("segmentation")
        if not seg:
            bbox = ann.get("bbox")
            visible = [e.points for e in skeleton.elements if not e.outside]
            if not isinstance(bbox, list) or len(bbox) < 4:
                return []
            if visible:
                xs, ys = [p[0] for p in visible], [p[1] for p in visible]
                extent = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            else:
                extent = [0.0, 0.0, 0.0, 0.0]
            values = _numbers(bbox[:4], file, where, "bbox")
            if all(abs(a - b) < 1e-6 for a, b in zip(values, extent)) or values[2] <= 0 or values[3] <= 0:
                return []
        name = f"{label.name}_instance"
        partner = self.registry.get(name) or self.registry.create(name)
        common = {"occluded": skeleton.occluded, "score": skeleton.score, "attributes": {}}
        return self._instance(ann, partner, frame, file, where, common)

    def _instance(self, ann: dict[str, Any], label: Label, frame: int, file: str, where: str,
                  common: dict[str, Any]) -> list[Shape]:
        seg = ann.get("segmentation")
        f = self.frames[frame]
        if isinstance(seg, dict):
            bitmap = rle_to_bitmap(seg, f.width, f.height, file, where)
            if not bitmap.any():
                self.warnings.append(f"{file}: {where}: an empty mask was skipped")
                return []
            if f.width <= 0:
                f.height, f.width = bitmap.shape
            return [Shape(type=ShapeType.MASK, frame=frame, label_id=label.id, points=mask_to_points(bitmap),
                          **common)]
        if seg:
            if not isinstance(seg, list) or not all(isinstance(p, list) for p in seg):
                raise FormatError(file, where, "segmentation must be a list of polygons or an RLE object")
            shapes = []
            for part in seg:
                points = _numbers(part, file, where, "a segmentation polygon")
                if len(points) < 6 or len(points) % 2:
                    raise FormatError(file, where, "bad coordinates: a polygon needs at least 3 x,y pairs")
                shapes.append(Shape(type=ShapeType.POLYGON, frame=frame, label_id=label.id, points=points,
                                    **{**common, "attributes": dict(common["attributes"])}))
            return shapes
        x, y, w, h = _numbers(_require(ann, "bbox", file, where), file, where, "bbox")[:4]
        if w < 0 or h < 0:
            raise FormatError(file, where, f"bad coordinates: bbox has a negative size ({w} x {h})")
        rotation = float((ann.get("attributes") or {}).get("rotation", 0.0) or 0.0)
        return [Shape(type=ShapeType.RECTANGLE, frame=frame, label_id=label.id, points=[x, y, x + w, y + h],
                      rotation=rotation, **common)]


def read_coco(path: Path, *, create_missing_labels: bool = False, progress: Progress | None = None) -> Dataset:
    """Read COCO instances/person_keypoints JSON (file, folder with annotations/, or zip)."""
    reader = _CocoReader(create_missing_labels)
    sources = _sources(Path(path), reader.warnings)
    for file, raw in sources:
        doc = load_json(raw, file)
        if not isinstance(doc, dict):
            raise FormatError(file, "", "a COCO file is a JSON object with images, annotations and categories")
        check_coco_document(doc, file)
        reader.docs.append((file, _subset(file), doc))
    reader.build_labels()
    for done, (file, subset, doc) in enumerate(reader.docs):
        reader.read_doc(file, subset, doc)
        if progress is not None:
            progress(done + 1, len(reader.docs))
    reader.ann.tracks.extend(reader.tracks.tracks(len(reader.frames)))
    meta = {"format": "coco", "layout": "images", "warnings": reader.warnings,
            "subsets": sorted({f.subset for f in reader.frames})}
    return Dataset(labels=reader.registry.labels, frames=reader.frames, annotations=reader.ann, meta=meta)
