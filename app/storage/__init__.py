"""Projects in an SQLite file or a PostgreSQL database: schema (SQLAlchemy), migrations (Alembic), locking
and the store API."""

from app.storage.errors import (
    ConnectionLostError,
    EmptyDatabaseError,
    JobLeasedError,
    LeaseLostError,
    ProjectError,
    ProjectLockedError,
    ProjectReadOnlyError,
    StaleJobError,
)
from app.storage.store import Project

__all__ = [
    "ConnectionLostError", "EmptyDatabaseError", "JobLeasedError", "LeaseLostError", "Project", "ProjectError",
    "ProjectLockedError", "ProjectReadOnlyError", "StaleJobError",
]
