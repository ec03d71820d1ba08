"""Project store, tasks, frames and jobs (CVAT's segmentation into jobs, GT jobs, replicas, workflow
fields). Part of :class:`~app.storage.store.Project`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from app import settings as app_settings
from app.domain.enums import JobStage, JobState, JobType, TaskMode
from app.domain.project import FrameInfo, JobInfo, TaskInfo
from app.storage.annotation_rows import new_uid
from app.storage.errors import ProjectError
from app.storage.fastsql import execute_many
from app.storage.location import Location
from app.storage.store_base import StoreBase
from app.storage.timeutil import now_iso


def segment_ranges(size: int, segment_size: int, overlap: int) -> list[tuple[int, int]]:
    """CVAT's split of ``size`` frames into job ranges (inclusive), each ``segment_size`` long with ``overlap``."""
    if size <= 0:
        return []
    if segment_size <= 0 or segment_size >= size:
        return [(0, size - 1)]
    overlap = min(max(overlap, 0), segment_size - 1)
    step = segment_size - overlap
    ranges = []
    start = 0
    while start < size:
        stop = min(start + segment_size - 1, size - 1)
        ranges.append((start, stop))
        if stop == size - 1:
            break
        start += step
    return ranges



class TasksMixin(StoreBase):
    location: Location


    def create_task(
        self,
        name: str,
        frames: Sequence[FrameInfo],
        *,
        media_type: str = "images",
        video_path: str = "",
        segment_size: int = 0,
        overlap: int = 0,
        consensus_replicas: int = 0,
        subset: str = "",
        mode: TaskMode | None = None,
    ) -> TaskInfo:
        """Create a task with its frames and its annotation jobs (split by ``segment_size``/``overlap``)."""
        if not frames:
            raise ProjectError(f"Task {name!r} has no frames.")
        if consensus_replicas and not 2 <= consensus_replicas <= 10:
            raise ProjectError("A consensus task has between 2 and 10 replicas per job.")
        if mode is None:
            mode = TaskMode.INTERPOLATION if media_type == "video" else TaskMode.ANNOTATION
        with self.transaction() as conn:
            task_id = self._insert_task(conn, name, mode, media_type=media_type, video_path=video_path,
                                        segment_size=segment_size, overlap=overlap,
                                        consensus_replicas=consensus_replicas, subset=subset)
            self._insert_frames(conn, task_id, frames)
            for start, stop in segment_ranges(len(frames), segment_size, overlap):
                parent = self._insert_job(conn, task_id, JobType.ANNOTATION, start, stop)
                for _ in range(consensus_replicas):
                    self._insert_job(conn, task_id, JobType.CONSENSUS_REPLICA, start, stop, parent_id=parent)
        self._notify("tasks")
        return self.task(task_id)

    def begin_import_task(self, name: str, *, subset: str = "", mode: TaskMode = TaskMode.ANNOTATION
                          ) -> tuple[int, int]:
        """A task whose frames are not known yet: an import that streams its file creates it at the first frame
        of a subset, writes annotations to its one annotation job as they are read, and gives the frames to
        :meth:`finish_import_task` at the end (in the same transaction). Returns (task id, job id)."""
        with self.transaction() as conn:
            task_id = self._insert_task(conn, name, mode, subset=subset)
            job_id = self._insert_job(conn, task_id, JobType.ANNOTATION, 0, 0)
        return task_id, job_id

    def finish_import_task(self, task_id: int, frames: Sequence[FrameInfo], *, name: str, mode: TaskMode,
                           options: dict[str, Any]) -> None:
        """Give a task made by :meth:`begin_import_task` its frames (its job then spans them all), name, mode
        and options."""
        if not frames:
            raise ProjectError(f"Task {name!r} has no frames.")
        with self.transaction() as conn:
            self._insert_frames(conn, task_id, frames)
            conn.execute(text("UPDATE job SET stop_frame = :stop WHERE task_id = :t"),
                         {"stop": len(frames) - 1, "t": task_id})
            conn.execute(text("UPDATE task SET name = :name, mode = :mode, options = :options WHERE id = :t"),
                         {"name": name, "mode": str(mode), "options": json.dumps(options), "t": task_id})
        self._notify("tasks")

    def _insert_task(self, conn: Connection, name: str, mode: TaskMode, *, media_type: str = "images",
                     video_path: str = "", segment_size: int = 0, overlap: int = 0, consensus_replicas: int = 0,
                     subset: str = "") -> int:
        return int(conn.execute(text(
            "INSERT INTO task (uid, name, mode, media_type, video_path, segment_size, overlap, consensus_replicas, "
            "subset, created, options) VALUES (:uid, :name, :mode, :media_type, :video_path, :segment_size, "
            ":overlap, :consensus_replicas, :subset, :created, '{}') RETURNING id"),
            {"uid": new_uid(), "name": name, "mode": str(mode), "media_type": media_type,
             "video_path": video_path, "segment_size": segment_size, "overlap": overlap,
             "consensus_replicas": consensus_replicas, "subset": subset, "created": now_iso()},
        ).scalar_one())

    @staticmethod
    def _insert_frames(conn: Connection, task_id: int, frames: Sequence[FrameInfo]) -> None:
        execute_many(conn, "INSERT INTO frame (task_id, idx, name, path, width, height) VALUES (?, ?, ?, ?, ?, ?)",
                     [(task_id, i, f.name, f.path, f.width, f.height) for i, f in enumerate(frames)])

    def _insert_job(
        self,
        conn: Connection,
        task_id: int,
        job_type: JobType,
        start: int,
        stop: int,
        *,
        frames: Sequence[int] | None = None,
        parent_id: int | None = None,
    ) -> int:
        created = now_iso()
        return int(conn.execute(text(
            "INSERT INTO job (uid, task_id, type, stage, state, start_frame, stop_frame, frames, parent_id, assignee, "
            "revision, created, updated, options) VALUES (:uid, :task_id, :type, 'annotation', 'new', :start, :stop, "
            ":frames, :parent_id, '', 0, :created, :created, '{}') RETURNING id"),
            {"uid": new_uid(), "task_id": task_id, "type": job_type.value, "start": start, "stop": stop,
             "frames": None if frames is None else json.dumps(list(frames)), "parent_id": parent_id,
             "created": created},
        ).scalar_one())

    def create_job(
        self,
        task_id: int,
        job_type: JobType,
        frames: Sequence[int],
        *,
        parent_id: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> JobInfo:
        """Create a job over an explicit frame set (ground truth jobs, replicas, ...)."""
        frames = sorted(set(int(f) for f in frames))
        if not frames:
            raise ProjectError("A job needs at least one frame.")
        size = self.task(task_id).size
        if frames[0] < 0 or frames[-1] >= size:
            raise ProjectError(f"Frames {frames[0]}..{frames[-1]} are outside task {task_id} (0..{size - 1}).")
        with self.transaction() as conn:
            job_id = self._insert_job(conn, task_id, job_type, frames[0], frames[-1], frames=frames,
                                      parent_id=parent_id)
            if options:
                conn.execute(text("UPDATE job SET options = :options WHERE id = :id"),
                             {"options": json.dumps(options), "id": job_id})
        self._notify("jobs")
        return self.job(job_id)

    def delete_job(self, job_id: int) -> None:
        with self.transaction() as conn:
            conn.execute(text("DELETE FROM job WHERE id = :id"), {"id": job_id})
        self._notify("jobs")

    def delete_task(self, task_id: int) -> None:
        with self.transaction() as conn:
            conn.execute(text("DELETE FROM task WHERE id = :id"), {"id": task_id})
        self._notify("tasks")

    _TASK_COLUMNS = (
        "id, name, mode, media_type, video_path, segment_size, overlap, consensus_replicas, subset, created, options, "
        "(SELECT COUNT(*) FROM frame WHERE frame.task_id = task.id)"
    )

    @staticmethod
    def _task_from_row(r: Sequence) -> TaskInfo:
        return TaskInfo(id=r[0], name=r[1], mode=TaskMode(r[2]), media_type=r[3], video_path=r[4],
                        segment_size=r[5], overlap=r[6], consensus_replicas=r[7], subset=r[8], created=r[9],
                        options=json.loads(r[10]), size=r[11])

    def tasks(self) -> list[TaskInfo]:
        return [self._task_from_row(r) for r in
                self.conn.execute(text(f"SELECT {self._TASK_COLUMNS} FROM task ORDER BY id"))]

    def task(self, task: int | str) -> TaskInfo:
        """A task by id, or by name (an int-like string is tried as an id first)."""
        if isinstance(task, str) and task.isdigit():
            task = int(task)
        if isinstance(task, int):
            row = self.conn.execute(text(f"SELECT {self._TASK_COLUMNS} FROM task WHERE id = :v"), {"v": task}).first()
        else:
            row = self.conn.execute(text(f"SELECT {self._TASK_COLUMNS} FROM task WHERE name = :v"), {"v": task}).first()
        if row is None:
            raise ProjectError(f"No task {task!r} in {self.location.name}.")
        return self._task_from_row(row)

    def update_task_options(self, task_id: int, options: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(text("UPDATE task SET options = :options WHERE id = :id"),
                         {"options": json.dumps(options), "id": task_id})
        self._notify("tasks")

    def frames(self, task_id: int) -> list[FrameInfo]:
        return [
            FrameInfo(index=r[0], name=r[1], path=r[2], width=r[3], height=r[4])
            for r in self.conn.execute(
                text("SELECT idx, name, path, width, height FROM frame WHERE task_id = :t ORDER BY idx"), {"t": task_id}
            )
        ]

    def shared_media_root(self) -> str | None:
        """A team project's media root as recorded in its shared settings (``fieldmark create URL --media-root``):
        the path on the workstation that created it, the default for every other one."""
        if self.location.path is not None:
            return None
        return self.settings().get("media_root") or None

    def media_root(self) -> Path:
        """Folder that relative media paths are resolved against: the project file's folder; for a team
        project (PostgreSQL) this workstation's mapping of the media root (``fieldmark team map-media``, kept in
        the local preferences), else the shared ``media_root`` setting, else the file system's root."""
        if self.location.path is not None:
            return self.location.path.resolve().parent
        mapped = app_settings.mapped_media_root(self.location)
        if mapped:
            return Path(mapped)
        root = self.shared_media_root()
        return Path(root) if root else Path(Path.cwd().anchor)

    def has_media_root(self) -> bool:
        """Whether media can be stored relative to a root (always for a file; a team project needs one set)."""
        return self.location.path is not None or bool(
            app_settings.mapped_media_root(self.location) or self.shared_media_root())

    def media_setting(self) -> str:
        """Which setting decides where this project's media are looked for, in words (for a missing frame)."""
        if self.location.path is not None:
            return f"media paths are relative to the project file's folder {self.media_root()}"
        how = (f"Preferences ▸ Media root of this team project, or "
               f"fieldmark team map-media {self.location.display} LOCAL_PATH")
        mapped = app_settings.mapped_media_root(self.location)
        if mapped:
            return f"this workstation maps the team project's media root to {mapped} (setting: {how})"
        shared = self.shared_media_root()
        if shared:
            return (f"the team project's media root is {shared} as recorded at creation, and this workstation has "
                    f"no mapping of its own; if the media are mounted elsewhere here, set it: {how}")
        return f"the team project has no media root (paths are absolute); set one for this workstation: {how}"

    def resolve_media(self, relative: str, root: Path | None = None) -> Path:
        """A stored media path on this workstation; pass ``root`` (``media_root()``) when resolving many."""
        p = Path(relative)
        return p if p.is_absolute() else (root if root is not None else self.media_root()) / p

    # ------------------------------------------------------------ jobs

    _JOB_COLUMNS = (
        "id, task_id, type, stage, state, start_frame, stop_frame, frames, parent_id, assignee, revision, "
        "created, updated, options"
    )

    @staticmethod
    def _job_from_row(r: Sequence) -> JobInfo:
        return JobInfo(id=r[0], task_id=r[1], type=JobType(r[2]), stage=JobStage(r[3]), state=JobState(r[4]),
                       start_frame=r[5], stop_frame=r[6], frames=None if r[7] is None else json.loads(r[7]),
                       parent_id=r[8], assignee=r[9], revision=r[10], created=r[11], updated=r[12],
                       options=json.loads(r[13]))

    def jobs(self, task_id: int | None = None) -> list[JobInfo]:
        if task_id is None:
            cursor = self.conn.execute(text(f"SELECT {self._JOB_COLUMNS} FROM job ORDER BY id"))
        else:
            cursor = self.conn.execute(
                text(f"SELECT {self._JOB_COLUMNS} FROM job WHERE task_id = :t ORDER BY id"), {"t": task_id}
            )
        return [self._job_from_row(r) for r in cursor]

    def job(self, job_id: int | str) -> JobInfo:
        query = text(f"SELECT {self._JOB_COLUMNS} FROM job WHERE id = :id")
        row = self.conn.execute(query, {"id": int(job_id)}).first()
        if row is None:
            raise ProjectError(f"No job {job_id} in {self.location.name}.")
        return self._job_from_row(row)

    def update_job(
        self,
        job_id: int,
        *,
        stage: JobStage | None = None,
        state: JobState | None = None,
        assignee: str | None = None,
        frames: Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> JobInfo:
        params: dict[str, Any] = {}
        for column, value in (("stage", stage), ("state", state), ("assignee", assignee)):
            if value is not None:
                params[column] = str(value)
        if frames is not None:
            frames = list(frames)
            params.update(frames=json.dumps(frames), start_frame=min(frames), stop_frame=max(frames))
        if options is not None:
            params["options"] = json.dumps(options)
        params["updated"] = now_iso()
        sets = ", ".join(f"{column} = :{column}" for column in params)
        with self.transaction() as conn:
            conn.execute(text(f"UPDATE job SET {sets} WHERE id = :job_id"), {**params, "job_id": job_id})
        self._notify("jobs", job_id)
        return self.job(job_id)

