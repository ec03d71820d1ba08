"""PostgreSQL connections of a project: the engine (psycopg 3) and one clear message per refusal.

The connection runs in the driver's autocommit mode: a read is its own statement and holds no
transaction (no locks, no snapshot) between calls; a write opens its transaction explicitly
(:func:`app.storage.database.begin_write`). The password is never given by Fieldmark: libpq reads
``~/.pgpass``, ``PGPASSWORD`` or a service file itself.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.pool import StaticPool

from app.storage.errors import ConnectionLostError
from app.storage.location import Location

CONNECT_TIMEOUT_S = 5


def pg_engine(location: Location, *, read_only: bool) -> Engine:
    options = "-c default_transaction_read_only=on" if read_only else ""
    engine = create_engine(
        location.sqlalchemy_url(),
        poolclass=StaticPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "fieldmark", "options": options},
    )
    event.listen(engine, "handle_error", _lost_connection_is_clear)
    return engine


def _server(location: Location) -> str:
    url = location.url
    assert url is not None
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def describe_connect_error(location: Location, exc: BaseException) -> str:
    """One line for a failed connection: unreachable server, refused login, missing database."""
    url = location.url
    assert url is not None
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    text = " ".join(line.strip() for line in detail if line.strip())
    low = text.lower()
    server = _server(location)
    user = url.username or "(your login name)"
    if "password authentication failed" in low or "no password supplied" in low or "authentication failed" in low:
        return (f"PostgreSQL at {server} refused the login of user {user}: wrong or missing password. Fieldmark "
                "reads it from ~/.pgpass, PGPASSWORD or a PostgreSQL service file.")
    if "does not exist" in low and "database" in low:
        return f"There is no database {url.database!r} on the PostgreSQL server at {server}; create it first."
    if "role" in low and "does not exist" in low:
        return f"PostgreSQL at {server} has no user {user}."
    if any(s in low for s in ("connection refused", "could not connect", "timeout", "timed out",
                              "name or service not known", "could not translate host", "no route", "unreachable")):
        return f"Cannot reach the PostgreSQL server at {server} ({text or 'no answer'})."
    return f"Cannot open the PostgreSQL database {location.display}: {text}"


def database_state(tables: list[str]) -> str:
    """``empty`` (no tables), ``project`` (a Fieldmark schema) or ``foreign`` (other tables)."""
    if not tables:
        return "empty"
    if {"alembic_version", "project"} <= set(tables):
        return "project"
    return "foreign"


# SQLSTATE classes of a broken session: 08 connection exception, 57P01-57P03 server shut down / restarting.
_LOST_STATES = ("08", "57P01", "57P02", "57P03")


def is_connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` (SQLAlchemy's or psycopg's, or the :class:`ConnectionLostError` made of them) says the
    server connection broke, as opposed to a refusal of the statement itself (a constraint, a privilege,
    a serialisation failure)."""
    if isinstance(exc, ConnectionLostError) or getattr(exc, "connection_invalidated", False):
        return True
    orig = getattr(exc, "orig", None) or exc
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency; without it there is no PostgreSQL
        return False
    if not isinstance(orig, psycopg.OperationalError):
        return False
    state = getattr(orig, "sqlstate", None)
    if state is None:
        return True  # "the connection is closed", "server closed the connection unexpectedly", ...
    return state.startswith(_LOST_STATES)


def lost_message(location: Location, exc: BaseException, consequence: str) -> str:
    """``The connection to URL was lost (the server's words); <consequence>.``"""
    if isinstance(exc, ConnectionLostError) and exc.__cause__ is not None:
        exc = exc.__cause__  # the driver's own error, not our sentence about it
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    detail = lines[0] if lines else type(orig).__name__
    return f"The connection to {location.display} was lost ({detail}); {consequence}."


READ_CONSEQUENCE = "nothing was read; the next use reconnects, so try again"


def connection_lost(conn: Connection, exc: BaseException) -> ConnectionLostError:
    """The error for a broken connection found on ``conn`` outside SQLAlchemy's statement machinery (the
    driver-level hot paths, :mod:`app.storage.fastsql`): the connection is marked invalid, as SQLAlchemy
    does itself for its own statements, so the project handle reconnects at its next use."""
    if not conn.invalidated:
        try:
            conn.invalidate(exc if isinstance(exc, Exception) else None)
        except Exception:  # noqa: BLE001, S110 - a dead connection may fail to close; it is gone either way
            pass
    return ConnectionLostError(lost_message(Location(url=conn.engine.url), exc, READ_CONSEQUENCE))


def _lost_connection_is_clear(ctx: ExceptionContext) -> None:
    """SQLAlchemy's ``handle_error`` hook on every PostgreSQL engine: a statement that finds the server
    connection broken (server restarted, network gone, session killed) raises :class:`ConnectionLostError`
    instead of the driver's error, and the connection is invalidated, so the handle reconnects at its
    next use (:attr:`app.storage.store.Project.conn`). A failure to connect at all is left to
    :func:`describe_connect_error`; a refused statement is left as it is."""
    if ctx.connection is None or ctx.is_pre_ping or not is_connection_lost(ctx.original_exception):
        return
    ctx.is_disconnect = True
    location = Location(url=ctx.connection.engine.url)
    raise ConnectionLostError(lost_message(location, ctx.original_exception, READ_CONSEQUENCE))
