"""The About box: versions, the device models run on, the log file and the models folder.

torch takes seconds to import, so it is imported only when the box opens, and then on a worker
thread: the box shows at once with "checking…" and fills in torch and the device when they arrive.
If torch cannot be imported (a broken install, missing CUDA libraries) the box says so.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import platform
import sys
from pathlib import Path

import PySide6
import shiboken6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import __version__, paths
from app.widgets import workers
from app.widgets.welcome import open_folder

log = logging.getLogger(__name__)
PENDING = "checking…"
BUILD_INFO = "fieldmark_build.json"
TORCH_KEYS = ("torch", "Device")


def build_kind() -> str:
    """How this Fieldmark runs: from source, or a packaged build and its flavour.

    packaging/fieldmark.spec writes ``fieldmark_build.json`` (``{"flavour": "cpu" | "cuda"}``) into
    the bundle."""
    if not getattr(sys, "frozen", False):
        return "from source"
    try:
        info = json.loads((Path(getattr(sys, "_MEIPASS", "")) / BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "packaged"
    return f"packaged, {info.get('flavour', '?')} build"


def static_rows() -> list[tuple[str, str]]:
    """Everything known without importing torch."""
    return [
        ("Fieldmark", f"{__version__} ({build_kind()})"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}, {platform.system()} "
                   f"{platform.machine()})"),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
    ]


def torch_rows() -> list[tuple[str, str]]:
    """torch's version and the device in use; imports torch (call it off the GUI thread).

    Import failures are answers here, not errors: the box reports them."""
    try:
        import torch
    except (ImportError, OSError) as exc:  # OSError: a shared library of torch failed to load
        return [("torch", f"not available: {exc}"), ("Device", "none (models need torch)")]
    cuda = getattr(torch.version, "cuda", None)
    version = f"{torch.__version__} (built for CUDA {cuda})" if cuda else f"{torch.__version__} (CPU build)"
    if importlib.util.find_spec("app.models.device") is None:
        return [("torch", version), ("Device", "unknown (app.models.device is missing)")]
    from app.models.device import DeviceError, describe

    try:
        device = describe()
    except DeviceError as exc:
        device = f"invalid preference: {exc}"
    return [("torch", version), ("Device", device)]


def log_folder() -> Path:
    return paths.log_file().parent


def folder_rows() -> list[tuple[str, str]]:
    return [("Log file", str(paths.log_file())), ("Models folder", str(paths.models_dir()))]


class AboutDialog(QDialog):
    """``values[name]`` holds the QLabel of each row (tests read them)."""

    def __init__(self, parent: QWidget | None = None, *, load_torch: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Fieldmark")
        self.values: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        title = QLabel("<h2>Fieldmark</h2><p>Offline annotation for images and video, CVAT-compatible.</p>")
        layout.addWidget(title)
        form = QFormLayout()
        rows = static_rows() + [(key, PENDING) for key in TORCH_KEYS] + folder_rows()
        for key, value in rows:
            label = QLabel(value)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            self.values[key] = label
            form.addRow(f"{key}:", label)
        layout.addLayout(form)
        folders = QHBoxLayout()
        self.open_log_button = QPushButton("Open log folder")
        self.open_log_button.clicked.connect(lambda: open_folder(log_folder(), self))
        self.open_models_button = QPushButton("Open models folder")
        self.open_models_button.clicked.connect(lambda: open_folder(paths.models_dir(), self))
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy these details (for a bug report)")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        for button in (self.open_log_button, self.open_models_button, self.copy_button):
            button.setAutoDefault(False)
            folders.addWidget(button)
        layout.addLayout(folders)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.worker: workers.Worker | None = None
        if load_torch:
            self.worker = workers.start(lambda _token, _progress: torch_rows(), on_finished=self._torch_arrived,
                                        on_failed=self._torch_failed)

    def loaded(self) -> bool:
        return all(self.values[key].text() != PENDING for key in TORCH_KEYS)

    def text(self) -> str:
        return "\n".join(f"{key}: {label.text()}" for key, label in self.values.items())

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    def _torch_arrived(self, rows: list[tuple[str, str]]) -> None:
        log.info("About: %s", "; ".join(f"{key} {value}" for key, value in rows))  # for support and the package check
        if not shiboken6.isValid(self):  # closed and deleted while torch was loading
            return
        for key, value in rows:
            self.values[key].setText(value)

    def _torch_failed(self, message: str, _traceback: str) -> None:
        if shiboken6.isValid(self):
            for key in TORCH_KEYS:
                self.values[key].setText(f"could not be checked: {message}")


def show_about(parent: QWidget | None = None) -> AboutDialog:
    """Open the About box (non-blocking) and return it."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dialog.show()
    return dialog

