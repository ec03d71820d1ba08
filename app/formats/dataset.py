"""The in-memory dataset every reader produces and every writer consumes.

A :class:`Dataset` is self-contained: its labels carry their own ids (readers give labels, sublabels and
attribute specs ids from one counter, 1..n; a dataset built from a project keeps the project's ids, which
are unique per kind), annotation frames are indices into ``frames``, and ``meta`` keeps what the file said
about itself (mode, task name, frame range, subsets, warnings) or, for exports, where the media is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain.annotations import Annotations, Track
from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label, LabelSet

#: ``progress(done, total)``; it may raise any exception to cancel: readers and writers unwind and write nothing.
Progress = Callable[[int, int], None]

#: Where a streaming reader hands what it has read, every few hundred frames (see :data:`Sink`).
STREAM_FRAMES = 500

#: Name of the label that unlabelled objects get when a reader is asked to create missing labels.
UNLABELED = "unlabeled"


@dataclass
class DatasetFrame:
    """One frame of a dataset.

    ``index`` is the position in the dataset (0-based). ``number`` is the frame number the file uses
    (CVAT image id, absolute video frame number), ``None`` when the format has none. ``subset`` and
    ``task`` say which part of a multi-subset or multi-task dataset the frame belongs to (see
    :func:`dataset_parts`).
    """

    index: int
    name: str
    width: int
    height: int
    subset: str = ""
    number: int | None = None
    task: int | None = None  # the task id a project export gives the frame (CVAT ``task_id``)


@dataclass
class Dataset:
    """Labels, frames and annotations read from (or to be written to) a file."""

    labels: list[Label]
    frames: list[DatasetFrame]
    annotations: Annotations
    meta: dict[str, Any] = field(default_factory=dict)

    def take_annotations(self) -> Annotations:
        """The annotations, which the dataset then no longer holds (a streaming reader hands them over)."""
        taken = Annotations(shapes=self.annotations.shapes, tracks=self.annotations.tracks,
                            tags=self.annotations.tags)
        self.annotations.shapes, self.annotations.tracks, self.annotations.tags = [], [], []
        return taken

    def label_set(self) -> LabelSet:
        return LabelSet(self.labels)

    def task_ends(self) -> list[int]:
        """For each frame, the last index of its task's run of frames (a project export holds several tasks:
        a track is flattened or expanded up to its own task's last frame, never into the next task)."""
        ends: list[int] = [0] * len(self.frames)
        for index in range(len(self.frames) - 1, -1, -1):
            same = index + 1 < len(self.frames) and self.frames[index + 1].task == self.frames[index].task
            ends[index] = ends[index + 1] if same else index
        return ends

    def subsets(self) -> list[str]:
        """Subset names in first-seen order ("" for frames without one)."""
        seen: dict[str, None] = {}
        for frame in self.frames:
            seen.setdefault(frame.subset, None)
        return list(seen)


def fresh_label(label: Label) -> Label:
    """A deep copy without ids (to add to another label list or a project)."""
    clone = copy.deepcopy(label)
    for item in (clone, *clone.sublabels):
        item.id = None
        item.parent_id = None
        for spec in item.attributes:
            spec.id = None
    return clone


class LabelRegistry:
    """Builds a dataset's label list with ids, and finds labels/attributes by name while reading.

    Ids are assigned from one counter shared by labels, sublabels and attribute specs.
    """

    def __init__(self, labels: Iterable[Label] = ()) -> None:
        self.labels: list[Label] = []
        self._next = 1
        self._by_name: dict[str, Label] = {}
        for label in labels:
            self.add(label)

    def _take(self) -> int:
        value = self._next
        self._next += 1
        return value

    def add(self, label: Label) -> Label:
        """Register a top-level label (ids are given to it, its attributes and its sublabels)."""
        label.id = self._take()
        label.parent_id = None
        for spec in label.attributes:
            spec.id = self._take()
        for sub in label.sublabels:
            sub.id = self._take()
            sub.parent_id = label.id
            for spec in sub.attributes:
                spec.id = self._take()
        self.labels.append(label)
        self._by_name.setdefault(label.name, label)
        return label

    def get(self, name: str) -> Label | None:
        return self._by_name.get(name)

    def create(self, name: str, label_type: LabelType = LabelType.ANY) -> Label:
        """A label that the file uses but does not declare."""
        return self.add(Label(name=name, type=label_type))

    def add_attribute(self, label: Label, name: str) -> AttributeSpec:
        """An attribute that the file uses but does not declare (created as free text)."""
        spec = AttributeSpec(name=name, input_type=AttributeType.TEXT)
        spec.id = self._take()
        label.attributes.append(spec)
        return spec


def annotation_counts(dataset: Dataset) -> dict[str, Any]:
    """Counts per kind, per shape type and per label name, in the layout of ``Project.counts``."""
    names = {}
    for label in dataset.labels:
        names[label.id] = label.name
        for sub in label.sublabels:
            names[sub.id] = sub.name
    by_type: dict[str, int] = {}
    by_label: dict[str, int] = {}
    track_types: dict[str, int] = {}
    ann = dataset.annotations
    for shape in ann.shapes:
        by_type[shape.type.value] = by_type.get(shape.type.value, 0) + 1
        by_label[names.get(shape.label_id, "?")] = by_label.get(names.get(shape.label_id, "?"), 0) + 1
    for track in ann.tracks:
        kind = track.shapes[0].type.value if track.shapes else "unknown"
        track_types[kind] = track_types.get(kind, 0) + 1
        by_label[names.get(track.label_id, "?")] = by_label.get(names.get(track.label_id, "?"), 0) + 1
    for tag in ann.tags:
        by_label[names.get(tag.label_id, "?")] = by_label.get(names.get(tag.label_id, "?"), 0) + 1
    if ann.tags:
        by_type["tag"] = len(ann.tags)
    return {"shapes": len(ann.shapes), "tracks": len(ann.tracks), "tags": len(ann.tags), "by_type": by_type,
            "track_types": track_types, "by_label": by_label}


@dataclass
class DatasetPart:
    """The frames of one task of a dataset: one subset (and, in project exports, one file task).

    ``name`` is the task name (from the file's task list, else the subset, else ``""``), ``info`` the
    file's meta of that task (mode, frame range, frame_filter, ...; empty when the file has none).
    """

    name: str
    subset: str
    indices: list[int]
    info: dict[str, Any] = field(default_factory=dict)


def dataset_parts(dataset: Dataset) -> list[DatasetPart]:
    """Split a dataset into the tasks an import creates, as CVAT does for a project: one per subset, and
    within a subset one per task id of a project export. Parts keep the frames' first-seen order."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for frame in dataset.frames:
        groups.setdefault((frame.subset, frame.task), []).append(frame.index)
    tasks = {str(t.get("id")): t for t in dataset.meta.get("tasks") or [] if isinstance(t, dict)}
    parts = []
    for (subset, task), indices in groups.items():
        info = tasks.get(str(task), {}) if task is not None else {}
        if info and info.get("subset", subset) not in (subset, ""):  # the frame's task says another subset
            info = {}
        name = str(info.get("name") or subset or "")
        parts.append(DatasetPart(name=name, subset=subset, indices=indices, info=dict(info)))
    return parts


def relocate(ann: Annotations, mapping: dict[int, int]) -> Annotations:
    """Annotations with frames moved by ``mapping`` (old index → new), in place; objects on frames outside
    ``mapping`` are dropped (a track keeps its states on mapped frames)."""
    shapes = []
    for s in ann.shapes:
        frame = mapping.get(s.frame)
        if frame is not None:
            s.frame = frame
            for e in s.elements:
                e.frame = frame
            shapes.append(s)

    def track(t: Track) -> Track | None:
        t.shapes = [s for s in t.shapes if s.frame in mapping]
        for s in t.shapes:
            s.frame = mapping[s.frame]
        t.elements = [e for e in (track(e) for e in t.elements) if e is not None]
        if not t.shapes and not t.elements:
            return None
        t.frame = min([s.frame for s in t.shapes] or [e.frame for e in t.elements])
        return t

    tags = []
    for tag in ann.tags:
        if tag.frame in mapping:
            tag.frame = mapping[tag.frame]
            tags.append(tag)
    return Annotations(shapes=shapes, tracks=[x for x in map(track, ann.tracks) if x is not None], tags=tags)


def split_annotations(ann: Annotations, parts: list[DatasetPart]) -> list[Annotations]:
    """The annotations of each part, frames renumbered to the part's own 0..n-1 (consumes ``ann``)."""
    owner: dict[int, tuple[int, int]] = {}
    for p, part in enumerate(parts):
        for k, index in enumerate(part.indices):
            owner[index] = (p, k)
    out = [Annotations() for _ in parts]

    def part_of(frame: int) -> int:
        return owner[frame][0] if frame in owner else 0

    for shape in ann.shapes:
        out[part_of(shape.frame)].shapes.append(shape)
    for tag in ann.tags:
        out[part_of(tag.frame)].tags.append(tag)
    for track in ann.tracks:
        out[part_of(track.frame)].tracks.append(track)
    return [relocate(a, {i: k for k, i in enumerate(part.indices)}) for a, part in zip(out, parts)]


#: A streaming reader calls its sink with the dataset read so far: all its labels and frames up to now, and
#: the annotations read since the previous call (on frames already handed over), which the reader then
#: forgets. The reader returns the whole dataset without annotations at the end. So a big file is never held
#: whole: an import writes each part as it comes.
Sink = Callable[[Dataset], None]
