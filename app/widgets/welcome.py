"""First-run welcome: open the demo, create a project, and where model checkpoints go.

Shown once per user: :func:`maybe_show_welcome` remembers it in
:attr:`app.settings.Preferences.welcome_shown` as soon as the dialog appears, so a crash or a
closed window does not bring it back on every start.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import paths, settings

log = logging.getLogger(__name__)


class _Host(Protocol):
    """What the welcome needs from the main window (``MainWindow`` provides it)."""

    prefs: settings.Preferences

    def open_demo(self) -> None: ...

    def new_project(self) -> None: ...


def open_folder(path: Path, parent: QWidget | None = None) -> bool:
    """Open ``path`` in the system file manager (created first if missing).

    Where no file manager is set up (a bare Linux install), tell the user the path instead."""
    path.mkdir(parents=True, exist_ok=True)
    ok = QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
    if not ok:
        log.warning("could not open %s in the file manager", path)
        if parent is not None:
            QMessageBox.information(parent, "Open folder", f"No file manager could be started. The folder is:\n{path}")
    return bool(ok)


class WelcomeDialog(QDialog):
    """Three first steps. ``choice`` is ``"demo"``, ``"create"`` or ``None`` after it closes."""

    def __init__(self, parent: QWidget | None = None, models_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Fieldmark")
        self.choice: str | None = None
        self.models_dir = models_dir or paths.models_dir()
        layout = QVBoxLayout(self)
        intro = QLabel(
            "<h2>Welcome to Fieldmark</h2>"
            "<p>Annotate images and video offline, in CVAT's formats, with local AI assistance.</p>"
            "<ul>"
            "<li><b>Try the demo</b>: a small project with photos and a short video, ready to annotate.</li>"
            "<li><b>Create a project</b>: choose a file, define labels, then add tasks from your media.</li>"
            "<li><b>Models</b>: Fieldmark never downloads anything by itself. Put model checkpoints "
            "(SAM 2 <code>.pt</code>, YOLO <code>.pt</code>, …) into the models folder below, "
            "or import them in the model manager.</li>"
            "</ul>"
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(intro)
        folder_row = QHBoxLayout()
        self.models_label = QLabel(f"Models folder: <code>{self.models_dir}</code>")
        self.models_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder_row.addWidget(self.models_label, 1)
        self.open_models_button = QPushButton("Open models folder")
        self.open_models_button.setAutoDefault(False)  # Enter means "Open demo project"
        self.open_models_button.clicked.connect(lambda: open_folder(self.models_dir, self))
        folder_row.addWidget(self.open_models_button)
        layout.addLayout(folder_row)
        layout.addWidget(QLabel("The Help menu has this folder, the log folder and the keyboard shortcuts."))
        buttons = QDialogButtonBox()
        self.demo_button = buttons.addButton("Open demo project", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_button = buttons.addButton("Create project…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.demo_button.clicked.connect(lambda: self._choose("demo"))
        self.create_button.clicked.connect(lambda: self._choose("create"))
        self.close_button.clicked.connect(self.reject)
        self.demo_button.setDefault(True)
        self.demo_button.setFocus()
        layout.addWidget(buttons)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


def mark_shown(host: _Host) -> None:
    """Remember that the welcome was shown, in the host's preferences object and on disk.

    The main window keeps its own ``prefs`` and saves it when a project opens, so the flag must be
    set there too, or that save would write ``welcome_shown = False`` back."""
    host.prefs.welcome_shown = True
    on_disk = settings.load()
    on_disk.welcome_shown = True
    settings.save(on_disk)


def show_welcome(host: _Host, parent: QWidget | None = None) -> WelcomeDialog:
    """Open the welcome (window-modal, non-blocking); the chosen action runs on the host when it closes."""
    parent = parent if parent is not None else host if isinstance(host, QWidget) else None
    dialog = WelcomeDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

    def finished(_result: int) -> None:
        if dialog.choice == "demo":
            host.open_demo()
        elif dialog.choice == "create":
            host.new_project()

    dialog.finished.connect(finished)
    dialog.open()
    return dialog


def maybe_show_welcome(host: _Host, parent: QWidget | None = None) -> WelcomeDialog | None:
    """Show the welcome unless it was shown before (first run); returns the dialog or None."""
    if host.prefs.welcome_shown or settings.load().welcome_shown:
        return None
    mark_shown(host)
    return show_welcome(host, parent)
