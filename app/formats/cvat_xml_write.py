"""Writer for CVAT for images 1.1 and CVAT for video 1.1 XML.

Layout ``images``: one ``<image>`` per frame with its shapes (sorted by z_order) then its tags; tracks
are flattened to the frames where they are visible (:func:`app.domain.interpolation.track_to_shapes`).
Layout ``video``: one ``<track>`` per track as CVAT writes it (:func:`~app.domain.interpolation.expand_track`:
interpolated frames with ``keyframe="0"``), plain shapes as a keyframe plus an outside keyframe on the
next frame, tags as ``<tag frame=...>``. Track ids are renumbered 0..n-1. Frame numbers are the task's own
(``start_frame + k * step`` for a task imported from CVAT video), with ``<original_size>``, ``frame_filter``
and ``<source>`` in meta.

A project export is written as CVAT's: every ``<image>`` (or ``<track>``/``<tag>`` in the video layout)
carries ``task_id`` and ``subset``, and ``<meta><project>`` lists the tasks and the subsets.

Numbers are written with 2 decimals when that is exact (as CVAT does) and in full otherwise, so our own
export → import is lossless. A run of frames whose coordinates are all 2-decimal exact (:func:`two_decimals`,
one numpy test) has each shape's coordinates formatted with one ``%``; the text is the same as :func:`num`'s.

Shapes and tags are read through :meth:`Dataset.frame_chunks` (images) and :meth:`Dataset.batches` (video), so
a streamed export dataset (:func:`app.formats.exporter.build_dataset` with ``stream``) is written a run of
frames at a time and never held whole; a whole dataset goes through the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from app.domain.annotations import Shape, Tag, Track, TrackedShape
from app.domain.enums import ShapeType, Source
from app.domain.interpolation import expand_track, shape_at, track_to_shapes
from app.domain.labels import Label
from app.domain.labels_json import svg_from_skeleton
from app.formats.cvat_xml_shapes import CUBOID_KEYS
from app.formats.dataset import Dataset, Progress

_TAG = {v: k for k, v in {
    "box": ShapeType.RECTANGLE, "polygon": ShapeType.POLYGON, "polyline": ShapeType.POLYLINE,
    "points": ShapeType.POINTS, "ellipse": ShapeType.ELLIPSE, "cuboid": ShapeType.CUBOID,
    "mask": ShapeType.MASK, "skeleton": ShapeType.SKELETON}.items()}
_Z_ORDER = attrgetter("z_order")
_META_KEYS = ("id", "name", "size", "mode", "overlap", "bugtracker", "created", "updated", "subset",
              "start_frame", "stop_frame", "frame_filter")


def _original_size(size: Any, indent: str) -> str:
    return (f"{indent}<original_size>\n{indent}  <width>{size[0]}</width>\n{indent}  <height>{size[1]}</height>\n"
            f"{indent}</original_size>\n")


def num(value: float) -> str:
    """2 decimals when exact (CVAT's style), else the shortest exact representation."""
    rounded = round(value, 2)
    if rounded == value:
        return f"{value:.2f}"
    return repr(float(value))


_SAFE = 2.0 ** 40  # below this, numpy's round(v, 2) == v exactly when Python's is (see two_decimals)


def two_decimals(values: Iterable[float]) -> bool:
    """True when :func:`num` writes every one of ``values`` as ``f"{v:.2f}"`` (each equals its round(v, 2)).

    One vectorised test for a run of shapes, so that their coordinates can be formatted with one ``%``
    each. numpy rounds as ``rint(v * 100) / 100``: for a finite ``|v| < 2**40`` that is ``v`` exactly when
    ``v`` is the double nearest a 2-decimal number, as for Python's correctly rounded ``round``; larger and
    non-finite values answer False (they go through :func:`num`)."""
    array = np.fromiter(values, dtype=np.float64)
    with np.errstate(all="ignore"):
        return bool(np.all((np.abs(array) < _SAFE) & (np.round(array, 2) == array)))


class _Templates(dict[int, str]):
    """``%`` templates for ``count`` coordinates of one kind of element (``points``: ``count`` pairs), with
    ``%.2f`` fields (every value known to be 2-decimal exact) or ``%s`` fields (filled by :func:`num`)."""

    def __init__(self, kind: str, exact: bool) -> None:
        super().__init__()
        self.kind = kind
        self.field = "%.2f" if exact else "%s"

    def __missing__(self, count: int) -> str:
        field = self.field
        if self.kind == "points":
            text = ";".join([f"{field},{field}"] * count)
        else:
            keys = ("xtl", "ytl", "xbr", "ybr") if self.kind == "box" else CUBOID_KEYS[:count]
            text = "".join(f' {k}="{field}"' for k in keys)
        self[count] = text
        return text


#: kind → exact → count → template.
_TEMPLATES = {kind: {exact: _Templates(kind, exact) for exact in (False, True)} for kind in ("box", "cuboid", "points")}


def _fill(kind: str, values: list[float], exact: bool) -> str:
    """``values`` in the template of ``kind``: one ``%`` for the lot when they are 2-decimal exact."""
    if exact:
        return _TEMPLATES[kind][True][len(values) >> 1 if kind == "points" else len(values)] % tuple(values)
    return _TEMPLATES[kind][False][len(values) >> 1 if kind == "points" else len(values)] % tuple(map(num, values))


_RECTANGLE, _ELLIPSE, _CUBOID, _MASK, _SKELETON = (ShapeType.RECTANGLE, ShapeType.ELLIPSE, ShapeType.CUBOID,
                                                   ShapeType.MASK, ShapeType.SKELETON)  # hot path: no enum lookups
_POINTS_EXACT = _TEMPLATES["points"][True]
_POINT_LISTS = (ShapeType.POLYGON, ShapeType.POLYLINE, ShapeType.POINTS)
_MAX_TEMPLATES = 4096  # shape templates kept per export (label x source x z order x group x point count ...)


def _geometry(shape_type: ShapeType, points: list[float], rotation: float, exact: bool = False) -> str:
    """The coordinate attributes of a shape element (with a leading space). ``exact``: every point is known
    to be 2-decimal exact (:func:`two_decimals`); the text is the same either way."""
    if shape_type is _RECTANGLE:
        out = _fill("box", points[:4], exact)
    elif shape_type is _ELLIPSE:
        cx, cy = points[0], points[1]
        out = (f' cx="{num(cx)}" cy="{num(cy)}" rx="{num(points[2] - cx)}" ry="{num(cy - points[3])}"')
    elif shape_type is _CUBOID:
        out = _fill("cuboid", points[:len(CUBOID_KEYS)], exact)
    elif shape_type is _MASK:
        x1, y1, x2, y2 = (int(round(v)) for v in points[-4:])
        runs = ", ".join(str(int(r)) for r in points[:-4])
        out = f' rle="{runs}" left="{x1}" top="{y1}" width="{x2 - x1 + 1}" height="{y2 - y1 + 1}"'
    elif exact and not len(points) & 1:  # the common case of polygons, polylines and points
        return f' points="{_POINTS_EXACT[len(points) >> 1] % tuple(points)}"'
    else:
        out = f' points="{_fill("points", points[:len(points) >> 1 << 1], exact)}"'
    if rotation and (shape_type is _RECTANGLE or shape_type is _ELLIPSE):
        out += f' rotation="{num(rotation)}"'
    return out


def _coordinates(shapes: Iterable[Shape]) -> Iterator[float]:
    lists = []
    for shape in shapes:
        lists.append(shape.points)
        if shape.elements:
            lists.extend(element.points for element in shape.elements)
    return chain.from_iterable(lists)


class _Names:
    """Label and attribute names by id, for a dataset's labels."""

    def __init__(self, labels: list[Label]) -> None:
        self.label: dict[int, str] = {}
        self.attr: dict[int, str] = {}
        for label in labels:
            for item in (label, *label.sublabels):
                self.label[item.id] = item.name
                for spec in item.attributes:
                    self.attr[spec.id] = spec.name

    def attributes(self, values: dict[int, str], indent: str) -> str:
        return "".join(f'{indent}<attribute name={quoteattr(self.attr[k])}>{escape(str(v))}</attribute>\n'
                       for k, v in values.items() if k in self.attr)


class CvatXmlWriter:
    """Writes one dataset; ``layout`` is ``"images"`` or ``"video"``."""

    def __init__(self, dataset: Dataset, layout: str = "images", progress: Progress | None = None) -> None:
        if layout not in ("images", "video"):
            raise ValueError(f"layout must be 'images' or 'video', not {layout!r}")
        self.ds = dataset
        self.layout = layout
        self.names = _Names(dataset.labels)
        self.progress = progress
        self._common_cache: dict[tuple[int, Source], str] = {}
        self._shape_templates: dict[tuple, str] = {}  # see _image_shape

        self.project = dataset.meta.get("scope") == "project"
        self.task_end = dataset.task_ends()  # tracks and shape tracks never run into the next task

    def number(self, index: int) -> int:
        frame = self.ds.frames[index]
        return frame.number if frame.number is not None else index

    def _where(self, index: int) -> str:
        """`` task_id="…" subset="…"`` on the elements of a project export (as CVAT writes them), else the
        frame's subset when it has one."""
        frame = self.ds.frames[index]
        if self.project:
            task = f' task_id="{frame.task}"' if frame.task is not None else ""
            return f"{task} subset={quoteattr(frame.subset or 'default')}"
        return f" subset={quoteattr(frame.subset)}" if frame.subset else ""

    # ------------------------------------------------------------------ document

    def write(self, path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            out.write('<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n')
            out.write(self._meta())
            if self.layout == "images":
                self._images(out)
            else:
                self._video(out)
            out.write("</annotations>\n")

    def _meta(self) -> str:
        meta = self.ds.meta
        scope = meta.get("scope", "task")
        lines = ["  <meta>\n", f"    <{scope}>\n"]
        for key in _META_KEYS:
            if key == "mode":
                value: Any = "interpolation" if self.layout == "video" else "annotation"
            else:
                value = meta.get(key)
            if value is not None and value != "":
                lines.append(f"      <{key}>{escape(str(value))}</{key}>\n")
        lines.append("      <labels>\n")
        for label in self.ds.labels:
            lines.append(self._label(label, None))
            lines.extend(self._label(sub, label.name) for sub in label.sublabels)
        lines.append("      </labels>\n")
        if scope == "project":
            lines.append("      <tasks>\n")
            for task in meta.get("tasks") or []:
                lines.append("        <task>\n")
                for key in _META_KEYS:
                    if task.get(key) not in (None, ""):
                        lines.append(f"          <{key}>{escape(str(task[key]))}</{key}>\n")
                if self.layout == "video" and task.get("original_size"):
                    lines.append(_original_size(task["original_size"], "          "))
                if task.get("source"):
                    lines.append(f"          <source>{escape(str(task['source']))}</source>\n")
                lines.append("        </task>\n")
            lines.append("      </tasks>\n")
            subsets = [s for s in self.ds.subsets() if s]
            lines.append(f"      <subsets>{escape(chr(10).join(subsets))}</subsets>\n")
        size = meta.get("original_size")
        if self.layout == "video" and scope != "project":  # Datumaro needs it to size video frames
            if not size and self.ds.frames:
                size = (self.ds.frames[0].width, self.ds.frames[0].height)
            if size:
                lines.append(_original_size(size, "      "))
        lines.append(f"    </{scope}>\n")
        for key in ("dumped", "source"):
            if meta.get(key):
                lines.append(f"    <{key}>{escape(str(meta[key]))}</{key}>\n")
        lines.append("  </meta>\n")
        return "".join(lines)

    @staticmethod
    def _label(label: Label, parent: str | None) -> str:
        parts = ["        <label>\n", f"          <name>{escape(label.name)}</name>\n",
                 f"          <color>{escape(label.color)}</color>\n", f"          <type>{label.type.value}</type>\n",
                 "          <attributes>\n"]
        for spec in label.attributes:
            parts.append(
                "            <attribute>\n"
                f"              <name>{escape(spec.name)}</name>\n"
                f"              <mutable>{'True' if spec.mutable else 'False'}</mutable>\n"
                f"              <input_type>{spec.input_type.value}</input_type>\n"
                f"              <default_value>{escape(spec.default_value)}</default_value>\n"
                f"              <values>{escape(chr(10).join(spec.values))}</values>\n"
                "            </attribute>\n")
        parts.append("          </attributes>\n")
        if parent is not None:
            parts.append(f"          <parent>{escape(parent)}</parent>\n")
        if label.sublabels:
            parts.append(f"          <svg>{escape(svg_from_skeleton(label))}</svg>\n")
        parts.append("        </label>\n")
        return "".join(parts)

    def _tick(self, done: int, total: int) -> None:
        if self.progress is not None and (done % 256 == 0 or done == total):
            self.progress(done, total)

    # ------------------------------------------------------------------ images layout

    def _images(self, out: IO[str]) -> None:
        """One ``<image>`` per frame, a run of frames at a time (:meth:`Dataset.frame_chunks`: a streamed
        export never holds the task's shapes whole)."""
        tracks = self.ds.annotations.tracks
        n = len(self.ds.frames)
        for first, stop, chunk in self.ds.frame_chunks():
            shapes: list[list[Shape]] = [[] for _ in range(stop - first)]
            tags: list[list[Tag]] = [[] for _ in range(stop - first)]
            for shape in chunk.shapes:
                shapes[shape.frame - first].append(shape)
            for track in tracks:  # flattened on this run's frames only (a state depends on its frame alone)
                frames = range(max(track.frame, first), min(self.task_end[track.frame] + 1, stop))
                for shape in track_to_shapes(track, frames):
                    shapes[shape.frame - first].append(shape)
            for tag in chunk.tags:
                tags[tag.frame - first].append(tag)
            exact = two_decimals(_coordinates(s for frame in shapes for s in frame))
            for index in range(first, stop):
                frame = self.ds.frames[index]
                buf = [f'  <image id="{self.number(index)}" name={quoteattr(frame.name)}{self._where(index)} '
                       f'width="{frame.width}" height="{frame.height}">\n']
                for shape in sorted(shapes[index - first], key=_Z_ORDER):
                    buf.append(self._image_shape(shape, exact))
                for tag in tags[index - first]:
                    buf.append(self._tag(tag, ""))
                buf.append("  </image>\n")
                out.write("".join(buf))
                self._tick(index + 1, n)

    def _common(self, label_id: int, source: Source) -> str:
        """``label="…" source="…"`` (cached: the same few pairs repeat on every shape)."""
        key = (label_id, source)
        text = self._common_cache.get(key)
        if text is None:
            text = self._common_cache[key] = (f'label={quoteattr(self.names.label[label_id])} '
                                              f'source="{source.value}"')
        return text

    def _image_shape(self, shape: Shape, exact: bool = False) -> str:
        if exact and not shape.attributes and not shape.rotation:
            # Shapes that differ only in their (2-decimal exact) coordinates share one ``%`` template: most of a
            # big export is a few labels, sources and z orders (ids of the enum singletons: hashing an enum is
            # a Python call).
            points = shape.points
            key = (id(shape.type), shape.label_id, id(shape.source), shape.occluded, shape.z_order, shape.group,
                   len(points))
            template = self._shape_templates.get(key)
            if template is None:
                template = self._shape_template(shape, key)
            if template:
                return template % tuple(points)
        return self._image_shape_text(shape, exact)

    def _shape_template(self, shape: Shape, key: tuple) -> str:
        """The template of ``key`` (``shape`` is one of its shapes), or "" where its shapes go the general way;
        checked against the general text of ``shape`` before it is kept."""
        count = len(shape.points)
        if shape.type is _RECTANGLE and count == 4:
            geometry = _TEMPLATES["box"][True][4]
        elif shape.type in _POINT_LISTS and count >= 2 and not count & 1:
            geometry = f' points="{_POINTS_EXACT[count >> 1]}"'
        else:
            geometry = None
        template = ""
        if geometry is not None and len(self._shape_templates) < _MAX_TEMPLATES:
            tag = _TAG[shape.type]
            head = f"    <{tag} {self._common(shape.label_id, shape.source)}".replace("%", "%%")
            group = f' group_id="{shape.group}"' if shape.group else ""
            template = (f'{head} occluded="{"1" if shape.occluded else "0"}"{geometry} '
                        f'z_order="{shape.z_order}"{group}>\n    </{tag}>\n')
            if template % tuple(shape.points) != self._image_shape_text(shape, True):
                template = ""
        if len(self._shape_templates) < _MAX_TEMPLATES:
            self._shape_templates[key] = template
        return template

    def _image_shape_text(self, shape: Shape, exact: bool = False) -> str:
        head = f"    <{_TAG[shape.type]} {self._common(shape.label_id, shape.source)}"
        group = f' group_id="{shape.group}"' if shape.group else ""
        if shape.type is _SKELETON:
            body = [f'{head} z_order="{shape.z_order}"{group}>\n']
            for el in shape.elements:
                body.append(f'      <points {self._common(el.label_id, el.source)} outside="{int(el.outside)}" '
                            f'occluded="{int(el.occluded)}"{_geometry(ShapeType.POINTS, el.points, 0, exact)}>\n')
                body.append(self.names.attributes(el.attributes, "        "))
                body.append("      </points>\n")
            body.append(self.names.attributes(shape.attributes, "      "))
            body.append("    </skeleton>\n")
            return "".join(body)
        attributes = self.names.attributes(shape.attributes, "      ") if shape.attributes else ""
        return (f'{head} occluded="{"1" if shape.occluded else "0"}"'
                f'{_geometry(shape.type, shape.points, shape.rotation, exact)} '
                f'z_order="{shape.z_order}"{group}>\n{attributes}    </{_TAG[shape.type]}>\n')

    def _tag(self, tag: Tag, frame_attr: str, indent: str = "    ") -> str:
        group = f' group_id="{tag.group}"' if tag.group else ""
        return (f"{indent}<tag{frame_attr} {self._common(tag.label_id, tag.source)}{group}>\n"
                f"{self.names.attributes(tag.attributes, indent + '  ')}{indent}</tag>\n")

    # ------------------------------------------------------------------ video layout

    def _video(self, out: IO[str]) -> None:
        """The tracks, then each plain shape as a track, then the tags; shapes and tags a batch at a time
        (:meth:`Dataset.batches`)."""
        tracks = self.ds.annotations.tracks
        ends = self.task_end
        total = len(tracks) + self.ds.count("shapes")
        for track_id, track in enumerate(tracks):
            out.write(self._track(track_id, track, ends[track.frame] + 1))
            self._tick(track_id + 1, total)
        track_id = len(tracks)
        for shapes in self.ds.batches("shapes"):
            exact = two_decimals(_coordinates(shapes))
            for shape in shapes:
                out.write(self._track(track_id, self._shape_track(shape, ends[shape.frame] + 1),
                                      ends[shape.frame] + 1, exact))
                track_id += 1
                self._tick(track_id, total)
        for tags in self.ds.batches("tags"):
            for tag in tags:
                where = self._where(tag.frame) if self.project else ""
                out.write(self._tag(tag, f' frame="{self.number(tag.frame)}"{where}', "  "))

    @staticmethod
    def _shape_track(shape: Shape, n: int) -> Track:
        """A plain shape as CVAT writes it in video files: a keyframe, then outside on the next frame."""
        def state(frame: int, outside: bool, s: Shape) -> TrackedShape:
            return TrackedShape(type=s.type, frame=frame, points=list(s.points), rotation=s.rotation,
                                occluded=s.occluded, outside=outside, z_order=s.z_order,
                                attributes=dict(s.attributes))

        frames = [(shape.frame, False)] + ([(shape.frame + 1, True)] if shape.frame + 1 < n else [])
        track = Track(label_id=shape.label_id, frame=shape.frame, group=shape.group, source=shape.source,
                      shapes=[state(f, o, shape) for f, o in frames])
        for el in shape.elements:
            track.elements.append(Track(label_id=el.label_id, frame=shape.frame, source=el.source,
                                        shapes=[state(f, o or el.outside, el) for f, o in frames]))
        return track

    def _track(self, track_id: int, track: Track, n: int, exact: bool = False) -> str:
        """``exact``: every point of the track's states is 2-decimal exact (see :func:`two_decimals`)."""
        group = f' group_id="{track.group}"' if track.group else ""
        where = self._where(track.frame) if self.project else ""
        buf = [f'  <track id="{track_id}" {self._common(track.label_id, track.source)}{where}{group}>\n']
        if track.elements:
            buf.extend(self._skeleton_states(track, n, exact))
        else:
            for state in expand_track(track, track.frame, n - 1):
                attrs = {**track.attributes, **state.attributes}
                buf.append(f'    <{_TAG[state.type]} frame="{self.number(state.frame)}" '
                           f'keyframe="{int(state.keyframe)}" '
                           f'outside="{int(state.outside)}" occluded="{int(state.occluded)}"'
                           f'{_geometry(state.type, state.points, state.rotation, exact)} z_order="{state.z_order}">\n'
                           f'{self.names.attributes(attrs, "      ")}    </{_TAG[state.type]}>\n')
        buf.append("  </track>\n")
        return "".join(buf)

    def _skeleton_states(self, track: Track, n: int, exact: bool) -> Iterable[str]:
        expanded = [{s.frame: s for s in expand_track(e, track.frame, n - 1)} for e in track.elements]
        if track.shapes:
            parents = expand_track(track, track.frame, n - 1)
        else:
            frames = sorted(set().union(*expanded)) if expanded else []
            parents = [s for s in (shape_at(track, f) for f in frames) if s is not None]
        for parent in parents:
            f = parent.frame
            yield (f'    <skeleton frame="{self.number(f)}" keyframe="{int(parent.keyframe)}" '
                   f'outside="{int(parent.outside)}" z_order="{parent.z_order}">\n')
            for element, states in zip(track.elements, expanded):
                state = states.get(f) or shape_at(element, f)
                if state is None:
                    continue
                yield (f'      <points {self._common(element.label_id, element.source)} '
                       f'keyframe="{int(state.keyframe)}" outside="{int(state.outside)}" '
                       f'occluded="{int(state.occluded)}"'
                       f'{_geometry(ShapeType.POINTS, state.points, 0, exact)}>\n'
                       f'{self.names.attributes({**element.attributes, **state.attributes}, "        ")}'
                       "      </points>\n")
            yield self.names.attributes({**track.attributes, **parent.attributes}, "      ")
            yield "    </skeleton>\n"


def write_cvat_xml(dataset: Dataset, path: Path, *, layout: str = "images", progress: Progress | None = None) -> None:
    """Write ``dataset`` as CVAT XML 1.1 (``layout``: "images" or "video")."""
    CvatXmlWriter(dataset, layout, progress).write(Path(path))
