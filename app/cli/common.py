"""Helpers shared by CLI subcommands."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from app.media.errors import MediaError
from app.storage.errors import ProjectError
from app.storage.store import Project


class CliError(Exception):
    """An error shown to the user as one line, with an exit code."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@contextlib.contextmanager
def open_project(path: str | Path, *, read_only: bool = False) -> Iterator[Project]:
    """Open a project (a file path or a ``postgresql://`` URL) for a command, turning store errors into CLI errors."""
    try:
        project = Project.open(path, read_only=read_only)
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    try:
        yield project
    except (ProjectError, MediaError) as exc:
        raise CliError(str(exc)) from exc
    finally:
        project.close()


def resolve_task(project: Project, task: str | None) -> int:
    """A task id from an id or a name; the only task when omitted."""
    if task is None:
        tasks = project.tasks()
        if len(tasks) != 1:
            raise CliError(f"{project.location.name} has {len(tasks)} tasks; choose one with --task")
        return tasks[0].id
    try:
        return project.task(task).id
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
