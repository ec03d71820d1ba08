"""Errors of the project store. Messages are written for the user."""

from __future__ import annotations


class ProjectError(Exception):
    """A project file cannot be used as asked (missing, not a project, newer schema, ...)."""


class ProjectLockedError(ProjectError):
    """Another Fieldmark process has the project open for writing."""


class ProjectReadOnlyError(ProjectError):
    """A write was attempted on a project opened read-only."""


class StaleJobError(ProjectError):
    """A write based on an older version of a job's annotations than the stored one (someone else wrote)."""

    def __init__(self, job_id: int, expected: int, current: int | None) -> None:
        self.job_id, self.expected, self.current = job_id, expected, current
        super().__init__(
            f"Job {job_id} was changed elsewhere since you loaded it (version {current}, yours {expected}); "
            "your change was not saved: reload the job, or keep yours as a copy."
        )


class JobLeasedError(ProjectError):
    """Another client holds a live lease on the job (it is being edited elsewhere)."""


class LeaseLostError(ProjectError):
    """This handle's lease on a job expired and another client took the job over."""


class EmptyDatabaseError(ProjectError):
    """A PostgreSQL database with no tables: a team project can be created in it."""


class ConnectionLostError(ProjectError):
    """The connection to a team project's server broke (server down, network gone, session killed).

    The transaction in flight was rolled back by the server: nothing of it was written. The handle
    reconnects at its next use."""
