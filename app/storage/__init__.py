"""Projects in one SQLite file: schema (SQLAlchemy), migrations (Alembic), locking and the store API."""

from app.storage.errors import ProjectError, ProjectLockedError, ProjectReadOnlyError
from app.storage.store import Project

__all__ = ["Project", "ProjectError", "ProjectLockedError", "ProjectReadOnlyError"]
