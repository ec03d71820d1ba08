"""Opening and creating projects from the main window: a project file, a field package, a team project
(on PostgreSQL, connected on a worker thread), with the answers a user needs when the file is locked,
read-only or the database is empty. The main window's menu slots call these."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtWidgets import QFileDialog, QMessageBox, QStatusBar

if TYPE_CHECKING:
    from app.storage.location import Location
    from app.storage.store import Project


class OpenHost(Protocol):
    """The main window as these flows see it."""

    def _set_project(self, project: Project) -> None: ...

    def edit_labels(self) -> None: ...

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name


def new_project(window: OpenHost) -> None:
    from app.storage.errors import ProjectError
    from app.storage.store import PROJECT_SUFFIX, Project

    path, _ = QFileDialog.getSaveFileName(window, "New project", "", f"Fieldmark project (*{PROJECT_SUFFIX})")
    if not path:
        return
    path = Path(path)
    if path.suffix != PROJECT_SUFFIX:
        path = path.with_suffix(PROJECT_SUFFIX)
    try:
        project = Project.create(path, path.stem)
    except ProjectError as exc:
        QMessageBox.warning(window, "New project", str(exc))
        return
    window._set_project(project)
    window.edit_labels()


def open_project_dialog(window: OpenHost) -> None:
    from app.storage.store import PROJECT_SUFFIX

    path, _ = QFileDialog.getOpenFileName(window, "Open project", "",
                                          f"Fieldmark project or field package (*{PROJECT_SUFFIX} *.fmpkg)")
    if path:
        open_project(window, Path(path))


def new_team_project(window: OpenHost) -> None:
    from app.widgets.team_project import create_team_project

    project = create_team_project(window)
    if project is not None:
        window._set_project(project)
        window.edit_labels()


def open_team_project_dialog(window: OpenHost) -> None:
    from app.widgets.team_project import ask_location

    location = ask_location(window, "Open team project")
    if location is not None:
        open_project(window, location)


def open_project(window: OpenHost, path: str | Path | Location) -> bool:
    """Open a project file, a field package or a team project (a ``postgresql://`` URL or :class:`Location`)."""
    from app.storage.errors import EmptyDatabaseError, ProjectError, ProjectLockedError
    from app.storage.location import parse_location
    from app.widgets.package_dialogs import unpack_before_open
    from app.widgets.team_project import offer_to_initialise

    if isinstance(path, Path | str) and not str(path).startswith("postgres") and not unpack_before_open(
            window, Path(path)):
        return False
    try:
        project = open_store(window, path)
        if project is None:
            return False  # cancelled while connecting
    except EmptyDatabaseError as exc:
        created = offer_to_initialise(window, parse_location(path), str(exc))
        if created is None:
            return False
        project = created
    except ProjectLockedError as exc:
        answer = QMessageBox.question(window, "Project in use", f"{exc}\n\nOpen it read-only?")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            opened = open_store(window, path, read_only=True)
            if opened is None:
                return False
            project = opened
        except ProjectError as exc2:
            QMessageBox.warning(window, "Open project", str(exc2))
            return False
    except ProjectError as exc:
        QMessageBox.warning(window, "Open project", str(exc))
        return False
    window._set_project(project)
    if project.read_only_reason:
        window.statusBar().showMessage(f"Opened read-only: {project.read_only_reason}; changes cannot be saved.")
    return True


def open_store(window: OpenHost, target: str | Path | Location, *, read_only: bool = False) -> Project | None:
    """Open a project: a file here, a team project on a worker thread (connecting may take seconds;
    the GUI keeps running and the user can cancel: None)."""
    from app.storage.errors import ProjectError
    from app.storage.location import parse_location
    from app.storage.store import Project
    from app.widgets.team_project import connect_in_background

    location = parse_location(target)
    if not location.is_postgres:
        return Project.open(location, read_only=read_only)
    result = connect_in_background(window, location, read_only=read_only)
    if isinstance(result, ProjectError):
        raise result
    return result
