"""Is this database a Fieldmark project, at which schema revision; an empty one for a new team project;
removing a half-created project. One clear message per case, for SQLite files and PostgreSQL databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from app.storage.database import connect, current_revision, head_revision, is_known_revision, make_engine, table_names
from app.storage.errors import EmptyDatabaseError, ProjectError
from app.storage.location import Location
from app.storage.pg_connect import database_state
from app.storage.schema import metadata

_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal", ".lock")


def check_schema(conn: Connection, location: Location, *, read_only: bool) -> None:
    """Raise a clear error unless ``conn`` holds a Fieldmark project this version can open as asked."""
    where = location.display
    tables = table_names(conn)
    if location.is_postgres:
        state = database_state(tables)
        if state == "empty":
            raise EmptyDatabaseError(
                f"{where} is an empty database: create a team project in it (fieldmark create {where}, "
                "or File > New team project...)."
            )
        if state == "foreign":
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise ProjectError(f"{where} is not a Fieldmark project (it holds other tables: {shown}).")
    revision = current_revision(conn)
    if revision is None:
        raise ProjectError(f"{where} is an SQLite file but not a Fieldmark project.")
    if revision == head_revision():
        return
    if not is_known_revision(revision):
        raise ProjectError(
            f"{where} was written by a newer Fieldmark (schema {revision}); update Fieldmark to open it."
        )
    if read_only:
        raise ProjectError(f"{where} uses an older schema ({revision}); open it once for writing to upgrade it.")


def ensure_empty_database(location: Location) -> None:
    """A team project is created only in an empty database (one clear message otherwise)."""
    engine = make_engine(location, read_only=True)
    try:
        with connect(engine, location) as conn:
            tables = table_names(conn)
    finally:
        engine.dispose()
    state = database_state(tables)
    if state == "project":
        raise ProjectError(f"{location.display} already holds a Fieldmark project; open it instead.")
    if state == "foreign":
        raise ProjectError(f"{location.display} is not empty (it holds other tables); use an empty database.")


def discard(location: Location) -> None:
    """Remove a project that was just created and failed half-way: the file (and its side files), or the
    schema this version created in the PostgreSQL database."""
    if location.path is not None:
        for suffix in ("", *_SQLITE_SIDE_FILES):
            Path(str(location.path) + suffix).unlink(missing_ok=True)
        return
    engine = make_engine(location, read_only=False)
    try:
        with connect(engine, location) as conn, conn.begin():
            conn.exec_driver_sql("BEGIN")
            metadata.drop_all(conn, checkfirst=True)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            conn.execute(text("DROP FUNCTION IF EXISTS fieldmark_allocate_ids(regclass, integer)"))
    except ProjectError:
        pass  # the server went away: nothing more can be removed from here
    finally:
        engine.dispose()


def project_exists(location: Location) -> bool:
    """Whether ``location`` already holds something (a file; a database with tables). Raises ProjectError
    with a clear message when the PostgreSQL server cannot be reached or refuses the login."""
    if location.path is not None:
        return location.path.exists()
    engine = make_engine(location, read_only=True)
    try:
        with connect(engine, location) as conn:
            return bool(table_names(conn))
    finally:
        engine.dispose()


def check_media_root(location: Location, media_root: str | Path | None) -> str | None:
    """The media root to record for a new team project (an existing folder, absolute), or ``None`` if not given.

    Checked before anything is created, so a wrong folder leaves no half-made project behind."""
    if media_root is None or str(media_root) == "":
        return None
    if not location.is_postgres:
        raise ProjectError("--media-root is for team projects (postgresql:// URLs): a project file's media paths "
                           "are relative to the file's own folder.")
    root = Path(media_root).expanduser()
    if not root.is_dir():
        raise ProjectError(f"The media root {root} is not a folder; create the team's shared media folder first.")
    return str(root.resolve())
