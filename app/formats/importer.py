"""Importing a dataset file into a project: a new project, a new task, or an existing task or job.

Every import is one transaction: labels created on request, annotations removed (``replace``) and
added all commit together, or nothing is written. A new project (file or team database schema) is
removed again on error.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.gc_pause import paused_gc
from app.domain.annotations import Annotations
from app.domain.enums import JobType
from app.domain.labels import Label
from app.formats import archive, subset_matching
from app.formats.dataset import Dataset, Progress
from app.formats.errors import FormatError
from app.formats.exporter import task_numbering
from app.formats.frame_matching import FrameMatcher, image_files
from app.formats.import_common import check_types, write_consuming
from app.formats.import_tasks import TaskBuilder
from app.formats.label_mapping import LabelReport, build_map, compare_labels
from app.formats.label_mapping import create_missing as add_missing_labels
from app.formats.remap import Remapper
from app.media.errors import MediaError
from app.media.images import probe_image
from app.storage.errors import ProjectError
from app.storage.location import parse_location
from app.storage.project_checks import check_media_root, discard
from app.storage.store import Project

FORMATS = ("cvat", "coco", "yolo", "labelme", "voc", "masks", "datumaro", "mot")


@dataclass
class ImportResult:
    """What an import did. ``counts`` is ``Project.counts`` of the task after the import."""

    task_id: int
    job_ids: list[int]
    report: LabelReport
    counts: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    created_task: bool = False
    task_ids: list[int] = field(default_factory=list)  # every task written to (one per subset when created)
    notes: list[str] = field(default_factory=list)  # where the subsets went (see app.formats.subset_matching)


def read_dataset(path: Path, fmt: str, *, create_missing_labels: bool = False, frame_sizes: dict[str, tuple[int, int]]
                 | None = None, label_hints: Sequence[Label] = (), progress: Progress | None = None) -> Dataset:
    """Read ``path`` in format ``fmt`` (one of :data:`FORMATS`). ``frame_sizes`` (by image name) and
    ``label_hints`` (project labels: YOLO keypoint names) help formats that lack them.

    A .zip is read for every format (see :func:`dataset_source`). Read alone, an archive's extracted images are
    gone when this returns: frames get their sizes from them but no image path. To keep the images, import the
    file (:func:`import_file`, :func:`import_file_as_new_tasks`): they are copied into the project."""
    path = Path(path)
    # A big file builds 100,000s of acyclic objects: the collector is paused (each full collection rescans them).
    with paused_gc():
        if not _extracts(path, fmt):
            return _read(path, fmt, create_missing_labels=create_missing_labels, frame_sizes=frame_sizes,
                         label_hints=label_hints, progress=progress)
        with archive.extracted(path) as root:
            dataset = _read_extracted(root, fmt, create_missing_labels=create_missing_labels,
                                      frame_sizes=frame_sizes, label_hints=label_hints, progress=progress)
            _probe_sizes(dataset)
            dataset.meta["image_files"] = [None] * len(dataset.frames)  # the folder is about to go
        return dataset


def _read(path: Path, fmt: str, *, create_missing_labels: bool, frame_sizes: dict[str, tuple[int, int]] | None,
          label_hints: Sequence[Label], progress: Progress | None) -> Dataset:
    if fmt == "cvat":
        from app.formats.cvat_xml_read import read_cvat_xml
        return read_cvat_xml(path, create_missing_labels=create_missing_labels, label_hints=label_hints,
                             progress=progress)
    if fmt == "coco":
        from app.formats.coco_read import read_coco
        return read_coco(path, progress=progress)
    if fmt == "yolo":
        from app.formats.yolo_read import read_yolo
        return read_yolo(path, frame_sizes=frame_sizes, label_hints=label_hints, progress=progress)
    if fmt in _PLAIN_READERS:
        module, function = _PLAIN_READERS[fmt]
        reader = getattr(importlib.import_module(module), function)
        if fmt == "voc":
            return reader(path, create_missing_labels=True, progress=progress)
        return reader(path, progress=progress)
    raise FormatError(path, "", f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------------- archives


#: Formats whose reader takes a folder: a .zip of them is extracted (:mod:`app.formats.archive`) and read as one.
FOLDER_FORMATS = ("yolo", "labelme", "voc", "masks", "datumaro", "mot")


def _extracts(path: Path, fmt: str) -> bool:
    """Whether ``path`` is read through an extraction: a zip of a folder format, or a CVAT/COCO zip that holds
    images (one without is read in place by its reader, which streams from the archive)."""
    if fmt not in FORMATS or not archive.is_archive(path):
        return False
    return fmt in FOLDER_FORMATS or archive.holds_images(path)


@contextmanager
def dataset_source(path: Path, fmt: str) -> Iterator[Path]:
    """The path to read ``path`` from, for as long as the block runs: ``path`` itself, or the folder a zip is
    extracted to (every folder format, and a CVAT or COCO zip that holds images). An import reads and writes
    inside the block, so the archive's images can be copied into the project before the folder goes
    (:func:`app.formats.import_common.task_frames`); error messages name the archive's members."""
    path = Path(path)
    if not _extracts(path, fmt):
        yield path
        return
    with archive.extracted(path) as root:
        yield root


def _read_extracted(root: Path, fmt: str, **options: Any) -> Dataset:
    """Read an extracted archive: the images found in it are listed in ``meta['image_files']`` (CVAT and COCO
    readers do not list them) and messages name the archive rather than the temporary folder."""
    dataset = _read(root, fmt, **options)
    _list_images(dataset, root)
    return dataset


def _list_images(dataset: Dataset, root: Path) -> None:
    dataset.meta["image_files"] = [str(p) if p is not None else None for p in image_files(dataset, root)]
    dataset.meta["warnings"] = [archive.shown(str(w)) for w in dataset.meta.get("warnings", [])]


def _probe_sizes(dataset: Dataset) -> None:
    """Frames without a size take their image's (the images of an archive read alone are not kept)."""
    for frame, file in zip(dataset.frames, dataset.meta.get("image_files") or [], strict=False):
        if file and (frame.width <= 0 or frame.height <= 0):
            try:
                frame.width, frame.height = probe_image(Path(file))
            except MediaError as exc:
                raise FormatError(file, "", str(exc)) from exc


#: Formats read by one module each: name → (module, function).
_PLAIN_READERS = {
    "labelme": ("app.formats.labelme", "read_labelme"),
    "voc": ("app.formats.voc", "read_voc"),
    "masks": ("app.formats.mask_png", "read_masks"),
    "datumaro": ("app.formats.datumaro_json", "read_datumaro"),
    "mot": ("app.formats.mot", "read_mot"),
}


# ---------------------------------------------------------------------- new task / new project


def import_new_project(project_path: str | Path, dataset: Dataset, source: Path, *, name: str = "",
                       task_name: str = "", copy_media: bool = False, media_root: str | Path | None = None
                       ) -> ImportResult:
    """Create the project at ``project_path`` (a file, or a PostgreSQL URL of an empty database) with the
    dataset's labels and one task per subset holding its frames and annotations. ``media_root`` (team
    projects) is recorded as the project's media root; ``copy_media`` copies the images under it (or beside
    the file). :func:`import_file_as_new_project` reads the file as it writes (a big file is never held whole)."""

    def fill(project: Project) -> ImportResult:
        return import_into_project(project, dataset, source, new_task=True, create_missing=True,
                                   task_name=task_name, copy_media=copy_media)
    return _new_project(project_path, fill, name=name, media_root=media_root)


def import_file_as_new_project(project_path: str | Path, source: Path, fmt: str, *, create_missing_labels: bool = False,
                               progress: Progress | None = None, name: str = "", task_name: str = "",
                               copy_media: bool = False, media_root: str | Path | None = None) -> ImportResult:
    """Read ``source`` in format ``fmt`` into a new project, like :func:`import_new_project` of
    :func:`read_dataset`; a format whose reader streams (CVAT XML) is written as it is read, a few hundred
    frames at a time, so memory holds one batch of annotations rather than the whole file."""

    def fill(project: Project) -> ImportResult:
        return import_file_as_new_tasks(project, source, fmt, create_missing_labels=create_missing_labels,
                                        create_missing=True, progress=progress, task_name=task_name,
                                        copy_media=copy_media)
    return _new_project(project_path, fill, name=name, media_root=media_root)


def import_file_as_new_tasks(project: Project, source: Path, fmt: str, *, create_missing_labels: bool = False,
                             create_missing: bool = False, label_hints: Sequence[Label] = (),
                             frame_sizes: dict[str, tuple[int, int]] | None = None, progress: Progress | None = None,
                             task_name: str = "", copy_media: bool = False) -> ImportResult:
    """Read ``source`` into new tasks of an open project (one per subset), in one transaction: the same as
    :func:`import_into_project` of :func:`read_dataset` with ``new_task``, but CVAT XML is written as it is read.
    ``create_missing_labels`` is the reader's (labels a file uses without declaring them); ``create_missing``
    adds the dataset's labels the project lacks (otherwise they are an error)."""
    source = Path(source)
    if fmt != "cvat":
        return import_file(project, source, fmt, new_task=True, create_missing_labels=create_missing_labels,
                           create_missing=create_missing, label_hints=label_hints, frame_sizes=frame_sizes,
                           progress=progress, task_name=task_name, copy_media=copy_media)
    from app.formats.cvat_xml_read import read_cvat_xml

    labels_before = list(project.labels())
    # A big file builds 100,000s of acyclic objects: the collector is paused.
    with dataset_source(source, fmt) as readable, _copies_removed_on_failure() as copies, project.bulk_write(), \
            paused_gc():
        builder = TaskBuilder(project, source, task_name=task_name, create_missing=create_missing,
                              copies=copies, copy_media=copy_media)
        dataset = read_cvat_xml(readable, create_missing_labels=create_missing_labels, label_hints=label_hints,
                                progress=progress, sink=builder.add)
        if readable != source:  # an archive with images: they are found (and copied) in its folder
            _list_images(dataset, readable)
        targets = builder.finish(dataset)
        _keep_flip_idx(project, dataset)
        report = compare_labels(labels_before, dataset.labels)
        report.created = builder.created_labels
        return _result(project, targets, report, dataset, created=True)


def import_file(project: Project, source: Path, fmt: str, *, task: int | str | None = None, job: int | None = None,
                new_task: bool = False, replace: bool = False, create_missing_labels: bool = False,
                create_missing: bool = False, label_hints: Sequence[Label] = (),
                frame_sizes: dict[str, tuple[int, int]] | None = None, progress: Progress | None = None,
                task_name: str = "", copy_media: bool = False, on_read: Callable[[], None] | None = None
                ) -> ImportResult:
    """Read ``source`` (a file, a folder or a .zip) and import it into an open project: :func:`read_dataset`
    then :func:`import_into_project` (see both for the options), inside :func:`dataset_source`, so that the
    images of an archive are still there to be copied into the tasks the import creates. ``on_read`` is called
    between reading and writing (a progress message)."""
    source = Path(source)
    with dataset_source(source, fmt) as readable:
        options: dict[str, Any] = dict(create_missing_labels=create_missing_labels, frame_sizes=frame_sizes,
                                       label_hints=label_hints, progress=progress)
        dataset = (_read_extracted(readable, fmt, **options) if readable != source
                   else _read(source, fmt, **options))
        if on_read is not None:
            on_read()
        return import_into_project(project, dataset, source, task=task, job=job, new_task=new_task, replace=replace,
                                   create_missing=create_missing, task_name=task_name, copy_media=copy_media)


@contextmanager
def _copies_removed_on_failure() -> Iterator[list[Path]]:
    """A list for the media copies an import makes (``copy_media``); they are removed if the import fails."""
    copies: list[Path] = []
    try:
        yield copies
    except BaseException:
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)
        raise


def _new_project(project_path: str | Path, fill: Callable[[Project], ImportResult], *, name: str,
                 media_root: str | Path | None) -> ImportResult:
    """Create the project, ``fill`` it in one bulk transaction, and put it in place; nothing is left on error."""
    location = parse_location(project_path)
    if location.path is not None and location.path.exists():
        raise ProjectError(f"{location.path} already exists")
    check_media_root(location, media_root)  # before anything is built (Project.create records it)
    # A file project is built beside its final name and renamed at the end, so that an import killed
    # half-way leaves no project behind (at most a hidden ``.<name>.part-<pid>`` file) and a re-run works.
    building = location if location.path is None else parse_location(
        location.path.with_name(f".{location.path.name}.part-{os.getpid()}"))
    if building.path is not None:
        discard(building)  # a leftover of an earlier run in this process id
    project = Project.create(building, name or location.stem, [], media_root=media_root)
    try:
        with project.bulk_load(), paused_gc():  # a big import builds 100,000s of acyclic objects
            result = fill(project)
        project.close()
        if building.path is not None:
            _move_into_place(building.path, location.path)
    except BaseException:
        project.close()
        discard(building)
        raise
    return result


def _move_into_place(built: Path, final: Path | None) -> None:
    assert final is not None
    if final.exists():
        raise ProjectError(f"{final} was created by someone else during the import; the import was not kept")
    for suffix in ("-wal", "-shm"):  # normally gone after close; kept with the file if a checkpoint left them
        side = Path(str(built) + suffix)
        if side.exists():
            os.replace(side, str(final) + suffix)
    os.replace(built, final)
    Path(str(built) + ".lock").unlink(missing_ok=True)


# ---------------------------------------------------------------------- existing project


def _target_jobs(project: Project, task_id: int, job_id: int | None) -> list[int]:
    if job_id is not None:
        return [job_id]
    jobs = [j.id for j in project.jobs(task_id) if j.type is JobType.ANNOTATION and j.parent_id is None]
    if not jobs:
        raise ProjectError(f"task {task_id} has no annotation job to import into")
    return jobs


def _frame_map(project: Project, dataset: Dataset, task_id: int, job_id: int | None, source: Path) -> list[int | None]:
    task = project.task(task_id)
    by_number = task.media_type == "video" or dataset.meta.get("layout") == "video"
    task_export = dataset.meta.get("scope") == "task" and dataset.meta.get("layout") == "video"
    numbering = task_numbering(task)
    if task.options.get("cvat") and dataset.meta.get("layout") == "video":  # the file numbers frames as the task's
        task_export = False                                                  # source did: start + k * step
    matcher = FrameMatcher(project.frames(task_id), by_number, use_index=task_export,
                           start=numbering["start"], step=numbering["step"])
    mapping = [matcher.match(f) for f in dataset.frames]
    allowed = set(project.job(job_id).frame_list()) if job_id is not None else None
    used = _used_frames(dataset.annotations)
    for index in sorted(used):
        target = mapping[index]
        frame = dataset.frames[index]
        if target is None:
            raise FormatError(source, f"frame {frame.name!r}",
                              f"annotations refer to an image that task {task.name!r} does not have")
        if allowed is not None and target not in allowed:
            raise FormatError(source, f"frame {frame.name!r}", f"the frame is not part of job {job_id}")
    return mapping


def _used_frames(ann: Annotations) -> set[int]:
    used = {s.frame for s in ann.shapes} | {t.frame for t in ann.tags}
    for track in ann.tracks:
        used.update(s.frame for s in track.shapes)
        for element in track.elements:
            used.update(s.frame for s in element.shapes)
    return used


def _split_by_job(project: Project, ann: Annotations, jobs: list[int]) -> dict[int, Annotations]:
    if len(jobs) == 1:
        return {jobs[0]: ann}
    owner: dict[int, int] = {}
    for job_id in jobs:
        for frame in project.job(job_id).frame_list():
            owner.setdefault(frame, job_id)
    parts = {job_id: Annotations() for job_id in jobs}
    for shape in ann.shapes:
        parts[owner.get(shape.frame, jobs[0])].shapes.append(shape)
    for track in ann.tracks:
        parts[owner.get(track.frame, jobs[0])].tracks.append(track)
    for tag in ann.tags:
        parts[owner.get(tag.frame, jobs[0])].tags.append(tag)
    return parts


def import_into_project(project: Project, dataset: Dataset, source: Path, *, task: int | str | None = None,
                        job: int | None = None, new_task: bool = False, replace: bool = False,
                        create_missing: bool = False, task_name: str = "", copy_media: bool = False) -> ImportResult:
    """Import ``dataset`` into an open project (one transaction).

    ``new_task`` creates a task from the dataset's frames (one per subset); otherwise the annotations go to
    ``job``, or to the annotation jobs of ``task``, frames matched by name (by number for video). With neither,
    a dataset with subsets goes into the project as CVAT imports one: each subset into the task with that
    subset, or a new task (:mod:`app.formats.subset_matching`); one without goes to the only task.
    Unknown labels/attributes raise unless ``create_missing``. ``replace`` clears the target jobs first.
    ``copy_media`` (with a new task) copies the images under the project's media folder first; if the import
    fails the copy is removed again.
    """
    source = Path(source)
    report = compare_labels(list(project.labels()), dataset.labels)
    if not report.clean and not create_missing:
        raise FormatError(source, "", report.describe() + " (import with 'create missing labels' to add them)")
    creates = new_task or (task is None and job is None and not project.tasks())
    by_subset = subset_matching.applies(dataset, project.tasks(), task=task, job=job, new_task=new_task)
    if copy_media and not (creates or by_subset):
        raise ProjectError("copying the media applies only to an import that creates a task (a new project or "
                           "--new-task): the frames of an existing task stay where they are")
    with _copies_removed_on_failure() as copies, paused_gc():
        if by_subset:
            return _import_by_subset(project, dataset, source, report, replace=replace, task_name=task_name,
                                     copies=copies, copy_media=copy_media)
        return _import(project, dataset, source, report, task=task, job=job, creates=creates, replace=replace,
                       task_name=task_name, copies=copies, copy_media=copy_media)


def _import(project: Project, dataset: Dataset, source: Path, report: LabelReport, *, task: int | str | None,
            job: int | None, creates: bool, replace: bool, task_name: str,
            copies: list[Path], copy_media: bool) -> ImportResult:
    with project.bulk_write():
        if creates:
            builder = TaskBuilder(project, source, task_name=task_name, copies=copies, copy_media=copy_media)
            targets = builder.finish(dataset)
            report.created = builder.created_labels
            _keep_flip_idx(project, dataset)
            return _result(project, targets, report, dataset, created=True)
        if not report.clean:
            add_missing_labels(project, dataset.labels, report)
        label_map = build_map(list(project.labels()), dataset.labels)
        if job is not None:
            task_id = project.job(job).task_id
        elif task is not None:
            task_id = project.task(task).id
        else:
            tasks = project.tasks()
            if len(tasks) != 1:
                raise ProjectError(f"the project has {len(tasks)} tasks; choose one")
            task_id = tasks[0].id
        notice = subset_matching.merged_notice(dataset, project.task(task_id).name)
        jobs = _into_task(project, dataset, source, label_map, task_id, job, replace)
        _keep_flip_idx(project, dataset)
        result = _result(project, [(task_id, jobs)], report, dataset, created=False)
        result.notes += [notice] if notice else []
        return result


def _into_task(project: Project, dataset: Dataset, source: Path, label_map: Any, task_id: int, job: int | None,
               replace: bool) -> list[int]:
    """Write the dataset's annotations into the task's annotation jobs (or ``job``); returns the jobs."""
    jobs = _target_jobs(project, task_id, job)
    mapping = _frame_map(project, dataset, task_id, job, source)
    ann = Remapper(label_map, lambda i: mapping[i]).annotations(dataset.annotations)
    check_types(project, ann, source)
    for job_id, part in _split_by_job(project, ann, jobs).items():
        if replace:
            project.clear_annotations(job_id)
        if len(part):
            write_consuming(project, job_id, part)
    return jobs


def _import_by_subset(project: Project, dataset: Dataset, source: Path, report: LabelReport, *, replace: bool,
                      task_name: str, copies: list[Path], copy_media: bool) -> ImportResult:
    """One task per part of the dataset: the existing task of its subset, else a new one (one transaction)."""
    with project.bulk_write():
        if not report.clean:
            add_missing_labels(project, dataset.labels, report)
        label_map = build_map(list(project.labels()), dataset.labels)
        tasks = project.tasks()
        parts = subset_matching.split(dataset)
        targets, notes, created = [], [], False
        for part, part_dataset in parts:
            existing = subset_matching.match(tasks, part, [p for p, _d in parts])
            what = f"subset {part.subset!r}" if part.subset else f"part {part.name!r}"
            if existing is not None:
                jobs = _into_task(project, part_dataset, source, label_map, existing.id, None, replace)
                targets.append((existing.id, jobs))
                notes.append(f"{what} went into task {existing.id} ({existing.name!r})")
            else:
                name = f"{task_name} {part_dataset.meta['name']}".strip() if task_name else ""
                made = TaskBuilder(project, source, task_name=name, copies=copies,
                                   copy_media=copy_media).finish(part_dataset)
                targets += made
                created = True
                notes.append(f"{what} became new task {made[0][0]}")
        _keep_flip_idx(project, dataset)
        result = _result(project, targets, report, dataset, created=created)
        result.notes += notes
        return result


def _keep_flip_idx(project: Project, dataset: Dataset) -> None:
    if dataset.meta.get("flip_idx"):  # Ultralytics pose flip pairs survive a round trip through the project
        settings = project.settings()
        settings["yolo_flip_idx"] = list(dataset.meta["flip_idx"])
        project.set_settings(settings)


def _result(project: Project, targets: list[tuple[int, list[int]]], report: LabelReport, dataset: Dataset, *,
            created: bool) -> ImportResult:
    task_ids = [t[0] for t in targets]
    counts = project.counts(task_id=task_ids[0]) if len(task_ids) == 1 else _sum_counts(
        [project.counts(task_id=t) for t in task_ids])
    return ImportResult(task_id=task_ids[0], job_ids=[j for t in targets for j in t[1]], report=report,
                        counts=counts, warnings=list(dataset.meta.get("warnings", [])), created_task=created,
                        task_ids=task_ids)


def _sum_counts(parts: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"shapes": 0, "tracks": 0, "tags": 0, "by_type": {}, "track_types": {}, "by_label": {}}
    for counts in parts:
        for key in ("shapes", "tracks", "tags"):
            total[key] += counts[key]
        for key in ("by_type", "track_types", "by_label"):
            for name, n in counts[key].items():
                total[key][name] = total[key].get(name, 0) + n
    return total
