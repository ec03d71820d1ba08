"""Reader for CVAT for images 1.1 and CVAT for video 1.1 XML (task, job and project exports).

Decisions (see docs/formats.md):

- ``source`` keeps the file's value (default ``manual``); CVAT's own importer marks everything ``file``.
- Video layout keeps keyframes only (interpolated frames are recomputed); immutable attributes become
  track attributes, mutable ones stay per keyframe. A skeleton element keeps its state on frames where
  the element or its skeleton is a keyframe. Mask tracks stay tracks (CVAT turns them into one shape).
- Labels a shape uses but ``<meta>`` does not declare are an error, unless ``create_missing_labels``:
  then they are created (type ``any``, or ``tag`` for tags); unlabelled shapes (``label=""``) get the
  label :data:`app.formats.dataset.UNLABELED`; undeclared attributes are created as text attributes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import Label
from app.formats import cvat_xml_shapes as xs
from app.formats.cvat_xml_meta import read_meta
from app.formats.dataset import UNLABELED, Dataset, DatasetFrame, LabelRegistry, Progress, fresh_label
from app.formats.errors import FormatError
from app.formats.validate import frame_range
from app.formats.xmltree import Node, parse_file, parse_stream


def load_root(path: Path) -> tuple[Path, Node]:
    """The ``<annotations>`` root of an .xml file, a folder with annotations.xml, or a .zip export."""
    path = Path(path)
    if path.is_dir():
        candidates = [path / "annotations.xml"] + sorted(path.glob("*.xml"))
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise FormatError(path, "", "the folder has no annotations.xml")
        path = found
    if not path.exists():
        raise FormatError(path, "", "the file does not exist")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".xml")]
            if not names:
                raise FormatError(path, "", "the archive has no .xml file")
            name = "annotations.xml" if "annotations.xml" in names else names[0]
            root = parse_stream(io.BytesIO(archive.read(name)), f"{path}!{name}")
            return Path(f"{path}!{name}"), root
    return path, parse_file(path)


def read_cvat_xml(path: Path, *, create_missing_labels: bool = False, label_hints: Sequence[Label] = (),
                  progress: Progress | None = None) -> Dataset:
    """Read a CVAT for images / for video 1.1 file into a :class:`Dataset`.

    ``label_hints`` (e.g. the target project's labels) define labels that the file uses but its
    ``<meta>`` does not declare (files written without meta), before ``create_missing_labels`` applies.

    Raises
    ------
    FormatError
        Naming the file, the element (with its line) and the reason.
    """
    file, root = load_root(Path(path))
    if root.tag != "annotations":
        raise FormatError(file, root.where(), "not a CVAT XML file (the root element must be <annotations>)")
    labels, meta = read_meta(root, file)
    reader = _Reader(file, LabelRegistry(labels), meta, create_missing_labels, progress)
    reader.hints = {label.name: label for label in label_hints}
    return reader.read(root)


class _Reader:
    def __init__(self, file: Path, registry: LabelRegistry, meta: dict[str, Any], create: bool,
                 progress: Progress | None) -> None:
        self.file = file
        self.registry = registry
        self.meta = meta
        self.warnings: list[str] = meta["warnings"]
        self.create = create
        self.progress = progress
        self.frames: list[DatasetFrame] = []
        self.frame_of: dict[int, int] = {}
        self.ann = Annotations()
        self.hints: dict[str, Label] = {}

    # ------------------------------------------------------------------ entry

    def read(self, root: Node) -> Dataset:
        images = root.findall("image")
        tracks = root.findall("track")
        video = not images and (bool(tracks) or self.meta.get("mode") == "interpolation")
        self.meta["layout"] = "video" if video else "images"
        if video:
            self._video_frames(tracks)
        total = len(images) + len(tracks)
        for done, node in enumerate(images):
            self._image(node)
            self._report(done, total)
        for done, node in enumerate(tracks, start=len(images)):
            self._track(node)
            self._report(done, total)
        for node in root.findall("tag"):
            tag = self._tag(node, self._frame_index(node))
            self.ann.tags.append(tag)
        if self.progress is not None:
            self.progress(total, total)
        return Dataset(labels=self.registry.labels, frames=self.frames, annotations=self.ann, meta=self.meta)

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None and done % 256 == 0:
            self.progress(done, total)

    # ------------------------------------------------------------------ frames

    def _video_frames(self, tracks: list[Node]) -> None:
        meta = self.meta
        step = max(int(meta.get("frame_step", 1)), 1)
        start = int(meta.get("start_frame", 0))
        if "stop_frame" in meta:
            stop = int(meta["stop_frame"])
        elif meta.get("size"):
            stop = start + (int(meta["size"]) - 1) * step
        else:
            seen = [xs.integer(s, "frame", self.file) for t in tracks for s in t.children if "frame" in s.attrib]
            stop = max(seen, default=start)
        width, height = meta.get("original_size", (0, 0))
        frame_range(start, stop, step, width, height, self.file)
        for index, number in enumerate(range(start, stop + 1, step)):
            self.frames.append(DatasetFrame(index=index, name=f"frame_{number:06d}", width=width, height=height,
                                            number=number))
            self.frame_of[number] = index
        meta.setdefault("start_frame", start)
        meta.setdefault("stop_frame", stop)

    def _frame_index(self, node: Node) -> int:
        if "frame" not in node.attrib:
            raise FormatError(self.file, node.where(), "attribute 'frame' is missing")
        number = xs.integer(node, "frame", self.file)
        index = self.frame_of.get(number)
        if index is None:
            raise FormatError(self.file, node.where(),
                              f"frame {number} is not a frame of this file's range "
                              f"({self.meta.get('start_frame', 0)}..{self.meta.get('stop_frame', '?')}, "
                              f"step {self.meta.get('frame_step', 1)})")
        return index

    def _image(self, node: Node) -> None:
        name = node.attrib.get("name")
        if not name:
            raise FormatError(self.file, node.where(), "an <image> has no name")
        width, height = xs.integer(node, "width", self.file, -1), xs.integer(node, "height", self.file, -1)
        if width <= 0 or height <= 0:
            raise FormatError(self.file, node.where(), f"image {name!r} needs a positive width and height")
        index = len(self.frames)
        number = xs.integer(node, "id", self.file, index)
        self.frames.append(DatasetFrame(index=index, name=name, width=width, height=height,
                                        subset=node.attrib.get("subset", ""), number=number))
        self.frame_of.setdefault(number, index)
        for child in node.children:
            if child.tag == "tag":
                self.ann.tags.append(self._tag(child, index))
            elif child.tag in xs.SHAPE_TAGS:
                self.ann.shapes.append(self._shape(child, index))
            else:
                self.warnings.append(f"{child.where()}: unknown element ignored")

    # ------------------------------------------------------------------ labels and attributes

    def _label(self, node: Node, kind: LabelType) -> Label:
        name = node.attrib.get("label", "")
        label = self.registry.get(name or UNLABELED) if (name or self.create) else None
        if label is not None:
            return label
        if name in self.hints:
            return self.registry.add(fresh_label(self.hints[name]))
        if not self.create:
            reason = "has no label" if not name else f"uses label {name!r}, which <meta> does not declare"
            raise FormatError(self.file, node.where(),
                              f"{reason} (import with 'create missing labels' to add it)")
        label_type = LabelType.TAG if kind is LabelType.TAG else LabelType.ANY
        return self.registry.create(name or UNLABELED, label_type)

    def _sublabel(self, node: Node, parent: Label) -> Label:
        name = node.attrib.get("label", "")
        sub = parent.sublabel(name)
        if sub is None:
            raise FormatError(self.file, node.where(), f"skeleton {parent.name!r} has no keypoint named {name!r}")
        return sub

    def _attributes(self, node: Node, label: Label) -> dict[int, str]:
        values: dict[int, str] = {}
        for child in node.children:
            if child.tag != "attribute":
                continue
            name = child.attrib.get("name", "")
            spec = label.attribute(name)
            if spec is None:
                if not self.create:
                    raise FormatError(self.file, child.where(),
                                      f"label {label.name!r} has no attribute {name!r} in <meta>")
                spec = self.registry.add_attribute(label, name)
            values[spec.id] = child.text
        return values

    # ------------------------------------------------------------------ images layout

    def _tag(self, node: Node, frame: int) -> Tag:
        label = self._label(node, LabelType.TAG)
        return Tag(frame=frame, label_id=label.id, group=xs.integer(node, "group_id", self.file, lo=0),
                   source=xs.source(node, "manual", self.warnings), attributes=self._attributes(node, label))

    def _shape(self, node: Node, frame: int) -> Shape:
        shape_type = xs.SHAPE_TAGS[node.tag]
        label = self._label(node, LabelType.ANY)
        shape = Shape(type=shape_type, frame=frame, label_id=label.id,
                      occluded=xs.flag(node, "occluded", self.file), z_order=xs.integer(node, "z_order", self.file),
                      group=xs.integer(node, "group_id", self.file, lo=0),
                      source=xs.source(node, "manual", self.warnings),
                      attributes=self._attributes(node, label))
        if shape_type is ShapeType.SKELETON:
            shape.elements = [self._element(child, label, frame) for child in node.findall("points")]
        else:
            shape.points, shape.rotation = xs.geometry(node, shape_type, self.file)
        return shape

    def _element(self, node: Node, parent: Label, frame: int) -> Shape:
        sub = self._sublabel(node, parent)
        points = xs.point_list(node, self.file, ShapeType.POINTS)
        return Shape(type=ShapeType.POINTS, frame=frame, label_id=sub.id, points=points,
                     occluded=xs.flag(node, "occluded", self.file), outside=xs.flag(node, "outside", self.file),
                     source=xs.source(node, "manual", self.warnings), attributes=self._attributes(node, sub))

    # ------------------------------------------------------------------ video layout

    def _track(self, node: Node) -> None:
        children = [c for c in node.children if c.tag in xs.SHAPE_TAGS]
        if not children:
            self.warnings.append(f"{node.where()}: a track without shapes was skipped")
            return
        label = self._label(node, LabelType.ANY)
        track = Track(label_id=label.id, frame=0, group=xs.integer(node, "group_id", self.file, lo=0),
                      source=xs.source(node, "manual", self.warnings))
        skeleton = children[0].tag == "skeleton"
        element_shapes: dict[int, list[TrackedShape]] = {s.id: [] for s in label.sublabels}
        for child in children:
            if (child.tag == "skeleton") != skeleton:
                raise FormatError(self.file, child.where(), "a track mixes skeleton and other shapes")
            frame = self._frame_index(child)
            keyframe = xs.flag(child, "keyframe", self.file, True)
            state = self._tracked(child, frame, label, keyframe)
            kept_elements = False
            if skeleton:
                for element in child.findall("points"):
                    sub = self._sublabel(element, label)
                    el_key = xs.flag(element, "keyframe", self.file, keyframe)
                    if el_key or keyframe:
                        element_shapes[sub.id].append(self._tracked(element, frame, sub, True))
                        kept_elements = True
                if "outside" not in child.attrib and child.findall("points"):
                    state.outside = all(xs.flag(e, "outside", self.file) for e in child.findall("points"))
            if keyframe or kept_elements:
                state.keyframe = True
                track.shapes.append(state)
        for nested in node.findall("track"):  # Datumaro's non-standard nested element tracks
            sub = self._sublabel(nested, label)
            for element in nested.children:
                if element.tag == "points" and xs.flag(element, "keyframe", self.file, True):
                    element_shapes[sub.id].append(
                        self._tracked(element, self._frame_index(element), sub, True))
        if not track.shapes:
            self.warnings.append(f"{node.where()}: a track without keyframes was skipped")
            return
        self._finish_track(node, track, label, element_shapes)

    def _tracked(self, node: Node, frame: int, label: Label, keyframe: bool) -> TrackedShape:
        shape_type = xs.SHAPE_TAGS[node.tag]
        points: list[float] = []
        rotation = 0.0
        if shape_type is not ShapeType.SKELETON:
            points, rotation = xs.geometry(node, shape_type, self.file)
        return TrackedShape(type=shape_type, frame=frame, points=points, rotation=rotation,
                            occluded=xs.flag(node, "occluded", self.file), outside=xs.flag(node, "outside", self.file),
                            keyframe=keyframe, z_order=xs.integer(node, "z_order", self.file),
                            attributes=self._attributes(node, label))

    def _finish_track(self, node: Node, track: Track, label: Label,
                      element_shapes: dict[int, list[TrackedShape]]) -> None:
        track.shapes.sort(key=lambda s: s.frame)
        frames = [s.frame for s in track.shapes]
        if len(set(frames)) != len(frames):
            raise FormatError(self.file, node.where(), "a track has two shapes on the same frame")
        track.frame = frames[0]
        track.attributes = _split_attributes(track.shapes, label)
        for sub in label.sublabels:
            shapes = sorted(element_shapes.get(sub.id, []), key=lambda s: s.frame)
            if not shapes:
                continue
            element = Track(label_id=sub.id, frame=shapes[0].frame, shapes=shapes, source=track.source)
            element.attributes = _split_attributes(shapes, sub)
            track.elements.append(element)
        self.ann.tracks.append(track)


def _split_attributes(shapes: list[TrackedShape], label: Label) -> dict[int, str]:
    """Move immutable attributes out of the keyframes into the track (values of the first keyframe)."""
    immutable = {a.id for a in label.attributes if not a.mutable}
    track_values: dict[int, str] = {}
    for shape in shapes:
        for spec_id in list(shape.attributes):
            if spec_id in immutable:
                value = shape.attributes.pop(spec_id)
                track_values.setdefault(spec_id, value)
    return track_values
