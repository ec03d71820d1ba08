"""Opening the SQLite file: engine, pragmas (WAL, foreign keys), schema migration on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import StaticPool

from app.storage.errors import ProjectError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def make_engine(path: Path, *, read_only: bool, transactional_ddl: bool = False) -> Engine:
    """One connection per project handle; WAL so readers never block and a killed writer loses nothing committed.

    The sqlite3 driver's own transaction handling is kept for normal use: SELECTs run outside any
    transaction (so no read snapshot is held between calls and WAL checkpoints can proceed) and a
    transaction begins with the first write. ``transactional_ddl`` (migrations) makes SQLAlchemy
    emit BEGIN itself so that schema changes are atomic too.
    """
    if read_only:
        uri = f"file:{path.resolve().as_posix()}?mode=ro"
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
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        if not transactional_ddl:
            dbapi_connection.isolation_level = previous

    if transactional_ddl:

        @event.listens_for(engine, "begin")
        def _begin(conn: object) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]

    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        has_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
        if not has_table:
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None


def upgrade(path: Path, revision: str = "head") -> None:
    """Migrate the schema of the file at ``path`` to ``revision`` in one transaction."""
    engine = make_engine(path, read_only=False, transactional_ddl=True)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()


def check_is_project(path: Path) -> None:
    """Raise a clear error when ``path`` is not an SQLite file."""
    if not path.exists():
        raise ProjectError(f"No project file at {path}.")
    with path.open("rb") as handle:
        header = handle.read(16)
    if header and header != b"SQLite format 3\x00":
        raise ProjectError(f"{path} is not a Fieldmark project (not an SQLite database).")
