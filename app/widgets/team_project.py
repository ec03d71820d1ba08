"""File ▸ New team project… and File ▸ Open team project…: a PostgreSQL URL instead of a file.

The URL names user, host, port and database only; the password comes from libpq's own sources
(~/.pgpass, PGPASSWORD, a service file), so neither the dialog nor the recent list ever holds one.

Connecting can take seconds (an unreachable server only answers at the connect timeout), so the handle
is opened or created on a worker thread (:mod:`app.widgets.workers`) while a progress dialog with Cancel
runs; the GUI thread adopts the open handle (``Project.adopt``) and never waits on the network itself.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QProgressDialog, QWidget

from app.core.work import Cancelled, CancelToken, Outcome, Progress, ProgressFn
from app.storage.errors import ProjectError
from app.storage.location import Location, parse_location
from app.storage.store import Project

URL_HELP = (
    "PostgreSQL database URL: postgresql://user@host:5432/dbname\n"
    "The password is read from ~/.pgpass, PGPASSWORD or a PostgreSQL service file, never typed here."
)


def ask_location(parent: QWidget, title: str, text: str = "postgresql://") -> Location | None:
    """Ask for a team project URL until it parses (or the user cancels)."""
    while True:
        url, ok = QInputDialog.getText(parent, title, URL_HELP, QLineEdit.EchoMode.Normal, text)
        if not ok or not url.strip():
            return None
        try:
            return parse_location(url.strip())
        except ProjectError as exc:
            QMessageBox.warning(parent, title, str(exc))
            text = url


def connect_in_background(parent: QWidget | None, location: Location, *, create: bool = False,
                          read_only: bool = False) -> Project | ProjectError | None:
    """Open (or create) a team project on a worker thread while a progress dialog offers Cancel; the GUI
    keeps running meanwhile. Returns the handle (owned by the calling thread now), the refusal, or None
    when the user cancelled (a connection that completes after that is closed on the worker)."""
    from app.widgets import workers

    server = f"{location.url.host or 'localhost'}:{location.url.port or 5432}" if location.url else location.display
    verb = "Creating the team project" if create else "Connecting"
    dialog = QProgressDialog(f"{verb} on {server}…", "Cancel", 0, 0, parent)
    dialog.setWindowTitle("Team project")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    loop = QEventLoop()
    ended: list[Outcome[Any]] = []

    def job(token: CancelToken, progress: ProgressFn) -> Project | ProjectError:
        progress(Progress(0, 0, f"{verb} on {server}…"))
        try:
            project = (Project.create(location, location.stem) if create
                       else Project.open(location, read_only=read_only))
        except ProjectError as exc:
            return exc
        if token.cancelled:
            project.close()
            raise Cancelled
        return project

    def on_outcome(outcome: Outcome[Any]) -> None:
        if loop.isRunning():
            ended.append(outcome)
            loop.quit()
        elif outcome.finished and isinstance(outcome.value, Project):
            outcome.value.close()  # cancelled by the user after the worker's last check: nobody wants it

    def on_progress(value: Progress) -> None:
        if value.message:
            dialog.setLabelText(value.message)

    worker = workers.start(job, on_outcome=on_outcome, on_progress=on_progress)
    dialog.canceled.connect(worker.cancel)
    dialog.canceled.connect(loop.quit)
    dialog.show()
    loop.exec()
    dialog.close()
    if not ended or ended[0].cancelled:
        return None
    outcome = ended[0]
    if outcome.failed:
        return ProjectError(f"Cannot open {location.display}: {outcome.message}")
    value = outcome.value
    return value.adopt() if isinstance(value, Project) else value


def create_team_project(parent: QWidget, location: Location | None = None) -> Project | None:
    """Create the schema of a team project in an empty database; None when cancelled or refused."""
    title = "New team project"
    location = location or ask_location(parent, title)
    if location is None:
        return None
    result = connect_in_background(parent, location, create=True)
    if isinstance(result, ProjectError):
        QMessageBox.warning(parent, title, str(result))
        return None
    return result


def offer_to_initialise(parent: QWidget, location: Location, message: str) -> Project | None:
    """Opening an empty database: offer to create a team project in it."""
    answer = QMessageBox.question(parent, "Open team project", f"{message}\n\nCreate a team project in it now?")
    if answer != QMessageBox.StandardButton.Yes:
        return None
    return create_team_project(parent, location)
