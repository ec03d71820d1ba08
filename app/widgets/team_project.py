"""File ▸ New team project… and File ▸ Open team project…: a PostgreSQL URL instead of a file.

New team project asks for the URL and, optionally, the team's shared media folder (the project's media
root, as ``fieldmark create URL --media-root PATH``; each workstation maps it to its own mount point).

The URL names user, host, port and database only; the password comes from libpq's own sources
(~/.pgpass, PGPASSWORD, a service file), so neither the dialog nor the recent list ever holds one.

Connecting can take seconds (an unreachable server only answers at the connect timeout), so the handle
is opened or created on a worker thread (:mod:`app.widgets.workers`) while a progress dialog with Cancel
runs; the GUI thread adopts the open handle (``Project.adopt``) and never waits on the network itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.work import Cancelled, CancelToken, Outcome, Progress, ProgressFn
from app.storage.errors import ProjectError
from app.storage.location import Location, parse_location
from app.storage.project_checks import check_media_root
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


class NewTeamProjectDialog(QDialog):
    """The database URL and the optional shared media folder of a new team project. OK checks both (a URL
    without a password, an existing folder) and stays open with one message naming what is wrong."""

    TITLE = "New team project"

    def __init__(self, parent: QWidget | None, location: Location | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.TITLE)
        self.location: Location | None = None
        self.media_root: str | None = None
        self.url_edit = QLineEdit(location.display if location is not None else "postgresql://")
        self.url_edit.setToolTip(URL_HELP)
        self.media_edit = QLineEdit()
        self.media_edit.setPlaceholderText("optional: the folder every workstation reaches the media in")
        self.media_edit.setToolTip("The project's media root: media paths are stored relative to it, and each "
                                   "workstation maps it to its own mount point (Preferences).")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self.browse)
        media_row = QHBoxLayout()
        media_row.addWidget(self.media_edit, 1)
        media_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Database URL:", self.url_edit)
        form.addRow("Shared media folder:", media_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(URL_HELP))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Shared media folder", self.media_edit.text().strip())
        if folder:
            self.media_edit.setText(folder)

    def accept(self) -> None:
        try:
            location = parse_location(self.url_edit.text().strip())
            if not location.is_postgres:
                raise ProjectError("Give a PostgreSQL URL: postgresql://user@host:5432/dbname.")
            media_root = check_media_root(location, self.media_edit.text().strip() or None)
        except ProjectError as exc:
            QMessageBox.warning(self, self.TITLE, str(exc))
            return
        self.location, self.media_root = location, media_root
        super().accept()


def ask_new_team_project(parent: QWidget | None, location: Location | None = None
                         ) -> tuple[Location, str | None] | None:
    """The URL and media root (None: none given) of a new team project, or None when cancelled."""
    dialog = NewTeamProjectDialog(parent, location)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.location is None:
        return None
    return dialog.location, dialog.media_root


def connect_in_background(parent: QWidget | None, location: Location, *, create: bool = False,
                          read_only: bool = False, media_root: str | Path | None = None
                          ) -> Project | ProjectError | None:
    """Open (or create, with ``media_root``: see :meth:`Project.create`) a team project on a worker thread
    while a progress dialog offers Cancel; the GUI keeps running meanwhile. Returns the handle (owned by the
    calling thread now), the refusal, or None when the user cancelled (a connection that completes after
    that is closed on the worker)."""
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
            project = (Project.create(location, location.stem, media_root=media_root) if create
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
    """Create the schema of a team project in an empty database (asking for its URL, ``location``
    pre-filled, and its shared media folder); None when cancelled or refused."""
    answer = ask_new_team_project(parent, location)
    if answer is None:
        return None
    location, media_root = answer
    result = connect_in_background(parent, location, create=True, media_root=media_root)
    if isinstance(result, ProjectError):
        QMessageBox.warning(parent, NewTeamProjectDialog.TITLE, str(result))
        return None
    return result


def offer_to_initialise(parent: QWidget, location: Location, message: str) -> Project | None:
    """Opening an empty database: offer to create a team project in it."""
    answer = QMessageBox.question(parent, "Open team project", f"{message}\n\nCreate a team project in it now?")
    if answer != QMessageBox.StandardButton.Yes:
        return None
    return create_team_project(parent, location)
