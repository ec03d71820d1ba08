"""PostgreSQL connections of a project: the engine (psycopg 3) and one clear message per refusal.

The connection runs in the driver's autocommit mode: a read is its own statement and holds no
transaction (no locks, no snapshot) between calls; a write opens its transaction explicitly
(:func:`app.storage.database.begin_write`). The password is never given by Fieldmark: libpq reads
``~/.pgpass``, ``PGPASSWORD`` or a service file itself.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from app.storage.location import Location

CONNECT_TIMEOUT_S = 5


def pg_engine(location: Location, *, read_only: bool) -> Engine:
    options = "-c default_transaction_read_only=on" if read_only else ""
    return create_engine(
        location.sqlalchemy_url(),
        poolclass=StaticPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "fieldmark", "options": options},
    )


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
    """Whether ``exc`` (SQLAlchemy's or psycopg's) says the server connection broke, as opposed to a
    refusal of the statement itself (a constraint, a privilege, a serialisation failure)."""
    if getattr(exc, "connection_invalidated", False):
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
