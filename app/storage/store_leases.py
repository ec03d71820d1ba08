"""Project store, job leases: opening a job for writing takes its lease (user, host, process, since,
expiry renewed by a heartbeat); while it is live, other handles cannot take it nor write the job's
annotations. An expired lease (a crashed client) is taken over, and the taker is told whose it was.
Part of :class:`~app.storage.store.Project`.

Times come from the server's clock on PostgreSQL (workstation clocks differ); an SQLite project has
only this machine's clock.
"""

from __future__ import annotations

import getpass
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

from app.storage.errors import JobLeasedError, LeaseLostError
from app.storage.store_base import StoreBase

DEFAULT_TTL_S = 60.0  # a window renews every TTL / 3; a killed client's lease is free a minute later

_COLUMNS = "job_id, token, user_name, host, pid, since, heartbeat, expires"
_UPSERT = text(
    f"INSERT INTO job_lease ({_COLUMNS}) VALUES (:job_id, :token, :user_name, :host, :pid, :now, :now, :expires) "
    "ON CONFLICT (job_id) DO UPDATE SET token = excluded.token, user_name = excluded.user_name, "
    "host = excluded.host, pid = excluded.pid, since = CASE WHEN job_lease.token = excluded.token "
    "THEN job_lease.since ELSE excluded.since END, heartbeat = excluded.heartbeat, expires = excluded.expires "
    "WHERE job_lease.token = excluded.token OR job_lease.expires < :now RETURNING since"
)


@dataclass(frozen=True)
class LeaseInfo:
    job_id: int
    token: str
    user: str
    host: str
    pid: int
    since: float
    heartbeat: float
    expires: float

    def describe(self) -> str:
        since = datetime.fromtimestamp(self.since, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"{self.user} on {self.host} since {since} (process {self.pid})"


@dataclass(frozen=True)
class Lease:
    info: LeaseInfo
    taken_over: LeaseInfo | None = None  # the expired lease this one replaced (someone else's)

    @property
    def warning(self) -> str:
        if self.taken_over is None:
            return ""
        return (f"Job {self.info.job_id} was being edited by {self.taken_over.describe()}, whose lease expired "
                "(a closed or crashed Fieldmark); you have taken it over.")


def _holder(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        return str(conn.execute(text("SELECT current_user")).scalar_one())
    return getpass.getuser()


class LeasesMixin(StoreBase):
    _lease_token: str
    _lease_ttl: dict[int, float]

    def _db_now(self, conn: Connection) -> float:
        if conn.dialect.name == "postgresql":
            return float(conn.execute(text("SELECT extract(epoch FROM clock_timestamp())::float8")).scalar_one())
        return time.time()

    def _lease_row(self, conn: Connection, job_id: int) -> LeaseInfo | None:
        row = conn.execute(text(f"SELECT {_COLUMNS} FROM job_lease WHERE job_id = :j"), {"j": job_id}).first()
        return None if row is None else LeaseInfo(*row)

    def job_lease(self, job_id: int) -> LeaseInfo | None:
        """The live lease of a job, or None (none, or expired)."""
        info = self._lease_row(self.conn, job_id)
        return info if info is not None and info.expires >= self._db_now(self.conn) else None

    def job_leases(self) -> dict[int, LeaseInfo]:
        """Live leases by job id: who is on which job."""
        now = self._db_now(self.conn)
        rows = self.conn.execute(text(f"SELECT {_COLUMNS} FROM job_lease WHERE expires >= :now"), {"now": now})
        return {r[0]: LeaseInfo(*r) for r in rows}

    def acquire_job(self, job_id: int, ttl: float = DEFAULT_TTL_S) -> Lease:
        """Take (or renew) the lease of a job for this handle; raises :class:`JobLeasedError` when another
        client holds a live one."""
        with self.transaction() as conn:
            now = self._db_now(conn)
            previous = self._lease_row(conn, job_id)
            params = {"job_id": job_id, "token": self._lease_token, "user_name": _holder(conn),
                      "host": socket.gethostname(), "pid": os.getpid(), "now": now, "expires": now + ttl}
            if conn.execute(_UPSERT, params).first() is None:
                assert previous is not None
                raise JobLeasedError(f"Job {job_id} is being edited by {previous.describe()}; open it read-only.")
            info = self._lease_row(conn, job_id)
        assert info is not None
        self._lease_ttl[job_id] = ttl
        self._notify("jobs", job_id)  # who is on which job: the other clients' job lists follow
        taken = previous if previous is not None and previous.token != self._lease_token else None
        return Lease(info, taken)

    def renew_job(self, job_id: int) -> None:
        """The heartbeat: push the expiry on. Raises :class:`LeaseLostError` when someone took the job over."""
        ttl = self._lease_ttl.get(job_id, DEFAULT_TTL_S)
        with self.transaction() as conn:
            now = self._db_now(conn)
            done = conn.execute(
                text("UPDATE job_lease SET heartbeat = :now, expires = :expires WHERE job_id = :j AND token = :t"),
                {"now": now, "expires": now + ttl, "j": job_id, "t": self._lease_token},
            ).rowcount
        if done != 1:
            self._lease_ttl.pop(job_id, None)
            raise LeaseLostError(f"Job {job_id} is no longer yours: its lease expired and was taken over.")

    def release_job(self, job_id: int) -> None:
        self._lease_ttl.pop(job_id, None)
        if self.read_only:  # type: ignore[attr-defined]
            return
        with self.transaction() as conn:
            conn.execute(text("DELETE FROM job_lease WHERE job_id = :j AND token = :t"),
                         {"j": job_id, "t": self._lease_token})
        self._notify("jobs", job_id)

    def _check_lease(self, conn: Connection, job_id: int) -> None:
        """Writes of a job leased by someone else are refused (in the write's own transaction)."""
        now = "extract(epoch FROM clock_timestamp())" if conn.dialect.name == "postgresql" else ":now"
        row = conn.execute(
            text(f"SELECT {_COLUMNS} FROM job_lease WHERE job_id = :j AND token <> :t AND expires >= {now}"),
            {"j": job_id, "t": self._lease_token, "now": time.time()},
        ).first()
        if row is not None:
            info = LeaseInfo(*row)
            raise JobLeasedError(f"Job {job_id} is being edited by {info.describe()}; your change was not saved.")


def new_token() -> str:
    return str(uuid.uuid4())
