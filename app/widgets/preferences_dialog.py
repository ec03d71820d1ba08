"""Preferences: where models run (device, threads), frame decode-ahead and cache, fill opacity; for an open team
project, where this workstation mounts its media root (kept in these local settings, never in the shared database).

The device line ("CUDA: NVIDIA …" or "CPU, 1 thread") is worked out in a worker thread because it
imports torch; the dialog opens at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import settings
from app.widgets import workers

if TYPE_CHECKING:
    from app.storage.store import Project

DEVICES = ("auto", "cpu", "cuda")


class PreferencesDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, project: Project | None = None) -> None:
        super().__init__(parent)
        self.project = project if project is not None and project.location.is_postgres else None
        self.setWindowTitle("Preferences")
        self.prefs = settings.load()
        self.device = QComboBox()
        self.device.addItems(DEVICES)
        self.device.setCurrentText(self.prefs.device if self.prefs.device in DEVICES else "auto")
        self.device.setToolTip("auto: the GPU when CUDA is available, otherwise the CPU")
        self.threads = QSpinBox()
        self.threads.setRange(1, 64)
        self.threads.setValue(self.prefs.torch_threads)
        self.threads.setToolTip("CPU threads for models; 1 keeps a core free for the window on small machines")
        self.in_use = QLabel("—")
        self.check = QPushButton("Check device")
        self.check.clicked.connect(self.check_device)
        self.prefetch = QSpinBox()
        self.prefetch.setRange(0, 64)
        self.prefetch.setValue(self.prefs.prefetch_frames)
        self.cache = QSpinBox()
        self.cache.setRange(64, 65536)
        self.cache.setSuffix(" MiB")
        self.cache.setValue(self.prefs.frame_cache_mib)
        self.opacity = QDoubleSpinBox()
        self.opacity.setRange(0.0, 1.0)
        self.opacity.setSingleStep(0.05)
        self.opacity.setValue(self.prefs.fill_opacity)
        form = QFormLayout()
        form.addRow("Models run on", self.device)
        form.addRow("CPU threads for models", self.threads)
        form.addRow(self.check, self.in_use)
        form.addRow("Frames decoded ahead", self.prefetch)
        form.addRow("Frame cache", self.cache)
        form.addRow("Shape fill opacity", self.opacity)
        self.media_root: QLineEdit | None = None
        self.media_error = QLabel("")
        if self.project is not None:
            self._add_media_root(form, self.project)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Model and frame settings apply to windows and models opened afterwards."))
        layout.addWidget(buttons)

    def _add_media_root(self, form: QFormLayout, project: Project) -> None:
        shared = project.shared_media_root()
        self.media_root = QLineEdit(settings.mapped_media_root(project.location) or "")
        self.media_root.setPlaceholderText(shared or "no media root recorded: paths are absolute")
        self.media_root.setToolTip(
            f"Where this workstation mounts the media root of {project.location.display}. Empty: the root recorded "
            f"at creation ({shared or 'none'}). Kept on this workstation only (same as fieldmark team map-media).")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_media_root)
        row = QHBoxLayout()
        row.addWidget(self.media_root, 1)
        row.addWidget(browse)
        form.addRow(f"Media root of {project.location.name} here", row)
        form.addRow("", self.media_error)

    def _browse_media_root(self) -> None:
        assert self.media_root is not None
        folder = QFileDialog.getExistingDirectory(self, "Media root on this workstation", self.media_root.text())
        if folder:
            self.media_root.setText(folder)

    def check_device(self) -> None:
        """Show which device the chosen preference gives (imports torch, so in a worker)."""
        preference, threads = self.device.currentText(), self.threads.value()
        self.in_use.setText("checking…")
        self.check.setEnabled(False)

        def work(_token: object, _progress: object) -> str:
            from app.models.device import describe

            return describe(preference, threads)

        def shown(text: object) -> None:
            self.in_use.setText(str(text))
            self.check.setEnabled(True)

        def failed(message: str, _trace: str) -> None:
            shown(f"cannot tell: {message}")

        workers.start(work, on_finished=shown, on_failed=failed)

    def save(self) -> None:
        mapped = self.media_root.text().strip() if self.media_root is not None else ""
        if mapped and not Path(mapped).expanduser().is_dir():
            self.media_error.setText(f"{mapped} is not a folder on this workstation; mount the team's media first.")
            return
        self.prefs = settings.load()  # keep what other windows saved meanwhile (recent list, shortcuts)
        if self.project is not None:
            key = settings.media_root_key(self.project.location)
            if mapped:
                self.prefs.media_roots[key] = str(Path(mapped).expanduser().resolve())
            else:
                self.prefs.media_roots.pop(key, None)
        self.prefs.device = self.device.currentText()
        self.prefs.torch_threads = self.threads.value()
        self.prefs.prefetch_frames = self.prefetch.value()
        self.prefs.frame_cache_mib = self.cache.value()
        self.prefs.fill_opacity = round(self.opacity.value(), 2)
        settings.save(self.prefs)
        self.accept()
