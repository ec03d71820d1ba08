"""Application start-up: QApplication, logging to the log folder, error dialogs, the main window."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__, paths

log = logging.getLogger("fieldmark")
ICON = Path(__file__).resolve().parents[2] / "resources" / "fieldmark.png"  # also inside the package


def setup_logging() -> None:
    handler = logging.FileHandler(paths.log_file(), encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def show_unhandled(kind: type[BaseException], value: BaseException, tb: object) -> None:
    """The excepthook: an unhandled error is logged and shown in a dialog instead of killing the app
    silently. A team project's lost server connection under any read is not a fault of the app: it gets
    the same one warning as a frame that could not be read (no "details in the log"); the next read
    reconnects."""
    errors = sys.modules.get("app.storage.errors")  # loaded with the store; never imported here for this
    if errors is not None and isinstance(value, errors.ConnectionLostError):
        log.warning("%s", value)
        if QApplication.instance() is not None:
            from app.widgets.stale_job import tell_connection_lost

            tell_connection_lost(QApplication.activeWindow(), str(value))
        return
    text = "".join(traceback.format_exception(kind, value, tb))  # type: ignore[arg-type]
    log.error("unhandled error\n%s", text)
    if QApplication.instance() is not None:
        QMessageBox.critical(None, "Fieldmark error", f"{value}\n\nDetails are in {paths.log_file()}")


def install_excepthook() -> None:
    sys.excepthook = show_unhandled


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Fieldmark")
    app.setOrganizationName("Fieldmark")
    app.setApplicationVersion(__version__)
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))
    return app  # type: ignore[return-value]


def run(path: str | None, *, demo: bool = False) -> int:
    setup_logging()
    app = make_app()
    install_excepthook()
    from app.widgets.help_menu import install_help_menu
    from app.widgets.main_window import MainWindow
    from app.widgets.welcome import maybe_show_welcome

    window = MainWindow()
    install_help_menu(window)
    window.show()
    # The project opens once the window is on screen (opening imports the store: see main_window).
    if demo:
        QTimer.singleShot(0, window.open_demo)
    elif path:
        QTimer.singleShot(0, lambda: window.open_project(path))  # a file path or a postgresql:// URL
    else:
        maybe_show_welcome(window)  # first run only (Preferences.welcome_shown)
    log.info("Fieldmark %s started", __version__)
    return app.exec()
