"""Reader for CVAT for images 1.1 and CVAT for video 1.1 XML (task, job and project exports).

Decisions (see docs/formats.md):

- ``source`` keeps the file's value (default ``manual``); CVAT's own importer marks everything ``file``.
- In a project export in the video layout, a track of an annotation-mode task visible on exactly one
  frame (how the video layout writes a shape: a keyframe, then an outside keyframe on the next frame) is
  read back as that shape, so images tasks come back as they were.
- Video layout keeps keyframes only (interpolated frames are recomputed); immutable attributes become
  track attributes, mutable ones stay per keyframe. A skeleton element keeps its state on frames where
  the element or its skeleton is a keyframe. Mask tracks stay tracks (CVAT turns them into one shape).
- Labels a shape uses but ``<meta>`` does not declare are an error, unless ``create_missing_labels``:
  then they are created (type ``any``, or ``tag`` for tags); unlabelled shapes (``label=""``) get the
  label :data:`app.formats.dataset.UNLABELED`; undeclared attributes are created as text attributes.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import Label
from app.formats import cvat_xml_shapes as xs
from app.formats.cvat_xml_meta import read_meta
from app.formats.dataset import (
    STREAM_FRAMES,
    UNLABELED,
    Dataset,
    DatasetFrame,
    LabelRegistry,
    Progress,
    Sink,
    fresh_label,
)
from app.formats.errors import FormatError
from app.formats.validate import frame_range
from app.formats.xmltree import Node, OnChild, parse_file, parse_stream


def _sources(path: Path) -> list[tuple[Path, Callable[[OnChild | None], Node], int]]:
    """The XML files of an .xml file, a folder or a .zip export, each with a function that parses it and
    its size in bytes (for progress).

    A folder or archive with ``annotations.xml`` is a CVAT export (that file is read); otherwise every
    ``.xml`` in it is read (Datumaro writes one file per subset: ``train.xml``, ``val.xml``).
    """
    path = Path(path)
    if path.is_dir():
        if (path / "annotations.xml").is_file():
            files = [path / "annotations.xml"]
        else:
            files = sorted(p for p in path.glob("*.xml") if p.is_file())
        if not files:
            raise FormatError(path, "", "the folder has no annotations.xml (and no other .xml file)")
        return [(f, lambda on_child, f=f: parse_file(f, on_child), f.stat().st_size) for f in files]
    if not path.exists():
        raise FormatError(path, "", "the file does not exist")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(".xml"))
            sizes = {n: archive.getinfo(n).file_size for n in names}
        if not names:
            raise FormatError(path, "", "the archive has no .xml file")
        if "annotations.xml" in names:
            names = ["annotations.xml"]

        def member(on_child: OnChild | None, name: str) -> Node:
            with zipfile.ZipFile(path) as archive, archive.open(name) as stream:
                return parse_stream(stream, f"{path}!{name}", on_child)

        return [(Path(f"{path}!{n}"), lambda on_child, n=n: member(on_child, n), sizes[n]) for n in names]
    return [(path, lambda on_child: parse_file(path, on_child), path.stat().st_size)]


def load_roots(path: Path) -> list[tuple[Path, Node]]:
    """The ``<annotations>`` roots of an .xml file, a folder or a .zip export (see :func:`_sources`)."""
    return [(file, parse(None)) for file, parse, _size in _sources(Path(path))]


def load_root(path: Path) -> tuple[Path, Node]:
    """The ``<annotations>`` root of a single-file CVAT export (the first file of a multi-file folder)."""
    return load_roots(path)[0]


def read_cvat_xml(path: Path, *, create_missing_labels: bool = False, label_hints: Sequence[Label] = (),
                  progress: Progress | None = None, sink: Sink | None = None) -> Dataset:
    """Read a CVAT for images / for video 1.1 file into a :class:`Dataset`.

    A folder (or zip) of several XML files without ``annotations.xml`` is read whole: each file's frames
    get the file's name as their subset (unless the file says one), and the labels of all files are merged
    by name. ``label_hints`` (e.g. the target project's labels) define labels that the file uses but its
    ``<meta>`` does not declare (files written without meta), before ``create_missing_labels`` applies.

    The file is streamed: each ``<image>`` becomes frames and shapes as soon as the parser has it and its
    XML is dropped, so memory holds the dataset but never the whole XML tree (``<meta>`` must come before
    the images, as CVAT and Datumaro write it; otherwise the images are read after the whole file).
    With a ``sink`` the annotations are handed over every :data:`STREAM_FRAMES` images as they are read (see
    :data:`app.formats.dataset.Sink`), and the dataset returned holds none.

    Raises
    ------
    FormatError
        Naming the file, the element (with its line) and the reason.
    """
    sources = _sources(Path(path))
    registry = LabelRegistry()
    frames: list[DatasetFrame] = []
    ann = Annotations()
    merged: dict[str, Any] | None = None
    hints = {label.name: label for label in label_hints}
    so_far = Dataset(labels=registry.labels, frames=frames, annotations=ann)

    def hand_over(meta: dict[str, Any]) -> None:
        if sink is not None and (len(ann) or len(frames) > handed[0]):
            so_far.meta = meta
            handed[0] = len(frames)
            sink(so_far)
            so_far.take_annotations()  # whatever the sink left: the reader holds no annotation it handed over

    handed = [0]
    for number, (file, parse, size) in enumerate(sources):
        state: dict[str, Any] = {}

        def start(root: Node, file: Path = file, state: dict[str, Any] = state) -> _Reader:
            if "reader" not in state:
                if root.tag != "annotations":
                    raise FormatError(file, root.where(),
                                      "not a CVAT XML file (the root element must be <annotations>)")
                labels, meta = read_meta(root, file)
                _merge_labels(registry, labels, file)
                reader = _Reader(file, registry, meta, create_missing_labels, progress)
                reader.hints = hints
                reader.frames, reader.ann = frames, ann
                if len(sources) > 1:
                    reader.default_subset = str(meta.get("subset") or Path(str(file).split("!")[-1]).stem)
                state["reader"] = reader
            return state["reader"]

        def on_child(root: Node, node: Node, offset: int, state: dict[str, Any] = state,
                     start: Callable[[Node], _Reader] = start, number: int = number, size: int = size) -> bool:
            if node.tag != "image" or ("reader" not in state and root.find("meta") is None):
                return False
            reader = start(root)
            reader.streamed += 1
            reader._image(node)
            if sink is not None and reader.streamed % STREAM_FRAMES == 0:
                hand_over(reader.meta)
            if progress is not None and reader.streamed % 256 == 1:
                progress(number * 1000 + min(999, offset * 1000 // max(1, size)), len(sources) * 1000)
            return True

        root = parse(on_child)
        reader = start(root)
        meta = reader.meta
        reader.read(root)
        if number < len(sources) - 1:
            hand_over(meta)  # the rest of this file before the next one's
        if merged is None:
            merged = meta
            merged["files"] = [str(file)]
        else:
            if meta["layout"] != merged["layout"]:
                raise FormatError(file, "", f"this file has the {meta['layout']} layout but {merged['files'][0]} "
                                            f"has the {merged['layout']} layout; import them one by one")
            merged["files"].append(str(file))
            merged["warnings"].extend(meta["warnings"])
            merged.pop("name", None)
    assert merged is not None
    if len(sources) > 1:
        merged["subsets"] = list(dict.fromkeys(f.subset for f in frames))
    hand_over(merged)
    return Dataset(labels=registry.labels, frames=frames, annotations=ann, meta=merged)


def _merge_labels(registry: LabelRegistry, labels: list[Label], file: Path) -> None:
    """Add a file's labels to those of the files read before it (same name: the same label; attributes and
    keypoints it adds are added)."""
    for label in labels:
        known = registry.get(label.name)
        if known is None:
            registry.add(label)
            continue
        for item, known_item in [(label, known)] + [(sub, known.sublabel(sub.name)) for sub in label.sublabels]:
            if known_item is None:
                raise FormatError(file, "<meta>", f"skeleton {label.name!r} has keypoint {item.name!r}, which the "
                                                  "skeleton of the same name in an earlier file lacks")
            for spec in item.attributes:
                if known_item.attribute(spec.name) is None:
                    added = registry.add_attribute(known_item, spec.name)
                    added.input_type, added.values = spec.input_type, list(spec.values)
                    added.default_value, added.mutable = spec.default_value, spec.mutable


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
        self.frame_of: dict[tuple[int | None, int], int] = {}  # (task id of a project export, number) -> index
        self.ann = Annotations()
        self.hints: dict[str, Label] = {}
        self.known: dict[str, Label] = {}  # shape labels by the name a shape gives (the hot path's lookup)
        self.default_subset = str(meta.get("subset") or "") if meta.get("scope") in ("task", "job") else ""
        self.project = meta.get("scope") == "project"
        self.streamed = 0  # <image> elements already read while parsing (see read_cvat_xml)

    # ------------------------------------------------------------------ entry

    def read(self, root: Node) -> Dataset:
        images = root.findall("image")
        tracks = root.findall("track")
        video = not images and not self.streamed and (bool(tracks) or self.meta.get("mode") == "interpolation")
        self.meta["layout"] = "video" if video else "images"
        if video and not self.meta.get("tasks"):
            self.project = False  # a project file without its task list: one range of frames
        if video and self.project and self.meta.get("tasks"):
            for info in self.meta["tasks"]:
                self._video_frames(tracks, info, _int_or_none(info.get("id")))
        elif video:
            self._video_frames(tracks, self.meta, None)
        total = len(images) + len(tracks)
        for done, node in enumerate(images):
            self._image(node)
            self._report(done, total)
        for done, node in enumerate(tracks, start=len(images)):
            self._track(node)
            self._report(done, total)
        for node in root.findall("tag"):
            tag = self._tag(node, self._frame_index(node, self._task_of(node)))
            self.ann.tags.append(tag)
        if self.progress is not None and (total or not self.streamed):
            self.progress(total, total)
        return Dataset(labels=self.registry.labels, frames=self.frames, annotations=self.ann, meta=self.meta)

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None and done % 256 == 0:
            self.progress(done, total)

    # ------------------------------------------------------------------ frames

    def _task_of(self, node: Node) -> int | None:
        """The ``task_id`` of an element of a project export (None elsewhere)."""
        if not self.project or "task_id" not in node.attrib:
            return None
        return xs.integer(node, "task_id", self.file)

    def _video_frames(self, tracks: list[Node], meta: dict[str, Any], task: int | None) -> None:
        step = max(int(meta.get("frame_step", 0) or _step(meta.get("frame_filter")) or 1), 1)
        start = int(meta.get("start_frame", 0))
        if "stop_frame" in meta:
            stop = int(meta["stop_frame"])
        elif meta.get("size"):
            stop = start + (int(meta["size"]) - 1) * step
        else:
            seen = [xs.integer(s, "frame", self.file) for t in tracks for s in t.children if "frame" in s.attrib]
            stop = max(seen, default=start)
        width, height = meta.get("original_size") or self.meta.get("original_size") or (0, 0)
        frame_range(start, stop, step, width, height, self.file)
        subset = str(meta.get("subset") or "") if task is not None else self.default_subset
        for number in range(start, stop + 1, step):
            self.frame_of[(task, number)] = len(self.frames)
            self.frames.append(DatasetFrame(index=len(self.frames), name=f"frame_{number:06d}", width=width,
                                            height=height, number=number, subset=subset, task=task))
        meta.setdefault("start_frame", start)
        meta.setdefault("stop_frame", stop)

    def _frame_index(self, node: Node, task: int | None = None) -> int:
        if "frame" not in node.attrib:
            raise FormatError(self.file, node.where(), "attribute 'frame' is missing")
        number = xs.integer(node, "frame", self.file)
        index = self.frame_of.get((task, number))
        if index is None:
            where = f"task {task}'s frames" if task is not None else "this file's range"
            raise FormatError(self.file, node.where(),
                              f"frame {number} is not a frame of {where} "
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
        task = self._task_of(node)
        self.frames.append(DatasetFrame(index=index, name=name, width=width, height=height,
                                        subset=node.attrib.get("subset", self.default_subset), number=number,
                                        task=task))
        self.frame_of.setdefault((task, number), index)
        shapes, read_shape = self.ann.shapes, self._shape
        for child in node.children:
            if child.tag in _SHAPE_TAGS:
                shapes.append(read_shape(child, index))
            elif child.tag == "tag":
                self.ann.tags.append(self._tag(child, index))
            else:
                self.warnings.append(f"{child.where()}: unknown element ignored")

    # ------------------------------------------------------------------ labels and attributes

    def _label(self, node: Node, kind: LabelType) -> Label:
        name = node.attrib.get("label", "")
        label = self.registry.get(name or UNLABELED) if (name or self.create) else None
        if label is not None:
            self.known[name] = label
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
        # The hot path of a big file: the common attribute values are taken here, anything else goes through
        # the cvat_xml_shapes helpers, which name the problem (module constants: an enum member lookup is slow).
        attrib = node.attrib
        shape_type = _SHAPE_TAGS[node.tag]
        label = self.known.get(attrib.get("label", "")) or self._label(node, LabelType.ANY)
        file = self.file
        fewest = _POINT_LISTS.get(node.tag)
        if fewest is not None:  # polygons, polylines, points (no rotation)
            raw = attrib.get("points")
            points = xs.point_values(raw) if raw is not None else None
            if points is None or len(points) < fewest:
                points = xs.point_list(node, file, shape_type)
            rotation = 0.0
        elif shape_type is _SKELETON:
            points, rotation = [], 0.0
        else:
            points, rotation = xs.geometry(node, shape_type, file)
        occluded = attrib.get("occluded")
        z_order = attrib.get("z_order")
        group = attrib.get("group_id")
        # Positional: type, frame, label, points, rotation, occluded, outside, z_order, group, source, score,
        # attributes.
        shape = Shape(shape_type, frame, label.id, points, rotation,
                      occluded == "1" if occluded in _BITS else xs.flag(node, "occluded", file), False,
                      0 if z_order == "0" else xs.integer(node, "z_order", file),
                      0 if group is None or group == "0" else xs.integer(node, "group_id", file, lo=0),
                      _SOURCES.get(attrib.get("source")) or xs.source(node, "manual", self.warnings), 1.0,
                      self._attributes(node, label) if node.children else {})
        if shape_type is _SKELETON:
            shape.elements = [self._element(child, label, frame) for child in node.findall("points")]
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
        task = self._task_of(node)
        element_shapes: dict[int, list[TrackedShape]] = {s.id: [] for s in label.sublabels}
        for child in children:
            if (child.tag == "skeleton") != skeleton:
                raise FormatError(self.file, child.where(), "a track mixes skeleton and other shapes")
            frame = self._frame_index(child, task)
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
                        self._tracked(element, self._frame_index(element, task), sub, True))
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
        shape = self._as_shape(track)
        if shape is not None:
            self.ann.shapes.append(shape)
        else:
            self.ann.tracks.append(track)

    def _as_shape(self, track: Track) -> Shape | None:
        """In a project's video-layout file, a track of an annotation-mode task that is visible on exactly one
        frame is a shape: the video layout writes each shape as a keyframe followed by an outside keyframe on
        the next frame (or alone on the task's last frame). Interpolation tasks keep such tracks (as CVAT)."""
        states = track.shapes
        first = states[0]
        if first.outside or len(states) > 2 or not self.project:
            return None
        modes = {_int_or_none(t.get("id")): str(t.get("mode", "")) for t in self.meta.get("tasks") or []}
        if modes.get(self.frames[first.frame].task) != "annotation":
            return None
        nxt = first.frame + 1
        last = nxt >= len(self.frames) or self.frames[nxt].task != self.frames[first.frame].task
        if len(states) == 1 and not last:
            return None
        if len(states) == 2 and not (states[1].outside and states[1].frame == nxt):
            return None
        elements = []
        for element in track.elements:
            on = [s for s in element.shapes if s.frame == first.frame]
            if not on or any(s.frame not in (first.frame, nxt) for s in element.shapes):
                return None
            state = on[0]
            elements.append(Shape(type=ShapeType.POINTS, frame=first.frame, label_id=element.label_id,
                                  points=state.points, occluded=state.occluded, outside=state.outside,
                                  source=element.source, attributes={**element.attributes, **state.attributes}))
        return Shape(type=first.type, frame=first.frame, label_id=track.label_id, points=first.points,
                     rotation=first.rotation, occluded=first.occluded, z_order=first.z_order, group=track.group,
                     source=track.source, attributes={**track.attributes, **first.attributes}, elements=elements)


_SHAPE_TAGS = xs.SHAPE_TAGS
_SKELETON = ShapeType.SKELETON
# The point-list elements and their fewest values (by tag: an enum's hash is a Python call).
_POINT_LISTS = {tag: 2 * xs.MIN_POINTS[kind] for tag, kind in xs.SHAPE_TAGS.items() if kind in xs.MIN_POINTS}
_BITS = ("0", "1")
_SOURCES = xs.SOURCES


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


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _step(frame_filter: Any) -> int:
    match = re.search(r"step\s*=\s*(\d+)", str(frame_filter or ""))
    return int(match.group(1)) if match else 0
