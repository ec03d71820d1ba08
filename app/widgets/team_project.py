"""File ▸ New team project… and File ▸ Open team project…: a PostgreSQL URL instead of a file.

The URL names user, host, port and database only; the password comes from libpq's own sources
(~/.pgpass, PGPASSWORD, a service file), so neither the dialog nor the recent list ever holds one.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

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


def create_team_project(parent: QWidget, location: Location | None = None) -> Project | None:
    """Create the schema of a team project in an empty database; None when cancelled or refused."""
    title = "New team project"
    location = location or ask_location(parent, title)
    if location is None:
        return None
    try:
        return Project.create(location, location.stem)
    except ProjectError as exc:
        QMessageBox.warning(parent, title, str(exc))
        return None


def offer_to_initialise(parent: QWidget, location: Location, message: str) -> Project | None:
    """Opening an empty database: offer to create a team project in it."""
    answer = QMessageBox.question(parent, "Open team project", f"{message}\n\nCreate a team project in it now?")
    if answer != QMessageBox.StandardButton.Yes:
        return None
    return create_team_project(parent, location)
