"""Live updates: other clients' committed changes reach a project handle's listeners within seconds.

On PostgreSQL every write of a job's annotations sends ``NOTIFY fieldmark_changes`` in the write's own
transaction (delivered at commit, dropped on rollback) with the kind of change, the job, its new version
and the writer's handle token; jobs, tasks, labels and leases send one after their commit. A
:class:`ChangeWatcher` thread LISTENs on a connection of its own. Where LISTEN is not possible (the
server cannot be reached for it, a connection pooler in transaction mode) and on SQLite, it polls the
jobs' versions and the lease table every few seconds instead; after a broken LISTEN connection it polls
once against its last snapshot, so nothing committed meanwhile is missed.

The watcher never touches the handle's own connection (the store's thread rule): it hands what it saw
to ``deliver`` (``Project._deliver_remote``), which emits it on the owner's thread with origin
:data:`REMOTE`; the owner skips the echo of its own process's writes by their version.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import TextClause, text

from app.storage.location import Location

log = logging.getLogger(__name__)

CHANNEL = "fieldmark_changes"
POLL_S = 2.0  # polling period (SQLite, or no LISTEN)
LISTEN_WAIT_S = 0.25  # how long one wait for notifications lasts (how soon stop() is seen)
RELISTEN_S = 10.0  # while polling on PostgreSQL, try LISTEN again this often


class _Remote:
    """The origin of changes made by another client (another process or workstation)."""

    def __repr__(self) -> str:
        return "REMOTE"


REMOTE = _Remote()


@dataclass(frozen=True)
class RemoteChange:
    kind: str  # annotations, jobs, tasks, labels, settings
    job_id: int | None = None
    revision: int | None = None  # the job's version after the change (annotations), when known


def notify_statement(kind: str, job_id: int | None, token: str, revision: int | None) -> tuple[TextClause, dict]:
    payload = json.dumps({"k": kind, "j": job_id, "r": revision, "t": token}, separators=(",", ":"))
    return text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}


def parse_payload(payload: str, own_token: str) -> RemoteChange | None:
    """The change a notification tells, or None for this handle's own writes and foreign payloads."""
    try:
        data = json.loads(payload)
        if data.get("t") == own_token:
            return None
        job_id, revision = data.get("j"), data.get("r")
        return RemoteChange(str(data["k"]), None if job_id is None else int(job_id),
                            None if revision is None else int(revision))
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("ignored a malformed %s notification: %.200r", CHANNEL, payload)
        return None


Snapshot = tuple[dict[int, int], frozenset[tuple[int, str]]]  # job versions; (job, lease token) pairs


def diff_snapshots(before: Snapshot, after: Snapshot) -> list[RemoteChange]:
    """What changed between two polls: job versions that moved, jobs added or removed, leases."""
    old_versions, old_leases = before
    new_versions, new_leases = after
    changes = [RemoteChange("annotations", job_id, revision) for job_id, revision in sorted(new_versions.items())
               if job_id in old_versions and revision > old_versions[job_id]]
    if set(old_versions) != set(new_versions):
        changes.append(RemoteChange("jobs"))
    for job_id in sorted({job for job, _token in old_leases ^ new_leases}):
        changes.append(RemoteChange("jobs", job_id))
    return changes


class ChangeWatcher:
    """A daemon thread watching a project for other clients' changes (see the module docstring).

    ``mode`` says how it watches now: ``listen`` (PostgreSQL NOTIFY) or ``poll``."""

    def __init__(self, location: Location, token: str, deliver: Callable[[list[RemoteChange]], None], *,
                 poll_s: float | None = None, listen: bool = True) -> None:
        self.location = location
        self.token = token
        self.deliver = deliver
        self.poll_s = POLL_S if poll_s is None else poll_s
        self.listen = listen and location.is_postgres
        self.mode = "listen" if self.listen else "poll"
        self.ready = threading.Event()  # set once the first snapshot (and LISTEN, if any) is in place
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fieldmark-live {location.name}", daemon=True)
        self._poller: Any = None  # the polling connection (psycopg or sqlite3)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    # ------------------------------------------------------------ the thread

    def _run(self) -> None:
        listener: Any = None
        snapshot: Snapshot | None = None
        next_listen = 0.0
        clock = 0.0
        try:
            while not self._stop.is_set():
                if listener is None and self.listen and clock >= next_listen:
                    listener = self._open_listener()
                    next_listen = clock + RELISTEN_S
                if listener is None or snapshot is None:
                    snapshot = self._poll(snapshot)  # the baseline, a resync after LISTEN broke, or polling
                self.mode = "listen" if listener is not None else "poll"
                self.ready.set()
                if listener is not None:
                    try:
                        self._drain(listener)
                    except Exception as exc:  # noqa: BLE001 - the server went away: poll until LISTEN is back
                        log.info("live updates of %s: LISTEN connection lost (%s); polling", self.location, exc)
                        _close(listener)
                        listener = None
                        next_listen = clock + min(RELISTEN_S, self.poll_s)
                    clock += LISTEN_WAIT_S
                else:
                    self._stop.wait(self.poll_s)
                    clock += self.poll_s
        finally:
            _close(listener)
            _close(self._poller)
            self.ready.set()

    def _drain(self, listener: Any) -> None:
        changes = []
        for note in listener.notifies(timeout=LISTEN_WAIT_S):
            change = parse_payload(note.payload, self.token)
            if change is not None:
                changes.append(change)
            if self._stop.is_set():
                break
        if changes:
            self.deliver(changes)

    def _conninfo(self) -> str:
        url = self.location.url
        assert url is not None
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def _open_listener(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self._conninfo(), autocommit=True, connect_timeout=5,
                                   application_name="fieldmark-live")
            conn.execute(f"LISTEN {CHANNEL}")
            return conn
        except psycopg.Error as exc:
            log.info("live updates of %s: LISTEN not possible (%s); polling", self.location, exc)
            return None

    def _poll(self, previous: Snapshot | None) -> Snapshot | None:
        """Read the jobs' versions and the leases; deliver what moved since ``previous``."""
        try:
            snapshot = self._read_snapshot()
        except Exception as exc:  # noqa: BLE001 - unreachable for now: try again at the next poll
            log.info("live updates of %s: poll failed (%s)", self.location, exc)
            _close(self._poller)
            self._poller = None
            return previous
        if previous is not None:
            changes = diff_snapshots(previous, snapshot)
            if changes:
                self.deliver(changes)
        return snapshot

    def _read_snapshot(self) -> Snapshot:
        if self._poller is None:
            if self.location.is_postgres:
                import psycopg

                self._poller = psycopg.connect(self._conninfo(), autocommit=True, connect_timeout=5,
                                               application_name="fieldmark-live")
            else:
                self._poller = sqlite3.connect(f"file:{self.location.path}?mode=ro", uri=True, timeout=5)
        versions = {int(j): int(r) for j, r in self._poller.execute("SELECT id, revision FROM job").fetchall()}
        leases = frozenset((int(j), str(t)) for j, t in self._poller.execute(
            "SELECT job_id, token FROM job_lease").fetchall())
        if not self.location.is_postgres:
            self._poller.rollback()  # end the read so the next poll sees newer commits
        return versions, leases


def _close(conn: Any) -> None:
    if conn is not None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001, S110 - a broken connection may fail to close; it is gone either way
            pass
