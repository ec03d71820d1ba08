"""A job "in the field": while a package is out, the package holds the job's lease (token = package id,
host "field package …", no expiry in practice), so nobody edits the job in the project meanwhile and the
job list shows it as out. Each job's options keep a record per package (``field_packages``: exported,
merged, the merge report), which is how a package merged twice is recognised.
"""

from __future__ import annotations

import getpass
from typing import Any

from sqlalchemy import Connection, text

from app.packages.manifest import PackageError
from app.storage.store import Project, now_iso

FIELD_HOST = "field package"
FIELD_TTL_S = 10 * 365 * 24 * 3600.0  # a package is out until merged or released, not until a heartbeat stops
RECORDS = "field_packages"


def records(project: Project, job_id: int) -> dict[str, dict[str, Any]]:
    return dict(project.job(job_id).options.get(RECORDS, {}))


def set_record(project: Project, job_id: int, package_id: str, **values: Any) -> None:
    options = project.job(job_id).options
    entries = dict(options.get(RECORDS, {}))
    entries[package_id] = {**entries.get(package_id, {}), **values}
    options[RECORDS] = entries
    project.update_job(job_id, options=options)


def check_free(project: Project, job_ids: list[int]) -> None:
    """Refuse jobs that are out in a package or being edited (elsewhere, or in a window of this process)."""
    for job_id in job_ids:
        holder = project.job_lease(job_id)
        if holder is not None and holder.host.startswith(FIELD_HOST):
            raise PackageError(f"Job {job_id} is out in a field package ({holder.describe()}); it cannot be "
                               "packaged now. Merge or release that package first (fieldmark package release).")
        if holder is not None:  # another workstation, or this window: its unsaved-work guard must not be cut
            raise PackageError(f"Job {job_id} is being edited ({holder.describe()}); close it first.")


def lease_for_package(project: Project, job_ids: list[int], package_id: str) -> None:
    """The package's leases on the jobs (expired leases of others are replaced)."""
    with project.transaction() as conn:
        now = project._db_now(conn)
        for job_id in job_ids:
            conn.execute(text("DELETE FROM job_lease WHERE job_id = :j"), {"j": job_id})
            conn.execute(text(
                "INSERT INTO job_lease (job_id, token, user_name, host, pid, since, heartbeat, expires) "
                "VALUES (:j, :token, :user, :host, 0, :now, :now, :expires)"),
                {"j": job_id, "token": package_id, "user": getpass.getuser(),
                 "host": f"{FIELD_HOST} {package_id[:8]}", "now": now, "expires": now + FIELD_TTL_S})


def take(project: Project, job_ids: list[int], package_id: str, path_name: str) -> None:
    """Mark the jobs as out in package ``package_id`` (one transaction: all of them or none)."""
    with project.transaction():
        check_free(project, job_ids)
        lease_for_package(project, job_ids, package_id)
        for job_id in job_ids:
            set_record(project, job_id, package_id, exported=now_iso(), file=path_name)


def release(project: Project, package_id: str, *, conn: Connection | None = None) -> int:
    """Drop the package's leases (a merge, or a package given up); returns how many jobs it held."""
    with project.transaction() as tx:
        return int((conn or tx).execute(
            text("DELETE FROM job_lease WHERE token = :t"), {"t": package_id}).rowcount or 0)


def held_jobs(project: Project, package_id: str) -> list[int]:
    return [int(r[0]) for r in project.conn.execute(
        text("SELECT job_id FROM job_lease WHERE token = :t ORDER BY job_id"), {"t": package_id})]
