"""The Qt-free API over a project file. The GUI, the CLI, formats, quality and models all use it.

A :class:`Project` holds one SQLite connection. Every public write is its own transaction unless it
runs inside ``with project.transaction():``, which makes any number of writes one atomic commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from app.domain.annotations import Annotations, Shape, Tag, Track
from app.domain.enums import JobStage, JobState, JobType, TaskMode
from app.domain.labels import AttributeSpec, Label, LabelSet, palette_color
from app.domain.project import FrameInfo, JobInfo, TaskInfo
from app.storage import annotation_rows as rows
from app.storage.database import check_is_project, current_revision, head_revision, make_engine, upgrade
from app.storage.errors import ProjectError, ProjectReadOnlyError
from app.storage.locking import ProjectLock

PROJECT_SUFFIX = ".fmproj"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


class Project:
    """An open project file. Use :meth:`create` or :meth:`open`; close it (or use ``with``)."""

    def __init__(self, path: Path, *, read_only: bool) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = ProjectLock(self.path)
        self._conn: Connection | None = None
        self._tx_depth = 0
        self._labels: LabelSet | None = None
        self._listeners: list[Any] = []

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, path: str | Path, name: str = "", labels: Sequence[Label] = ()) -> Project:
        path = Path(path)
        if path.exists():
            raise ProjectError(f"{path} already exists; open it instead.")
        path.parent.mkdir(parents=True, exist_ok=True)
        project = cls(path, read_only=False)
        project._lock.acquire()
        try:
            upgrade(path)
            project._conn = make_engine(path, read_only=False).connect()
            with project.transaction() as conn:
                conn.exec_driver_sql(
                    "INSERT INTO project (id, name, created, settings, quality_settings) VALUES (1, ?, ?, '{}', '{}')",
                    (name or path.stem, now_iso()),
                )
                for label in labels:
                    project._insert_label(conn, label)
        except BaseException:
            project.close()
            path.unlink(missing_ok=True)
            raise
        return project

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Project:
        """Open an existing project, migrating an older schema. Raises ProjectLockedError when in use."""
        path = Path(path)
        check_is_project(path)
        project = cls(path, read_only=read_only)
        if not read_only:
            project._lock.acquire()
        try:
            engine = make_engine(path, read_only=read_only)
            revision = current_revision(engine)
            if revision is None:
                raise ProjectError(f"{path} is an SQLite file but not a Fieldmark project.")
            head = head_revision()
            if revision != head:
                if read_only:
                    raise ProjectError(
                        f"{path} uses an older schema ({revision}); open it once for writing to upgrade it."
                    )
                try:
                    upgrade(path)
                except Exception as exc:  # noqa: BLE001 - unknown revision from a newer Fieldmark
                    raise ProjectError(
                        f"{path} was written by a newer Fieldmark (schema {revision}); update Fieldmark to open it."
                    ) from exc
            project._conn = engine.connect()
        except BaseException:
            project.close()
            raise
        return project

    def close(self) -> None:
        if self._conn is not None:
            engine = self._conn.engine
            self._conn.close()
            engine.dispose()
            self._conn = None
        self._lock.release()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise ProjectError("The project is closed.")
        return self._conn

    # ------------------------------------------------------------ transactions and change events

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic commit for everything inside; nested uses join the outer transaction."""
        if self.read_only:
            raise ProjectReadOnlyError(f"{self.path.name} is open read-only.")
        conn = self.conn
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield conn
            finally:
                self._tx_depth -= 1
            return
        self._tx_depth = 1
        if conn.in_transaction():
            # Reads autobegin SQLAlchemy's bookkeeping transaction; the driver holds nothing open for them.
            conn.commit()
        try:
            with conn.begin():
                yield conn
        except BaseException:
            self._labels = None
            raise
        finally:
            self._tx_depth = 0

    def add_listener(self, callback: Any) -> None:
        """``callback(kind: str, job_id: int | None)`` after each committed change (kind: annotations, labels, jobs, tasks)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Any) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self, kind: str, job_id: int | None = None) -> None:
        for callback in list(self._listeners):
            callback(kind, job_id)

    # ------------------------------------------------------------ project record and settings

    def _project_row(self) -> Sequence:
        row = self.conn.exec_driver_sql("SELECT name, created, settings, quality_settings FROM project").first()
        if row is None:
            raise ProjectError(f"{self.path} has no project record.")
        return row

    @property
    def name(self) -> str:
        return str(self._project_row()[0])

    def rename(self, name: str) -> None:
        with self.transaction() as conn:
            conn.exec_driver_sql("UPDATE project SET name = ?", (name,))

    def settings(self) -> dict[str, Any]:
        return json.loads(self._project_row()[2])

    def set_settings(self, values: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.exec_driver_sql("UPDATE project SET settings = ?", (json.dumps(values),))

    def quality_settings(self, task_id: int | None = None) -> dict[str, Any]:
        """Raw stored quality settings: the task's own when it has them, else the project's."""
        if task_id is not None:
            row = self.conn.exec_driver_sql("SELECT quality_settings FROM task WHERE id = ?", (task_id,)).first()
            if row and row[0]:
                return json.loads(row[0])
        return json.loads(self._project_row()[3])

    def set_quality_settings(self, values: dict[str, Any] | None, task_id: int | None = None) -> None:
        """Store settings for the project, or for a task (``None`` makes the task inherit again)."""
        with self.transaction() as conn:
            if task_id is None:
                conn.exec_driver_sql("UPDATE project SET quality_settings = ?", (json.dumps(values or {}),))
            else:
                conn.exec_driver_sql(
                    "UPDATE task SET quality_settings = ? WHERE id = ?",
                    (None if values is None else json.dumps(values), task_id),
                )
        self._notify("settings")

    # ------------------------------------------------------------ labels

    def labels(self) -> LabelSet:
        if self._labels is None:
            self._labels = self._load_labels()
        return self._labels

    def _load_labels(self) -> LabelSet:
        conn = self.conn
        attrs: dict[int, list[AttributeSpec]] = {}
        for r in conn.exec_driver_sql(
            'SELECT id, label_id, name, input_type, mutable, "values", default_value FROM attribute_spec '
            "ORDER BY position, id"
        ):
            attrs.setdefault(r[1], []).append(
                AttributeSpec(id=r[0], name=r[2], input_type=r[3], mutable=bool(r[4]), values=json.loads(r[5]),
                              default_value=r[6])
            )
        labels: dict[int, Label] = {}
        tops: list[Label] = []
        children: list[Label] = []
        for r in conn.exec_driver_sql(
            "SELECT id, name, color, type, parent_id, edges FROM label ORDER BY position, id"
        ):
            label = Label(id=r[0], name=r[1], color=r[2], type=r[3], parent_id=r[4],
                          edges=[tuple(e) for e in json.loads(r[5])], attributes=attrs.get(r[0], []))
            labels[label.id] = label  # type: ignore[index]
            (tops if r[4] is None else children).append(label)
        for child in children:
            labels[child.parent_id].sublabels.append(child)  # type: ignore[index]
        return LabelSet(tops)

    def _insert_label(self, conn: Connection, label: Label, parent_id: int | None = None, position: int = -1) -> Label:
        if position < 0:
            position = int(conn.exec_driver_sql("SELECT COUNT(*) FROM label").scalar_one())
        if not label.color:
            label.color = palette_color(position)
        result = conn.exec_driver_sql(
            "INSERT INTO label (name, color, type, parent_id, position, edges) VALUES (?, ?, ?, ?, ?, ?)",
            (label.name, label.color, label.type.value, parent_id, position,
             json.dumps([list(e) for e in label.edges])),
        )
        label.id = int(result.lastrowid)
        label.parent_id = parent_id
        self._insert_attributes(conn, label)
        for i, sub in enumerate(label.sublabels):
            self._insert_label(conn, sub, parent_id=label.id, position=i)
        self._labels = None
        return label

    def _insert_attributes(self, conn: Connection, label: Label) -> None:
        for i, spec in enumerate(label.attributes):
            result = conn.exec_driver_sql(
                'INSERT INTO attribute_spec (label_id, name, input_type, mutable, "values", default_value, position) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (label.id, spec.name, spec.input_type.value, spec.mutable, json.dumps(spec.values),
                 spec.default_value, i),
            )
            spec.id = int(result.lastrowid)

    def add_label(self, label: Label) -> Label:
        """Add a label (with attributes and, for skeletons, sublabels); names must be unique."""
        if self.labels().by_name(label.name) is not None:
            raise ProjectError(f"A label named {label.name!r} already exists.")
        with self.transaction() as conn:
            self._insert_label(conn, label)
        self._notify("labels")
        return label

    def update_label(self, label: Label) -> None:
        """Update name, colour, type, edges and attributes. Attributes keep their ids when kept; new ones get ids."""
        if label.id is None:
            raise ProjectError("Cannot update a label that was never added.")
        clash = self.labels().by_name(label.name)
        if clash is not None and clash.id != label.id:
            raise ProjectError(f"A label named {label.name!r} already exists.")
        with self.transaction() as conn:
            conn.exec_driver_sql(
                "UPDATE label SET name = ?, color = ?, type = ?, edges = ? WHERE id = ?",
                (label.name, label.color, label.type.value, json.dumps([list(e) for e in label.edges]), label.id),
            )
            keep = [a.id for a in label.attributes if a.id is not None]
            marks = ",".join("?" for _ in keep) or "NULL"
            conn.exec_driver_sql(
                f"DELETE FROM attribute_spec WHERE label_id = ? AND id NOT IN ({marks})", (label.id, *keep)
            )
            for i, spec in enumerate(label.attributes):
                if spec.id is None:
                    result = conn.exec_driver_sql(
                        'INSERT INTO attribute_spec (label_id, name, input_type, mutable, "values", default_value, '
                        "position) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (label.id, spec.name, spec.input_type.value, spec.mutable, json.dumps(spec.values),
                         spec.default_value, i),
                    )
                    spec.id = int(result.lastrowid)
                else:
                    conn.exec_driver_sql(
                        'UPDATE attribute_spec SET name = ?, input_type = ?, mutable = ?, "values" = ?, '
                        "default_value = ?, position = ? WHERE id = ?",
                        (spec.name, spec.input_type.value, spec.mutable, json.dumps(spec.values),
                         spec.default_value, i, spec.id),
                    )
            existing_subs = {s.id for s in self.labels().by_id(label.id).sublabels}
            for i, sub in enumerate(label.sublabels):
                if sub.id is None:
                    self._insert_label(conn, sub, parent_id=label.id, position=i)
                else:
                    existing_subs.discard(sub.id)
                    conn.exec_driver_sql(
                        "UPDATE label SET name = ?, color = ?, position = ? WHERE id = ?",
                        (sub.name, sub.color, i, sub.id),
                    )
            for stale in existing_subs:
                conn.exec_driver_sql("DELETE FROM label WHERE id = ?", (stale,))
            self._labels = None
        self._notify("labels")

    def delete_label(self, label_id: int) -> None:
        """Delete a label and every annotation that uses it (or its sublabels)."""
        ids = [label_id] + [s.id for s in self.labels().by_id(label_id).sublabels]
        with self.transaction() as conn:
            for lid in ids:
                for table in ("shape", "track", "tag"):
                    conn.exec_driver_sql(f"DELETE FROM {table} WHERE label_id = ?", (lid,))
            conn.exec_driver_sql("DELETE FROM label WHERE id = ?", (label_id,))
            conn.exec_driver_sql("UPDATE job SET revision = revision + 1")
            self._labels = None
        self._notify("labels")

    # ------------------------------------------------------------ tasks and frames

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
        created = now_iso()
        with self.transaction() as conn:
            result = conn.exec_driver_sql(
                "INSERT INTO task (name, mode, media_type, video_path, segment_size, overlap, consensus_replicas, "
                "subset, created, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
                (name, str(mode), media_type, video_path, segment_size, overlap, consensus_replicas, subset, created),
            )
            task_id = int(result.lastrowid)
            conn.exec_driver_sql(
                "INSERT INTO frame (task_id, idx, name, path, width, height) VALUES (?, ?, ?, ?, ?, ?)",
                [(task_id, i, f.name, f.path, f.width, f.height) for i, f in enumerate(frames)],
            )
            for start, stop in segment_ranges(len(frames), segment_size, overlap):
                parent = self._insert_job(conn, task_id, JobType.ANNOTATION, start, stop)
                for _ in range(consensus_replicas):
                    self._insert_job(conn, task_id, JobType.CONSENSUS_REPLICA, start, stop, parent_id=parent)
        self._notify("tasks")
        return self.task(task_id)

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
        result = conn.exec_driver_sql(
            "INSERT INTO job (task_id, type, stage, state, start_frame, stop_frame, frames, parent_id, assignee, "
            "revision, created, updated, options) VALUES (?, ?, 'annotation', 'new', ?, ?, ?, ?, '', 0, ?, ?, '{}')",
            (task_id, job_type.value, start, stop, None if frames is None else json.dumps(list(frames)),
             parent_id, created, created),
        )
        return int(result.lastrowid)

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
                conn.exec_driver_sql("UPDATE job SET options = ? WHERE id = ?", (json.dumps(options), job_id))
        self._notify("jobs")
        return self.job(job_id)

    def delete_job(self, job_id: int) -> None:
        with self.transaction() as conn:
            conn.exec_driver_sql("DELETE FROM job WHERE id = ?", (job_id,))
        self._notify("jobs")

    def delete_task(self, task_id: int) -> None:
        with self.transaction() as conn:
            conn.exec_driver_sql("DELETE FROM task WHERE id = ?", (task_id,))
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
                self.conn.exec_driver_sql(f"SELECT {self._TASK_COLUMNS} FROM task ORDER BY id")]

    def task(self, task: int | str) -> TaskInfo:
        """A task by id, or by name (an int-like string is tried as an id first)."""
        if isinstance(task, str) and task.isdigit():
            task = int(task)
        if isinstance(task, int):
            row = self.conn.exec_driver_sql(f"SELECT {self._TASK_COLUMNS} FROM task WHERE id = ?", (task,)).first()
        else:
            row = self.conn.exec_driver_sql(f"SELECT {self._TASK_COLUMNS} FROM task WHERE name = ?", (task,)).first()
        if row is None:
            raise ProjectError(f"No task {task!r} in {self.path.name}.")
        return self._task_from_row(row)

    def update_task_options(self, task_id: int, options: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.exec_driver_sql("UPDATE task SET options = ? WHERE id = ?", (json.dumps(options), task_id))
        self._notify("tasks")

    def frames(self, task_id: int) -> list[FrameInfo]:
        return [
            FrameInfo(index=r[0], name=r[1], path=r[2], width=r[3], height=r[4])
            for r in self.conn.exec_driver_sql(
                "SELECT idx, name, path, width, height FROM frame WHERE task_id = ? ORDER BY idx", (task_id,)
            )
        ]

    def media_root(self) -> Path:
        """Folder that relative media paths are resolved against (the project file's folder)."""
        return self.path.resolve().parent

    def resolve_media(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.media_root() / p

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
            cursor = self.conn.exec_driver_sql(f"SELECT {self._JOB_COLUMNS} FROM job ORDER BY id")
        else:
            cursor = self.conn.exec_driver_sql(
                f"SELECT {self._JOB_COLUMNS} FROM job WHERE task_id = ? ORDER BY id", (task_id,)
            )
        return [self._job_from_row(r) for r in cursor]

    def job(self, job_id: int | str) -> JobInfo:
        row = self.conn.exec_driver_sql(f"SELECT {self._JOB_COLUMNS} FROM job WHERE id = ?", (int(job_id),)).first()
        if row is None:
            raise ProjectError(f"No job {job_id} in {self.path.name}.")
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
        sets: list[str] = []
        params: list[Any] = []
        for column, value in (("stage", stage), ("state", state), ("assignee", assignee)):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(str(value))
        if frames is not None:
            frames = list(frames)
            sets += ["frames = ?", "start_frame = ?", "stop_frame = ?"]
            params += [json.dumps(frames), min(frames), max(frames)]
        if options is not None:
            sets.append("options = ?")
            params.append(json.dumps(options))
        sets.append("updated = ?")
        params.append(now_iso())
        with self.transaction() as conn:
            conn.exec_driver_sql(f"UPDATE job SET {', '.join(sets)} WHERE id = ?", (*params, job_id))
        self._notify("jobs", job_id)
        return self.job(job_id)

    # ------------------------------------------------------------ annotations

    def _touch(self, conn: Connection, job_id: int) -> None:
        conn.exec_driver_sql(
            "UPDATE job SET revision = revision + 1, updated = ?, "
            "state = CASE WHEN state = 'new' THEN 'in progress' ELSE state END WHERE id = ?",
            (now_iso(), job_id),
        )

    def annotations(self, job_id: int) -> Annotations:
        """Every shape, track and tag of a job."""
        return rows.select_annotations(self.conn, job_id)

    def frame_shapes(self, job_id: int, frame: int) -> list[Shape]:
        """The plain shapes of one frame (tracks are per job: see :meth:`tracks`)."""
        return rows.select_shapes(self.conn, job_id, frame)

    def frame_tags(self, job_id: int, frame: int) -> list[Tag]:
        return rows.select_tags(self.conn, job_id, frame)

    def tracks(self, job_id: int, track_ids: Sequence[int] | None = None) -> list[Track]:
        return rows.select_tracks(self.conn, job_id, track_ids)

    def add_annotations(self, job_id: int, annotations: Annotations) -> Annotations:
        """Insert shapes, tracks and tags (ids are set on the objects) in one transaction."""
        with self.transaction() as conn:
            rows.insert_shapes(conn, job_id, annotations.shapes)
            rows.insert_tracks(conn, job_id, annotations.tracks)
            rows.insert_tags(conn, job_id, annotations.tags)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return annotations

    def add_shapes(self, job_id: int, shapes: Sequence[Shape]) -> list[int]:
        with self.transaction() as conn:
            ids = rows.insert_shapes(conn, job_id, shapes)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return ids

    def add_tracks(self, job_id: int, tracks: Sequence[Track]) -> list[int]:
        with self.transaction() as conn:
            ids = rows.insert_tracks(conn, job_id, tracks)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return ids

    def add_tags(self, job_id: int, tags: Sequence[Tag]) -> list[int]:
        with self.transaction() as conn:
            ids = rows.insert_tags(conn, job_id, tags)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return ids

    def delete_annotations(
        self, job_id: int, *, shape_ids: Sequence[int] = (), track_ids: Sequence[int] = (), tag_ids: Sequence[int] = ()
    ) -> None:
        with self.transaction() as conn:
            rows.delete_rows(conn, "shape", shape_ids)
            rows.delete_rows(conn, "track", track_ids)
            rows.delete_rows(conn, "tag", tag_ids)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)

    def replace_annotations(
        self,
        job_id: int,
        *,
        remove_shapes: Sequence[int] = (),
        remove_tracks: Sequence[int] = (),
        remove_tags: Sequence[int] = (),
        add: Annotations | None = None,
        keep_ids: bool = True,
    ) -> Annotations:
        """Remove the given rows and insert ``add``, atomically. With ``keep_ids`` objects that carry an
        id are re-inserted under that same id (this is how an edit or an undo restores an object)."""
        add = add or Annotations()
        with self.transaction() as conn:
            rows.delete_rows(conn, "shape", remove_shapes)
            rows.delete_rows(conn, "track", remove_tracks)
            rows.delete_rows(conn, "tag", remove_tags)
            rows.insert_shapes(conn, job_id, add.shapes, keep_ids=keep_ids)
            rows.insert_tracks(conn, job_id, add.tracks, keep_ids=keep_ids)
            rows.insert_tags(conn, job_id, add.tags, keep_ids=keep_ids)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)
        return add

    def clear_annotations(self, job_id: int, frames: Sequence[int] | None = None) -> None:
        """Delete all annotations of a job, or the shapes and tags of some frames."""
        with self.transaction() as conn:
            rows.clear_job(conn, job_id, frames)
            self._touch(conn, job_id)
        self._notify("annotations", job_id)

    def counts(self, job_id: int | None = None, task_id: int | None = None) -> dict[str, Any]:
        """Annotation counts per kind, per shape type and per label name, for a job, a task or the project."""
        where, params = "", ()
        if job_id is not None:
            where, params = "WHERE job_id = ?", (job_id,)
        elif task_id is not None:
            where, params = "WHERE job_id IN (SELECT id FROM job WHERE task_id = ?)", (task_id,)
        labels = self.labels()

        def name(label_id: int) -> str:
            label = labels.get(label_id)
            return label.name if label is not None else f"#{label_id}"

        conn = self.conn
        by_type: dict[str, int] = {}
        by_label: dict[str, int] = {}
        top = f"{where} {'AND' if where else 'WHERE'} parent_id IS NULL"
        for shape_type, label_id, n in conn.exec_driver_sql(
            f"SELECT type, label_id, COUNT(*) FROM shape {top} GROUP BY type, label_id", params
        ):
            by_type[shape_type] = by_type.get(shape_type, 0) + n
            by_label[name(label_id)] = by_label.get(name(label_id), 0) + n
        shapes = sum(by_type.values())
        tracks = 0
        track_types: dict[str, int] = {}
        for label_id, first_type, n in conn.exec_driver_sql(
            "SELECT label_id, (SELECT type FROM track_shape WHERE track_id = track.id ORDER BY frame LIMIT 1), "
            f"COUNT(*) FROM track {top} GROUP BY label_id, 2", params
        ):
            tracks += n
            track_types[first_type or "unknown"] = track_types.get(first_type or "unknown", 0) + n
            by_label[name(label_id)] = by_label.get(name(label_id), 0) + n
        tags = 0
        for label_id, n in conn.exec_driver_sql(f"SELECT label_id, COUNT(*) FROM tag {where} GROUP BY label_id", params):
            tags += n
            by_label[name(label_id)] = by_label.get(name(label_id), 0) + n
        if tags:
            by_type["tag"] = tags
        return {"shapes": shapes, "tracks": tracks, "tags": tags, "by_type": by_type, "track_types": track_types,
                "by_label": by_label}
