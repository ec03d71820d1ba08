"""Export jobs of a project (an SQLite file or a team project) as one field package file.

Order, so that a failure or a kill leaves nothing half-made: the jobs' leases are taken first (one
transaction; from then on nobody changes them), the package is built under ``<out>.partial`` and renamed
over ``<out>`` only when complete; an error drops the partial file and gives the leases back.
"""

from __future__ import annotations

import getpass
import io
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import insert, select

from app import __version__
from app.domain.enums import JobType
from app.domain.project import FrameInfo, JobInfo, TaskInfo
from app.media import segment
from app.media.errors import MediaError
from app.media.sources import open_task_source
from app.packages import container, fieldwork
from app.packages.frames import to_package
from app.packages.identity import digest, label_schema_hash, project_uid, row_uid
from app.packages.manifest import Manifest, MediaEntry, PackagedJob, PackageError, frames_digest
from app.storage import schema
from app.storage.database import current_revision
from app.storage.errors import ProjectError
from app.storage.store import Project, now_iso

Progress = Callable[[str, int, int], None]


def _check_jobs(project: Project, job_ids: Sequence[int]) -> list[JobInfo]:
    if not job_ids:
        raise PackageError("Choose at least one job to package.")
    jobs = []
    for job_id in dict.fromkeys(job_ids):
        try:
            job = project.job(job_id)
        except ProjectError as exc:
            raise PackageError(str(exc)) from exc
        if job.type != JobType.ANNOTATION:
            raise PackageError(f"Job {job_id} is a {job.type.value.replace('_', ' ')} job; only annotation jobs "
                               "go into field packages (ground truth stays in the project).")
        jobs.append(job)
    return jobs


def copy_labels(project: Project, package: Project) -> None:
    """Labels and attribute specs with their ids (annotations refer to both by id)."""
    with package.transaction() as conn:
        for table in (schema.label, schema.attribute_spec):
            rows = [dict(r._mapping) for r in project.conn.execute(select(table).order_by(table.c.id))]
            if "parent_id" in table.c:
                rows.sort(key=lambda r: r["parent_id"] is not None)
            if rows:
                conn.execute(insert(table), rows)
    package._labels = None


def _frame_bytes(project: Project, task: TaskInfo, frames: list[FrameInfo], index: int, source) -> tuple[str, bytes]:
    """A frame's file as it is (images), or the decoded video frame as PNG (lossless)."""
    frame = frames[index]
    if task.media_type != "video":
        path = project.resolve_media(frame.path or frame.name)
        try:
            return Path(frame.name).suffix or path.suffix, path.read_bytes()
        except OSError as exc:
            raise PackageError(f"Cannot read {path} (frame {index} of task {task.name!r}): {exc.strerror}.") from exc
    rgb = np.ascontiguousarray(source.read(index))
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    return ".png", buffer.getvalue()


MAX_SEGMENT_BYTES = 768 * 1024 * 1024  # one media row; SQLite's blob limit is 1 GB


def _video_segment(source, job: JobInfo, job_frames: list[int], progress: Progress | None) -> bytes | None:
    """The job's video frames, decoded and encoded again as one lossless FFV1 segment (checked frame by frame
    after writing); ``None`` when this OpenCV cannot, the check fails or the segment is too large for one
    media row: the caller stores lossless PNG frames instead."""
    if not segment.can_write():
        return None
    with tempfile.TemporaryDirectory(prefix="fm-segment-") as folder:
        path = Path(folder) / f"job{job.id}{segment.SUFFIX}"

        def frames():
            for i, f in enumerate(job_frames):
                yield source.read(f)
                if progress is not None:
                    progress(f"job {job.id} video", i + 1, len(job_frames))

        try:
            digests = segment.write_segment(frames(), path)
        except OSError:
            return None
        if path.stat().st_size > MAX_SEGMENT_BYTES or not segment.verify_segment(path, digests):
            return None
        return path.read_bytes()


def _frame_names(job: JobInfo, names: list[str]) -> list[str]:
    """The frames' names in the package. A job with honeypots gets neutral consecutive names (as the app shows
    it consecutive numbers, app.quality.honeypots.display_numbers), so its validation frames do not stand out."""
    if not job.options.get("honeypots"):
        return names
    first = min(job.frame_list())
    return [f"frame_{first + i:06d}{Path(name).suffix}" for i, name in enumerate(names)]


def _add_job(project: Project, package: Project, db_media: sqlite3.Connection, job: JobInfo,
             package_id: str, progress: Progress | None) -> tuple[PackagedJob, list[MediaEntry], list[tuple]]:
    job = project.job(job.id)  # re-read under the package's lease: this revision is the base
    job_uid = row_uid(project, "job", job.id)
    task = project.task(job.task_id)
    all_frames = project.frames(task.id)
    job_frames = job.frame_list()
    source = open_task_source(project, task.id) if task.media_type == "video" else None
    media: list[MediaEntry] = []
    frame_infos: list[FrameInfo] = []
    names = _frame_names(job, [all_frames[f].name for f in job_frames])
    video: dict[str, str] = {}
    try:
        segment_data = _video_segment(source, job, job_frames, progress) if source is not None else None
        if segment_data is not None:  # one lossless video segment: the package task is a video task
            name = f"job{job.id}/frames{segment.SUFFIX}"
            sha, size = container.put_media(db_media, name, segment_data)
            del segment_data
            media.append(MediaEntry(name, sha, size))
            frame_infos = [FrameInfo(i, names[i], all_frames[f].width, all_frames[f].height)
                           for i, f in enumerate(job_frames)]
            video = {"media_type": "video", "video_path": container.media_path(package_id, name)}
        else:
            for i, f in enumerate(job_frames):
                suffix, data = _frame_bytes(project, task, all_frames, f, source)
                name = f"job{job.id}/{i:06d}{suffix.lower()}"
                sha, size = container.put_media(db_media, name, data)
                media.append(MediaEntry(name, sha, size))
                info = all_frames[f]
                frame_infos.append(FrameInfo(i, names[i], info.width, info.height,
                                             container.media_path(package_id, name)))
                if progress is not None:
                    progress(f"job {job.id} media", i + 1, len(job_frames))
    except MediaError as exc:
        raise PackageError(f"Cannot read the media of job {job.id}: {exc}") from exc
    finally:
        if source is not None:
            source.close()
    db_media.commit()  # the package project writes next, on its own connection
    new_task = package.create_task(f"{task.name} - job {job.id}", frame_infos, mode=task.mode, subset=task.subset,
                                   **video)
    package_job = package.jobs(new_task.id)[0]
    annotations = project.annotations(job.id)
    base = [(o.uid, job_uid, kind, digest(o)) for kind, objs in
            (("shape", annotations.shapes), ("track", annotations.tracks), ("tag", annotations.tags)) for o in objs]
    with package.transaction() as conn:
        conn.execute(schema.job.update().where(schema.job.c.id == package_job.id).values(
            uid=job_uid, assignee=job.assignee, stage=job.stage.value, state=job.state.value))
        package.add_annotations(package_job.id, to_package(annotations, job_frames, f"Job {job.id}"), keep_uids=True)
    entry = PackagedJob(uid=job_uid, source_job_id=job.id, source_task_uid=row_uid(project, "task", task.id),
                        task_name=task.name, base_version=job.revision, assignee=job.assignee,
                        frame_count=len(job_frames), frames_sha256=frames_digest(job_frames),
                        package_job_id=package_job.id)
    return entry, media, base


def export_package(project: Project, job_ids: Sequence[int], out: str | Path, *,
                   progress: Progress | None = None) -> Manifest:
    """Write the jobs into a new package file ``out`` and mark them as out in the field."""
    out = Path(out)
    if out.exists():
        raise PackageError(f"{out} already exists; choose a new file name.")
    jobs = _check_jobs(project, job_ids)
    uid = project_uid(project, create=True)
    assert uid is not None
    package_id = str(uuid.uuid4())
    partial = out.with_name(out.name + ".partial")
    fieldwork.take(project, [j.id for j in jobs], package_id, out.name)
    try:
        manifest = _build(project, jobs, partial, package_id, uid, progress)
        os.replace(partial, out)
    except BaseException:
        for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
        _give_back(project, jobs, package_id)
        raise
    return manifest


def _give_back(project: Project, jobs: list[JobInfo], package_id: str) -> None:
    try:
        with project.transaction():
            fieldwork.release(project, package_id)
            for job in jobs:
                records = fieldwork.records(project, job.id)
                records.pop(package_id, None)
                options = project.job(job.id).options
                options[fieldwork.RECORDS] = records
                project.update_job(job.id, options=options)
    except ProjectError:
        pass  # the server went away: ``fieldmark package release`` gives the jobs back later


def _build(project: Project, jobs: list[JobInfo], partial: Path, package_id: str, uid: str,
           progress: Progress | None) -> Manifest:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    package = Project.create(partial, name=project.name)
    try:
        package.set_settings({k: v for k, v in project.settings().items() if k != "media_root"})
        copy_labels(project, package)
        revision = current_revision(package.conn)
        db = sqlite3.connect(partial)
        try:
            container.create_tables(db)
            entries, media, base = [], [], []
            for job in jobs:
                entry, job_media, job_base = _add_job(project, package, db, job, package_id, progress)
                entries.append(entry)
                media.extend(job_media)
                base.extend(job_base)
                db.commit()
            container.put_base(db, base)
            manifest = Manifest(
                package_id=package_id, project_uid=uid, project_name=project.name, schema_revision=str(revision),
                label_schema=label_schema_hash(project), created=now_iso(), tool_version=__version__,
                exported_by=getpass.getuser(), jobs=entries, media=media)
            container.seal(db, manifest)
            db.commit()
        finally:
            db.close()
    finally:
        package.close()
    Path(str(partial) + ".lock").unlink(missing_ok=True)  # the build's own lock file; the package gets its own
    db = sqlite3.connect(partial)  # one self-contained file: no write-ahead log beside it
    try:
        db.execute("PRAGMA journal_mode=DELETE")
    finally:
        db.close()
    return manifest
