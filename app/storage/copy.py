"""Copy a whole project between SQLite and PostgreSQL (either direction), losslessly.

The target is built by the same Alembic migrations, then every table of the head schema is copied
row by row with its ids and uids, all in one transaction on the target: a failed copy leaves no
target behind. Rows with a parent (skeleton elements, replica jobs, sublabels, child reports) come
after the rows without one, so foreign keys hold at every insert. PostgreSQL sequences are moved
past the copied ids, so later inserts never collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Boolean, Connection, Table

from app.storage.database import begin_write, connect, make_engine, upgrade
from app.storage.errors import ProjectError
from app.storage.fastsql import bulk_insert, fix_sequences, raw_rows, uid_text
from app.storage.location import Location, parse_location
from app.storage.project_checks import discard, project_exists
from app.storage.schema import metadata
from app.storage.store import Project

CHUNK = 50_000


def _select_chunks(conn: Connection, table: Table, columns: str) -> Iterator[list[tuple]]:
    if "id" not in table.c:
        order = ", ".join(table.primary_key.columns.keys())
        yield raw_rows(conn, f"SELECT {columns} FROM {table.name} ORDER BY {order}")
        return
    filters = ["parent_id IS NULL", "parent_id IS NOT NULL"] if "parent_id" in table.c else ["1 = 1"]
    id_index = list(table.c.keys()).index("id")
    for condition in filters:
        last = 0
        while True:
            rows = raw_rows(conn, f"SELECT {columns} FROM {table.name} WHERE {condition} AND id > ? "
                                  f"ORDER BY id LIMIT {CHUNK}", (last,))
            if not rows:
                break
            yield rows
            last = rows[-1][id_index]


def _converter(table: Table) -> Callable[[tuple], tuple] | None:
    """Values as both drivers take them: booleans (SQLite returns 0/1), uids as text (psycopg returns UUIDs)."""
    flags = [i for i, column in enumerate(table.c) if isinstance(column.type, Boolean)]
    uids = [i for i, name in enumerate(table.c.keys()) if name == "uid"]
    if not flags and not uids:
        return None

    def convert(row: tuple) -> tuple:
        values = list(row)
        for i in flags:
            values[i] = None if values[i] is None else bool(values[i])
        for i in uids:
            values[i] = uid_text(values[i])
        return tuple(values)

    return convert


def copy_tables(source: Connection, target: Connection, progress: Callable[[str, int], None] | None = None) -> None:
    for table in metadata.sorted_tables:
        columns = ", ".join(f'"{name}"' for name in table.c.keys())
        convert = _converter(table)
        done = 0
        for rows in _select_chunks(source, table, columns):
            bulk_insert(target, table.name, columns, [convert(r) for r in rows] if convert else rows)
            done += len(rows)
            if progress is not None:
                progress(table.name, done)
    fix_sequences(target, [t.name for t in metadata.sorted_tables if "id" in t.c])


def copy_project(src: str | Path | Location, dst: str | Path | Location,
                 progress: Callable[[str, int], None] | None = None) -> Location:
    """Copy the project at ``src`` to ``dst`` (a new file, or an empty PostgreSQL database)."""
    target = parse_location(dst)
    if project_exists(target):
        raise ProjectError(f"{target} already exists or is not empty; copy into a new file or an empty database.")
    with Project.open(src, read_only=True) as source:
        if target.path is not None:
            target.path.parent.mkdir(parents=True, exist_ok=True)
        created = False
        try:
            upgrade(target)
            created = True
            engine = make_engine(target, read_only=False)
            try:
                with connect(engine, target) as conn, conn.begin():
                    begin_write(conn)
                    copy_tables(source.conn, conn, progress)
            finally:
                engine.dispose()
        except BaseException:
            if created or target.path is not None:
                discard(target)
            raise
    return target
