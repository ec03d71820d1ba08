"""The Qt-free API over a project (an SQLite file or a PostgreSQL database). The GUI, the CLI, formats,
quality and models all use it.

The class is composed of parts kept in their own modules: labels (store_labels), tasks and jobs
(store_tasks), annotations (store_annotations) and auto-annotation runs (store_runs); this module
has the file's life cycle, transactions, change events and the project record.

A :class:`Project` holds one database connection. Every public write is its own transaction unless it
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

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from app.core.events import Dispatcher, Event
from app.domain.labels import Label, LabelSet
from app.storage.database import (
    begin_write,
    check_is_project,
    connect,
    current_revision,
    damaged_message,
    head_revision,
    make_engine,
    read_only_reason,
    upgrade,
)
from app.storage.errors import ConnectionLostError, ProjectError, ProjectReadOnlyError
from app.storage.fastsql import bulk_cache, indexes_deferred, unshared_journal
from app.storage.live import REMOTE, ChangeWatcher, RemoteChange, notify_statement
from app.storage.location import Location, parse_location
from app.storage.locking import ProjectLock
from app.storage.pg_connect import is_connection_lost, lost_message
from app.storage.project_checks import check_media_root, check_schema, discard, ensure_empty_database
from app.storage.store_annotations import AnnotationsMixin
from app.storage.store_labels import LabelsMixin
from app.storage.store_leases import LeasesMixin, new_token
from app.storage.store_runs import RunsMixin
from app.storage.store_tasks import TasksMixin, segment_ranges
from app.storage.timeutil import now_iso

PROJECT_SUFFIX = ".fmproj"

__all__ = ["PROJECT_SUFFIX", "REMOTE", "Project", "StoreChange", "now_iso", "segment_ranges"]


@dataclass(frozen=True)
class StoreChange:
    """One committed change. ``kind``: annotations, labels, jobs, tasks, settings; ``job_id`` when it
    concerns one job; ``origin``: the opaque token the writer passed (e.g. an undo stack), None = unknown,
    :data:`~app.storage.live.REMOTE` = another client (another process or workstation; see :meth:`Project.watch`)."""

    kind: str
    job_id: int | None = None
    origin: object = None


class Project(LabelsMixin, TasksMixin, AnnotationsMixin, LeasesMixin, RunsMixin):
    """An open project: an SQLite file or a PostgreSQL database (a team project). Use :meth:`create`
    or :meth:`open` with a path or a ``postgresql://user@host:port/dbname`` URL; close it (or use ``with``).

    An SQLite project has one writer, enforced by an OS lock on ``<file>.lock``. A team project has
    many writers: row ids come from the tables' sequences, each write is one transaction, schema
    upgrades take an advisory lock, and the unit of exclusive work is the job.

    Thread rule (the same on both engines):

    - A handle and its connection belong to the thread that opened it; no other thread uses it.
    - Background work opens its own handle: :meth:`open` ``(read_only=True)`` for readers; a writer in
      the same process opens :meth:`open_writer` on the handle that holds the write lock (for a file,
      the lock is an OS file lock per open file, so a second :meth:`open` would be refused by our own
      lock; the writer handle shares the owner's lock and change event instead). SQLite WAL lets
      readers run beside the writer and ``busy_timeout`` serialises writers; PostgreSQL runs them as
      concurrent transactions.
    - Writes are whole transactions (each public write, or ``with project.transaction():``).
    - :attr:`changed` (an :class:`app.core.events.Event` of :class:`StoreChange`) tells each listener
      on the thread it asked for: ``changed.connect(listener, dispatcher)``. :meth:`add_listener`
      listeners belong to the owner's thread: a change written on another thread reaches them
      through :attr:`dispatcher` (the Qt layer sets one that posts to the GUI thread), so an
      :meth:`open_writer` handle's commits reach the GUI's listeners on the GUI thread.
    - Write inside :meth:`writes_as` ``(origin)`` so listeners can tell your own edits from others'.
    - :meth:`watch` makes other clients' commits (another process, another workstation) reach
      :attr:`changed` too, with origin :data:`REMOTE`, on the owner's thread (it needs a dispatcher).

    A team project's connection can break (server restarted, network gone): the write in flight is
    rolled back by the server and refused with :class:`ConnectionLostError`, and so is the read in flight
    (every statement, through SQLAlchemy or the driver: see :mod:`app.storage.pg_connect`); the handle
    reconnects at its next use (:attr:`conn`).
    """

    def __init__(self, location: Location, *, read_only: bool) -> None:
        self.location = location
        self.path: Path | None = location.path  # None for a team project
        self.read_only = read_only
        self._lock = ProjectLock(location.path) if location.path is not None else None
        self._conn: Connection | None = None
        self._tx_depth = 0
        self._labels: LabelSet | None = None
        self.changed: Event[StoreChange] = Event("project changed")
        self.dispatcher: Dispatcher | None = None
        self._owner = threading.get_ident()
        self._adapters: dict[Callable[[str, int | None], None], Callable[[StoreChange], None]] = {}
        self._origin: object = None
        self._parent: Project | None = None
        self._job_versions: dict[int, int] = {}  # job id -> version this handle last saw (track_job)
        self._job_written: dict[int, int] = {}  # job id -> version this process's last write of it made
        self._watcher: ChangeWatcher | None = None
        self._lost = False  # the server connection broke: reconnect at the next use
        self._lease_token = new_token()  # this handle's identity in job leases
        self._lease_ttl: dict[int, float] = {}  # leases this handle holds -> their time to live
        # One writer at a time per process: an owner and its open_writer handles share this lock and the
        # job versions, so a background run's batches never make the owner's next edit look stale.
        self._write_mutex = threading.RLock()
        #: Why a project asked for writing was opened read-only (a read-only file, folder or drive); "" if not.
        self.read_only_reason = ""

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, target: str | Path | Location, name: str = "", labels: Sequence[Label] = (), *,
               media_root: str | Path | None = None) -> Project:
        """Create a project file, or the schema of a team project in an empty PostgreSQL database.

        ``media_root`` (team projects only: ``fieldmark create URL --media-root``, the New team project
        dialog's shared media folder) is the existing folder the project's media paths are relative to; it
        is checked before anything is created and recorded in the project's ``media_root`` setting."""
        location = parse_location(target)
        root = check_media_root(location, media_root)
        if location.is_postgres:
            ensure_empty_database(location)
        else:
            path = location.path
            assert path is not None
            if path.exists():
                raise ProjectError(f"{path} already exists; open it instead.")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProjectError(f"Cannot create {path}: {exc.strerror or exc}.") from exc
        project = cls(location, read_only=False)
        if project._lock is not None:
            try:
                project._lock.acquire()
            except OSError as exc:  # a read-only folder or drive: the lock file cannot be made
                raise ProjectError(f"Cannot create {location.path}: {exc.strerror or exc}.") from exc
        try:
            upgrade(location)
            project._conn = connect(make_engine(location, read_only=False), location)
            with project.transaction() as conn:
                conn.execute(
                    text("INSERT INTO project (id, name, created, settings, quality_settings) "
                         "VALUES (1, :name, :created, :settings, '{}')"),
                    {"name": name or location.stem, "created": now_iso(),
                     "settings": json.dumps({"media_root": root} if root is not None else {})},
                )
                for label in labels:
                    project._insert_label(conn, label)
        except BaseException:
            project.close()
            discard(location)
            raise
        return project

    @classmethod
    def open(cls, target: str | Path | Location, *, read_only: bool = False) -> Project:
        """Open an existing project, migrating an older schema. Raises ProjectLockedError when in use."""
        location = parse_location(target)
        reason = ""
        if location.path is not None:
            check_is_project(location.path)
            reason = read_only_reason(location.path) if not read_only else ""
            read_only = read_only or bool(reason)
        project = cls(location, read_only=read_only)
        project.read_only_reason = reason
        if project._lock is not None and not read_only:
            project._lock.acquire()
        try:
            engine = make_engine(location, read_only=read_only, immutable=bool(reason))
            conn = connect(engine, location)
            check_schema(conn, location, read_only=read_only)
            if current_revision(conn) != head_revision():
                conn.close()
                upgrade(location)
                conn = connect(engine, location)
            project._conn = conn
            project.settings()  # a damaged file or record fails here, with one message, not on first use
        except DBAPIError as exc:
            project.close()
            if location.is_postgres:
                raise
            raise ProjectError(damaged_message(location.display, exc)) from exc
        except BaseException:
            project.close()
            raise
        return project

    def adopt(self) -> Project:
        """Make the calling thread this handle's owner. Connecting to a server can take seconds, so the GUI
        opens a team project on a worker thread and its GUI thread adopts the handle once it is open; the
        worker must not use it afterwards (its thread rule moves with it). PostgreSQL handles only: an
        SQLite connection stays on the thread that opened it, and opening a file is quick."""
        if not self.location.is_postgres or self._parent is not None:
            raise ProjectError("Only a team project's own handle can move to another thread.")
        self._owner = threading.get_ident()
        return self

    def open_writer(self) -> Project:
        """A writable handle for a background writer in this process (open it on the writer's thread).

        It shares this handle's write lock and :attr:`changed` event; close it before this one."""
        if self.read_only:
            raise ProjectReadOnlyError(f"{self.location.name} is open read-only.")
        writer = type(self)(self.location, read_only=False)
        writer._lock = _SharedLock()
        writer.changed = self.changed
        writer._parent = self
        writer._lease_token = self._lease_token  # the same holder of the job leases as its owner
        writer._job_versions = self._job_versions  # and the versions this process last saw
        writer._job_written = self._job_written
        writer._write_mutex = self._write_mutex
        writer._conn = connect(make_engine(self.location, read_only=False), self.location)
        return writer

    def close(self) -> None:
        self.stop_watching()
        if self._parent is not None:
            self._parent._labels = None  # labels the writer may have added
        if self._conn is not None:
            engine = self._conn.engine
            self._conn.close()
            engine.dispose()
            self._conn = None
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def conn(self) -> Connection:
        """The handle's connection. One that broke (a statement found it lost: SQLAlchemy's hook or
        :mod:`app.storage.fastsql` invalidated it and raised :class:`ConnectionLostError`) is replaced here,
        so the next read or write after the error reconnects; never in the middle of a transaction."""
        if self._conn is not None and self._conn.invalidated:
            if self._tx_depth:
                raise ConnectionLostError(f"The connection to {self.location.display} was lost in the middle of "
                                          "a change; nothing of it was written.")
            self._drop_connection()
        if self._conn is None:
            if self._lost:
                self._reconnect()
                assert self._conn is not None
                return self._conn
            raise ProjectError("The project is closed.")
        return self._conn

    def _drop_connection(self) -> None:
        """The server connection broke: forget it; the next use reconnects (:meth:`_reconnect`)."""
        conn, self._conn = self._conn, None
        self._lost = True
        if conn is not None:
            engine = conn.engine
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: BLE001, S110 - a dead connection may fail to close; it is gone either way
                pass
            engine.dispose()

    def _reconnect(self) -> None:
        try:
            self._conn = connect(make_engine(self.location, read_only=self.read_only), self.location)
        except ProjectError as exc:
            raise ConnectionLostError(f"{exc} Nothing was written.") from exc
        self._lost = False
        self._labels = None

    def _lost_message(self, exc: BaseException) -> str:
        return lost_message(self.location, exc, "nothing of this change was written")

    # ------------------------------------------------------------ transactions and change events

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic commit for everything inside; nested uses join the outer transaction."""
        if self.read_only:
            why = f" ({self.read_only_reason}); nothing was saved" if self.read_only_reason else ""
            raise ProjectReadOnlyError(f"{self.location.name} is open read-only{why}.")
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
        self._write_mutex.acquire()
        versions = dict(self._job_versions), dict(self._job_written)
        try:
            with conn.begin():
                begin_write(conn)
                yield conn
        except Exception as exc:
            self._labels = None
            self._restore_versions(versions)
            if self.location.is_postgres and is_connection_lost(exc):
                self._drop_connection()
                raise ConnectionLostError(self._lost_message(exc)) from exc
            # Through SQLAlchemy (DBAPIError.orig) or straight from the driver (the hot paths).
            orig = exc.orig if isinstance(exc, DBAPIError) else exc
            if getattr(orig, "sqlstate", None) in ("42501", "25006"):  # no privilege / read-only transaction
                detail = str(orig).strip().splitlines()[0]
                raise ProjectReadOnlyError(f"The server refused this change ({detail}); nothing was saved.") from exc
            raise
        except BaseException:
            self._labels = None
            self._restore_versions(versions)  # the rolled-back bumps never happened
            raise
        finally:
            self._tx_depth = 0
            self._write_mutex.release()

    @contextmanager
    def bulk_load(self) -> Iterator[Connection]:
        """A transaction for loading many annotations into a project that no one else has open yet (one being
        created by an import): the annotation tables' indexes are built once at the end instead of per row."""
        with unshared_journal(self.conn), self.transaction() as conn, \
                indexes_deferred(conn, ("shape", "track", "track_shape", "tag")):
            yield conn

    @contextmanager
    def bulk_write(self) -> Iterator[Connection]:
        """A transaction for writing or removing many annotations (an import into a task): a larger page cache
        while it lasts (:func:`~app.storage.fastsql.bulk_cache`). Nested in a transaction, it joins it as it is
        (a new project's :meth:`bulk_load` only appends, and keeps its memory low without the cache)."""
        if self._tx_depth:
            with self.transaction() as conn:
                yield conn
            return
        with self.transaction() as conn, bulk_cache(conn):
            yield conn

    def _restore_versions(self, versions: tuple[dict[int, int], dict[int, int]]) -> None:
        for shared, saved in zip((self._job_versions, self._job_written), versions, strict=True):
            shared.clear()  # in place: writer handles share the dicts
            shared.update(saved)

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
        if kind != "annotations":  # annotation writes tell the other clients in their own transaction (_touch)
            self._tell_others(kind, job_id)
        self.changed.emit(StoreChange(kind, job_id, self._origin))

    def _tell_others(self, kind: str, job_id: int | None, revision: int | None = None) -> None:
        """NOTIFY the other clients of a team project (:mod:`app.storage.live`). Inside a transaction it is
        delivered at commit and dropped on rollback; outside, it is its own statement, and a failure only
        costs the others a poll (their watchers resynchronise after a broken connection)."""
        if not self.location.is_postgres or self._conn is None:
            return
        sql, params = notify_statement(kind, job_id, self._lease_token, revision)
        if self._tx_depth:
            self._conn.execute(sql, params)
            return
        try:
            self._conn.execute(sql, params)
        except Exception as exc:  # noqa: BLE001 - the change itself is committed; see the docstring
            if is_connection_lost(exc):
                self._drop_connection()

    # ------------------------------------------------------------ other clients' changes (live updates)

    def watch(self, *, poll_s: float | None = None, listen: bool = True) -> ChangeWatcher:
        """Start telling :attr:`changed` listeners of other clients' commits, with origin :data:`REMOTE`:
        PostgreSQL LISTEN/NOTIFY (within a second), else polling the jobs' versions every ``poll_s``
        seconds (SQLite, or when LISTEN is not possible). The watcher thread has its own connection and
        hands its findings to the owner's thread through :attr:`dispatcher`, which must be set (the GUI
        sets one with ``workers.gui_owned``)."""
        if self.dispatcher is None:
            raise ProjectError("Watching a project needs a dispatcher to the thread that owns the handle.")
        self.stop_watching()
        self._watcher = ChangeWatcher(self.location, self._lease_token, self._deliver_remote,
                                      poll_s=poll_s, listen=listen)
        self._watcher.start()
        return self._watcher

    def stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def _deliver_remote(self, changes: list[RemoteChange]) -> None:
        """From the watcher thread: emit the changes on the owner's thread (skipping this process's own
        writes, which a poll cannot tell from others')."""
        self.on_owner_thread(lambda: self._emit_remote(changes))

    def _emit_remote(self, changes: list[RemoteChange]) -> None:
        if self._conn is None and not self._lost:
            return  # closed meanwhile
        for change in changes:
            job_id, revision = change.job_id, change.revision
            if change.kind == "annotations" and job_id is not None and revision is not None:
                seen = max(self._job_versions.get(job_id, -1), self._job_written.get(job_id, -1))
                if revision <= seen:
                    continue
            if change.kind == "labels":
                self._labels = None
            self.changed.emit(StoreChange(change.kind, job_id, REMOTE))

    # ------------------------------------------------------------ project record and settings

    def _project_row(self) -> Sequence:
        row = self.conn.execute(text("SELECT name, created, settings, quality_settings FROM project")).first()
        if row is None:
            raise ProjectError(f"{self.location.display} has no project record.")
        return row

    @property
    def name(self) -> str:
        return str(self._project_row()[0])

    def rename(self, name: str) -> None:
        with self.transaction() as conn:
            conn.execute(text("UPDATE project SET name = :name"), {"name": name})

    def settings(self) -> dict[str, Any]:
        return self._json_setting(self._project_row()[2], "settings")

    def _json_setting(self, raw: str | None, what: str) -> dict[str, Any]:
        try:
            value = json.loads(raw or "{}")
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise ProjectError(f"{self.location.display}: the project's {what} are damaged (not a JSON object); "
                               "the project cannot be used until they are repaired.")
        return value

    def set_settings(self, values: dict[str, Any]) -> None:
        with self.transaction() as conn:
            conn.execute(text("UPDATE project SET settings = :v"), {"v": json.dumps(values)})

    def quality_settings(self, task_id: int | None = None) -> dict[str, Any]:
        """Raw stored quality settings: the task's own when it has them, else the project's."""
        if task_id is not None:
            row = self.conn.execute(text("SELECT quality_settings FROM task WHERE id = :id"), {"id": task_id}).first()
            if row and row[0]:
                return self._json_setting(row[0], f"quality settings of task {task_id}")
        return self._json_setting(self._project_row()[3], "quality settings")

    def set_quality_settings(self, values: dict[str, Any] | None, task_id: int | None = None) -> None:
        """Store settings for the project, or for a task (``None`` makes the task inherit again)."""
        with self.transaction() as conn:
            if task_id is None:
                conn.execute(text("UPDATE project SET quality_settings = :v"), {"v": json.dumps(values or {})})
            else:
                conn.execute(
                    text("UPDATE task SET quality_settings = :v WHERE id = :id"),
                    {"v": None if values is None else json.dumps(values), "id": task_id},
                )
        self._notify("settings")



class _SharedLock:
    """The write lock of a :meth:`Project.open_writer` handle: held by its owner handle."""

    def acquire(self) -> None:
        return None

    def release(self) -> None:
        return None
