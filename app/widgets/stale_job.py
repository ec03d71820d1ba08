"""When a write to a job is refused because the job changed elsewhere (another workstation of a team
project): tell the user nothing was saved and let them reload the job or keep their change as a copy."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from app.editing.session import EditSession, SessionChange


def install_stale_handler(window: QWidget, session: EditSession) -> None:
    """Ask once per refused write; the question is queued so the tool's event handler returns first."""

    def on_event(what: SessionChange) -> None:
        if what is SessionChange.STALE:
            QTimer.singleShot(0, ask)

    def ask() -> None:
        if session.stale is None:
            return
        message, _command = session.stale
        box = QMessageBox(QMessageBox.Icon.Warning, "Job changed elsewhere", message, parent=window)
        reload_button = box.addButton("Reload the job", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep mine as a copy", QMessageBox.ButtonRole.ActionRole)
        box.exec()
        session.resolve_stale(keep_copy=box.clickedButton() is not reload_button)

    session.changed.connect(on_event)
