"""Errors of the project store. Messages are written for the user."""

from __future__ import annotations


class ProjectError(Exception):
    """A project file cannot be used as asked (missing, not a project, newer schema, ...)."""


class ProjectLockedError(ProjectError):
    """Another Fieldmark process has the project open for writing."""


class ProjectReadOnlyError(ProjectError):
    """A write was attempted on a project opened read-only."""


class EmptyDatabaseError(ProjectError):
    """A PostgreSQL database with no tables: a team project can be created in it."""
