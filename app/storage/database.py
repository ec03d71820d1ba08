"""Opening a project's database: an SQLite file (engine, pragmas: WAL, foreign keys) or a PostgreSQL
database (psycopg 3), the schema check and the Alembic migration on open."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.pool import StaticPool

from app.storage.errors import ProjectError
from app.storage.location import Location, parse_location
from app.storage.pg_connect import describe_connect_error, pg_engine

MIGRATIONS = Path(__file__).with_name("migrations")
# Tables of the head schema plus Alembic's own: what "a Fieldmark project" holds.
MARKER_TABLES = ("alembic_version", "project")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this version's schema revisions: exactly (Alembic's own lookup also
    accepts a prefix, which would take a newer revision for a known older one)."""
    try:
        return revision in {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    except CommandError:
        return False


def make_engine(target: Path | Location, *, read_only: bool, transactional_ddl: bool = False,
                immutable: bool = False) -> Engine:
    """``immutable``: a file on a read-only folder or drive (SQLite then needs no -shm/-wal beside it)."""
    location = parse_location(target) if isinstance(target, Path) else target
    if location.is_postgres:
        return pg_engine(location, read_only=read_only)
    return _sqlite_engine(location.path, read_only=read_only, transactional_ddl=transactional_ddl,  # type: ignore[arg-type]
                          immutable=immutable)


def read_only_reason(path: Path) -> str:
    """Why the project file at ``path`` can only be opened read-only ("" when it can be written)."""
    if not os.access(path, os.W_OK):
        return f"{path.name} is a read-only file"
    if not os.access(path.parent, os.W_OK):
        return f"the folder of {path.name} is read-only"
    return ""


def damaged_message(where: str, exc: Exception) -> str:
    """One message for an SQLite file that cannot be read as a database (truncated, overwritten, garbage)."""
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(getattr(exc, "orig", exc)).strip() else ""
    return f"{where} is damaged or not a Fieldmark project (SQLite: {detail or type(exc).__name__})."


def _sqlite_engine(path: Path, *, read_only: bool, transactional_ddl: bool = False, immutable: bool = False) -> Engine:
    """One connection per project handle; WAL so readers never block and a killed writer loses nothing committed.

    The sqlite3 driver's own transaction handling is kept for normal use: SELECTs run outside any
    transaction (so no read snapshot is held between calls and WAL checkpoints can proceed) and a
    transaction begins with the first write. ``transactional_ddl`` (migrations) makes SQLAlchemy
    emit BEGIN itself so that schema changes are atomic too.
    """
    if read_only:
        uri = f"file:{path.resolve().as_posix()}?mode=ro" + ("&immutable=1" if immutable else "")
        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            poolclass=StaticPool,
        )
    else:
        engine = create_engine(
            f"sqlite:///{path.resolve().as_posix()}",
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        previous = dbapi_connection.isolation_level
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        # Migrations rebuild tables (batch mode): with foreign keys on, dropping the old table would
        # cascade-delete its children. They run with them off and check them at the end instead.
        cursor.execute(f"PRAGMA foreign_keys={'OFF' if transactional_ddl else 'ON'}")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        if not transactional_ddl:
            dbapi_connection.isolation_level = previous

    if transactional_ddl:

        @event.listens_for(engine, "begin")
        def _begin(conn: object) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]

    return engine


def begin_write(conn: Connection) -> None:
    """Open the database transaction of a write (PostgreSQL connections run in driver autocommit so that
    reads hold no transaction; SQLite's driver begins one itself at the first write)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("BEGIN")


def connect(engine: Engine, location: Location) -> Connection:
    """``engine.connect()`` with a clear message for the server's refusals (unreachable, login, no database)."""
    try:
        return engine.connect()
    except Exception as exc:  # noqa: BLE001 - the driver's errors vary; each becomes one message
        if location.is_postgres:
            raise ProjectError(describe_connect_error(location, exc)) from exc
        raise


def table_names(conn: Connection) -> list[str]:
    return list(inspect(conn).get_table_names())


def current_revision(engine_or_conn: Engine | Connection) -> str | None:
    """The schema revision, or None when the database has no Alembic version table."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            return current_revision(conn)
    conn = engine_or_conn
    if "alembic_version" not in table_names(conn):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    if conn.in_transaction() and conn.dialect.name == "postgresql":
        conn.commit()
    return row[0] if row else None


def upgrade(target: Path | Location, revision: str = "head") -> None:
    """Migrate the schema at ``target`` to ``revision`` in one transaction (PostgreSQL: one migrator at a time)."""
    location = parse_location(target) if isinstance(target, Path) else target
    engine = make_engine(location, read_only=False, transactional_ddl=True)
    config = alembic_config()
    try:
        with connect(engine, location) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("BEGIN")
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('fieldmark-schema'))")
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            if conn.dialect.name == "sqlite" and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise ProjectError(f"{location.display}: the schema upgrade broke a foreign key; nothing was changed.")
    finally:
        engine.dispose()


def check_is_project(path: Path) -> None:
    """Raise a clear error when ``path`` is not an SQLite file."""
    if not path.exists():
        raise ProjectError(f"No project file at {path}.")
    if path.is_dir():
        raise ProjectError(f"{path} is a folder, not a Fieldmark project file.")
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise ProjectError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    if header and header != b"SQLite format 3\x00":
        raise ProjectError(f"{path} is not a Fieldmark project (not an SQLite database).")
