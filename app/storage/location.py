"""Where a project lives: an SQLite file (a path) or a PostgreSQL database (a ``postgresql://`` URL).

Every place that accepts a project path accepts a URL too; this module tells them apart and gives the
SQLAlchemy URL (psycopg 3 driver) and a display form. A password is never taken from a URL into
Fieldmark: it comes only from libpq's own sources (``~/.pgpass``, ``PGPASSWORD``, a service file),
so the display form (the one saved in the recent list) never holds one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.storage.errors import ProjectError

_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_url(text: str | Path) -> bool:
    return isinstance(text, str) and text.strip().lower().startswith(_SCHEMES)


@dataclass(frozen=True)
class Location:
    """A project's place. ``path`` for SQLite files, ``url`` (without a password) for PostgreSQL."""

    path: Path | None = None
    url: URL | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def display(self) -> str:
        """The path, or the URL without any password: what messages and the recent list show."""
        if self.url is None:
            return str(self.path)
        return self.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)

    @property
    def name(self) -> str:
        """A short name: the file name, or the database name."""
        if self.url is None:
            return self.path.name  # type: ignore[union-attr]
        return self.url.database or "postgres"

    @property
    def stem(self) -> str:
        if self.url is None:
            return self.path.stem  # type: ignore[union-attr]
        return self.name

    def sqlalchemy_url(self) -> URL:
        assert self.url is not None
        return self.url.set(drivername="postgresql+psycopg")

    def __str__(self) -> str:
        return self.display


def parse_location(target: str | Path | Location) -> Location:
    """A :class:`Location` from a path or a ``postgresql://user@host:port/dbname`` URL."""
    if isinstance(target, Location):
        return target
    if not is_url(target):
        return Location(path=Path(target))
    text = str(target).strip()
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise ProjectError(f"{text} is not a valid PostgreSQL URL ({exc}).") from exc
    if url.password is not None:
        raise ProjectError(
            "Put no password in a project URL: Fieldmark takes it from ~/.pgpass, PGPASSWORD or a "
            "PostgreSQL service file, so it is never saved with the recent projects."
        )
    if not url.database:
        raise ProjectError(f"{text} names no database; use postgresql://user@host:port/dbname.")
    return Location(url=url.set(drivername="postgresql"))
