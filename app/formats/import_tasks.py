"""The tasks an import creates (a new project, or a new task in a project), built while the file is read.

CVAT imports a dataset into a project as one task per subset (and, for a project export, per task of the
file). :class:`TaskBuilder` does that incrementally: a task is started at the first frame of its part, each
batch of annotations a streaming reader hands over (:data:`app.formats.dataset.Sink`) is written to its task's
job straight away, and at the end every task gets its frames, name, mode and options. A reader that is not
streaming hands the whole dataset over once; the result is the same. Everything happens inside the caller's
transaction, so a failure anywhere writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.annotations import Annotations, Track
from app.domain.enums import TaskMode
from app.domain.labels import Label
from app.domain.project import FrameInfo
from app.formats.dataset import Dataset, dataset_parts
from app.formats.errors import FormatError
from app.formats.import_common import check_types, task_frames, write_consuming
from app.formats.label_mapping import LabelMap, build_map, compare_labels
from app.formats.label_mapping import create_missing as add_missing_labels
from app.formats.remap import Remapper
from app.storage.store import Project


@dataclass(eq=False)  # a dict key by identity
class _Part:
    task_id: int
    job_id: int
    indices: list[int] = field(default_factory=list)  # dataset frame indices, in the task's order


class TaskBuilder:
    """Creates the tasks of one import as its dataset arrives; see the module docstring.

    ``create_missing`` adds labels and attributes the dataset has and the project lacks (otherwise the caller
    has checked that there are none). ``copies`` (a list) gets the media copies made, so that the caller can remove
    them on failure; ``copy_media`` (default: ``copies`` is given) copies every image under the project's media
    folder, otherwise only images extracted from an archive are (see :func:`~app.formats.import_common.task_frames`).
    """

    def __init__(self, project: Project, source: Path, *, task_name: str = "", create_missing: bool = True,
                 copies: list[Path] | None = None, copy_media: bool | None = None) -> None:
        self.project = project
        self.source = source
        self.task_name = task_name
        self.create_missing = create_missing
        self.copies = copies
        self.copy_media = copy_media
        self.parts: dict[tuple[str, int | None], _Part] = {}
        self.place: list[tuple[_Part, int]] = []  # for each dataset frame: its part and its index in that task
        self.label_map: LabelMap | None = None
        self._labels_seen: tuple[int, int] = (-1, -1)
        self._same_ids = False  # every label and attribute id of the dataset is the project's
        self.created_labels = False  # labels or attributes were added to the project

    # ------------------------------------------------------------------ while reading

    def add(self, dataset: Dataset) -> None:
        """Take the frames new since the last call and write the annotations the dataset holds (translated to
        the project in place; past :data:`~app.formats.import_common.IMPORT_BATCH` shapes they are consumed)."""
        for frame in dataset.frames[len(self.place):]:
            key = (frame.subset, frame.task)
            part = self.parts.get(key)
            if part is None:
                task_id, job_id = self.project.begin_import_task(f"import {len(self.parts) + 1}",
                                                                 subset=frame.subset)
                part = self.parts[key] = _Part(task_id, job_id)
            self.place.append((part, len(part.indices)))
            part.indices.append(frame.index)
        ann = dataset.annotations
        if not len(ann):
            return
        label_map = self._label_map(dataset.labels)
        place = self.place
        # One task, and the project's label and attribute ids are the file's (a new project): nothing to translate.
        same = len(self.parts) == 1 and self._same_ids
        for part, part_ann in self._by_part(ann).items():
            if not same:
                Remapper(label_map, lambda i: place[i][1]).annotations(part_ann)
            check_types(self.project, part_ann, self.source)
            write_consuming(self.project, part.job_id, part_ann)

    def _label_map(self, labels: list[Label]) -> LabelMap:
        """The dataset's labels in the project, creating what is missing; rebuilt only when the dataset's labels
        grew (a reader creating missing labels adds labels and attributes as it meets them)."""
        seen = (len(labels), sum(len(label.attributes) + len(label.sublabels) for label in labels))
        if self.label_map is None or seen != self._labels_seen:
            report = compare_labels(list(self.project.labels()), labels)
            if not report.clean:
                if not self.create_missing:
                    raise FormatError(self.source, "", report.describe()
                                      + " (import with 'create missing labels' to add them)")
                add_missing_labels(self.project, labels, report)
                self.created_labels = True
            self.label_map = build_map(list(self.project.labels()), labels)
            self._labels_seen = seen
            ids = [(x.id, self.label_map.labels.get(x.id)) for label in labels for x in [label, *label.sublabels]]
            specs = [(a.id, self.label_map.attributes.get(a.id)) for label in labels
                     for x in [label, *label.sublabels] for a in x.attributes]
            self._same_ids = all(a == b for a, b in ids + specs)
        return self.label_map

    def _by_part(self, ann: Annotations) -> dict[_Part, Annotations]:
        if len(self.parts) == 1:
            return {next(iter(self.parts.values())): ann}
        out: dict[_Part, Annotations] = {}
        place = self.place

        def part(frame: int) -> Annotations:
            owner = place[frame][0]
            got = out.get(owner)
            if got is None:
                got = out[owner] = Annotations()
            return got

        for shape in ann.shapes:
            part(shape.frame).shapes.append(shape)
        for tag in ann.tags:
            part(tag.frame).tags.append(tag)
        for track in ann.tracks:
            _keep_own_frames(track, place[track.frame][0], place)
            part(track.frame).tracks.append(track)
        return out

    # ------------------------------------------------------------------ at the end

    def finish(self, dataset: Dataset) -> list[tuple[int, list[int]]]:
        """Give every task its frames (sizes probed and media copied where needed), name, mode and options,
        after the last :meth:`add`. ``dataset`` is the whole dataset (its frames and final meta). Returns each
        task's id and its job ids."""
        self.add(dataset)
        self._label_map(dataset.labels)  # the dataset's labels, even those no annotation uses
        if not dataset.frames:
            raise FormatError(self.source, "", "the dataset has no frames")
        frames = task_frames(self.project, dataset, self.source, self.task_name, self.copies, self.copy_media)
        parts = dataset_parts(dataset)  # the same parts, in the same (first-seen) order, with the file's meta
        layout = dataset.meta.get("layout")
        out = []
        for info_part, (key, part) in zip(parts, self.parts.items(), strict=True):
            assert (info_part.subset, dataset.frames[info_part.indices[0]].task) == key
            info = {**dataset.meta, **info_part.info} if len(parts) == 1 else info_part.info
            mode = {"interpolation": TaskMode.INTERPOLATION, "annotation": TaskMode.ANNOTATION}.get(
                str(info.get("mode", "")).lower(),
                TaskMode.INTERPOLATION if layout == "video" else TaskMode.ANNOTATION)
            if len(parts) == 1:
                name = self.task_name or str(dataset.meta.get("name") or "") or info_part.name or self.source.stem
            else:
                name = (f"{self.task_name} {info_part.name}".strip() if self.task_name
                        else (info_part.name or self.source.stem))
            part_frames = [FrameInfo(index=k, name=frames[i].name, width=frames[i].width,
                                      height=frames[i].height, path=frames[i].path)
                            for k, i in enumerate(part.indices)]
            options = _task_options(info, "video" if mode is TaskMode.INTERPOLATION else str(layout))
            self.project.finish_import_task(part.task_id, part_frames, name=name, mode=mode, options=options)
            out.append((part.task_id, [part.job_id]))
        return out


def _keep_own_frames(track: Track, owner: _Part, place: list[tuple[_Part, int]]) -> None:
    """Drop a track's states on frames of another part (a task's track cannot reach into another task)."""
    track.shapes = [s for s in track.shapes if place[s.frame][0] is owner]
    for element in track.elements:
        _keep_own_frames(element, owner, place)


def _task_options(info: dict[str, Any], layout: str) -> dict[str, Any]:
    """What a video-layout file says about its task's frames (kept so an export can go back into it)."""
    if layout != "video":
        return {}
    keys = ("start_frame", "stop_frame", "frame_filter", "source")
    kept = {k: info[k] for k in keys if info.get(k) not in (None, "")}
    if info.get("original_size"):
        kept["original_size"] = list(info["original_size"])
    return {"cvat": kept} if kept else {}
