"""Helpers shared by CLI subcommands."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DatabaseError

from app.core.work import CancelToken
from app.media.errors import MediaError
from app.models.function_call import UserInterrupt
from app.storage.database import damaged_message
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
    if project.read_only_reason:
        print(f"note: {project.location.display} opened read-only: {project.read_only_reason}", file=sys.stderr)
    try:
        yield project
    except (ProjectError, MediaError) as exc:
        raise CliError(str(exc)) from exc
    except DatabaseError as exc:  # a page damaged past the header: found only when a query reaches it
        raise CliError(damaged_message(project.location.display, exc)) from exc
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


@contextlib.contextmanager
def ctrl_c_cancels(token: CancelToken, what: str = "the current frame") -> Iterator[None]:
    """While inside, the first Ctrl-C cancels ``token`` (the run stops after ``what`` and keeps whole
    frames); a second one interrupts at once. Outside the main thread nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(_signum: int, _frame: object) -> None:
        if token.cancelled:
            raise UserInterrupt
        token.cancel()
        print(f"\ninterrupted: stopping after {what} (Ctrl-C again to stop at once)", file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def progress_printer() -> Any:
    """Progress on stderr: updated in place on a terminal, else a line a second and the last one."""
    last = [0.0]

    def report(progress: Any) -> None:
        now = time.monotonic()
        final = progress.done >= progress.total
        if sys.stderr.isatty():
            print(f"\r{progress.done}/{progress.total} frames: {progress.message}", end="\n" if final else "",
                  file=sys.stderr, flush=True)
        elif final or now - last[0] >= 1.0:
            last[0] = now
            print(f"{progress.done}/{progress.total} frames: {progress.message}", file=sys.stderr, flush=True)

    return report
