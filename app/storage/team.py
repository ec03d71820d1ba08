"""Who may do what in a team project, enforced by PostgreSQL itself (grants and row-level security), so
that no client, not even raw SQL on an annotator's connection, can go around it.

Three group roles per database: ``<db>_admin`` (everything: labels, tasks, quality settings),
``<db>_reviewer`` (all annotations, jobs incl. GT jobs, acceptance, quality reports) and
``<db>_annotator`` (reads everything; writes annotations, the version and the lease only of the jobs
assigned to them: ``job.assignee`` is their login name, and only until the job is completed).
``fieldmark team init`` runs as the project's owner; ``fieldmark team add-user`` creates a login role
(its password is set with PostgreSQL's own tools, never through Fieldmark) and makes it a member of
one group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from app.storage.database import begin_write, connect, make_engine
from app.storage.errors import ProjectError
from app.storage.location import Location

ROLES = ("admin", "reviewer", "annotator")
ANNOTATION_TABLES = ("shape", "track", "tag")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def group_role(location: Location, role: str) -> str:
    database = re.sub(r"[^a-z0-9_]", "_", (location.url.database or "").lower())  # type: ignore[union-attr]
    return f"{database[:40]}_{role}"


def _statements(location: Location) -> list[str]:
    admin, reviewer, annotator = (group_role(location, r) for r in ROLES)
    every = f"{admin}, {reviewer}, {annotator}"
    staff = f"pg_has_role(current_user, '{admin}', 'member') OR pg_has_role(current_user, '{reviewer}', 'member')"
    # An annotator's own job, while it is not completed (a completed job is read-only for its annotator).
    may_write = (f"{staff} OR EXISTS (SELECT 1 FROM job WHERE job.id = $1 AND job.assignee = current_user "
                 "AND job.state <> 'completed')")
    may_update_job = f"{staff} OR assignee = current_user"
    out = [
        f"GRANT USAGE ON SCHEMA public TO {every}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {every}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {every}",
        f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {admin}",
        f"GRANT INSERT, UPDATE, DELETE ON shape, track, track_shape, tag, job_lease, job TO {reviewer}",
        f"GRANT INSERT, UPDATE, DELETE ON quality_report TO {reviewer}",
        f"GRANT UPDATE (quality_settings) ON task TO {reviewer}",
        f"GRANT INSERT, UPDATE, DELETE ON shape, track, track_shape, tag, job_lease TO {annotator}",
        f"GRANT UPDATE (revision, updated, state) ON job TO {annotator}",
        "CREATE OR REPLACE FUNCTION fieldmark_may_write_job(integer) RETURNS boolean LANGUAGE sql STABLE "
        f"AS $$ SELECT {may_write} $$",
        "CREATE OR REPLACE FUNCTION fieldmark_may_write_track(integer) RETURNS boolean LANGUAGE sql STABLE "
        "AS $$ SELECT fieldmark_may_write_job((SELECT job_id FROM track WHERE track.id = $1)) $$",
    ]
    checks = {**{t: "fieldmark_may_write_job(job_id)" for t in (*ANNOTATION_TABLES, "job_lease")},
              "track_shape": "fieldmark_may_write_track(track_id)", "job": f"({may_update_job})"}
    for table, check in checks.items():
        out += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS fieldmark_read ON {table}",
            f"DROP POLICY IF EXISTS fieldmark_write ON {table}",
            f"CREATE POLICY fieldmark_read ON {table} FOR SELECT USING (true)",
            f"CREATE POLICY fieldmark_write ON {table} FOR ALL USING ({check}) WITH CHECK ({check})",
        ]
    return out


def _require_team(location: Location) -> None:
    if not location.is_postgres:
        raise ProjectError(f"{location.display} is a project file: roles exist only in team projects (PostgreSQL).")


def _run(location: Location, work: object, what: str = "set up the roles") -> None:
    engine = make_engine(location, read_only=False)
    try:
        with connect(engine, location) as conn, conn.begin():
            begin_write(conn)
            work(conn)  # type: ignore[operator]
    except ProjectError:
        raise
    except Exception as exc:  # noqa: BLE001 - the server's refusal, as one line
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ProjectError(f"{location.display}: the server refused to {what} ({detail}).") from exc
    finally:
        engine.dispose()


def init_team(location: Location) -> list[str]:
    """Create the three group roles (when missing) and their grants and row-level policies; idempotent."""
    _require_team(location)
    roles = [group_role(location, r) for r in ROLES]

    def work(conn: Connection) -> None:
        for role in roles:
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
                conn.exec_driver_sql(f"CREATE ROLE {role} NOLOGIN")
        for statement in _statements(location):
            conn.exec_driver_sql(statement)

    _run(location, work)
    return roles


def add_user(location: Location, name: str, role: str) -> bool:
    """Make login role ``name`` (created when missing; returns whether it was) a member of one group only."""
    _require_team(location)
    if role not in ROLES:
        raise ProjectError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if not _NAME.match(name):
        raise ProjectError(f"{name!r} is not a plain user name (lower-case letters, digits, _).")
    created = []

    def work(conn: Connection) -> None:
        group = group_role(location, role)
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": group}).first() is None:
            raise ProjectError(f"{location.display} has no team roles yet: run fieldmark team init first.")
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).first() is None:
            conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN")
            created.append(name)
        for other in ROLES:
            conn.exec_driver_sql(f"REVOKE {group_role(location, other)} FROM {name}")
        conn.exec_driver_sql(f"GRANT {group} TO {name}")

    _run(location, work)
    return bool(created)


@dataclass(frozen=True)
class TeamUser:
    """A login of a team project and its one role (``admin``, ``reviewer`` or ``annotator``)."""

    name: str
    role: str


def list_users(location: Location) -> list[TeamUser]:
    """The logins that are members of the project's group roles, by name (read from the server's catalogue)."""
    _require_team(location)
    groups = {group_role(location, r): r for r in ROLES}
    users: list[TeamUser] = []

    def work(conn: Connection) -> None:
        present = {r for (r,) in conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:g)"),
                                              {"g": list(groups)})}
        if not present:
            raise ProjectError(f"{location.display} has no team roles yet: run fieldmark team init first.")
        rows = conn.execute(text(
            "SELECT m.rolname, g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = ANY(:g) ORDER BY m.rolname, g.rolname"),
            {"g": list(groups)})
        users.extend(TeamUser(name, groups[group]) for name, group in rows)

    _run(location, work, what="read the team's users")
    return users
