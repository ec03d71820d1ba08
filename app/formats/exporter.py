"""Exporting a job, a task or a whole project: build a :class:`Dataset` from the store, hand it to a writer.

Output goes to a staging folder beside ``out`` and is moved into place at the end, so a failed or
cancelled export leaves nothing half-written. ``out`` may be a folder, a ``.zip``, or (CVAT without
images) an ``.xml`` file.
"""

from __future__ import annotations

import copy
import importlib
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.annotations import Annotations, Track
from app.domain.enums import JobType
from app.domain.project import TaskInfo
from app.formats.dataset import FRAMES_PER_CHUNK, Dataset, DatasetFrame, Progress, relocate
from app.formats.errors import FormatError
from app.formats.export_media import copy_frames
from app.storage.store import Project

EXPORT_FORMATS = ("cvat", "cvat-images", "cvat-video", "coco", "yolo", "darknet", "labelme", "voc", "masks", "datumaro",
                  "mot")

#: Formats written by one module each: name → (module, function).
_PLAIN_WRITERS = {
    "labelme": ("app.formats.labelme", "write_labelme"),
    "voc": ("app.formats.voc", "write_voc"),
    "masks": ("app.formats.mask_png", "write_masks"),
    "datumaro": ("app.formats.datumaro_json", "write_datumaro"),
    "mot": ("app.formats.mot", "write_mot"),
    "darknet": ("app.formats.yolo_write", "write_darknet"),  # CVAT's "YOLO 1.1"; read back by the yolo importer
}


#: Objects per batch of a streamed export's :meth:`~app.formats.dataset.Dataset.batches` (the video layout).
BATCH = 5000


@dataclass
class ExportResult:
    path: Path
    frames: int
    counts: dict[str, int]
    layout: str = ""


def task_numbering(info: TaskInfo) -> dict[str, Any]:
    """How the file a task came from numbered its frames (CVAT video: start_frame, frame_filter step, source,
    original_size), from the task's options; ``start``/``step`` are 0/1 for a task made here."""
    kept = dict(info.options.get("cvat") or {})
    match = re.search(r"step\s*=\s*(\d+)", str(kept.get("frame_filter", "")))
    kept["start"] = int(kept.get("start_frame", 0) or 0)
    kept["step"] = max(int(match.group(1)), 1) if match else 1
    return kept


@dataclass
class _Part:
    """Where one task's (or job's) part of an export comes from: its frames' task numbers in dataset order from
    dataset index ``offset`` on, and the jobs whose annotations it shows (several jobs: each frame's shapes and
    tags come from its first job, ``owner``; one job: every shape of the job on the part's frames)."""

    offset: int
    numbers: list[int]
    jobs: list[int]
    owner: dict[int, int] | None

    def mapping(self, first: int = 0, stop: int | None = None) -> dict[int, int]:
        """Task frame number → dataset index, for the part's frames ``first:stop``."""
        return {number: self.offset + first + k for k, number in enumerate(self.numbers[first:stop])}

    def take(self, objects: list[Any], job_id: int, mapping: dict[int, int]) -> list[Any]:
        """The shapes or tags of ``job_id`` this part shows on the frames of ``mapping``, moved to dataset indices."""
        owner = self.owner
        if owner is None and objects and _is_shift(mapping):  # a plain run of a task's frames (most exports)
            shift = next(iter(mapping.values())) - next(iter(mapping))
            low, high = min(mapping), max(mapping) + 1
            kept = [obj for obj in objects if low <= obj.frame < high]
            if shift:
                for obj in kept:
                    obj.frame += shift
                    for element in getattr(obj, "elements", ()):
                        element.frame = obj.frame
            return kept
        kept = []
        for obj in objects:
            frame = obj.frame
            index = mapping.get(frame)
            if index is None or (owner is not None and owner.get(frame) != job_id):
                continue
            if index != frame:
                obj.frame = index
                for element in getattr(obj, "elements", ()):
                    element.frame = index
            kept.append(obj)
        return kept


def _is_shift(mapping: dict[int, int]) -> bool:
    """Whether ``mapping`` sends a run of consecutive frame numbers to consecutive indices (one offset)."""
    if not mapping:
        return False
    first, start = next(iter(mapping)), next(iter(mapping.values()))
    return all(number == first + k and index == start + k for k, (number, index) in enumerate(mapping.items()))


def _task_part(project: Project, task_id: int, offset: int, subset: str,
               job_id: int | None) -> tuple[list[DatasetFrame], list[str | None], _Part]:
    infos = project.frames(task_id)
    task = project.task(task_id)
    numbering = task_numbering(task)
    if job_id is not None:
        numbers = project.job(job_id).frame_list()
        jobs = [job_id]
    else:
        numbers = [f.index for f in infos]
        jobs = [j.id for j in project.jobs(task_id) if j.type is JobType.ANNOTATION and j.parent_id is None]
    frames, files = [], []
    root = project.media_root()
    for k, number in enumerate(numbers):
        info = infos[number]
        frames.append(DatasetFrame(index=offset + k, name=info.name, width=info.width, height=info.height,
                                   subset=subset, number=numbering["start"] + number * numbering["step"],
                                   task=task_id))
        files.append(str(project.resolve_media(info.path, root)) if info.path else None)
    owner: dict[int, int] | None = None
    if len(jobs) > 1:  # overlapping segments: a frame's shapes and tags come from its first job
        owner = {}
        for jid in jobs:
            for frame in project.job(jid).frame_list():
                owner.setdefault(frame, jid)
    return frames, files, _Part(offset, numbers, jobs, owner)


def _whole(project: Project, part: _Part) -> Annotations:
    """Every shape, track and tag of a part, on dataset indices."""
    ann = Annotations()
    for jid in part.jobs:
        job_ann = project.annotations(jid)
        if part.owner is not None:
            job_ann.shapes = [s for s in job_ann.shapes if part.owner.get(s.frame) == jid]
            job_ann.tags = [t for t in job_ann.tags if part.owner.get(t.frame) == jid]
        ann.extend(job_ann)
    return relocate(ann, part.mapping())


def _tracks(project: Project, parts: list[_Part]) -> list[Track]:
    tracks: list[Track] = []
    for part in parts:
        mapping = part.mapping()
        for jid in part.jobs:
            tracks += relocate(Annotations(tracks=project.tracks(jid)), mapping).tracks
    return tracks


class _StoreStream:
    """The shapes and tags of an export read from the store a run of frames (or a batch) at a time, in the same
    order and with the same choice of jobs as :func:`_whole` (see :class:`~app.formats.dataset.AnnotationStream`)."""

    def __init__(self, project: Project, parts: list[_Part], size: int | None = None) -> None:
        self.project = project
        self.parts = parts
        self.size = size or FRAMES_PER_CHUNK
        self._counted: dict[str, int] = {}  # what the last complete pass yielded, per kind

    def frame_chunks(self) -> Iterator[tuple[int, int, Annotations]]:
        seen = {"shapes": 0, "tags": 0}
        for part in self.parts:
            for first in range(0, len(part.numbers), self.size):
                numbers = part.numbers[first:first + self.size]
                mapping = part.mapping(first, first + self.size)
                low, high = min(numbers), max(numbers) + 1
                chunk = Annotations()
                for jid in part.jobs:
                    got = self.project.frame_range_annotations(jid, low, high, by_frame=True, uids=False)
                    chunk.shapes += part.take(got.shapes, jid, mapping)
                    chunk.tags += part.take(got.tags, jid, mapping)
                seen["shapes"] += len(chunk.shapes)
                seen["tags"] += len(chunk.tags)
                yield part.offset + first, part.offset + first + len(numbers), chunk
        self._counted.update(seen)

    def batches(self, kind: str) -> Iterator[list[Any]]:
        read = self.project.shape_batches if kind == "shapes" else self.project.tag_batches
        seen = 0
        for part in self.parts:
            mapping = part.mapping()
            for jid in part.jobs:
                for batch in read(jid, BATCH):
                    kept = part.take(batch, jid, mapping)
                    seen += len(kept)
                    if kept:
                        yield kept
        self._counted[kind] = seen

    def count(self, kind: str) -> int:
        if kind not in self._counted:
            self._counted[kind] = sum(1 for batch in self.batches(kind) for _ in batch)
        return self._counted[kind]


def _task_meta(project: Project, info: TaskInfo, frames: list[DatasetFrame]) -> dict[str, Any]:
    """A task's meta as CVAT writes it: frame range in the file's numbers, frame_filter, source, original_size."""
    numbering = task_numbering(info)
    meta: dict[str, Any] = {"id": info.id, "name": info.name, "size": len(frames), "mode": info.mode.value,
                            "subset": info.subset,
                            "start_frame": frames[0].number if frames else numbering["start"],
                            "stop_frame": frames[-1].number if frames else numbering["start"]}
    if numbering.get("frame_filter"):
        meta["frame_filter"] = numbering["frame_filter"]
    if info.media_type == "video":
        meta["source"] = Path(info.video_path).name
    if numbering.get("source"):
        meta["source"] = numbering["source"]
    if numbering.get("original_size"):
        meta["original_size"] = tuple(numbering["original_size"])
    elif frames:
        meta["original_size"] = (frames[0].width, frames[0].height)
    return meta


def build_dataset(project: Project, *, task: int | str | None = None, job: int | None = None,
                  stream: bool = False) -> Dataset:
    """The dataset of a job, a task, or (neither given) the whole project. ``meta['image_files']`` lists
    each frame's media file (None for video frames; ``meta['video']`` then names the video). With ``stream``
    only the tracks are read now: shapes and tags are read from the store as a writer asks for them
    (:meth:`Dataset.frame_chunks`, :meth:`Dataset.batches`), so the project must stay open until it is written."""
    dataset = _build(project, task, job, stream)
    flip = project.settings().get("yolo_flip_idx")
    if flip:
        dataset.meta["flip_idx"] = list(flip)
    return dataset


def _annotations(project: Project, parts: list[_Part], stream: bool) -> tuple[Annotations, _StoreStream | None]:
    if stream:
        return Annotations(tracks=_tracks(project, parts)), _StoreStream(project, parts)
    ann = Annotations()
    for part in parts:
        ann.extend(_whole(project, part))
    return ann, None


def _build(project: Project, task: int | str | None, job: int | None, stream: bool) -> Dataset:
    labels = copy.deepcopy(list(project.labels()))
    if job is not None or task is not None:
        task_id = project.job(job).task_id if job is not None else project.task(task).id
        info = project.task(task_id)
        frames, files, part = _task_part(project, task_id, 0, info.subset, job)
        meta: dict[str, Any] = {**_task_meta(project, info, frames), "scope": "job" if job is not None else "task",
                                "id": job if job is not None else task_id}
        meta.pop("mode")  # the writer says it from the layout
        if info.media_type == "video":
            meta["video"] = str(project.resolve_media(info.video_path))
        meta["task_modes"] = [info.mode.value]
        ann, source = _annotations(project, [part], stream)
        return Dataset(labels=labels, frames=frames, annotations=ann, meta={**meta, "image_files": files},
                       stream=source)
    frames, files, parts = [], [], []
    tasks = []
    for info in project.tasks():
        part_frames, part_files, part = _task_part(project, info.id, len(frames), info.subset or "default", None)
        tasks.append({**_task_meta(project, info, part_frames), "subset": info.subset or "default"})
        frames += part_frames
        files += part_files
        parts.append(part)
    ann, source = _annotations(project, parts, stream)
    return Dataset(labels=labels, frames=frames, annotations=ann, stream=source,
                   meta={"scope": "project", "name": project.name, "tasks": tasks, "image_files": files})


def _stage(out: Path) -> Path:
    staging = out.parent / f".{out.name}.partial"
    if staging.exists():
        shutil.rmtree(staging) if staging.is_dir() else staging.unlink()
    staging.mkdir(parents=True)
    return staging


def _finish(staging: Path, out: Path, single_file: str | None) -> None:
    """Move the staged export into place: a zip, a single file, or a folder."""
    if out.suffix.lower() == ".zip":
        tmp = staging.parent / f".{out.name}.tmp"
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(staging).as_posix())
        tmp.replace(out)
    elif single_file is not None:
        (staging / single_file).replace(out)
    else:
        if out.exists():
            if not out.is_dir() or any(out.iterdir()):
                raise FormatError(out, "", "the output folder exists and is not empty")
            out.rmdir()
        staging.replace(out)
        return
    shutil.rmtree(staging, ignore_errors=True)


def write_dataset(dataset: Dataset, fmt: str, out: Path, *, with_images: bool = False,
                  progress: Progress | None = None, **options: Any) -> ExportResult:
    """Write ``dataset`` as ``fmt`` to ``out`` (see module doc). Options go to the format's writer."""
    out = Path(out)
    if fmt not in EXPORT_FORMATS:
        raise FormatError(out, "", f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    single = None
    if out.suffix.lower() == ".xml":
        if not fmt.startswith("cvat") or with_images:
            raise FormatError(out, "", "an .xml output is only for CVAT without images; give a folder or a .zip")
        single = "annotations.xml"
    staging = _stage(out)
    try:
        layout = _write(dataset, fmt, staging, progress, options)
        if with_images:
            copy_frames(dataset, staging, fmt, progress=progress)
        _finish(staging, out, single)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(path=out, frames=len(dataset.frames), layout=layout,
                        counts={kind: dataset.count(kind) for kind in ("shapes", "tracks", "tags")})


def _write(dataset: Dataset, fmt: str, folder: Path, progress: Progress | None, options: dict[str, Any]) -> str:
    if fmt.startswith("cvat"):
        from app.formats.cvat_xml_write import write_cvat_xml
        if fmt == "cvat":
            layout = "video" if dataset.annotations.tracks else "images"
        else:
            layout = fmt.split("-")[1]
        write_cvat_xml(dataset, folder / "annotations.xml", layout=layout, progress=progress)
        return layout
    if fmt in _PLAIN_WRITERS:
        module, function = _PLAIN_WRITERS[fmt]
        return getattr(importlib.import_module(module), function)(dataset, folder, progress=progress)
    if fmt == "coco":
        from app.formats.coco_write import write_coco
        return write_coco(dataset, folder, progress=progress, **options)
    from app.formats.yolo_write import write_yolo
    options = dict(options)
    if "yolo_task" in options:  # named so at this level: `task` here selects the project's task
        options["task"] = options.pop("yolo_task")
    return write_yolo(dataset, folder, progress=progress, **options)


def export_project(project: Project, fmt: str, out: Path, *, task: int | str | None = None, job: int | None = None,
                   with_images: bool = False, progress: Progress | None = None, **options: Any) -> ExportResult:
    """Export a job, a task or the project (neither given) as ``fmt`` to ``out``. Format options go in
    ``options`` (YOLO: ``yolo_task`` = auto/detect/segment/pose/obb, ``names_as``)."""
    # CVAT XML is written a run of frames at a time: its shapes and tags are read from the store as it goes.
    dataset = build_dataset(project, task=task, job=job, stream=fmt.startswith("cvat"))
    return write_dataset(dataset, fmt, out, with_images=with_images, progress=progress, **options)
