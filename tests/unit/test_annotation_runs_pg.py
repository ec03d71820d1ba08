"""The run tables' migration (0007) and the run log's SQL on PostgreSQL (the same code as SQLite)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Connection, create_engine, text

from app.storage.database import MIGRATIONS
from app.storage.store_runs import RunsMixin


class _PgRuns(RunsMixin):
    """The runs part of a project over a plain PostgreSQL connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @property
    def conn(self) -> Connection:
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with nullcontext() if self._conn.in_transaction() else self._conn.begin():
            yield self._conn


def _migration():
    path = Path(MIGRATIONS) / "versions" / "0007_annotation_runs.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_and_run_log_on_postgresql(pg_url: str) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    migration = _migration()
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE task (id integer PRIMARY KEY)"))
        conn.execute(text("INSERT INTO task (id) VALUES (1)"))
        with Operations.context(MigrationContext.configure(conn)):
            migration.upgrade()
    with engine.connect() as conn:
        runs = _PgRuns(conn)
        run_id = runs.start_run(1, '{"function": "f"}', "f", {"clear_existing": False}, 10)
        with runs.transaction():
            runs.record_run_frames(run_id, [0, 1, 2])
        runs.set_run_state(run_id, "cancelled")
        (info,) = runs.runs(1, unfinished=True)
        assert (info.id, info.frames, info.state, info.options) == (run_id, {0, 1, 2}, "cancelled",
                                                                   {"clear_existing": False})
        runs.forget_run_frames(run_id, [2])
        assert runs.run(run_id).frames == {0, 1}
        runs.set_run_state(run_id, "done")
        assert runs.runs(1, unfinished=True) == []
        runs.delete_run(run_id)
        assert runs.runs(1) == []
        conn.commit()
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.downgrade()
    engine.dispose()
