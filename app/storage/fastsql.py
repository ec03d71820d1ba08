"""The store's hot paths at the driver level, for SQLite (sqlite3) and PostgreSQL (psycopg 3).

Per-frame reads and bulk inserts skip SQLAlchemy's statement and row machinery (about a third of a
per-frame read): statements are written once with ``?`` placeholders and run on the same connection
(hence in the same transaction) through the driver, ``%s`` for psycopg. Bulk inserts use COPY on
PostgreSQL (binary format: points need no hex escaping). Row ids: SQLite has one writer (the project
lock), so ids are allocated as MAX(id) + 1; PostgreSQL has many, so they come from the table's sequence
in blocks. ``uid`` columns are native uuid on PostgreSQL: :func:`uid_text` turns what it returns into
the dashed text the rest of the app uses.

Each function that talks to the driver is wrapped by :func:`_clear_when_lost`: a broken server connection
raises :class:`~app.storage.errors.ConnectionLostError` here as it does through SQLAlchemy (the engine's
``handle_error`` hook, :mod:`app.storage.pg_connect`), and the handle reconnects at its next use.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Connection

from app.storage.errors import ConnectionLostError
from app.storage.pg_connect import connection_lost, is_connection_lost

F = TypeVar("F", bound=Callable[..., Any])

COPY_MIN_ROWS = 64  # below this a pipelined executemany is as fast and simpler


@lru_cache(maxsize=256)
def _pg_sql(query: str) -> str:
    assert "%" not in query, query
    return query.replace("?", "%s")


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _clear_when_lost(fn: F) -> F:
    """The driver's error for a broken PostgreSQL connection becomes :class:`ConnectionLostError` (with the
    SQLAlchemy connection invalidated), as for statements run through SQLAlchemy. ``fn(conn, ...)``."""

    def translate(conn: Connection, exc: Exception) -> None:
        if conn.dialect.name == "postgresql" and not isinstance(exc, ConnectionLostError) and is_connection_lost(exc):
            raise connection_lost(conn, exc) from exc

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(conn: Connection, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(conn, *args, **kwargs)
            except Exception as exc:
                translate(conn, exc)
                raise

        return generator  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(conn: Connection, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(conn, *args, **kwargs)
        except Exception as exc:
            translate(conn, exc)
            raise

    return call  # type: ignore[return-value]


def is_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


@_clear_when_lost
def raw_rows(conn: Connection, query: str, params: Sequence = ()) -> list[tuple]:
    """Plain tuples from the driver for a ``?``-placeholder query."""
    if is_postgres(conn):
        return _driver(conn).execute(_pg_sql(query), params).fetchall()
    return _driver(conn).execute(query, params).fetchall()


@_clear_when_lost
def iter_rows(conn: Connection, query: str, params: Sequence = (), size: int = 5000) -> Iterator[tuple]:
    """Like :func:`raw_rows`, fetched ``size`` rows at a time (a 500k-row read never holds every row at once).

    On PostgreSQL the rows come through a server-side cursor (psycopg's default one would fetch the whole
    result at once); WITH HOLD, so that it works on the reads' autocommit connection too. Other statements
    may run on the connection between fetches."""
    if is_postgres(conn):
        cursor = _driver(conn).cursor(name=f"fm_rows_{next(_CURSOR_NUMBERS)}", withhold=True)
        try:
            cursor.execute(_pg_sql(query), params)
            while chunk := cursor.fetchmany(size):
                yield from chunk
        finally:
            cursor.close()
        return
    cursor = _driver(conn).execute(query, params)
    while chunk := cursor.fetchmany(size):
        yield from chunk


_CURSOR_NUMBERS = itertools.count(1)


@_clear_when_lost
def execute_many(conn: Connection, query: str, rows: list[tuple]) -> None:
    if not rows:
        return
    if is_postgres(conn):
        with _driver(conn).cursor() as cursor:
            cursor.executemany(_pg_sql(query), rows)
    else:
        _driver(conn).executemany(query, rows)


@_clear_when_lost
def bulk_insert(conn: Connection, table: str, columns: str, rows: list[tuple]) -> None:
    """Insert tuples in ``columns`` order: COPY on PostgreSQL for big batches, executemany otherwise. Flags may
    be given as 0/1 (cheaper to bind on SQLite); PostgreSQL gets them as booleans."""
    if not rows:
        return
    if is_postgres(conn):
        types = _pg_types(table, columns)
        rows = _pg_rows(rows, types)
        if len(rows) >= COPY_MIN_ROWS:
            with _driver(conn).cursor() as cursor, cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
    marks = ", ".join("?" for _ in columns.split(","))
    execute_many(conn, f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


@dataclass(frozen=True)
class Same:
    """A column of :func:`insert_columns` with the same value in every row."""

    value: Any


def same_or_each(values: Sequence[Any], convert: Callable[[Any], Any]) -> Same | list[Any]:
    """``values`` converted: a :class:`Same` when they are all equal (one conversion), else a list."""
    first = values[0]
    if values.count(first) == len(values):
        return Same(convert(first))
    return list(map(convert, values))


def _literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, or None where it had better be bound (NUL in text, non-finite floats,
    types sqlite3 would convert)."""
    kind = type(value)
    if value is None:
        return "NULL"
    if kind is bool or kind is int:
        return str(int(value)) if -2**63 <= value < 2**63 else None
    if kind is float:
        return repr(value) if math.isfinite(value) else None
    if kind is str:
        return None if "\x00" in value else "'" + value.replace("'", "''") + "'"
    if kind is bytes:
        return f"X'{value.hex()}'"
    return None


@_clear_when_lost
def insert_columns(conn: Connection, table: str, columns: dict[str, Same | Sequence[Any]], count: int) -> None:
    """Insert ``count`` rows given column by column (a sequence of ``count`` values, or a :class:`Same`).

    On SQLite a :class:`Same` column is written once into the statement as a literal instead of being bound on
    every row: binding is most of an insert's cost, and bulk imports repeat the same job, source, z order…
    on every row. On PostgreSQL the rows go through :func:`bulk_insert` (COPY)."""
    if count <= 0:
        return
    names = list(columns)
    if is_postgres(conn):
        values = [itertools.repeat(c.value, count) if isinstance(c, Same) else c for c in columns.values()]
        bulk_insert(conn, table, ", ".join(names), list(zip(*values)))
        return
    marks, bound = [], []
    for column in columns.values():
        literal = _literal(column.value) if isinstance(column, Same) else None
        if literal is not None:
            marks.append(literal)
            continue
        marks.append("?")
        bound.append(itertools.repeat(column.value, count) if isinstance(column, Same) else column)
    query = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(marks)})"
    if bound:
        _driver(conn).executemany(query, zip(*bound))
    else:
        _driver(conn).executemany(query, itertools.repeat((), count))


_PG_TYPES = {"Integer": "int4", "String": "text", "Text": "text", "LargeBinary": "bytea", "Float": "float8",
             "Boolean": "bool"}


@lru_cache(maxsize=64)
def _pg_types(table: str, columns: str) -> tuple[str, ...]:
    """Binary COPY needs each column's exact type: from the head schema (app/storage/schema.py)."""
    from app.storage.schema import metadata

    definition = metadata.tables[table]
    names = [name.strip().strip('"') for name in columns.split(",")]
    return tuple("uuid" if name == "uid" else _PG_TYPES[type(definition.c[name].type).__name__] for name in names)


def uid_text(value: object) -> str | None:
    """A uid as the app keeps it (dashed text): psycopg returns native uuids as :class:`uuid.UUID`."""
    return value if value is None or type(value) is str else str(value)


def _pg_rows(rows: list[tuple], types: tuple[str, ...]) -> list[tuple]:
    """Rows as PostgreSQL takes them: uid text as uuids, 0/1 flags as booleans."""
    uuids = [i for i, name in enumerate(types) if name == "uuid"]
    flags = [i for i, name in enumerate(types) if name == "bool"]
    if not uuids and not flags:
        return rows

    def convert(row: tuple) -> tuple:
        values = list(row)
        for i in uuids:
            if isinstance(values[i], str):
                values[i] = uuid.UUID(values[i])
        for i in flags:
            if values[i] is not None:
                values[i] = bool(values[i])
        return tuple(values)

    return list(map(convert, rows))


@_clear_when_lost
def allocate_ids(conn: Connection, table: str, count: int, kept: Iterable[int | None] = ()) -> Iterable[int]:
    """``count`` new row ids for ``table``, none equal to an id this same write keeps."""
    if count <= 0:
        return iter(())
    if is_postgres(conn):
        first = _driver(conn).execute(
            "SELECT fieldmark_allocate_ids(pg_get_serial_sequence(%s, 'id')::regclass, %s)", (table, count)
        ).fetchone()[0]
        return iter(range(first, first + count))
    db_next = int(_driver(conn).execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0])
    start = max([db_next] + [i + 1 for i in kept if i is not None])
    return iter(range(start, start + count))


def fix_sequences(conn: Connection, tables: Iterable[str]) -> None:
    """After rows were inserted with explicit ids (a copy), move each table's sequence past its largest id."""
    if not is_postgres(conn):
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, "
            "false)"
        )


BULK_CACHE_KIB = 32 * 1024  # SQLite page cache of a bulk write (the default is 2 MiB; 64 MiB was no faster)


@contextmanager
def bulk_cache(conn: Connection) -> Iterator[None]:
    """A larger SQLite page cache for the duration of a big write: deleting or inserting 100,000s of rows of a
    job touches the random-uid index all over, and with the default 2 MiB nearly every touch re-reads a page
    (reading, clearing and re-importing a 500k-shape job: 14 s CPU, 11 s with 32 MiB, for 41 MiB more peak
    memory). The cache shrinks back after, so a long session does not keep it. PostgreSQL: nothing (the server
    has its own)."""
    if is_postgres(conn):
        yield
        return
    driver = _driver(conn)
    size = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size={-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={int(size)}")


@contextmanager
def unshared_journal(conn: Connection) -> Iterator[None]:
    """Around a bulk load into a project file nobody else has open yet (one being built beside its final name):
    the rollback journal kept in memory instead of the write-ahead log, so that each page is written once into
    the file rather than into the log and again at the checkpoint; WAL again on the way out. A rollback still
    works; a crash leaves a half-built file, which is never put in place. SQLite only; outside a transaction."""
    if is_postgres(conn):
        yield
        return
    driver = _driver(conn)
    mode = driver.execute("PRAGMA journal_mode").fetchone()[0]
    driver.execute("PRAGMA journal_mode=MEMORY")
    try:
        yield
    finally:
        if driver.in_transaction:
            driver.rollback()
        driver.execute(f"PRAGMA journal_mode={mode}")


@contextmanager
def indexes_deferred(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Inside the caller's transaction, drop ``tables``' indexes and build them again on the way out: a bulk
    load into a project nobody else has open yet (a new project being imported) then writes plain rows and
    sorts each index once, instead of updating every index per row (half of a 500k-shape CVAT import was
    the random-uuid unique index). On an error the transaction's rollback brings the indexes back.
    SQLite only; PostgreSQL loads with COPY, and its indexes stay."""
    if is_postgres(conn):
        yield
        return
    driver = _driver(conn)
    if not driver.in_transaction:  # the driver begins on its own only before DML: the DROP must not autocommit
        driver.execute("BEGIN IMMEDIATE")
    marks = ", ".join("?" for _ in tables)
    indexes = driver.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tuple(tables)).fetchall()
    for name, _sql in indexes:
        driver.execute(f'DROP INDEX "{name}"')
    yield
    for _name, sql in indexes:
        driver.execute(sql)
