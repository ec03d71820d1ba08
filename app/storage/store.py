"""The Qt-free API over a project file. The GUI, the CLI, formats, quality and models all use it.

The class is composed of parts kept in their own modules: labels (store_labels), tasks and jobs
(store_tasks), annotations (store_annotations) and auto-annotation runs (store_runs); this module
has the file's life cycle, transactions, change events and the project record.

A :class:`Project` holds one SQLite connection. Every public write is its own transaction unless it
runs inside ``with project.transaction():``, which makes any number of writes one atomic commit.

The thread rule is in the :class:`Project` docstring (and docs/foundation.md).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from app.core.events import Dispatcher, Event
from app.domain.labels import Label, LabelSet
from app.storage.database import check_is_project, current_revision, head_revision, make_engine, upgrade
from app.storage.errors import ProjectError, ProjectReadOnlyError
from app.storage.locking import ProjectLock
from app.storage.store_annotations import AnnotationsMixin
from app.storage.store_labels import LabelsMixin
from app.storage.store_runs import RunsMixin
from app.storage.store_tasks import TasksMixin, segment_ranges
from app.storage.timeutil import now_iso

PROJECT_SUFFIX = ".fmproj"

__all__ = ["PROJECT_SUFFIX", "Project", "StoreChange", "now_iso", "segment_ranges"]


@dataclass(frozen=True)
class StoreChange:
    """One committed change. ``kind``: annotations, labels, jobs, tasks, settings; ``job_id`` when it
    concerns one job; ``origin``: the opaque token the writer passed (e.g. an undo stack), None = unknown."""

    kind: str
    job_id: int | None = None
    origin: object = None


class Project(LabelsMixin, TasksMixin, AnnotationsMixin, RunsMixin):
    """An open project file. Use :meth:`create` or :meth:`open`; close it (or use ``with``).

    Thread rule:

    - A handle and its connection belong to the thread that opened it; no other thread uses it.
    - Background work opens its own handle: :meth:`open` ``(read_only=True)`` for readers; a writer in
      the same process opens :meth:`open_writer` on the handle that holds the write lock (the lock is an
      OS file lock per open file, so a second :meth:`open` would be refused by our own lock; the
      writer handle shares the owner's lock and change event instead). SQLite WAL lets readers run
      beside the writer and ``busy_timeout`` serialises writers.
    - Writes are whole transactions (each public write, or ``with project.transaction():``).
    - :attr:`changed` (an :class:`app.core.events.Event` of :class:`StoreChange`) tells each listener
      on the thread it asked for: ``changed.connect(listener, dispatcher)``. :meth:`add_listener`
      listeners belong to the owner's thread: a change written on another thread reaches them
      through :attr:`dispatcher` (the Qt layer sets one that posts to the GUI thread), so an
      :meth:`open_writer` handle's commits reach the GUI's listeners on the GUI thread.
    - Write inside :meth:`writes_as` ``(origin)`` so listeners can tell your own edits from others'.
    """

    def __init__(self, path: Path, *, read_only: bool) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._lock = ProjectLock(self.path)
        self._conn: Connection | None = None
        self._tx_depth = 0
        self._labels: LabelSet | None = None
        self.changed: Event[StoreChange] = Event("project changed")
        self.dispatcher: Dispatcher | None = None
        self._owner = threading.get_ident()
        self._adapters: dict[Callable[[str, int | None], None], Callable[[StoreChange], None]] = {}
        self._origin: object = None
        self._parent: Project | None = None

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

    def open_writer(self) -> Project:
        """A writable handle for a background writer in this process (open it on the writer's thread).

        It shares this handle's write lock and :attr:`changed` event; close it before this one."""
        if self.read_only:
            raise ProjectReadOnlyError(f"{self.path.name} is open read-only.")
        writer = type(self)(self.path, read_only=False)
        writer._lock = _SharedLock()
        writer.changed = self.changed
        writer._parent = self
        writer._conn = make_engine(self.path, read_only=False).connect()
        return writer

    def close(self) -> None:
        if self._parent is not None:
            self._parent._labels = None  # labels the writer may have added
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

    def on_owner_thread(self, fn: Callable[[], None]) -> None:
        """The dispatcher of this handle's thread (its owner's, for an :meth:`open_writer` handle):
        ``fn`` runs at once there, else through :attr:`dispatcher` (at once when none is set)."""
        owner = self._parent or self
        if threading.get_ident() == owner._owner or owner.dispatcher is None:
            fn()
        else:
            owner.dispatcher(fn)

    def add_listener(self, callback: Callable[[str, int | None], None]) -> None:
        """``callback(kind, job_id)`` after each committed change, on the thread that opened this handle
        (the short form of ``changed.connect(listener, project.on_owner_thread)``)."""

        def adapter(change: StoreChange) -> None:
            callback(change.kind, change.job_id)

        self._adapters[callback] = adapter
        self.changed.connect(adapter, self.on_owner_thread)

    def remove_listener(self, callback: Callable[[str, int | None], None]) -> None:
        adapter = self._adapters.pop(callback, None)
        if adapter is not None:
            self.changed.disconnect(adapter)

    @contextmanager
    def writes_as(self, origin: object) -> Iterator[None]:
        """Changes committed inside carry ``origin`` (e.g. the undo stack doing them)."""
        previous, self._origin = self._origin, origin
        try:
            yield
        finally:
            self._origin = previous

    def _notify(self, kind: str, job_id: int | None = None) -> None:
        if kind == "labels" and self._parent is not None:
            self._parent._labels = None  # the owner's label cache is stale after a writer handle's change
        self.changed.emit(StoreChange(kind, job_id, self._origin))

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



class _SharedLock:
    """The write lock of a :meth:`Project.open_writer` handle: held by its owner handle."""

    def acquire(self) -> None:
        return None

    def release(self) -> None:
        return None
