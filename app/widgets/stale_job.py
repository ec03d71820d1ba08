"""When a write to a job is refused because the job changed elsewhere (another workstation of a team
project): tell the user nothing was saved and let them reload the job or keep their change as a copy.

When the server connection broke in the middle of an edit, the session keeps the edit
(``EditSession.pending``): the window retries it every few seconds, says so in the status bar, and asks
before closing with an edit still unsaved. When it broke under a read (a frame being shown), nothing
changes on screen and :func:`tell_connection_lost` says so once; the next read reconnects."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

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


RETRY_MS = 3000


def install_pending_retry(window: QMainWindow, session: EditSession) -> QTimer:
    """Retry the kept edit every :data:`RETRY_MS` while there is one; the status bar says it waits."""
    timer = QTimer(window)
    timer.setInterval(RETRY_MS)

    def check() -> None:
        if session.pending is None:
            timer.stop()
            return
        if session.retry_pending():
            timer.stop()
        else:
            window.statusBar().showMessage(f"Not saved yet: {session.pending[0]} waits for the server "
                                           "(retrying every few seconds).")

    def on_status(_text: str) -> None:  # the session posts a status when it keeps an edit
        if session.pending is not None and not timer.isActive():
            timer.start()

    timer.timeout.connect(check)
    session.status_posted.connect(on_status)
    return timer


def may_close_with_pending(window: QWidget, session: EditSession) -> bool:
    """Before a job window closes: save the kept edit if the server answers now, else ask."""
    if session.pending is None or session.retry_pending():
        return True
    answer = QMessageBox.warning(
        window, "Edit not saved",
        f"{session.pending[0]} is not saved: the server does not answer. Close anyway and lose it?",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Discard


CONNECTION_LOST_TITLE = "Connection to the server lost"


def tell_connection_lost(parent: QWidget | None, message: str) -> None:
    """One warning for a read refused because a team project's server connection broke (the store's
    :class:`~app.storage.errors.ConnectionLostError` message, which names the server and says to try again).
    Also the excepthook's answer to that error from any other read of the GUI (app/widgets/application.py)."""
    if isinstance(parent, QMainWindow):
        parent.statusBar().showMessage(message)
    QMessageBox.warning(parent, CONNECTION_LOST_TITLE, message)
